"""Training time with the machine idle and busy, for each thread setting.

"Busy" is one CPU-bound process beside the run (a Python loop, started here and stopped after
each run), as when other jobs share the cores. Each setting (torch threads
``--n_jobs``, and ``OMP_WAIT_POLICY``, which must be set before torch starts OpenMP and so is set
in the environment of a fresh process; ``unset`` is OpenMP's own default, spinning for a while
before sleeping, which the scripts replace by ``PASSIVE`` unless told otherwise) runs as its own
process:

* ``main31``: ``main_experiment.py --dataset_id 31`` (INN with default settings on credit-g);
  the figure is the run's ``train_time_s``.
* ``throughput``: ``benchmarks/train_throughput.py`` (INN default, 48,000 x 100, batch 256);
  the figure is seconds per epoch.

The load average before each run is printed: other people's jobs make "idle" less idle.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

ROOT = common.ROOT


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--targets", nargs="+", choices=("main31", "throughput"),
                   default=["main31", "throughput"], help="what to time (default: both)")
    p.add_argument("--n_jobs", nargs="+", type=int, default=[1, 2],
                   help="torch thread counts to try (default: 1 2)")
    p.add_argument("--wait_policies", nargs="+", default=["unset", "passive"],
                   help="OMP_WAIT_POLICY values; 'unset': OpenMP's default (default: unset "
                        "passive)")
    p.add_argument("--nr_epochs", type=int, default=2,
                   help="throughput: epochs per fit (default: 2)")
    p.add_argument("--repeats", type=int, default=1,
                   help="runs per cell; the fastest counts (default: 1)")
    p.add_argument("--timeout", type=float, default=600,
                   help="seconds before a run is stopped and reported as such (default: 600)")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    rows = []
    for target in args.targets:
        for n_jobs in args.n_jobs:
            for policy in args.wait_policies:
                times, loads = {}, {}
                for state in ("idle", "busy"):
                    best, load = float("inf"), os.getloadavg()[0]
                    for _ in range(args.repeats):
                        best = min(best, _timed(target, n_jobs, policy, state == "busy", args))
                    times[state], loads[state] = best, load
                rows.append([target, n_jobs, policy, times["idle"], times["busy"],
                             times["busy"] / times["idle"], f"{loads['idle']:.1f}",
                             f"{loads['busy']:.1f}"])
                print(f"  {target} n_jobs={n_jobs} {policy}: idle {times['idle']:.2f}, busy "
                      f"{times['busy']:.2f}", file=sys.stderr, flush=True)
    unit = {"main31": "train s", "throughput": "s/epoch"}
    print(f"idle vs busy (one CPU-bound process beside the run), "
          f"{common.machine('cpu', threads=False)}; "
          f"figures: main31 = train_time_s of main_experiment.py --dataset_id 31, throughput = "
          f"s/epoch of train_throughput.py --methods inn ({args.nr_epochs} epochs)")
    common.print_table(["target", "n_jobs", "OMP_WAIT_POLICY", "idle", "busy", "busy / idle",
                        "load idle", "load busy"],
                       [[r[0] + f" ({unit[r[0]]})", *r[1:]] for r in rows])
    common.reproduce()


def _timed(target: str, n_jobs: int, policy: str, busy: bool, args) -> float:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    # an empty value is OpenMP's default, and keeps the scripts from setting PASSIVE
    env["OMP_WAIT_POLICY"] = "" if policy == "unset" else policy
    hog = None
    if busy:
        # CPU-bound until this process is gone (so a stopped benchmark leaves no hog behind)
        hog = subprocess.Popen([sys.executable, "-c",
                                f"import os\nwhile os.getppid() == {os.getpid()}: pass"])
        time.sleep(0.5)
    try:
        with tempfile.TemporaryDirectory() as out:
            if target == "main31":
                cmd = [sys.executable, str(ROOT / "main_experiment.py"), "--dataset_id", "31",
                       "--n_jobs", str(n_jobs), "--output_dir", out, "--quiet",
                       "--no-save_model"]
            else:
                cmd = [sys.executable, str(ROOT / "benchmarks" / "train_throughput.py"),
                       "--methods", "inn", "--nr_epochs", str(args.nr_epochs), "--repeats", "1",
                       "--n_jobs", str(n_jobs), "--device", "cpu"]
            try:
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                      timeout=args.timeout, cwd=ROOT)
            except subprocess.TimeoutExpired:
                return float("inf")
            if proc.returncode != 0:
                raise SystemExit(f"error: {' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
            if target == "main31":
                path = next(Path(out).rglob("output_info.json"))
                return float(json.loads(path.read_text())["train_time_s"])
            match = re.search(r"^inn: ([\d.]+) s/epoch", proc.stdout, re.M)
            if match is None:
                raise SystemExit(f"error: no s/epoch in the output of {' '.join(cmd)}")
            return float(match.group(1))
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


if __name__ == "__main__":
    main()
