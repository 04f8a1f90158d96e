"""Tests of the plotting package on a small results tree of real (short) runs."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from builders import customers_frame  # noqa: E402
from needs import need_store  # noqa: E402
from tolerances import assert_adds_up  # noqa: E402

from inn.data import resolve_data_dir  # noqa: E402
from inn.explanation import Explanation  # noqa: E402
from plots import comparison, explanations, style  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STORE = resolve_data_dir()
FULL = (1510, 37)  # two seeds, INN on both, TabResNet only on 1510
EXTRA = (40, 59, 15)  # one seed, quick baselines only: 5 datasets for the CD diagram
QUICK = ("logistic_regression", "decision_tree", "random_forest")
NET = {"nr_epochs": 3}
PARAMS = {"random_forest": {"n_estimators": 50}}  # 500 trees by default: too slow for a test


def _need_store() -> Path:
    return need_store(*FULL, *EXTRA)


def _run(method, dataset_id, seed, tree, params=None):
    from inn.experiment import run

    run(method, dataset_id, seed, params or {}, output_dir=tree, quiet=True, device="cpu",
        n_jobs=1)  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Real runs: 2 datasets x 2 seeds with all methods but TabResNet missing on 37, plus 3
    datasets x 1 seed with the quick baselines."""
    _need_store()
    root = tmp_path_factory.mktemp("results")
    for d in FULL:
        for seed in (0, 1):
            _run("inn", d, seed, root, NET)
            if d == 1510:
                _run("tabresnet", d, seed, root, NET)
            for m in QUICK:
                _run(m, d, seed, root, PARAMS.get(m))
    for d in EXTRA:
        for m in QUICK:
            _run(m, d, 0, root, PARAMS.get(m))
    return root


