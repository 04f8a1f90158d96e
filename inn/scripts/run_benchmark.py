"""Run a benchmark suite: every (dataset, method, seed) cell through inn.experiment.run.

Finished cells are skipped, so rerunning the same command resumes after a crash or Ctrl-C;
failed cells are recorded (<cell>/error.json, <output_dir>/failures.jsonl) and retried on the
next run.  Ends with a dataset x method table of mean test AUROC and average ranks.

Examples:
  python run_benchmark.py --suite suites/quick.yaml
  python run_benchmark.py --datasets store --methods inn catboost --seeds 0 1 2
  python run_benchmark.py --datasets 31 54 --methods inn logistic_regression --set inn.nr_epochs=20
  python run_benchmark.py --datasets suite:99 --methods inn catboost --seeds 0 1 2 3 4 5 6 7 8 9 \\
      --executor ray --ray_address auto
  python run_benchmark.py --suite suites/quick.yaml --hpo_trials 20
"""

from __future__ import annotations

import argparse
import logging
import sys

from inn import cli, methods, threads
from inn.data import TEST_SIZE
from inn.settings import SETTINGS
from inn.validation import Real

threads.passive_openmp()  # before torch loads OpenMP (this process and the cells' workers)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=cli.plain_text(__doc__),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", help="YAML suite file (see suites/); flags below override it "
                                   "(default: none, the flags alone)")
    p.add_argument("--datasets", nargs="+",
                   help="OpenML ids / store keys, 'store' (every dataset in the store) or "
                        "'suite:<id>' (an OpenML suite, e.g. suite:99 = OpenML-CC18; network) "
                        "(default: the suite file's)")
    p.add_argument("--methods", nargs="+",
                   help=f"method names: {', '.join(methods.names())} (default: the suite "
                        "file's)")
    p.add_argument("--seeds", nargs="+", type=cli.seed, help="seeds (default: 0)")
    p.add_argument("--set", action="append", default=[], metavar="METHOD.PARAM=VALUE",
                   help="a hyperparameter for one method, e.g. inn.nr_epochs=20 (repeatable; "
                        "VALUE is read as YAML, 1e-3 as a number; default: none)")
    p.add_argument("--hpo_trials", type=cli.non_negative_int, default=None,
                   help="Optuna trials per cell on the validation split before the final run "
                        "(default: 0 = no HPO)")
    p.add_argument("--output_dir", default=None,
                   help="results tree (default: runs; the committed benchmark records are in "
                        "results)")
    p.add_argument("--data_dir", default=None,
                   help="dataset store folder (default: $INN_DATA_DIR, else ../shared/datasets "
                        "next to the repository, else OpenML)")
    p.add_argument("--test_split_size", type=cli.open_fraction, default=None,
                   help=f"share of rows held out for testing (default: {TEST_SIZE})")
    cli.add_setting_argument(p, "numeric_scaling", default=None, shown="the suite file's, else "
                             f"{SETTINGS['numeric_scaling'].default}")
    p.add_argument("--device", default=None, help="auto (default), cpu or cuda")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local process pool (default) or Ray tasks")
    p.add_argument("--n_workers", type=cli.positive_int, default=None,
                   help="cells at once (local: processes, default = cores; ray local "
                        "instance: its CPUs)")
    p.add_argument("--threads", type=cli.positive_int, default=None,
                   help="threads per cell for the local executor (default: cores // n_workers)")
    p.add_argument("--ray_address", default=None,
                   help="Ray cluster address for ray.init (e.g. auto, ray://head:10001); "
                        "default: start a local instance")
    p.add_argument("--num_cpus", type=Real(0).parse, default=None,
                   help="Ray CPUs per cell for every method (suite 'resources' set them per "
                        "method; default 1)")
    p.add_argument("--num_gpus", type=Real(0).parse, default=None,
                   help="Ray GPUs per cell for every method (default 0; > 0 runs on cuda)")
    p.add_argument("--skip_failed", action="store_true",
                   help="do not retry cells that failed before (default: retry them)")
    p.add_argument("--dry_run", action="store_true",
                   help="list the cells to run and exit (default: run them)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (default: a bar)")
    return p


def main(argv=None) -> int:
    from inn.suite import runner
    from inn.suite.config import build_suite, load_suite_file, parse_set

    args = build_parser().parse_args(argv)
    raw = load_suite_file(args.suite) if args.suite else {}
    set_params = parse_set(args.set)
    overrides = {
        "datasets": args.datasets, "methods": args.methods, "seeds": args.seeds,
        "hpo_trials": args.hpo_trials, "output_dir": args.output_dir, "data_dir": args.data_dir,
        "test_split_size": args.test_split_size, "numeric_scaling": args.numeric_scaling,
        "device": args.device,
        "set_params": set_params or None,
    }  # fmt: skip
    suite = build_suite(raw, overrides)
    for key, value in (("num_cpus", args.num_cpus), ("num_gpus", args.num_gpus)):
        if value is not None:
            suite.resources.setdefault("default", {})[key] = value
    cells, todo, skipped = runner.plan(suite, args.skip_failed)
    if args.dry_run:
        print(f"{len(cells)} cells, {len(todo)} to run, {len(skipped)} failed before "
              f"and skipped:")
        for cell in todo:
            print(f"  {cell.label()}")
        return 0
    try:
        stats = runner.run_suite(suite, executor=args.executor, n_workers=args.n_workers,
                                 threads=args.threads, ray_address=args.ray_address,
                                 skip_failed=args.skip_failed, progress=not args.quiet)
    except KeyboardInterrupt:
        print("interrupted: finished cells are saved; rerun the same command to resume",
              file=sys.stderr)
        return 130
    print(runner.summary(suite, stats))
    return 1 if stats["failed"] else 0


def entry() -> int:
    """The program: :func:`main` on the command line's arguments; the exit code."""
    from inn.suite.config import SuiteError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return main()
    except (SuiteError, ValueError, ImportError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(entry())
