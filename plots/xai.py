"""Figure: agreement with the ground truth per explainer and synthetic benchmark.

Reads ``<results>/xai/<benchmark>/<seed>/output_info.json`` and draws grouped bars of the mean
per-row correlation with the true attributions (``--metric``, default ``gt_corr_ref``: baseline
Shapley values at the training mean; ``gt_corr``: centred truth), mean ± std over seeds, one
group per synthetic benchmark and one bar per explainer.

    python plots/xai.py --results results --output figures/xai_gt_corr.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def collect(results: Path, metric: str):
    data: dict[str, dict[str, list[float]]] = {}
    for path in sorted((results / "xai").glob("*/*/output_info.json")):
        rec = json.loads(path.read_text())
        if rec.get("kind") != "synthetic":
            continue
        for name, entry in rec["explainers"].items():
            value = entry["metrics"].get(metric)
            if value is not None:
                data.setdefault(rec["benchmark"], {}).setdefault(name, []).append(value)
    return data


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--results", default="results")
    p.add_argument("--output", default="figures/xai_gt_corr.png")
    p.add_argument("--metric", default="gt_corr_ref")
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = collect(Path(args.results), args.metric)
    if not data:
        print(f"no synthetic results under {args.results}/xai", file=sys.stderr)
        return 1
    benches = sorted(data)
    expls = list(dict.fromkeys(e for b in benches for e in data[b]))
    width = 0.8 / len(expls)
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(benches)), 4))
    for j, e in enumerate(expls):
        means = [np.mean(data[b].get(e, [np.nan])) for b in benches]
        stds = [np.std(data[b][e]) if len(data[b].get(e, [])) > 1 else 0 for b in benches]
        x = np.arange(len(benches)) + (j - (len(expls) - 1) / 2) * width
        ax.bar(x, means, width, yerr=stds, label=e, capsize=2)
    ax.set_xticks(np.arange(len(benches)))
    ax.set_xticklabels(benches, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"{args.metric} (mean per-row Pearson)")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylim(-0.2, 1.05)
    ax.legend(fontsize=7, ncol=3, loc="lower left")
    fig.tight_layout()
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
