"""Figures of a fitted INN's explanations, drawn from what a run saved: no training here.

Usage::

    python -m plots.explanations --dataset_id 1510 --results_dir results --out_dir figures
        [--seed 0] [--row 0] [--sweep_dir results/weight_norm_sweep] [--pdf]

Reads INN's run of ``--dataset_id`` and ``--seed`` under ``--results_dir``: its result file and the
model saved next to it (``model/``; ``main_experiment.py`` saves INN's model by default), and the
dataset, split and prepared exactly as in that run (:func:`inn.data.prepare_data` with the
run's settings; the split fingerprint is checked). Writes:

* ``importance_<id>.png``: INN's global importance per original feature as its result file
  records it (mean |contribution| over the training rows, one-hot columns summed per feature).
* ``row_<id>_<row>.png``: the contributions of one test row as a waterfall from the bias to the
  output (logit, or prediction for regression; for multiclass, contributions to the predicted
  class minus the mean of the other classes), with each feature's value and its reference value
  (the training mean the contribution is measured from; categorical features have a mix of
  categories as reference).
* ``importance_vs_baselines_<id>.png``: INN's global importances beside those of CatBoost and
  random forest from their result files (mean over seeds). Missing baselines are named in the
  figure and printed.
* ``tradeoff_<id>.png``: sparsity and test metric against ``weight_norm`` from the results of
  ``benchmarks/weight_norm_sweep.py`` under ``--sweep_dir`` (and ``--tradeoff_files``); skipped
  with a message when fewer than two ``weight_norm`` values are there.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from inn.results import (
    MODEL_DIR,
    RESULT_FILE,
    load_results,
    read_result,
    read_result_or_none,
    result_path,
)
from plots.style import (
    NEGATIVE_COLOR,
    NEUTRAL_COLOR,
    POSITIVE_COLOR,
    method_color,
    method_label,
    new_figure,
    save_figure,
)

COMPARED_BASELINES = ("catboost", "random_forest")
SWEEP_DIR = "results/weight_norm_sweep"  # benchmarks/weight_norm_sweep.py writes here by default


# ------------------------------------------------------------------------------------ loading
@dataclass
class SavedRun:
    """INN's run of one dataset and seed: its result record, saved model and prepared data."""

    record: dict
    model: object  # INNClassifier or INNRegressor, loaded with inn.load
    data: object  # inn.data.PreparedData, as the run prepared it

    @property
    def preprocessor(self):
        return self.data.preprocessor

    def explain_test(self, aggregate: bool = True):
        """Explanation of the test rows, per original feature when ``aggregate``."""
        expl = self.model.explain(self.data.X["test"])
        expl.feature_names = list(self.preprocessor.feature_names_out_)
        if expl.class_names is not None and self.data.classes is not None:
            expl.class_names = list(self.data.classes)  # raw labels, not the encoded 0..k-1
        return expl.aggregate(self.preprocessor.feature_map_) if aggregate else expl

    def raw_test_row(self, row: int) -> pd.Series:
        """The original (unencoded) feature values of test row ``row``."""
        return self.data.dataset.X.iloc[self.data.splits.test[row]]

    def reference_values(self) -> pd.Series:
        """The reference point in original units, for the numeric features."""
        return self.preprocessor.numeric_values(self.model.reference()).iloc[0]


def load_run(results_dir, dataset_id, seed: int = 0, data_dir=None) -> SavedRun:
    """Read INN's result and saved model for ``dataset_id`` and ``seed``, and its data.

    Raises FileNotFoundError (naming the command that makes them) when either is missing, and
    ValueError when the dataset no longer splits as it did in the run.
    """
    import inn
    from inn.data import prepare_data

    path = result_path(results_dir, "inn", dataset_id, seed)
    make = (f"python main_experiment.py --dataset_id {dataset_id} --seed {seed} "
            f"--output_dir {results_dir}")  # fmt: skip
    if not path.is_file():
        raise FileNotFoundError(f"no INN result at {path}; make it with: {make}")
    model_dir = path.parent / MODEL_DIR
    if not model_dir.is_dir():
        raise FileNotFoundError(f"no saved model at {model_dir} (the run had --no-save_model); "
                                f"make it with: {make} --overwrite")
    record = read_result(path)
    data = prepare_data(record["dataset_id"], seed, "inn", data_dir=data_dir,
                        test_split_size=record["test_split_size"],
                        numeric_scaling=record.get("numeric_scaling", "standard"),
                        openml_task_id=(record.get("split") or {}).get("openml_task_id"))
    if data.splits.fingerprint() != record["split_fingerprint"]:
        raise ValueError(f"dataset {dataset_id} no longer splits as in the run of {path}")
    return SavedRun(record, inn.load(model_dir, device="cpu"), data)


