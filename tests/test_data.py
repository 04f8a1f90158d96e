"""Tests of the data layer: store loading, fallbacks, validation, preprocessing, splits."""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from needs import need_store

from inn import data
from inn.data import (
    Dataset,
    DatasetError,
    Splits,
    TabularPreprocessor,
    encode_target,
    list_store,
    load_dataset,
    make_splits,
    raw_frame,
    resolve_data_dir,
)
from inn.data.dataset import build_dataset

STORE = resolve_data_dir()
STORE_KEYS = [31, 54, 40701, 1489, 1590, "hitters", "credit_data"]


def _need_store() -> Path:
    return need_store(*STORE_KEYS)


# ----------------------------------------------------------------------------------- store
@pytest.mark.parametrize("key", STORE_KEYS)
def test_store_datasets_match_sidecar(key, caplog):
    store = _need_store()
    meta = json.loads((store / f"{key}.json").read_text())
    with caplog.at_level(logging.INFO, logger="inn.data"):
        ds = load_dataset(key)
    assert isinstance(ds, Dataset)
    assert ds.dataset_id == key
    assert ds.source.startswith("store:")
    assert ds.task == meta["task"]
    assert ds.name == meta["name"]
    assert ds.X.shape[1] == meta["n_features"]
    assert list(ds.categorical) == list(meta["categorical"])
    assert meta["target"] not in ds.X.columns
    assert len(ds.X) == len(ds.y)
    assert list(ds.X.index) == list(range(len(ds.X)))
    for col in ds.X.columns:
        if col in ds.categorical:
            assert isinstance(ds.X[col].dtype, pd.CategoricalDtype)
            assert all(isinstance(c, str) for c in ds.X[col].cat.categories)
        else:
            assert ds.X[col].dtype == np.float64
    assert int(ds.X.isna().sum().sum()) == meta["n_missing"]
    if ds.task == "regression":
        assert ds.n_classes == 0
        assert ds.y.dtype == np.float64
    else:
        assert ds.n_classes == (2 if ds.task == "binary" else ds.y.nunique())
        assert ds.n_classes >= 2
    n_dropped = meta["n_rows"] - len(ds.X)
    if n_dropped:
        # hitters: rows with a missing salary are dropped, and the log says so
        assert f"dropped {n_dropped} of {meta['n_rows']} rows" in caplog.text
    else:
        assert len(ds.X) == meta["n_rows"]


