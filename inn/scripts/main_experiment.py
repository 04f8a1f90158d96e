"""Train INN (``--interpretable``) or the TabResNet baseline on an OpenML or store dataset, or
on your own CSV/parquet file (``--data FILE --target COLUMN``).

With no arguments it trains INN on the embedded breast-cancer data (OpenML 1510) and writes
``runs/inn/1510/0/output_info.json`` (``--output_dir`` chooses another tree; ``results/`` holds
the committed benchmark records).
"""

from __future__ import annotations

import argparse
import sys

from inn import cli, threads

threads.passive_openmp()  # before torch loads OpenMP

METHODS = {True: "inn", False: "tabresnet"}  # --interpretable -> method


def estimators() -> dict:
    """Method -> the estimator class whose parameters are this script's flags."""
    from inn import methods

    return {m: methods.get(m).model_class.estimator_class("binary") for m in METHODS.values()}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=cli.plain_text(__doc__))
    p.add_argument("--interpretable", action=argparse.BooleanOptionalAction, default=True,
                   help="train INN (default); --no-interpretable trains the black-box TabResNet")
    cli.add_common_arguments(p)
    cli.add_network_arguments(p, estimators())
    return p


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    method = METHODS[args.interpretable]
    params = cli.network_params(parser, args, method, estimators())
    from inn.experiment import run

    record = run(method, cli.dataset_source(parser, args), args.seed, params,
                 **cli.run_options(args))
    cli.report(record)


def entry() -> int:
    """The program: :func:`main` on the command line's arguments; the exit code."""
    return cli.main_guard(main)


if __name__ == "__main__":
    sys.exit(entry())
