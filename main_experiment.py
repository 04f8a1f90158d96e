"""Train INN (``--interpretable``) or the TabResNet baseline on an OpenML dataset.

With no arguments it trains INN on the embedded breast-cancer data (OpenML 1510) and writes
``results/inn/1510/0/output_info.json``.
"""

from __future__ import annotations

import argparse
import sys

from inn import cli


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--interpretable", action=argparse.BooleanOptionalAction, default=True,
                   help="train INN (default); --no-interpretable trains the black-box TabResNet")
    p.add_argument("--nr_blocks", type=cli.non_negative_int, default=2,
                   help="residual blocks in the trunk")
    p.add_argument("--hidden_size", type=cli.positive_int, default=128, help="trunk width")
    p.add_argument("--nr_epochs", type=cli.positive_int, default=100, help="training epochs")
    p.add_argument("--batch_size", type=cli.positive_int, default=256, help="rows per step")
    p.add_argument("--learning_rate", type=float, default=1e-3, help="AdamW learning rate")
    p.add_argument("--augmentation_probability", type=cli.probability, default=0.0,
                   help="chance per batch of Mixup or CutMix")
    p.add_argument("--weight_decay", type=cli.non_negative_float, default=0.01,
                   help="AdamW weight decay")
    p.add_argument("--weight_norm", type=cli.non_negative_float, default=None,
                   help="L1 coefficient on the per-row weights w(x) (INN; default 0.1)")
    p.add_argument("--bias", choices=("global", "row"), default=None,
                   help="INN bias: one for all rows (global, default) or emitted per row (row)")
    p.add_argument("--consistency_weight", type=cli.non_negative_float, default=None,
                   help="INN coalition-consistency term weight (default 0.5; 0 = off)")
    p.add_argument("--scheduler_t_mult", type=cli.positive_int, default=2,
                   help="growth factor of each cosine cycle")
    p.add_argument("--nr_restarts", type=cli.positive_int, default=3,
                   help="number of cosine annealing cycles")
    p.add_argument("--dropout_rate", type=cli.probability, default=0.25, help="dropout")
    p.add_argument("--patience", type=cli.positive_int, default=20,
                   help="early stopping patience (epochs) on the validation split")
    p.add_argument("--mode", choices=("classification", "regression"), default=None,
                   help="assert the dataset's task (default: taken from the dataset)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda")
    cli.add_common_arguments(p)
    cli.show_defaults(p)
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    method = "inn" if args.interpretable else "tabresnet"
    params = {
        name: getattr(args, name)
        for name in ("nr_blocks", "hidden_size", "nr_epochs", "batch_size", "learning_rate",
                     "augmentation_probability", "weight_decay", "scheduler_t_mult",
                     "nr_restarts", "dropout_rate", "patience")
    }  # fmt: skip
    if method == "inn":
        for name in ("weight_norm", "bias", "consistency_weight"):
            if getattr(args, name) is not None:
                params[name] = getattr(args, name)
    from inn.experiment import run

    record = run(
        method, args.dataset_id, args.seed, params,
        test_split_size=args.test_split_size, output_dir=args.output_dir,
        data_dir=args.data_dir, device=args.device, mode=args.mode,
        overwrite=args.overwrite, quiet=args.quiet, numeric_scaling=args.numeric_scaling,
    )  # fmt: skip
    cli.report(record)


if __name__ == "__main__":
    sys.exit(cli.main_guard(main))
