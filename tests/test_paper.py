"""Reproducing the paper: reference-format results, the --model_name alias, OpenML task splits,
feature removal, the paper's figures and the README's generated store tables."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from inn import data  # noqa: E402
from inn.data import DatasetError, resolve_data_dir  # noqa: E402
from inn.experiment import run  # noqa: E402
from inn.results import reference_keys, results_frame  # noqa: E402
from plots import paper, store_tables  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "reference_results"
STORE = resolve_data_dir()


def _script(name: str):
    """A benchmarks/ script as a module (they import ``common`` from their folder)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}",
                                                      ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


# ------------------------------------------------------------------------ reference keys
def test_reference_keys_are_derived_from_our_record():
    record = {"task": "binary", "train_time_s": 2.0, "inference_time_s": 0.5,
              "train_metrics": {"auroc": 0.99, "accuracy": 0.95},
              "test_metrics": {"auroc": 0.9, "accuracy": 0.85, "log_loss": 0.3},
              "feature_importances": {f"f{i}": w for i, w in
                                      enumerate([0.3, 0.2] + [0.05] * 10)}}  # fmt: skip
    keys = reference_keys(record)
    assert keys["train_auroc"] == 0.99 and keys["test_auroc"] == 0.9
    assert keys["train_accuracy"] == 0.95 and keys["test_accuracy"] == 0.85
    assert keys["train_time"] == 2.0 and keys["inference_time"] == 0.5 and keys["time"] == 2.5
    assert keys["top_features"] == [f"f{i}" for i in range(12)]
    assert keys["top_features_weights"][:2] == [0.3, 0.2]
    assert keys["top_10_features"] == [f"f{i}" for i in range(10)]
    assert len(keys["top_10_features_weights"]) == 10
    regression = reference_keys({"task": "regression", "test_metrics": {"rmse": 3.0},
                                 "train_metrics": {"rmse": 2.0}, "feature_importances": None})
    assert regression == {"test_mse": 9.0, "train_mse": 4.0}


def test_result_file_carries_the_reference_keys(tmp_path):
    record = run("logistic_regression", 1510, 0, output_dir=tmp_path, quiet=True, n_jobs=1)
    saved = json.loads(Path(record["path"]).read_text())
    for part in ("train", "test"):
        for metric in ("auroc", "accuracy"):
            assert saved[f"{part}_{metric}"] == saved[f"{part}_metrics"][metric]
    assert saved["train_time"] == saved["train_time_s"]
    assert saved["inference_time"] == saved["inference_time_s"]
    assert saved["top_features"] == list(saved["feature_importances"])
    assert saved["top_10_features"] == saved["top_features"][:10]
    assert saved["split"] == {"kind": "seeded", "seed": 0}
    # the reference's plotting code reads test_auroc and train_auroc of every seed folder
    assert 0.5 < saved["test_auroc"] <= 1 and 0.5 < saved["train_auroc"] <= 1


def test_model_name_is_an_alias_of_model(tmp_path, capsys):
    import baseline_experiment

    parser = baseline_experiment.build_parser()
    args = parser.parse_args(["--model_name", "random_forest", "--dataset_id", "31"])
    # the id as given: inn.run normalises it (once, there)
    assert args.model == "random_forest" and args.dataset_id == "31"
    assert parser.parse_args(["--model", "random_forest"]).model == "random_forest"
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["--model_name", "xgboost"])
    assert info.value.code == 2
    assert "invalid choice: 'xgboost'" in capsys.readouterr().err
    baseline_experiment.main(["--model_name", "decision_tree", "--dataset_id", "1510",
                              "--output_dir", str(tmp_path), "--quiet"])  # fmt: skip
    saved = json.loads((tmp_path / "decision_tree" / "1510" / "0" / "output_info.json")
                       .read_text())
    assert saved["method"] == "decision_tree" and "test_auroc" in saved


