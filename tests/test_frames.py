"""Estimators on pandas DataFrames: encoding inside fit, named explanations, save/load."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import make_pipeline
from tolerances import assert_adds_up

import inn
from inn.data import TabularPreprocessor
from inn.estimators import with_preprocessor

FAST = {"nr_epochs": 3, "random_state": 0, "device": "cpu", "hidden_size": 32}
COLUMNS = ["income", "city", "age", "plan", "flag"]


def _frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric and string columns with missing values, and a string target."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "income": rng.lognormal(3, 0.5, n),
        "city": rng.choice(["Berlin", "Paris", "Rome"], n).astype(object),
        "age": rng.integers(18, 80, n).astype(float),
        "plan": pd.Categorical(rng.choice(["basic", "pro"], n)),
        "flag": rng.integers(0, 2, n),
    })  # fmt: skip
    X.loc[rng.choice(n, 20, replace=False), "income"] = np.nan
    X.loc[rng.choice(n, 15, replace=False), "city"] = None
    signal = (X["city"] == "Paris") * 1.5 + (X["age"] - 50) / 15 + rng.normal(0, 0.5, n)
    return X, pd.Series(np.where(signal > 0.3, "yes", "no"), name="bought")


def test_frame_with_strings_and_missing_values_fits_and_predicts():
    X, y = _frame()
    model = inn.INNClassifier(**FAST).fit(X, y)
    assert list(model.feature_names_in_) == COLUMNS and model.n_features_in_ == 5
    assert isinstance(model.preprocessor_, TabularPreprocessor)
    assert list(model.classes_) == ["no", "yes"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.isfinite(proba).all()
    assert set(model.predict(X)) <= {"no", "yes"}
    # one importance per column of X, named by feature_names_in_
    assert model.feature_importances_.shape == (5,)
    assert model.feature_importances_.sum() == pytest.approx(1.0)
    # arrays keep working as before: no encoder
    assert inn.INNClassifier(**FAST).fit(np.random.default_rng(0).normal(size=(50, 3)),
                                         [0, 1] * 25).preprocessor_ is None  # fmt: skip


def test_frame_fit_equals_pipeline_with_the_preprocessor():
    X, y = _frame()
    direct = inn.INNClassifier(**FAST).fit(X, y)
    # the network scales numeric columns itself (robust), so its frame encoder does not
    pipe = make_pipeline(TabularPreprocessor(numeric_scaling="none"),
                         inn.INNClassifier(**FAST)).fit(X, y)
    np.testing.assert_array_equal(direct.predict_proba(X), pipe.predict_proba(X))
    plain = inn.INNClassifier(**FAST, robust=False).fit(X, y)  # then the encoder standardises
    pipe = make_pipeline(TabularPreprocessor(), inn.INNClassifier(**FAST, robust=False)).fit(X, y)
    np.testing.assert_array_equal(plain.predict_proba(X), pipe.predict_proba(X))


def test_numeric_frame_and_its_array_give_one_model():
    """Numeric columns are scaled once, by the network: a frame of numeric columns and the same
    values as an array (a large offset included) give the same model, up to float rounding
    (standardised first, as before, the two differed by 0.013 in probability here)."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.integers(0, 9, 200).astype(float),
                      "stamp": 1.7e9 + rng.integers(0, 500, 200), "flag": rng.integers(0, 2, 200)})
    y = (X["a"] + X["b"] / 4 + (X["stamp"] - 1.7e9) / 200 > 1.5).astype(int)
    framed = inn.INNClassifier(**FAST).fit(X, y)
    arrayed = inn.INNClassifier(**FAST).fit(X.to_numpy(dtype=float), y)
    np.testing.assert_allclose(framed.predict_proba(X), arrayed.predict_proba(X.to_numpy()),
                               rtol=0, atol=1e-5)


@pytest.mark.parametrize(("robust", "requested", "applied"), [
    (True, "auto", "none"), (False, "auto", "standard"), (True, "quantile", "quantile"),
    (False, "none", "none")])
