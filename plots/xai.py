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
from plots.style import new_figure, save_figure


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
