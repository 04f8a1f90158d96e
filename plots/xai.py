"""Figures of the interpretability benchmark on synthetic data with known attributions.

Reads the benchmark's records (``<results_dir>/xai/<benchmark>/<seed>/``, written by
``xai_experiment.py``) and draws the mean per-row correlation with the true attributions
(``--metric``, default ``gt_corr_ref``: the truth at the training mean; ``gt_corr``: the centred
truth) to ``<out_dir>/xai_<metric>.png``: one panel per target and task, the feature
correlation ρ along the x-axis, one bar per explainer (named as a reader would: "Integrated
Gradients on TabResNet"), mean ± std over the seeds.

    python -m plots.xai --results_dir results --out_dir figures

:func:`rho_figure` (drawn by ``python -m plots.paper``) shows four metrics against ρ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from inn.evaluation.explainers import EXPLAINERS
from inn.evaluation.tables import load_main

from .style import UNKNOWN_COLOR, new_figure, save_figure

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


METRIC_NAMES = {
    "gt_corr_ref": "Agreement with the true attributions at the reference (gt_corr_ref)",
    "gt_corr": "Agreement with the centred true attributions (gt_corr)",
}
TASK_NAMES = {"binary": "binary classification", "regression": "regression"}


def explainer_label(name: str) -> str:
    """The display name of an explainer from its registry entry
    (:data:`inn.evaluation.explainers.EXPLAINERS`; ``ig_tabresnet`` -> Integrated Gradients on
    TabResNet); an unknown name (a record of an old run) is shown as is."""
    entry = EXPLAINERS.get(name)
    return name if entry is None else entry.label


def explainer_color(name: str) -> str:
    """The colour of an explainer from its registry entry: the colour of the model it explains,
    lighter for an explainer applied from outside (KernelSHAP, LIME) than for the model's own
    attributions; a fixed fallback colour for an unknown name."""
    entry = EXPLAINERS.get(name)
    return UNKNOWN_COLOR if entry is None else entry.color


def order_explainers(names) -> list[str]:
    """``names`` in the registry's order; unknown names follow, alphabetically."""
    names = set(names)
    known = [e for e in EXPLAINERS if e in names]
    return known + sorted(names - set(known))


def _family(benchmark: str) -> tuple[str, str, float | None]:
    """``"additive_binary_rho0.25"`` -> ``("additive", "binary", 0.25)``; another name stays
    whole, without a ρ."""
    from inn.evaluation.synthetic import parse_name

    try:
        return parse_name(benchmark)
    except ValueError:
        return benchmark, "", None


def figure(data: dict, metric: str):
    """Small multiples of ``data`` (:func:`collect`): one panel per target and task, the
    feature correlation ρ along the x-axis as groups of bars, one bar per explainer (mean ± std
    over seeds)."""
    panels: dict[tuple[str, str], dict[float | None, dict]] = {}
    for bench, per_expl in data.items():
        target, task, rho = _family(bench)
        panels.setdefault((target, task), {})[rho] = per_expl
    keys = sorted(panels)
    expls = order_explainers({e for p in panels.values() for v in p.values() for e in v})
    ncol = min(3, len(keys))
    nrow = -(-len(keys) // ncol)
    fig = new_figure(4.3 * ncol, 2.9 * nrow + 1.2, layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False, sharey=True)).ravel()
    width = 0.8 / len(expls)
    low = 0.0
    for ax, key in zip(axes, keys):
        rhos = sorted(panels[key], key=lambda r: -1 if r is None else r)
        for j, e in enumerate(expls):
            values = [panels[key][r].get(e, []) for r in rhos]
            means = [np.mean(v) if v else np.nan for v in values]
            stds = [np.std(v) if len(v) > 1 else 0.0 for v in values]
            low = min(low, np.nanmin(np.subtract(means, stds)) if np.isfinite(means).any() else 0)
            x = np.arange(len(rhos)) + (j - (len(expls) - 1) / 2) * width
            ax.bar(x, means, width, yerr=stds if any(stds) else None, capsize=1.5,
                   color=explainer_color(e), label=explainer_label(e),
                   error_kw={"linewidth": 0.6})  # fmt: skip
        ax.set_xticks(np.arange(len(rhos)))
        ax.set_xticklabels(["" if r is None else f"ρ = {r:g}" for r in rhos], fontsize=8)
        target, task = key
        ax.set_title(f"{target} target, {TASK_NAMES.get(task, task)}".strip(", "), fontsize=9)
        ax.axhline(0, color="black", linewidth=0.5)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    for ax in axes[::ncol]:
        ax.set_ylabel("mean per-row Pearson r", fontsize=9)
    axes[0].set_ylim(min(-0.05, np.floor(low * 10) / 10), 1.02)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(5, len(labels)), fontsize=8)
    seeds = max((len(v) for p in panels.values() for r in p.values() for v in r.values()),
                default=0)  # fmt: skip
    fig.suptitle(f"{METRIC_NAMES.get(metric, metric)} per explainer on synthetic data with "
                 f"known attributions\n(bars: mean over {seeds} seed{'s' * (seeds != 1)}"
                 f"{'; whiskers: std' if seeds > 1 else ''}; higher is better)", fontsize=10)
    return fig


