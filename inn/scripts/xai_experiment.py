"""Explanation benchmark: synthetic ground truth, real datasets, bias detection, INN ablation.

Examples::

    python xai_experiment.py --benchmark additive_binary_rho0.5 --seed 0 --output_dir results
    python xai_experiment.py --benchmark linear_regression_rho0 leak_1510 --seeds 0 1 2
    python xai_experiment.py --all --seeds 0 1 2            # the default suite
    python xai_experiment.py --rho_sweep --seeds 0 1 2      # every correlation rho (paper figure)
    python xai_experiment.py --table --seeds 0 1 2          # Markdown tables of the tree
    python xai_experiment.py --ablation --seeds 0 --fast    # INN variants x benchmarks
    python xai_experiment.py --ablation_table --seeds 0

Results: ``<output_dir>/xai/<benchmark>/<seed>/output_info.json`` and
``<output_dir>/xai_ablation/<benchmark>/<variant>/<seed>/output_info.json`` (atomic writes);
tables: ``<output_dir>/xai/table.md`` and ``<output_dir>/xai_ablation/table.md``. The runs,
their skip logic and the tables are in :mod:`inn.evaluation`; this script only reads flags.
"""

from __future__ import annotations

import argparse
import logging
import sys

from inn import cli
from inn.evaluation.explainers import EXPLAINERS, INN_VARIANTS
from inn.evaluation.runner import (
    ABLATION_SUITE,
    ABLATION_VARIANTS,
    DEFAULT_SUITE,
    XAIConfig,
    check_benchmark,
)
from inn.evaluation.synthetic import RHOS, SYNTHETIC_TASKS, TARGETS, all_benchmarks
from inn.results import BENCHMARK_DIR, RUNS_DIR, check_output_dir

