"""The paper's figures and tables from a results tree, by one command (nothing is trained).

Usage::

    python -m plots.paper --results_dir results --out_dir figures [--pdf] [--only NAME ...]

Reads the results tree (ours or the reference implementation's format, see
:func:`inn.results.results_frame`) and writes to ``out_dir``:

* ``auroc_gain.png``: per dataset, each method's mean test AUROC divided by the decision tree's
  (box per method, datasets as points).
* ``rank_violin.png``: the distribution of per-dataset ranks (mean test AUROC over seeds;
  1 = best) per method, with a two-sided Wilcoxon signed-rank test of INN against each method,
  Holm-corrected over the comparisons.
* ``results_table.tex``: mean ± std test AUROC per dataset and method, best per row in bold.
* ``datasets_table.tex`` / ``.md``: rows, features, categorical features, classes and missing
  values of every dataset in the tree (loaded through :func:`inn.data.load_dataset`).
* ``feature_removal.png``: the change in test AUROC of a model retrained without the k most
  important features of each explainer, one panel per dataset, all on the same axis
  (``<results_dir>/feature_removal``, made by ``benchmarks/feature_removal.py``).
* ``xai_rho.png``: interpretability metrics against the feature correlation ρ on a linear axis
  (``<results_dir>/xai``, made by ``xai_experiment.py --rho_sweep``).
* ``two_moons.png``: INN's decision boundary and per-row weights on two moons
  (``<results_dir>/two_moons``, made by ``benchmarks/two_moons.py``).

A figure whose results are missing is skipped with a line that names the command that makes
them; the exit code is 1 when nothing was drawn.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from inn.data.store import dataset_sort_key
from inn.results import results_frame

from . import comparison, xai
from .style import (
    NEUTRAL_COLOR,
    method_color,
    method_label,
    method_label_short_lines,
    new_figure,
    order_methods,
)
from .style import save_figure as _save

REFERENCE = "inn"
BASELINE = "decision_tree"
ALPHA = 0.05
REMOVAL_DIR, TWO_MOONS_DIR = "feature_removal", "two_moons"


class Skip(Exception):
    """A figure cannot be drawn from this tree (the message says what is missing)."""


# ------------------------------------------------------------------------------------ data
def auroc_means(results_dir) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(table, means)`` of the classification results: the tidy mean/std/n_seeds table of test
    AUROC per (dataset, method) and the datasets x methods matrix of means."""
    frame = comparison.load_results(results_dir)
    if frame.empty:
        raise Skip(f"no result files under {results_dir}")
    frame = frame[frame["group"] == comparison.CLASSIFICATION]
    if frame.empty or frame["test_auroc"].isna().all():
        raise Skip(f"no classification results (test AUROC) under {results_dir}")
    table = comparison.metric_table(frame, "test_auroc")
    return table, comparison.wide_means(table)


def _dataset_caption(datasets, width: int = 150) -> str:
    return "\n".join(textwrap.wrap(f"Datasets ({len(datasets)}): " + ", ".join(datasets), width))


def holm(pvalues: dict) -> dict:
    """Holm's step-down adjustment of ``{name: p}`` (NaN stays NaN)."""
    valid = sorted((p, name) for name, p in pvalues.items() if np.isfinite(p))
    out = {name: float("nan") for name in pvalues}
    running, m = 0.0, len(valid)
    for i, (p, name) in enumerate(valid):
        running = max(running, min(1.0, (m - i) * p))
        out[name] = running
    return out