# ------------------------------------------------------------------------ reading trees
def test_reader_reads_a_reference_format_tree():
    frame = results_frame(FIXTURE).set_index(["method", "dataset_id", "seed"]).sort_index()
    assert set(frame.index) == {("inn", "1510", 0), ("inn", "1510", 1), ("inn", "41143", 0),
                                ("inn", "531", 0), ("decision_tree", "1510", 0),
                                ("decision_tree", "1510", 1), ("decision_tree", "41143", 0),
                                ("catboost", "41143", 0)}  # fmt: skip
    assert set(frame["format"]) == {"reference"}
    inn = frame.loc[("inn", "1510", 0)]
    assert inn["test_auroc"] == 0.991 and inn["train_auroc"] == 0.998
    assert inn["train_time_s"] == 12.5 and inn["inference_time_s"] == 0.25
    old = frame.loc[("inn", "1510", 1)]  # the older script: 'time' and a train_auroc list
    assert old["train_time_s"] == 10.0 and old["train_auroc"] == 0.996
    assert math.isnan(old["inference_time_s"])
    reg = frame.loc[("inn", "531", 0)]
    assert reg["task"] == "regression" and reg["test_rmse"] == 3.0 and reg["train_rmse"] == 2.0
    assert frame.loc[("catboost", "41143", 0), "task"] == "classification"


def test_reference_and_own_results_plot_together(tmp_path):
    tree = tmp_path / "results"
    shutil.copytree(FIXTURE, tree)
    run("decision_tree", 1510, 2, output_dir=tree, quiet=True, n_jobs=1)
    frame = results_frame(tree)
    wdbc = frame[frame["dataset_id"] == "1510"]
    assert set(wdbc["format"]) == {"inn", "reference"}
    assert set(wdbc["dataset"]) == {"wdbc (1510)"}  # one label: the name comes from our record
    table, means = paper.auroc_means(tree)
    tree_row = table[(table["dataset"] == "wdbc (1510)") & (table["method"] == "decision_tree")]
    assert int(tree_row["n_seeds"].iloc[0]) == 3  # two reference seeds and our seed 2
    assert "jasmine" not in " ".join(means.index) and "41143" in means.index


# ------------------------------------------------------------------------ OpenML tasks
class _StubTask:
    """Stands in for an OpenML task: dataset 1510's rows, a fixed fold."""

    dataset_id = 1510
    target_name = None

    def get_train_test_split_indices(self, fold=0, repeat=0, sample=0):
        test = np.arange(fold, 569, 10)
        return np.setdiff1d(np.arange(569), test), test


@pytest.fixture
def stub_openml(monkeypatch):
    openml = pytest.importorskip("openml")
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    X, y = bunch.data, bunch.target.map({0: "malignant", 1: "benign"}).rename("class")

    class StubDataset:
        name = "wdbc"
        default_target_attribute = "class"

        def get_data(self, target, dataset_format):
            return X, y, [False] * X.shape[1], list(X.columns)

    monkeypatch.setattr(data.openml_source, "probe_server", lambda *a, **k: None)
    monkeypatch.setattr(openml.tasks, "get_task", lambda *a, **k: _StubTask())
    monkeypatch.setattr(openml.datasets, "get_dataset", lambda *a, **k: StubDataset())
    return openml


def test_openml_task_folds_are_used(tmp_path, stub_openml):
    record = run("decision_tree", None, 3, output_dir=tmp_path, quiet=True, n_jobs=1,
                 openml_task_id=99)
    assert record["split"] == {"kind": "openml_task", "openml_task_id": 99, "fold": 3,
                               "repeat": 0}
    assert record["dataset_id"] == 1510 and record["n_test"] == len(np.arange(3, 569, 10))
    assert record["n_train"] + record["n_val"] == 569 - record["n_test"]
    assert Path(record["path"]) == tmp_path / "decision_tree" / "1510" / "3" / "output_info.json"
    again = run("decision_tree", None, 3, output_dir=tmp_path, quiet=True, openml_task_id=99)
    assert again.get("skipped")
    # a seeded-split run must not be mistaken for the task's fold, nor the other way round
    with pytest.raises(ValueError, match="exists with OpenML task 99, not a seeded split"):
        run("decision_tree", 1510, 3, output_dir=tmp_path, quiet=True)


