"""The results tree: ``<output_dir>/<method>/<dataset_id>/<seed>/output_info.json``.

A result file exists only when its run finished: it is written to a temporary file in the same
folder and renamed into place, so a killed run never leaves a partial ``output_info.json``. A
saved model (:data:`MODEL_DIR`) sits next to it and is renamed into place the same way.

This module is the one place that knows the layout: :func:`cell_dir` / :func:`result_path` say
where a cell lives, :func:`find_results` / :func:`load_results` / :func:`results_frame` read a
tree. The interpretability benchmark keeps its records in the same layout under
``<output_dir>/xai`` (benchmark in place of the dataset).

The reference implementation (releaunifreiburg/INN, ArlindKadra/IMN) uses the same layout with
flat records (``test_auroc``, ``train_time``, ...). Our records carry those keys too
(:func:`reference_keys`, added at write time), and :func:`results_frame` reads trees of either
format, so results of both implementations plot together.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import os
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from inn.tasks import TASKS
from inn.validation import SEED, check_key

log = logging.getLogger("inn.results")

RESULT_FILE = "output_info.json"
# Two trees of the same layout. A run writes to RUNS_DIR unless told otherwise (git-ignored), so a
# user's runs never change the committed benchmark records in BENCHMARK_DIR (tracked in git),
# from which the README's tables and the paper's figures are drawn.
RUNS_DIR = "runs"
BENCHMARK_DIR = "results"
MODEL_DIR = "model"
TOP_10 = 10  # the reference's older scripts keep the 10 most important features


class ResultFileError(ValueError):
    """A result file that cannot be read (not JSON, not a record); the message names it."""


def cell_dir(output_dir, method: str, dataset_id, seed) -> Path:
    """The folder of one (method, dataset, seed) cell.

    ``method`` and ``dataset_id`` must be plain names and ``seed`` an integer >= 0
    (:func:`inn.validation.check_key`), so a cell folder is always inside ``output_dir``.
    """
    parts = (check_key(method, "method name"), check_key(dataset_id, "dataset id"),
             SEED.check("seed", seed))  # fmt: skip
    return Path(output_dir).joinpath(*map(str, parts))


def result_path(output_dir, method: str, dataset_id, seed) -> Path:
    """Where the result of one (method, dataset, seed) cell lives."""
    return cell_dir(output_dir, method, dataset_id, seed) / RESULT_FILE


def check_output_dir(output_dir, flag: str = "output_dir") -> Path:
    """Check, before any work, that the folder ``output_dir`` exists or can be created and is
    writable; nothing is left behind. Raises ValueError naming ``flag`` and the reason (an empty
    name too: ``Path("")`` is the current folder, where the tree would land unasked)."""
    if isinstance(output_dir, str) and not output_dir.strip():
        raise ValueError(f"{flag} is empty; name a folder for the results tree (e.g. runs)")
    path = Path(output_dir).expanduser()
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    where = "" if probe == path else f" (its nearest existing parent {probe})"
    if probe.exists() and not probe.is_dir():
        raise ValueError(f"{flag} {str(output_dir)!r} cannot be a folder: {probe} is a file")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as err:
        raise ValueError(f"{flag} {str(output_dir)!r} is not writable{where}: "
                         f"{err.strerror or err}") from None
    return path


# ---- atomic writes --------------------------------------------------------------------------
# A temporary name says who writes it: ``.<name>.<host>-<pid>-<token>.tmp``. A later write of the
# same file removes the temporary files of writers on this host that are no longer alive (a
# killed run), so they never accumulate.
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"
_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[0-9a-f]+"
                   r"\.(?P<kind>tmp|old)")


def _temp_name(path: Path, kind: str = "tmp") -> Path:
    return path.with_name(f".{path.name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def clean_stale_temporaries(path) -> list[Path]:
    """Remove the temporary files (and folders) of writes of ``path`` whose writer on this host
    has died; a replaced folder that a killed write left aside is put back. Returns what was
    removed."""
    path = Path(path)
    removed = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return removed
    for sibling in siblings:
        m = _TEMP.fullmatch(sibling.name)
        if (m is None or m["name"] != path.name or m["host"] != _HOST
                or _alive(int(m["pid"]))):  # fmt: skip
            continue
        if m["kind"] == "old" and not path.exists():
            sibling.rename(path)  # the write died between moving the old folder and the new in
            continue
        if sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)
        else:
            sibling.unlink(missing_ok=True)
        removed.append(sibling)
    if removed:
        log.info("removed %d temporary file(s) of killed writes of %s", len(removed), path)
    return removed


def write_json_atomic(record: dict, path) -> Path:
    """Write ``record`` as JSON to ``path`` via a temporary file and an atomic rename."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(json.dumps(record, indent=2, allow_nan=True), path)