def wilcoxon_vs(means: pd.DataFrame, reference: str = REFERENCE) -> pd.DataFrame:
    """Two-sided Wilcoxon signed-rank test of ``reference`` against every other method on the
    per-dataset means (the datasets where both have a result), Holm-corrected.

    Returns one row per method: n (datasets), wins / ties / losses of the reference, the raw and
    the Holm-adjusted p-value.
    """
    from scipy.stats import wilcoxon

    rows, raw = {}, {}
    for method in means.columns:
        if method == reference:
            continue
        both = means[[reference, method]].dropna()
        diff = both[reference] - both[method]
        try:
            p = float(wilcoxon(both[reference], both[method]).pvalue)
        except ValueError:  # every difference is zero, or too few datasets
            p = float("nan") if len(both) == 0 else 1.0
        raw[method] = p
        rows[method] = {"n": len(both), "wins": int((diff > 0).sum()),
                        "ties": int((diff == 0).sum()), "losses": int((diff < 0).sum()), "p": p}
    adjusted = holm(raw)
    out = pd.DataFrame.from_dict(rows, orient="index")
    if not out.empty:
        out["p_holm"] = pd.Series(adjusted)
    return out


# ------------------------------------------------------------------------------------ figures
def gain_figure(means: pd.DataFrame, baseline: str = BASELINE):
    """Box per method of mean test AUROC / the baseline's mean test AUROC, one point per
    dataset."""
    if baseline not in means.columns:
        raise Skip(f"no {baseline} results: the AUROC gain is relative to it")
    methods = [m for m in means.columns if m != baseline]
    ratios = [(means[m] / means[baseline]).dropna() for m in methods]
    keep = [i for i, r in enumerate(ratios) if len(r)]
    if not keep:
        raise Skip(f"no dataset has both {baseline} and another method")
    methods, ratios = [methods[i] for i in keep], [ratios[i] for i in keep]
    fig = new_figure(max(6.0, 1.2 * len(methods) + 2.5), 5.2, layout="constrained")
    ax = fig.subplots()
    comparison._method_boxes(ax, methods, [r.to_numpy() for r in ratios],
                             np.random.default_rng(0), size=30, linewidth=0.5)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--",
               label=f"{method_label(baseline)} (gain 1)")
    ax.set_xticks(range(1, len(methods) + 1))
    ax.set_xticklabels([f"{method_label_short_lines(m)}\n(n={len(r)})"
                        for m, r in zip(methods, ratios)], fontsize=9)
    ax.set_xlabel("Method (n = datasets with results for the method and the decision tree)")
    ax.set_ylabel(f"Test AUROC ÷ {method_label(baseline)}'s test AUROC (ratio)")
    ax.set_title(f"AUROC gain over the {method_label(baseline).lower()} per dataset "
                 "(mean over seeds; above 1: better than the tree)", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)  # the lowest points are on the right
    ax.grid(axis="y", alpha=0.3)
    datasets = sorted(set().union(*[r.index for r in ratios]), key=_label_sort_key)
    fig.text(0.0, -0.01, _dataset_caption(datasets), fontsize=6.5, va="top", ha="left")
    return fig