SIZES = ("n_train", "nr_epochs", "n_explain", "n_slow")  # XAIConfig fields with a flag
RHO_SWEEP_TARGETS = ("linear", "additive", "piecewise")  # the additive targets of XAI-Bench


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=cli.plain_text(__doc__),
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--benchmark", nargs="+", default=[],
                   help="benchmark names, see --list (default: none)")
    p.add_argument("--all", action="store_true",
                   help=f"run the default suite of {len(DEFAULT_SUITE)} benchmarks (default: off)")
    p.add_argument("--every_synthetic", action="store_true",
                   help=f"run all {len(all_benchmarks())} synthetic benchmarks (default: off)")
    p.add_argument("--rho_sweep", action="store_true",
                   help="run the --targets x --tasks benchmarks at every --rhos value, for the "
                        "metrics-against-rho figure of plots.paper (default: off)")
    p.add_argument("--targets", nargs="+", choices=TARGETS, default=list(RHO_SWEEP_TARGETS),
                   help=f"targets of --rho_sweep (default: {' '.join(RHO_SWEEP_TARGETS)})")
    p.add_argument("--tasks", nargs="+", choices=SYNTHETIC_TASKS, default=list(SYNTHETIC_TASKS),
                   help=f"tasks of --rho_sweep (default: {' '.join(SYNTHETIC_TASKS)})")
    p.add_argument("--rhos", nargs="+", type=float, choices=RHOS, default=list(RHOS),
                   help="feature correlations of --rho_sweep (default: "
                        f"{' '.join(f'{r:g}' for r in RHOS)})")
    p.add_argument("--seed", type=cli.seed, default=None, help="one seed (default: 0)")
    p.add_argument("--seeds", type=cli.seed, nargs="+", default=None,
                   help="several seeds; the tables use only these (default: --seed)")
    p.add_argument("--output_dir", default=RUNS_DIR,
                   help=f"root of the results tree (default: {RUNS_DIR}; the committed records "
                        f"are in {BENCHMARK_DIR})")
    p.add_argument("--explainers", nargs="+", default=None, choices=list(EXPLAINERS),
                   help="explainers to compare (default: all; on real data a subset)")
    p.add_argument("--inn_variant", default="default", choices=list(INN_VARIANTS),
                   help="INN settings of the main runs (default: default = the estimator's)")
    p.add_argument("--fast", action="store_true",
                   help="small sizes for a smoke run (default: the full sizes)")
    defaults = XAIConfig()
    for name, text in zip(SIZES, ("training rows", "network epochs", "explained rows",
                                  "rows for KernelSHAP and LIME")):  # fmt: skip
        p.add_argument(f"--{name}", type=cli.positive_int, default=None,
                       help=f"{text} (default: {getattr(defaults, name)}, or less with --fast)")
    p.add_argument("--overwrite", action="store_true",
                   help="rerun benchmarks whose result exists (default: skip them)")
    p.add_argument("--table", action="store_true",
                   help="print and write the results table (default: off)")
    p.add_argument("--ablation", action="store_true",
                   help=f"run the INN-variant ablation (default: off; benchmarks default to "
                        f"{len(ABLATION_SUITE)} synthetic ones)")
    p.add_argument("--variants", nargs="+", default=list(ABLATION_VARIANTS),
                   choices=list(INN_VARIANTS),
                   help=f"INN variants of the ablation (default: {' '.join(ABLATION_VARIANTS)})")
    p.add_argument("--ablation_table", action="store_true",
                   help="print and write the ablation table (default: with --ablation)")
    p.add_argument("--list", action="store_true",
                   help="list benchmark names and exit (default: off)")
    p.add_argument("--threads", type=cli.positive_int, default=1,
                   help="threads of the models' fits and of the explainers' torch calls "
                        "(default: 1)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log progress of each run (default: warnings only)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")  # fmt: skip
    if args.list:
        print("\n".join(all_benchmarks() + ["real_<store key>", "leak_<store key>"]))
        return 0
    # every input is checked before any work
    benchmarks = [check_benchmark(b) for b in args.benchmark]  # real_031 is filed as real_31
    if args.all:
        benchmarks += DEFAULT_SUITE
    if args.every_synthetic:
        benchmarks += all_benchmarks()
    if args.rho_sweep:
        benchmarks += all_benchmarks(args.targets, args.tasks, args.rhos)
    benchmarks = list(dict.fromkeys(benchmarks))
    cfg = XAIConfig.fast() if args.fast else XAIConfig()
    for name in SIZES:
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    if cfg.n_slow > cfg.n_explain:
        raise ValueError(f"--n_slow ({cfg.n_slow}) must not exceed --n_explain "
                         f"({cfg.n_explain})")
    check_output_dir(args.output_dir)
    import torch

    from inn.evaluation import runner, tables

    torch.set_num_threads(args.threads)  # the explainers' torch calls
    cfg.n_jobs = args.threads  # the models' fits
    seeds = args.seeds or ([args.seed] if args.seed is not None else [0])

    def echo(text):
        print(text, flush=True)

    if args.ablation:
        runner.run_ablations(benchmarks or ABLATION_SUITE, args.variants, seeds, args.output_dir,
                             cfg, overwrite=args.overwrite, echo=echo)
    elif benchmarks:
        runner.run_benchmarks(benchmarks, seeds, args.output_dir, cfg,
                              explainers=args.explainers, inn_variant=args.inn_variant,
                              overwrite=args.overwrite, echo=echo)
    table_seeds = seeds if args.seeds else None
    if args.table:
        print(tables.write_main_table(args.output_dir, table_seeds))
    if args.ablation_table or (args.ablation and not args.table):
        print(tables.write_ablation_table(args.output_dir, table_seeds))
    return 0


def entry() -> int:
    """The program: :func:`main` on the command line's arguments; the exit code."""
    codes = []
    status = cli.main_guard(lambda: codes.append(main()), log_level=None)
    return status or (codes[0] if codes else 0)


if __name__ == "__main__":
    sys.exit(entry())
