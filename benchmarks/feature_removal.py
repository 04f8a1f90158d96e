"""Importance check by feature removal: does removing a method's most important features hurt?

For every dataset, seed and importance source ("explainer": a method's global importances from
its run on all features, or a seeded random order), the k most important original features are
removed and an evaluator model (default: random forest) is retrained without them, for every k.
A good importance ranking makes the evaluator's test AUROC fall fastest. Every run goes through
the one pipeline (``inn.experiment.run`` with ``drop_features``), so finished runs are reused:

    <output_dir>/importances/<explainer>/<dataset>/<seed>/output_info.json   (importance runs)
    <output_dir>/<explainer>/k<k>/<evaluator>/<dataset>/<seed>/output_info.json   (k >= 1)
    <output_dir>/none/k0/<evaluator>/<dataset>/<seed>/output_info.json      (all features)

``python -m plots.paper --results_dir results`` draws the figure from
``results/feature_removal`` (the committed runs; ``--output_dir results/feature_removal`` remakes
them, the default ``runs/feature_removal`` leaves them alone). Prints the test AUROC per explainer
and k, averaged over datasets and seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import common  # noqa: F401  (puts the repository on sys.path)

OUTPUT_DIR = "runs/feature_removal"  # the committed runs: results/feature_removal
RANDOM = "random"  # a seeded random order: the floor every explainer should beat
IMPORTANCE_DIR = "importances"
FULL = ("none", 0)  # (explainer folder, k) of the runs on all features
DEFAULT_EXPLAINERS = ("inn", "catboost", "random_forest", "logistic_regression", RANDOM)
DEFAULT_DATASETS = ("31", "37", "1510", "40981")


def removal_dir(output_dir, explainer: str, k: int) -> Path:
    """The results tree of the runs without the ``k`` features ranked first by ``explainer``."""
    if k == 0:
        explainer, k = FULL
    return Path(output_dir) / explainer / f"k{k}"


def ranking(explainer: str, dataset_id, seed: int, output_dir, options: dict,
            params: dict) -> list[str]:  # fmt: skip
    """Original feature names, most important first, by ``explainer`` (from its run on all
    features, made here when missing) or in a random order seeded by ``seed``."""
    import numpy as np

    from inn.data import load_dataset
    from inn.experiment import run

    if explainer == RANDOM:
        names = [str(c) for c in load_dataset(dataset_id, options.get("data_dir")).X.columns]
        return [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    record = run(explainer, dataset_id, seed, params.get(explainer),
                 output_dir=Path(output_dir) / IMPORTANCE_DIR, quiet=True, **options)
    if not record.get("feature_importances"):
        raise ValueError(f"{explainer} has no global importances; choose an interpretable method")
    return list(record["feature_importances"])


def check(dataset_id, seed: int, explainers, ks, evaluator: str, output_dir=OUTPUT_DIR, *,
          params: dict | None = None, **options) -> list[dict]:  # fmt: skip
    """Run the removal check for one dataset and seed; returns one row per (explainer, k)."""
    from inn.experiment import run

    params = params or {}
    rows = []
    for explainer in explainers:
        order = ranking(explainer, dataset_id, seed, output_dir, options, params)
        for k in ks:
            if k >= len(order):
                continue  # at least one feature must remain
            record = run(evaluator, dataset_id, seed, params.get(evaluator),
                         output_dir=removal_dir(output_dir, explainer, k), quiet=True,
                         drop_features=order[:k], **options)  # fmt: skip
            rows.append({"explainer": explainer, "k": k, "dataset": str(record["dataset_id"]),
                         "seed": seed, "auroc": record["test_metrics"]["auroc"]})
    return rows


def build_parser() -> argparse.ArgumentParser:
    from inn import methods

    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS),
                   help="classification datasets, OpenML ids or store keys (default: "
                        f"{' '.join(DEFAULT_DATASETS)})")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds (default: 0)")
    p.add_argument("--explainers", nargs="+", default=list(DEFAULT_EXPLAINERS),
                   choices=[m for m in methods.names() if methods.get(m).interpretable] + [RANDOM],
                   help=f"importance sources (default: {' '.join(DEFAULT_EXPLAINERS)})")
    p.add_argument("--ks", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5],
                   help="numbers of removed features (default: 0 1 2 3 4 5)")
    p.add_argument("--evaluator", default="random_forest", choices=methods.names(),
                   help="the model retrained without the removed features (default: "
                        "random_forest)")
    p.add_argument("--set", action="append", default=[], metavar="METHOD.PARAM=VALUE",
                   help="a hyperparameter of one method, e.g. inn.nr_epochs=30 (repeatable; "
                        "default: none)")
    p.add_argument("--output_dir", default=OUTPUT_DIR,
                   help=f"root of the check's results trees (default: {OUTPUT_DIR})")
    p.add_argument("--data_dir", default=None,
                   help="dataset store folder (default: $INN_DATA_DIR, else ../shared/datasets)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto = cuda when available (default: auto)")
    p.add_argument("--n_jobs", type=int, default=1, help="threads per model (default: 1)")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if any(k < 0 for k in args.ks):
        parser.error(f"--ks must be >= 0, got {args.ks}")
    from inn.suite.config import parse_set

    try:
        params = parse_set(args.set)
    except ValueError as err:
        parser.error(str(err))
    rows = []
    for dataset in args.datasets:
        for seed in args.seeds:
            rows += check(dataset, seed, args.explainers, sorted(set(args.ks)), args.evaluator,
                          args.output_dir, params=params, data_dir=args.data_dir,
                          device=args.device, n_jobs=args.n_jobs)  # fmt: skip
    import pandas as pd

    table = pd.DataFrame(rows).pivot_table(index="explainer", columns="k", values="auroc",
                                           aggfunc="mean").reindex(args.explainers)
    print(f"test AUROC of {args.evaluator} retrained without the k most important features "
          f"(mean over datasets {' '.join(args.datasets)} and seeds {args.seeds}):")
    common.print_table(["explainer", *[f"k={k}" for k in table.columns]],
                       [[e, *[float(v) for v in table.loc[e]]] for e in table.index])
    common.reproduce()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