# ------------------------------------------------------------------------------------ figures
def importance_figure(importances: dict[str, float], title: str, top: int = 20):
    """Horizontal bar chart of global importances, largest on top."""
    items = sorted(importances.items(), key=lambda kv: -kv[1])
    rest = items[top:]
    items = items[:top]
    if rest:
        items.append((f"{len(rest)} other features", float(sum(v for _, v in rest))))
    names = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    fig = new_figure(7.0, 1.2 + 0.28 * len(items))
    ax = fig.subplots()
    colors = [NEUTRAL_COLOR if n.endswith("other features") and rest else method_color("inn")
              for n in names]  # fmt: skip
    ax.barh(names, values, color=colors)
    ax.set_xlabel("Share of mean |contribution| (sums to 1)")
    ax.set_ylabel("Feature")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def row_contributions(expl, row: int):
    """Signed contributions, bias and output of one row (1-D), plus the explained class.

    For multiclass explanations the predicted class is explained against the mean of the others
    (softmax is invariant to shifts shared by all classes, see ``Explanation.contrastive``).
    """
    if expl.contributions.ndim == 2:
        return expl.contributions[row], float(expl.bias[row]), float(expl.output[row]), None
    c = int(np.argmax(expl.output[row]))
    cls = expl.class_names[c]
    contrib = expl.contrastive(cls)[row]
    others = np.delete(np.arange(expl.output.shape[1]), c)
    bias = float(expl.bias[row, c] - expl.bias[row, others].mean())
    output = float(expl.output[row, c] - expl.output[row, others].mean())
    return contrib, bias, output, cls


