"""Benchmark comparison from a results tree alone (no torch, no models).

Usage::

    python -m plots.comparison --results_dir results --out_dir figures [--pdf]

Reads every ``<results_dir>/<method>/<dataset_id>/<seed>/output_info.json`` and writes to
``out_dir``:

* ``auroc_table.csv`` / ``r2_table.csv``: one row per (dataset, method) with the mean, the
  sample standard deviation (ddof=1; empty for a single seed) and the number of seeds of the test
  metric. Classification datasets (binary and multiclass) are scored by test AUROC, regression
  datasets by test R² in their own table: the two scales are never mixed, so ranks, the critical
  difference diagram and the difference plot are made per task group.
* ``average_ranks_<metric>.csv``: the average rank of each method (1 = best). ``avg_rank`` ranks
  the methods present on each dataset; ``avg_rank_complete`` uses only the datasets on which every
  method has a result (empty when there are none).
* ``cd_diagram_<metric>.png``: critical difference diagram (Friedman test with Nemenyi post-hoc
  test, computed by ``autorank``). It needs at least 5 datasets on which all compared methods
  have a result and at least 3 methods. When the full set of methods is not complete on 5
  datasets, the methods with the fewest datasets are left out one at a time until it is (the
  left-out methods are reported); when even that fails the diagram is skipped with a message.
* ``<metric>_differences.png``: per-dataset difference of the mean metric of INN and each
  baseline (box plot with the datasets as points; above 0 means INN is better).
* ``runtime.png``: training and inference time of every run per method, log scale, one column
  of panels per device (a GPU's times never share a box with a CPU's).
* ``summary.md``: the tables, the ranks, the CD diagram's status and a coverage report that lists
  every method and dataset that is missing from some runs. The same text is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from inn import methods as registry
from inn.data.store import dataset_sort_key
from inn.results import results_frame

from .style import (
    method_color,
    method_label,
    method_label_over,
    new_figure,
    order_methods,
    save_figure,
)

CLASSIFICATION = "classification"
REGRESSION = "regression"
# task group -> (results_frame column, display name, file stem)
METRICS = {
    CLASSIFICATION: ("test_auroc", "AUROC", "auroc"),
    REGRESSION: ("test_r2", "R²", "r2"),
}
CD_MIN_DATASETS = 5
CD_MIN_METHODS = 3
REFERENCE = "inn"


# ------------------------------------------------------------------------------------ loading
def load_results(results_dir) -> pd.DataFrame:
    """All result files as one frame (:func:`inn.results.results_frame`) plus a task group
    ``group`` (``"classification"`` or ``"regression"``)."""
    frame = results_frame(results_dir)
    if frame.empty:
        return frame
    frame["group"] = np.where(frame["task"] == "regression", REGRESSION, CLASSIFICATION)
    return frame


# ------------------------------------------------------------------------------------ tables
def metric_table(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean, sample std and number of seeds of ``metric`` per (dataset, method).

    Returns a tidy frame with columns dataset_id, dataset, method, mean, std, n_seeds.
    """
    stats = (
        frame.groupby(["dataset_id", "dataset", "method"], sort=False)[metric]
        .agg(mean="mean", std=lambda s: s.std(ddof=1), n_seeds="count")
        .reset_index()
    )
    order = {m: i for i, m in enumerate(order_methods(stats["method"]))}
    stats["_m"] = stats["method"].map(order)
    stats = stats.sort_values(["dataset_id", "_m"], key=_natural_key).drop(columns="_m")
    return stats.reset_index(drop=True)


def _natural_key(col: pd.Series) -> pd.Series:
    """Sort numeric dataset ids numerically and other keys as text."""
    return col.map(dataset_sort_key) if col.name == "dataset_id" else col


def wide_means(table: pd.DataFrame) -> pd.DataFrame:
    """datasets x methods matrix of means (NaN where a method has no result)."""
    wide = table.pivot(index="dataset", columns="method", values="mean")
    datasets = list(dict.fromkeys(table["dataset"]))
    return wide.reindex(index=datasets, columns=order_methods(wide.columns))


def average_ranks(means: pd.DataFrame) -> pd.DataFrame:
    """Average rank per method (1 = best; higher metric is better; ties share ranks).

    ``avg_rank`` ranks the methods present on each dataset; ``avg_rank_complete`` only uses the
    datasets where every method has a value.
    """
    ranks = means.rank(axis=1, ascending=False)
    complete = means.dropna()
    out = pd.DataFrame(
        {
            "avg_rank": ranks.mean(),
            "n_datasets": means.notna().sum(),
            "avg_rank_complete": complete.rank(axis=1, ascending=False).mean()
            if len(complete)
            else np.nan,
            "n_complete_datasets": len(complete),
        }
    )
    out.index.name = "method"
    return out.sort_values(["avg_rank_complete", "avg_rank"])


