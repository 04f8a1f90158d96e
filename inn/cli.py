"""Shared command-line plumbing for the experiment scripts: argument types, errors, output."""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import re
import sys

from inn import methods
from inn.data import VALIDATION_SIZE, DataFile
from inn.data.files import MODES, READERS
from inn.settings import SETTINGS
from inn.validation import SEED, Choice, Int, Threads

positive_int = Int(1).parse  # argparse types: an integer >= 1, an integer >= 0, a seed
non_negative_int = Int(0).parse
seed = SEED.parse
threads = Threads().parse  # a thread count: positive, or negative (-1 = all cores)

DEFAULT_DATASET = 1510  # scikit-learn's bundled breast-cancer data: no network, no store


def open_fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def _run_defaults() -> dict:
    """The defaults of :func:`inn.experiment.run`, so that the flags show them (no copy)."""
    from inn.experiment import run

    return {k: p.default for k, p in inspect.signature(run).parameters.items()}


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the experiment scripts; their defaults are :func:`inn.experiment.run`'s."""
    run = _run_defaults()
    # the text as given: inn.run normalises it (inn.data.dataset_key), once, before any work
    parser.add_argument("--dataset_id", default=None,
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
    parser.add_argument("--seed", type=seed, default=run["seed"],
                        help=f"seed of the split and the method; with --openml_task_id also "
                             f"the task's fold (default: {run['seed']})")
    parser.add_argument("--openml_task_id", type=positive_int, default=None,
                        help="train and test on this OpenML task's own split, fold --seed "
                             "(needs openml.org or its cache; --dataset_id and "
                             "--test_split_size are then unused; default: none, a seeded "
                             "split of --dataset_id)")
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
    add_setting_argument(parser, "numeric_scaling", default=run["numeric_scaling"])
    parser.add_argument("--device", default=run["device"],
                        help="auto (the networks use CUDA when available, TabNet the CPU), cpu "
                             f"or cuda (default: {run['device']})")
    parser.add_argument("--n_jobs", type=threads, default=None,
                        help="threads for the method; -1 = all cores (default: the method's: "
                             f"{SETTINGS['n_jobs'].default} for INN and TabResNet, all cores "
                             "for the baselines)")
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
             "n_jobs", "save_model", "overwrite", "quiet", "openml_task_id", "mode")  # fmt: skip
    return {name: getattr(args, name) for name in names}


# Estimator parameters the pipeline sets: --device, --n_jobs, --seed, --quiet, and the validation
# split.
RUN_MANAGED = ("device", "n_jobs", "random_state", "verbose", "early_stopping",
               "validation_fraction")
# Estimator parameters of DataFrame input: the pipeline encodes the data itself (--numeric_scaling
# reaches every method) and saves INN with its encoder, whose settings they then are.
FRAME_PARAMETERS = ("categorical", "numeric_scaling", "max_categories")


def add_setting_argument(parser, name: str, default=argparse.SUPPRESS, shown: str | None = None,
                         note: str = "") -> None:
    """The flag ``--name`` of the estimator setting ``name``: its help, its check (argparse
    ``type`` or ``choices``) and its default are those of :data:`inn.settings.SETTINGS`.

    ``default``: the value when the flag is absent, if the caller has one (by default none: the
    attribute is then missing and the estimator's default applies, which the help states);
    ``shown``: what the help says the default is, where that is not ``default``; ``note``:
    added after it.
    """
    setting = SETTINGS[name]
    spec = setting.spec
    kind = {"choices": spec.options} if isinstance(spec, Choice) else {"type": spec.parse}
    if shown is None:
        shown = setting.default if default is argparse.SUPPRESS else default
        if shown is None and getattr(spec, "auto", ""):
            shown = f"None, i.e. auto: {spec.auto}"
    parser.add_argument(f"--{name}", default=default, **kind,
                        help=f"{setting.help} (default: {shown}{note})".replace("%", "%%"))


def network_settings(estimators: dict) -> list[str]:
    """The settings of the estimators (method name -> class) that are hyperparameter flags: all
    but :data:`RUN_MANAGED` and :data:`FRAME_PARAMETERS`, in the order of the table.

    Raises RuntimeError for an estimator parameter that :data:`inn.settings.SETTINGS` lacks, so
    a new estimator parameter cannot go without its description.
    """
    params = set().union(*(cls().get_params() for cls in estimators.values()))
    missing = sorted(params - set(SETTINGS))
    if missing:
        raise RuntimeError(f"estimator parameters without an entry in inn.settings.SETTINGS: "
                           f"{missing}")
    skip = set(RUN_MANAGED) | set(FRAME_PARAMETERS)
    return [name for name in SETTINGS if name in params and name not in skip]


def add_network_arguments(parser: argparse.ArgumentParser, estimators: dict) -> None:
    """One flag per hyperparameter of the estimators (method name -> estimator class), made
    from :data:`inn.settings.SETTINGS`: each parses and checks its value with the setting's
    spec, shows its description and default, and passes nothing unless given, so the
    estimator's default applies."""
    group = parser.add_argument_group("network hyperparameters (defaults are the estimators')")
    for name in network_settings(estimators):
        owners = [m for m, cls in estimators.items() if name in cls().get_params()]
        only = f"; {', '.join(owners)} only" if len(owners) < len(estimators) else ""
        add_setting_argument(group, name, note=only)


def network_params(parser, args: argparse.Namespace, method: str, estimators: dict) -> dict:
    """The network flags the user gave; a flag that ``method`` lacks is a usage error (exit 2)."""
    given = {name: getattr(args, name) for name in network_settings(estimators)
             if hasattr(args, name)}
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
    method = record["method"]
    entry = methods.REGISTRY.get(method)
    if entry is not None and entry.label_for(record["task"]) != entry.label:
        method += f" ({entry.label_for(record['task'])})"  # logistic_regression fits Ridge here
    head = f"{method} on {record['dataset_name']} ({record['dataset_id']}), "
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


def main_guard(func, log_level: int | None = logging.INFO) -> int:
    """Run ``func``; turn expected errors into one line on stderr and exit code 2.

    ``log_level``: the level of the logging set up first (None: ``func`` sets it up).
    """
    from inn.data import DatasetError

    if log_level is not None:
        logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        func()
    except KeyboardInterrupt:
        print("interrupted; no result file was written for the run in flight", file=sys.stderr)
        return 130
    except (DatasetError, ValueError, ImportError, FloatingPointError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def prog(module: str) -> str:
    """The program name that ``--help`` shows for ``module`` (e.g. ``plots.report``): the
    console command that runs it (``inn-report``), else ``python -m module``."""
    command = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return command if command.startswith("inn-") else f"python -m {module}"


def plain_text(doc: str | None) -> str:
    """A docstring as ``--help`` shows it: reStructuredText markup removed (````code```` and
    ``:func:`name``` become ``code`` and ``name``; a ``::`` that opens a literal block becomes
    ``:``)."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", doc or "")
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"\1", text)
    return re.sub(r"(\S)::(\s*\n)", r"\1:\2", text)
