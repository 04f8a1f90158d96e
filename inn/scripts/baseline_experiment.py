"""Train a registered method (a baseline: CatBoost, random forest, TabNet, EBM, logistic
regression, decision tree, ...) with its default settings on the same data, splits and seeds as
INN, and write its result file; ``--data FILE --target COLUMN`` trains it on your own CSV/parquet
file. INN and TabResNet take their hyperparameter flags in main_experiment.py (inn-train)."""

from __future__ import annotations

import argparse
import sys

from inn import cli, methods, threads

threads.passive_openmp()  # before torch loads OpenMP


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=cli.plain_text(__doc__))
    p.add_argument("--model", "--model_name", dest="model", required=True,
                   choices=methods.names(), metavar="NAME",
                   help="the method to train (required; --model_name is the reference "
                        "implementation's spelling, whose default was tabnet): "
                        + ", ".join(methods.names()))
    cli.add_common_arguments(p)
    return p


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    from inn.experiment import run

    record = run(args.model, cli.dataset_source(parser, args), args.seed,
                 **cli.run_options(args))
    cli.report(record)


def entry() -> int:
    """The program: :func:`main` on the command line's arguments; the exit code."""
    return cli.main_guard(main)


if __name__ == "__main__":
    sys.exit(entry())