def test_numeric_columns_are_scaled_once(robust, requested, applied):
    """With ``robust`` the network scales numeric columns (median/IQR), so under "auto" the frame
    encoder leaves them in their units; without it the encoder standardises them."""
    X, y = _frame()
    model = inn.INNClassifier(**FAST, robust=robust, numeric_scaling=requested).fit(X, y)
    pre = model.preprocessor_
    assert pre.numeric_scaling == applied
    assert model.get_params()["numeric_scaling"] == requested  # the setting is left as given
    encoded = pre.transform(X)
    age = encoded[:, pre.feature_names_out_.index("age")]
    if applied == "none":  # in years, as given
        np.testing.assert_array_equal(age, X["age"].astype(np.float32))
        scale = model.module_.encoder.scale[pre.feature_names_out_.index("age")]
        assert scale > 5 if robust else scale == 1  # the network's IQR / 1.349, in years
    elif applied == "standard":
        assert abs(age.mean()) < 1e-5 and age.std() == pytest.approx(1.0, rel=1e-3)


def test_explanation_is_per_original_column_and_adds_up():
    X, y = _frame()
    model = inn.INNClassifier(**FAST).fit(X, y)
    rows = X.iloc[:7]
    expl = model.explain(rows)
    assert expl.feature_names == COLUMNS
    assert expl.positive_class == "yes" and expl.output_name == "logit of class yes"
    frame = expl.to_frame()
    assert list(frame.columns) == [*COLUMNS, "bias", "output"]
    assert_adds_up(frame[COLUMNS], frame["output"], frame["bias"])
    np.testing.assert_allclose(frame["output"], model.decision_function(rows), atol=1e-4)
    # one-hot columns summed: equal to the sum of the encoded columns' contributions
    enc = model.explain(rows, per_column=False)
    city = [i for i, n in enumerate(enc.feature_names) if n.startswith("city=")]
    assert len(city) == 4  # Berlin, Paris, Rome, missing
    assert_adds_up(enc.contributions[:, city], frame["city"])
    # the rows' values as given, the reference in original units
    pd.testing.assert_frame_equal(expl.values, rows.reset_index(drop=True))
    imputed = X["income"].fillna(X["income"].median())
    assert expl.reference["income"] == pytest.approx(imputed.mean(), rel=1e-5)
    assert expl.reference["city"].startswith("mix (")
    table = expl.row(0)
    assert list(table.columns) == ["value", "reference", "contribution"]
    assert set(COLUMNS) < set(table.index) and table.index[-1].startswith("output")
    assert table.loc["age", "value"] == rows["age"].iloc[0]


def test_unseen_categories_and_missing_values_at_predict_do_not_fail():
    X, y = _frame()
    model = inn.INNClassifier(**FAST).fit(X, y)
    new = X.iloc[:5].copy()
    new["city"] = ["Oslo", "Lima", None, "Paris", "Tokyo"]
    new["plan"] = ["enterprise", "basic", None, "pro", "basic"]
    new.loc[new.index[:2], "age"] = np.nan
    proba = model.predict_proba(new)
    assert np.isfinite(proba).all()
    expl = model.explain(new)
    assert_adds_up(expl.contributions, expl.output, expl.bias)
    assert expl.values["city"].iloc[0] == "Oslo"


def test_mismatched_columns_at_predict_are_a_clear_error():
    X, y = _frame()
    model = inn.INNClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="missing:\n- plan"):
        model.predict(X.drop(columns="plan"))
    with pytest.raises(ValueError, match="unseen at fit time:\n- extra"):
        model.predict(X.assign(extra=1))
    with pytest.raises(ValueError, match="same order"):
        model.explain(X[COLUMNS[::-1]])
    # an array gets the fitted columns in order, with scikit-learn's warning
    with pytest.warns(UserWarning, match="valid feature names"):
        proba = model.predict_proba(X.to_numpy())
    np.testing.assert_allclose(proba, model.predict_proba(X))


def test_multiclass_and_regression_on_frames():
    X, y = _frame()
    y3 = pd.Series(np.where(X["age"] < 40, "young", np.where(X["age"] < 60, "mid", "old")))
    clf = inn.INNClassifier(**FAST).fit(X, y3)
    expl = clf.explain(X.iloc[:4])
    frame = expl.to_frame()
    assert frame.columns.names == ["class", "feature"]
    for cls in clf.classes_:
        part = frame[cls]
        assert list(part.columns) == [*COLUMNS, "bias", "output"]
        assert_adds_up(part[COLUMNS], part["output"], part["bias"])
    assert [c for c in expl.row(0).columns if c.startswith("contribution")] == [
        f"contribution[{c}]" for c in clf.classes_]
    reg = inn.INNRegressor(**FAST).fit(X, X["age"].fillna(40) * 2.0 + 5)
    expl = reg.explain(X.iloc[:4])
    assert expl.output_name == "prediction"
    np.testing.assert_allclose(expl.output, reg.predict(X.iloc[:4]), rtol=1e-5, atol=1e-3)
    tab = inn.TabResNetClassifier(**FAST).fit(X, y)
    assert tab.predict_proba(X).shape == (len(X), 2)


