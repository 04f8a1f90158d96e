"""Summed cell training time of one tiny suite through the local executor and through Ray.

Both runs use a fresh results folder, the same cells and the same number of cells at once
(``--n_workers``; Ray: a local instance with that many CPUs, 1 CPU per cell), so a Ray task that
trained with more threads than its CPUs (and so collapsed on a busy machine) would show here as
a larger summed train time ("summed train time of the finished cells", as the suite reports
it). The threads each network cell trained with (its result's ``threads``) are printed too.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import common


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--datasets", nargs="+", default=["37", "31"],
                   help="dataset ids (default: 37 31)")
    p.add_argument("--methods", nargs="+", default=["inn", "random_forest"],
                   help="methods (default: inn random_forest)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="seeds (default: 0)")
    p.add_argument("--n_workers", type=int, default=2,
                   help="cells at once in both executors (default: 2)")
    p.add_argument("--data_dir", default=None, help="dataset store (default: as the suite's)")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    from inn.results import results_frame
    from inn.suite import build_suite, runner

    rows, frames = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for executor in ("local", "ray"):
            out = Path(tmp) / executor
            suite = build_suite({"datasets": args.datasets, "methods": args.methods,
                                 "seeds": args.seeds, "output_dir": str(out),
                                 "data_dir": args.data_dir, "device": "cpu"})
            start = time.perf_counter()
            stats = runner.run_suite(suite, executor=executor, n_workers=args.n_workers,
                                     progress=False)
            wall = time.perf_counter() - start
            if stats["failed"]:
                raise SystemExit(f"error: {executor}: failed cells: {stats['failed']}")
            frame = results_frame(out)
            frames[executor] = frame
            rows.append([executor, wall, float(frame["train_time_s"].sum())])
    print(f"suite {' '.join(args.datasets)} x {' '.join(args.methods)} x seeds "
          f"{' '.join(map(str, args.seeds))}, {args.n_workers} cells at once, "
          f"{common.machine('cpu', threads=False)}")
    common.print_table(["executor", "wall s", "summed cell train s"], rows)
    local, ray = frames["local"], frames["ray"]
    merged = local.merge(ray, on=["method", "dataset_id", "seed"], suffixes=("_local", "_ray"))
    cells = [[f"{r.method} {r.dataset_id} {r.seed}", r.train_time_s_local, r.train_time_s_ray,
              _threads(r.threads_local), _threads(r.threads_ray)] for r in merged.itertuples()]
    common.print_table(["cell", "local train s", "ray train s", "local threads", "ray threads"],
                       cells)
    print(f"ray / local summed cell train time: {rows[1][2] / rows[0][2]:.2f}")
    common.reproduce()


def _threads(value) -> str:
    """A network cell's torch threads; ``-`` for the methods that do not record them."""
    return "-" if value is None or value != value else str(int(value))


if __name__ == "__main__":
    main()
