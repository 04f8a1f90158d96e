"""Where cells run: a local process pool, or Ray tasks (a local instance or a cluster).

Local pool
    ``n_workers`` processes (default: the cores this process may use), each limited to
    ``threads = cores // n_workers`` compute threads (torch, OpenMP/BLAS, and ``n_jobs`` of the
    baselines) so that concurrent cells do not oversubscribe the cores.  Workers write their
    results themselves, as soon as a cell finishes.  At most ``n_workers`` cells are in flight:
    a worker that dies (out of memory, segfault) fails only those cells, and the pool is rebuilt
    for the rest.  Workers die with the driver (:func:`die_with_parent`), so a killed run leaves
    no idle worker holding memory.

Ray
    Each cell is a Ray task with the CPU/GPU request of its method (``resources`` in the suite;
    default 1 CPU, no GPU) and as many threads as CPUs requested, set as in the local pool: in
    the environment its worker process starts with (the task's ``runtime_env``) and for torch
    inside the task.  The task returns the record and
    the driver writes it, so the workers need no shared file system for results (they do need the
    ``inn`` package and the datasets: the store folder or OpenML).  A record made through Ray
    names the node that ran it (``executor``); a cell lost with its node fails and runs again on
    the next run, like any failed cell.

On Ctrl-C / SIGTERM the cells in flight are abandoned (their workers stopped) and nothing else
is lost: every finished cell is already in the results tree.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from inn.suite.cell import CellOptions, execute_cell, failure_outcome, set_threads, thread_env
from inn.suite.config import Cell, Suite
from inn.threads import available_cores

log = logging.getLogger("inn.suite")

REPO_ROOT = Path(__file__).resolve().parents[2]


def _options(suite: Suite, threads: int, device: str | None = None) -> CellOptions:
    return CellOptions(output_dir=suite.output_dir, data_dir=suite.data_dir,
                       test_split_size=suite.test_split_size,
                       numeric_scaling=suite.numeric_scaling, device=device or suite.device,
                       params=suite.params, hpo_trials=suite.hpo_trials, threads=threads)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


def _raise_terminated(signum, frame):
    raise _Terminated()


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """End this (worker) process when ``parent_pid`` dies, however it dies (``kill -9``
    included), so that no worker outlives its driver.

    On Linux the kernel sends SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere a daemon thread polls the parent pid. A parent that died before this call is
    caught by the pid check.
    """
    armed = False
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:  # already orphaned
        os._exit(1)
    if not armed:
        import threading

        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _worker_init(threads: int, parent_pid: int) -> None:
    die_with_parent(parent_pid)
    # Ctrl-C goes to the whole process group: the driver decides, workers ignore it.  SIGTERM
    # (sent by the driver when it stops) raises, so temporary files are cleaned up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(143))
    set_threads(threads)


def _pool_call(cell: Cell, opts: CellOptions) -> dict:
    return execute_cell(cell, opts, write=True)


def _always(cell: Cell) -> bool:
    return True


def run_local(todo: list[Cell], suite: Suite, on_outcome: Callable, *,
              n_workers: int | None = None, threads: int | None = None,
              claim: Callable[[Cell], bool] = _always) -> None:
    """Run ``todo`` in a local process pool; ``claim(cell)`` is asked just before a cell starts
    and a cell it refuses (another run has it) is left out."""
    cores = available_cores()
    n_workers = max(1, min(n_workers or cores, len(todo)))
    threads = threads or max(1, cores // n_workers)
    log.info("local executor: %d worker(s) x %d thread(s) on %d cores", n_workers, threads, cores)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if n_workers == 1:
            set_threads(threads)
            opts = _options(suite, threads)
            for cell in todo:
                if claim(cell):
                    on_outcome(execute_cell(cell, opts, write=True), True)
            return
        _run_pool(todo, suite, on_outcome, n_workers, threads, claim)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_pool(todo, suite, on_outcome, n_workers: int, threads: int, claim) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    opts = _options(suite, threads)
    # spawned workers read these before importing numpy / torch
    os.environ.update(thread_env(threads))
    queue = list(reversed(todo))
    ctx = mp.get_context("spawn")

    def new_pool():
        return ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx,
                                   initializer=_worker_init, initargs=(threads, os.getpid()))

    pool = new_pool()
    in_flight: dict = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < n_workers:
                cell = queue.pop()
                if claim(cell):
                    in_flight[pool.submit(_pool_call, cell, opts)] = cell
            if not in_flight:
                break
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                cell = in_flight.pop(future)
                try:
                    on_outcome(future.result(), True)
                except BrokenProcessPool as err:
                    broken = True
                    on_outcome(failure_outcome(cell, RuntimeError(
                        f"worker process died while running this cell ({err}); "
                        "out of memory or a crash in native code?")), True)
            if broken:
                for cell in list(in_flight.values()):
                    on_outcome(failure_outcome(cell, RuntimeError(
                        "worker pool broke while this cell was running")), True)
                in_flight.clear()
                _stop_pool(pool)
                pool = new_pool()
    except KeyboardInterrupt:
        log.warning("interrupted: stopping %d cell(s) in flight", len(in_flight))
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _stop_pool(pool) -> None:
    """Stop the pool's worker processes (only the ones this pool started)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)


