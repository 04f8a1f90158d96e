"""Explanation benchmark: synthetic ground truth, real datasets, bias detection, INN ablation.

Examples::

    python xai_experiment.py --benchmark additive_binary_rho0.5 --seed 0 --output_dir results
    python xai_experiment.py --benchmark linear_regression_rho0 leak_1510 --seeds 0 1 2
    python xai_experiment.py --all --seeds 0 1 2            # the default suite
    python xai_experiment.py --table --seeds 0 1 2          # Markdown tables of the tree
    python xai_experiment.py --ablation --seeds 0 --fast    # INN variants x benchmarks
    python xai_experiment.py --ablation_table --seeds 0

Results: ``<output_dir>/xai/<benchmark>/<seed>/output_info.json`` and
``<output_dir>/xai_ablation/<benchmark>/<variant>/<seed>/output_info.json`` (atomic writes);
tables: ``<output_dir>/xai/table.md`` and ``<output_dir>/xai_ablation/table.md``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from inn.evaluation.explainers import EXPLAINERS, INN_VARIANTS
from inn.evaluation.synthetic import RHOS, TARGETS, TASKS, all_benchmarks, benchmark_name
from inn.results import write_json_atomic

log = logging.getLogger("xai_experiment")

DEFAULT_SUITE = (
    [benchmark_name(t, k, r) for t in ("linear", "additive") for k in TASKS for r in (0.0, 0.5)]
    + [benchmark_name(t, "regression", 0.5) for t in ("piecewise", "interaction")]
    + ["real_1510", "real_37", "leak_1510"]
)
ABLATION_SUITE = [benchmark_name(t, k, r) for t in ("linear", "additive") for k in TASKS
                  for r in (0.0, 0.5)]  # fmt: skip
ABLATION_VARIANTS = ("plain", "global_bias", "consistency")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--benchmark", nargs="+", default=[], help="benchmark names (see --list)")
    p.add_argument("--all", action="store_true", help="run the default suite")
    p.add_argument("--every_synthetic", action="store_true",
                   help=f"all {len(TARGETS) * len(TASKS) * len(RHOS)} synthetic benchmarks")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=None)
    p.add_argument("--output_dir", default="results")
    p.add_argument("--explainers", nargs="+", default=None, choices=list(EXPLAINERS))
    p.add_argument("--inn_variant", default="default", choices=list(INN_VARIANTS))
    p.add_argument("--fast", action="store_true", help="small sizes for a smoke run")
    p.add_argument("--n_train", type=int, default=None, help="override the training rows")
    p.add_argument("--nr_epochs", type=int, default=None, help="override the network epochs")
    p.add_argument("--n_explain", type=int, default=None, help="override the explained rows")
    p.add_argument("--n_slow", type=int, default=None, help="override KernelSHAP/LIME rows")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--table", action="store_true", help="print/write the results table")
    p.add_argument("--ablation", action="store_true", help="run the INN-variant ablation")
    p.add_argument("--variants", nargs="+", default=list(ABLATION_VARIANTS),
                   choices=list(INN_VARIANTS))
    p.add_argument("--ablation_table", action="store_true")
    p.add_argument("--list", action="store_true", help="list benchmark names and exit")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")  # fmt: skip
    warnings.filterwarnings("ignore")
    if args.list:
        print("\n".join(all_benchmarks() + ["real_<store key>", "leak_<store key>"]))
        return 0
    import torch

    from inn.evaluation import tables
    from inn.evaluation.runner import XAIConfig, run_ablation, run_benchmark

    torch.set_num_threads(args.threads)
    seeds = args.seeds or ([args.seed] if args.seed is not None else [0])
    cfg = XAIConfig.fast() if args.fast else XAIConfig()
    for name in ("n_train", "nr_epochs", "n_explain", "n_slow"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    out = Path(args.output_dir)
    benchmarks = list(args.benchmark)
    if args.all:
        benchmarks += DEFAULT_SUITE
    if args.every_synthetic:
        benchmarks += all_benchmarks()
    benchmarks = list(dict.fromkeys(benchmarks))
    if args.ablation:
        for bench in benchmarks or ABLATION_SUITE:
            for variant in args.variants:
                for seed in seeds:
                    path = tables.ablation_path(out, bench, variant, seed)
                    if path.exists() and not args.overwrite:
                        continue
                    rec = run_ablation(bench, seed, variant, cfg)
                    write_json_atomic(rec, path)
                    print(f"wrote {path} ({rec['wall_time_s']:.0f} s)", flush=True)
    elif benchmarks:
        for bench in benchmarks:
            for seed in seeds:
                path = tables.main_path(out, bench, seed)
                if path.exists() and not args.overwrite:
                    print(f"{path} exists; skipping")
                    continue
                rec = run_benchmark(bench, seed, cfg, args.explainers, args.inn_variant)
                write_json_atomic(rec, path)
                print(f"wrote {path} ({rec['wall_time_s']:.0f} s)", flush=True)
    if args.table:
        text = tables.main_table(tables.load_main(out, seeds if args.seeds else None))
        (out / "xai").mkdir(parents=True, exist_ok=True)
        (out / "xai" / "table.md").write_text(text + "\n")
        print(text)
    if args.ablation_table or (args.ablation and not args.table):
        text = tables.ablation_table(tables.load_ablation(out, seeds if args.seeds else None))
        (out / "xai_ablation").mkdir(parents=True, exist_ok=True)
        (out / "xai_ablation" / "table.md").write_text(text + "\n")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
