"""The cross-fitted ensembles on the store records: targets, the same protocol for every model,
and where the gain comes from.

Reads the records under ``--results_dir`` (``<method>/<dataset>/<seed>/output_info.json``) and
prints, over the classification cells (dataset, seed) that every method named has:

* mean test AUROC and average rank (1 = best) among ``--methods``, mean test R² over the
  regression cells they share, and the summed training time of each method over those cells;
* the targets of the ensemble (``--ensemble``): mean AUROC and rank against CatBoost and EBM,
  the datasets furthest below the better of the two (dataset means over the seeds), Wilcoxon
  signed-rank tests of it against each other method, and its summed training time against
  CatBoost's;
* the same protocol for each model: the gain of ``inn_ensemble`` over ``inn``,
  ``tabresnet_ensemble`` over ``tabresnet`` and ``catboost_ensemble`` over ``catboost`` on the
  cells where all six exist (CatBoost's ensemble runs on the cheap datasets only);
* the ensemble's gain over the single INN by dataset size (training + validation rows).

    python benchmarks/ensemble_store.py --results_dir results

Nothing is fitted: this reads records only.
"""

from __future__ import annotations

import argparse

import common  # noqa: F401 (the repository on sys.path)
import numpy as np
import pandas as pd

from inn.results import find_results, read_result_or_none, results_frame

PAIRS = (("inn", "inn_ensemble"), ("tabresnet", "tabresnet_ensemble"),
         ("catboost", "catboost_ensemble"))
SIZES = ((0, 1_000, "≤ 1,000 rows"), (1_000, 10_000, "1,000–10,000 rows"),
         (10_000, np.inf, "> 10,000 rows"))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results_dir", default="results", help="records (default: results)")
    p.add_argument("--methods", nargs="+",
                   default=["inn", "inn_ensemble", "tabresnet", "tabresnet_ensemble", "catboost",
                            "ebm"],
                   help="methods compared on their common cells (default: the two networks, "
                        "their ensembles, CatBoost, EBM)")
    p.add_argument("--ensemble", default="inn_ensemble",
                   help="the method whose targets are checked (default: inn_ensemble)")
    return p


def _wide(frame: pd.DataFrame, methods, metric: str) -> pd.DataFrame:
    """dataset × seed rows, one column per method, only the cells every method has."""
    part = frame[frame["method"].isin(methods)]
    wide = part.pivot_table(index=["dataset_id", "seed"], columns="method", values=metric)
    return wide[list(methods)].dropna()