# ----------------------------------------------------------------------------------------------
# Ray
# ----------------------------------------------------------------------------------------------


def _ray_call(cell: Cell, opts: CellOptions) -> dict:
    """Run the cell in a Ray task and say where: the record (and the outcome) get ``executor``,
    ``{"kind": "ray", "node_id": ..., "worker": "host:pid"}``, since the nodes of a cluster can
    share a host name."""
    import ray

    outcome = execute_cell(cell, opts, write=False)
    outcome["executor"] = {"kind": "ray", "node_id": ray.get_runtime_context().get_node_id(),
                           "worker": outcome["worker"]}
    if outcome["record"] is not None:
        outcome["record"]["executor"] = outcome["executor"]
    return outcome


def init_ray(address: str | None, n_workers: int | None = None) -> None:
    """Connect to ``address`` (e.g. ``auto`` or ``ray://head:10001``) or start a local instance."""
    try:
        import ray
    except ImportError as err:
        raise ImportError(f"--executor ray needs the ray package ({err})") from None
    if ray.is_initialized():
        return
    # A local instance's workers import inn from this checkout; on a cluster the nodes need the
    # package installed (or a runtime_env of your own, set through RAY_RUNTIME_ENV_* / ray start).
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    runtime_env = {"env_vars": {"PYTHONPATH": pythonpath}}
    if address is None:
        ray.init(num_cpus=n_workers or available_cores(), include_dashboard=False,
                 log_to_driver=False, runtime_env=runtime_env)
    else:
        ray.init(address=address, log_to_driver=False)


def run_ray(todo: list[Cell], suite: Suite, on_outcome: Callable, *, address: str | None = None,
            n_workers: int | None = None, claim: Callable[[Cell], bool] = _always) -> None:
    """Run ``todo`` as Ray tasks; the cells ``claim`` refuses are left out (all are claimed
    when they are submitted, at the start)."""
    import ray

    started_here = not ray.is_initialized()
    init_ray(address, n_workers)
    remote = ray.remote(_ray_call)
    refs: dict = {}
    for cell in todo:
        if not claim(cell):
            continue
        res = suite.resources_for(cell.method)
        num_cpus, num_gpus = float(res["num_cpus"]), float(res["num_gpus"])
        threads = max(1, int(num_cpus))
        device = "cuda" if num_gpus > 0 else suite.device
        opts = _options(suite, threads, device)
        # Ray keeps a worker pool per runtime_env, so cells of one thread count share workers
        ref = remote.options(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0,
                             runtime_env={"env_vars": thread_env(threads)},
                             name=f"cell:{cell.label()}").remote(cell, opts)
        refs[ref] = cell
    log.info("ray executor: %d task(s) submitted (cluster resources: %s)", len(refs),
             ray.cluster_resources())
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=None)
            for ref in ready:
                cell = refs[ref]
                try:
                    outcome = ray.get(ref)
                except Exception as err:  # task or worker died
                    outcome = failure_outcome(cell, err)
                on_outcome(outcome, False)
    except KeyboardInterrupt:
        log.warning("interrupted: cancelling %d Ray task(s)", len(pending))
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # already finished or gone
                pass
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if started_here:
            ray.shutdown()