# ------------------------------------------------------------------------------------ coverage
@dataclass
class Coverage:
    """What is missing from the results tree."""

    methods: list[str]
    datasets: list[str]
    absent_methods: list[str]  # known methods without any result
    missing_cells: list[tuple[str, str]] = field(default_factory=list)  # (method, dataset)
    missing_seeds: list[tuple[str, str, list]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"methods found ({len(self.methods)}): {', '.join(self.methods)}",
            f"datasets found ({len(self.datasets)}): {', '.join(self.datasets)}",
        ]
        if self.absent_methods:
            out.append(f"methods without any result: {', '.join(self.absent_methods)}")
        if not self.missing_cells and not self.missing_seeds:
            out.append("every method has results for every dataset and seed")
        for method, dataset in self.missing_cells:
            out.append(f"MISSING: {method} has no result on {dataset}")
        for method, dataset, seeds in self.missing_seeds:
            seeds = ", ".join(str(s) for s in seeds)
            out.append(f"MISSING: {method} on {dataset} lacks seed(s) {seeds}")
        return out


def coverage(frame: pd.DataFrame) -> Coverage:
    """Find (method, dataset) cells and seeds missing from the tree.

    A cell is missing when a method has results on some datasets of a task group but not on this
    one; a seed is missing when another method has it on the same dataset.
    """
    methods = order_methods(frame["method"].unique())
    datasets = list(dict.fromkeys(frame.sort_values("dataset_id", key=_natural_key)["dataset"]))
    cov = Coverage(methods, datasets, [m for m in registry.names() if m not in methods])
    for _, part in frame.groupby("group", sort=True):
        group_methods = order_methods(part["method"].unique())
        for dataset in [d for d in datasets if d in set(part["dataset"])]:
            rows = part[part["dataset"] == dataset]
            all_seeds = set(rows["seed"])
            for method in group_methods:
                seeds = set(rows.loc[rows["method"] == method, "seed"])
                if not seeds:
                    cov.missing_cells.append((method, dataset))
                elif seeds != all_seeds:
                    cov.missing_seeds.append((method, dataset, sorted(all_seeds - seeds)))
    return cov


# ------------------------------------------------------------------------------------ CD diagram
@dataclass
class CDSelection:
    """The block of the means that goes into the CD diagram, or why there is none."""

    means: pd.DataFrame | None
    dropped_methods: list[str]
    message: str


def cd_selection(
    means: pd.DataFrame,
    min_datasets: int = CD_MIN_DATASETS,
    min_methods: int = CD_MIN_METHODS,
) -> CDSelection:
    """Pick methods and datasets for the CD diagram: complete, >= min_datasets, >= min_methods.

    Methods with results on less than half the datasets of the best-covered method are left
    out first (one partly run method would otherwise shrink the comparison to its datasets).
    Then it starts with the remaining methods on the datasets where all have results; while that
    leaves fewer than ``min_datasets`` datasets, leaves out the method with results on the
    fewest datasets (among ties, INN goes last).
    """
    counts = means.notna().sum()
    partial = sorted((m for m in means.columns if counts[m] < 0.5 * counts.max()),
                     key=lambda m: (counts[m], m == REFERENCE))
    if len(means.columns) - len(partial) < min_methods:
        partial = []
    methods = [m for m in means.columns if m not in partial]
    dropped: list[str] = list(partial)
    if len(means) < min_datasets or len(methods) < min_methods:
        return CDSelection(
            None,
            dropped,
            f"CD diagram skipped: it needs at least {min_datasets} datasets and {min_methods} "
            f"methods; the results have {len(means)} dataset(s) and {len(methods)} method(s)",
        )
    while True:
        block = means[methods].dropna()
        if len(block) >= min_datasets and len(methods) >= min_methods:
            msg = f"CD diagram: {len(methods)} methods on {len(block)} complete datasets"
            if dropped:
                msg += f"; left out for missing datasets: {', '.join(dropped)}"
            return CDSelection(block, dropped, msg)
        if len(methods) <= min_methods:
            msg = (
                f"CD diagram skipped: it needs at least {min_datasets} datasets on which at least "
                f"{min_methods} methods all have results; the best found is {len(block)} "
                f"dataset(s) for {', '.join(methods)}"
            )
            if dropped:
                msg += f" (after leaving out {', '.join(dropped)})"
            return CDSelection(None, dropped, msg)
        counts = means[methods].notna().sum()
        tied = [m for m in methods if counts[m] == counts.min()]
        worst = [m for m in tied if m != REFERENCE][-1] if tied != [REFERENCE] else REFERENCE
        methods.remove(worst)
        dropped.append(worst)


