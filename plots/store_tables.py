"""The store tables of the README and the docs, generated from a results tree so that they never
drift from it.

Usage::

    python -m plots.store_tables --results_dir results                        # print them
    python -m plots.store_tables --results_dir results --write-readme README.md docs/results.md
    python -m plots.store_tables --results_dir results --check README.md docs/results.md

Two blocks, each between its own markers in a Markdown file:

* the full tables (:data:`BEGIN` ... :data:`END`, in ``docs/results.md``): test AUROC per
  classification dataset and method (mean over seeds), the average rank and mean test AUROC of
  the methods over the (dataset, seed) pairs they all have, test R² per regression dataset, and
  the summed training time per method;
* the headline (:data:`HEADLINE_BEGIN` ... :data:`HEADLINE_END`, in ``README.md``): the rank
  tables alone.

``--write-readme`` replaces every block a file has markers for; ``--check`` exits 1 when one of
them differs from the results (a test runs it on the committed results).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from inn.results import results_frame, write_text_atomic

from . import comparison
from .style import method_label, method_label_over, order_methods

BEGIN = "<!-- store-table:begin -->"
END = "<!-- store-table:end -->"
HEADLINE_BEGIN = "<!-- store-headline:begin -->"
HEADLINE_END = "<!-- store-headline:end -->"


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def score_table(part: pd.DataFrame, metric: str, task: str | None = None) -> str:
    """Dataset x method Markdown table of the mean of ``metric`` over seeds; ``(n)`` marks a
    cell with fewer seeds than the most any cell has. Methods are named as on ``task``
    (``logistic_regression`` is Ridge regression on regression tasks)."""
    table = comparison.metric_table(part, metric)
    methods = order_methods(table["method"].unique())
    most = int(table["n_seeds"].max())
    rows = []
    for dataset, cells in table.groupby("dataset", sort=False):
        cells = cells.set_index("method")
        row = [dataset]
        for m in methods:
            if m not in cells.index:
                row.append("–")
                continue
            n = int(cells.loc[m, "n_seeds"])
            row.append(_fmt(cells.loc[m, "mean"]) + (f" ({n})" if n < most else ""))
        rows.append(row)
    return comparison.markdown_table(["dataset", *[method_label(m, task) for m in methods]], rows)


def rank_table(part: pd.DataFrame, methods: list[str], metric: str = "test_auroc") -> str | None:
    """Average rank (1 = best) and mean of ``metric`` of ``methods`` over the (dataset, seed)
    pairs where all of them have a result; ``None`` when there are none or one method."""
    wide = part[part["method"].isin(methods)].pivot_table(
        index=["dataset_id", "seed"], columns="method", values=metric, aggfunc="mean")
    wide = wide.reindex(columns=methods).dropna()
    if wide.empty or len(methods) < 2:
        return None
    ranks = wide.rank(axis=1, ascending=False).mean()
    order = sorted(methods, key=lambda m: (ranks[m], m))
    n_data = wide.index.get_level_values("dataset_id").nunique()
    seeds = sorted(wide.index.get_level_values("seed").unique())
    rows = [[f"average rank, {n_data} classification datasets, {len(wide)} (dataset, seed) pairs "
             f"(seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))})",
             *[f"{ranks[m]:.2f}" for m in order]],
            ["mean test AUROC", *[f"{wide[m].mean():.4f}" for m in order]]]  # fmt: skip
    return comparison.markdown_table(["", *[method_label(m) for m in order]], rows)


def _rank_tables(cls: pd.DataFrame) -> list[str]:
    """The rank tables of the classification results: the methods with the most (dataset,
    seed) pairs; those with every dataset of the first seed; every method."""
    counts = cls.groupby("method").apply(lambda g: len(g[["dataset_id", "seed"]]
                                                       .drop_duplicates()))
    full = order_methods(counts[counts == counts.max()].index)
    tables = [rank_table(cls, full)]
    # methods with every dataset of the first seed (e.g. one-seed runs of slower methods)
    first = cls[cls["seed"] == cls["seed"].min()]
    n_first = first.groupby("method")["dataset_id"].nunique()
    on_first = order_methods(n_first[n_first == first["dataset_id"].nunique()].index)
    if len(on_first) > len(full):
        tables.append(rank_table(first, on_first))
    everyone = order_methods(cls["method"].unique())
    if len(everyone) > max(len(full), len(on_first)):
        tables.append(rank_table(cls, everyone))
    return [t for t in tables if t is not None]


def _head(frame: pd.DataFrame) -> str:
    devices = sorted({str(d) for d in frame.get("device", pd.Series(dtype=object)).dropna()})
    head = (f"Generated by `python -m plots.store_tables` from {len(frame)} result files "
            f"({frame['method'].nunique()} methods, {frame['dataset_id'].nunique()} datasets, "
            f"seeds {', '.join(map(str, sorted(frame['seed'].unique())))})")
    return head + (f"; devices: {'; '.join(devices)}." if devices else ".")


def headline_tables(results_dir) -> str:
    """The README's block (no markers): the rank tables of the classification results."""
    frame = results_frame(results_dir)
    if frame.empty:
        return f"No result files under `{results_dir}`."
    cls = frame[frame["task"] != "regression"]
    if cls.empty or not cls["test_auroc"].notna().any():
        return "No classification results."
    return "\n\n".join([_head(frame), *_rank_tables(cls)])


