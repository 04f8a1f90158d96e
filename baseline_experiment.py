"""Train a baseline (CatBoost, random forest, TabNet, EBM, logistic regression, decision tree)
on the same data, splits and seeds as INN, and write its result file."""

from __future__ import annotations

import argparse
import sys

from inn import cli

MODELS = ("catboost", "random_forest", "tabnet", "ebm", "logistic_regression", "decision_tree")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True, choices=MODELS, help="the baseline to train")
    p.add_argument("--n_jobs", type=cli.positive_int, default=None,
                   help="threads for the baseline (default: all cores)")
    p.add_argument("--device", default="auto", help="device for TabNet: auto, cpu, cuda")
    cli.add_common_arguments(p)
    cli.show_defaults(p)
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    from inn.experiment import run

    params = {}
    if args.model == "tabnet" and args.device != "auto":
        params["device_name"] = args.device
    record = run(
        args.model, args.dataset_id, args.seed, params,
        test_split_size=args.test_split_size, output_dir=args.output_dir,
        data_dir=args.data_dir, overwrite=args.overwrite, quiet=args.quiet,
        numeric_scaling=args.numeric_scaling, n_jobs=args.n_jobs,
    )  # fmt: skip
    cli.report(record)


if __name__ == "__main__":
    sys.exit(cli.main_guard(main))
