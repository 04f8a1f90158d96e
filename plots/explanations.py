"""Figures of a fitted INN's explanations: no training here.

The figure functions take a fitted INN (``inn.INNClassifier`` / ``inn.INNRegressor``, e.g. one
loaded with ``inn.load``) and rows (a DataFrame for a model fitted on one) and return a
matplotlib Figure:

* :func:`importance_figure`: the global importance of each feature (``feature_importances_``).
* :func:`waterfall_figure`: one row, from the bias through each feature's contribution to the
  output, with each feature's value and reference value, and the probability.
* :func:`dependence_figure`: a feature's contribution against its value over many rows. For an
  additive model (EBM) this is one curve; for INN the spread of the contributions at one value
  shows how much the other features change it (through the row's weights w(x)).

The command line draws them from what a run saved::

    python -m plots.explanations --dataset_id 1510 --results_dir results --out_dir figures
        [--seed 0] [--row 0] [--sweep_dir runs/weight_norm_sweep] [--pdf]

It reads INN's run of ``--dataset_id`` (an OpenML id, a store key, or the stem of a file the run
read with ``--data``) and ``--seed`` under ``--results_dir``: its result file and the model
saved next to it (``model/``; ``main_experiment.py`` saves INN's model by default), and the
dataset, split as in that run (:func:`inn.data.prepare_data` with the run's settings; the split
fingerprint, and a file's SHA-256, are checked). Writes:

* ``importance_<id>.png``: INN's global importance per original feature (mean |contribution|
  over the training rows, one-hot columns summed per feature; equal to the result file's).
* ``row_<id>_<row>.png``: the waterfall of one test row (logit, or prediction for regression;
  for multiclass, the predicted class against the mean of the others). A numeric feature's
  reference value is the training mean; a categorical feature's is its mix of categories
  (INN's reference is the mean of the one-hot columns).
* ``dependence_<id>_<feature>.png``: the dependence figure of the ``--dependence`` most
  important features over the test rows (for multiclass, of the class the waterfall explains;
  both figures name it).
* ``importance_vs_baselines_<id>.png``: INN's global importances beside those of CatBoost and
  random forest from their result files (mean over seeds). Missing baselines are named in the
  printed with the command that makes them.
* ``tradeoff_<id>.png``: sparsity and test metric against ``weight_norm`` from the results of
  ``benchmarks/weight_norm_sweep.py`` under ``--sweep_dir`` (and ``--tradeoff_files``); skipped
  with a message when fewer than two ``weight_norm`` values are there.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from inn.results import (
    MODEL_DIR,
    RESULT_FILE,
    load_results,
    read_result,
    read_result_or_none,
    result_path,
)

from .style import (
    NEGATIVE_COLOR,
    NEUTRAL_COLOR,
    POSITIVE_COLOR,
    method_color,
    method_label,
    new_figure,
    save_figure,
)

COMPARED_BASELINES = ("catboost", "random_forest")
SWEEP_DIR = "runs/weight_norm_sweep"  # benchmarks/weight_norm_sweep.py writes here by default
DEPENDENCE_FEATURES = 3  # dependence figures of the most important features


# ------------------------------------------------------------------------------------ loading
@dataclass
class SavedRun:
    """INN's run of one dataset and seed: its result record, saved model and data.

    ``model`` takes rows of the original data (the run saved it with its preprocessor).
    """

    record: dict
    model: object  # INNClassifier or INNRegressor, loaded with inn.load
    data: object  # inn.data.PreparedData, as the run prepared it

    @property
    def label(self) -> str:
        ds = self.data.dataset
        return f"{ds.name} ({ds.dataset_id})" if str(ds.name) != str(ds.dataset_id) else ds.name

    def test_rows(self) -> pd.DataFrame:
        """The test rows in their original values."""
        return self.data.dataset.X.iloc[self.data.splits.test].reset_index(drop=True)

    def explain_test(self):
        """Explanation of the test rows per original feature."""
        return self.model.explain(self.test_rows())


def load_run(results_dir, dataset_id, seed: int = 0, data_dir=None) -> SavedRun:
    """Read INN's result and saved model for ``dataset_id`` and ``seed``, and its data.

    Raises FileNotFoundError (naming the command that makes them) when either is missing, and
    ValueError when the data no longer split as they did in the run (or a file changed).
    """
    import inn
    from inn.data import DataFile, prepare_data
    from inn.estimators import with_preprocessor

    path = result_path(results_dir, "inn", dataset_id, seed)
    make = (f"python main_experiment.py --dataset_id {dataset_id} --seed {seed} "
            f"--output_dir {results_dir}")  # fmt: skip
    if not path.is_file():
        raise FileNotFoundError(f"no INN result at {path}; make it with: {make}")
    record = read_result(path)
    source = record["dataset_id"]
    if "data_file" in record:
        file = record["data_file"]
        source = DataFile(file["path"], file["target"], file["mode"])
        make = (f"python main_experiment.py --data {file['path']} --target {file['target']} "
                f"--seed {seed} --output_dir {results_dir}")  # fmt: skip
        if source.record()["sha256"] != file["sha256"]:
            raise ValueError(f"{file['path']} changed since the run of {path}; rerun: {make} "
                             "--overwrite")  # fmt: skip
    model_dir = path.parent / MODEL_DIR
    if not model_dir.is_dir():
        raise FileNotFoundError(f"no saved model at {model_dir} (the run had --no-save_model); "
                                f"make it with: {make} --overwrite")
    data = prepare_data(source, seed, "inn", data_dir=data_dir,
                        test_split_size=record["test_split_size"],
                        numeric_scaling=record.get("numeric_scaling", "standard"),
                        openml_task_id=(record.get("split") or {}).get("openml_task_id"))
    if data.splits.fingerprint() != record["split_fingerprint"]:
        raise ValueError(f"dataset {dataset_id} no longer splits as in the run of {path}")
    model = inn.load(model_dir, device="cpu")
    if model.preprocessor_ is None:  # saved before runs kept their encoder with the model
        model = with_preprocessor(model, data.preprocessor, data.classes)
    return SavedRun(record, model, data)


# ------------------------------------------------------------------------------------ figures
def importance_figure(model, *, title: str | None = None, top: int = 20):
    """Horizontal bar chart of a fitted INN's global importances, largest on top."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = [f"x{i}" for i in range(model.n_features_in_)]
    importances = dict(zip(map(str, names), np.asarray(model.feature_importances_, float)))
    title = title or "INN global importance (mean |contribution| over the training rows)"
    return _importance_bars(importances, title, top)


