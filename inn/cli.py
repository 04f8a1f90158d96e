"""Shared command-line plumbing for the experiment scripts: argument types, errors, output."""

from __future__ import annotations

import argparse
import inspect
import logging
import sys

from inn.data import VALIDATION_SIZE, DataFile, dataset_key
from inn.data.files import MODES, READERS
from inn.data.preprocessing import SCALINGS

DEFAULT_DATASET = 1510  # scikit-learn's bundled breast-cancer data: no network, no store


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def boolean(text: str) -> bool:
    """``true/false``, ``yes/no``, ``1/0`` (case-insensitive)."""
    value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(
        text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"must be true or false, got {text}")
    return value


def probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def open_fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def unit_fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _run_defaults() -> dict:
    """The defaults of :func:`inn.experiment.run`, so that the flags show them (no copy)."""
    from inn.experiment import run

    return {k: p.default for k, p in inspect.signature(run).parameters.items()}


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the experiment scripts; their defaults are :func:`inn.experiment.run`'s."""
    run = _run_defaults()
    parser.add_argument("--dataset_id", type=dataset_key, default=None,
                        help=f"OpenML dataset id or store key (default: {DEFAULT_DATASET}, "
                             "scikit-learn's breast-cancer data, which needs no network)")
    parser.add_argument("--data", default=None, metavar="FILE",
                        help=f"your own table instead of --dataset_id: a {' or '.join(READERS)} "
                             "file, whose stem names the dataset in the results (default: none)")
    parser.add_argument("--target", default=None,
                        help="the column of --data to predict; every other column is a feature "
                             "(required with --data; default: none)")
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="the task: with --data it sets it (default: inferred from the "
                             "target: text or few whole numbers -> classification, else "
                             "regression); with --dataset_id it asserts the dataset's task")
    parser.add_argument("--seed", type=non_negative_int, default=run["seed"],
                        help=f"seed of the split and the method (default: {run['seed']})")
    parser.add_argument("--test_split_size", type=open_fraction, default=run["test_split_size"],
                        help=f"share of rows held out for testing (default: "
                             f"{run['test_split_size']}); a further {VALIDATION_SIZE:.0%} of "
                             "the rest is the validation split".replace("%", "%%"))
    parser.add_argument("--output_dir", default=run["output_dir"],
                        help="root of the results tree <output_dir>/<method>/<dataset_id>/<seed>/"
                             f"output_info.json (default: {run['output_dir']})")
    parser.add_argument("--data_dir", default=None,
                        help="dataset store folder (default: $INN_DATA_DIR, else "
                             "../shared/datasets next to the repository, else OpenML)")
    parser.add_argument("--numeric_scaling", choices=SCALINGS, default=run["numeric_scaling"],
                        help="scaling of numeric columns in the encoded input; quantile suits "
                             f"heavy-tailed columns (default: {run['numeric_scaling']})")
    parser.add_argument("--device", default=run["device"],
                        help="auto (the networks use CUDA when available, TabNet the CPU), cpu "
                             f"or cuda (default: {run['device']})")
    parser.add_argument("--save_model", action=argparse.BooleanOptionalAction, default=None,
                        help="save the fitted model in model/ next to the result file (default: "
                             "yes for INN, no for the others)")
    parser.add_argument("--overwrite", action="store_true",
                        help="rerun even if the result file exists (default: skip)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress output (default: a progress bar)")


