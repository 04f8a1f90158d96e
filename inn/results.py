"""The results tree: ``<output_dir>/<method>/<dataset_id>/<seed>/output_info.json``.

A result file exists only when its run finished: it is written to a temporary file in the same
folder and renamed into place, so a killed run never leaves a partial ``output_info.json``. A
saved model (:data:`MODEL_DIR`) sits next to it and is renamed into place the same way.

This module is the one place that knows the layout: :func:`cell_dir` / :func:`result_path` say
where a cell lives, :func:`find_results` / :func:`load_results` / :func:`results_frame` read a
tree. The interpretability benchmark keeps its records in the same layout under
``<output_dir>/xai`` (benchmark in place of the dataset).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

RESULT_FILE = "output_info.json"
MODEL_DIR = "model"


def cell_dir(output_dir, method: str, dataset_id, seed) -> Path:
    """The folder of one (method, dataset, seed) cell."""
    return Path(output_dir) / str(method) / str(dataset_id) / str(seed)


def result_path(output_dir, method: str, dataset_id, seed) -> Path:
    """Where the result of one (method, dataset, seed) cell lives."""
    return cell_dir(output_dir, method, dataset_id, seed) / RESULT_FILE


def write_json_atomic(record: dict, path) -> Path:
    """Write ``record`` as JSON to ``path`` via a temporary file and an atomic rename."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(json.dumps(record, indent=2, allow_nan=True), path)


def write_text_atomic(text: str, path) -> Path:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_dir_atomic(path, write: Callable) -> Path:
    """Fill the folder ``path`` with ``write(folder)`` in a temporary folder, then rename it.

    A folder already at ``path`` is replaced; a failure leaves it as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    old = None
    try:
        write(tmp)
        if path.exists():
            old = path.with_name(f".{path.name}.{tmp.name}.old")
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


def read_result(path) -> dict:
    return json.loads(Path(path).read_text())


def find_results(results_dir, method=None, dataset_id=None, seed=None) -> list[Path]:
    """The result files under ``results_dir`` (sorted), optionally of one method/dataset/seed."""
    parts = ["*" if v is None else str(v) for v in (method, dataset_id, seed)]
    return sorted(Path(results_dir).glob("/".join([*parts, RESULT_FILE])))


def load_results(results_dir, method=None, dataset_id=None, seed=None) -> list[dict]:
    """The records of :func:`find_results`."""
    return [read_result(p) for p in find_results(results_dir, method, dataset_id, seed)]


def dataset_label(name, dataset_id) -> str:
    """``"name (id)"``, or the id alone when the name is missing or the same."""
    name, dataset_id = str(name or ""), str(dataset_id)
    return f"{name} ({dataset_id})" if name and name != dataset_id else dataset_id


def results_frame(results_dir, methods=None, datasets=None, seeds=None):
    """One row per experiment result: method, dataset, seed, task, timings, flattened metrics.

    ``methods`` / ``datasets`` / ``seeds`` keep only those cells. Records of other kinds that
    share the tree (the interpretability benchmark's, under ``xai/``) have no ``method`` and are
    left out.
    """
    import pandas as pd

    keep = {
        "method": None if methods is None else {str(m) for m in methods},
        "dataset_id": None if datasets is None else {str(d) for d in datasets},
        "seed": None if seeds is None else {str(s) for s in seeds},
    }
    rows = []
    for path in find_results(results_dir):
        rec = read_result(path)
        if "method" not in rec:
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
            "train_time_s": rec.get("train_time_s"),
            "inference_time_s": rec.get("inference_time_s"),
            "threads": rec.get("threads"),
        }
        row.update({f"test_{k}": v for k, v in rec.get("test_metrics", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)