def write_text_atomic(text: str, path) -> Path:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename.

    The file gets the mode the umask gives new files (as ``open`` would), not 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path)
    tmp = _temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_dir_atomic(path, write: Callable) -> Path:
    """Fill the folder ``path`` with ``write(folder)`` in a temporary folder, then rename it.

    A folder already at ``path`` is replaced; a failure leaves it as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path)
    tmp = _temp_name(path)
    tmp.mkdir(0o777)  # the umask's mode, unlike mkdtemp's 0700
    old = None
    try:
        write(tmp)
        if path.exists():
            old = _temp_name(path, "old")
            path.rename(old)
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists():
            old.rename(path)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return path


# ---- reading --------------------------------------------------------------------------------
def read_result(path) -> dict:
    """The record in the result file ``path``; :class:`ResultFileError` (naming the file) when
    it is not a JSON object, e.g. a file damaged outside this program."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ResultFileError(f"corrupt result file {path}: {err}; delete it to rerun its "
                              "cell") from None
    if not isinstance(record, dict):
        raise ResultFileError(f"corrupt result file {path}: a JSON {type(record).__name__}, "
                              "not an object; delete it to rerun its cell")
    return record


# What a finished record must hold: the cell's identity, the task, the split and its metrics
# (what the CLI's report and the suite's summary read).
REQUIRED_KEYS = ("method", "dataset_id", "dataset_name", "seed", "task", "split_fingerprint",
                 "test_metrics", "train_time_s", "device")
HEADLINE_METRICS = {"binary": ("auroc", "accuracy"), "multiclass": ("auroc", "accuracy"),
                    "regression": ("rmse", "r2")}
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