def dataset_source(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """The dataset the flags name: a :class:`~inn.data.DataFile` for ``--data``, else the
    ``--dataset_id``; a usage error (exit 2) for flags that do not go together."""
    if args.data is None:
        if args.target is not None:
            parser.error("--target needs --data (a store dataset has its target)")
        return DEFAULT_DATASET if args.dataset_id is None else args.dataset_id
    if args.dataset_id is not None:
        parser.error("give --data or --dataset_id, not both")
    if args.target is None:
        parser.error("--data needs --target (the column to predict)")
    return DataFile(args.data, args.target, args.mode)


def run_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`inn.experiment.run` given by the common flags."""
    names = ("test_split_size", "output_dir", "data_dir", "numeric_scaling", "device",
             "save_model", "overwrite", "quiet", "mode")  # fmt: skip
    return {name: getattr(args, name) for name in names}


# Estimator parameter -> argparse settings of its flag. The defaults are not here: every flag
# shows the estimator's default and passes nothing unless given, so the estimator's applies.
NETWORK_ARGUMENTS = {
    "nr_blocks": {"type": non_negative_int, "help": "residual blocks in the trunk"},
    "hidden_size": {"type": positive_int, "help": "trunk width"},
    "dropout_rate": {"type": probability, "help": "dropout"},
    "nr_epochs": {"type": positive_int, "help": "training epochs"},
    "batch_size": {"type": positive_int, "help": "rows per step"},
    "learning_rate": {"type": float, "help": "AdamW learning rate"},
    "weight_decay": {"type": non_negative_float, "help": "AdamW weight decay"},
    "nr_restarts": {"type": positive_int, "help": "number of cosine annealing cycles"},
    "scheduler_t_mult": {"type": positive_int, "help": "growth factor of each cosine cycle"},
    "augmentation_probability": {"type": probability,
                                 "help": "chance per batch of Mixup or CutMix (equal odds)"},
    "patience": {"type": positive_int,
                 "help": "early stopping patience (epochs) on the validation split"},
    "weight_norm": {"type": non_negative_float,
                    "help": "L1 coefficient on the per-row weights w(x)"},
    "bias": {"choices": ("global", "row"),
             "help": "one bias for all rows (global) or one emitted per row (row)"},
    "consistency_weight": {"type": non_negative_float,
                           "help": "weight of the coalition-consistency term (0 = off)"},
    "consistency_rows": {"type": unit_fraction,
                         "help": "share of each batch that gets the consistency term"},
    "shape_functions": {"type": boolean,
                        "help": "learn a piecewise-linear shape function per numeric column"},
    "additive_epochs": {"type": non_negative_int,
                        "help": "epochs of a first phase that fits the additive part only"},
    "global_lr_multiplier": {"type": positive_float,
                             "help": "learning-rate multiple of the parts shared by all rows"},
    "members": {"type": positive_int, "help": "ensemble members sharing the trunk"},
    "n_bins": {"type": non_negative_int,
               "help": "quantile bins per numeric column (piecewise-linear encoding)"},
    "robust": {"type": boolean,
               "help": "robust scaling and smooth clipping of numeric columns"},
}
# Estimator parameters the pipeline sets: --device, --seed, --quiet, and the validation split.
RUN_MANAGED = ("device", "random_state", "verbose", "early_stopping", "validation_fraction")
# Estimator parameters of DataFrame input: the pipeline encodes the data itself (--numeric_scaling
# reaches every method) and saves INN with its encoder, whose settings they then are.
FRAME_PARAMETERS = ("categorical", "numeric_scaling", "max_categories")


def add_network_arguments(parser: argparse.ArgumentParser, estimators: dict) -> None:
    """One flag per parameter of the estimators (method name -> estimator class).

    Raises RuntimeError when :data:`NETWORK_ARGUMENTS` and the estimators' parameters differ,
    so a new estimator parameter cannot go without its flag.
    """
    defaults = {m: cls().get_params() for m, cls in estimators.items()}
    names = set().union(*defaults.values()) - set(RUN_MANAGED) - set(FRAME_PARAMETERS)
    if names != set(NETWORK_ARGUMENTS):
        raise RuntimeError("flags and estimator parameters differ: "
                           f"{sorted(names ^ set(NETWORK_ARGUMENTS))}")
    group = parser.add_argument_group("network hyperparameters (defaults are the estimators')")
    for name, spec in NETWORK_ARGUMENTS.items():
        owners = {m: d[name] for m, d in defaults.items() if name in d}
        if len(set(map(repr, owners.values()))) == 1:
            default = str(next(iter(owners.values())))
        else:
            default = ", ".join(f"{m} {v}" for m, v in owners.items())
        only = f"; {', '.join(owners)} only" if len(owners) < len(defaults) else ""
        group.add_argument(f"--{name}", default=argparse.SUPPRESS, **{
            **spec, "help": f"{spec['help']} (default: {default}{only})".replace("%", "%%")})


def network_params(parser, args: argparse.Namespace, method: str, estimators: dict) -> dict:
    """The network flags the user gave; a flag that ``method`` lacks is a usage error (exit 2)."""
    given = {name: getattr(args, name) for name in NETWORK_ARGUMENTS if hasattr(args, name)}
    allowed = estimators[method]().get_params()
    wrong = [f"--{name}" for name in given if name not in allowed]
    if wrong:
        parser.error(f"{', '.join(wrong)} is not a setting of {method}")
    return given


def report(record: dict, top: int = 10) -> None:
    """Print the headline metrics and the top global importances of a result."""
    if record.get("skipped"):
        print(f"result exists, skipped (use --overwrite to rerun): {record.get('path', '')}")
    m = record["test_metrics"]
    head = f"{record['method']} on {record['dataset_name']} ({record['dataset_id']}), "
    head += f"seed {record['seed']}: "
    if record["task"] == "regression":
        head += f"test RMSE {m['rmse']:.4f}, R2 {m['r2']:.4f}"
    else:
        head += f"test AUROC {m['auroc']:.4f}, accuracy {m['accuracy']:.4f}"
    head += f" (train {record['train_time_s']:.1f} s on {record['device']})"
    print(head)
    for key in ("sparsity", "bias_share"):
        if key in record:
            print(f"{key}: {record[key]:.3f}")
    imp = record.get("feature_importances")
    if imp:
        print(f"top features (global importance, sums to 1 over {len(imp)} features):")
        for name, value in list(imp.items())[:top]:
            print(f"  {value:7.4f}  {name}")
    if "path" in record:
        print(f"result: {record['path']}")


def main_guard(func) -> int:
    """Run ``func``; turn expected errors into one line on stderr and exit code 2."""
    from inn.data import DatasetError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        func()
    except KeyboardInterrupt:
        print("interrupted; no result file was written for the run in flight", file=sys.stderr)
        return 130
    except (DatasetError, ValueError, ImportError, FloatingPointError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