def _importance_bars(importances: dict[str, float], title: str, top: int = 20):
    items = sorted(importances.items(), key=lambda kv: -kv[1])
    rest = items[top:]
    items = items[:top]
    if rest:
        items.append((f"{len(rest)} other features", float(sum(v for _, v in rest))))
    names = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    fig = new_figure(7.0, 1.2 + 0.28 * len(items), layout="constrained")
    ax = fig.subplots()
    colors = [NEUTRAL_COLOR if n.endswith("other features") and rest else method_color("inn")
              for n in names]  # fmt: skip
    ax.barh(names, values, color=colors)
    ax.set_xlabel("Share of mean |contribution| (sums to 1)")
    ax.set_ylabel("Feature")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def row_contributions(expl, row: int, cls=None):
    """Signed contributions, bias and output of one row (1-D), plus the explained class.

    For multiclass explanations class ``cls`` (default: the row's predicted class) is explained
    against the mean of the others (softmax is invariant to shifts shared by all classes, see
    ``Explanation.contrastive``).
    """
    if expl.contributions.ndim == 2:
        return expl.contributions[row], float(expl.bias[row]), float(expl.output[row]), None
    c = int(np.argmax(expl.output[row])) if cls is None else list(expl.class_names).index(cls)
    cls = expl.class_names[c]
    contrib = expl.contrastive(cls)[row]
    others = np.delete(np.arange(expl.output.shape[1]), c)
    bias = float(expl.bias[row, c] - expl.bias[row, others].mean())
    output = float(expl.output[row, c] - expl.output[row, others].mean())
    return contrib, bias, output, cls