def rank_figure(means: pd.DataFrame, reference: str = REFERENCE):
    """Violins of per-dataset ranks (1 = best) on the datasets where every method has a result,
    with the Holm-corrected Wilcoxon signed-rank test of ``reference`` against each method."""
    selection = comparison.cd_selection(means, min_datasets=3, min_methods=2)
    if selection.means is None:
        raise Skip(selection.message.replace("CD diagram", "rank figure"))
    block = selection.means
    methods = list(block.columns)
    ranks = block.rank(axis=1, ascending=False)
    fig = new_figure(max(6.5, 1.15 * len(methods) + 2.5), 5.6, layout="constrained")
    ax = fig.subplots()
    positions = np.arange(1, len(methods) + 1)
    parts = ax.violinplot([ranks[m].to_numpy() for m in methods], positions, widths=0.8,
                          showextrema=False)
    for body, m in zip(parts["bodies"], methods):
        body.set_facecolor(method_color(m))
        body.set_edgecolor("black")
        body.set_alpha(0.45)
    rng = np.random.default_rng(0)
    for x, m in zip(positions, methods):
        ax.scatter(x + rng.uniform(-0.08, 0.08, len(ranks)), ranks[m], s=10, color="black",
                   zorder=3)
        ax.scatter([x], [ranks[m].mean()], s=70, marker="D", color="white", edgecolor="black",
                   zorder=4)
    tests = wilcoxon_vs(block, reference) if reference in methods else pd.DataFrame()
    labels = []
    for m in methods:
        label = method_label_short_lines(m)
        if m != reference and m in tests.index:
            t = tests.loc[m]
            p = t["p_holm"]
            mark = "n/a" if not np.isfinite(p) else ("*" if p < ALPHA else "n.s.")
            label += (f"\n{mark} (p = {p:.2g})\nw/t/l {int(t['wins'])}/{int(t['ties'])}/"
                      f"{int(t['losses'])}")
        labels.append(label)
    ax.set_ylim(len(methods) + 0.5, 0.5)  # rank 1 at the top
    ax.set_yticks(range(1, len(methods) + 1))
    ax.set_xticks(positions)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_xlabel("Method")
    ax.set_ylabel("Rank on a dataset (1 = best test AUROC)")
    ax.set_title(f"Ranks over {len(block)} datasets with results for every method (diamond: "
                 f"mean rank);\nWilcoxon signed-rank tests against {method_label(reference)}, "
                 "Holm-corrected", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    caption = (f"Under each method: two-sided Wilcoxon signed-rank test of the per-dataset mean "
               f"test AUROC "
               f"(mean over seeds), {method_label(reference)} against each method, p-values "
               f"Holm-corrected over {len(tests)} comparisons; * p < {ALPHA}, n.s. otherwise; "
               f"w/t/l: datasets where {method_label(reference)} is better / tied / worse.")
    if reference not in methods:
        caption = f"No {reference} results on these datasets: no significance tests."
    if selection.dropped_methods:
        caption += (" Left out for missing datasets: "
                    + ", ".join(method_label(m) for m in selection.dropped_methods) + ".")
    text = "\n".join(textwrap.wrap(caption, 130)) + "\n" + _dataset_caption(list(block.index))
    fig.text(0.0, -0.01, text, fontsize=6.5, va="top", ha="left")
    return fig, tests


# ------------------------------------------------------------------------------------ tables
def _latex_escape(text) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", str(text))


def latex_results_table(table: pd.DataFrame) -> str:
    """Mean ± std of test AUROC per dataset (rows) and method (columns); the best mean of each
    row (at the printed precision, ties included) in bold; the average rank in the last row."""
    methods = order_methods(table["method"].unique())
    means = comparison.wide_means(table)[methods]
    lines = [
        "% generated by python -m plots.paper; test AUROC, mean ± std over seeds",
        r"\begin{table}[t]", r"\centering", r"\small",
        r"\begin{tabular}{l" + "c" * len(methods) + "}", r"\toprule",
        "Dataset & " + " & ".join(_latex_escape(method_label(m)) for m in methods) + r" \\",
        r"\midrule",
    ]
    for dataset, part in table.groupby("dataset", sort=False):
        rounded = part.set_index("method")["mean"].round(3)
        best = rounded.max()
        cells = []
        for m in methods:
            if m not in rounded.index or not np.isfinite(rounded[m]):
                cells.append("--")
                continue
            row = part[part["method"] == m].iloc[0]
            text = f"{row['mean']:.3f}"
            if rounded[m] == best:
                text = rf"\textbf{{{text}}}"
            if row["n_seeds"] > 1:
                text += rf" {{\scriptsize $\pm$ {row['std']:.3f}}}"
            cells.append(text)
        lines.append(_latex_escape(dataset) + " & " + " & ".join(cells) + r" \\")
    ranks = comparison.average_ranks(means)
    n_complete = int(ranks["n_complete_datasets"].iloc[0])
    column = "avg_rank_complete" if n_complete else "avg_rank"
    lines += [r"\midrule",
              "Average rank & " + " & ".join(f"{ranks.loc[m, column]:.2f}" for m in methods)
              + r" \\", r"\bottomrule", r"\end{tabular}"]  # fmt: skip
    seeds = sorted(set(table["n_seeds"]))
    over = (f"the {n_complete} datasets with results for every method" if n_complete else
            "the methods present on each dataset")
    lines += [rf"\caption{{Test AUROC, mean $\pm$ standard deviation over "
              rf"{'/'.join(map(str, seeds))} seeds; the best mean of each row in bold; "
              rf"average rank (1 = best) over {over}.}}",
              r"\label{tab:auroc}", r"\end{table}"]  # fmt: skip
    return "\n".join(lines) + "\n"


METADATA_COLUMNS = ("rows", "features", "categorical", "classes", "missing values")


def dataset_metadata(dataset_ids, data_dir=None) -> pd.DataFrame:
    """Rows, features, categorical features, classes (0 for regression) and missing feature
    values of each dataset, from :func:`inn.data.load_dataset` (store, scikit-learn, OpenML).
    A dataset that cannot be loaded gets NaN and its error in ``note``."""
    from inn.data import DatasetError, load_dataset

    rows = []
    for key in sorted(set(map(str, dataset_ids)), key=dataset_sort_key):
        try:
            ds = load_dataset(key, data_dir)
        except DatasetError as err:
            rows.append({"dataset_id": key, "name": None, "note": str(err)[:200]})
            continue
        rows.append({"dataset_id": key, "name": ds.name, "task": ds.task,
                     "rows": len(ds.X), "features": ds.n_features,
                     "categorical": len(ds.categorical), "classes": ds.n_classes,
                     "missing values": int(ds.X.isna().to_numpy().sum()), "note": ""})
    return pd.DataFrame(rows)


def metadata_tables(meta: pd.DataFrame) -> tuple[str, str]:
    """``(latex, markdown)`` of :func:`dataset_metadata`; unloadable datasets show "–"."""
    def cell(row, col):
        value = row.get(col)
        if pd.isna(value) or (col == "classes" and row.get("task") == "regression"):
            return "–"
        return f"{int(value):,}" if col in METADATA_COLUMNS else str(value)

    header = ["ID", "Dataset", "task", *METADATA_COLUMNS]
    body = [[str(r["dataset_id"]), cell(r, "name"), cell(r, "task"),
             *[cell(r, c) for c in METADATA_COLUMNS]] for _, r in meta.iterrows()]
    md = comparison.markdown_table(header, body)
    failed = meta[meta["note"].astype(bool)] if "note" in meta else meta.iloc[:0]
    latex = ["% generated by python -m plots.paper",
             r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{rllrrrrr}", r"\toprule",
             " & ".join(_latex_escape(h if h.isupper() else h.capitalize()) for h in header)
             + r" \\", r"\midrule"]
    latex += [" & ".join(_latex_escape(c).replace("–", "--") for c in row) + r" \\"
              for row in body]  # fmt: skip
    latex += [r"\bottomrule", r"\end{tabular}",
              r"\caption{The datasets: rows, features (categorical among them), classes and "
              r"missing feature values.}", r"\label{tab:datasets}",
              r"\end{table}"]  # fmt: skip
    notes = [f"- {r['dataset_id']}: {r['note']}" for _, r in failed.iterrows()]
    if notes:
        md += "\n\nNot loaded (no store copy and no OpenML access):\n" + "\n".join(notes)
    return "\n".join(latex) + "\n", md + "\n"


# ------------------------------------------------------------------------------------ removal
def removal_frame(results_dir) -> pd.DataFrame:
    """The feature-removal runs (``benchmarks/feature_removal.py``): one row per run with the
    explainer, k, evaluator, dataset, seed and test AUROC. The runs on all features (k = 0)
    belong to every explainer."""
    root = Path(results_dir) / REMOVAL_DIR
    parts = []
    for tree in sorted(root.glob("*/k*")):
        match = re.fullmatch(r"k(\d+)", tree.name)
        if match is None or not tree.is_dir():
            continue
        frame = results_frame(tree)
        if frame.empty:
            continue
        parts.append(frame.assign(explainer=tree.parent.name, k=int(match[1])))
    if not parts:
        raise Skip(f"no feature-removal results under {root} (make them with: python "
                   "benchmarks/feature_removal.py)")
    frame = pd.concat(parts, ignore_index=True)
    full = frame[frame["k"] == 0]
    explainers = [e for e in frame["explainer"].unique() if e != "none"]
    frame = pd.concat([frame[frame["k"] > 0]]
                      + [full.assign(explainer=e) for e in explainers], ignore_index=True)
    return frame.dropna(subset=["test_auroc"])


def _explainer_style(name: str) -> dict:
    if name == "random":
        return {"color": NEUTRAL_COLOR, "linestyle": "--", "marker": "x",
                "label": "random order"}
    return {"color": method_color(name), "linestyle": "-", "marker": "o",
            "label": f"{method_label(name)}'s importances",
            "zorder": 4 if name == REFERENCE else 3}  # INN's curve on top of those it meets


def removal_figure(frame: pd.DataFrame):
    """One panel per dataset and one for the mean: the change in test AUROC of the evaluator
    retrained without the k most important features of each explainer (against the evaluator
    on all features, k = 0), against k.

    Every panel has the same y-axis, so a dataset on which removing features changes little
    (its curves wobble by a few thousandths) looks flat beside one on which it matters; with
    several seeds the band is the range over the seeds. Explainers that removed the same
    features score the same: their markers are concentric (INN's, drawn on top, smallest)."""
    evaluators = sorted(frame["method"].unique())
    explainers = order_methods(frame["explainer"].unique())
    datasets = sorted(frame["dataset"].unique(), key=_label_sort_key)
    seeds = sorted(frame["seed"].unique())
    base = frame[frame["k"] == 0].groupby(["dataset", "seed"])["test_auroc"].mean()
    frame = frame.assign(change=frame["test_auroc"].to_numpy()
                         - base.reindex(pd.MultiIndex.from_frame(frame[["dataset", "seed"]]))
                         .to_numpy())  # fmt: skip
    frame = frame.dropna(subset=["change"])
    panels = [*datasets, None]  # None: the mean over datasets
    ncol = min(3, len(panels))
    nrow = -(-len(panels) // ncol)
    fig = new_figure(4.2 * ncol, 3.2 * nrow + 0.9, layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False, sharey=True)).ravel()
    for ax, dataset in zip(axes, panels):
        part = frame if dataset is None else frame[frame["dataset"] == dataset]
        for i, e in enumerate(explainers):
            rows = part[part["explainer"] == e]
            # per seed: the change (mean over datasets in the last panel, at the k all reached)
            per_seed = rows.groupby(["k", "seed"])["change"].agg(["mean", "size"]).reset_index()
            if dataset is None:
                full = rows.groupby(["k", "seed"])["dataset"].nunique()
                keep = full[full == len(datasets)].index
                per_seed = per_seed.set_index(["k", "seed"]).loc[
                    lambda f, keep=keep: f.index.isin(keep)].reset_index()
            stats = per_seed.groupby("k")["mean"].agg(["mean", "min", "max"])
            # markers grow explainer by explainer (INN's, on top, the smallest): two that
            # removed the same features (the same score) show as concentric markers
            style = {**_explainer_style(e), "markersize": 4.0 + 1.3 * i}
            ax.plot(stats.index, stats["mean"], **style)
            if len(seeds) > 1:
                ax.fill_between(stats.index, stats["min"], stats["max"], color=style["color"],
                                alpha=0.12, linewidth=0)  # fmt: skip
        if dataset is None:
            base_text = base.groupby("dataset").mean().mean()
            title = f"mean over the {len(datasets)} datasets (AUROC at k = 0: {base_text:.3f})"
        else:
            title = f"{dataset} (AUROC at k = 0: {base[dataset].mean():.3f})"
        ax.set_title(title, fontsize=9)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax in axes[::ncol]:
        ax.set_ylabel("change in test AUROC\nafter retraining")
    for ax in axes[max(0, len(panels) - ncol):len(panels)]:
        ax.set_xlabel("k (most important features removed)")
    low = min(-0.05, float(frame["change"].min()) - 0.01)
    high = max(0.01, float(frame["change"].max()) + 0.01)
    axes[0].set_ylim(low, high)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(5, len(labels)),
               fontsize=8, title="features ranked by", title_fontsize=8)
    over = (f"seed {seeds[0]}" if len(seeds) == 1 else
            f"mean over seeds {', '.join(map(str, seeds))}; band: range over the seeds")
    title = (f"Importance check by feature removal: {', '.join(map(method_label, evaluators))} "
             f"retrained without the k features each explainer ranks highest ({over}). A faster "
             "fall means a better ranking; every panel has the same y-axis")
    fig.suptitle("\n".join(textwrap.wrap(title, 45 * ncol)), fontsize=9.5)
    return fig