def is_number(value) -> bool:
    """A finite int or float (not a bool, a string or None)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def record_problem(record, method: str, dataset_id, seed, *, split_fingerprint=None,
                   test_split_size=None) -> str | None:
    """Why ``record`` is not the finished result of the cell (``method``, ``dataset_id``,
    ``seed``), or ``None`` when it is: it must be a JSON object with :data:`REQUIRED_KEYS`,
    name this cell (a record copied from another cell does not), have a known task, a split
    fingerprint (equal to ``split_fingerprint`` when given: the split this cell makes now) and
    the task's headline test metrics, with every test metric and the training time a finite
    number. ``test_split_size``, when given, must be the record's too.
    """
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not a record"
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        return f"incomplete: it lacks {missing}"
    for key, want in (("method", method), ("dataset_id", dataset_id), ("seed", seed)):
        got = record[key]
        if str(got) != str(want) or (key == "seed" and not isinstance(got, int)):
            return f"its {key} is {got!r}, not {want!r}: it is another cell's record"
    task = record["task"]
    if task not in TASKS:
        return f"its task {task!r} is not one of {TASKS}"
    found = record["split_fingerprint"]
    if not (isinstance(found, str) and _FINGERPRINT.fullmatch(found)):
        return f"its split fingerprint {found!r} is not one"
    if split_fingerprint is not None and found != split_fingerprint:
        return (f"its split ({found}) is not the one this cell makes ({split_fingerprint}): the "
                "data or the split settings changed")
    size = record.get("test_split_size")
    if test_split_size is not None and not (is_number(size) and math.isclose(size,
                                                                             test_split_size)):
        return f"its test_split_size is {size!r}, not {test_split_size!r}"
    metrics = record["test_metrics"]
    if not isinstance(metrics, dict):
        return f"its test_metrics are {metrics!r}, not a mapping"[:200]
    absent = [k for k in HEADLINE_METRICS[task] if k not in metrics]
    if absent:
        return f"its test_metrics lack {absent}"
    bad = {k: v for k, v in metrics.items() if not is_number(v)}
    if bad:
        return f"test metrics that are not finite numbers: {bad}"[:200]
    if not is_number(record["train_time_s"]):
        return f"its train_time_s is {record['train_time_s']!r}, not a number"
    return None


def read_result_or_none(path) -> dict | None:
    """:func:`read_result`, or ``None`` with a warning that names the file when it is corrupt."""
    try:
        return read_result(path)
    except ResultFileError as err:
        log.warning("%s", err)
        return None


def reference_keys(record: dict) -> dict:
    """The reference implementation's top-level keys, derived from our record.

    Classification: ``train_auroc``, ``train_accuracy``, ``test_auroc``, ``test_accuracy``;
    regression: ``train_mse``, ``test_mse``. Always ``train_time``, ``inference_time`` and
    ``time`` (their sum; the older reference scripts wrote only this one). Where the method has
    global importances: ``top_features`` / ``top_features_weights`` (all features, most
    important first) and ``top_10_features`` / ``top_10_features_weights``. Values the record
    lacks (e.g. train metrics of an old record) are left out rather than invented.
    """
    out: dict = {}
    regression = record.get("task") == "regression"
    for part in ("train", "test"):
        metrics = record.get(f"{part}_metrics") or {}
        if regression:
            if metrics.get("rmse") is not None:
                out[f"{part}_mse"] = float(metrics["rmse"]) ** 2
        else:
            for key in ("auroc", "accuracy"):
                if metrics.get(key) is not None:
                    out[f"{part}_{key}"] = metrics[key]
    train, infer = record.get("train_time_s"), record.get("inference_time_s")
    if train is not None:
        out["train_time"] = train
    if infer is not None:
        out["inference_time"] = infer
    if train is not None and infer is not None:
        out["time"] = train + infer
    importances = record.get("feature_importances")
    if importances:
        names, weights = list(importances), [float(v) for v in importances.values()]
        out["top_features"], out["top_features_weights"] = names, weights
        out["top_10_features"] = names[:TOP_10]
        out["top_10_features_weights"] = weights[:TOP_10]
    return out


def _last(value):
    """The reference's older INN script wrote ``train_auroc`` as a per-epoch list: its last."""
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def from_reference(rec: dict, path: Path) -> dict | None:
    """A reference-format record (flat keys, no ``method``) in our schema; method, dataset and
    seed come from its path ``<method>/<dataset_id>/<seed>/output_info.json``.

    Returns ``None`` for records of neither format (e.g. the interpretability benchmark's).
    The task is ``"classification"`` (binary and multiclass are not told apart in these files)
    or ``"regression"``.
    """
    if "test_auroc" in rec:
        task = "classification"
        metrics = {part: {k: _last(rec.get(f"{part}_{k}")) for k in ("auroc", "accuracy")}
                   for part in ("train", "test")}  # fmt: skip
    elif "test_mse" in rec:
        task = "regression"
        metrics = {part: {"rmse": float(rec[f"{part}_mse"]) ** 0.5}
                   for part in ("train", "test") if rec.get(f"{part}_mse") is not None}
    else:
        return None
    seed_dir = path.parent
    names = rec.get("top_features") or rec.get("top_10_features")
    weights = rec.get("top_features_weights") or rec.get("top_10_features_weights")
    seed = seed_dir.name
    return {
        "method": seed_dir.parent.parent.name,
        "dataset_id": seed_dir.parent.name,
        "dataset_name": None,
        "seed": int(seed) if seed.isdigit() else seed,
        "task": task,
        "format": "reference",
        "test_metrics": metrics.get("test", {}),
        "train_metrics": metrics.get("train"),
        "train_time_s": rec.get("train_time", rec.get("time")),
        "inference_time_s": rec.get("inference_time"),
        "feature_importances": dict(zip(names, weights)) if names and weights else None,
    }


def find_results(results_dir, method=None, dataset_id=None, seed=None) -> list[Path]:
    """The result files under ``results_dir`` (sorted), optionally of one method/dataset/seed."""
    parts = ["*" if v is None else str(check_key(v, what))
             for v, what in ((method, "method name"), (dataset_id, "dataset id"),
                             (seed, "seed"))]  # fmt: skip
    return sorted(Path(results_dir).glob("/".join([*parts, RESULT_FILE])))