def row_figure(
    expl,
    row: int,
    *,
    top: int = 12,
    feature_values: pd.Series | None = None,
    reference_values: pd.Series | None = None,
    output_label: str = "logit",
    title: str | None = None,
):
    """Waterfall of one row: bias, then contributions sorted by |value|, ending at the output.

    Args:
        expl: an :class:`inn.explanation.Explanation` (aggregated per original feature or not).
        row: row index into ``expl``.
        top: number of features shown; the rest are summed into one bar.
        feature_values: raw values per feature name, shown next to the names.
        reference_values: the reference point per feature name (numeric features), shown after
            the values; a feature without one (categorical) is marked as having a mix.
        output_label: what the output is (``"logit"``, ``"prediction"``).
    """
    contrib, bias, output, cls = row_contributions(expl, row)
    names = list(expl.feature_names)
    order = np.argsort(-np.abs(contrib), kind="stable")
    shown = order[:top]
    labels = []
    for j in shown:
        label = str(names[j])
        if feature_values is not None and names[j] in feature_values.index:
            label = f"{label} = {_text(feature_values[names[j]])}"
        if reference_values is not None:
            ref = reference_values.get(names[j])
            label += " (ref. category mix)" if ref is None else f" (ref. {_text(ref)})"
        labels.append(label)
    values = [float(contrib[j]) for j in shown]
    if len(order) > top:
        labels.append(f"{len(order) - top} other features")
        values.append(float(contrib[order[top:]].sum()))

    fig = new_figure(8.0, 1.6 + 0.32 * (len(values) + 2))
    ax = fig.subplots()
    y_labels = ["bias"] + labels + [output_label]
    ypos = np.arange(len(y_labels))[::-1]
    ax.barh(ypos[0], bias, color=NEUTRAL_COLOR, height=0.6)
    running = bias
    for i, v in enumerate(values, start=1):
        ax.barh(ypos[i], v, left=running, height=0.6,
                color=POSITIVE_COLOR if v >= 0 else NEGATIVE_COLOR)  # fmt: skip
        ax.plot([running, running], [ypos[i - 1] - 0.3, ypos[i] + 0.3], color="black", lw=0.5)
        running += v
    ax.barh(ypos[-1], output, color="black", height=0.6)
    span = max(abs(bias), abs(output), *(abs(v) for v in values), 1e-9)
    for y, v, left in zip(ypos, [bias, *values, output],
                          [0.0, *np.cumsum([bias, *values])[:-1], 0.0]):  # fmt: skip
        end = left + v
        ax.text(end + (0.01 * span if v >= 0 else -0.01 * span), y, f"{v:+.3f}",
                va="center", ha="left" if v >= 0 else "right", fontsize=8)  # fmt: skip
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(ypos)
    ax.set_yticklabels(y_labels, fontsize=9)
    ends = np.concatenate([[0.0, bias, output], bias + np.cumsum(values)])
    low, high = min(ends.min(), 0.0), max(ends.max(), 0.0)
    pad = 0.18 * (high - low or 1.0)  # room for the value labels on both sides
    ax.set_xlim(low - pad, high + pad)
    what = output_label if cls is None else f"{output_label} of class {cls} vs. the others"
    ax.set_xlabel(f"Contribution w(x)·(x − r) to the {what}")
    ax.set_ylabel("Bias, features (by |contribution|), output")
    ax.set_title(title or f"Explanation of row {row}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _text(value) -> str:
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


def load_importances(results_dir, method: str, dataset_id) -> dict[str, float] | None:
    """Mean ``feature_importances`` over the seeds of ``method`` on ``dataset_id`` (or None)."""
    records = load_results(results_dir, method, dataset_id)
    found = [r["feature_importances"] for r in records if r.get("feature_importances")]
    if not found:
        return None
    frame = pd.DataFrame(found).fillna(0.0)
    return frame.mean().to_dict()


def importance_comparison_figure(
    importances: dict[str, dict[str, float]], title: str, top: int = 15, note: str = ""
):
    """Grouped bars: features (top by the first method's importance) x methods."""
    methods = list(importances)
    first = importances[methods[0]]
    features = sorted(first, key=lambda f: -first[f])[:top]
    for m in methods[1:]:  # features a baseline ranks high but INN does not show
        for f in sorted(importances[m], key=lambda f: -importances[m][f])[:3]:
            if f not in features:
                features.append(f)
    fig = new_figure(8.0, 1.5 + 0.22 * len(features) * max(1, len(methods)) ** 0.6)
    ax = fig.subplots()
    height = 0.8 / len(methods)
    ypos = np.arange(len(features))[::-1]
    for k, m in enumerate(methods):
        values = [importances[m].get(f, 0.0) for f in features]
        ax.barh(ypos + (len(methods) / 2 - k - 0.5) * height, values, height=height,
                color=method_color(m), label=method_label(m))  # fmt: skip
    ax.set_yticks(ypos)
    ax.set_yticklabels(features, fontsize=9)
    ax.set_xlabel("Global importance (normalised to sum 1 per method)")
    ax.set_ylabel("Feature")
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


# ------------------------------------------------------------------------------------ trade-off
def tradeoff_frame(sources, dataset_id=None) -> pd.DataFrame:
    """weight_norm, sparsity and test metric of INN result files.

    Args:
        sources: result files or folders (searched recursively for ``output_info.json``).
        dataset_id: keep only this dataset (default: all).
    """
    paths: list[Path] = []
    for src in sources:
        src = Path(src)
        paths += sorted(src.rglob(RESULT_FILE)) if src.is_dir() else [src]  # any depth
    rows = []
    for path in dict.fromkeys(paths):
        rec = read_result_or_none(path)  # a corrupt file is named in a warning and left out
        if rec is None or rec.get("method") != "inn" or "sparsity" not in rec:
            continue
        if dataset_id is not None and str(rec["dataset_id"]) != str(dataset_id):
            continue
        metrics = rec.get("test_metrics", {})
        regression = rec.get("task") == "regression"
        rows.append({
            "dataset_id": str(rec["dataset_id"]),
            "seed": rec["seed"],
            "weight_norm": float(rec["hyperparameters"].get("weight_norm", np.nan)),
            "sparsity": rec["sparsity"],
            "metric": metrics.get("r2" if regression else "auroc"),
            "metric_name": "R²" if regression else "AUROC",
            "path": str(path),
        })  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["dataset_id", "seed", "weight_norm", "sparsity", "metric", "metric_name", "path"],
    )