# ------------------------------------------------------------------------------------ moons
def moons_figure(results_dir):
    """Decision boundary and per-row weights of INN on two moons, from the saved grid."""
    folder = Path(results_dir) / TWO_MOONS_DIR
    grid_path, meta_path = folder / "grid.npz", folder / "meta.json"
    if not grid_path.is_file() or not meta_path.is_file():
        raise Skip(f"no two-moons grid under {folder} (make it with: python "
                   "benchmarks/two_moons.py)")
    g = np.load(grid_path)
    meta = json.loads(meta_path.read_text())
    x1, x2 = g["x1"], g["x2"]
    fig = new_figure(15.0, 4.6, layout="constrained")
    axes = fig.subplots(1, 3)
    extent = (x1[0], x1[-1], x2[0], x2[-1])

    def points(ax):
        X, y = g["X_train"], g["y_train"]
        for label, marker, colour in ((0, "o", "#1f77b4"), (1, "^", "#d62728")):
            ax.scatter(X[y == label, 0], X[y == label, 1], s=9, marker=marker, color=colour,
                       edgecolor="black", linewidth=0.3, label=f"class {label} (training)")

    ax = axes[0]
    im = ax.imshow(g["proba"], origin="lower", extent=extent, aspect="auto", cmap="RdBu_r",
                   vmin=0, vmax=1, alpha=0.8)
    ax.contour(x1, x2, g["proba"], levels=[0.5], colors="black", linewidths=1.5)
    points(ax)
    ax.plot([], [], color="black", label="decision boundary P = 0.5")
    fig.colorbar(im, ax=ax, label="P(class 1)")
    m = meta["test_metrics"]
    ax.set_title(f"INN prediction (test AUROC {m['auroc']:.3f}, accuracy {m['accuracy']:.3f})",
                 fontsize=10)
    ax.legend(loc="lower left", fontsize=7)
    w = g["weights"]
    limit = float(np.nanmax(np.abs(w)))
    for i, ax in enumerate(axes[1:]):
        im = ax.imshow(w[..., i], origin="lower", extent=extent, aspect="auto", cmap="PuOr_r",
                       vmin=-limit, vmax=limit)
        ax.contour(x1, x2, g["proba"], levels=[0.5], colors="black", linewidths=1.0)
        fig.colorbar(im, ax=ax, label=f"w{i + 1}(x) (logit per unit of encoded x{i + 1})")
        ax.set_title(f"Per-row weight of x{i + 1}: the local linear model varies over the plane",
                     fontsize=10)
    for ax in axes:
        ax.set_xlabel("x1 (feature 1, data units)")
        ax.set_ylabel("x2 (feature 2, data units)")
    fig.suptitle(f"INN on two moons ({meta['n_rows']} rows, noise {meta['noise']}, seed "
                 f"{meta['seed']}): logit = w1(x)·z1 + w2(x)·z2 + b, z_i = φ_i(T(x)_i) − "
                 "φ_i(T(r)_i) (the shaped input minus its value at the training mean r)",
                 fontsize=10)
    return fig


