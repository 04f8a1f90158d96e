"""One cell of a suite, run where an executor puts it: HPO (when asked), then the final run.

:func:`execute_cell` never raises on a cell's own errors: it returns an outcome that records
them, so one bad cell cannot stop the suite.
"""

from __future__ import annotations

import json
import os
import time
import traceback
import warnings
from dataclasses import dataclass

from inn.results import write_json_atomic
from inn.suite.config import Cell


@dataclass
class CellOptions:
    """Everything a worker needs to run a cell (picklable, sent to processes / Ray tasks)."""

    output_dir: str
    data_dir: str | None
    test_split_size: float
    numeric_scaling: str
    device: str
    params: dict
    hpo_trials: int
    threads: int


def thread_env(threads: int) -> dict[str, str]:
    """The environment that limits a new process's OpenMP/BLAS threads and lets idle OpenMP
    threads sleep (:mod:`inn.threads`); read when those libraries load, so it must be in place
    before the process imports numpy or torch."""
    env = {var: str(threads) for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                         "OPENBLAS_NUM_THREADS")}
    env["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY") or "PASSIVE"
    return env


def set_threads(threads: int) -> None:
    """Limit this process's compute threads (BLAS/OpenMP via env for late imports, and torch)."""
    os.environ.update(thread_env(threads))
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover - torch is a core dependency
        pass


def execute_cell(cell: Cell, opts: CellOptions, write: bool = True) -> dict:
    """Run one cell (HPO first when asked) and return its outcome; never raises on cell errors.

    With ``write`` the result (and ``hpo.json``) go to the results tree from here, as soon as the
    cell finishes; without it (Ray without a shared file system) the caller writes them from the
    returned outcome with :func:`inn.suite.runner.store_outcome`.
    """
    from inn.experiment import run

    start = time.perf_counter()
    outcome = {"cell": cell, "status": "ok", "record": None, "hpo": None, "error": None,
               "worker": f"{os.uname().nodename}:{os.getpid()}"}
    data = data_options(opts)
    try:
        set_threads(opts.threads)
        params = dict(opts.params.get(cell.method, {}))
        if opts.hpo_trials > 0:
            hpo = _load_hpo(cell, opts)
            if hpo is None:
                from inn.suite.hpo import HPO_FILE, optimise

                hpo = optimise(cell.method, cell.dataset_id, cell.seed, opts.hpo_trials,
                               fixed=params, device=opts.device, n_jobs=opts.threads, **data)
                if write:
                    write_json_atomic(hpo, cell.dir(opts.output_dir) / HPO_FILE)
            outcome["hpo"] = hpo
            params = dict(hpo["best_params"])
        with warnings.catch_warnings():
            # metrics renormalise float32 probabilities; scikit-learn still says so
            warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")
            # overwrite: the runner found no finished record of this (claimed) cell, and said why
            record = run(cell.method, cell.dataset_id, cell.seed, params,
                         output_dir=opts.output_dir if write else None, device=opts.device,
                         quiet=True, n_jobs=opts.threads, overwrite=True, **data)  # fmt: skip
        outcome["record"] = record
    except Exception as err:  # one bad cell must not stop the suite
        outcome["status"] = "failed"
        outcome["error"] = {
            "type": type(err).__name__,
            "message": str(err)[:2000],
            "traceback": traceback.format_exc()[-8000:],
        }
    outcome["elapsed_s"] = time.perf_counter() - start
    return outcome


def data_options(opts: CellOptions) -> dict:
    """How the cell's data are loaded and prepared (the same for HPO and the final run)."""
    return {"data_dir": opts.data_dir, "test_split_size": opts.test_split_size,
            "numeric_scaling": opts.numeric_scaling}


def _load_hpo(cell: Cell, opts: CellOptions) -> dict | None:
    from inn.suite.hpo import HPO_FILE

    path = cell.dir(opts.output_dir) / HPO_FILE
    if not path.is_file():
        return None
    try:
        hpo = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    # hpo.json files from before numeric_scaling was recorded were all made with "standard"
    found = {"n_trials": hpo.get("n_trials"), "test_split_size": hpo.get("test_split_size"),
             "numeric_scaling": hpo.get("numeric_scaling", "standard")}
    wanted = {"n_trials": opts.hpo_trials, "test_split_size": opts.test_split_size,
              "numeric_scaling": opts.numeric_scaling}
    return hpo if found == wanted else None


def failure_outcome(cell: Cell, err: BaseException, elapsed: float = 0.0) -> dict:
    """The outcome of a cell whose worker died or whose task could not run."""
    return {"cell": cell, "status": "failed", "record": None, "hpo": None, "elapsed_s": elapsed,
            "error": {"type": type(err).__name__, "message": str(err)[:2000] or repr(err),
                      "traceback": "".join(traceback.format_exception(err))[-8000:]}}
