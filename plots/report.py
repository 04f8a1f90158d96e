"""Static HTML reports: a results tree as one browsable page, and one INN model with its rows.

Usage::

    python -m plots.report --results_dir results --out_dir report
    python -m plots.report --model runs/inn/credit/0/model --out_dir report_model
    python -m plots.report --model runs/inn/credit/0/model --data examples/credit.csv \\
        --out_dir report_model

or, from Python, ``inn.report(model, X, "report.html")`` (``y=`` adds the true labels).

Each writes one HTML file (``<out_dir>/index.html``) that holds everything it shows: the
figures as PNG data URIs, the numbers as JSON, its own CSS and a little JavaScript. It loads
nothing from anywhere (its Content-Security-Policy forbids it), so it opens offline, from
``file://``, or as an e-mail attachment.

The results report (read only; nothing is written into the tree) has the test AUROC and R²
tables per dataset and method (sortable by a click on a header; the best mean of each row
marked; per-seed values on hover), the average ranks, the critical difference diagram and the
paper's figures (drawn by :mod:`plots.comparison` and :mod:`plots.paper`), the training times
per method and device, what is missing, and a page per dataset: every method's metrics per
seed, the split, and the global importances of INN next to the baselines'.

The model report shows a fitted INN on given rows: its global importances, the dependence of
each feature's contribution on its value (one point per row), and a row picker that draws the
row's waterfall: each feature's value, reference value and contribution from the bias to the
output, exactly as ``model.explain`` computes them.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import math
import re
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

import inn
from inn import methods as registry
from inn.results import MODEL_DIR, RESULT_FILE, load_results, write_text_atomic

from . import comparison, paper
from .explanations import _text, load_importances
from .style import NEGATIVE_COLOR, NEUTRAL_COLOR, POSITIVE_COLOR, method_color, order_methods

TEMPLATES = Path(__file__).with_name("templates")
INDEX = "index.html"
MAX_ROWS = 2000  # rows a model report embeds (a seeded sample of larger inputs)
TOP_FEATURES = 20  # rows of a dataset page's importance table
# figures of plots.comparison and plots.paper, in the order of the page: (file, section, title)
FIGURES = (
    ("cd_diagram_auroc.png", "ranks", "Critical difference diagram, test AUROC"),
    ("cd_diagram_r2.png", "ranks", "Critical difference diagram, test R²"),
    ("rank_violin.png", "ranks", "Ranks per dataset, Wilcoxon tests against INN"),
    ("auroc_gain.png", "figures", "Test AUROC gain over the decision tree"),
    ("auroc_differences.png", "figures", "INN's test AUROC minus each baseline's"),
    ("r2_differences.png", "figures", "INN's test R² minus each baseline's"),
    ("feature_removal.png", "figures", "Feature removal: retraining without the top features"),
    ("xai_rho.png", "figures", "Explanation metrics against the feature correlation ρ"),
    ("two_moons.png", "figures", "INN on two moons"),
    ("runtime.png", "times", "Training and inference time per run"),
)
PAPER_FIGURES = ("gain", "ranks", "removal", "rho", "moons")
METRIC_NAMES = {"auroc": "AUROC", "r2": "R²", "rmse": "RMSE", "mae": "MAE", "log_loss": "log loss",
                "accuracy": "accuracy", "balanced_accuracy": "balanced accuracy"}


# ------------------------------------------------------------------------------------ helpers
def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)  # fmt: skip
    env.filters["json_script"] = _json_script
    return env


def render(template: str, **context) -> str:
    """The page of ``template`` (a file in :data:`TEMPLATES`) filled with ``context``."""
    return _env().get_template(template).render(**context)


def _json_script(data) -> str:
    """``data`` as JSON safe inside ``<script type="application/json">`` (NaN -> null)."""
    from markupsafe import Markup

    text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"))
    # a "</script>" (or "<!--") inside a string must not end the element
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _finite(value):
    """NaN and infinities as None (JSON has neither), recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _num(value) -> float | None:
    """A float for the page (None when missing or not finite)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _fmt(value, digits: int = 3) -> str:
    value = _num(value)
    return "–" if value is None else f"{value:.{digits}f}"


def _seconds(value) -> str:
    value = _num(value)
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _anchor(dataset_id) -> str:
    return "d-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(dataset_id))


def _label(method: str, task: str | None = None) -> str:
    entry = registry.REGISTRY.get(method)
    return method if entry is None else entry.label_for(task)


def _metric_label(column: str) -> str:
    part, _, name = column.partition("_")
    return f"{part} {METRIC_NAMES.get(name, name.replace('_', ' '))}"


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------------------------ results
def results_report(results_dir, out_dir, *, figures: bool = True, echo=print) -> Path:
    """Write the report of the results tree ``results_dir`` to ``<out_dir>/index.html``.

    ``figures=False`` leaves out the matplotlib figures (the slow part: about 12 s for the
    committed benchmark). Nothing is written under ``results_dir``.
    """
    context = results_context(results_dir, figures=figures)
    path = Path(out_dir) / INDEX
    write_text_atomic(render("results.html.j2", **context), path)
    echo(f"wrote {path} ({context['n_runs']} runs, {len(context['datasets'])} datasets, "
         f"{len(context['figures'])} figures)")  # fmt: skip
    return path


def results_context(results_dir, *, figures: bool = True) -> dict:
    """Everything the results page shows, as plain Python values."""
    frame = comparison.load_results(results_dir)
    context = {"title": f"INN benchmark report: {results_dir}", "results_dir": str(results_dir),
               "generated": _now(), "version": inn.__version__, "n_runs": len(frame),
               "groups": [], "figures": [], "times": [], "datasets": [],
               "missing": {"absent": [], "methods": [], "figures": [], "no_figures": not figures},
               "colors": {"pos": POSITIVE_COLOR, "neg": NEGATIVE_COLOR,
                          "neutral": NEUTRAL_COLOR}}  # fmt: skip
    if frame.empty:
        return context
    methods = order_methods(frame["method"].unique())
    context.update(methods=[{"name": m, "label": _label(m), "color": method_color(m)}
                            for m in methods],
                   seeds=sorted(frame["seed"].unique(), key=str),
                   n_datasets=frame["dataset_id"].nunique())  # fmt: skip
    cd_messages, skipped = {}, []
    if figures:
        context["figures"], cd_messages, skipped = _figures(results_dir)
    for group, (column, name, stem) in comparison.METRICS.items():
        part = frame[frame["group"] == group]
        if part.empty or column not in part or part[column].isna().all():
            continue
        context["groups"].append(_score_group(part, group, column, name, stem,
                                              cd_messages.get(stem)))
    context["times"] = _times(frame)
    context["missing"] = _missing(frame, skipped, figures)
    context["datasets"] = _dataset_pages(results_dir, frame)
    return context


def _figures(results_dir) -> tuple[list[dict], dict, list[str]]:
    """The comparison's and the paper's figures, drawn into a temporary folder and embedded."""
    skipped: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        # autorank prints its tables; the page has its own
        report = comparison.compare(results_dir, tmp)
        before = {p.name for p in Path(tmp).iterdir()}
        paper.draw(results_dir, tmp, only=PAPER_FIGURES,
                   echo=lambda line: skipped.append(line) if ": skipped: " in line else None)
        found = [{"section": section, "title": title, "file": file, "src": _data_uri(path),
                  "module": "plots.comparison" if file in before else "plots.paper"}
                 for file, section, title in FIGURES if (path := Path(tmp) / file).is_file()]
    return found, report.cd_messages, skipped


def _score_group(part: pd.DataFrame, group: str, column: str, name: str, stem: str,
                 cd_message: str | None) -> dict:  # fmt: skip
    """The sortable table of one task group: mean ± std over seeds per dataset and method."""
    task = "regression" if group == comparison.REGRESSION else None
    table = comparison.metric_table(part, column)
    methods = order_methods(table["method"].unique())
    most = int(table["n_seeds"].max())
    per_seed = (part.dropna(subset=[column]).sort_values("seed", key=lambda s: s.astype(str))
                .groupby(["dataset_id", "method"])[["seed", column]])
    per_seed = {key: list(zip(g["seed"], g[column])) for key, g in per_seed}
    rows = []
    for (dataset_id, dataset), cells in table.groupby(["dataset_id", "dataset"], sort=False):
        cells = cells.set_index("method")
        best = cells["mean"].round(3).max()
        row = {"dataset_id": dataset_id, "dataset": dataset, "anchor": _anchor(dataset_id),
               "cells": []}
        for m in methods:
            if m not in cells.index or not np.isfinite(cells.loc[m, "mean"]):
                row["cells"].append(None)
                continue
            c = cells.loc[m]
            n = int(c["n_seeds"])
            seeds = per_seed.get((dataset_id, m), [])
            row["cells"].append({
                "value": float(c["mean"]), "text": _fmt(c["mean"]),
                "std": "" if n < 2 else f"± {_fmt(c['std'])}", "n": n, "few": n < most,
                "best": bool(round(float(c["mean"]), 3) == best),
                "seeds": "; ".join(f"seed {s}: {_fmt(v, 4)}" for s, v in seeds),
            })  # fmt: skip
        rows.append(row)
    ranks = comparison.average_ranks(comparison.wide_means(table))
    return {
        "key": stem, "group": group, "name": name, "column": column, "most_seeds": most,
        "methods": [{"name": m, "label": _label(m, task), "color": method_color(m)}
                    for m in methods],
        "rows": rows, "cd_message": cd_message,
        "n_complete": int(ranks["n_complete_datasets"].iloc[0]) if len(ranks) else 0,
        "ranks": [{"label": _label(m, task), "color": method_color(m),
                   "avg_rank": _num(r["avg_rank"]), "n_datasets": int(r["n_datasets"]),
                   "avg_rank_complete": _num(r["avg_rank_complete"])}
                  for m, r in ranks.iterrows()],
    }  # fmt: skip


def _times(frame: pd.DataFrame) -> list[dict]:
    """Runs, datasets and training / inference times per method and device."""
    frame = frame.assign(device=frame["device"].fillna("not recorded").astype(str))
    rows = []
    for method in order_methods(frame["method"].unique()):
        part = frame[frame["method"] == method]
        for device, runs in part.groupby("device", sort=True):
            train, infer = runs["train_time_s"].dropna(), runs["inference_time_s"].dropna()
            rows.append({
                "label": _label(method), "color": method_color(method), "device": device,
                "runs": len(runs), "datasets": runs["dataset_id"].nunique(),
                "total": _num(train.sum()) if len(train) else None,
                "median": _num(train.median()), "max": _num(train.max()),
                "infer": _num(infer.median()),
            })  # fmt: skip
    for row in rows:
        for key in ("total", "median", "max", "infer"):
            row[key + "_text"] = _seconds(row[key])
    return rows


def _missing(frame: pd.DataFrame, skipped: list[str], figures: bool) -> dict:
    """What the tree lacks: registered methods without results, (method, dataset) cells and
    seeds that other methods have, and the figures that could not be drawn."""
    cov = comparison.coverage(frame)
    by_method: dict[str, dict] = {}
    for method, dataset in cov.missing_cells:
        by_method.setdefault(method, {"cells": [], "seeds": []})["cells"].append(dataset)
    for method, dataset, seeds in cov.missing_seeds:
        by_method.setdefault(method, {"cells": [], "seeds": []})["seeds"].append(
            f"{dataset} without seed {', '.join(map(str, seeds))}")
    return {
        "absent": [_label(m) for m in cov.absent_methods],
        "methods": [{"label": _label(m), **v} for m, v in by_method.items()],
        "figures": skipped,
        "no_figures": not figures,
    }


def _dataset_pages(results_dir, frame: pd.DataFrame) -> list[dict]:
    """One page per dataset: metrics per method and seed, the split, importances."""
    records: dict[str, list[dict]] = {}
    for rec in load_results(results_dir):
        if "method" in rec and "dataset_id" in rec:  # not the reference's or xai/'s records
            records.setdefault(str(rec["dataset_id"]), []).append(rec)
    pages = []
    by_dataset = dict(tuple(frame.groupby("dataset_id", sort=False)))
    order = frame.sort_values("dataset_id", key=comparison._natural_key)
    for dataset_id in dict.fromkeys(order["dataset_id"]):
        runs = by_dataset[dataset_id]
        task = str(runs["task"].iloc[0])
        stem = "r2" if task == "regression" else "auroc"
        columns = [c for c in runs.columns if c.startswith("test_") and runs[c].notna().any()]
        main = f"test_{stem}"
        columns = sorted(columns, key=lambda c: (c != main, c))
        train_main = f"train_{stem}" if f"train_{stem}" in runs and \
            runs[f"train_{stem}"].notna().any() else None  # fmt: skip
        metric_columns = columns + ([train_main] if train_main else [])
        methods = order_methods(runs["method"].unique())
        rows = []
        by_method = dict(tuple(runs.groupby("method", sort=False)))
        for m in methods:
            for r in by_method[m].sort_values("seed").to_dict("records"):
                rows.append({
                    "label": _label(m, task), "color": method_color(m), "seed": r["seed"],
                    "metrics": [(_num(r[c]), _fmt(r[c], 4)) for c in metric_columns],
                    "train": _num(r["train_time_s"]), "train_text": _seconds(r["train_time_s"]),
                    "infer": _num(r["inference_time_s"]),
                    "infer_text": _seconds(r["inference_time_s"]),
                    "device": r["device"] if isinstance(r["device"], str) else "–",
                })  # fmt: skip
        pages.append({
            "dataset_id": dataset_id, "dataset": str(runs["dataset"].iloc[0]), "task": task,
            "anchor": _anchor(dataset_id),
            "metric_columns": [_metric_label(c) for c in metric_columns],
            "runs": rows, "split": _split_rows(records.get(dataset_id, [])),
            "importances": _importances(results_dir, dataset_id, methods, task),
        })  # fmt: skip
    return pages


def _split_rows(records: list[dict]) -> list[dict]:
    """The split of each seed as the records state it, grouped by its fingerprint: two rows
    for one seed mean that methods were trained and tested on different rows."""
    groups: dict[tuple, dict] = {}
    for rec in records:
        key = (str(rec.get("seed")), str(rec.get("split_fingerprint")))
        g = groups.setdefault(key, {"rec": rec, "methods": []})
        g["methods"].append(rec["method"])
    n_methods = len({rec["method"] for rec in records})
    rows = []
    def order(item):  # by seed, then the split most methods share first
        (seed, _), g = item
        return (0, int(seed), "") if seed.isdigit() else (1, 0, seed), -len(g["methods"])

    for (seed, _), g in sorted(groups.items(), key=order):
        rec, found = g["rec"], order_methods(set(g["methods"]))
        split = rec.get("split") or {}
        kind = split.get("kind", "seeded")
        if split.get("openml_task_id") is not None:
            kind = f"OpenML task {split['openml_task_id']}"
        protocol = rec.get("protocol") or {}
        rows.append({
            "seed": seed, "kind": kind, "test_share": rec.get("test_split_size"),
            "validation_share": protocol.get("validation_size"),
            "n_train": rec.get("n_train"), "n_val": rec.get("n_val"),
            "n_test": rec.get("n_test"), "n_features": rec.get("n_features"),
            "fingerprint": rec.get("split_fingerprint") or "–",
            "methods": _which(found, n_methods, {rec["method"] for rec in records}),
        })  # fmt: skip
    return rows


def _which(found: list[str], n: int, every: set) -> str:
    """``all 10``, ``all but TabM`` or the methods themselves, whichever is shortest."""
    if len(found) == n:
        return f"all {n}"
    others = order_methods(every - set(found))
    if len(others) < len(found):
        return "all but " + ", ".join(_label(m) for m in others)
    return ", ".join(_label(m) for m in found)


def _importances(results_dir, dataset_id, methods: list[str], task: str) -> dict:
    """INN's global importances next to the other methods' (mean over seeds, normalised to sum
    1 per method): the top features of the first method, plus each other method's top 3."""
    found = {}
    for m in methods:
        values = load_importances(results_dir, m, dataset_id)
        if values:
            found[m] = values
    lacking = [_label(m, task) for m in methods if m not in found]
    if not found:
        return {"methods": [], "rows": [], "rest": 0, "lacking": lacking}
    shown = list(found)
    first = found[shown[0]]
    features = sorted(first, key=lambda f: -first[f])[:TOP_FEATURES]
    for m in shown[1:]:  # features another method ranks high
        features += [f for f in sorted(found[m], key=lambda f: -found[m][f])[:3]
                     if f not in features]
    every = set().union(*found.values())
    top = max(max(v.values()) for v in found.values()) or 1.0
    rows = [{"feature": f,
             "cells": [(_num(found[m].get(f)), _fmt(found[m].get(f)),
                        100.0 * (_num(found[m].get(f)) or 0.0) / top) for m in shown]}
            for f in features]  # fmt: skip
    return {"methods": [{"label": _label(m, task), "color": method_color(m)} for m in shown],
            "rows": rows, "rest": len(every - set(features)), "lacking": lacking}


