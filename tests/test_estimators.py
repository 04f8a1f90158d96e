"""Behaviour of the INN and TabResNet estimators: accuracy, explanations, API, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from tolerances import assert_adds_up

import inn
from inn.explanation import bias_share

FAST = {"nr_epochs": 20, "random_state": 0, "device": "cpu"}


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


# sklearn's own API checks, with the ones we skip listed and explained.
EXPECTED_FAILED = {
    # float32 matrix products give results that differ in the last bits when the batch size
    # changes (BLAS blocking), so predictions on a subset can differ by ~1e-7 relative from the
    # same rows predicted in a larger batch; the check demands bit-level equality.
    "check_methods_subset_invariance": "float32 BLAS results depend on the batch size (~1e-7)",
}


@parametrize_with_checks(
    [
        inn.INNClassifier(nr_epochs=30, random_state=0, device="cpu"),
        inn.INNRegressor(nr_epochs=30, random_state=0, device="cpu"),
        inn.TabResNetClassifier(nr_epochs=30, random_state=0, device="cpu"),
        inn.TabResNetRegressor(nr_epochs=30, random_state=0, device="cpu"),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("bias", ["global", "row"])
@pytest.mark.parametrize("consistency_weight", [0.0, 1.0])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_contributions_plus_bias_equal_logits(bias, consistency_weight, n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32) * 3 + 1
    y = rng.integers(0, n_classes, size=120)
    model = inn.INNClassifier(
        bias=bias, consistency_weight=consistency_weight, nr_epochs=3, random_state=0, device="cpu"
    ).fit(X, y)
    expl = model.explain(X)
    logits = model.decision_function(X)
    assert_adds_up(expl.contributions, expl.output, expl.bias)
    np.testing.assert_allclose(expl.output, logits, atol=1e-4)
    if n_classes == 2:
        assert expl.contributions.shape == (120, 6)
    else:
        assert expl.contributions.shape == (120, 6, 3)
        diff = expl.contrastive(0)
        expected = expl.contributions[:, :, 0] - expl.contributions[:, :, 1:].mean(axis=2)
        np.testing.assert_allclose(diff, expected)
        np.testing.assert_allclose(
            expl.contrastive(0, against=2),
            expl.contributions[:, :, 0] - expl.contributions[:, :, 2],
        )


def test_regression_explanation_in_target_units():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 4))
    y = 50 + 10 * X[:, 0] + rng.normal(size=100)
    model = inn.INNRegressor(**FAST).fit(X, y)
    expl = model.explain(X)
    np.testing.assert_allclose(expl.output, model.predict(X), rtol=1e-5, atol=1e-3)
    assert abs(expl.bias.mean() - 50) < 5


def test_bias_share_known_answers():
    rng = np.random.default_rng(0)
    contributions = rng.normal(size=(50, 3))
    assert bias_share(contributions, np.full(50, 2.0)) == 0.0
    assert bias_share(np.zeros((50, 3)), rng.normal(size=50)) == 1.0
    # equal variance in bias and in the sum of contributions -> one half
    b = rng.normal(size=50)
    c = np.zeros((50, 3))
    c[:, 0] = rng.normal(size=50)
    c[:, 0] = (c[:, 0] - c[:, 0].mean()) / c[:, 0].std() * b.std()
    assert bias_share(c, b) == pytest.approx(0.5)


def test_global_bias_has_zero_bias_share_row_bias_not():
    Xtr, _, ytr, _ = _breast_cancer()
    glob = inn.INNClassifier(bias="global", **FAST).fit(Xtr, ytr)
    row = inn.INNClassifier(bias="row", **FAST).fit(Xtr, ytr)
    assert glob.bias_share_ < 1e-12
    assert row.bias_share_ > 0.0


def test_breast_cancer_auroc_with_defaults():
    """The default settings (their time is measured by benchmarks/, not here)."""
    Xtr, Xte, ytr, yte = _breast_cancer()
    model = inn.INNClassifier(random_state=0, device="cpu").fit(Xtr, ytr)
    auroc = roc_auc_score(yte, model.predict_proba(Xte)[:, 1])
    assert auroc >= 0.98, auroc


def test_larger_weight_norm_gives_sparser_weights():
    Xtr, Xte, ytr, _ = _breast_cancer()
    shares = [
        inn.INNClassifier(weight_norm=wn, **FAST).fit(Xtr, ytr).sparsity(Xte)
        for wn in (0.0, 1.0, 3.0)
    ]
    assert shares[0] < shares[1] < shares[2], shares
    assert shares[2] > 3 * shares[0], shares


def test_top_importances_recover_signal():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 12))
    y = (X[:, 0] + 2 * X[:, 1] > 0).astype(int)
    model = inn.INNClassifier(nr_epochs=40, random_state=0, device="cpu").fit(X, y)
    top = np.argsort(-model.feature_importances_)[:2]
    assert list(top) == [1, 0], model.feature_importances_
    assert model.feature_importances_.sum() == pytest.approx(1.0)


def test_regressor_r2_on_diabetes():
    # 5-fold CV (a single split of 442 rows is too noisy to judge). A stronger consistency term
    # than the default regularises towards an additive model, which this small, nearly linear
    # data set needs (measured: defaults R² 0.38, this setting 0.45; TabResNet 0.45 and ridge
    # 0.49 on the same folds).
    X, y = load_diabetes(return_X_y=True)
    reg = inn.INNRegressor(consistency_weight=3.0, random_state=0, device="cpu")
    model = make_pipeline(StandardScaler(), reg)
    scores = cross_val_score(model, X, y, cv=KFold(5, shuffle=True, random_state=0), scoring="r2")
    assert scores.mean() >= 0.45, scores


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 4)), columns=["a", "b", "c", "d"])
    y = np.where(frame["a"] > 0, "yes", "no")
    for est in (inn.INNClassifier(**FAST), inn.TabResNetClassifier(**FAST)):
        est.fit(frame, y)
        inn.save(est, tmp_path / type(est).__name__)
        loaded = inn.load(tmp_path / type(est).__name__)
        np.testing.assert_array_equal(loaded.predict_proba(frame), est.predict_proba(frame))
        np.testing.assert_array_equal(loaded.predict(frame), est.predict(frame))
        assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    reg = inn.INNRegressor(**FAST).fit(frame, frame["b"] * 3)
    inn.save(reg, tmp_path / "reg")
    np.testing.assert_array_equal(inn.load(tmp_path / "reg").predict(frame), reg.predict(frame))


def test_same_seed_same_predictions():
    Xtr, Xte, ytr, _ = _breast_cancer()
    params = {**FAST, "augmentation_probability": 0.5, "consistency_weight": 0.5}
    a = inn.INNClassifier(**params).fit(Xtr, ytr).predict_proba(Xte)
    b = inn.INNClassifier(**params).fit(Xtr, ytr).predict_proba(Xte)
    np.testing.assert_array_equal(a, b)


def test_works_in_grid_search_and_pipeline():
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), inn.INNClassifier(nr_epochs=5, device="cpu")),
        {"innclassifier__weight_norm": [0.0, 0.1]},
        cv=2,
    ).fit(X, y)
    assert grid.best_score_ > 0.7
    assert clone(grid.best_estimator_).get_params()["innclassifier__nr_epochs"] == 5


def test_early_stopping_keeps_best_epoch():
    Xtr, Xte, ytr, yte = _breast_cancer()
    model = inn.INNClassifier(early_stopping=True, patience=5, nr_epochs=200, **{
        k: v for k, v in FAST.items() if k != "nr_epochs"}).fit(Xtr, ytr)
    assert model.best_epoch_ is not None
    assert len(model.history_) < 200
    assert all("val_loss" in h for h in model.history_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"weight_norm": -1}, "weight_norm"),
        ({"nr_blocks": -1}, "nr_blocks"),
        ({"bias": "sometimes"}, "bias"),
        ({"consistency_weight": -0.5}, "consistency_weight"),
    ],
)
def test_bad_hyperparameters(params, message):
    with pytest.raises(ValueError, match=message):
        inn.INNClassifier(**params).fit(np.zeros((10, 2)), [0, 1] * 5)


def test_bad_input_errors():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="single class"):
        inn.INNClassifier(**FAST).fit(X, np.zeros(20))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        inn.INNClassifier(**FAST).fit(bad, [0, 1] * 10)
    with pytest.raises(ValueError, match="numeric X .* pass a pandas DataFrame"):
        inn.INNClassifier(**FAST).fit(np.array([["x"], ["y"]] * 10, dtype=object), [0, 1] * 10)
    # a frame with strings is encoded, not rejected (tests/test_frames.py)
    inn.INNClassifier(**{**FAST, "nr_epochs": 1}).fit(pd.DataFrame({"a": ["x", "y"] * 10}),
                                                      [0, 1] * 10)  # fmt: skip
    model = inn.INNClassifier(**{**FAST, "nr_epochs": 2}).fit(X, [0, 1] * 10)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])


def test_nan_loss_stops_with_error():
    X = np.random.default_rng(0).normal(size=(64, 3)) * 1e30
    with pytest.raises(FloatingPointError, match="loss became"):
        inn.INNRegressor(learning_rate=1e3, **FAST).fit(X, X[:, 0] * 1e30)


def test_thread_count_is_not_forced():
    before = torch.get_num_threads()
    inn.INNClassifier(**{**FAST, "nr_epochs": 1}).fit(np.eye(4), [0, 1, 0, 1])
    assert torch.get_num_threads() == before


def test_get_loss_is_the_whole_objective():
    """A Trainer subclass that overrides get_loss replaces every term, the consistency term
    included: an objective without gradient leaves the weights where they started."""
    from inn.modules import INN
    from inn.training import Trainer, TrainingConfig

    calls = []

    class Flat(Trainer):
        def get_loss(self, x, out, y, y_mix=None, lam=1.0, coalitions=None):
            calls.append(coalitions is not None)
            return (out.logits * 0.0).sum()

    torch.manual_seed(0)
    module = INN(n_features=4, n_outputs=1, hidden_size=8, nr_blocks=1, dropout=0.0,
                 bias="global", n_bins=0, robust=False, shape_functions=False, members=1)
    start = {k: v.clone() for k, v in module.named_parameters()}
    # no additive phase: it has no coalitions (an additive model is consistent as it is)
    params = {**inn.INNClassifier(nr_epochs=2, weight_decay=0.0, consistency_weight=1.0,
                                  weight_norm=0.5, additive_epochs=0).get_params()}
    X = torch.randn(64, 4)
    y = (X[:, 0] > 0).float()
    Flat(module, task="binary", config=TrainingConfig.from_params(params), device="cpu",
         seed=0).fit(X, y)
    assert calls and all(calls)  # the coalitions reach get_loss
    for name, value in module.named_parameters():
        torch.testing.assert_close(value, start[name], rtol=0, atol=0)
    # the default objective does move them
    Trainer(module, task="binary", config=TrainingConfig.from_params(params), device="cpu",
            seed=0).fit(X, y)
    assert any(not torch.equal(v, start[k]) for k, v in module.named_parameters())


def test_training_config_has_no_defaults_of_its_own():
    from dataclasses import MISSING, fields

    from inn.training import TrainingConfig

    assert all(f.default is MISSING for f in fields(TrainingConfig))
    config = TrainingConfig.from_params(inn.TabResNetClassifier().get_params())
    assert config.weight_norm == config.consistency_weight == 0.0  # TabResNet has neither term
    inn_config = TrainingConfig.from_params(inn.INNClassifier().get_params())
    assert inn_config.weight_norm == inn.INNClassifier().weight_norm
    assert inn_config.consistency_weight == inn.INNClassifier().consistency_weight


def test_bin_edges_split_the_rows_outside_point_masses():
    from inn.modules import bin_edges

    rng = np.random.default_rng(0)
    amounts = rng.exponential(5.0, size=1000)
    zero_inflated = np.where(rng.random(1000) < 0.9, 0.0, amounts)
    edges = bin_edges(zero_inflated, 8)
    # plain quantiles give one bin [0, max]; here 0 is an edge and the non-zero rows get the rest
    assert len(np.unique(np.quantile(zero_inflated, np.linspace(0, 1, 9)))) == 2
    assert len(edges) == 9 and edges[0] == 0.0 and edges[-1] == zero_inflated.max()
    counts = np.histogram(zero_inflated[zero_inflated > 0], bins=edges[1:])[0]
    assert counts.min() >= 0.1 * counts.sum() / len(counts)  # about equal counts above 0
    assert np.all(np.diff(edges) > 0)
    # without point masses, or with nothing but masses: the plain quantiles
    plain = lambda v: np.unique(np.quantile(v, np.linspace(0, 1, 9)))  # noqa: E731
    normal, levels = rng.normal(size=500), np.repeat(np.arange(4.0), 150)
    assert np.array_equal(bin_edges(normal, 8), plain(normal))
    assert np.array_equal(bin_edges(levels, 8), plain(levels))
    assert len(bin_edges(np.r_[np.zeros(90), np.arange(1.0, 11.0)], 4)) <= 5
