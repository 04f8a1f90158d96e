"""Two results trees of the same cells side by side, per method: mean test AUROC (classification)
and R² (regression) over the (dataset, seed) cells both trees have, how many cells each wins,
and the summed training time. For example a suite run on a GPU against the committed CPU run:

    python benchmarks/compare_runs.py /tmp/gpu results --methods inn tabresnet
"""

from __future__ import annotations

import argparse

import common


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("new", help="results tree to compare, e.g. a scratch run (required)")
    p.add_argument("base", help="results tree it is compared with, e.g. results (required)")
    p.add_argument("--methods", nargs="+", default=None,
                   help="methods to compare (default: those in both trees)")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    from inn.results import results_frame

    new, base = results_frame(args.new, methods=args.methods), \
        results_frame(args.base, methods=args.methods)
    if new.empty or base.empty:
        raise SystemExit(f"error: no results in {args.new if new.empty else args.base}")
    keys = ["method", "dataset_id", "seed"]
    both = new.merge(base, on=keys, suffixes=("_new", "_base"))
    if both.empty:
        raise SystemExit("error: the two trees have no (method, dataset, seed) cell in common")
    rows = []
    for method, cells in both.groupby("method"):
        for metric in ("test_auroc", "test_r2"):
            if f"{metric}_new" not in cells or f"{metric}_base" not in cells:
                continue  # e.g. a tree of classification runs only
            part = cells.dropna(subset=[f"{metric}_new", f"{metric}_base"])
            if part.empty:
                continue
            a, b = part[f"{metric}_new"], part[f"{metric}_base"]
            rows.append([method, metric, len(part), part["dataset_id"].nunique(),
                         f"{a.mean():.4f}", f"{b.mean():.4f}", f"{a.mean() - b.mean():+.4f}",
                         int((a > b).sum()), int((a < b).sum())])
        rows.append([method, "train_time_s (summed)", len(cells), cells["dataset_id"].nunique(),
                     f"{cells['train_time_s_new'].sum():,.0f}",
                     f"{cells['train_time_s_base'].sum():,.0f}", "–", "–", "–"])
    print(f"new: {args.new} ({', '.join(sorted(set(both['device_new'].dropna())))}); "
          f"base: {args.base} ({', '.join(sorted(set(both['device_base'].dropna())))})")
    common.print_table(["method", "metric", "cells", "datasets", "new", "base", "new - base",
                        "new better", "base better"], rows)
    common.reproduce()


if __name__ == "__main__":
    main()