def test_openml_task_offline_is_one_clear_error(tmp_path, monkeypatch, capsys):
    openml = pytest.importorskip("openml")
    import baseline_experiment
    from inn.cli import main_guard

    monkeypatch.setattr(openml.config, "server", "http://127.0.0.1:9/api/v1/xml")
    code = main_guard(lambda: baseline_experiment.main(
        ["--model", "decision_tree", "--openml_task_id", "31", "--output_dir", str(tmp_path),
         "--quiet"]))  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len([line for line in err if line.startswith("error:")]) == 1
    line = next(line for line in err if line.startswith("error:"))
    assert "OpenML task 31" in line and "openml.org" in line
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------------ feature removal
def test_drop_features_leaves_them_out(tmp_path):
    record = run("decision_tree", 1510, 0, output_dir=None, quiet=True, n_jobs=1,
                 drop_features=["worst perimeter", "mean radius"])
    assert record["n_features"] == 28
    assert record["dropped_features"] == ["worst perimeter", "mean radius"]
    assert not {"worst perimeter", "mean radius"} & set(record["feature_importances"])
    with pytest.raises(DatasetError, match="cannot drop unknown features"):
        run("decision_tree", 1510, 0, output_dir=None, quiet=True, drop_features=["nope"])


@pytest.fixture(scope="module")
def removal_tree(tmp_path_factory) -> Path:
    """Real (tiny) runs of benchmarks/feature_removal.py: decision-tree importances and a
    random order, k = 0..2, a decision tree retrained each time, on wdbc."""
    root = tmp_path_factory.mktemp("results")
    module = _script("feature_removal")
    rows = module.check(1510, 0, ["decision_tree", "random"], [0, 1, 2], "decision_tree",
                        root / "feature_removal", n_jobs=1)  # fmt: skip
    assert {(r["explainer"], r["k"]) for r in rows} == {
        (e, k) for e in ("decision_tree", "random") for k in (0, 1, 2)}
    return root


def test_feature_removal_runs_drop_the_top_features(removal_tree):
    base = removal_tree / "feature_removal"
    imp = json.loads((base / "importances/decision_tree/1510/0/output_info.json").read_text())
    top = list(imp["feature_importances"])[:2]
    k2 = json.loads((base / "decision_tree/k2/decision_tree/1510/0/output_info.json").read_text())
    assert k2["dropped_features"] == top and k2["n_features"] == 28
    frame = paper.removal_frame(removal_tree)
    assert set(frame["explainer"]) == {"decision_tree", "random"}
    assert sorted(frame["k"].unique()) == [0, 1, 2]
    # the k = 0 run (all features) counts for both explainers, once each
    assert (frame["k"] == 0).sum() == 2


# ------------------------------------------------------------------------ figures
AUROC = {  # dataset -> method -> test AUROC of seed 0 (seed 1: 0.01 lower)
    "1510": {"inn": 0.99, "catboost": 0.98, "decision_tree": 0.93, "logistic_regression": 0.99},
    "37": {"inn": 0.84, "catboost": 0.83, "decision_tree": 0.80, "logistic_regression": 0.82},
    "40": {"inn": 0.93, "catboost": 0.91, "decision_tree": 0.73, "logistic_regression": 0.86},
    "15": {"inn": 0.99, "catboost": 0.99, "decision_tree": 0.97, "logistic_regression": 0.98},
    "59": {"inn": 0.95, "catboost": 0.96, "decision_tree": 0.90, "logistic_regression": 0.92},
    "31": {"inn": 0.79, "catboost": 0.78, "decision_tree": 0.70, "logistic_regression": 0.80},
}
NAMES = {"1510": "wdbc", "37": "diabetes", "40": "sonar", "15": "breast-w", "59": "ionosphere",
         "31": "credit-g"}


