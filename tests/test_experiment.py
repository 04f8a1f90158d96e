"""End-to-end runs of the experiment scripts and the result files they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from builders import customers_frame
from needs import needs_store

from inn.data import resolve_data_dir
from inn.results import RESULT_FILE, result_path, write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
STORE = resolve_data_dir()

REQUIRED_KEYS = {
    "method", "dataset_id", "dataset_name", "seed", "task", "hyperparameters", "n_train",
    "n_test", "test_metrics", "train_time_s", "inference_time_s", "device", "versions",
    "feature_importances", "split_fingerprint",
}  # fmt: skip


def _run(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env,
    )  # fmt: skip


def _check_record(rec: dict, method: str, dataset_id) -> None:
    assert REQUIRED_KEYS <= set(rec), REQUIRED_KEYS - set(rec)
    assert rec["method"] == method
    assert str(rec["dataset_id"]) == str(dataset_id)
    if rec["task"] == "regression":
        assert set(rec["test_metrics"]) >= {"rmse", "r2"}
    else:
        m = rec["test_metrics"]
        assert 0.0 <= m["auroc"] <= 1.0
        assert 0.0 <= m["accuracy"] <= 1.0
        assert m["log_loss"] > 0


@pytest.mark.slow
@needs_store
def test_inn_and_baselines_share_split_and_feature_names(tmp_path):
    out = tmp_path / "results"
    common = ["--dataset_id", "31", "--seed", "3", "--output_dir", str(out), "--quiet"]
    res = _run("main_experiment.py", "--interpretable", "--nr_epochs", "3", *common)
    assert res.returncode == 0, res.stderr
    assert "test AUROC" in res.stdout and "checking_status" in res.stdout
    res = _run("main_experiment.py", "--no-interpretable", "--nr_epochs", "3", *common)
    assert res.returncode == 0, res.stderr
    for model in ("logistic_regression", "catboost", "decision_tree"):
        res = _run("baseline_experiment.py", "--model", model, *common)
        assert res.returncode == 0, res.stderr

    originals = set(pd.read_parquet(STORE / "31.parquet").columns) - {"class"}
    fingerprints = set()
    for method in ("inn", "tabresnet", "logistic_regression", "catboost", "decision_tree"):
        rec = json.loads(result_path(out, method, 31, 3).read_text())
        _check_record(rec, method, 31)
        fingerprints.add(rec["split_fingerprint"])
        assert (rec["n_train"], rec["n_val"], rec["n_test"]) == (640, 160, 200)
        if method != "tabresnet":
            imp = rec["feature_importances"]
            assert set(imp) == originals, set(imp) ^ originals
            assert sum(imp.values()) == pytest.approx(1.0)
    assert len(fingerprints) == 1
    inn_rec = json.loads(result_path(out, "inn", 31, 3).read_text())
    assert 0.0 <= inn_rec["sparsity"] <= 1.0 and 0.0 <= inn_rec["bias_share"] <= 1.0
    assert inn_rec["hyperparameters"]["nr_epochs"] == 3


@needs_store
def test_existing_result_is_skipped_unless_overwrite(tmp_path):
    args = ["--dataset_id", "37", "--nr_epochs", "2", "--output_dir", str(tmp_path), "--quiet"]
    assert _run("main_experiment.py", *args).returncode == 0
    path = result_path(tmp_path, "inn", 37, 0)
    first = path.stat().st_mtime_ns
    res = _run("main_experiment.py", *args)
    assert res.returncode == 0 and "skipped" in res.stdout
    assert path.stat().st_mtime_ns == first
    assert _run("main_experiment.py", *args, "--overwrite").returncode == 0
    assert path.stat().st_mtime_ns != first


def test_regression_run_in_process(tmp_path):
    from inn.experiment import run

    rec = run("inn", 531 if STORE else 1510, 0, {"nr_epochs": 2}, output_dir=tmp_path, quiet=True,
              numeric_scaling="quantile")
    _check_record(rec, "inn", rec["dataset_id"])
    assert rec["numeric_scaling"] == "quantile"


@needs_store
def test_pipeline_scales_numeric_columns_once():
    """"auto": the run's frame encoder leaves numeric columns to a network that scales them
    (robust), standardises them for one that does not and for every other method."""
    from inn.data import prepare_data

    inn_data = prepare_data(37, 0, "inn")  # diabetes: numeric columns only
    assert inn_data.numeric_scaling == inn_data.preprocessor.numeric_scaling == "none"
    raw = inn_data.dataset.X.iloc[inn_data.splits.train].to_numpy(dtype=float)
    train = inn_data.X["train"].astype(float)
    assert train.std(axis=0) == pytest.approx(raw.std(axis=0), rel=1e-4)  # units kept
    for method, params in (("inn", {"robust": False}), ("logistic_regression", {})):
        data = prepare_data(37, 0, method, params=params)
        assert data.preprocessor.numeric_scaling == "standard"
        assert data.X["train"].std(axis=0) == pytest.approx(1.0, rel=1e-3)
    assert prepare_data(37, 0, "inn", numeric_scaling="quantile").numeric_scaling == "quantile"


@needs_store
def test_dataset_key_normalised_once_at_the_edge(tmp_path, monkeypatch):
    """31, "31", "031" and np.int64(31) are one dataset: one results folder, one record. inn.run
    normalises the id once (inn.data.dataset_key, the only normaliser); no step below it (load,
    store, split fingerprint, skip check) normalises it again."""
    import numpy as np

    import inn.data.store as store
    from inn.data import DatasetError
    from inn.experiment import run

    calls = []
    normalise = store.check_key  # dataset_key's only work: counted, not changed

    def counted(value, what="dataset id"):
        calls.append(value)
        return normalise(value, what)

    monkeypatch.setattr(store, "check_key", counted)
    records = []
    for given in ("31", 31, "031", np.int64(31)):
        calls.clear()
        records.append(run("decision_tree", given, 0, output_dir=tmp_path, quiet=True,
                           overwrite=True, n_jobs=1))
        assert calls == [given]
    assert {r["path"] for r in records} == {str(result_path(tmp_path, "decision_tree", 31, 0))}
    assert {r["dataset_id"] for r in records} == {31}
    assert len({r["split_fingerprint"] for r in records}) == 1
    assert len({json.dumps(r["test_metrics"]) for r in records}) == 1
    calls.clear()  # the finished result is found from another spelling, still with one call
    assert run("decision_tree", "031", 0, output_dir=tmp_path, quiet=True).get("skipped")
    assert calls == ["031"]
    # a space is no part of a key (tests/test_guarantees.py): an error before any work
    with pytest.raises(DatasetError, match="not a plain name"):
        run("decision_tree", " 31", 0, output_dir=tmp_path / "other", quiet=True)
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("baseline_experiment.py", ["--model", "xgboost"], "invalid choice"),
        ("main_experiment.py", ["--nr_epochs", "-3"], "must be a positive integer"),
        ("main_experiment.py", ["--test_split_size", "1.5"], "must be in (0, 1)"),
        ("main_experiment.py", ["--dataset_id", "987654321"], "987654321"),
        ("main_experiment.py", ["--dataset_id", "1510", "--mode", "regression"], "task"),
    ],
)
def test_bad_input_one_line_error_and_no_result(tmp_path, script, args, message):
    res = _run(script, *args, "--output_dir", str(tmp_path), timeout=60)
    assert res.returncode != 0
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    assert not list(tmp_path.rglob(RESULT_FILE))


def test_atomic_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "m" / "1" / "0" / RESULT_FILE
    with pytest.raises(TypeError):
        write_json_atomic({"bad": object()}, path)
    assert not path.exists()
    assert list(path.parent.iterdir()) == []
    write_json_atomic({"ok": 1}, path)
    assert json.loads(path.read_text()) == {"ok": 1}


def test_default_run_uses_embedded_dataset(tmp_path):
    """With no store at all, dataset 1510 comes from scikit-learn's bundled copy."""
    env_store = tmp_path / "empty_store"
    env_store.mkdir()
    res = _run(
        "main_experiment.py", "--nr_epochs", "2", "--data_dir", str(env_store),
        "--output_dir", str(tmp_path / "out"), "--quiet",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rec = json.loads(result_path(tmp_path / "out", "inn", 1510, 0).read_text())
    assert rec["dataset_source"] == "sklearn"
    assert rec["n_train"] + rec["n_val"] + rec["n_test"] == 569


# ------------------------------------------------------------------------------------ flags
def test_network_flags_come_from_the_estimators():
    import main_experiment
    from inn import cli
    from inn.estimators import INNClassifier, TabResNetClassifier
    from inn.settings import SETTINGS

    parser = main_experiment.build_parser()
    text = " ".join(parser.format_help().split())
    for name, value in INNClassifier().get_params().items():
        if name not in cli.RUN_MANAGED + cli.FRAME_PARAMETERS:
            assert f"--{name}" in text
            assert f"(default: {value}" in text, name
    assert f"(default: {SETTINGS['weight_norm'].default}; inn only)" in text
    # flags not given are not passed: the estimator's defaults apply
    args = parser.parse_args([])
    assert cli.network_params(parser, args, "inn", main_experiment.estimators()) == {}
    args = parser.parse_args(["--nr_epochs", "3", "--bias", "row"])
    assert cli.network_params(parser, args, "inn", main_experiment.estimators()) == {
        "nr_epochs": 3, "bias": "row"}
    assert set(TabResNetClassifier().get_params()) < set(INNClassifier().get_params())


def test_flags_checked_against_the_estimators(monkeypatch):
    import main_experiment
    from inn import settings

    monkeypatch.delitem(settings.SETTINGS, "patience")  # a parameter without its declaration
    with pytest.raises(RuntimeError, match="patience"):
        main_experiment.build_parser()


@pytest.mark.parametrize("flag", [["--weight_norm", "0.2"], ["--bias", "row"]])
def test_inn_only_flag_with_tabresnet_is_an_error(tmp_path, flag):
    res = _run("main_experiment.py", "--no-interpretable", *flag, "--output_dir", str(tmp_path),
               timeout=60)
    assert res.returncode == 2
    assert f"{flag[0]} is not a setting of tabresnet" in res.stderr
    assert not list(tmp_path.rglob(RESULT_FILE))


def _parsers():
    """Every script's argument parser."""
    import importlib.util

    import baseline_experiment
    import main_experiment
    import run_benchmark
    import xai_experiment
    from plots import comparison, explanations, paper, store_tables
    from plots import xai as xai_plot

    parsers = {m.__name__: m.build_parser() for m in (
        main_experiment, baseline_experiment, run_benchmark, xai_experiment, comparison,
        explanations, xai_plot, paper, store_tables)}  # fmt: skip
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        for path in sorted((ROOT / "benchmarks").glob("*.py")):
            spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if hasattr(module, "build_parser"):
                parsers[path.name] = module.build_parser()
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return parsers


def test_every_flag_says_what_it_does_and_its_default():
    parsers = _parsers()
    assert {"train_throughput.py", "weight_norm_sweep.py", "store_ablation.py",
            "feature_removal.py", "two_moons.py"} <= set(parsers)
    names: dict[str, set] = {}
    for script, parser in parsers.items():
        for action in parser._actions:
            if action.dest == "help":
                continue
            flag = action.option_strings[-1] if action.option_strings else action.dest
            said = "required" if action.required else "default"
            assert action.help and said in action.help, f"{script} {flag}"
            names.setdefault(action.dest, set()).add(script)
    # one name per concept across scripts
    for old in ("epochs", "workers", "results", "output"):
        assert old not in names, (old, names.get(old))


# ------------------------------------------------------------------------------ your own file
def _customers_csv(path: Path, n: int = 200) -> Path:
    """A small table with numbers, strings and gaps, and a string target, as a CSV file."""
    customers_frame(n).to_csv(path, index=False)
    return path


def test_own_csv_on_the_command_line(tmp_path):
    import inn

    csv = _customers_csv(tmp_path / "customers.csv")
    out = tmp_path / "results"
    common = ["--data", str(csv), "--target", "bought", "--output_dir", str(out), "--quiet"]
    res = _run("main_experiment.py", "--nr_epochs", "3", *common)
    assert res.returncode == 0, res.stderr
    assert "inn on customers (customers)" in res.stdout
    assert "task binary inferred from the target 'bought'" in res.stderr
    res = _run("baseline_experiment.py", "--model", "logistic_regression", *common)
    assert res.returncode == 0, res.stderr

    records = {m: json.loads(result_path(out, m, "customers", 0).read_text())
               for m in ("inn", "logistic_regression")}  # fmt: skip
    for method, rec in records.items():
        _check_record(rec, method, "customers")
        assert rec["dataset_source"] == f"file:{csv.resolve()}"
        assert rec["data_file"]["path"] == str(csv.resolve())
        assert (rec["data_file"]["target"], rec["data_file"]["mode"]) == ("bought", None)
        assert set(rec["feature_importances"]) == {"age", "city", "spend"}
        assert rec["classes"] == ["no", "yes"]
    assert len({r["split_fingerprint"] for r in records.values()}) == 1
    assert records["inn"]["model_dir"] == "model"
    assert "model_dir" not in records["logistic_regression"]

    # the saved model takes the file's rows and predicts its labels
    model = inn.load(out / "inn" / "customers" / "0" / "model")
    rows = pd.read_csv(csv).drop(columns="bought")
    assert list(model.classes_) == ["no", "yes"]
    assert set(model.predict(rows)) <= {"no", "yes"}
    expl = model.explain(rows.head(3))
    assert expl.feature_names == ["age", "city", "spend"] and expl.positive_class == "yes"
    saved = dict(zip(model.feature_names_in_, model.feature_importances_))
    assert saved == pytest.approx(records["inn"]["feature_importances"], rel=1e-6)


def _main(module, argv, capsys) -> tuple[int, str]:
    """A script's main in this process, as its ``__main__`` runs it: (exit code, stderr)."""
    from inn import cli

    try:
        code = cli.main_guard(lambda: module.main(argv))
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("age,city\n30,Rome\n40,Oslo\n", ["--target", "bought"], "no target column 'bought'"),
        ("age,bought\n30,yes\n40,yes\n", ["--target", "bought"], "single class 'yes'"),
        ("", ["--target", "bought"], "the file is empty"),
        ('age,bought\n30,"yes\n', ["--target", "bought"], "cannot be read as csv"),
        ("age,bought\n30,yes\n40,no\n", ["--target", "bought", "--mode", "regression"],
         "regression target 'bought' is not numeric"),
        ("age,bought\n30,yes\n40,no\n", [], "--data needs --target"),
        ("age,bought\n30,yes\n40,no\n", ["--target", "bought", "--dataset_id", "31"],
         "not both"),
    ],
)
def test_bad_file_one_line_error_and_no_result(tmp_path, capsys, content, args, message):
    import main_experiment

    csv = tmp_path / "table.csv"
    csv.write_text(content)
    code, err = _main(main_experiment, ["--data", str(csv), *args, "--output_dir",
                                        str(tmp_path / "r")], capsys)  # fmt: skip
    assert code == 2, err
    errors = [line for line in err.splitlines() if "error: " in line]
    assert len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_bad_file_in_baseline_script(tmp_path):
    csv = tmp_path / "table.csv"
    csv.write_text("age,bought\n30,yes\n40,yes\n")
    res = _run("baseline_experiment.py", "--model", "logistic_regression", "--data", str(csv),
               "--target", "bought", "--output_dir", str(tmp_path / "r"), timeout=60)
    assert res.returncode == 2
    assert res.stderr.splitlines()[-1].startswith("error: data file")
    assert "single class" in res.stderr and not (tmp_path / "r").exists()


def test_target_without_data_is_an_error(tmp_path, capsys):
    import main_experiment

    code, err = _main(main_experiment, ["--target", "class", "--output_dir", str(tmp_path)],
                      capsys)  # fmt: skip
    assert code == 2 and "--target needs --data" in err


def test_cuda_without_gpu_says_so_in_one_line(tmp_path, capsys):
    import torch

    import main_experiment

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    code, err = _main(main_experiment, ["--device", "cuda", "--output_dir", str(tmp_path)],
                      capsys)  # fmt: skip
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert err.startswith("error: device 'cuda': torch finds no CUDA GPU")
    assert not list(tmp_path.rglob(RESULT_FILE))
