"""Markdown tables from the XAI results tree.

Layout (the results tree's, :mod:`inn.results`): ``<output_dir>/xai/<benchmark>/<seed>/`` (main
comparison) and ``<output_dir>/xai_ablation/<benchmark>/<variant>/<seed>/`` (INN variants), each
with an ``output_info.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inn.results import load_results, result_path, write_text_atomic

MAIN_METRICS = ("gt_corr", "gt_corr_ref", "gt_mse", "topk_exact", "faithfulness_ref",
                "faithfulness_cond",
                "monotonicity", "infidelity", "deletion_area", "insertion_area")  # fmt: skip
REAL_METRICS = ("faithfulness_ref", "faithfulness_cond", "deletion_area", "insertion_area",
                "infidelity")  # fmt: skip
LOWER_IS_BETTER = {"gt_mse", "infidelity", "deletion_area"}


MAIN, ABLATION = "xai", "xai_ablation"  # their folders in the results tree


def main_path(output_dir, benchmark: str, seed: int) -> Path:
    return result_path(output_dir, MAIN, benchmark, seed)


def ablation_path(output_dir, benchmark: str, variant: str, seed: int) -> Path:
    return result_path(Path(output_dir) / ABLATION, benchmark, variant, seed)


def load_main(output_dir, seeds=None) -> list[dict]:
    recs = load_results(output_dir, MAIN)
    return [r for r in recs if seeds is None or r["seed"] in seeds]


def load_ablation(output_dir, seeds=None) -> list[dict]:
    recs = load_results(Path(output_dir) / ABLATION)
    return [r for r in recs if seeds is None or r["seed"] in seeds]


def write_main_table(output_dir, seeds=None) -> str:
    """The main tables of the records of ``seeds`` (all: None), also in ``xai/table.md``."""
    text = main_table(load_main(output_dir, seeds))
    write_text_atomic(text + "\n", Path(output_dir) / MAIN / "table.md")
    return text


def write_ablation_table(output_dir, seeds=None) -> str:
    """The ablation table, also in ``xai_ablation/table.md``."""
    text = ablation_table(load_ablation(output_dir, seeds))
    write_text_atomic(text + "\n", Path(output_dir) / ABLATION / "table.md")
    return text


def _fmt(values) -> str:
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def _fmt_time(values) -> str:
    values = [v for v in values if v is not None]
    return "–" if not values else f"{np.mean(values):.2e}"


def _md(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _benchmarks(recs) -> list[str]:
    return sorted({r["benchmark"] for r in recs})


def _explainers(recs) -> list[str]:
    names: dict[str, None] = {}
    for r in recs:
        names.update(dict.fromkeys(r["explainers"]))
    return list(names)


def main_table(recs: list[dict], metrics=MAIN_METRICS, key: str = "metrics") -> str:
    """One Markdown table per metric (explainer x benchmark, mean ± std over seeds), the time per
    row, the KernelSHAP / INN time ratio, model fit and the leak ranks."""
    if not recs:
        return "(no results)"
    benches = _benchmarks(recs)
    expls = _explainers(recs)
    seeds = sorted({r["seed"] for r in recs})
    by = {}
    for r in recs:
        by.setdefault(r["benchmark"], []).append(r)
    parts = [f"Seeds: {seeds}. Cells: mean ± std over seeds (one value: a single seed)."]
    for metric in metrics:
        rows = []
        for e in expls:
            cells = [_fmt([rec["explainers"][e][key].get(metric) for rec in by[b]
                           if e in rec["explainers"]]) for b in benches]  # fmt: skip
            if any(c != "–" for c in cells):
                rows.append([e, *cells])
        if rows:
            arrow = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
            parts.append(f"### {metric} ({arrow})\n\n" + _md(["explainer", *benches], rows))
    rows = []
    for e in expls:
        cells = [_fmt_time([rec["explainers"][e]["seconds_per_row"] for rec in by[b]
                            if e in rec["explainers"]]) for b in benches]  # fmt: skip
        rows.append([e, *cells])
    parts.append("### explanation time per row (s)\n\n" + _md(["explainer", *benches], rows))
    parts.append("### exact explanations against KernelSHAP on the same model (per row)\n\n"
                 + ratio_table(recs))
    models = sorted({m for r in recs for m in r["models"]})
    rows = []
    for m in models:
        cells = []
        for b in benches:
            vals = [rec["models"][m].get("r2", rec["models"][m].get("auroc")) for rec in by[b]
                    if m in rec["models"]]  # fmt: skip
            cells.append(_fmt(vals))
        rows.append([m, *cells])
    parts.append("### model fit on held-out rows (R² regression, AUROC binary)\n\n"
                 + _md(["model", *benches], rows))  # fmt: skip
    leak = [b for b in benches if b.startswith("leak_")]
    if leak:
        rows = []
        for e in expls:
            for b in leak:
                vals = {k: [rec["explainers"][e].get(k) for rec in by[b] if e in rec["explainers"]]
                        for k in ("leak_rank_global", "leak_rank_affected",
                                  "leak_rank_unaffected")}  # fmt: skip
                rows.append([e, b, *[_fmt_rank(v) for v in vals.values()]])
        parts.append("### rank of the leaking feature (1 = top)\n\n"
                     + _md(["explainer", "benchmark", "global", "affected rows",
                            "unaffected rows"], rows))  # fmt: skip
    return "\n\n".join(parts)


def _fmt_rank(values) -> str:
    values = [v for v in values if v is not None]
    return "–" if not values else "/".join(str(int(v)) for v in values)


def _exact_pairs(recs) -> list[tuple[str, str]]:
    """(exact explainer, KernelSHAP on the same model) pairs in ``recs``: ``inn`` and
    ``kernelshap_inn``, ``inn_ensemble`` and ``kernelshap_inn_ensemble``."""
    names = _explainers(recs)
    return [(e, f"kernelshap_{e}") for e in names if f"kernelshap_{e}" in names]


def ratio_table(recs) -> str:
    """Per benchmark and exact explainer: how many times longer KernelSHAP on the same model
    takes per row, and the exact explanation's gt_corr minus KernelSHAP's (paired by seed, mean
    ± std)."""
    rows = []
    by = {}
    for r in recs:
        by.setdefault(r["benchmark"], []).append(r)
    for exact, shap in _exact_pairs(recs):
        for b in sorted(by):
            both = [rec["explainers"] for rec in by[b] if {exact, shap} <= set(rec["explainers"])]
            if not both:
                continue
            ratio = np.mean([e[shap]["seconds_per_row"] / e[exact]["seconds_per_row"]
                             for e in both])
            delta = [e[exact]["metrics"].get("gt_corr") - e[shap]["metrics"].get("gt_corr")
                     for e in both
                     if e[exact]["metrics"].get("gt_corr") is not None
                     and e[shap]["metrics"].get("gt_corr") is not None]
            rows.append([exact, b, f"{ratio:,.0f}", _fmt(delta)])
    header = ["explainer", "benchmark", "KernelSHAP time / its time", "Δ gt_corr (it − KernelSHAP)"]
    return _md(header, rows) if rows else "(no pairs)"


ABLATION_COLUMNS = (
    ("gt_corr", "inn", "metrics_common"),
    ("gt_corr", "kernelshap_inn", "metrics_common"),
    ("topk_exact", "inn", "metrics_common"),
    ("topk_exact", "kernelshap_inn", "metrics_common"),
    ("gt_corr_ref", "inn", "metrics_common"),
    ("gt_corr_ref", "kernelshap_inn", "metrics_common"),
    ("faithfulness_ref", "inn", "metrics"),
    ("faithfulness_cond", "inn", "metrics"),
    ("deletion_area", "inn", "metrics"),
    ("deletion_area", "kernelshap_inn", "metrics"),
)


def ablation_table(recs: list[dict]) -> str:
    """Variant x benchmark: ground-truth correlation of INN and of KernelSHAP on the same model
    (both on the same first n_slow rows), faithfulness, deletion area, bias share, model fit and
    the time ratio."""
    if not recs:
        return "(no results)"
    groups = {}
    for r in recs:
        groups.setdefault((r["inn_variant"], r["benchmark"]), []).append(r)
    header = ["variant", "benchmark", "fit (R²/AUROC)", "truth corr of f"]
    header += [f"{m} {e.replace('kernelshap_inn', 'KS')}" for m, e, _ in ABLATION_COLUMNS]
    header += ["bias share", "Δ gt_corr (INN − KS)", "time ratio KS/INN"]
    rows = []
    for (variant, bench), rs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        fit = [r["models"]["inn"].get("r2", r["models"]["inn"].get("auroc")) for r in rs]
        cells = [variant, bench, _fmt(fit), _fmt([r["models"]["inn"].get("truth_corr")
                                                  for r in rs])]  # fmt: skip
        for metric, expl, key in ABLATION_COLUMNS:
            cells.append(_fmt([r["explainers"][expl][key].get(metric) for r in rs
                               if expl in r["explainers"]]))  # fmt: skip
        cells.append(_fmt([r["explainers"]["inn"].get("bias_share") for r in rs]))
        diffs = [r["explainers"]["inn"]["metrics_common"]["gt_corr"]
                 - r["explainers"]["kernelshap_inn"]["metrics_common"]["gt_corr"] for r in rs
                 if "kernelshap_inn" in r["explainers"]]  # fmt: skip
        cells.append(_fmt(diffs))
        ratios = [r["explainers"]["kernelshap_inn"]["seconds_per_row"]
                  / r["explainers"]["inn"]["seconds_per_row"] for r in rs
                  if "kernelshap_inn" in r["explainers"]]  # fmt: skip
        cells.append("–" if not ratios else f"{np.mean(ratios):,.0f}")
        rows.append(cells)
    return _md(header, rows)