# ------------------------------------------------------------------------------------ model
def model_context(model, X, y=None, *, title: str | None = None, source: str | None = None,
                  max_rows: int = MAX_ROWS, seed: int = 0) -> dict:  # fmt: skip
    """Everything the model page shows: the explanation of the rows of ``X`` (at most
    ``max_rows``, a seeded sample of more) as JSON-ready lists."""
    if not hasattr(model, "explain"):
        raise ValueError(f"the model report explains an INN (INNClassifier or INNRegressor); "
                         f"{type(model).__name__} has no explain()")
    n_all = len(X)
    if n_all == 0:
        raise ValueError("no rows to explain")
    if y is not None and len(y) != n_all:
        raise ValueError(f"y has {len(y)} values for {n_all} rows")
    positions = np.arange(n_all)
    if n_all > max_rows:  # a sample, in the rows' order, so a sorted file stays sorted
        positions = np.sort(np.random.default_rng(seed).choice(n_all, max_rows, replace=False))
    if isinstance(X, pd.DataFrame):
        rows = X.iloc[positions]
        labels = [str(i) for i in rows.index]
    else:
        rows = np.asarray(X)[positions]
        labels = [str(i) for i in positions]
    expl = model.explain(rows)
    names = [str(n) for n in expl.feature_names]
    importance = getattr(model, "feature_importances_", None)
    if importance is None or len(importance) != len(names):  # then those of these rows
        importance = list(expl.importance().values())
    importance = np.asarray(importance, dtype=float)
    order = np.argsort(-importance, kind="stable")
    values = expl.values
    features = []
    for j in order:
        col = values.iloc[:, j]
        numeric = (pd.api.types.is_numeric_dtype(col.dtype)
                   and not pd.api.types.is_bool_dtype(col.dtype)
                   and not isinstance(col.dtype, pd.CategoricalDtype))  # fmt: skip
        ref = expl.reference.iloc[j] if expl.reference is not None else None
        features.append({"name": names[j], "importance": float(importance[j]),
                         "numeric": bool(numeric), "reference": _text(ref),
                         "ref_num": _num(ref) if numeric else None})  # fmt: skip
    text = [[_text(values.iat[i, j]) for j in order] for i in range(len(values))]
    x = [[_round(values.iat[i, j]) if f["numeric"] else None for j, f in zip(order, features)]
         for i in range(len(values))]  # fmt: skip
    outputs, predicted, key_of_row = _outputs(model, rows, expl, order)
    truth = None
    if y is not None:  # by position, as the rows
        y = y.iloc[positions] if isinstance(y, pd.Series) else np.asarray(y)[positions]
        truth = [_text(v) for v in y]
    task = getattr(model, "task_", "regression")
    return {
        "title": title or f"INN explanation report ({type(model).__name__})",
        "generated": _now(), "version": inn.__version__, "source": source,
        "model": _model_facts(model, expl, n_all, len(positions)),
        "colors": {"pos": POSITIVE_COLOR, "neg": NEGATIVE_COLOR, "neutral": NEUTRAL_COLOR,
                   "point": method_color("inn")},
        "data": {"task": task, "features": features, "rows": labels, "values": text, "x": x,
                 "outputs": outputs, "predicted": predicted, "predicted_key": key_of_row,
                 "truth": truth, "output_name": expl.output_name,
                 "point_color": method_color("inn")},
    }  # fmt: skip