def test_list_store_and_resolution(tmp_path, monkeypatch):
    store = _need_store()
    keys = list_store()
    assert {31, 1590, "hitters"} <= set(keys)
    assert all(isinstance(k, int) for k in keys if str(k).isdigit())
    assert list_store(tmp_path) == []
    monkeypatch.setenv("INN_DATA_DIR", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir(store) == store


def test_1510_from_sklearn_when_store_bypassed(tmp_path):
    ds = load_dataset(1510, data_dir=tmp_path)
    assert ds.source == "sklearn"
    assert ds.dataset_id == 1510 and ds.name == "wdbc"
    assert ds.X.shape == (569, 30)
    assert ds.task == "binary" and ds.n_classes == 2
    assert set(ds.y) == {"malignant", "benign"}
    assert ds.categorical == []


def test_import_is_torch_free():
    import subprocess
    import sys

    # inn/__init__.py (not part of the data layer) may import torch itself, so stand in an
    # empty package object for ``inn`` and import only the data layer
    pkg = Path(data.__file__).resolve().parent.parent
    code = (
        "import sys, types; m = types.ModuleType('inn'); "
        f"m.__path__ = [{str(pkg)!r}]; sys.modules['inn'] = m; import inn.data; "
        "print('torch' in sys.modules, 'openml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------------------- bad inputs
@pytest.fixture
def offline_openml(monkeypatch):
    """OpenML at a closed local port, and every pause of a retry loop recorded (a fast failure
    is one that neither retries with waits nor waits on the network: counted, not timed)."""
    openml = pytest.importorskip("openml")
    monkeypatch.setattr(openml.config, "server", "http://127.0.0.1:9/api/v1/xml")
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)
    monkeypatch.setattr(openml, "waits", waits, raising=False)
    return openml


def test_unknown_id_offline_fails_fast(tmp_path, offline_openml):
    with pytest.raises(DatasetError) as info:
        load_dataset(987654, data_dir=tmp_path)
    msg = str(info.value)
    assert sum(offline_openml.waits) < 1
    assert "987654" in msg and str(tmp_path) in msg
    assert "OpenML failed" in msg and "Error" in msg
    assert "\n" not in msg


def test_unknown_id_real_openml_code_path_without_probe(tmp_path, offline_openml, monkeypatch):
    # skip our TCP probe: openml's own request to the dead server must also fail fast
    monkeypatch.setattr(data.openml_source, "probe_server", lambda *a, **k: None)
    monkeypatch.setattr(offline_openml.config, "get_cache_directory", lambda: str(tmp_path))
    with pytest.raises(DatasetError, match="987654"):
        load_dataset(987654, data_dir=tmp_path)
    assert sum(offline_openml.waits) < 1  # no retries with back-off


def _frame():
    return pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"]})


def test_single_class_target():
    with pytest.raises(DatasetError, match=r"toy.*single class"):
        build_dataset("toy", "toy", _frame(), pd.Series(["p"] * 4), ["b"], "binary", "test")


def test_all_missing_column():
    X = _frame().assign(c=np.nan)
    with pytest.raises(DatasetError, match=r"toy.*entirely missing.*'c'"):
        build_dataset("toy", "toy", X, pd.Series([0, 1, 0, 1]), ["b"], "binary", "test")


def test_duplicate_columns():
    X = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"])
    with pytest.raises(DatasetError, match=r"toy.*duplicate column names \['a'\]"):
        build_dataset("toy", "toy", X, pd.Series([0, 1]), [], "binary", "test")


def test_empty_frame():
    with pytest.raises(DatasetError, match=r"toy.*empty frame"):
        build_dataset("toy", "toy", _frame().iloc[:0], pd.Series([], dtype=float), [], None, "t")


def test_missing_target_rows_dropped_and_logged(caplog):
    y = pd.Series([0, None, 1, 1], name="t")
    with caplog.at_level(logging.INFO, logger="inn.data"):
        ds = build_dataset("toy", "toy", _frame(), y, ["b"], "binary", "test")
    assert len(ds.X) == 3 and list(ds.X.index) == [0, 1, 2]
    assert "dropped 1 of 4 rows" in caplog.text and "missing" in caplog.text


def _broken_copy(tmp_path: Path, key="31", **changes) -> Path:
    store = _need_store()
    shutil.copy(store / f"{key}.parquet", tmp_path / f"{key}.parquet")
    meta = json.loads((store / f"{key}.json").read_text())
    meta.update(changes)
    (tmp_path / f"{key}.json").write_text(json.dumps(meta))
    return tmp_path


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"n_features": 21}, "n_features=21"),
        ({"target": "nope"}, "target 'nope'"),
        ({"categorical": ["checking_status", "ghost"]}, "ghost"),
        ({"task": "ranking"}, "ranking"),
    ],
)
def test_sidecar_disagreeing_with_parquet(tmp_path, changes, pattern):
    folder = _broken_copy(tmp_path, **changes)
    with pytest.raises(DatasetError, match=pattern) as info:
        load_dataset(31, data_dir=folder)
    assert "31" in str(info.value)


def test_store_copy_in_tmp_loads(tmp_path):
    folder = _broken_copy(tmp_path)  # unchanged sidecar
    ds = load_dataset("31", data_dir=folder)
    assert ds.dataset_id == 31 and ds.X.shape == (1000, 20)
    assert ds.source == f"store:{folder / '31.parquet'}"