def _write_tree(root: Path) -> Path:
    """Our result format, values of :data:`AUROC`, 2 seeds; one regression record."""
    for dataset, scores in AUROC.items():
        for method, auroc in scores.items():
            for seed in (0, 1):
                rec = {"method": method, "dataset_id": int(dataset),
                       "dataset_name": NAMES[dataset], "seed": seed, "task": "binary",
                       "test_metrics": {"auroc": auroc - 0.01 * seed, "accuracy": 0.9},
                       "train_time_s": 1.0 + seed, "inference_time_s": 0.1,
                       "device": "cpu (test)"}  # fmt: skip
                path = root / method / dataset / str(seed) / "output_info.json"
                path.parent.mkdir(parents=True)
                path.write_text(json.dumps(rec))
    rec = {"method": "inn", "dataset_id": 531, "dataset_name": "boston", "seed": 0,
           "task": "regression", "test_metrics": {"r2": 0.7, "rmse": 4.0},
           "train_time_s": 2.0, "inference_time_s": 0.1, "device": "cpu (test)"}
    path = root / "inn" / "531" / "0" / "output_info.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(rec))
    return root


def _nonempty_png(path: Path) -> None:
    assert path.is_file() and path.stat().st_size > 5000, path


def test_holm_and_wilcoxon_against_inn():
    from scipy.stats import wilcoxon

    assert paper.holm({"a": 0.01, "b": 0.04, "c": 0.03}) == pytest.approx(
        {"a": 0.03, "b": 0.06, "c": 0.06})
    means = pd.DataFrame(AUROC).T
    tests = paper.wilcoxon_vs(means)
    raw = {m: wilcoxon(means["inn"], means[m]).pvalue
           for m in ("catboost", "decision_tree", "logistic_regression")}  # fmt: skip
    assert tests["p"].to_dict() == pytest.approx(raw)
    assert tests["p_holm"].to_dict() == pytest.approx(paper.holm(raw))
    assert tests.loc["decision_tree", ["wins", "ties", "losses"]].tolist() == [6, 0, 0]


def test_every_figure_is_drawn_from_a_small_tree(tmp_path, removal_tree):
    tree = _write_tree(tmp_path / "results")
    shutil.copytree(removal_tree / "feature_removal", tree / "feature_removal")
    # a ρ sweep record per ρ (the interpretability benchmark's format, values made up)
    for rho in (0.0, 0.25, 0.5, 0.75, 0.99):
        rec = {"benchmark": f"linear_regression_rho{rho:g}", "seed": 0, "kind": "synthetic",
               "target": "linear", "task": "regression", "rho": rho,
               "explainers": {e: {"metrics": {"gt_corr_ref": 1 - rho / k,
                                              "faithfulness_ref": 0.9, "monotonicity": 0.7,
                                              "infidelity": rho / k}}
                              for e, k in (("inn", 2), ("kernelshap_inn", 3), ("random", 1))}}
        path = tree / "xai" / rec["benchmark"] / "0" / "output_info.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(rec))
    moons = _script("two_moons")
    moons.save(moons.make(0, 200, 0.2, 20, {"nr_epochs": 2}), tree / "two_moons")
    out = tmp_path / "figures"
    messages = []
    written = paper.draw(tree, out, echo=messages.append)
    assert set(written) == set(paper.FIGURES), messages
    for name in ("auroc_gain", "rank_violin", "feature_removal", "xai_rho", "two_moons"):
        _nonempty_png(out / f"{name}.png")
    tex = (out / "results_table.tex").read_text()
    # best per row in bold, ties included; std over the two seeds
    assert r"wdbc (1510) & \textbf{0.985} {\scriptsize $\pm$ 0.007} & 0.975" in tex
    wdbc = next(line for line in tex.splitlines() if line.startswith("wdbc"))
    assert wdbc.count(r"\textbf{0.985}") == 2  # INN and logistic regression tie on wdbc
    assert r"credit-g (31)" in tex and r"\bottomrule" in tex
    md = (out / "datasets_table.md").read_text()
    if STORE is not None and (STORE / "531.json").is_file() and (STORE / "40.json").is_file():
        assert "| 531 | boston | regression |" in md
        assert "| 40 | sonar | binary | 208 | 60 | 0 | 2 | 0 |" in md
    else:  # the facts come from the store (or OpenML, where reachable): the rows are there
        assert "| 531 |" in md and "| 40 |" in md, md
    assert any("Wilcoxon" in m for m in messages)