def explained_class(model, X, row: int = 0):
    """The class a multiclass waterfall of row ``row`` explains by default (the predicted
    one); ``None`` for binary classification and regression. Pass it to
    :func:`dependence_figure` so that both figures explain the same class."""
    rows = X.iloc[[row]] if isinstance(X, pd.DataFrame) else np.asarray(X)[row : row + 1]
    expl = model.explain(rows)
    return None if expl.contributions.ndim == 2 else row_contributions(expl, 0)[3]


def waterfall_figure(model, X, row: int = 0, *, top: int = 12, title: str | None = None,
                     cls=None, target: str | None = None):  # fmt: skip
    """The waterfall of row ``row`` of ``X`` (positional) explained by a fitted INN: the bias,
    each feature's contribution (labelled with its value and reference value), the output and,
    for a classifier, the probability of the class it explains.

    Args:
        cls: multiclass: the class explained against the mean of the others (default: the
            row's predicted class; the title names it).
        target: the name of what a regressor predicts (e.g. ``"SalePrice"``), shown with the
            output.
    """
    rows = X.iloc[[row]] if isinstance(X, pd.DataFrame) else np.asarray(X)[row : row + 1]
    expl = model.explain(rows)
    regression = expl.class_names is None and expl.positive_class is None
    output_label = "prediction" if regression else "logit"
    if regression and target:
        output_label = f"prediction of {target}"
    probability = None
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(rows)[0]
        classes = list(model.classes_)
        if expl.positive_class is not None:
            shown = expl.positive_class
        else:
            shown = row_contributions(expl, 0, cls)[3]
        probability = (shown, float(proba[classes.index(shown)]))
    return row_figure(expl, 0, top=top, output_label=output_label, probability=probability,
                      title=title or f"INN explanation of row {row}", cls=cls)  # fmt: skip


def _amount(value: float, scale: float, sign: bool = True) -> str:
    """``value`` with as many decimals as the size of the figure's contributions ``scale``
    needs (0 decimals for thousands, 3 for tenths) and thousands separators."""
    digits = int(np.clip(2 - np.floor(np.log10(max(abs(scale), 1e-12))), 0, 3))
    return f"{value:{'+' if sign else ''},.{digits}f}"


