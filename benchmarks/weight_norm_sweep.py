"""INN's sparsity/accuracy trade-off: one run per (weight_norm, seed) through the pipeline.

Each ``weight_norm`` gets its own results tree, ``<output_dir>/weight_norm=<value>/`` (the tree
has no place for a hyperparameter), so finished runs are reused. Prints sparsity and test metric
per run; ``python -m plots.explanations --sweep_dir <output_dir>`` draws the trade-off figure
from these results.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import common

OUTPUT_DIR = "runs/weight_norm_sweep"


def sweep(dataset_id, weight_norms, output_dir=OUTPUT_DIR, *, seeds=(0,), params=None,
          **options) -> list[dict]:
    """Run INN once per (weight_norm, seed); ``options`` go to :func:`inn.experiment.run`.

    Returns the result records.
    """
    from inn.experiment import run

    records = []
    for wn in weight_norms:
        tree = Path(output_dir) / f"weight_norm={float(wn):g}"
        setting = {**(params or {}), "weight_norm": float(wn)}
        for seed in seeds:
            records.append(run("inn", dataset_id, seed, setting, output_dir=tree, quiet=True,
                               **options))
    return records


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dataset_id", default="1510",
                   help="OpenML id or store key (default: 1510)")
    p.add_argument("--weight_norms", type=float, nargs="+", default=[0.0, 0.01, 0.1, 1.0],
                   help="the weight_norm values (default: 0 0.01 0.1 1)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds (default: 0)")
    p.add_argument("--nr_epochs", type=int, default=None,
                   help="INN's training epochs (default: the estimator's)")
    p.add_argument("--output_dir", default=OUTPUT_DIR,
                   help=f"root of the per-weight_norm results trees (default: {OUTPUT_DIR})")
    p.add_argument("--data_dir", default=None,
                   help="dataset store folder (default: $INN_DATA_DIR, else ../shared/datasets)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto = cuda when available (default: auto)")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    params = {} if args.nr_epochs is None else {"nr_epochs": args.nr_epochs}
    records = sweep(args.dataset_id, args.weight_norms, args.output_dir, seeds=args.seeds,
                    params=params, data_dir=args.data_dir, device=args.device)
    rows = []
    for rec in records:
        metric = "r2" if rec["task"] == "regression" else "auroc"
        rows.append([rec["hyperparameters"]["weight_norm"], rec["seed"], rec["sparsity"],
                     f"{metric} {rec['test_metrics'][metric]:.4f}"])
    common.print_table(["weight_norm", "seed", "sparsity", "test metric"], rows)
    common.reproduce()


if __name__ == "__main__":
    main()