# ------------------------------------------------------------------------------------ driver
def _label_sort_key(label: str):
    match = re.search(r"\(([^()]*)\)$", str(label))
    return dataset_sort_key(match[1] if match else label)


def draw(results_dir, out_dir, *, pdf: bool = False, only=None, data_dir=None,
         echo=print) -> dict[str, list[Path]]:
    """Draw every figure and table (or those in ``only``); returns name -> written files.
    A figure that cannot be drawn is reported through ``echo`` and left out."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    cache: dict = {}

    def means():
        if "auroc" not in cache:
            cache["auroc"] = auroc_means(results_dir)
        return cache["auroc"]

    def gain():
        return _save(gain_figure(means()[1]), out_dir / "auroc_gain", pdf=pdf)

    def ranks():
        fig, tests = rank_figure(means()[1])
        if not tests.empty:
            echo("Wilcoxon signed-rank tests against INN (Holm-corrected):\n"
                 + tests.to_string(float_format=lambda v: f"{v:.3g}"))
        return _save(fig, out_dir / "rank_violin", pdf=pdf)

    def table():
        path = out_dir / "results_table.tex"
        path.write_text(latex_results_table(means()[0]))
        return [path]

    def datasets():
        frame = comparison.load_results(results_dir)
        if frame.empty:
            raise Skip(f"no result files under {results_dir}")
        latex, md = metadata_tables(dataset_metadata(frame["dataset_id"].unique(), data_dir))
        paths = [out_dir / "datasets_table.tex", out_dir / "datasets_table.md"]
        paths[0].write_text(latex)
        paths[1].write_text(md)
        return paths

    def removal():
        return _save(removal_figure(removal_frame(results_dir)), out_dir / "feature_removal",
                     pdf=pdf)

    def rho():
        data = xai.rho_data(results_dir)
        if data.empty:
            raise Skip(f"no synthetic interpretability results under {results_dir}/xai (make "
                       "them with: python xai_experiment.py --rho_sweep)")
        return _save(xai.rho_figure(data), out_dir / "xai_rho", pdf=pdf)

    def moons():
        return _save(moons_figure(results_dir), out_dir / "two_moons", pdf=pdf)

    figures = {"gain": gain, "ranks": ranks, "table": table, "datasets": datasets,
               "removal": removal, "rho": rho, "moons": moons}
    for name, make in figures.items():
        if only and name not in only:
            continue
        try:
            written[name] = make()
        except Skip as why:
            echo(f"{name}: skipped: {why}")
            continue
        echo(f"{name}: wrote {', '.join(str(p) for p in written[name])}")
    return written


FIGURES = ("gain", "ranks", "table", "datasets", "removal", "rho", "moons")


def build_parser() -> argparse.ArgumentParser:
    from inn.cli import plain_text, prog

    p = argparse.ArgumentParser(prog=prog("plots.paper"), description=plain_text(__doc__),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results_dir", default="results",
                   help="root of the results tree (default: results)")
    p.add_argument("--out_dir", default="figures",
                   help="where figures and tables go (default: figures)")
    p.add_argument("--only", nargs="+", choices=FIGURES, default=None,
                   help="draw only these (default: all)")
    p.add_argument("--data_dir", default=None,
                   help="dataset store for the metadata table (default: $INN_DATA_DIR, else "
                        "../shared/datasets)")
    p.add_argument("--pdf", action="store_true", help="also save PDFs (default: PNG only)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not Path(args.results_dir).is_dir():
        print(f"error: results directory {args.results_dir!r} not found", file=sys.stderr)
        return 2
    written = draw(args.results_dir, args.out_dir, pdf=args.pdf, only=args.only,
                   data_dir=args.data_dir)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