@pytest.fixture(scope="module")
def report(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return comparison.compare(tree, out), out


def _nonempty(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 1000, f"{path} is (nearly) empty"


# ------------------------------------------------------------------------------------ style
def test_style_has_a_distinct_colour_per_method():
    from inn import methods

    colors = [style.method_color(m) for m in methods.names()]
    assert style.UNKNOWN_COLOR not in colors
    assert len(set(colors)) == len(colors)
    assert style.method_color("unknown") == style.UNKNOWN_COLOR
    assert style.order_methods(["zzz", "decision_tree", "inn"]) == ["inn", "decision_tree", "zzz"]


def test_save_figure_png_and_pdf(tmp_path):
    fig = style.new_figure()
    ax = fig.subplots()
    ax.barh(["a very long feature name that must not be cut off"], [1.0])
    ax.set_title("t")
    files = style.save_figure(fig, tmp_path / "fig.v1", pdf=True)
    assert [f.name for f in files] == ["fig.v1.png", "fig.v1.pdf"]
    for f in files:
        assert f.stat().st_size > 0


# ------------------------------------------------------------------------------------ comparison
def test_comparison_writes_every_figure_and_table(report):
    rep, out = report
    for name in ("cd_diagram_auroc.png", "auroc_differences.png", "runtime.png"):
        _nonempty(out / name)
    for name in ("auroc_table.csv", "average_ranks_auroc.csv", "summary.md"):
        assert (out / name).stat().st_size > 0
    assert "r2" not in rep.tables  # no regression dataset in this tree
    # TabResNet (1 dataset) and INN (2) are left out so the CD diagram has 5 complete datasets.
    assert "left out for missing datasets: tabresnet, inn" in rep.cd_messages["auroc"]


def test_table_equals_means_of_the_result_files(report, tree):
    rep, out = report
    table = pd.read_csv(out / "auroc_table.csv", dtype={"dataset_id": str})
    values: dict[tuple[str, str], list[float]] = {}
    for path in tree.glob("*/*/*/output_info.json"):
        rec = json.loads(path.read_text())
        values.setdefault((rec["method"], str(rec["dataset_id"])), []).append(
            rec["test_metrics"]["auroc"]
        )
    assert len(table) == len(values)
    for row in table.itertuples():
        vals = values[(row.method, row.dataset_id)]
        assert row.n_seeds == len(vals)
        assert math.isclose(row.mean, float(np.mean(vals)), rel_tol=1e-12)
        if len(vals) > 1:
            assert math.isclose(row.std, float(np.std(vals, ddof=1)), rel_tol=1e-9)
        else:
            assert math.isnan(row.std)


def test_missing_method_is_reported(report):
    rep, out = report
    summary = (out / "summary.md").read_text()
    assert ("tabresnet", "diabetes (37)") in rep.coverage.missing_cells
    assert "MISSING: tabresnet has no result on diabetes (37)" in summary
    assert "MISSING: inn has no result on sonar (40)" in summary
    assert "methods without any result: catboost, tabnet, ebm" in summary
    row = next(line for line in summary.splitlines() if line.startswith("| diabetes (37)"))
    assert "missing" in row
    ranks = pd.read_csv(out / "average_ranks_auroc.csv", index_col="method")
    assert ranks.loc["tabresnet", "n_datasets"] == 1


def test_cd_diagram_skipped_with_few_datasets(tree, tmp_path, capsys):
    small = tmp_path / "results"
    for method_dir in tree.iterdir():
        for d in FULL:
            if (method_dir / str(d)).is_dir():
                shutil.copytree(method_dir / str(d), small / method_dir.name / str(d))
    out = tmp_path / "figures"
    assert comparison.main(["--results_dir", str(small), "--out_dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "CD diagram skipped" in printed and "2 dataset(s)" in printed
    assert not (out / "cd_diagram_auroc.png").exists()
    _nonempty(out / "auroc_differences.png")


def test_comparison_cli_does_not_import_torch(tree, tmp_path):
    code = (
        "import sys; from plots.comparison import main; "
        f"rc = main(['--results_dir', {str(tree)!r}, '--out_dir', {str(tmp_path)!r}]); "
        "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Benchmark comparison" in proc.stdout
    _nonempty(tmp_path / "runtime.png")


def test_empty_results_dir_does_not_crash(tmp_path):
    (tmp_path / "results").mkdir()
    assert comparison.main(["--results_dir", str(tmp_path / "results"),
                            "--out_dir", str(tmp_path / "f")]) == 1  # fmt: skip
    assert "No result files" in (tmp_path / "f" / "summary.md").read_text()


# ------------------------------------------------------------------------------------ explanations
def test_row_contributions_add_up_multiclass():
    rng = np.random.default_rng(0)
    contrib, bias = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 3))
    expl = Explanation(contrib, bias, None, contrib.sum(axis=1) + bias, list("abcde"), [7, 8, 9])
    c, b, out, cls = explanations.row_contributions(expl, 2)
    assert cls == [7, 8, 9][int(np.argmax(expl.output[2]))]
    assert math.isclose(c.sum() + b, out, rel_tol=1e-9, abs_tol=1e-12)


def _weight_norm_sweep():
    """benchmarks/weight_norm_sweep.py (a script, not a package module)."""
    import importlib.util

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("weight_norm_sweep",
                                                      ROOT / "benchmarks/weight_norm_sweep.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def test_explanation_figures(tree, tmp_path):
    saved = explanations.load_run(tree, 1510, seed=0)
    expl = saved.explain_test()
    assert expl.feature_names == list(saved.data.dataset.X.columns)
    assert_adds_up(expl.contributions, expl.output, expl.bias)
    # the figure draws the saved model's importances, which are the result file's: those of
    # the training rows (not the test rows)
    recorded = saved.record["feature_importances"]
    model = saved.model
    assert dict(zip(model.feature_names_in_, model.feature_importances_)) == pytest.approx(
        recorded, rel=1e-6)
    X_train = saved.data.dataset.X.iloc[saved.data.splits.train]
    assert model.explain(X_train).importance() == pytest.approx(recorded, rel=1e-5)
    # the reference is the training mean, in original units
    assert expl.reference["mean radius"] == pytest.approx(X_train["mean radius"].mean(),
                                                          rel=1e-5)  # fmt: skip

    sweep = tmp_path / "sweep"
    _weight_norm_sweep().sweep(1510, [0.0, 1.0], sweep, params={**NET, "hidden_size": 32},
                               device="cpu")  # fmt: skip
    out = tmp_path / "figures"
    files, notes = explanations.explanation_figures(1510, out, results_dir=tree, row=1,
                                                    sweep_dir=sweep)  # fmt: skip
    names = {f.name for f in files}
    dependence = {n for n in names if n.startswith("dependence_1510_")}
    assert len(dependence) == explanations.DEPENDENCE_FEATURES
    assert names - dependence == {"importance_1510.png", "row_1510_1.png",
                                  "importance_vs_baselines_1510.png", "tradeoff_1510.png"}
    for f in files:
        _nonempty(f)
    assert any("catboost" in n and "missing" in n for n in notes)
    trade = explanations.tradeoff_frame([sweep], 1510)
    assert sorted(trade["weight_norm"]) == [0.0, 1.0]
    for row in trade.itertuples():
        rec = json.loads(Path(row.path).read_text())
        assert row.sparsity == rec["sparsity"]
        assert row.metric == rec["test_metrics"]["auroc"]


def test_explanations_cli_reports_missing_baselines(tmp_path, capsys):
    _need_store()
    from inn.experiment import run

    results = tmp_path / "results"
    run("inn", 40, 0, {"nr_epochs": 2, "hidden_size": 32}, output_dir=results, quiet=True,
        device="cpu")  # fmt: skip
    out = tmp_path / "figures"
    rc = explanations.main(["--dataset_id", "40", "--results_dir", str(results),
                            "--out_dir", str(out), "--sweep_dir", str(tmp_path / "none")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "catboost, random_forest missing" in printed
    assert "trade-off figure skipped" in printed and "does not exist" in printed
    assert "[]" not in printed  # once "found 0 under []"
    _nonempty(out / "importance_40.png")
    _nonempty(out / "row_40_0.png")


def test_explanations_cli_without_saved_model(tmp_path, capsys):
    _need_store()
    from inn.experiment import run

    results = tmp_path / "results"
    rc = explanations.main(["--dataset_id", "40", "--results_dir", str(results)])
    assert rc == 2 and "no INN result" in capsys.readouterr().err
    run("inn", 40, 0, {"nr_epochs": 1}, output_dir=results, quiet=True, device="cpu",
        save_model=False)  # fmt: skip
    rc = explanations.main(["--dataset_id", "40", "--results_dir", str(results)])
    assert rc == 2 and "no saved model" in capsys.readouterr().err


def test_plots_never_train():
    for path in (ROOT / "plots").glob("*.py"):
        assert ".fit(" not in path.read_text(), path


# ------------------------------------------------------------------------------------ own data
def test_figures_from_the_saved_model_of_a_run_on_a_csv(tmp_path, monkeypatch, capsys):
    import inn.estimators
    from inn.data import DataFile
    from inn.experiment import run

    csv = tmp_path / "customers.csv"
    customers_frame().to_csv(csv, index=False)
    results = tmp_path / "results"
    run("inn", DataFile(str(csv), "bought"), 0, {"nr_epochs": 3, "hidden_size": 32},
        output_dir=results, quiet=True, device="cpu")  # fmt: skip

    def no_training(*args, **kwargs):
        raise AssertionError("the figures must not train")

    monkeypatch.setattr(inn.estimators._NetworkEstimator, "fit", no_training)
    out = tmp_path / "figures"
    rc = explanations.main(["--dataset_id", "customers", "--results_dir", str(results),
                            "--out_dir", str(out), "--sweep_dir", str(tmp_path / "none")])
    assert rc == 0, capsys.readouterr().err
    for name in ("importance_customers", "row_customers_0", "dependence_customers_age",
                 "dependence_customers_city", "dependence_customers_spend"):
        _nonempty(out / f"{name}.png")
    saved = explanations.load_run(results, "customers")
    assert saved.model.preprocessor_ is not None and saved.label == "customers"
    expl = saved.explain_test()
    assert expl.feature_names == ["age", "city", "spend"] and expl.positive_class == "yes"
    # the file changed since the run: said, not drawn from other data
    customers_frame(seed=1).to_csv(csv, index=False)
    rc = explanations.main(["--dataset_id", "customers", "--results_dir", str(results),
                            "--out_dir", str(out)])
    assert rc == 2 and "changed since the run" in capsys.readouterr().err


def test_figure_functions_take_a_fitted_model():
    from matplotlib.figure import Figure

    import inn

    frame = customers_frame()
    X, y = frame.drop(columns="bought"), frame["bought"]
    fast = {"nr_epochs": 2, "hidden_size": 16, "random_state": 0, "device": "cpu"}
    y3 = pd.Series(np.where(X["age"] < 40, "young", np.where(X["age"] < 60, "mid", "old")))
    models = [inn.INNClassifier(**fast).fit(X, y), inn.INNClassifier(**fast).fit(X, y3),
              inn.INNRegressor(**fast).fit(X, X["age"] * 2.0)]  # fmt: skip
    for model in models:
        figures = [explanations.importance_figure(model),
                   explanations.waterfall_figure(model, X, 3),
                   explanations.dependence_figure(model, X, "spend"),
                   explanations.dependence_figure(model, X, "city")]  # fmt: skip
        assert all(isinstance(f, Figure) for f in figures)
    # the waterfall names the row's values, the output and the probability
    labels = [t.get_text() for t in explanations.waterfall_figure(models[0], X, 3).axes[0]
              .get_yticklabels()]  # fmt: skip
    assert f"city = {X['city'].iloc[3]}" in " ".join(labels)
    p = models[0].predict_proba(X.iloc[[3]])[0, 1]
    assert labels[-1] == f"output: logit of class yes\nP(yes) = {p:.3f}"
    with pytest.raises(ValueError, match="unknown feature"):
        explanations.dependence_figure(models[0], X, "height")


# ------------------------------------------------------------------------------ what a reader sees
def test_runtime_figure_keeps_devices_apart():
    """A GPU's times never share a box (or a panel) with a CPU's."""
    rows = [{"method": m, "task": "binary", "device": d, "train_time_s": t,
             "inference_time_s": 0.01}
            for m, d, t in (("inn", "cpu (x86_64, 2 cores)", 3.0),
                            ("catboost", "cpu (x86_64, 2 cores)", 9.0),
                            ("tabm", "cuda (NVIDIA H200)", 0.5))]  # fmt: skip
    fig = comparison.runtime_figure(pd.DataFrame(rows * 3))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles.count("on cpu (x86_64, 2 cores)") == 2  # training and inference
    assert titles.count("on cuda (NVIDIA H200)") == 2
    gpu = [ax for ax in fig.axes if "cuda" in ax.get_title()][0]
    assert [t.get_text().split("\n")[0] for t in gpu.get_xticklabels()] == ["TabM"]


def test_ridge_runs_are_labelled_ridge():
    assert style.method_label("logistic_regression") == "Logistic regression"
    assert style.method_label("logistic_regression", "regression") == "Ridge regression"
    assert style.method_label("inn", "regression") == "INN"
    assert style.method_label_over("logistic_regression", ["binary", "regression"]) == \
        "Logistic regression / Ridge regression"  # fmt: skip


def _small_regression(offset: float):
    import inn

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"area": rng.uniform(50, 200, 200), "rooms": rng.integers(1, 6, 200)})
    y = pd.Series(offset + 300.0 * X["area"] + 2000.0 * X["rooms"], name="price")
    model = inn.INNRegressor(nr_epochs=2, additive_epochs=1, hidden_size=16, random_state=0,
                             device="cpu", verbose=0).fit(X, y)  # fmt: skip
    return model, X


def test_regression_waterfall_does_not_let_the_bias_fill_the_axis():
    model, X = _small_regression(offset=100_000.0)
    fig = explanations.waterfall_figure(model, X, 0, target="price")
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    expl = model.explain(X.iloc[[0]])
    bias = float(expl.bias[0])
    assert low > 0 and low <= bias <= high  # the axis starts near the bias, not at 0
    contributions = np.abs(expl.contributions[0]).sum()
    assert high - low < 3 * max(contributions, abs(float(expl.output[0]) - bias))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "output: prediction of price"
    # the numbers stand in their own column, with thousands separators and no long decimals
    numbers = [t.get_text() for t in ax.child_axes[0].get_yticklabels()]
    assert abs(float(numbers[0].replace(",", "")) - bias) <= 1  # 145,416: no decimals here
    assert all("." not in n or len(n.split(".")[1]) <= 3 for n in numbers)
    assert "the axis starts near the bias" in ax.get_xlabel()


def test_multiclass_waterfall_and_dependence_name_the_same_class():
    import inn

    frame = customers_frame()
    X = frame.drop(columns="bought")
    y = pd.Series(np.where(X["age"] < 40, "young", np.where(X["age"] < 60, "mid", "old")))
    model = inn.INNClassifier(nr_epochs=2, hidden_size=16, random_state=0, device="cpu",
                              verbose=0).fit(X, y)  # fmt: skip
    cls = explanations.explained_class(model, X, 3)
    assert cls == model.classes_[int(np.argmax(model.predict_proba(X.iloc[[3]])[0]))]
    water = explanations.waterfall_figure(model, X, 3).axes[0]
    dep = explanations.dependence_figure(model, X, "spend", cls=cls).axes[0]
    for text in (water.get_title(), dep.get_title()):
        assert f"class {cls} against the mean of the other classes" in text


def test_removal_figure_says_one_seed_and_shares_its_axis():
    rows = []
    for dataset, drop in (("wdbc (1510)", 0.001), ("credit-g (31)", 0.05)):
        for k in range(4):
            for explainer in ("inn", "random"):
                rows.append({"method": "random_forest", "explainer": explainer, "k": k,
                             "dataset": dataset, "seed": 0,
                             "test_auroc": 0.9 - k * (drop if explainer == "inn" else 0.0)})
    from plots import paper

    fig = paper.removal_figure(pd.DataFrame(rows))
    assert "seed 0" in fig._suptitle.get_text() and "mean over seeds 0" not in \
        fig._suptitle.get_text()  # fmt: skip
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len({ax.get_ylim() for ax in visible}) == 1  # noise cannot look like signal


def test_xai_figures_take_explainer_styles_from_the_registry():
    from inn.evaluation.explainers import EXPLAINERS
    from plots import xai

    for name, entry in EXPLAINERS.items():
        assert xai.explainer_color(name) == entry.color
        assert xai.explainer_label(name) == entry.label
    assert xai.explainer_label("old_explainer") == "old_explainer"
    assert xai.explainer_color("old_explainer") == style.UNKNOWN_COLOR
    assert xai.order_explainers(["zzz", "random", "inn"]) == ["inn", "random", "zzz"]
    data = {"linear_binary_rho0.5": {"inn": [0.9, 0.8], "kernelshap_inn": [0.7], "zzz": [0.1]}}
    fig = xai.figure(data, "gt_corr_ref")
    bars = {c.get_label(): c for c in fig.axes[0].containers if hasattr(c, "patches")}
    assert set(bars) == {"INN (own contributions)", "KernelSHAP on INN", "zzz"}
    colours = {lab: tuple(c.patches[0].get_facecolor()) for lab, c in bars.items()}
    assert len(set(colours.values())) == 3