# ----------------------------------------------------------------------- openml (offline)
ARFF = """@RELATION toy
@ATTRIBUTE color {red,green,blue}
@ATTRIBUTE size NUMERIC
@ATTRIBUTE weight REAL
@ATTRIBUTE class {yes,no}
@DATA
red,1.0,3.5,yes
green,2.0,?,no
blue,3.0,1.5,yes
?,4.0,2.5,no
red,5.0,0.5,?
green,6.0,4.5,yes
"""


def test_openml_path_with_real_dataset_object(tmp_path, offline_openml, monkeypatch, caplog):
    """The network call is replaced by a real OpenMLDataset built from a local ARFF file, so
    ``OpenMLDataset.get_data`` (ARFF parsing, target split, categorical indicator) runs for real.
    Our TCP probe is patched out too (it is the only other network access)."""
    from openml.datasets import OpenMLDataset

    arff = tmp_path / "toy.arff"
    arff.write_text(ARFF)
    ds_obj = OpenMLDataset(
        name="toy", description="toy data", data_format="arff", dataset_id=424242,
        default_target_attribute="class", data_file=str(arff),
    )
    calls = []

    def fake_get_dataset(dataset_id, *args, **kwargs):
        calls.append((dataset_id, kwargs))
        return ds_obj

    monkeypatch.setattr(offline_openml.datasets, "get_dataset", fake_get_dataset)
    monkeypatch.setattr(data.openml_source, "probe_server", lambda *a, **k: None)
    empty = tmp_path / "store"
    empty.mkdir()
    with caplog.at_level(logging.INFO, logger="inn.data"):
        ds = load_dataset(424242, data_dir=empty)
    assert calls and calls[0][0] == 424242 and calls[0][1]["download_data"] is True
    assert ds.source == "openml" and ds.name == "toy" and ds.task == "binary"
    assert ds.categorical == ["color"]
    assert list(ds.X.columns) == ["color", "size", "weight"]
    assert ds.X.shape == (5, 3)  # the row with a missing target is dropped ...
    assert "dropped 1 of 6 rows" in caplog.text  # ... and logged
    assert ds.X["color"].isna().sum() == 1 and ds.X["weight"].isna().sum() == 1
    assert ds.X["size"].dtype == np.float64
    assert set(ds.y) == {"yes", "no"}


def test_openml_task_splits_with_stub_task(tmp_path, offline_openml, monkeypatch):
    """The task object is a stub (a real OpenMLTask needs its split file from the server);
    the dataset is a real OpenMLDataset as above."""
    from openml.datasets import OpenMLDataset

    arff = tmp_path / "toy.arff"
    arff.write_text(ARFF)
    ds_obj = OpenMLDataset(
        name="toy", description="toy", data_format="arff", dataset_id=424242,
        default_target_attribute="class", data_file=str(arff),
    )

    class StubTask:
        dataset_id = 424242
        target_name = "class"

        def get_train_test_split_indices(self, fold=0, repeat=0, sample=0):
            return np.array([0, 1, 2, 4, 5]), np.array([3])

    monkeypatch.setattr(offline_openml.datasets, "get_dataset", lambda *a, **k: ds_obj)
    monkeypatch.setattr(offline_openml.tasks, "get_task", lambda *a, **k: StubTask())
    monkeypatch.setattr(data.openml_source, "probe_server", lambda *a, **k: None)
    ds, splits = data.openml_task_splits(7, fold=0, seed=0, val_size=0.25)
    # original row 4 has a missing target: dropped; rows 5 -> 4 after re-indexing
    assert len(ds.X) == 5
    assert splits.test.tolist() == [3]
    assert sorted([*splits.train, *splits.val]) == [0, 1, 2, 4]
    assert len(splits.val) == 1


# ----------------------------------------------------------------------- preprocessing
def _train_test_frames():
    rng = np.random.default_rng(0)
    n = 60
    train = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "cat": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
            "const": np.ones(n),
            "many": [f"v{i % 8}" for i in range(n)],
            "num2": rng.integers(0, 5, size=n).astype(float),
        }
    )
    train.loc[[1, 5], "num"] = np.nan
    train.loc[[2, 3], "cat"] = np.nan
    test = train.iloc[:4].copy()
    test["cat"] = pd.Categorical(["a", "zzz_unseen", None, "b"])
    test["many"] = ["v0", "v7", "new", None]
    test.loc[0, "num2"] = np.nan
    return train, test


