"""No silent wrong answers (issue 29): inputs, result records and model folders that used to give
a wrong model or a raw traceback now give a correct model or one clear error (exit code 2 on the
command line, nothing written); what is dropped or converted is logged. docs/guarantees_inputs.md
lists what is checked."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from tolerances import CROSS_CPU_ATOL

import inn
from inn import cli
from inn.data import DataFile, DatasetError, TabularPreprocessor, load_dataset, make_splits
from inn.data.files import file_key, load_file
from inn.data.splits import check_scorable, derive_seed
from inn.estimators import MANIFEST_FILE, META_FILE, WEIGHTS_FILE
from inn.modules import InputEncoder
from inn.results import RESULT_FILE, record_problem, result_path, results_frame

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import main_experiment  # noqa: E402  (the script, run in-process: no interpreter start-up)

FAST = {"nr_epochs": 2, "additive_epochs": 1, "hidden_size": 16, "random_state": 0,
        "device": "cpu"}


def _data(n=300, seed=0):
    """Four Gaussian columns and a binary target that also depends on a fifth, returned apart
    (``c``), so tests can put it in at any scale."""
    rng = np.random.default_rng(seed)
    X, c = rng.normal(size=(n, 4)), rng.normal(size=n)
    y = (X[:, 0] + X[:, 1] + 1.5 * c + rng.normal(0, 0.5, n) > 0).astype(int)
    return X, c, y


def _cli(capsys, *argv) -> tuple[int, str]:
    """Run main_experiment.py in-process as the shell would: (exit code, stderr)."""
    code = cli.main_guard(lambda: main_experiment.main(list(argv)), log_level=None)
    return code, capsys.readouterr().err


def _one_error(code: int, err: str, text: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and text in lines[0], err
    assert "Traceback" not in err and "np.int64" not in err


# ------------------------------------------------------------ 1. array columns of any scale
def test_encoder_scales_two_valued_and_constant_columns():
    rng = np.random.default_rng(0)
    flag = rng.integers(0, 2, 100).astype(float)
    x = torch.tensor(np.column_stack([flag, flag * 1e9 - 5, np.full(100, 7.0),
                                      rng.normal(size=100), flag * 2 - 0.9,
                                      flag * 0.0953 - 0.0446]), dtype=torch.float32)
    enc = InputEncoder(n_features=6, n_bins=0, robust=True, shape_functions=False).fit(x)
    out = enc.transform(x)
    assert torch.equal(out[:, 0], x[:, 0])  # a 0/1 flag passes exactly as before
    assert torch.equal(out[:, 1], x[:, 0])  # {-5, 1e9 - 5} -> {0, 1}
    assert torch.equal(out[:, 2], torch.zeros(100))  # a constant beyond +-3 -> 0
    assert out[:, 3].abs().max() < 3  # numeric: robust scaling and clipping, as before
    assert torch.equal(out[:, 4], x[:, 4])  # two values within +-3 (standardised): as they are
    # two values within +-3 but close together (an unscaled frame column, e.g. scikit-learn's
    # diabetes sex {-0.0446, 0.0507}) -> {0, 1}: a step of unit size
    torch.testing.assert_close(out[:, 5], x[:, 0])
    assert enc.numeric.tolist() == [False, False, False, True, False, False]  # no bins: 2 values


@pytest.mark.parametrize("cls", [inn.INNClassifier, inn.TabResNetClassifier])
def test_large_scale_flag_gives_the_model_of_a_01_flag(cls):
    X, c, y = _data()
    flag = (c > 0).astype(float)
    params = {k: v for k, v in FAST.items() if k != "additive_epochs" or cls is inn.INNClassifier}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left to warn about
        small = cls(**params).fit(np.column_stack([X, flag]), y)
        big = cls(**params).fit(np.column_stack([X, flag * 1e9]), y)
    np.testing.assert_allclose(big.predict_proba(np.column_stack([X, flag * 1e9])),
                               small.predict_proba(np.column_stack([X, flag])), atol=1e-6)


def test_near_constant_column_of_huge_offset_keeps_its_variation(tmp_path):
    X, c, y = _data()
    plain = inn.INNClassifier(**FAST).fit(np.column_stack([X, c]), y)
    shifted = np.column_stack([X, 1e12 + c])  # one value in float32: the cast lost c
    model = inn.INNClassifier(**FAST).fit(shifted, y)
    assert model.input_offset_[4] == pytest.approx(1e12, rel=1e-9)
    assert not model.input_offset_[:4].any()  # ordinary columns are not touched
    np.testing.assert_allclose(model.predict_proba(shifted),
                               plain.predict_proba(np.column_stack([X, c])), atol=CROSS_CPU_ATOL)
    expl = model.explain(shifted[:3])  # values and reference are in the units given
    np.testing.assert_allclose(expl.values["x4"], shifted[:3, 4], rtol=1e-12)
    assert expl.reference["x4"] == pytest.approx(1e12 + c.mean(), abs=1e-3)
    loaded = inn.load(inn.save(model, tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict_proba(shifted), model.predict_proba(shifted))
    const = np.column_stack([X, np.full(len(X), 1e12)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a constant huge column no longer swamps the network
        assert np.isfinite(inn.INNRegressor(**FAST).fit(const, c).predict(const)).all()


# ---------------------------------------------------------------- 2. the target, duplicated
def test_duplicated_column_names_in_a_file_are_refused(tmp_path, capsys):
    path = tmp_path / "dup.csv"
    path.write_text("y,a,y\n" + "".join(f"{i % 2},{i},{i % 2}\n" for i in range(40)))
    with pytest.raises(DatasetError, match=r"duplicate column names \['y'\]"):
        load_file(DataFile(str(path), "y"))
    code, err = _cli(capsys, "--data", str(path), "--target", "y", "--output_dir",
                     str(tmp_path / "out"))
    _one_error(code, err, "duplicate column names ['y']")
    assert not (tmp_path / "out").exists()


# -------------------------------------------------------------------- 3. result records
def _record(tmp_path, seed=0):
    return inn.run("decision_tree", 1510, seed, output_dir=tmp_path, quiet=True)


def test_record_problem_names_what_is_missing_or_foreign(tmp_path):
    rec = {k: v for k, v in _record(tmp_path).items() if k != "path"}
    assert record_problem(rec, "decision_tree", 1510, 0, split_fingerprint=rec[
        "split_fingerprint"], test_split_size=0.2) is None
    assert "lacks" in record_problem({}, "decision_tree", 1510, 0)
    assert "lack ['auroc']" in record_problem({**rec, "test_metrics": {"accuracy": 1.0}},
                                     "decision_tree", 1510, 0)
    assert "another cell" in record_problem(rec, "decision_tree", 1510, 1)
    assert "another cell" in record_problem(rec, "decision_tree", 31, 0)
    assert "another cell" in record_problem(rec, "inn", 1510, 0)
    bad = {**rec, "test_metrics": {**rec["test_metrics"], "auroc": "abc"}}
    assert "not finite numbers" in record_problem(bad, "decision_tree", 1510, 0)
    assert "split" in record_problem(rec, "decision_tree", 1510, 0,
                                     split_fingerprint="0" * 16)
    assert "test_split_size" in record_problem(rec, "decision_tree", 1510, 0,
                                               test_split_size=0.3)


def test_suite_reruns_records_that_are_not_its_cells(tmp_path, caplog):
    from inn.suite import build_suite, runner

    suite = build_suite({"datasets": [1510], "methods": ["decision_tree"], "seeds": [0, 1, 2, 3],
                         "output_dir": str(tmp_path)})
    good = _record(tmp_path, 0)
    path = {s: result_path(tmp_path, "decision_tree", 1510, s) for s in range(4)}
    text = path[0].read_text()
    path[1].parent.mkdir(parents=True)
    path[1].write_text("{}")
    path[2].parent.mkdir(parents=True)
    path[2].write_text(text)  # seed 0's record copied into seed 2's cell
    path[3].parent.mkdir(parents=True)
    path[3].write_text(text.replace(good["split_fingerprint"], "0123456789abcdef")
                       .replace('"seed": 0', '"seed": 3'))  # right cell, another split
    with caplog.at_level(logging.WARNING):
        todo = runner.plan(suite)[1]
    assert [c.seed for c in todo] == [1, 2, 3]
    for s in (1, 2, 3):  # one line each, naming the file and why
        assert len([r for r in caplog.records if str(path[s]) in r.getMessage()]) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        frame = results_frame(tmp_path)  # the copy is not averaged into seed 0's numbers
    assert sorted(frame["seed"]) == [0, 3] and str(path[2]) in caplog.text
    path[3].write_text(text.replace('"seed": 0', '"seed": 3').replace(
        f'"auroc": {good["test_metrics"]["auroc"]}', '"auroc": "abc"'))
    assert "mean test AUROC" in runner.summary(suite)  # the summary no longer crashes
    assert "abc" in caplog.text
    stats = runner.run_suite(suite, n_workers=1, progress=False)
    assert stats["ran"] == 3 and runner.plan(suite)[1] == []


def test_run_reruns_an_empty_record_instead_of_crashing(tmp_path, capsys, caplog):
    path = result_path(tmp_path, "inn", 1510, 0)
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    with caplog.at_level(logging.WARNING):
        code, err = _cli(capsys, "--output_dir", str(tmp_path), "--nr_epochs", "1",
                         "--additive_epochs", "0", "--hidden_size", "8", "--quiet")
    assert code == 0, err  # no KeyError from the report of a "skipped" empty record
    assert sum("not a finished result" in r.getMessage() for r in caplog.records) == 1
    assert record_problem(json.loads(path.read_text()), "inn", 1510, 0) is None


def test_a_data_file_does_not_take_another_files_results(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "y": np.tile([0, 1], 30)})
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        frame.to_csv(tmp_path / folder / "data.csv", index=False)
    out = tmp_path / "out"
    inn.run("decision_tree", DataFile(str(tmp_path / "one" / "data.csv"), "y"), output_dir=out,
            quiet=True)
    with pytest.raises(ValueError, match="holds the result of .*one/data.csv"):
        inn.run("decision_tree", DataFile(str(tmp_path / "two" / "data.csv"), "y"),
                output_dir=out, quiet=True)
    frame.assign(a=frame["a"] + 1).to_csv(tmp_path / "one" / "data.csv", index=False)
    again = inn.run("decision_tree", DataFile(str(tmp_path / "one" / "data.csv"), "y"),
                    output_dir=out, quiet=True)  # edited file: run again, not skipped
    assert "skipped" not in again


# ------------------------------------------------------------------------ 4. model folders
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    X, c, y = _data(120)
    model = inn.INNClassifier(**FAST).fit(X, np.where(y == 1, "yes", "no"))
    return inn.save(model, tmp_path_factory.mktemp("model") / "m"), X


def _copy(saved, tmp_path, manifest=True) -> Path:
    folder = shutil.copytree(saved[0], tmp_path / "m")
    if not manifest:
        (folder / MANIFEST_FILE).unlink()
    return folder


def _edit_meta(folder: Path, **changes) -> None:
    meta = json.loads((folder / META_FILE).read_text())
    meta.update(changes)
    (folder / META_FILE).write_text(json.dumps(meta))


def test_saved_folder_has_a_manifest_and_loads(saved):
    manifest = json.loads((saved[0] / MANIFEST_FILE).read_text())
    assert set(manifest["files"]) == {WEIGHTS_FILE, META_FILE}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = inn.load(saved[0])
    assert set(model.predict(saved[1])) <= {"yes", "no"}


@pytest.mark.parametrize("change", [{"task": "regression"}, {"classes": ["no", "maybe"]},
                                    {"classes": ["yes", "no"]}])
def test_changed_metadata_is_refused_by_the_manifest(saved, tmp_path, change):
    folder = _copy(saved, tmp_path)
    _edit_meta(folder, **change)
    with pytest.raises(ValueError, match=rf"{META_FILE}: its SHA-256 differs"):
        inn.load(folder)


@pytest.mark.parametrize("change, message", [
    ({"task": "regression"}, "task 'regression' does not fit the class INNClassifier"),
    ({"class": "INNRegressor"}, "task 'binary' does not fit the class INNRegressor"),
    ({"classes": ["a", "b", "c"]}, "3 classes mean task multiclass"),
    ({"classes": ["a", "a"]}, "distinct"),
    ({"n_outputs": 3}, "mean task binary with 1 output"),
    ({"n_inputs": 5}, "n_inputs 5 differs from n_features_in 4"),
    ({"params": {"hidden_size": 17}}, "does not fit meta.json"),
    ({"params": {"hidden_size": -1}}, "hidden_size must be"),
    ({"n_features_in": "4"}, "n_features_in must be"),
    ({"classes_dtype": "nonsense"}, "meta.json"),
    ({"feature_importances": [1.0]}, "feature_importances must be 4"),
])
def test_metadata_that_disagrees_with_itself_is_refused_without_a_manifest(saved, tmp_path,
                                                                           change, message):
    folder = _copy(saved, tmp_path, manifest=False)
    meta = json.loads((folder / META_FILE).read_text())
    if "params" in change:
        change = {"params": {**meta["params"], **change["params"]}}
    _edit_meta(folder, **change)
    with pytest.raises(ValueError, match=message) as err:
        inn.load(folder)
    assert str(folder) in str(err.value)  # names the file


def test_missing_keys_and_damaged_weights_name_the_file(saved, tmp_path):
    folder = _copy(saved, tmp_path, manifest=False)
    meta = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps({k: v for k, v in meta.items() if k != "task"}))
    with pytest.raises(ValueError, match=r"meta.json: lacks the key 'task'"):
        inn.load(folder)
    (folder / META_FILE).write_text("[1, 2")
    with pytest.raises(ValueError, match=r"meta.json: not readable JSON"):
        inn.load(folder)
    (folder / META_FILE).write_text(json.dumps(meta))
    weights = (folder / WEIGHTS_FILE).read_bytes()
    (folder / WEIGHTS_FILE).write_bytes(weights[: len(weights) // 2])
    with pytest.raises(ValueError, match=r"weights.pt: cannot be read as saved weights"):
        inn.load(folder)
    (folder / WEIGHTS_FILE).write_bytes(b"")
    with pytest.raises(ValueError, match=r"weights.pt: the file is empty"):
        inn.load(folder)
    with pytest.raises(ValueError, match="no such folder"):
        inn.load(tmp_path / "absent")


def test_an_older_folder_without_manifest_loads_with_a_warning(saved, tmp_path):
    folder = _copy(saved, tmp_path, manifest=False)
    with pytest.warns(UserWarning, match="has no manifest.json"):
        model = inn.load(folder)
    np.testing.assert_array_equal(model.predict_proba(saved[1]),
                                  inn.load(saved[0]).predict_proba(saved[1]))


# --------------------------------------------------------------------------- 5. seeds
def test_largest_seed_works():
    seed = 2**32 - 1
    assert derive_seed(seed, 1) == 0 and derive_seed(41, 1) == 42  # others keep their splits
    y = np.tile([0, 1], 50)
    splits = make_splits(y, "binary", seed=seed)
    assert len(splits.train) + len(splits.val) + len(splits.test) == 100
    rec = inn.run("decision_tree", 1510, seed, output_dir=None, quiet=True)
    assert rec["seed"] == seed and rec["test_metrics"]["auroc"] > 0.8


@pytest.mark.parametrize("method", ["realmlp", "tabm"])
def test_largest_seed_works_for_pytabkit(method):
    pytest.importorskip("pytabkit")
    from inn import methods

    X, c, y = _data(80)
    model = methods.get(method).build(task="binary", seed=2**32 - 1, n_jobs=1, device="cpu",
                                      params={"n_epochs": 2})  # pytabkit adds 1 to the seed
    model.fit(X[:60], y[:60], X[60:], y[60:], categorical=None)
    assert np.isfinite(model.predict_proba(X[60:])).all()


# --------------------------------------------------------------- 6. a new user's table
def test_identifier_and_date_columns(tmp_path, caplog):
    rng = np.random.default_rng(0)
    n = 60
    x = rng.normal(size=n)
    frame = pd.DataFrame({
        "Unnamed: 0": np.arange(n),  # a saved index
        "id": [f"C-{i:04d}-{rng.integers(10**6)}" for i in range(n)],
        "x": x,
        "signup": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "seen": pd.date_range("2021-07-02 12:00", periods=n, freq="h").strftime(
            "%Y-%m-%dT%H:%M:%S"),
        "y": np.where(x > 0, "yes", "no"),
    })  # fmt: skip
    frame.to_csv(tmp_path / "customers.csv", index=False)
    with caplog.at_level(logging.INFO, logger="inn.data"):
        ds = load_file(DataFile(str(tmp_path / "customers.csv"), "y"))
    assert list(ds.X.columns) == ["x", "signup", "seen"] and ds.categorical == []
    assert ds.X["signup"].iloc[0] == 2020.0 and ds.X["seen"].iloc[0] == pytest.approx(2021.5)
    for text in ("dropped identifier columns ['id']", "['Unnamed: 0']",
                 "date columns ['signup', 'seen'] read as decimal years"):
        assert sum(text in r.getMessage() for r in caplog.records) == 1, text
    frame.assign(signup=["03/04/2020"] * n).to_csv(tmp_path / "amb.csv", index=False)
    with pytest.raises(DatasetError, match="month/day or day/month"):
        load_file(DataFile(str(tmp_path / "amb.csv"), "y"))


def test_estimator_frames_read_dates_and_drop_identifiers(caplog):
    rng = np.random.default_rng(1)
    n = 80
    X = pd.DataFrame({"id": [f"u{i}" for i in range(n)], "a": rng.normal(size=n),
                      "when": pd.to_datetime("2020-01-01") + pd.to_timedelta(
                          rng.integers(0, 1000, n), unit="D")})
    with caplog.at_level(logging.INFO, logger="inn.data"):
        pre = TabularPreprocessor().fit(X)
    assert pre.identifier_features_ == ["id"] and pre.feature_names_out_ == ["a", "when"]
    assert "decimal years" in caplog.text
    model = inn.INNClassifier(**FAST).fit(X, (X["a"] > 0).astype(int))
    text_dates = X.assign(when=X["when"].dt.strftime("%Y-%m-%d"))  # raw rows of a CSV
    np.testing.assert_allclose(model.predict_proba(text_dates), model.predict_proba(X),
                               atol=1e-6)
    assert model.explain(X[:2]).reference["id"] == "identifier: dropped"
    assert 2020 <= model.explain(X[:2]).reference["when"] <= 2023


def test_classification_of_a_continuous_target_is_a_short_error(tmp_path):
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=300), "price": rng.normal(10, 3, 300)}).to_csv(
        tmp_path / "cont.csv", index=False)
    with pytest.raises(DatasetError, match="is continuous") as err:
        load_file(DataFile(str(tmp_path / "cont.csv"), "price", "classification"))
    assert len(str(err.value)) < 300
    labels = np.arange(300) % 150  # whole numbers, but too many classes to score
    splits = make_splits(labels, "multiclass", seed=0)
    with pytest.raises(ValueError, match=r"and \d+ more of its 150") as err:
        check_scorable(labels, "multiclass", splits)
    assert len(str(err.value)) < 400


def test_semicolon_files_are_read_with_their_separator(tmp_path, caplog):
    lines = ["x;size;y"] + [f"{i};{i},5;{'ja' if i % 2 else 'nein'}" for i in range(30)]
    (tmp_path / "semi.csv").write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.INFO, logger="inn.data"):
        ds = load_file(DataFile(str(tmp_path / "semi.csv"), "y"))
    assert ds.X["size"].iloc[3] == 3.5 and ds.categorical == []
    assert "separated by ';'" in caplog.text and "decimal commas" in caplog.text


def test_dataset_not_found_without_a_store_is_one_line(monkeypatch):
    import inn.data.loading as loading
    import inn.data.openml_source as source

    def offline(dataset_id):
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(loading, "resolve_data_dir", lambda data_dir=None: None)
    monkeypatch.setattr(source, "fetch_openml_raw", offline)
    with pytest.raises(DatasetError, match="INN_DATA_DIR") as err:
        load_dataset(31)
    assert "\n" not in str(err.value) and err.value.__cause__ is None
    assert err.value.__suppress_context__  # no chain of three exceptions in the traceback


@pytest.mark.parametrize("labels, message", [
    (["a", 1] * 20, r"mixes labels of different kinds \(number 1, text 'a'\)"),
    (["a", None, "b", "a"] * 10, r"1. missing label"),
    ([1.0, np.nan] * 20, "NaN"),
])
def test_labels_numpy_cannot_sort_are_a_value_error(labels, message):
    X = np.random.default_rng(0).normal(size=(len(labels), 2))
    with pytest.raises(ValueError, match=message):
        inn.INNClassifier(**FAST).fit(X, np.array(labels, dtype=object))


def test_missing_regression_targets_are_a_value_error():
    X = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(ValueError, match=r"y has 20 missing or infinite value\(s\)"):
        inn.INNRegressor(**FAST).fit(X, np.array([1.5, None] * 20, dtype=object))  # not NaN loss


def test_a_network_too_large_for_memory_is_refused_before_allocating(monkeypatch, capsys):
    import inn.estimators as estimators

    monkeypatch.setattr(estimators, "_free_memory", lambda device: 2**30)  # 1 GiB free
    X, c, y = _data(60)
    with pytest.raises(ValueError, match=r"hidden_size=20000.* GiB are free on cpu"):
        inn.INNClassifier(**{**FAST, "hidden_size": 20000}).fit(X, y)  # ~50 GiB, not allocated
    inn.INNClassifier(**FAST).fit(X, y)  # a small one passes the same check


def test_empty_output_dir_and_odd_data_paths(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = _cli(capsys, "--output_dir", "")
    _one_error(code, err, "output_dir is empty")
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder
    (tmp_path / "folder.csv").mkdir()
    code, err = _cli(capsys, "--data", "folder.csv", "--target", "y")
    _one_error(code, err, "is a folder, not a file")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.csv")
        code, err = _cli(capsys, "--data", "pipe.csv", "--target", "y")
        _one_error(code, err, "not a regular file")
    code, err = _cli(capsys, "--data", "absent.csv", "--target", "y")
    _one_error(code, err, "no such file")
    (tmp_path / "one.csv").write_text("a,y\n1.0,0\n")
    code, err = _cli(capsys, "--data", "one.csv", "--target", "y")
    _one_error(code, err, "has a single class 0")


@pytest.mark.parametrize("stem, key", [("my data", "my_data"), ("données", "donnees"),
                                       ("größe (2)", "gro_e_2")])
def test_file_names_with_spaces_or_accents_are_accepted(tmp_path, stem, key):
    assert file_key(stem) == key
    path = tmp_path / f"{stem}.csv"
    pd.DataFrame({"a": np.arange(40.0), "y": np.tile([0, 1], 20)}).to_csv(path, index=False)
    rec = inn.run("decision_tree", DataFile(str(path), "y"), output_dir=tmp_path / "out",
                  quiet=True)
    assert rec["dataset_id"] == key and rec["dataset_name"] == stem
    assert (tmp_path / "out" / "decision_tree" / key / "0" / RESULT_FILE).is_file()
    with pytest.raises(DatasetError, match="rename the file"):
        file_key("日本")


def test_fractional_counts_are_value_errors():
    from inn.evaluation.runner import XAIConfig

    X, c, y = _data(40)
    with pytest.raises(ValueError, match="nr_epochs must be a positive integer"):
        inn.INNClassifier(**{**FAST, "nr_epochs": 2.5}).fit(X, y)
    with pytest.raises(ValueError, match="n_train must be a positive integer"):
        XAIConfig(n_train=2.5)