def load_results(results_dir, method=None, dataset_id=None, seed=None) -> list[dict]:
    """The records of :func:`find_results`; corrupt files are left out with a warning."""
    records = (read_result_or_none(p) for p in find_results(results_dir, method, dataset_id,
                                                             seed))
    return [r for r in records if r is not None]


def _misplaced_or_not_numeric(rec: dict, path: Path) -> str | None:
    """What keeps a record of a tree out of its tables: it names another cell than its folder
    ``<method>/<dataset_id>/<seed>``, or a metric is neither a number nor missing."""
    cell = {"method": path.parts[-4], "dataset_id": path.parts[-3], "seed": path.parts[-2]}
    for key, folder in cell.items():
        if str(rec.get(key)) != folder:
            return f"names {key} {rec.get(key)!r} but lies in the folder of {folder!r}"
    for part in ("test", "train"):
        metrics = rec.get(f"{part}_metrics")
        if isinstance(metrics, dict):
            bad = {k: v for k, v in metrics.items()
                   if v is not None and not (isinstance(v, numbers.Real)
                                             and not isinstance(v, bool))}  # fmt: skip
            if bad:
                return f"has {part} metrics that are not numbers: {bad}"[:200]
    return None


def dataset_label(name, dataset_id) -> str:
    """``"name (id)"``, or the id alone when the name is missing or the same."""
    name, dataset_id = str(name or ""), str(dataset_id)
    return f"{name} ({dataset_id})" if name and name != dataset_id else dataset_id


def results_frame(results_dir, methods=None, datasets=None, seeds=None):
    """One row per experiment result: method, dataset, seed, task, timings, flattened metrics.

    Reads our records and the reference implementation's (:func:`from_reference`; ``format``
    says which). ``methods`` / ``datasets`` / ``seeds`` keep only those cells. Records of other
    kinds that share the tree (the interpretability benchmark's, under ``xai/``) are left out.
    A dataset name missing from a record (reference records have none) is taken from another
    record of the same dataset, so both formats share one label per dataset. A record that names
    another cell than the one it lies in (a copy), or holds a metric that is not a number, is
    left out with a warning naming the file: it would be counted in the wrong place, or break
    the means.
    """
    import pandas as pd

    keep = {
        "method": None if methods is None else {str(m) for m in methods},
        "dataset_id": None if datasets is None else {str(d) for d in datasets},
        "seed": None if seeds is None else {str(s) for s in seeds},
    }
    rows = []
    for path in find_results(results_dir):
        rec = read_result_or_none(path)
        if rec is None:
            continue
        if "method" not in rec:
            rec = from_reference(rec, path)
            if rec is None:
                continue
        missing = [k for k in ("dataset_id", "seed", "task") if k not in rec]
        if missing:
            log.warning("result file %s lacks %s; left out", path, missing)
            continue
        problem = _misplaced_or_not_numeric(rec, path)
        if problem:
            log.warning("result file %s %s; left out", path, problem)
            continue
        if any(allowed is not None and str(rec[key]) not in allowed
               for key, allowed in keep.items()):  # fmt: skip
            continue
        row = {
            "method": rec["method"],
            "dataset_id": str(rec["dataset_id"]),
            "dataset_name": rec.get("dataset_name"),
            "dataset": dataset_label(rec.get("dataset_name"), rec["dataset_id"]),
            "seed": rec["seed"],
            "task": rec["task"],
            "format": rec.get("format", "inn"),
            "device": rec.get("device"),
            "train_time_s": rec.get("train_time_s"),
            "inference_time_s": rec.get("inference_time_s"),
            "threads": rec.get("threads"),
        }
        for part in ("test", "train"):
            metrics = rec.get(f"{part}_metrics")
            row.update({f"{part}_{k}": v for k, v in (metrics if isinstance(metrics, dict) else {})
                        .items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        names = frame.dropna(subset=["dataset_name"]).groupby("dataset_id")["dataset_name"].first()
        frame["dataset_name"] = frame["dataset_name"].fillna(frame["dataset_id"].map(names))
        frame["dataset"] = [dataset_label(n if isinstance(n, str) else None, d)
                            for n, d in zip(frame["dataset_name"], frame["dataset_id"])]
    return frame