def _rows(results_dir) -> dict[str, int]:
    """Training + validation rows of each dataset, from the records."""
    rows = {}
    for path in find_results(results_dir):
        rec = read_result_or_none(path)
        if rec and "n_train" in rec and "n_val" in rec:
            rows[str(rec["dataset_id"])] = int(rec["n_train"]) + int(rec["n_val"])
    return rows


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    frame = results_frame(args.results_dir)
    if frame.empty:
        raise SystemExit(f"no records under {args.results_dir}")
    methods = [m for m in args.methods if (frame["method"] == m).any()]
    missing = sorted(set(args.methods) - set(methods))
    if missing:
        print(f"no records of {', '.join(missing)}; compared without them")
    cls = frame[frame["task"] != "regression"]
    reg = frame[frame["task"] == "regression"]

    auroc = _wide(cls, methods, "test_auroc")
    r2 = _wide(reg, methods, "test_r2")
    cells = set(auroc.index) | set(r2.index)
    timed = frame[frame[["dataset_id", "seed"]].apply(tuple, axis=1).isin(cells)]
    train = timed.groupby("method")["train_time_s"].sum()
    print(f"{len(auroc)} classification cells and {len(r2)} regression cells that "
          f"{', '.join(methods)} share\n")
    print("| method | mean test AUROC | average rank | mean test R² | summed training s |")
    print("|---|---|---|---|---|")
    ranks = auroc.rank(axis=1, ascending=False).mean()
    for m in methods:
        print(f"| {m} | {auroc[m].mean():.4f} | {ranks[m]:.2f} | "
              f"{r2[m].mean() if len(r2) else float('nan'):.4f} | {train.get(m, 0):,.0f} |")

    ens = args.ensemble
    if {ens, "catboost", "ebm"} <= set(methods):
        per_ds = auroc.groupby(level=0).mean()
        gap = (per_ds[ens] - per_ds[["catboost", "ebm"]].max(axis=1)).sort_values()
        print(f"\ntargets of {ens}:")
        best = auroc[["catboost", "ebm"]].mean().max()
        print(f"- mean AUROC {auroc[ens].mean():.4f} vs CatBoost {auroc['catboost'].mean():.4f}, "
              f"EBM {auroc['ebm'].mean():.4f}: {'met' if auroc[ens].mean() >= best else 'missed'}")
        print(f"- average rank {ranks[ens]:.2f} vs CatBoost {ranks['catboost']:.2f}, "
              f"EBM {ranks['ebm']:.2f}: "
              f"{'met' if ranks[ens] < min(ranks['catboost'], ranks['ebm']) else 'missed'}")
        label = frame.groupby("dataset_id")["dataset"].first()
        worst = ", ".join(f"{label[d]} {g:+.3f}" for d, g in gap.head(5).items())
        print(f"- datasets more than 0.02 below the better of CatBoost and EBM: "
              f"{int((gap < -0.02).sum())} (the five lowest: {worst})")
        from plots.paper import wilcoxon_vs

        tests = wilcoxon_vs(per_ds, reference=ens)
        print("- Wilcoxon signed-rank tests of the per-dataset means (two-sided, Holm-corrected): "
              + "; ".join(f"against {m} {int(t['wins'])} wins, {int(t['losses'])} losses, "
                          f"p {t['p_holm']:.3g}" for m, t in tests.iterrows()))
        print(f"- summed training {train.get(ens, 0):,.0f} s vs CatBoost "
              f"{train.get('catboost', 0):,.0f} s: "
              f"{'met' if train.get(ens, 0) <= train.get('catboost', 0) else 'missed'}")

    pairs = [p for p in PAIRS if set(p) <= set(frame["method"])]
    if pairs:
        flat = [m for p in pairs for m in p]
        same = _wide(cls, flat, "test_auroc")
        names = sorted({d for d, _ in same.index})
        label = frame.groupby("dataset_id")["dataset"].first()
        print(f"\nthe same protocol for each model: {len(same)} classification cells of "
              f"{len(names)} datasets ({', '.join(label[d] for d in names)})")
        print("| model | single | cross-fitted ensemble | gain | ensemble better |")
        print("|---|---|---|---|---|")
        for single, crossed in pairs:
            gain = same[crossed] - same[single]
            print(f"| {single} | {same[single].mean():.4f} | {same[crossed].mean():.4f} | "
                  f"{gain.mean():+.4f} | {int((gain > 0).sum())}/{len(gain)} |")

    if {"inn", ens} <= set(methods):
        rows = _rows(args.results_dir)
        size = pd.Series([rows.get(d, np.nan) for d, _ in auroc.index], index=auroc.index)
        print(f"\n{ens} against the single INN by dataset size (training + validation rows)")
        print("| size | cells | single INN | ensemble | gain | ensemble better |")
        print("|---|---|---|---|---|---|")
        for low, high, label in SIZES:
            part = auroc[(size > low) & (size <= high)]
            if len(part):
                gain = part[ens] - part["inn"]
                print(f"| {label} | {len(part)} | {part['inn'].mean():.4f} | "
                      f"{part[ens].mean():.4f} | {gain.mean():+.4f} | "
                      f"{int((gain > 0).sum())}/{len(gain)} |")


if __name__ == "__main__":
    main()
