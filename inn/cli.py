"""Shared command-line plumbing for the experiment scripts: argument types, errors, output."""

from __future__ import annotations

import argparse
import logging
import sys


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


def dataset_key(text: str):
    """OpenML ids are ints; store keys without an id (e.g. ``hitters``) stay strings."""
    return int(text) if text.isdigit() else text


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every experiment script."""
    parser.add_argument("--dataset_id", type=dataset_key, default=1510,
                        help="OpenML dataset id or store key (default: 1510, scikit-learn's "
                             "breast-cancer data, which needs no network)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the split and the method (default: 0)")
    parser.add_argument("--test_split_size", type=open_fraction, default=0.2,
                        help="share of rows held out for testing (default: 0.2); a further 20%% "
                             "of the rest is the validation split")
    parser.add_argument("--output_dir", default="results",
                        help="root of the results tree <output_dir>/<method>/<dataset_id>/<seed>/"
                             "output_info.json (default: results)")
    parser.add_argument("--data_dir", default=None,
                        help="dataset store folder (default: $INN_DATA_DIR, else "
                             "../shared/datasets next to the repository, else OpenML)")
    parser.add_argument("--numeric_scaling", choices=("standard", "quantile"), default="standard",
                        help="scaling of numeric columns in the encoded input; quantile suits "
                             "heavy-tailed columns (default: standard)")
    parser.add_argument("--overwrite", action="store_true",
                        help="rerun even if the result file exists (default: skip)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")  # fmt: skip


def show_defaults(parser: argparse.ArgumentParser) -> None:
    """Append ``(default: X)`` to every help text that does not state its default already."""
    for action in parser._actions:
        if not action.help or "default" in action.help or action.default is None:
            continue
        if action.default is argparse.SUPPRESS or isinstance(action.default, bool):
            continue
        action.help += " (default: %(default)s)"


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