def test_preprocessor_missing_and_unseen(caplog):
    train, test = _train_test_frames()
    pre = TabularPreprocessor(max_categories=4)
    with caplog.at_level(logging.INFO, logger="inn.data"):
        pre.fit(train)
    assert "const" in caplog.text and pre.dropped_features_ == ["const"]
    assert pre.original_features_ == ["num", "cat", "many", "num2"]
    # num, cat=a/b/c/missing, many: 3 most frequent + other, num2
    assert len(pre.feature_names_out_) == 1 + 4 + 4 + 1
    assert "cat=missing" in pre.feature_names_out_ and "many=other" in pre.feature_names_out_
    assert list(pre.get_feature_names_out()) == pre.feature_names_out_
    out = pre.transform(test)
    assert out.dtype == np.float32 and out.shape == (4, 10)
    assert not np.isnan(out).any()
    names = pre.feature_names_out_
    cat_cols = [i for i, n in enumerate(names) if n.startswith("cat=")]
    many_cols = [i for i, n in enumerate(names) if n.startswith("many=")]
    # unseen category -> all zeros; missing -> the "missing" column
    assert out[1, cat_cols].sum() == 0
    assert out[2, names.index("cat=missing")] == 1
    # "v7" was a rare training value -> other; "new" and missing (unseen in training) -> zeros
    assert out[1, names.index("many=other")] == 1
    assert out[2, many_cols].sum() == 0 and out[3, many_cols].sum() == 0
    assert pre.transform(train).shape == (len(train), 10)


def test_preprocessor_aggregate_and_feature_map():
    train, _ = _train_test_frames()
    pre = TabularPreprocessor(numeric_scaling="quantile").fit(train)
    onehot = pre.transform(train)
    assert pre.feature_map_[pre.feature_names_out_.index("cat=b")] == "cat"
    agg = pre.aggregate(onehot)
    assert agg.shape == (len(train), len(pre.original_features_))
    # each row has exactly one active one-hot column per categorical feature ("cat" always:
    # missing is a category; "many" always: 8 values <= 20)
    for feat in ("cat", "many"):
        assert np.allclose(agg[:, pre.original_features_.index(feat)], 1.0)
    vec = np.arange(len(pre.feature_names_out_), dtype=float)
    agg1 = pre.aggregate(vec)
    assert agg1.shape == (len(pre.original_features_),)
    assert agg1.sum() == pytest.approx(vec.sum())
    cube = np.ones((2, 3, len(pre.feature_names_out_)))
    agg3 = pre.aggregate(cube)
    assert agg3.shape == (2, 3, len(pre.original_features_))
    sizes = pd.Series(pre.feature_map_).value_counts()
    assert agg3[0, 0].tolist() == [float(sizes[f]) for f in pre.original_features_]
    with pytest.raises(ValueError):
        pre.aggregate(np.ones(3))


def test_preprocessor_without_scaling_keeps_units_and_round_trips():
    """``numeric_scaling="none"`` (for a network that scales numeric columns itself): imputed,
    units kept; only a column whose median swamps its spread is centred on it in float64 (its
    steps survive the float32 output), as a network centres such array columns. numeric_values,
    reference_values and the saved state undo it."""
    train, _ = _train_test_frames()
    train = train.assign(big=1e9 + np.arange(len(train), dtype=float))
    test = train.iloc[:4].copy()
    test.loc[test.index[0], "num"] = np.nan
    pre = TabularPreprocessor(numeric_scaling="none").fit(train)
    out = pre.transform(test)
    for col in ("num", "num2"):
        expected = test[col].fillna(train[col].median()).astype(np.float32)
        np.testing.assert_array_equal(out[:, pre.feature_names_out_.index(col)], expected)
    big = out[:, pre.feature_names_out_.index("big")]
    assert np.diff(big).tolist() == [1.0, 1.0, 1.0]  # 1e9 + k in float32 would lose them
    assert pre.offsets_.tolist() == [0.0, 0.0, train["big"].median()]
    values = pre.numeric_values(out)
    np.testing.assert_allclose(values["big"], test["big"], rtol=0, atol=1e-3)
    np.testing.assert_allclose(values["num2"], test["num2"].fillna(train["num2"].median()))
    mean = pre.transform(train).astype(np.float64).mean(axis=0)
    assert pre.reference_values(mean)["big"] == pytest.approx(train["big"].mean(), abs=1e-3)
    again = TabularPreprocessor.from_state(pre.get_state())
    np.testing.assert_array_equal(again.transform(test), out)
    assert again.numeric_scaling == "none"