def cd_diagram(block: pd.DataFrame, metric_name: str, task: str | None = None):
    """Draw the Friedman/Nemenyi critical difference diagram of ``block`` with autorank
    (methods labelled as on ``task``).

    Returns ``(figure, autorank result)``.
    """
    from autorank import autorank, plot_stats

    data = block.rename(columns=lambda m: method_label(m, task))
    # autorank prints its test choice and its result frames even with verbose=False
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        result = autorank(
            data, alpha=0.05, verbose=False, order="descending", force_mode="nonparametric"
        )
        fig = new_figure(7.5, 1.0 + 0.35 * len(data.columns))
        ax = fig.subplots()
        plot_stats(result, allow_insignificant=True, ax=ax)
    verdict = "significant" if result.pvalue < result.alpha else "not significant"
    fig.suptitle(
        f"Critical difference diagram, test {metric_name} over {len(data)} datasets\n"
        f"(Friedman p = {result.pvalue:.3g}, {verdict}; Nemenyi CD = {result.cd:.2f}; "
        "lower rank is better)",
        fontsize=10,
        y=1.12,  # above autorank's "CD" scale, which sits over the axes
    )
    return fig, result


# ------------------------------------------------------------------------------------ figures
def difference_frame(means: pd.DataFrame, reference: str = REFERENCE) -> pd.DataFrame:
    """Per-dataset ``mean(reference) - mean(baseline)`` for every other method (tidy)."""
    rows = []
    for method in means.columns:
        if method == reference:
            continue
        both = means[[reference, method]].dropna()
        for dataset, values in both.iterrows():
            rows.append(
                {"baseline": method, "dataset": dataset, "difference": values[reference] -
                 values[method]}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["baseline", "dataset", "difference"])


def _method_boxes(ax, methods: list[str], values: list, rng, *, size: float, linewidth: float):
    """One box per method in its colour, with every value as a jittered point."""
    box = ax.boxplot(values, widths=0.5, patch_artist=True, showfliers=False,
                     medianprops={"color": "black"})
    for patch, m in zip(box["boxes"], methods):
        patch.set_facecolor(method_color(m))
        patch.set_alpha(0.35)
    for i, (m, vals) in enumerate(zip(methods, values), start=1):
        x = i + rng.uniform(-0.12, 0.12, size=len(vals))
        ax.scatter(x, vals, s=size, color=method_color(m), edgecolor="black",
                   linewidth=linewidth, zorder=3)  # fmt: skip


def differences_figure(diffs: pd.DataFrame, metric_name: str, reference: str = REFERENCE,
                       task: str | None = None):  # fmt: skip
    """Box plot with the datasets as points: reference minus each baseline (methods labelled as
    on ``task``)."""
    baselines = order_methods(diffs["baseline"].unique())
    fig = new_figure(max(5.0, 1.3 * len(baselines) + 2), 4.5)
    ax = fig.subplots()
    rng = np.random.default_rng(0)
    values = [diffs.loc[diffs["baseline"] == b, "difference"].to_numpy() for b in baselines]
    _method_boxes(ax, baselines, values, rng, size=36, linewidth=0.5)
    ax.axhline(0.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(1, len(baselines) + 1))
    ax.set_xticklabels(
        [f"{method_label(b, task)}\n(n={len(v)})" for b, v in zip(baselines, values)], fontsize=9
    )
    ax.set_xlabel("Baseline (n = datasets with results for both)")
    ax.set_ylabel(f"{metric_name}({method_label(reference)}) − {metric_name}(baseline)")
    ax.set_title(
        f"Per-dataset test {metric_name} difference of {method_label(reference)} against each "
        "baseline\n(mean over seeds; above 0: INN is better)",
        fontsize=10,
    )
    ax.grid(axis="y", alpha=0.3)
    return fig


def device_kind(device) -> str:
    """The machine a run's ``device`` string names, for grouping times: ``"cpu (x86_64, 2
    cores)"`` and ``"cuda (NVIDIA H200)"`` stay apart; a missing one is ``"device not
    recorded"``."""
    text = "" if device is None or (isinstance(device, float) and math.isnan(device)) else \
        str(device).strip()  # fmt: skip
    return text or "device not recorded"


