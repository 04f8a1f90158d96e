"""Tests for the pytabkit baselines (RealMLP-TD, TabM) on small data with few epochs.

TabM's default network (32 members, 3 blocks of width 512) costs about a second per batch on one
CPU thread, so most tests shrink it (``SMALL_TABM``); the breast-cancer test keeps the default
architecture.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from builders import mixed_task_frame
from needs import needs_store
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from inn import methods
from inn.baselines.realmlp import RealMLPBaseline
from inn.baselines.tabm import TabMBaseline

pytest.importorskip("pytabkit")

NAMES = ("realmlp", "tabm")
N_TRAIN, N_VAL, N_TEST = 240, 80, 120
CATS = ["c_signal", "c_noise"]
SMALL_TABM = {"d_block": 64, "tabm_k": 4}
# RealMLP takes one step per epoch on 240 rows; 100 epochs of its schedule are needed for the
# regression task (30 give R^2 ~ 0.5), and cost ~3 s.
FAST = {"realmlp": {"n_epochs": 100}, "tabm": {"n_epochs": 30, **SMALL_TABM}}


def _make_data(task: str, seed: int = 0):
    """Numeric columns (x1 with 5 % NaN), an informative and a noise string categorical."""
    raw, y = mixed_task_frame(task, N_TRAIN + N_VAL + N_TEST, seed)
    idx = np.cumsum([0, N_TRAIN, N_VAL, N_TEST])
    X_parts = [raw.iloc[idx[i]:idx[i + 1]].reset_index(drop=True) for i in range(3)]
    y_parts = [y[idx[i]:idx[i + 1]] for i in range(3)]
    return X_parts, y_parts


_DATA: dict[str, tuple] = {}


def _data(task: str):
    if task not in _DATA:
        _DATA[task] = _make_data(task)
    return _DATA[task]


def make_baseline(name, task, seed=0, n_jobs=1, params=None):
    return methods.get(name).build(task=task, seed=seed, n_jobs=n_jobs, params=params)


def _fit(name: str, task: str, params=None, seed: int = 0):
    (xtr, xva, _), (ytr, yva, _) = _data(task)
    model = make_baseline(name, task=task, seed=seed, n_jobs=1,
                          params=FAST[name] if params is None else params)
    return model.fit(xtr, ytr, xva, yva, categorical=CATS)


def _class_error(model, X, y) -> float:
    return float(np.mean(model.predict(X) != np.asarray(y)))


def test_registry():
    for name in NAMES:
        entry = methods.get(name)
        assert entry.input_kind == "raw" and entry.space is not None
        assert not entry.interpretable
    assert isinstance(make_baseline("realmlp", "binary"), RealMLPBaseline)
    assert isinstance(make_baseline("tabm", "regression"), TabMBaseline)


@pytest.mark.parametrize("name", NAMES)
def test_search_space_uses_library_parameter_names(name):
    optuna = pytest.importorskip("optuna")
    from inn.suite.spaces import suggest

    model = make_baseline(name, "binary")
    allowed = set(model._estimator_class()().get_params())
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    params = suggest(name, trial, "binary", fixed={"n_epochs": 3})
    assert params["n_epochs"] == 3 and len(params) >= 5
    assert set(params) <= allowed, set(params) - allowed


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_fit_predict_quality_and_record(name, task, capfd):
    threads = torch.get_num_threads()
    model = _fit(name, task)
    (_, _, xte), (_, _, yte) = _data(task)
    pred = model.predict(xte)
    assert pred.shape == (len(yte),)
    if task == "regression":
        assert np.issubdtype(pred.dtype, np.floating)
        assert r2_score(yte, pred) > 0.8
    else:
        proba = model.predict_proba(xte)
        k = 2 if task == "binary" else 3
        assert proba.shape == (len(yte), k)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(pred, proba.argmax(axis=1))
        auc = (roc_auc_score(yte, proba[:, 1]) if k == 2
               else roc_auc_score(yte, proba, multi_class="ovr"))
        assert auc > 0.9, auc
    assert model.feature_importances() is None
    p = model.params_
    assert p["n_epochs"] == FAST[name]["n_epochs"]  # the override reached the library
    assert p["random_state"] == 0 and p["n_threads"] == 1 and p["device"] == "cpu"
    assert p["n_refit"] == 0
    assert p["val_metric_name"] == ("rmse" if task == "regression" else "class_error")
    assert 0 <= p["best_epoch"] <= p["epochs_run"] <= p["n_epochs"]
    assert np.isfinite(p["best_val_error"])
    if name == "realmlp":
        assert p["hidden_sizes"] == [256, 256, 256] and p["num_emb_type"] == "pbld"
    else:
        assert p["arch_type"] == "tabm" and p["tfms"] == ["quantile_tabr"]
    json.dumps(p)  # goes into the result file as is
    assert torch.get_num_threads() == threads  # the library restores the thread count
    out, err = capfd.readouterr()
    assert out == "" and err == "", (out, err)  # no console output from pytabkit or Lightning


@pytest.mark.parametrize("name", NAMES)
def test_breast_cancer_auroc(name):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    Xtr, Xva, ytr, yva = train_test_split(Xtr, ytr, test_size=0.2, random_state=0, stratify=ytr)
    # default architectures, few epochs
    params = {"n_epochs": 20} if name == "realmlp" else {"n_epochs": 4}
    model = make_baseline(name, "binary", seed=0, params=params).fit(Xtr, ytr, Xva, yva)
    assert roc_auc_score(yte, model.predict_proba(Xte)[:, 1]) > 0.95
    assert model.categorical_ == []


@pytest.mark.parametrize("name", NAMES)
def test_unseen_category_and_missing_values_at_predict(name):
    model = _fit(name, "binary")
    (xtr, _, xte), _ = _data("binary")
    X = xte.copy()
    X.loc[0, "c_signal"] = "never_seen"
    X.loc[1, "c_noise"] = None  # becomes the category "missing"
    X.loc[2, ["x0", "x3"]] = np.nan  # columns without NaN in training
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    # numeric NaN is the training median, at fit and at predict time
    filled = X.copy()
    for col in ("x0", "x1", "x3"):
        filled[col] = filled[col].fillna(xtr[col].median())
    assert model.fill_values_["x1"] == pytest.approx(xtr["x1"].median())
    np.testing.assert_allclose(model.predict_proba(filled), proba, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_predictions(name):
    params = {"n_epochs": 10} if name == "realmlp" else {"n_epochs": 5, **SMALL_TABM}
    (_, _, xte), _ = _data("binary")
    a = _fit(name, "binary", params, seed=3).predict_proba(xte)
    b = _fit(name, "binary", params, seed=3).predict_proba(xte)
    c = _fit(name, "binary", params, seed=4).predict_proba(xte)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("name", NAMES)
def test_best_epoch_chosen_on_our_validation_split(name):
    """The validation error the library recorded for the kept epoch is the kept model's
    classification error on the X_val we passed, so that split chose the epoch."""
    model = _fit(name, "multiclass")
    (_, xva, _), (_, yva, _) = _data("multiclass")
    p = model.params_
    assert 1 <= p["best_epoch"] <= p["epochs_run"]
    assert _class_error(model, xva, yva) == pytest.approx(p["best_val_error"], abs=1e-5)


def test_tabm_early_stopping_on_validation():
    model = _fit("tabm", "binary", {"n_epochs": 200, "patience": 2, **SMALL_TABM})
    p = model.params_
    # stops after patience + 1 epochs without improvement of the validation error
    assert p["epochs_run"] == p["best_epoch"] + p["patience"] + 1 < 200


def test_realmlp_best_epoch_depends_on_validation_labels():
    """Same training data, validation labels shuffled: a different epoch (and model) is kept."""
    (xtr, xva, xte), (ytr, yva, _) = _data("binary")
    params = {"n_epochs": 30}
    good = make_baseline("realmlp", "binary", params=params).fit(xtr, ytr, xva, yva)
    noise = np.random.default_rng(0).permutation(yva)
    bad = make_baseline("realmlp", "binary", params=params).fit(xtr, ytr, xva, noise)
    assert good.params_["best_val_error"] < bad.params_["best_val_error"]
    assert good.params_["best_epoch"] != bad.params_["best_epoch"]
    assert not np.allclose(good.predict_proba(xte), bad.predict_proba(xte))


def test_unknown_parameter_raises():
    with pytest.raises(ValueError, match="n_epochs"):
        _fit("realmlp", "binary", {"no_such_param": 1})




@needs_store
@pytest.mark.parametrize("name", NAMES)
def test_run_writes_result_file(name, tmp_path):
    from inn.experiment import run
    from inn.results import read_result

    params = {"n_epochs": 10} if name == "realmlp" else {"n_epochs": 5, **SMALL_TABM}
    rec = run(name, 29, seed=0, params=params, output_dir=tmp_path, quiet=True, n_jobs=1)
    saved = read_result(rec["path"])
    assert saved["method"] == name and saved["dataset_name"] == "credit-approval"
    assert saved["task"] == "binary" and saved["test_metrics"]["auroc"] > 0.8
    assert saved["hyperparameters"]["n_epochs"] == params["n_epochs"]
    assert saved["hyperparameters"]["best_epoch"] >= 1
    assert saved["feature_importances"] is None
    assert saved["n_input_columns"] == saved["n_features"] == 15  # raw columns
    assert saved["versions"]["pytabkit"]
    assert saved["device"].startswith("cpu")