def _round(value, digits: int = 6):
    value = _num(value)
    return None if value is None else float(f"{value:.{digits}g}")


def _outputs(model, rows, expl, order) -> tuple[list[dict], list[str], list[int]]:
    """Per explained output: contributions (features in ``order``), bias, output and
    probability of each row; the prediction of each row and which output explains it."""
    n = len(expl.output)
    proba = model.predict_proba(rows) if hasattr(model, "predict_proba") else None
    predicted = [_text(v) for v in model.predict(rows)]

    def pack(contrib, bias, output, label, p=None):
        return {"label": label, "contrib": [[_round(v) for v in r[order]] for r in contrib],
                "bias": [_round(v) for v in bias], "output": [_round(v) for v in output],
                "proba": None if p is None else [_round(v, 4) for v in p]}  # fmt: skip

    if expl.contributions.ndim == 2:  # binary (logit of classes_[1]) or regression
        p = None if proba is None else proba[:, 1]
        label = expl.output_name if expl.positive_class is None else str(expl.positive_class)
        return [pack(expl.contributions, expl.bias, expl.output, label, p)], predicted, [0] * n
    # multiclass: each class against the mean of the others (softmax ignores shared shifts)
    out = []
    for c, cls in enumerate(expl.class_names):
        others = np.delete(np.arange(len(expl.class_names)), c)
        bias = expl.bias[:, c] - expl.bias[:, others].mean(axis=1)
        output = expl.output[:, c] - expl.output[:, others].mean(axis=1)
        out.append(pack(expl.contrastive(cls), bias, output, str(cls), proba[:, c]))
    return out, predicted, [int(k) for k in np.argmax(expl.output, axis=1)]