def runtime_figure(frame: pd.DataFrame):
    """Training and inference time of every run per method (log scale), one column of panels
    per device: times measured on different machines (a GPU, a 2-core CPU) are never drawn in
    one box."""
    frame = frame.assign(_device=frame.get("device", pd.Series(index=frame.index, dtype=object))
                         .map(device_kind))  # fmt: skip
    devices = sorted(frame["_device"].unique(), key=lambda d: (not d.startswith("cpu"), d))
    per_device = {d: order_methods(frame.loc[frame["_device"] == d, "method"].unique())
                  for d in devices}  # fmt: skip
    widths = [max(2, len(per_device[d])) for d in devices]
    fig = new_figure(max(6.0, 0.75 * sum(widths) + 1.5 * len(devices)), 8.0, layout="constrained")
    axes = fig.subplots(2, len(devices), squeeze=False, gridspec_kw={"width_ratios": widths})
    rng = np.random.default_rng(0)
    columns = (("train_time_s", "Training time per run"),
               ("inference_time_s", "Inference time per run (test split)"))  # fmt: skip
    for j, device in enumerate(devices):
        methods = per_device[device]
        part = frame[frame["_device"] == device]
        for i, (col, what) in enumerate(columns):
            ax = axes[i, j]
            values = [part.loc[part["method"] == m, col].dropna().clip(lower=1e-4).to_numpy()
                      for m in methods]  # fmt: skip
            _method_boxes(ax, methods, values, rng, size=10, linewidth=0.3)
            ax.set_yscale("log")
            ax.set_xticks(range(1, len(methods) + 1))
            labels = [method_label_over(m, sorted(part.loc[part["method"] == m, "task"]
                                                  .dropna().unique())) for m in methods]
            ax.set_xticklabels([f"{lab.replace(' / ', ' /' + chr(10))}\n({len(v)} runs)"
                                for lab, v in zip(labels, values)],
                               rotation=35, ha="right", fontsize=8)  # fmt: skip
            ax.set_ylabel(f"{what}\nseconds (log scale)" if j == 0 else "seconds (log scale)")
            ax.set_title(f"on {device}", fontsize=9)
            ax.grid(axis="y", which="both", alpha=0.3)
    fig.suptitle("Runtime per method, one column of panels per device (every dataset and "
                 "seed);\neach panel has its own scale: compare methods within a panel",
                 fontsize=10)
    return fig


# ------------------------------------------------------------------------------------ markdown
def _fmt(value: float, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{value:.{digits}f}"
    )


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def score_markdown(table: pd.DataFrame, task: str | None = None) -> str:
    """Wide Markdown table ``mean ± std`` (best mean per dataset in bold, n seeds noted;
    methods labelled as on ``task``)."""
    methods = order_methods(table["method"].unique())
    rows = []
    for dataset, part in table.groupby("dataset", sort=False):
        best = part["mean"].max()
        cells = [dataset]
        for m in methods:
            hit = part[part["method"] == m]
            if hit.empty:
                cells.append("missing")
                continue
            r = hit.iloc[0]
            text = _fmt(r["mean"]) if r["n_seeds"] < 2 else f"{_fmt(r['mean'])} ± {_fmt(r['std'])}"
            if r["mean"] == best:
                text = f"**{text}**"
            if r["n_seeds"] != part["n_seeds"].max() or r["n_seeds"] < 2:
                text += f" (n={int(r['n_seeds'])})"
            cells.append(text)
        rows.append(cells)
    return markdown_table(["dataset"] + [method_label(m, task) for m in methods], rows)


def ranks_markdown(ranks: pd.DataFrame, task: str | None = None) -> str:
    rows = [
        [method_label(m, task), _fmt(r["avg_rank"], 2), int(r["n_datasets"]),
         _fmt(r["avg_rank_complete"], 2)]
        for m, r in ranks.iterrows()
    ]  # fmt: skip
    n = int(ranks["n_complete_datasets"].iloc[0]) if len(ranks) else 0
    return markdown_table(
        ["method", "avg rank (present methods)", "datasets", f"avg rank ({n} complete datasets)"],
        rows,
    )


# ------------------------------------------------------------------------------------ driver
@dataclass
class ComparisonReport:
    """What :func:`compare` produced."""

    markdown: str
    files: list[Path]
    tables: dict[str, pd.DataFrame]  # metric stem -> tidy table
    coverage: Coverage | None
    cd_messages: dict[str, str]