def test_preprocessor_column_mismatch_and_params():
    train, test = _train_test_frames()
    pre = TabularPreprocessor().fit(train)
    with pytest.raises(ValueError, match=r"missing columns \['num'\]"):
        pre.transform(test.drop(columns=["num"]))
    with pytest.raises(ValueError, match=r"unexpected columns \['extra'\]"):
        pre.transform(test.assign(extra=1.0))
    # sklearn conventions: params round-trip, clone works
    from sklearn.base import clone

    params = TabularPreprocessor(categorical=["cat"], max_categories=5).get_params()
    assert params == {"categorical": ["cat"], "numeric_scaling": "standard", "max_categories": 5}
    assert clone(pre).get_params() == pre.get_params()
    with pytest.raises(ValueError):
        TabularPreprocessor(numeric_scaling="minmax").fit(train)


def test_preprocessor_on_store_dataset():
    _need_store()
    ds = load_dataset(31)
    pre = TabularPreprocessor(categorical=ds.categorical).fit(ds.X.iloc[:700])
    out = pre.transform(ds.X.iloc[700:])
    assert out.shape[0] == 300 and not np.isnan(out).any()
    assert "checking_status=A11" in pre.feature_names_out_
    assert pre.original_features_ == list(ds.X.columns)


def test_raw_frame():
    train, _ = _train_test_frames()
    frame, cat_idx = raw_frame(train)
    assert cat_idx == [1, 3]
    assert frame["cat"].isna().sum() == 0 and (frame["cat"] == "missing").sum() == 2
    assert all(isinstance(v, str) for v in frame["cat"])
    assert frame["num"].dtype == np.float64 and frame["num"].isna().sum() == 2
    _, idx2 = raw_frame(train.drop(columns="many"), categorical=["cat"])
    assert idx2 == [1]
    with pytest.raises(ValueError, match="many"):  # strings in a column declared numeric
        raw_frame(train, categorical=["cat"])


