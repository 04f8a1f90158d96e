"""Run the cells of a suite: skip finished ones, record failures, report progress and a summary.

State lives in the results tree only, so a rerun resumes where a crash or Ctrl-C stopped:

* ``<cell>/output_info.json`` (written atomically by :func:`inn.experiment.run`): the cell is done
  and is never run again.
* ``<cell>/error.json``: the last failure of the cell (type, message, traceback).  A rerun retries
  the cell (unless ``skip_failed``) and removes the file when it succeeds.
* ``<output_dir>/failures.jsonl``: an append-only log of every failure, one JSON line each.
* ``<cell>/hpo.json``: with HPO, the best configuration and the trial history; a rerun whose cell
  has an ``hpo.json`` with the same number of trials reuses it instead of searching again.
* ``<cell>/.lock``: held while a run works on the cell (:mod:`inn.suite.locks`), so concurrent
  runs on one results tree share the cells instead of training them twice.

A result file counts as done only when it is its cell's finished record
(:func:`inn.results.record_problem`: complete, naming this cell, numeric metrics, and the split
the cell makes now). Anything else (a damaged file, ``{}``, a record copied from another cell, a
metric that is not a number) is reported in one log line and its cell runs again.
"""

from __future__ import annotations

import json
import logging
import os
import time

from inn.results import (
    check_output_dir,
    read_result_or_none,
    record_problem,
    result_path,
    results_frame,
    write_json_atomic,
)
from inn.suite import locks
from inn.suite.config import Cell, Suite

log = logging.getLogger("inn.suite")

ERROR_FILE = "error.json"
FAILURES_LOG = "failures.jsonl"


class CellCheck:
    """Tells whether cells of ``suite`` are done (:meth:`problem`). The split a cell makes is
    computed from its dataset, loaded once and only for cells that have a record to check."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self._targets: dict = {}
        self._fingerprints: dict = {}

    def problem(self, cell: Cell) -> str | None:
        """``None`` when the cell's result file is its finished record, else why not
        (``"no result file"`` when it has none)."""
        path = result_path(self.suite.output_dir, cell.method, cell.dataset_id, cell.seed)
        if not path.is_file():
            return "no result file"
        record = read_result_or_none(path)  # a damaged file is reported there
        if record is None:
            return "unreadable"
        size = self.suite.test_split_size
        found = record_problem(record, cell.method, cell.dataset_id, cell.seed,
                               test_split_size=size)
        if found is None:
            found = record_problem(record, cell.method, cell.dataset_id, cell.seed,
                                   split_fingerprint=self.fingerprint(cell.dataset_id, cell.seed))
        return found

    def fingerprint(self, dataset_id, seed: int) -> str | None:
        """The fingerprint of the split the cell makes now; ``None`` (logged once) when the
        dataset cannot be loaded, so the record's own checks decide."""
        from inn.data import DatasetError, make_splits
        from inn.data.loading import load_key

        if dataset_id not in self._targets:
            try:
                ds = load_key(dataset_id, self.suite.data_dir)  # normalised with the suite
                self._targets[dataset_id] = (ds.y, ds.task)
            except DatasetError as err:
                log.warning("the splits of the results of dataset %s cannot be checked: %s",
                            dataset_id, err)
                self._targets[dataset_id] = None
        target = self._targets[dataset_id]
        if target is None:
            return None
        if (dataset_id, seed) not in self._fingerprints:
            splits = make_splits(*target, seed=seed, test_size=self.suite.test_split_size)
            self._fingerprints[dataset_id, seed] = splits.fingerprint()
        return self._fingerprints[dataset_id, seed]


def cell_done(cell: Cell, output_dir, check: CellCheck | None = None) -> bool:
    """The cell's result file is its finished record (see :class:`CellCheck`; without ``check``
    the record's own checks only, not its split)."""
    if check is not None:
        return check.problem(cell) is None
    path = result_path(output_dir, cell.method, cell.dataset_id, cell.seed)
    record = read_result_or_none(path) if path.is_file() else None
    return record is not None and record_problem(record, cell.method, cell.dataset_id,
                                                 cell.seed) is None


def cell_failed(cell: Cell, output_dir) -> bool:
    return (cell.dir(output_dir) / ERROR_FILE).is_file()


