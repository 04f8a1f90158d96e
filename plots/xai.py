"""Figure: agreement with the ground truth per explainer and synthetic benchmark.

Reads the interpretability benchmark's records (``<results_dir>/xai/<benchmark>/<seed>/``,
written by ``xai_experiment.py``) and draws grouped bars of the mean per-row correlation with the
true attributions (``--metric``, default ``gt_corr_ref``: baseline Shapley values at the training
mean; ``gt_corr``: centred truth), mean ± std over seeds, one group per synthetic benchmark and
one bar per explainer, to ``<out_dir>/xai_<metric>.png``.

    python -m plots.xai --results_dir results --out_dir figures
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from inn.evaluation.tables import load_main
from plots.style import NEUTRAL_COLOR, method_color, new_figure, save_figure

# explainer -> (label, the model it explains, line style, marker)
EXPLAINER_STYLES = {
    "inn": ("INN (own contributions)", "inn", "-", "o"),
    "kernelshap_inn": ("KernelSHAP on INN", "inn", "--", "s"),
    "lime_inn": ("LIME on INN", "inn", ":", "^"),
    "kernelshap_tabresnet": ("KernelSHAP on TabResNet", "tabresnet", "--", "s"),
    "ig_tabresnet": ("Integrated Gradients on TabResNet", "tabresnet", "-", "D"),
    "kernelshap_catboost": ("KernelSHAP on CatBoost", "catboost", "--", "s"),
    "treeshap_catboost": ("TreeSHAP on CatBoost", "catboost", "-", "v"),
    "ebm": ("EBM (own contributions)", "ebm", "-", "P"),
    "random": ("random", None, ":", "x"),
}
# metric -> (axis label, higher is better)
RHO_METRICS = {
    "gt_corr_ref": ("agreement with the true attributions\n(per-row Pearson)", True),
    "faithfulness_ref": ("faithfulness (mean replacement,\nper-row Pearson)", True),
    "monotonicity": ("monotonicity (share of\nmonotone steps)", True),
    "infidelity": ("infidelity (normalised)", False),
}


def collect(results_dir, metric: str) -> dict[str, dict[str, list[float]]]:
    """benchmark -> explainer -> the metric's values over seeds (synthetic benchmarks only)."""
    data: dict[str, dict[str, list[float]]] = {}
    for rec in load_main(results_dir):
        if rec.get("kind") != "synthetic":
            continue
        for name, entry in rec["explainers"].items():
            value = entry["metrics"].get(metric)
            if value is not None:
                data.setdefault(rec["benchmark"], {}).setdefault(name, []).append(value)
    return data


def figure(data: dict, metric: str):
    benches = sorted(data)
    expls = list(dict.fromkeys(e for b in benches for e in data[b]))
    width = 0.8 / len(expls)
    fig = new_figure(max(6, 1.4 * len(benches)), 4, layout="constrained")
    ax = fig.subplots()
    for j, e in enumerate(expls):
        means = [np.mean(data[b].get(e, [np.nan])) for b in benches]
        stds = [np.std(data[b][e]) if len(data[b].get(e, [])) > 1 else 0 for b in benches]
        x = np.arange(len(benches)) + (j - (len(expls) - 1) / 2) * width
        ax.bar(x, means, width, yerr=stds, label=e, capsize=2)
    ax.set_xticks(np.arange(len(benches)))
    ax.set_xticklabels(benches, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"{metric} (mean per-row Pearson)")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylim(-0.2, 1.05)
    ax.legend(fontsize=7, ncol=3, loc="lower left")
    return fig


def rho_data(results_dir):
    """One row per (synthetic record, explainer, metric): benchmark family, rho, seed, value."""
    import pandas as pd

    rows = []
    for rec in load_main(results_dir):
        if rec.get("kind") != "synthetic" or rec.get("rho") is None:
            continue
        family = f"{rec['target']} {rec['task']}"
        for name, entry in rec["explainers"].items():
            for metric in RHO_METRICS:
                value = entry["metrics"].get(metric)
                if value is not None and np.isfinite(value):
                    rows.append({"family": family, "rho": float(rec["rho"]), "seed": rec["seed"],
                                 "explainer": name, "metric": metric, "value": float(value)})
    return pd.DataFrame(rows, columns=["family", "rho", "seed", "explainer", "metric", "value"])


def rho_figure(data):
    """Rows: benchmark families (target, task); columns: metrics; lines: explainers, mean over
    seeds against the feature correlation rho."""
    families = sorted(data["family"].unique())
    metrics = [m for m in RHO_METRICS if m in set(data["metric"])]
    known = [e for e in EXPLAINER_STYLES if e in set(data["explainer"])]
    explainers = known + sorted(set(data["explainer"]) - set(known))
    fig = new_figure(3.6 * len(metrics), 2.9 * len(families) + 0.9, layout="constrained")
    axes = fig.subplots(len(families), len(metrics), squeeze=False)
    rhos = sorted(data["rho"].unique())
    for i, family in enumerate(families):
        for j, metric in enumerate(metrics):
            ax = axes[i, j]
            part = data[(data["family"] == family) & (data["metric"] == metric)]
            for e in explainers:
                curve = part[part["explainer"] == e].groupby("rho")["value"].mean()
                if curve.empty:
                    continue
                label, model, style, marker = EXPLAINER_STYLES.get(e, (e, None, "-", "."))
                colour = NEUTRAL_COLOR if model is None else method_color(model)
                ax.plot(curve.index, curve.to_numpy(), linestyle=style, marker=marker,
                        color=colour, label=label, markersize=4)
            ylabel, higher = RHO_METRICS[metric]
            ax.set_ylabel(ylabel + (" ↑" if higher else " ↓"), fontsize=8)
            ax.set_xlabel("feature correlation ρ")
            ax.set_xticks(rhos)
            ax.set_xticklabels([f"{r:g}" for r in rhos], fontsize=8)
            ax.set_title(family, fontsize=9)
            ax.grid(alpha=0.3)
    handles, labels = {}, {}
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    labels = list(handles)
    fig.legend([handles[lab] for lab in labels], labels, loc="outside lower center",
               ncol=min(5, len(labels)), fontsize=8)
    seeds = sorted(data["seed"].unique())
    fig.suptitle("Explanations against the feature correlation ρ on synthetic data with known "
                 f"attributions (10 Gaussian features, 5 relevant; mean over seeds "
                 f"{', '.join(map(str, seeds))}; ↑ higher / ↓ lower is better)", fontsize=9.5)
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m plots.xai", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results_dir", default="results",
                   help="root of the results tree (default: results)")
    p.add_argument("--out_dir", default="figures", help="where the figure goes (default: figures)")
    p.add_argument("--metric", default="gt_corr_ref",
                   help="ground-truth metric: gt_corr_ref or gt_corr (default: gt_corr_ref)")
    p.add_argument("--pdf", action="store_true", help="also save as PDF (default: PNG only)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    data = collect(args.results_dir, args.metric)
    if not data:
        print(f"no synthetic results under {args.results_dir}/xai", file=sys.stderr)
        return 1
    for path in save_figure(figure(data, args.metric), Path(args.out_dir) / f"xai_{args.metric}",
                            pdf=args.pdf):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
