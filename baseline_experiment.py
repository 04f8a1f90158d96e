"""Train a registered method (a baseline: CatBoost, random forest, TabNet, EBM, logistic
regression, decision tree, ...) with its default settings on the same data, splits and seeds as
INN, and write its result file; ``--data FILE --target COLUMN`` trains it on your own CSV/parquet
file. INN and TabResNet take their hyperparameter flags in main_experiment.py."""

from __future__ import annotations

import argparse
import sys

from inn import cli, methods


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True, choices=methods.names(),
                   help="the method to train (required): " + ", ".join(methods.names()))
    p.add_argument("--n_jobs", type=cli.positive_int, default=None,
                   help="threads for the method (default: all cores)")
    cli.add_common_arguments(p)
    return p


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    from inn.experiment import run

    record = run(args.model, cli.dataset_source(parser, args), args.seed, n_jobs=args.n_jobs,
                 **cli.run_options(args))
    cli.report(record)


if __name__ == "__main__":
    sys.exit(cli.main_guard(main))