def test_gain_is_the_ratio_to_the_decision_tree(tmp_path):
    tree = _write_tree(tmp_path / "results")
    _, means = paper.auroc_means(tree)
    fig = paper.gain_figure(means)
    ax = fig.axes[0]
    points = sorted(np.round(ax.collections[0].get_offsets()[:, 1], 6))  # INN's points
    expected = sorted(np.round([(s["inn"] - 0.005) / (s["decision_tree"] - 0.005)
                                for s in AUROC.values()], 6))  # fmt: skip
    assert points == pytest.approx(expected)
    assert "Decision tree" in ax.get_ylabel()


def test_paper_cli_skips_missing_parts_and_fails_without_results(tmp_path, capsys):
    tree = _write_tree(tmp_path / "results")
    assert paper.main(["--results_dir", str(tree), "--out_dir", str(tmp_path / "f"),
                       "--only", "table", "removal"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "table: wrote" in out
    assert "removal: skipped" in out and "benchmarks/feature_removal.py" in out
    assert paper.main(["--results_dir", str(tmp_path / "none")]) == 2


# ------------------------------------------------------------------------ store tables
def test_store_tables_and_readme_block(tmp_path):
    tree = _write_tree(tmp_path / "results")
    block = store_tables.store_tables(tree)
    assert "| wdbc (1510) | 0.985 | 0.975 |" in block  # inn, catboost (registry order)
    assert "| boston (531) | 0.700 |" in block  # one seed is the most this table has
    assert "average rank, 6 classification datasets, 12 (dataset, seed) pairs" in block
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{store_tables.BEGIN}\nold\n{store_tables.END}\nrest\n")
    assert store_tables.main(["--results_dir", str(tree), "--check", str(readme)]) == 1
    assert store_tables.main(["--results_dir", str(tree), "--write-readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old" not in text
    assert store_tables.current_block(text) == block
    assert store_tables.main(["--results_dir", str(tree), "--check", str(readme)]) == 0
    readme.write_text("no markers\n")
    assert store_tables.main(["--results_dir", str(tree), "--write-readme", str(readme)]) == 2
    assert readme.read_text() == "no markers\n"


def test_readme_store_tables_match_the_committed_results(tmp_path):
    """The README's headline table and the full tables of docs/results.md are those of the
    committed results; only the files git tracks count, a local run under results/ does not."""
    import subprocess

    try:
        tracked = subprocess.run(["git", "ls-files", "-z", "results"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    tracked = [f for f in tracked if f.endswith("/output_info.json")]
    if not tracked:
        pytest.skip("no committed results under results/")
    for name in tracked:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    fix = ("python -m plots.store_tables --results_dir results --write-readme README.md "
           "docs/results.md")
    readme, page = (ROOT / "README.md").read_text(), (ROOT / "docs" / "results.md").read_text()
    headline = store_tables.headline_tables(tmp_path / "results")
    assert store_tables.current_block(readme, store_tables.HEADLINE_BEGIN,
                                      store_tables.HEADLINE_END) == headline, (
        f"README's headline table is stale: {fix}")  # fmt: skip
    assert store_tables.current_block(page) == store_tables.store_tables(tmp_path / "results"), (
        f"docs/results.md's store tables are stale: {fix}")


def test_compare_runs_puts_two_trees_side_by_side(tmp_path, capsys):
    """benchmarks/compare_runs.py: means over the cells both trees have, wins, summed time."""
    from inn.results import result_path, write_json_atomic

    def record(tree, method, dataset, seed, task, value, seconds, device):
        metric = {"auroc": value} if task == "binary" else {"r2": value}
        write_json_atomic({"method": method, "dataset_id": dataset, "seed": seed, "task": task,
                           "test_metrics": metric, "train_time_s": seconds, "device": device},
                          result_path(tmp_path / tree, method, dataset, seed))

    for seed, (gpu, cpu) in enumerate([(0.90, 0.80), (0.70, 0.75)]):
        record("gpu", "inn", 31, seed, "binary", gpu, 1.0, "cuda (X)")
        record("cpu", "inn", 31, seed, "binary", cpu, 4.0, "cpu (Y)")
    record("gpu", "inn", "boston", 0, "regression", 0.5, 2.0, "cuda (X)")
    record("cpu", "inn", "boston", 0, "regression", 0.6, 3.0, "cpu (Y)")
    record("cpu", "inn", 37, 0, "binary", 0.99, 9.0, "cpu (Y)")  # only in one tree: left out
    _script("compare_runs").main([str(tmp_path / "gpu"), str(tmp_path / "cpu")])
    lines = {line.split()[1]: line.split() for line in capsys.readouterr().out.splitlines()
             if line.startswith("inn ")}
    assert lines["test_auroc"][2:] == ["2", "1", "0.8000", "0.7750", "+0.0250", "1", "1"]
    assert lines["test_r2"][2:] == ["1", "1", "0.5000", "0.6000", "-0.1000", "0", "1"]
    assert lines["train_time_s"][3:7] == ["3", "2", "4", "11"]  # 3 cells, 2 datasets


def test_compare_runs_takes_trees_without_regression(tmp_path, capsys):
    """A tree of classification runs only has no R² column: compare_runs skips that metric."""
    from inn.results import result_path, write_json_atomic

    for tree, value in (("new", 0.9), ("base", 0.8)):
        write_json_atomic({"method": "inn", "dataset_id": 31, "seed": 0, "task": "binary",
                           "test_metrics": {"auroc": value}, "train_time_s": 1.0,
                           "device": "cpu (Y)"},
                          result_path(tmp_path / tree, "inn", 31, 0))
    _script("compare_runs").main([str(tmp_path / "new"), str(tmp_path / "base")])
    metrics = [line.split()[1] for line in capsys.readouterr().out.splitlines()
               if line.startswith("inn ")]
    assert metrics == ["test_auroc", "train_time_s"]


def test_epoch_floor_lists_every_product_of_a_step():
    """benchmarks/epoch_floor.py: forward and weight gradient of every dense layer, the input
    gradient of all but the first; INN's head is one product per member; the step's rows
    include the consistency term's masked copies and the reference row."""
    from inn import INNClassifier, TabResNetClassifier
    from inn.modules import INN, TabResNet

    floor = _script("epoch_floor")
    net = TabResNet(n_features=4, n_outputs=1, hidden_size=8, nr_blocks=1, dropout=0.0,
                    n_bins=0, robust=False)
    shapes = [p[1:] for p in floor.products(net, 10)]
    # input layer 4 -> 8 (no input gradient), two 8 -> 8 block layers, head 8 -> 1
    assert shapes == [(10, 4, 8), (8, 10, 4),
                      (10, 8, 8), (8, 10, 8), (10, 8, 8),
                      (10, 8, 8), (8, 10, 8), (10, 8, 8),
                      (10, 8, 1), (1, 10, 8), (10, 1, 8)]
    inn = INN(n_features=4, n_outputs=3, hidden_size=8, nr_blocks=0, dropout=0.0, n_bins=2,
              members=2, bias="global", robust=False, shape_functions=False)
    shapes = [p[1:] for p in floor.products(inn, 10)]
    # trunk input: 4 transformed columns + 4 x 2 bin encodings; head: 8 -> 4 x 3, per member
    assert shapes[:2] == [(10, 12, 8), (8, 10, 12)]
    assert shapes[2:] == [(10, 8, 12), (12, 10, 8), (10, 12, 8)] * 2
    # the batch, a coalition and its complement for each consistency row, the reference row
    assert floor.step_rows(INNClassifier(consistency_rows=0.25), 256) == 256 + 2 * 64 + 1
    assert floor.step_rows(INNClassifier(consistency_rows=1 / 16), 256) == 256 + 2 * 16 + 1
    assert floor.step_rows(INNClassifier(consistency_weight=0.0), 256) == 256
    assert floor.step_rows(TabResNetClassifier(), 256) == 256
