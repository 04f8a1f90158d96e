"""Fast tests for the baselines (inn.baselines, built through the registry inn.methods) on small
synthetic data (real datasets are tested elsewhere)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from builders import mixed_task_frame
from sklearn.metrics import r2_score, roc_auc_score

from inn import methods
from inn.baselines.tabnet import tabnet_batch_sizes

N_TRAIN, N_VAL, N_TEST = 240, 80, 120
CATS = ["c_signal", "c_noise"]

# Small budgets so that the whole file stays fast; the defaults are exercised elsewhere.
FAST_PARAMS = {
    "catboost": {"iterations": 150, "od_wait": 20},
    "random_forest": {"n_estimators": 40},
    "tabnet": {"max_epochs": 25, "patience": 8},
    "ebm": {"outer_bags": 2, "interactions": 2, "max_rounds": 400},
    "logistic_regression": None,
    "decision_tree": None,
}
BASELINES = tuple(FAST_PARAMS)


def make_baseline(name, **kwargs):
    return methods.get(name).build(**kwargs)


def _make_data(task: str, seed: int = 0):
    raw, y = mixed_task_frame(task, N_TRAIN + N_VAL + N_TEST, seed)

    # a minimal stand-in for the project's preprocessor: median-impute, standardise, one-hot
    tr = raw.iloc[:N_TRAIN]
    num = [c for c in raw.columns if c not in CATS]
    med = tr[num].median()
    filled = raw[num].fillna(med)
    z = (filled - filled.iloc[:N_TRAIN].mean()) / filled.iloc[:N_TRAIN].std()
    onehots = [
        (raw[c].to_numpy()[:, None] == np.sort(tr[c].unique())[None, :]).astype(float)
        for c in CATS
    ]
    enc = np.hstack([z.to_numpy()] + onehots).astype(np.float32)

    idx = np.cumsum([0, N_TRAIN, N_VAL, N_TEST])
    splits = [slice(idx[i], idx[i + 1]) for i in range(3)]
    return {
        "raw": [raw.iloc[s].reset_index(drop=True) for s in splits],
        "encoded": [enc[s] for s in splits],
        "y": [y[s] for s in splits],
    }


_DATA: dict[str, dict] = {}


def _data(task: str):
    if task not in _DATA:
        _DATA[task] = _make_data(task)
    return _DATA[task]


def _fit(name: str, task: str, params=None, seed: int = 0):
    d = _data(task)
    model = make_baseline(name, task=task, seed=seed, n_jobs=1,
                          params=FAST_PARAMS[name] if params is None else params)
    kind = model.input_kind
    assert kind == methods.get(name).input_kind
    (xtr, xva, xte), (ytr, yva, yte) = d[kind], d["y"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "raw":
            model.fit(xtr, ytr, xva, yva, categorical=CATS)
        else:
            model.fit(xtr, ytr, xva, yva, categorical=None)
    return model, xte, yte, xtr.shape[1]


CASES = [
    (name, task)
    for name in BASELINES
    for task in ("binary", "multiclass", "regression")
    # TabNet is the slow one; one classification and one regression run are enough
    if not (name == "tabnet" and task == "multiclass")
]


@pytest.mark.parametrize("name,task", CASES)
def test_fit_predict_importances(name, task):
    model, xte, yte, n_features = _fit(name, task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = model.predict(xte)
        if task == "regression":
            assert pred.shape == (len(yte),)
            assert np.issubdtype(pred.dtype, np.floating)
            assert r2_score(yte, pred) > 0.5
        else:
            proba = model.predict_proba(xte)
            k = 2 if task == "binary" else 3
            assert proba.shape == (len(yte), k)
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
            assert np.all(proba >= 0)
            np.testing.assert_array_equal(pred, proba.argmax(axis=1))
            if task == "binary":
                auc = roc_auc_score(yte, proba[:, 1])
            else:
                auc = roc_auc_score(yte, proba, multi_class="ovr")
            assert auc > 0.75, auc
    imp = model.feature_importances()
    assert imp is not None
    assert imp.shape == (n_features,)
    assert np.all(imp >= 0)
    assert imp.sum() == pytest.approx(1.0)
    assert isinstance(model.params_, dict) and model.params_


def test_unknown_name_raises():
    with pytest.raises(ValueError, match="random_forest"):
        make_baseline("xgboost", task="binary")
    with pytest.raises(ValueError):
        make_baseline("random_forest", task="ranking")


def test_registry_consistent():
    assert set(BASELINES) <= set(methods.names())
    assert {methods.get(m).input_kind for m in methods.names()} <= {"raw", "encoded"}


def test_params_override_and_record():
    model, *_ = _fit("logistic_regression", "binary", params={"C": 0.5})
    assert model.params_["C"] == 0.5
    model, *_ = _fit("decision_tree", "regression", params={"max_depth": 3})
    assert model.params_["max_depth"] == 3
    assert model.params_["depth"] <= 3


def test_tabnet_batch_size_scaled():
    assert tabnet_batch_sizes(200) == (32, 8)
    assert tabnet_batch_sizes(5000) == (512, 128)
    assert tabnet_batch_sizes(10**6) == (1024, 256)
    bs, vbs = tabnet_batch_sizes(20)
    assert bs <= 20 and vbs <= bs


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_ebm_local_contributions_additive(task):
    model, xte, _, n_features = _fit("ebm", task)
    rows = xte.iloc[:7]
    contrib, intercept = model.local_contributions(rows)
    raw = model.decision_function(rows)
    if task == "multiclass":
        assert contrib.shape == (7, n_features, 3)
        assert np.shape(intercept) == (3,)
    else:
        assert contrib.shape == (7, n_features)
        assert isinstance(intercept, float)
    np.testing.assert_allclose(contrib.sum(axis=1) + intercept, raw, atol=1e-6)
    if task == "binary":
        p1 = model.predict_proba(rows)[:, 1]
        logit = np.log(p1) - np.log1p(-p1)
        np.testing.assert_allclose(contrib.sum(axis=1) + intercept, logit, atol=1e-6)
    elif task == "regression":
        np.testing.assert_allclose(contrib.sum(axis=1) + intercept, model.predict(rows),
                                   atol=1e-6)
    # pairwise terms exist and their importance is spread over original features only
    assert any(len(t) == 2 for t in model.model_.term_features_)
    assert model.feature_importances().shape == (n_features,)


# ------------------------------------------------------------------- metrics in one place
def test_metrics_are_defined_in_inn_metrics_only():
    """Every task metric (test metrics, the baselines' selection, the interpretability
    benchmark's model fit, the benchmark scripts) comes from inn.metrics: no other module of the
    package, the figures or the scripts computes one with scikit-learn."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    own = root / "inn" / "metrics.py"
    users = [p for folder in ("inn", "plots", "benchmarks") for p in (root / folder).rglob("*.py")
             if p != own and ("sklearn.metrics" in p.read_text()
                              or "sklearn import metrics" in p.read_text())]  # fmt: skip
    assert users == []


def test_selection_score_is_made_of_inn_metrics():
    from inn import metrics
    from inn.baselines.base import SELECTION_LOG_LOSS_FLOOR, selection_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    proba = rng.dirichlet(np.ones(3), 200)
    proba[0] = [0.0, 0.0, 1.0] if y[0] != 2 else [1.0, 0.0, 0.0]  # a confident miss: floored
    assert selection_score("multiclass", y, proba) == (
        metrics.accuracy(y, proba), -metrics.log_loss(y, proba, floor=SELECTION_LOG_LOSS_FLOOR))
    assert -selection_score("multiclass", y, proba)[1] < metrics.log_loss(y, proba)
    yb = rng.integers(0, 2, 200)
    pb = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    assert selection_score("binary", yb, pb)[0] == metrics.auroc(yb, pb) == \
        metrics.classification_metrics(yb, pb)["auroc"]  # fmt: skip
    target, pred = rng.normal(size=50), rng.normal(size=50)
    assert selection_score("regression", target, pred) == (-metrics.rmse(target, pred),)
    assert metrics.regression_metrics(target, pred)["rmse"] == metrics.rmse(target, pred)