def row_figure(
    expl,
    row: int,
    *,
    top: int = 12,
    output_label: str = "logit",
    probability: tuple | None = None,
    title: str | None = None,
    cls=None,
):
    """Waterfall of one row of an explanation: from the bias, the contributions sorted by
    |value|, ending at the output; the values stand in a column at the right.

    The x-axis spans the path from the bias to the output. It includes 0 for a logit (0 is
    P = 0.5 for a binary classifier) and wherever 0 is near; a regression whose bias is far from
    0 (a price of 180,000 with contributions of a few thousand) starts near the bias instead,
    and the bias and the output are drawn as markers, not as bars from 0 that would fill the
    axis.

    Args:
        expl: an :class:`inn.explanation.Explanation`; its ``values`` and ``reference`` (when
            present) label each feature ``name = value (ref. reference)``.
        row: row index into ``expl``.
        top: number of features shown; the rest are summed into one bar.
        output_label: what the output is (``"logit"``, ``"prediction of SalePrice"``).
        probability: ``(class, p)`` written next to the output bar.
        cls: multiclass: the class explained against the mean of the others (default: the
            predicted class).
    """
    contrib, bias, output, cls = row_contributions(expl, row, cls)
    names = list(expl.feature_names)
    order = np.argsort(-np.abs(contrib), kind="stable")
    if len(order) == top + 1:  # a bar for "1 other feature" would hide its name
        top += 1
    shown = order[:top]
    labels = []
    for j in shown:
        label = str(names[j])
        if expl.values is not None:
            label = f"{label} = {_text(expl.values.iloc[row, j])}"
        if expl.reference is not None:
            label += f"  (ref. {_text(expl.reference.iloc[j])})"
        labels.append(label)
    values = [float(contrib[j]) for j in shown]
    if len(order) > top:
        labels.append(f"{len(order) - top} other features")
        values.append(float(contrib[order[top:]].sum()))

    what = output_label
    if cls is not None:
        what = f"{output_label} of class {cls} vs. the mean of the others"
    elif expl.positive_class is not None:
        what = f"{output_label} of class {expl.positive_class}"
    out_text = f"output: {what}"
    if probability is not None:
        out_text += f"\nP({probability[0]}) = {probability[1]:.3f}"
    y_labels = ["bias (output at the reference)"] + labels + [out_text]
    ypos = np.arange(len(y_labels))[::-1]
    path = np.concatenate([[bias], bias + np.cumsum(values)])
    lo, hi = float(min(path.min(), output)), float(max(path.max(), output))
    width = hi - lo or max(abs(hi), 1.0)
    logit = output_label == "logit"
    from_zero = logit or lo - 0.5 * width <= 0.0 <= hi + 0.5 * width
    if from_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        width = hi - lo or 1.0
    scale = max([abs(v) for v in values] + [1e-12])

    longest = max(len(line) for label in y_labels for line in label.split("\n"))
    fig = new_figure(float(np.clip(4.5 + 0.075 * longest, 9.0, 14.0)),
                     1.6 + 0.32 * (len(values) + 2), layout="constrained")  # fmt: skip
    ax = fig.subplots()
    if from_zero:
        ax.barh(ypos[0], bias, color=NEUTRAL_COLOR, height=0.6)
        ax.barh(ypos[-1], output, color="black", height=0.6)
        ax.axvline(0.0, color="black", lw=0.8)
    else:  # markers: a bar from 0 would fill the axis with the bias
        ax.plot([bias], [ypos[0]], marker="D", color=NEUTRAL_COLOR, markersize=8)
        ax.plot([output], [ypos[-1]], marker="D", color="black", markersize=8)
        ax.axvline(bias, color=NEUTRAL_COLOR, lw=0.8, ls=":")
    running = bias
    for i, v in enumerate(values, start=1):
        ax.barh(ypos[i], v, left=running, height=0.6,
                color=POSITIVE_COLOR if v >= 0 else NEGATIVE_COLOR)  # fmt: skip
        ax.plot([running, running], [ypos[i - 1] - 0.3, ypos[i] + 0.3], color="black", lw=0.5)
        running += v
    ax.plot([running, running], [ypos[-2] - 0.3, ypos[-1] + 0.3], color="black", lw=0.5)
    ax.set_xlim(lo - 0.06 * width, hi + 0.06 * width)
    ax.set_ylim(ypos[-1] - 0.7, ypos[0] + 0.7)
    ax.set_yticks(ypos)
    ax.set_yticklabels(y_labels, fontsize=9)
    # the numbers in a column of their own, inside the figure whatever the bars' lengths
    right = ax.secondary_yaxis("right")
    right.set_yticks(ypos, labels=[_amount(bias, scale, sign=False),
                                   *[_amount(v, scale) for v in values],
                                   _amount(output, scale, sign=False)], fontsize=8)  # fmt: skip
    right.tick_params(length=0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,g}"))
    xlabel = f"Contribution w(x)·z(x) to the {what}"
    if not from_zero:
        xlabel += f"\n(the axis starts near the bias, {_amount(bias, scale, sign=False)}, not at 0)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("feature = value (ref. = reference value), by |contribution|")
    title = title or f"Explanation of row {row}"
    if cls is not None:
        title += f"\nclass {cls} against the mean of the other classes"
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def dependence_figure(model, X, feature, *, cls=None, title: str | None = None,
                      n_values: int = 12):  # fmt: skip
    """A feature's contribution against its value over the rows of ``X``, explained by a
    fitted INN.

    Every row is a point (its value, its contribution). For a grid of values (quantiles of a
    numeric feature; the categories of a categorical one) the feature is then set to that value
    in every row: the median contribution is the line (the marker), and the band (the bar) from
    the 10th to the 90th percentile over the rows is the effect of the other features, which
    INN's weights w(x) depend on. An additive model (EBM) would have no spread.

    Args:
        feature: a name of ``explain``'s features (a column of the frame the model was fit on).
        cls: multiclass: the class whose contribution (against the mean of the others) is shown
            (default: the first class; the title names it). :func:`explained_class` gives the
            class a waterfall explains, so that both figures show the same one.
        n_values: quantiles of a numeric feature in the grid (with twice as many evenly spaced
            values).
    """
    expl = model.explain(X)
    names = list(expl.feature_names)
    if feature not in names:
        raise ValueError(f"unknown feature {feature!r}; features are {names}")
    j = names.index(feature)
    if expl.contributions.ndim == 3:
        cls = expl.class_names[0] if cls is None else cls
        what = f"{expl.output_name} of class {cls} vs. the mean of the others"
    else:
        what = expl.output_name
        cls = None

    def contribution(e) -> np.ndarray:
        return e.contrastive(cls)[:, j] if e.contributions.ndim == 3 else e.contributions[:, j]

    def set_to(value):
        if isinstance(X, pd.DataFrame):
            out = X.copy()
            out[X.columns[j]] = value
            return out
        out = np.array(X, dtype=float, copy=True)
        out[:, j] = value
        return out

    contrib = contribution(expl)
    values = expl.values.iloc[:, j]
    fig = new_figure(7.0, 5.0, layout="constrained")
    ax = fig.subplots()
    color = method_color("inn")
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not isinstance(
        values.dtype, pd.CategoricalDtype)
    band = "10th-90th percentile over the rows, feature set to the value"
    note = ""
    if numeric:
        x = values.to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if (~ok).any():
            note = f"\n({int((~ok).sum())} rows with a missing value are not shown)"
        ax.scatter(x[ok], contrib[ok], s=8, alpha=0.35, color=color, lw=0, label="rows")
        # quantiles follow the data, an even grid the sparse tails
        grid = np.unique(np.concatenate([np.quantile(x[ok], np.linspace(0, 1, n_values)),
                                         np.linspace(x[ok].min(), x[ok].max(), 2 * n_values)]))
        stats = np.array([np.percentile(contribution(model.explain(set_to(v))), [10, 50, 90])
                          for v in grid])  # fmt: skip
        ax.fill_between(grid, stats[:, 0], stats[:, 2], color="black", alpha=0.12, label=band)
        ax.plot(grid, stats[:, 1], color="black", lw=1.5, label="median, feature set to the value")
        ax.set_xlabel(f"{feature} (value in the data's units)")
    else:
        labels = values.astype(object).where(values.notna(), "missing").astype(str)
        order = labels.value_counts().index[:20].tolist()
        rng = np.random.default_rng(0)  # jitter only, for readability
        for k, level in enumerate(order):
            mask = (labels == level).to_numpy()
            ax.scatter(k + rng.uniform(-0.25, 0.25, mask.sum()), contrib[mask], s=8, alpha=0.35,
                       color=color, lw=0, label="rows" if k == 0 else None)  # fmt: skip
            value = np.nan if level == "missing" else level
            p10, p50, p90 = np.percentile(contribution(model.explain(set_to(value))), [10, 50, 90])
            ax.plot([k + 0.35] * 2, [p10, p90], color="black", lw=4, alpha=0.25,
                    label=band if k == 0 else None)  # fmt: skip
            ax.plot([k + 0.25, k + 0.45], [p50] * 2, color="black", lw=2,
                    label="median, feature set to the category" if k == 0 else None)  # fmt: skip
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=30 if len(order) > 5 else 0, ha="right"
                           if len(order) > 5 else "center", fontsize=9)  # fmt: skip
        ax.set_xlabel(f"{feature} (category)")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel(f"Contribution to the {what}")
    head = title or f"INN dependence on {feature}"
    if cls is not None:
        head += f", class {cls} against the mean of the other classes"
    ax.set_title(head + f"\n{len(contrib)} rows; the spread at one value is the effect of the "
                 f"other features{note}", fontsize=9)  # fmt: skip
    fig.legend(fontsize=7, loc="outside lower center", ncol=3)  # off the points
    ax.grid(alpha=0.3)
    return fig


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "missing"
    if isinstance(value, (float, np.floating)):  # 31,770 rather than 3.177e+04
        return f"{value:,.0f}" if 1e4 <= abs(value) < 1e12 else f"{value:.4g}"
    return str(value)


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
    results_dir="runs",
    seed: int = 0,
    row: int = 0,
    dependence: int = DEPENDENCE_FEATURES,
    sweep_dir=SWEEP_DIR,
    tradeoff_files=None,
    data_dir=None,
    pdf: bool = False,
) -> tuple[list[Path], list[str]]:
    """Write all explanation figures of INN's saved run (:func:`load_run`).

    Returns the written files and the messages (also printed) about what was missing.
    """
    from inn.data import dataset_key

    dataset_id = dataset_key(dataset_id)  # once, here: the steps below take the key as it is
    out_dir = Path(out_dir)
    files: list[Path] = []
    notes: list[str] = []
    saved = load_run(results_dir, dataset_id, seed, data_dir)
    label, model = saved.label, saved.model
    n_train = saved.record["n_train"]

    files += save_figure(
        importance_figure(model, title=f"INN global importance on {label}\n(mean |contribution| "
                                       f"over {n_train} training rows, per original feature)"),
        out_dir / f"importance_{dataset_id}", pdf=pdf,
    )  # fmt: skip

    test = saved.test_rows()
    row = min(max(row, 0), len(test) - 1)
    cls = explained_class(model, test, row)  # the waterfall's class, also the dependence's
    files += save_figure(
        waterfall_figure(model, test, row, title=f"INN explanation of test row {row} of {label}",
                         cls=cls, target=str(saved.data.dataset.y.name)),
        out_dir / f"row_{dataset_id}_{row}", pdf=pdf,
    )  # fmt: skip

    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        top = np.argsort(-np.asarray(model.feature_importances_), kind="stable")[:dependence]
        for j in top:
            feature = str(names[j])
            files += save_figure(
                dependence_figure(model, test, feature, cls=cls,
                                  title=f"INN dependence on {feature}, {label} (test rows)"),
                out_dir / f"dependence_{dataset_id}_{_file_part(feature)}", pdf=pdf,
            )  # fmt: skip

    importances = {"inn": load_importances(results_dir, "inn", dataset_id)}
    missing = []
    for method in COMPARED_BASELINES:
        found = load_importances(results_dir, method, dataset_id)
        if found:
            importances[method] = found
        else:
            missing.append(method)
    note = "each method's global importances, mean over its seeds"
    if missing:
        notes.append(f"importance comparison on {dataset_id}: {', '.join(missing)} missing (no "
                     f"result under {results_dir}), so the figure shows "
                     f"{', '.join(method_label(m) for m in importances)} only; make one with: "
                     f"python baseline_experiment.py --model {missing[0]} --dataset_id "
                     f"{dataset_id} --output_dir {results_dir}")
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
        found = trade["weight_norm"].nunique()
        where = (f"found {found} in {', '.join(str(p) for p in sources)}" if sources else
                 f"the sweep folder {sweep_dir} does not exist")
        notes.append(
            f"trade-off figure skipped: it needs INN runs of {dataset_id} with at least 2 "
            f"weight_norm values; {where} (make them with: python benchmarks/weight_norm_sweep.py "
            f"--dataset_id {dataset_id})"
        )
    for msg in notes:
        print(msg)
    return files, notes