def rho_data(results_dir):
    """One row per (synthetic record, explainer, metric): benchmark family, rho, seed, value."""
    import pandas as pd

    rows = []
    for rec in load_main(results_dir):
        if rec.get("kind") != "synthetic" or rec.get("rho") is None:
            continue
        family = f"{rec['target']} target, {TASK_NAMES.get(rec['task'], rec['task'])}"
        for name, entry in rec["explainers"].items():
            for metric in RHO_METRICS:
                value = entry["metrics"].get(metric)
                if value is not None and np.isfinite(value):
                    rows.append({"family": family, "rho": float(rec["rho"]), "seed": rec["seed"],
                                 "explainer": name, "metric": metric, "value": float(value)})
    return pd.DataFrame(rows, columns=["family", "rho", "seed", "explainer", "metric", "value"])


def rho_figure(data):
    """Rows: benchmark families (target, task), named once at the left; columns: metrics, named
    once at the top; lines: explainers, mean over seeds (band: min-max over seeds where there
    are several) against the feature correlation ρ on a linear axis from 0 to 1."""
    families = sorted(data["family"].unique())
    metrics = [m for m in RHO_METRICS if m in set(data["metric"])]
    explainers = order_explainers(data["explainer"])
    fig = new_figure(3.0 * len(metrics) + 1.2, 2.1 * len(families) + 1.3, layout="constrained")
    axes = fig.subplots(len(families), len(metrics), squeeze=False, sharex=True, sharey="col")
    for i, family in enumerate(families):
        for j, metric in enumerate(metrics):
            ax = axes[i, j]
            part = data[(data["family"] == family) & (data["metric"] == metric)]
            for e in explainers:
                stats = part[part["explainer"] == e].groupby("rho")["value"].agg(
                    ["mean", "min", "max"])
                if stats.empty:
                    continue
                entry = EXPLAINERS.get(e)
                style, marker = (entry.line, entry.marker) if entry else ("-", ".")
                colour = explainer_color(e)
                ax.plot(stats.index, stats["mean"], linestyle=style, marker=marker,
                        color=colour, label=explainer_label(e), markersize=3.5, linewidth=1.2)
                if (stats["max"] > stats["min"]).any():
                    ax.fill_between(stats.index, stats["min"], stats["max"], color=colour,
                                    alpha=0.12, linewidth=0)  # fmt: skip
            ax.set_xlim(-0.03, 1.03)
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
            ax.set_xticklabels(["0", ".25", ".5", ".75", "1"], fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
            ax.grid(alpha=0.3)
            if metric == "infidelity":
                ax.set_yscale("log")
            if i == 0:
                ylabel, higher = RHO_METRICS[metric]
                ax.set_title(ylabel + (" ↑" if higher else " ↓"), fontsize=9)
            if i == len(families) - 1:
                ax.set_xlabel("feature correlation ρ", fontsize=9)
            if j == 0:
                ax.set_ylabel(family.replace(", ", ",\n"), fontsize=9)
    handles = {}
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center",
               ncol=min(5, len(handles)), fontsize=8)
    seeds = sorted(data["seed"].unique())
    over = (f"seed {seeds[0]}" if len(seeds) == 1 else
            f"mean over seeds {', '.join(map(str, seeds))}, band min-max")
    rhos = ", ".join(f"{r:g}" for r in sorted(data["rho"].unique()))
    fig.suptitle("Explanations against the feature correlation ρ on synthetic data with known "
                 f"attributions\n(10 Gaussian features, 5 relevant; ρ = {rhos}; {over}; "
                 "↑ higher / ↓ lower is better; infidelity on a log scale)", fontsize=9.5)
    return fig


def build_parser() -> argparse.ArgumentParser:
    from inn.cli import plain_text, prog

    p = argparse.ArgumentParser(prog=prog("plots.xai"), description=plain_text(__doc__),
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