def _model_facts(model, expl, n_all: int, n_shown: int) -> list[tuple[str, str]]:
    """The lines of the page's box about the model."""
    output = (f"{expl.output_name} = the contributions + the bias" if expl.class_names is None
              else "per class, its logit against the mean of the others' logits")  # fmt: skip
    facts = [("model", type(model).__name__), ("task", str(getattr(model, "task_", "–"))),
             ("features", str(len(expl.feature_names))), ("output", output)]  # fmt: skip
    if getattr(model, "classes_", None) is not None:
        facts.append(("classes", ", ".join(_text(c) for c in model.classes_)))
    params = model.get_params() if hasattr(model, "get_params") else {}
    shown = ("nr_blocks", "hidden_size", "nr_epochs", "weight_norm", "bias", "shape_functions")
    facts.append(("settings", ", ".join(f"{k}={params[k]}" for k in shown if k in params)))
    if getattr(model, "bias_share_", None) is not None:
        facts.append(("bias share (training rows)", f"{float(model.bias_share_):.3f}"))
    facts.append(("rows shown", f"{n_shown:,}" + ("" if n_shown == n_all else
                                                  f" of {n_all:,} (a seeded sample)")))
    return facts


def report(model, X, path="inn_report.html", *, y=None, title: str | None = None,
           source: str | None = None, max_rows: int = MAX_ROWS) -> Path:  # fmt: skip
    """Write the model report of a fitted INN on the rows ``X`` to the HTML file ``path``
    (the parent folder is made); ``y``: the rows' true labels or targets, shown beside the
    prediction. Returns the file's path. Also ``inn.report``."""
    context = model_context(model, X, y, title=title, source=source, max_rows=max_rows)
    return write_text_atomic(render("model.html.j2", **context), Path(path))


