"""The thread policy: how many compute threads a fit uses, and how idle OpenMP threads wait.

Measured on the 2-core development machine (docs/performance.md, "Threads"): torch's OpenMP
threads spin while they wait for work, so a run with as many threads as cores collapses when
another process is busy on one of them (main_experiment.py on credit-g: 74-108 s instead of
11-22 s). One thread, or idle threads that sleep (``OMP_WAIT_POLICY=PASSIVE``), avoids it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


def passive_openmp() -> None:
    """Let idle OpenMP threads sleep instead of spin, unless ``OMP_WAIT_POLICY`` is set already.

    OpenMP reads the variable when torch loads it, so the scripts call this before anything
    imports torch; in a process where torch is loaded it has no effect on that process.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_threads(n_jobs: int | None) -> int:
    """Threads for ``n_jobs`` (scikit-learn's convention): a positive count as given, ``None``
    1, ``-1`` every core this process may use, ``-2`` all but one, ..."""
    if n_jobs is None:
        return 1
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, available_cores() + 1 + int(n_jobs))


@contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` torch threads; the caller's count is back afterwards."""
    import torch

    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