def _file_part(name: str) -> str:
    """A feature name as part of a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "feature"


def build_parser() -> argparse.ArgumentParser:
    from inn.cli import prog

    parser = argparse.ArgumentParser(
        prog=prog("plots.explanations"),
        description="Draw INN's explanations from a run's saved model (see the module docstring).",
    )
    parser.add_argument("--dataset_id", required=True,
                        help="OpenML id or store key of INN's run, or the stem of the file a "
                             "run read with --data (required)")
    parser.add_argument("--results_dir", default="runs",
                        help="results tree with INN's run and saved model, and the CatBoost and "
                             "random forest results (default: runs, where runs write)")
    parser.add_argument("--out_dir", default="figures",
                        help="where the figures go (default: figures)")
    parser.add_argument("--seed", type=int, default=0, help="seed of INN's run (default: 0)")
    parser.add_argument("--row", type=int, default=0,
                        help="test row of the row explanation (default: 0)")
    parser.add_argument("--dependence", type=int, default=DEPENDENCE_FEATURES,
                        help="dependence figures of this many of the most important features "
                             f"(default: {DEPENDENCE_FEATURES})")
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
            row=args.row, dependence=args.dependence, sweep_dir=args.sweep_dir,
            tradeoff_files=args.tradeoff_files,
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