def tradeoff_figure(frame: pd.DataFrame, title: str):
    """Sparsity and test metric against weight_norm (left), metric against sparsity (right)."""
    metric_name = frame["metric_name"].iloc[0]
    stats = frame.groupby("weight_norm")[["sparsity", "metric"]].agg(["mean", "std"])
    stats = stats.fillna({c: 0.0 for c in stats.columns if c[1] == "std"})
    wn = stats.index.to_numpy(dtype=float)
    fig = new_figure(11.5, 4.5, layout="constrained")
    left, right = fig.subplots(1, 2)
    color_s, color_m = method_color("inn"), "#1f77b4"
    left.errorbar(wn, stats[("sparsity", "mean")], yerr=stats[("sparsity", "std")], marker="o",
                  color=color_s, capsize=3, label="sparsity")  # fmt: skip
    left.set_ylabel("Sparsity (share of |w(x)| < 0.01)", color=color_s)
    twin = left.twinx()
    twin.errorbar(wn, stats[("metric", "mean")], yerr=stats[("metric", "std")], marker="s",
                  color=color_m, capsize=3, label=metric_name)  # fmt: skip
    twin.set_ylabel(f"Test {metric_name}", color=color_m)
    positive = wn[wn > 0]
    if len(positive):
        left.set_xscale("symlog", linthresh=float(positive.min()))
    left.set_xlabel("weight_norm (L1 penalty on w(x); symmetric log scale)")
    left.set_title(f"Sparsity and test {metric_name} against weight_norm", fontsize=10)
    left.grid(alpha=0.3)

    right.errorbar(stats[("sparsity", "mean")], stats[("metric", "mean")],
                   xerr=stats[("sparsity", "std")], yerr=stats[("metric", "std")], marker="o",
                   color=color_s, capsize=3, linestyle="-")  # fmt: skip
    for w, x, y in zip(wn, stats[("sparsity", "mean")], stats[("metric", "mean")]):
        right.annotate(f"{w:g}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    right.set_xlabel("Sparsity (share of |w(x)| < 0.01)")
    right.set_ylabel(f"Test {metric_name}")
    right.set_title(f"Trade-off (labels: weight_norm; n seeds = {frame['seed'].nunique()})",
                    fontsize=10)  # fmt: skip
    right.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    return fig




# ------------------------------------------------------------------------------------ driver
def explanation_figures(
    dataset_id,
    out_dir,
    *,
    results_dir="results",
    seed: int = 0,
    row: int = 0,
    sweep_dir=SWEEP_DIR,
    tradeoff_files=None,
    data_dir=None,
    pdf: bool = False,
) -> tuple[list[Path], list[str]]:
    """Write all explanation figures of INN's saved run (:func:`load_run`).

    Returns the written files and the messages (also printed) about what was missing.
    """
    out_dir = Path(out_dir)
    files: list[Path] = []
    notes: list[str] = []
    saved = load_run(results_dir, dataset_id, seed, data_dir)
    ds = saved.data.dataset
    label = f"{ds.name} ({ds.dataset_id})"
    n_train = saved.record["n_train"]

    files += save_figure(
        importance_figure(saved.record["feature_importances"],
                          f"INN global importance on {label}\n(mean |contribution| over "
                          f"{n_train} training rows, per original feature)"),
        out_dir / f"importance_{dataset_id}", pdf=pdf,
    )  # fmt: skip

    expl = saved.explain_test()
    row = min(max(row, 0), len(saved.data.splits.test) - 1)
    regression = saved.model.task_ == "regression"
    output_label = "prediction" if regression else "logit"
    title = f"INN explanation of test row {row} of {label}"
    if not regression:
        proba = saved.model.predict_proba(saved.data.X["test"][row : row + 1])[0]
        classes = saved.data.classes
        k = int(np.argmax(proba))
        title += f"\npredicted {classes[k]!s} with p = {proba[k]:.3f}"
        if saved.model.task_ == "binary":
            title += f" (logit of class {classes[1]!s})"
    files += save_figure(
        row_figure(expl, row, feature_values=saved.raw_test_row(row),
                   reference_values=saved.reference_values(), output_label=output_label,
                   title=title),
        out_dir / f"row_{dataset_id}_{row}", pdf=pdf,
    )  # fmt: skip

    importances = {"inn": load_importances(results_dir, "inn", dataset_id)}
    missing = []
    for method in COMPARED_BASELINES:
        found = load_importances(results_dir, method, dataset_id)
        if found:
            importances[method] = found
        else:
            missing.append(method)
    note = f"from the result files under {results_dir} (mean over seeds)"
    if missing:
        msg = f"missing importances of {', '.join(missing)} on {dataset_id} (none under " \
              f"{results_dir})"
        notes.append(msg)
        note += f"; {msg}"
    files += save_figure(
        importance_comparison_figure(importances, f"Global importances on {label}", note=note),
        out_dir / f"importance_vs_baselines_{dataset_id}", pdf=pdf,
    )  # fmt: skip

    sources = [Path(p) for p in tradeoff_files or []]
    if sweep_dir is not None and Path(sweep_dir).is_dir():
        sources.append(Path(sweep_dir))
    trade = tradeoff_frame(sources, dataset_id)
    if trade["weight_norm"].nunique() >= 2:
        files += save_figure(
            tradeoff_figure(trade, f"INN sparsity/accuracy trade-off on {label}"),
            out_dir / f"tradeoff_{dataset_id}", pdf=pdf,
        )  # fmt: skip
    else:
        notes.append(
            f"trade-off figure skipped: INN results with at least 2 weight_norm values on "
            f"{dataset_id} are needed, found {trade['weight_norm'].nunique()} under "
            f"{[str(p) for p in sources]} (make them with benchmarks/weight_norm_sweep.py)"
        )
    for msg in notes:
        print(msg)
    return files, notes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m plots.explanations",
        description="Draw INN's explanations from a run's saved model (see the module docstring).",
    )
    parser.add_argument("--dataset_id", required=True,
                        help="OpenML id or store key of INN's run (required)")
    parser.add_argument("--results_dir", default="results",
                        help="results tree with INN's run and saved model, and the CatBoost and "
                             "random forest results (default: results)")
    parser.add_argument("--out_dir", default="figures",
                        help="where the figures go (default: figures)")
    parser.add_argument("--seed", type=int, default=0, help="seed of INN's run (default: 0)")
    parser.add_argument("--row", type=int, default=0,
                        help="test row of the row explanation (default: 0)")
    parser.add_argument("--sweep_dir", default=SWEEP_DIR,
                        help="results of benchmarks/weight_norm_sweep.py for the trade-off "
                             f"figure (default: {SWEEP_DIR})")
    parser.add_argument("--tradeoff_files", nargs="*", default=None,
                        help="more INN result files (or folders) of other weight_norm runs "
                             "(default: none)")
    parser.add_argument("--data_dir", default=None,
                        help="dataset store folder (default: $INN_DATA_DIR, else "
                             "../shared/datasets next to the repository)")
    parser.add_argument("--pdf", action="store_true",
                        help="also save every figure as PDF (default: PNG only)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        files, _ = explanation_figures(
            args.dataset_id, args.out_dir, results_dir=args.results_dir, seed=args.seed,
            row=args.row, sweep_dir=args.sweep_dir, tradeoff_files=args.tradeoff_files,
            data_dir=args.data_dir, pdf=args.pdf,
        )  # fmt: skip
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in files:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
