"""Accuracy cost of the INN variants on the dataset store: test AUROC (R²) per variant.

Each variant (named settings from ``inn.evaluation.explainers.INN_VARIANTS``) runs through the
one pipeline (``inn.experiment.run``) into ``<output_dir>/<variant>/inn/<dataset>/<seed>/``, so
finished cells are reused. Prints the dataset x variant table, the mean over classification
datasets and each variant's difference to ``plain`` (the original formulation).
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

import common

from inn.tasks import CLASSIFICATION_TASKS


def _cell(args):
    variant, dataset, seed, output_dir, device, threads = args
    import torch

    torch.set_num_threads(threads)
    from inn.evaluation.explainers import INN_VARIANTS
    from inn.experiment import run

    rec = run("inn", dataset, seed, dict(INN_VARIANTS[variant]),
              output_dir=os.path.join(output_dir, variant), device=device, quiet=True)
    metric = "r2" if rec["task"] == "regression" else "auroc"
    return variant, str(rec["dataset_id"]), seed, rec["task"], rec["test_metrics"][metric], \
        rec["train_time_s"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--variants", nargs="+", default=["plain", "global_bias", "default"],
                   help="INN variants (default: plain global_bias default)")
    p.add_argument("--datasets", nargs="+", default=None,
                   help="store keys (default: every classification dataset in the store)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                   help="seeds (default: 0 1 2)")
    p.add_argument("--output_dir", default="results/ablation_store",
                   help="root of the per-variant results trees (default: results/ablation_store)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto = cuda when available (default: auto)")
    p.add_argument("--n_workers", type=int, default=1, help="cells at once (default: 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads per cell (default: cores // n_workers)")
    return p


def main(argv=None) -> None:
    from inn.data import list_store, load_dataset

    args = build_parser().parse_args(argv)
    datasets = args.datasets
    if datasets is None:
        datasets = [k for k in list_store() if load_dataset(k).task in CLASSIFICATION_TASKS]
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.n_workers)
    cells = [(v, d, s, args.output_dir, args.device, threads)
             for d in datasets for s in args.seeds for v in args.variants]
    with ProcessPoolExecutor(args.n_workers) as pool:
        results = list(pool.map(_cell, cells))

    import pandas as pd

    frame = pd.DataFrame(results, columns=["variant", "dataset", "seed", "task", "score",
                                           "train_time_s"])
    table = frame.pivot_table(index="dataset", columns="variant", values="score", aggfunc="mean")
    table = table[args.variants]
    print(f"test score (AUROC; R² for regression), mean over seeds {args.seeds}:")
    common.print_table(["dataset", *args.variants],
                [[d, *(f"{table.loc[d, v]:.4f}" for v in args.variants)] for d in table.index])
    cls = frame[frame.task.isin(CLASSIFICATION_TASKS)]
    mean = cls.groupby("variant")["score"].mean()[args.variants]
    time = frame.groupby("variant")["train_time_s"].sum()[args.variants]
    print("\nclassification datasets:", cls.dataset.nunique())
    for v in args.variants:
        delta = f"{mean[v] - mean['plain']:+.4f}" if "plain" in mean else "n/a"
        print(f"  {v:12s} mean AUROC {mean[v]:.4f}  (vs plain {delta})  "
              f"total train time {time[v]:.0f} s")
    common.reproduce()


if __name__ == "__main__":
    main()