# ------------------------------------------------------------------------------ splits
def test_splits_stratified_and_seeded():
    y = pd.Series(["a"] * 700 + ["b"] * 250 + ["c"] * 50)
    s1 = make_splits(y, "multiclass", seed=1)
    s2 = make_splits(y, "multiclass", seed=1)
    s3 = make_splits(y, "multiclass", seed=2)
    assert isinstance(s1, Splits)
    assert len(s1.test) == 200 and len(s1.val) == 160 and len(s1.train) == 640
    union = np.concatenate([s1.train, s1.val, s1.test])
    assert len(np.unique(union)) == len(y) == len(union)
    overall = y.value_counts(normalize=True)
    for part in (s1.train, s1.val, s1.test):
        props = y.iloc[part].value_counts(normalize=True)
        assert np.allclose(props[overall.index], overall, atol=0.02)
    for a, b in zip((s1.train, s1.val, s1.test), (s2.train, s2.val, s2.test), strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(s1.test, s3.test)


def test_splits_regression_and_bad_sizes():
    y = np.linspace(0, 1, 100)
    s = make_splits(y, "regression", seed=0, test_size=0.3, val_size=0.5)
    assert (len(s.train), len(s.val), len(s.test)) == (35, 35, 30)
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            make_splits(y, "regression", seed=0, test_size=bad)
        with pytest.raises(ValueError):
            make_splits(y, "regression", seed=0, val_size=bad)


def test_encode_target():
    enc, codes = encode_target(pd.Series(["no", "yes", "no"]), "binary")
    assert codes.tolist() == [0, 1, 0] and codes.dtype == np.int64
    assert list(enc.classes_) == ["no", "yes"]
    assert enc.inverse_transform([1]).tolist() == ["yes"]
    enc_r, vals = encode_target(pd.Series([1, 2.5]), "regression")
    assert enc_r is None and vals.dtype == np.float32


# ------------------------------------------------------------------------------ your own file
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "credit.csv"


def test_example_csv_is_a_dataset_like_any_other():
    ds = load_dataset(data.DataFile(str(EXAMPLE), "Status"))
    assert (ds.dataset_id, ds.name, ds.task) == ("credit", "credit", "binary")
    assert ds.source == f"file:{EXAMPLE}"
    assert ds.categorical == ["Home", "Marital", "Records", "Job"]
    assert ds.X.shape == (2000, 13) and ds.X.isna().any().any()
    assert sorted(ds.y.unique()) == ["bad", "good"]
    # the store copy it was cut from has the same values in the same columns
    if STORE is not None and (STORE / "credit_data.parquet").is_file():
        full = load_dataset("credit_data")
        assert list(full.X.columns) == list(ds.X.columns)


@pytest.mark.parametrize(
    "target, mode, task",
    [
        ("label", None, "binary"),  # strings
        ("zero_one", None, "binary"),  # 0/1 numbers
        ("grade", None, "multiclass"),  # five whole numbers
        ("amount", None, "regression"),  # fractions
        ("grade", "regression", "regression"),
        ("amount_int", "classification", "multiclass"),
    ],
)
def test_file_task_inferred_from_the_target(tmp_path, target, mode, task):
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({
        "x": rng.normal(size=n), "colour": rng.choice(["red", "blue"], n),
        "label": rng.choice(["yes", "no"], n), "zero_one": rng.integers(0, 2, n),
        "grade": rng.integers(1, 6, n), "amount": rng.normal(100, 10, n),
        "amount_int": rng.integers(0, 3, n) * 1000,
    })  # fmt: skip
    path = tmp_path / "table.parquet"
    frame.drop(columns=[c for c in ("label", "zero_one", "grade", "amount", "amount_int")
                        if c != target]).to_parquet(path)  # fmt: skip
    ds = load_dataset(data.DataFile(str(path), target, mode))
    assert ds.task == task
    assert ds.categorical == ["colour"] and list(ds.X.columns) == ["x", "colour"]


@pytest.mark.parametrize(
    "content, name, target, message",
    [
        ("a,b\n1,x\n2,y\n", "t.csv", "c", "no target column 'c' (columns: a, b)"),
        ("a,b\n1,x\n2,x\n", "t.csv", "b", "single class"),
        ("", "t.csv", "b", "the file is empty"),
        ("a,b\n", "t.csv", "b", "no data rows"),
        ('a,b\n1,"x\n', "t.csv", "b", "cannot be read as csv"),
        ("not parquet at all", "t.parquet", "b", "cannot be read as parquet"),
        ("a,b\n1,x\n", "t.xlsx", "b", "unsupported file type '.xlsx'"),
        ("a,b\n1,x\n2,y\n", "31.csv", "b", "rename it"),
        (None, "absent.csv", "b", "no such file"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, content, name, target, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(DatasetError, match=re.escape(message)) as err:
        load_dataset(data.DataFile(str(path), target))
    assert "\n" not in str(err.value)


def test_file_regression_mode_needs_numbers(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": range(10), "b": list("xyxyxyxyxy")}).to_csv(path, index=False)
    with pytest.raises(DatasetError, match="regression target 'b' is not numeric"):
        load_dataset(data.DataFile(str(path), "b", "regression"))