def load_model_rows(model_dir, data=None, target=None, data_dir=None):
    """``(model, X, y, source)`` for the CLI: a saved INN and the rows to explain.

    With ``data`` (a CSV or parquet file): its rows; the target column (``target``, or the one
    the run next to the model recorded, or the one column that is not a feature) gives ``y``.
    Without: the test rows of the run the model belongs to
    (``<results_dir>/inn/<dataset_id>/<seed>/model``), split as in that run.
    """
    from inn.data import DataFile, load_file
    from inn.data.files import read_table
    from inn.results import read_result_or_none

    model_dir = Path(model_dir)
    if not (model_dir / "meta.json").is_file():
        raise FileNotFoundError(f"no saved model in {model_dir} (a folder with meta.json and "
                                "weights.pt, as inn.save or main_experiment.py write it)")
    cell = model_dir.parent
    record = read_result_or_none(cell / RESULT_FILE) if model_dir.name == MODEL_DIR else None
    if record is not None and record.get("method") != "inn":
        raise ValueError(f"{model_dir} is the model of a {record.get('method')} run; the model "
                         "report explains an INN")
    if data is None:
        if record is None:
            raise FileNotFoundError(f"{model_dir} is not the model/ folder of a run (no "
                                    f"{RESULT_FILE} beside it): give the rows with --data")
        from .explanations import load_run

        results_dir = cell.parent.parent.parent
        saved = load_run(results_dir, record["dataset_id"], int(record["seed"]), data_dir)
        test = saved.data.splits.test
        y = saved.data.dataset.y.iloc[test].reset_index(drop=True)
        return (saved.model, saved.test_rows(), y,
                f"the {len(test)} test rows of the run {cell} ({saved.label})")
    model = inn.load(model_dir, device="cpu")
    features = [str(c) for c in getattr(model, "feature_names_in_", [])]
    X, y = read_table(Path(data)), None
    if target is not None and target not in X.columns:
        raise ValueError(f"{data} has no target column {target!r}")
    if target is None and record is not None and "data_file" in record:
        target = record["data_file"]["target"]
    if target is None:
        extra = [c for c in X.columns if str(c) not in features]
        target = extra[0] if len(extra) == 1 and features else None
    if target is not None and target in X.columns:  # the columns typed as a run reads them
        ds = load_file(DataFile(str(data), target))
        X, y = ds.X, ds.y
    if features:
        absent = [f for f in features if f not in X.columns]
        if absent:
            raise ValueError(f"{data} lacks the model's features {absent}")
        X = X[features]
    return model, X, y, f"{data} ({len(X):,} rows)"