def test_frame_settings_are_estimator_parameters():
    X, y = _frame()
    many = X.assign(city=[f"c{i % 30}" for i in range(len(X))])
    model = inn.INNClassifier(max_categories=5, numeric_scaling="quantile", categorical=["flag"],
                              **FAST).fit(many, y)  # fmt: skip
    pre = model.preprocessor_
    # the named column joins the string and category columns
    assert pre.get_params() == {"categorical": ["flag", "city", "plan"],
                                "numeric_scaling": "quantile", "max_categories": 5}
    assert sum(n.startswith("city=") for n in pre.feature_names_out_) == 5
    assert "flag=1" in pre.feature_names_out_
    with pytest.raises(ValueError, match="max_categories"):
        inn.INNClassifier(max_categories=1, **FAST).fit(X, y)
    # a constant column is dropped: importance 0, contribution 0
    const = X.assign(one=1.0)
    model = inn.INNClassifier(**FAST).fit(const, y)
    assert model.feature_importances_[-1] == 0.0
    expl = model.explain(const.iloc[:3])
    assert (expl.to_frame()["one"] == 0).all() and expl.reference["one"] == "constant in training"


def test_save_load_frame_model(tmp_path):
    X, y = _frame()
    model = inn.INNClassifier(**FAST).fit(X, y)
    inn.save(model, tmp_path / "m")
    loaded = inn.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    pd.testing.assert_frame_equal(loaded.explain(X).to_frame(), model.explain(X).to_frame())
    np.testing.assert_array_equal(loaded.feature_importances_, model.feature_importances_)
    assert list(loaded.predict(X.iloc[:3])) == list(model.predict(X.iloc[:3]))


def test_with_preprocessor_equals_fitting_on_the_frame():
    """What the pipeline saves (an INN fitted on encoded rows plus the encoder) is the model a
    frame fit with the same validation rows gives."""
    X, y = _frame()
    train, val = slice(0, 180), slice(180, None)
    direct = inn.INNClassifier(**FAST).fit(X[train], y[train], X_val=X[val], y_val=y[val])
    pre = TabularPreprocessor(numeric_scaling="none").fit(X[train])
    codes = (y == "yes").astype(int).to_numpy()
    encoded = inn.INNClassifier(**FAST).fit(pre.transform(X[train]), codes[train],
                                            X_val=pre.transform(X[val]), y_val=codes[val])
    composed = with_preprocessor(encoded, pre, classes=["no", "yes"])
    np.testing.assert_array_equal(composed.predict_proba(X), direct.predict_proba(X))
    assert list(composed.classes_) == ["no", "yes"] and encoded.classes_.tolist() == [0, 1]
    np.testing.assert_allclose(composed.feature_importances_, direct.feature_importances_)
    with pytest.raises(ValueError, match="encodes its input already"):
        with_preprocessor(direct, pre)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present")
def test_cuda_without_gpu_is_one_line():
    X, y = _frame()
    with pytest.raises(ValueError, match="torch finds no CUDA GPU") as err:
        inn.INNClassifier(**{**FAST, "device": "cuda"}).fit(X, y)
    assert "\n" not in str(err.value) and "make gpu-env" in str(err.value)


def test_numeric_arrays_unchanged_by_frame_support():
    """A numeric array has no encoder; its explanation carries the values and the reference."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warning for arrays
        model = inn.INNClassifier(**FAST).fit(X, X[:, 0] > 0)
        expl = model.explain(X[:4])
    assert expl.feature_names == ["x0", "x1", "x2"]
    np.testing.assert_allclose(expl.values.to_numpy(), X[:4].astype(np.float32))
    np.testing.assert_allclose(expl.reference.to_numpy(), X.astype(np.float32).mean(axis=0),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