def compare(results_dir, out_dir, *, pdf: bool = False, reference: str = REFERENCE):
    """Make every table and figure of the comparison; returns a :class:`ComparisonReport`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = load_results(results_dir)
    files: list[Path] = []
    if frame.empty:
        text = f"# Benchmark comparison\n\nNo result files found under `{results_dir}`.\n"
        path = out_dir / "summary.md"
        path.write_text(text)
        return ComparisonReport(text, [path], {}, None, {})

    cov = coverage(frame)
    md = [f"# Benchmark comparison\n\nResults: `{results_dir}` ({len(frame)} runs)\n"]
    md.append("## Coverage\n")
    md += [f"- {line}" for line in cov.lines()]
    tables: dict[str, pd.DataFrame] = {}
    cd_messages: dict[str, str] = {}
    for group, (column, name, stem) in METRICS.items():
        part = frame[frame["group"] == group]
        if part.empty:
            continue
        if column not in part or part[column].isna().all():
            md.append(f"\n## {group.capitalize()}: no {name} values recorded\n")
            continue
        table = metric_table(part, column)
        tables[stem] = table
        csv = out_dir / f"{stem}_table.csv"
        table.to_csv(csv, index=False)
        files.append(csv)
        means = wide_means(table)
        md.append(f"\n## {group.capitalize()} datasets: test {name} (mean ± std over seeds)\n")
        md.append(score_markdown(table, group))
        md.append(
            "\nstd: sample standard deviation over seeds; (n=k): number of seeds when it is "
            "below the others or 1; **bold**: best mean on the dataset.\n"
        )
        ranks = average_ranks(means)
        rank_csv = out_dir / f"average_ranks_{stem}.csv"
        ranks.to_csv(rank_csv)
        files.append(rank_csv)
        md.append(f"### Average rank by test {name} (1 = best)\n")
        md.append(ranks_markdown(ranks, group))

        selection = cd_selection(means)
        message = selection.message
        if selection.means is not None:
            try:
                fig, result = cd_diagram(selection.means, name, group)
                files += save_figure(fig, out_dir / f"cd_diagram_{stem}", pdf=pdf)
                ranks_cd = ", ".join(
                    f"{m} {r:.2f}" for m, r in result.rankdf["meanrank"].items()
                )
                message += f"; mean ranks: {ranks_cd}"
            except Exception as err:  # autorank refuses some inputs (e.g. all values equal)
                message = f"CD diagram skipped: autorank failed ({type(err).__name__}: {err})"
        cd_messages[stem] = message
        md.append(f"\n{message}\n")

        if reference in means.columns and len(means.columns) > 1:
            diffs = difference_frame(means, reference)
            if not diffs.empty:
                files += save_figure(
                    differences_figure(diffs, name, reference, group),
                    out_dir / f"{stem}_differences", pdf=pdf,
                )  # fmt: skip
            else:
                md.append(f"No dataset has both {reference} and a baseline: no difference plot.")
        else:
            md.append(f"No {reference} results (or no baseline): no difference plot.\n")

    files += save_figure(runtime_figure(frame), out_dir / "runtime", pdf=pdf)
    md.append("\n## Files\n")
    md += [f"- {p.name}" for p in files]
    text = "\n".join(md) + "\n"
    summary = out_dir / "summary.md"
    summary.write_text(text)
    files.append(summary)
    return ComparisonReport(text, files, tables, cov, cd_messages)


def build_parser() -> argparse.ArgumentParser:
    from inn.cli import prog

    parser = argparse.ArgumentParser(
        prog=prog("plots.comparison"),
        description="Tables and figures comparing methods, from a results tree alone.",
    )
    parser.add_argument("--results_dir", default="results",
                        help="root of the results tree (default: results)")
    parser.add_argument("--out_dir", default="figures",
                        help="where tables and figures go (default: figures)")
    parser.add_argument("--pdf", action="store_true",
                        help="also save every figure as PDF (default: PNG only)")
    parser.add_argument("--reference", default=REFERENCE,
                        help=f"method of the difference plot (default: {REFERENCE})")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not Path(args.results_dir).is_dir():
        print(f"results directory {args.results_dir!r} not found", file=sys.stderr)
        return 1
    report = compare(args.results_dir, args.out_dir, pdf=args.pdf, reference=args.reference)
    print(report.markdown)
    return 0 if report.tables else 1


if __name__ == "__main__":
    sys.exit(main())