# ------------------------------------------------------------------------------------ CLI
def build_parser() -> argparse.ArgumentParser:
    from inn.cli import prog

    p = argparse.ArgumentParser(prog=prog("plots.report"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results_dir", default="results",
                   help="root of the results tree to report on (default: results)")
    p.add_argument("--model", default=None, metavar="DIR",
                   help="report on this saved INN instead of a results tree: a run's model/ "
                        "folder or one written by inn.save (default: none)")
    p.add_argument("--data", default=None, metavar="FILE",
                   help="with --model: the rows to explain, a CSV or parquet file (default: "
                        "the test rows of the run the model belongs to)")
    p.add_argument("--target", default=None,
                   help="with --data: its target column, shown beside the prediction "
                        "(default: the run's, else the one column that is not a feature)")
    p.add_argument("--out_dir", default=None,
                   help="where index.html goes (default: report, or report_model with --model)")
    p.add_argument("--max_rows", type=int, default=MAX_ROWS,
                   help=f"with --model: rows embedded, a seeded sample of more (default: "
                        f"{MAX_ROWS})")
    p.add_argument("--no-figures", dest="figures", action="store_false",
                   help="results report without the matplotlib figures (default: with them)")
    p.add_argument("--data_dir", default=None,
                   help="dataset store, for a run's test rows (default: $INN_DATA_DIR, else "
                        "../shared/datasets)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.model is None:
        if not Path(args.results_dir).is_dir():
            print(f"error: results directory {args.results_dir!r} not found", file=sys.stderr)
            return 2
        out = Path(args.out_dir or "report")
        if out.resolve().is_relative_to(Path(args.results_dir).resolve()):
            print("error: --out_dir is inside --results_dir; the report never writes into a "
                  "results tree", file=sys.stderr)
            return 2
        path = results_report(args.results_dir, out, figures=args.figures)
        return 0 if path.is_file() else 1
    from inn.data import DatasetError

    if args.max_rows < 1:
        print("error: --max_rows must be at least 1", file=sys.stderr)
        return 2
    try:
        model, X, y, source = load_model_rows(args.model, args.data, args.target, args.data_dir)
        path = report(model, X, Path(args.out_dir or "report_model") / INDEX, y=y,
                      source=source, max_rows=args.max_rows,
                      title=f"INN explanation report: {args.model}")
    except (FileNotFoundError, ValueError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({min(len(X), args.max_rows):,} rows of {source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