def store_tables(results_dir) -> str:
    """The full block of the results page (no markers)."""
    frame = results_frame(results_dir)
    if frame.empty:
        return f"No result files under `{results_dir}`."
    parts = [_head(frame)]
    cls = frame[frame["task"] != "regression"]
    if not cls.empty and cls["test_auroc"].notna().any():
        parts.append("Test AUROC, mean over the seeds (the number of seeds in brackets where it "
                     "is below the most):")
        parts.append(score_table(cls, "test_auroc"))
        parts += _rank_tables(cls)
    reg = frame[frame["task"] == "regression"]
    if not reg.empty and "test_r2" in reg and reg["test_r2"].notna().any():
        parts.append("Regression: test R², mean over the seeds:")
        parts.append(score_table(reg, "test_r2", task="regression"))
    time = frame.groupby("method")["train_time_s"].agg(["sum", "count"])
    time = time.reindex(order_methods(time.index))
    tasks = frame.groupby("method")["task"].unique()
    parts.append("Training time summed over all runs (seconds; runs in brackets):")
    parts.append(comparison.markdown_table(
        [method_label_over(m, sorted(tasks[m])) for m in time.index],
        [[f"{row['sum']:,.0f} ({int(row['count'])})" for _, row in time.iterrows()]]))
    return "\n\n".join(parts)


def replace_block(text: str, block: str, begin: str = BEGIN, end_marker: str = END) -> str:
    """``text`` with the lines between ``begin`` and ``end_marker`` replaced by ``block``."""
    start, end = text.find(begin), text.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"markers {begin} ... {end_marker} not found in order")
    return text[: start + len(begin)] + "\n" + block + "\n" + text[end:]


def current_block(text: str, begin: str = BEGIN, end_marker: str = END) -> str:
    """The text between the markers (without the surrounding newlines)."""
    start, end = text.find(begin), text.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"markers {begin} ... {end_marker} not found in order")
    return text[start + len(begin): end].strip("\n")


# marker pair -> the function that makes its block from a results tree
BLOCKS = {(BEGIN, END): store_tables, (HEADLINE_BEGIN, HEADLINE_END): headline_tables}


def blocks_in(text: str) -> list[tuple[str, str]]:
    """The marker pairs of :data:`BLOCKS` that ``text`` has."""
    return [pair for pair in BLOCKS if pair[0] in text]


def build_parser() -> argparse.ArgumentParser:
    from inn.cli import plain_text, prog

    p = argparse.ArgumentParser(prog=prog("plots.store_tables"),
                                description=plain_text(__doc__),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results_dir", default="results",
                   help="root of the results tree (default: results, the committed records)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--write-readme", dest="write_readme", metavar="FILE", nargs="+",
                       default=None,
                       help="replace the blocks between the store-table and store-headline "
                            "markers of each FILE (default: only print the full tables)")
    group.add_argument("--check", metavar="FILE", nargs="+", default=None,
                       help="exit 1 when a block of a FILE differs from the results "
                            "(default: off)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not Path(args.results_dir).is_dir():
        print(f"error: results directory {args.results_dir!r} not found", file=sys.stderr)
        return 2
    targets = args.write_readme or args.check
    if targets is None:
        print(store_tables(args.results_dir))
        return 0
    made: dict = {}
    stale = False
    for target in targets:
        try:
            text = Path(target).read_text()
            pairs = blocks_in(text)
            if not pairs:
                raise ValueError("no store-table or store-headline markers")
            for pair in pairs:
                if pair not in made:
                    made[pair] = BLOCKS[pair](args.results_dir)
            if args.check:
                same = all(current_block(text, *pair) == made[pair] for pair in pairs)
                stale |= not same
                print(f"{target}: store tables {'up to date' if same else 'differ from'} "
                      f"{args.results_dir}")
                continue
            for pair in pairs:
                text = replace_block(text, made[pair], *pair)
            write_text_atomic(text, target)
        except (OSError, ValueError) as err:
            print(f"error: {target}: {err}", file=sys.stderr)
            return 2
        print(f"wrote the store tables of {args.results_dir} into {target}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