def store_outcome(outcome: dict, output_dir, written: bool) -> None:
    """Write what the worker did not (``written=False``), then error.json / failures.jsonl."""
    from inn.suite.hpo import HPO_FILE

    cell: Cell = outcome["cell"]
    folder = cell.dir(output_dir)
    if not written and outcome.get("hpo") is not None:
        write_json_atomic(outcome["hpo"], folder / HPO_FILE)
    if outcome["status"] == "ok":
        if not written:
            record = dict(outcome["record"])
            write_json_atomic(record, result_path(output_dir, cell.method, cell.dataset_id,
                                                  cell.seed))
        (folder / ERROR_FILE).unlink(missing_ok=True)
        return
    entry = {"method": cell.method, "dataset_id": cell.dataset_id, "seed": cell.seed,
             **outcome["error"], "elapsed_s": outcome.get("elapsed_s"),
             "worker": outcome.get("worker"),
             "failed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_json_atomic(entry, folder / ERROR_FILE)
    line = {k: v for k, v in entry.items() if k != "traceback"}
    with open(os.path.join(output_dir, FAILURES_LOG), "a") as fh:
        fh.write(json.dumps(line) + "\n")


def plan(suite: Suite, skip_failed: bool = False,
         check: CellCheck | None = None) -> tuple[list[Cell], list[Cell], list[Cell]]:
    """(all cells, cells to run, cells skipped because they failed before and skip_failed).

    A result file that is not its cell's finished record is reported (one log line) and its cell
    is to run."""
    cells = suite.cells()
    check = check or CellCheck(suite)
    todo, skipped = [], []
    for cell in cells:
        problem = check.problem(cell)
        if problem is None:
            continue
        if problem not in ("no result file", "unreadable"):
            log.warning("%s is not a finished result of its cell (%s); the cell runs again",
                        result_path(suite.output_dir, cell.method, cell.dataset_id, cell.seed),
                        problem)
        if skip_failed and cell_failed(cell, suite.output_dir):
            skipped.append(cell)
        else:
            todo.append(cell)
    return cells, todo, skipped


def run_suite(suite: Suite, *, executor: str = "local", n_workers: int | None = None,
              threads: int | None = None, ray_address: str | None = None,
              skip_failed: bool = False, progress: bool = True) -> dict:
    """Run every missing cell of ``suite``; return counts, failures and the wall time."""
    from tqdm.auto import tqdm

    from inn.suite import executors

    start = time.perf_counter()
    check_output_dir(suite.output_dir)
    if executor == "local" and suite.device not in ("auto", "cpu"):
        from inn.estimators import resolve_device

        resolve_device(suite.device)  # one clear error now instead of one per cell
    os.makedirs(suite.output_dir, exist_ok=True)
    check = CellCheck(suite)
    cells, todo, skipped = plan(suite, skip_failed, check)
    n_done = len(cells) - len(todo) - len(skipped)
    log.info("suite %s: %d cells, %d done, %d to run%s", suite.name, len(cells), n_done,
             len(todo), f", {len(skipped)} failed before and skipped" if skipped else "")
    stats = {"cells": len(cells), "done_before": n_done, "ran": 0, "failed": [],
             "skipped_failed": [c.label() for c in skipped], "elsewhere": []}
    bar = tqdm(total=len(cells), initial=n_done, unit="cell", disable=not progress,
               dynamic_ncols=True, smoothing=0.05, desc=suite.name)
    held: dict[Cell, locks.CellLock] = {}

    def claim(cell: Cell) -> bool:
        """Lock the cell before it starts; False when another run has it or has finished it."""
        lock = locks.acquire(cell.dir(suite.output_dir))
        if lock is not None and cell_done(cell, suite.output_dir, check):
            lock.release()  # another run finished it after this one planned
            lock = None
        if lock is None:
            stats["elsewhere"].append(cell.label())
            bar.update(1)
            return False
        held[cell] = lock
        return True

    def on_outcome(outcome: dict, written: bool) -> None:
        try:
            store_outcome(outcome, suite.output_dir, written)
        finally:
            lock = held.pop(outcome["cell"], None)
            if lock is not None:
                lock.release()
        cell = outcome["cell"]
        stats["ran"] += 1
        if outcome["status"] != "ok":
            err = outcome["error"]
            stats["failed"].append(f"{cell.label()}: {err['type']}: {err['message'][:200]}")
            bar.write(f"FAILED {cell.label()}: {err['type']}: {err['message'][:200]}")
        bar.update(1)
        bar.set_postfix_str(f"last {cell.label()}, failed {len(stats['failed'])}",
                            refresh=False)

    try:
        if todo:
            if executor == "ray":
                executors.run_ray(todo, suite, on_outcome, address=ray_address,
                                  n_workers=n_workers, claim=claim)
            elif executor == "local":
                executors.run_local(todo, suite, on_outcome, n_workers=n_workers,
                                    threads=threads, claim=claim)
            else:
                raise ValueError(f"unknown executor {executor!r} (local or ray)")
    finally:
        for lock in held.values():  # cells abandoned on Ctrl-C: free them for the next run
            lock.release()
        bar.close()
        stats["wall_time_s"] = time.perf_counter() - start
    if stats["elsewhere"]:
        log.info("%d cell(s) were taken by another run on %s", len(stats["elsewhere"]),
                 suite.output_dir)
    return stats


# ----------------------------------------------------------------------------------------------
# summary
# ----------------------------------------------------------------------------------------------


def collect(suite: Suite):
    """One row per finished cell of the suite (not the whole results tree)."""
    frame = results_frame(suite.output_dir, methods=suite.methods, datasets=suite.datasets,
                          seeds=suite.seeds)  # fmt: skip
    if frame.empty:
        return frame
    for metric in ("test_auroc", "test_rmse"):  # a tree with one task lacks the other's column
        if metric not in frame:
            frame[metric] = float("nan")
    order = {str(d): i for i, d in enumerate(suite.datasets)}  # the suite's dataset order
    return frame.sort_values("dataset_id", key=lambda col: col.map(order), kind="stable")


def summary(suite: Suite, stats: dict | None = None) -> str:
    """Dataset x method mean test AUROC (RMSE for regression), average ranks and total time."""
    frame = collect(suite)
    lines = [f"suite {suite.name}: {len(frame)}/{len(suite.cells())} cells finished "
             f"({len(suite.datasets)} datasets x {len(suite.methods)} methods x "
             f"{len(suite.seeds)} seeds) in {suite.output_dir}"]
    if frame.empty:
        return "\n".join(lines + ["no results yet"])
    for metric, higher, title in (("test_auroc", True, "mean test AUROC"),
                                  ("test_rmse", False, "mean test RMSE")):
        part = frame[frame[metric].notna()]
        if part.empty:
            continue
        lines += ["", _table(part, suite, metric, higher, title)]
    total_train = float(frame["train_time_s"].fillna(0).sum())
    lines.append("")
    lines.append(f"summed train time of the finished cells: {_hms(total_train)}")
    if stats is not None:
        elsewhere = len(stats.get("elsewhere", []))
        lines.append(f"this run: {stats['ran']} cells run, {len(stats['failed'])} failed, "
                     f"{stats['done_before']} already done"
                     + (f", {elsewhere} run or finished by another run at the same time"
                        if elsewhere else "")
                     + f"; wall time {_hms(stats['wall_time_s'])}")
        for failure in stats["failed"][:20]:
            lines.append(f"  failed: {failure}")
        if len(stats["failed"]) > 20:
            lines.append(f"  ... and {len(stats['failed']) - 20} more "
                         f"(see {os.path.join(suite.output_dir, FAILURES_LOG)})")
    return "\n".join(lines)


def _table(part, suite: Suite, metric: str, higher: bool, title: str) -> str:
    n_seeds = len(suite.seeds)
    grouped = part.groupby(["dataset", "method"])[metric]
    means = grouped.mean().unstack("method")
    counts = grouped.count().unstack("method")
    methods = [m for m in suite.methods if m in means.columns]
    order = [d for d in dict.fromkeys(part["dataset"]) if d in means.index]
    means, counts = means.loc[order, methods], counts.loc[order, methods]
    ranks = means.rank(axis=1, ascending=not higher, method="average")
    complete = means.notna().all(axis=1)
    avg_rank = ranks[complete].mean(axis=0)
    width = max(12, *(len(m) for m in methods))
    name_w = max(len("average rank"), *(len(str(d)) for d in means.index))
    out = [f"{title} over seeds ({'higher' if higher else 'lower'} is better; "
           f"* = fewer than {n_seeds} seeds)"]
    out.append(f"{'dataset':<{name_w}}  " + "  ".join(f"{m:>{width}}" for m in methods))
    for dataset, row in means.iterrows():
        cells = []
        for m in methods:
            value = row[m]
            if value != value:  # NaN
                cells.append(f"{'-':>{width}}")
            else:
                star = "*" if counts.loc[dataset, m] < n_seeds else " "
                cells.append(f"{value:>{width - 1}.4f}{star}")
        out.append(f"{str(dataset):<{name_w}}  " + "  ".join(cells))
    out.append(f"{'average rank':<{name_w}}  "
               + "  ".join(f"{avg_rank[m]:>{width}.2f}" if avg_rank[m] == avg_rank[m]
                           else f"{'-':>{width}}" for m in methods))
    out.append(f"(ranks over the {int(complete.sum())} datasets where every method finished; "
               f"1 = best)")
    return "\n".join(out)


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:d}:{m:02d}:{s:02d}"
