"""Tests of the explanation evaluation (inn.evaluation): metrics on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from inn.evaluation import bias as bias_mod
from inn.evaluation.metrics import (
    GaussianConditional,
    ModelProbe,
    infidelity_captum,
    per_row_metrics,
    rowwise_pearson,
    summarise,
)
from inn.evaluation.synthetic import SyntheticTask, make_synthetic, parse_name

W = np.array([2.0, -1.5, 1.0, -0.75, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0])


def linear_f(X):
    return np.asarray(X, dtype=np.float64) @ W + 0.3


@pytest.fixture(scope="module")
def linear_case():
    task = SyntheticTask.from_name("linear_regression_rho0.25")
    rng = np.random.default_rng(0)
    X = task.sample_X(300, rng)
    mu = np.zeros(10)
    probe = ModelProbe(linear_f, X, mu, GaussianConditional(task.mean, task.cov), seed=1,
                       n_cond=32)  # fmt: skip
    perfect = W * (X - mu)
    random = np.random.default_rng(5).standard_normal(X.shape)
    return task, X, probe, perfect, random


def test_parse_and_truth_sums():
    assert parse_name("additive_binary_rho0.5") == ("additive", "binary", 0.5)
    with pytest.raises(ValueError):
        parse_name("cubic_binary_rho0.5")
    rng = np.random.default_rng(0)
    for target in ("linear", "additive", "piecewise", "interaction"):
        task = SyntheticTask.from_name(f"{target}_regression_rho0.5")
        X = task.sample_X(20_000, rng)
        truth = task.truth(X)
        np.testing.assert_allclose(truth.sum(axis=1), task.f(X) - task.expected_f(), atol=1e-9)
        ref = task.truth_ref(X)
        np.testing.assert_allclose(ref.sum(axis=1), task.f(X) - task.f(np.zeros((1, 10))),
                                   atol=1e-9)  # fmt: skip
        # centred truth has mean ~0 per feature (E g_i is right)
        assert np.all(np.abs(truth.mean(axis=0)) < 0.05), target
        assert np.all(truth[:, 5:] == 0)


def test_synthetic_data_shapes_and_labels():
    data = make_synthetic("additive_binary_rho0.25", 500, 100, seed=3)
    assert data.X_train.shape == (500, 10) and data.X_test.shape == (100, 10)
    assert set(np.unique(data.y_train)) == {0, 1}
    corr = np.corrcoef(data.X_train, rowvar=False)[0, 1]
    assert abs(corr - 0.25) < 0.1


def test_perfect_linear_explainer(linear_case):
    task, X, probe, perfect, _ = linear_case
    per_row = per_row_metrics(probe, perfect, truth=task.truth(X), truth_ref=task.truth_ref(X))
    s = summarise(per_row)
    assert s["faithfulness_ref"] > 0.999
    assert s["gt_corr"] > 0.999 and s["gt_corr_ref"] > 0.999
    assert s["gt_mse"] < 1e-6
    assert s["infidelity"] < 1e-8
    assert s["efficiency_gap"] < 1e-6
    assert s["faithfulness_cond"] > 0.5


def test_random_explainer_is_the_floor(linear_case):
    task, X, probe, perfect, random = linear_case
    s_rand = summarise(per_row_metrics(probe, random, truth=task.truth(X)))
    s_perf = summarise(per_row_metrics(probe, perfect, truth=task.truth(X)))
    assert abs(s_rand["faithfulness_ref"]) < 0.1
    assert abs(s_rand["gt_corr"]) < 0.1
    assert s_perf["deletion_area"] < s_rand["deletion_area"]
    assert s_perf["insertion_area"] > s_rand["insertion_area"]
    assert s_perf["monotonicity"] > s_rand["monotonicity"]
    assert s_rand["infidelity"] > 0.5


def test_monotonicity_perfect_independent():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 10))
    probe = ModelProbe(linear_f, X, np.zeros(10), None)
    per_row = per_row_metrics(probe, W * X)
    np.testing.assert_allclose(per_row["monotonicity"], 1.0)


def test_subset_summary_matches_subset_probe(linear_case):
    _, X, probe, perfect, random = linear_case
    rows = np.arange(40)
    per_row = per_row_metrics(probe, random[rows], rows)
    direct = ModelProbe(linear_f, X[rows], np.zeros(10), None, seed=1)
    s1, s2 = summarise(per_row), summarise(per_row_metrics(direct, random[rows]))
    assert s1["faithfulness_ref"] == pytest.approx(s2["faithfulness_ref"])
    assert s1["deletion_area"] == pytest.approx(s2["deletion_area"])


def test_infidelity_captum_agrees():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 10))
    w = torch.as_tensor(W)

    def forward(x):
        return x @ w

    exact = infidelity_captum(forward, X, W * X, np.zeros(10))
    assert np.all(exact < 1e-12)
    noisy = infidelity_captum(forward, X, W * X + rng.standard_normal(X.shape), np.zeros(10))
    assert noisy.mean() > 1e-3


def test_rowwise_pearson_and_conditional():
    a = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(rowwise_pearson(a, -a), [-1.0, 0.0])
    task = SyntheticTask.from_name("linear_regression_rho0.5")
    cond = GaussianConditional(task.mean, task.cov)
    X = task.sample_X(2000, np.random.default_rng(0))
    draws = cond.sample(X, 0, 1, np.random.default_rng(1))[:, 0]
    # swapping x0 for a conditional draw keeps the joint distribution
    Z = X.copy()
    Z[:, 0] = draws
    assert abs(np.corrcoef(Z, rowvar=False)[0, 1] - 0.5) < 0.06
    assert abs(draws.std() - 1.0) < 0.06


def test_leak_ranked_first_for_leaking_additive_model():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 4))
    y = (rng.random(400) < 0.5).astype(float)
    X_tr, X_te, thr = bias_mod.inject_leak(X[:300], y[:300], X[300:], y[300:], rng)
    affected = X_tr[:, 0] > thr
    assert abs(np.corrcoef(X_tr[affected, -1], y[:300][affected])[0, 1]) > 0.9
    assert abs(np.corrcoef(X_tr[~affected, -1], y[:300][~affected])[0, 1]) < 0.2
    # an additive model that uses the leak, explained exactly
    w = np.array([0.3, 0.2, -0.1, 0.1, 3.0])
    mu = X_tr.mean(axis=0)
    phi = w * (X_te - mu)
    ranks = bias_mod.leak_ranks(phi, X_te, 0, thr, X_te.shape[1] - 1)
    assert ranks["leak_rank_global"] == 1 and ranks["leak_rank_affected"] == 1


def test_ebm_contributions_reproduce_output():
    pytest.importorskip("interpret")
    from inn.evaluation.explainers import ExplainContext, explain, fit_model

    data = make_synthetic("additive_regression_rho0", 300, 50, seed=0)
    X = data.X_train[:, :3]
    model = fit_model("ebm", "regression", X, data.y_train, None, None, seed=0,
                      params={"outer_bags": 1, "interactions": 0, "max_rounds": 200})  # fmt: skip
    attr = explain("ebm", model, data.X_test[:, :3], np.arange(50),
                   ExplainContext(X, X.mean(axis=0)))  # fmt: skip
    _, intercept = model.model.local_contributions(data.X_test[:, :3])
    np.testing.assert_allclose(attr.values.sum(axis=1) + intercept,
                               model.raw(data.X_test[:, :3]), rtol=1e-6, atol=1e-6)  # fmt: skip


def test_end_to_end_tiny(tmp_path):
    pytest.importorskip("shap")
    import torch

    from inn.evaluation import tables
    from inn.evaluation.runner import XAIConfig, run_benchmark
    from inn.results import write_json_atomic

    torch.set_num_threads(1)
    cfg = XAIConfig(n_train=200, n_test=60, n_explain=20, n_slow=3, nr_epochs=2, n_cond=2,
                    n_infid=4)  # fmt: skip
    rec = run_benchmark("linear_binary_rho0.5", 0, cfg,
                        explainers=["inn", "kernelshap_inn", "random"],
                        inn_variant="consistency")  # fmt: skip
    inn = rec["explainers"]["inn"]
    assert inn["n_rows"] == 20 and rec["explainers"]["kernelshap_inn"]["n_rows"] == 3
    assert 0 <= inn["bias_share"] <= 1
    # global bias: contributions add up to f(x) - f(r) exactly
    assert inn["metrics"]["efficiency_gap"] < 1e-4
    assert rec["explainers"]["kernelshap_inn"]["metrics"]["efficiency_gap"] < 1e-4
    assert "auroc" in rec["models"]["inn"]
    write_json_atomic(rec, tables.main_path(tmp_path, rec["benchmark"], 0))
    write_json_atomic(rec, tables.ablation_path(tmp_path, rec["benchmark"], "consistency", 0))
    text = tables.main_table(tables.load_main(tmp_path))
    assert "gt_corr" in text and "KernelSHAP time / its time" in text
    assert "consistency" in tables.ablation_table(tables.load_ablation(tmp_path))


def test_ratio_table_pairs_each_exact_explainer_with_kernelshap_on_the_same_model():
    from inn.evaluation import tables

    def expl(seconds, gt):
        return {"seconds_per_row": seconds, "metrics": {"gt_corr": gt}}

    recs = [{"benchmark": "b", "seed": seed, "explainers": {
        "inn": expl(1e-4, 0.80 + d), "kernelshap_inn": expl(1e-1, 0.82 + d),
        "inn_ensemble": expl(2e-4, 0.90 + d), "kernelshap_inn_ensemble": expl(2e-2, 0.89 + d),
        "lime_inn": expl(1.0, 0.5)}} for seed, d in ((0, 0.0), (1, 0.01))]
    lines = tables.ratio_table(recs).splitlines()[2:]
    cells = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in lines}
    assert set(cells) == {"inn", "inn_ensemble"}  # lime_inn has no KernelSHAP partner
    assert cells["inn"][1] == "1,000" and cells["inn"][2].startswith("-0.020 ± 0.000")
    assert cells["inn_ensemble"][1] == "100" and cells["inn_ensemble"][2].startswith("0.010 ±")


def test_the_cross_fitted_ensemble_is_explained_from_the_mean_of_all_its_rows():
    pytest.importorskip("shap")
    import torch

    from inn.evaluation.runner import XAIConfig, run_benchmark

    torch.set_num_threads(1)
    cfg = XAIConfig(n_train=200, n_test=60, n_explain=10, n_slow=2, nr_epochs=2, n_cond=2,
                    n_infid=4)  # fmt: skip
    rec = run_benchmark("linear_regression_rho0", 0, cfg,
                        explainers=["inn_ensemble", "kernelshap_inn_ensemble"])
    # the members share the ensemble's r (all training rows, the validation rows included),
    # and the benchmark measures from that r: the contributions add up to f(x) - f(r)
    for name in ("inn_ensemble", "kernelshap_inn_ensemble"):
        assert rec["explainers"][name]["metrics"]["efficiency_gap"] < 1e-4, name


def test_topk_exact_counts_rows_whose_top_features_are_the_relevant_ones():
    from inn.evaluation.metrics import topk_exact

    relevant = np.array([True, True, False, False])
    phi = np.array([
        [3.0, -2.0, 0.1, 0.0],   # top-2 = {0, 1}: exact
        [3.0, 0.0, -2.0, 0.1],   # top-2 = {0, 2}: not exact
        [-0.5, 0.4, 0.3, -0.2],  # top-2 = {0, 1}: exact
    ])
    np.testing.assert_array_equal(topk_exact(phi, relevant), [1.0, 0.0, 1.0])


# ----------------------------------------------------------- models from the method registry
def test_benchmark_fits_registry_models_on_a_stratified_validation_split():
    pytest.importorskip("catboost")
    import torch

    from inn import methods
    from inn.evaluation.runner import XAIConfig, fit_models, method_params, validation_split

    torch.set_num_threads(1)
    data = make_synthetic("linear_binary_rho0.5", 300, 50, seed=0)
    cfg = XAIConfig(n_train=300, nr_epochs=2, catboost_iterations=20)
    fit, val = validation_split("binary", data.y_train, 0, cfg.validation_size)
    assert (len(fit), len(val)) == (255, 45) and not set(fit) & set(val)
    assert abs(data.y_train[val].mean() - data.y_train[fit].mean()) < 0.02  # stratified
    again, _ = validation_split("binary", data.y_train, 0, cfg.validation_size)
    np.testing.assert_array_equal(fit, again)  # seeded
    models = fit_models(["inn", "catboost"], "binary", data.X_train[fit], data.y_train[fit],
                        data.X_train[val], data.y_train[val], 0, cfg, {"bias": "global"})
    for name, fitted in models.items():
        assert isinstance(fitted.model, methods.get(name).model_class)
        assert fitted.params == method_params(name, cfg, {"bias": "global"})
        assert fitted.raw(data.X_test).shape == (50,)
    assert models["inn"].params == {"nr_epochs": 2, "bias": "global"}
    assert models["catboost"].params == {"iterations": 20}
    # the explainers' reference (the mean of the rows the models fit on) is INN's own r
    np.testing.assert_allclose(models["inn"].estimator.reference(),
                               data.X_train[fit].mean(axis=0), atol=1e-5)  # fmt: skip
    # the raw output is the logit: its sigmoid is the model's probability of class 1
    proba = models["catboost"].model.predict_proba(data.X_test)[:, 1]
    np.testing.assert_allclose(1 / (1 + np.exp(-models["catboost"].raw(data.X_test))), proba,
                               rtol=1e-6)  # fmt: skip


def test_benchmark_model_without_a_size_is_an_error():
    from inn.evaluation.runner import XAIConfig, method_params

    with pytest.raises(ValueError, match="no model 'tabnet'"):
        method_params("tabnet", XAIConfig())


def test_real_benchmark_names_are_filed_under_the_normalised_key():
    from inn.data import DatasetError
    from inn.evaluation.runner import check_benchmark, real_benchmark

    assert real_benchmark("real_031") == ("real", 31)
    assert check_benchmark("leak_031") == "leak_31" == check_benchmark("leak_31")
    assert check_benchmark("linear_binary_rho0.5") == "linear_binary_rho0.5"
    with pytest.raises(DatasetError, match="not a plain name"):
        check_benchmark("real_../x")


# ------------------------------------------------------------------ the explainer registry
def test_each_explainer_has_one_entry_with_its_model_and_style():
    from inn import methods
    from inn.evaluation.explainers import EXPLAINERS, explain_random, register

    entries = list(EXPLAINERS.values())
    for attr in ("color", "label"):
        values = [getattr(e, attr) for e in entries]
        assert len(set(values)) == len(values), attr
    for entry in entries:
        assert entry.model in methods.names() and callable(entry.explain)
        assert entry.color.startswith("#") and len(entry.color) == 7
    # a model's own attributions carry the method's colour; KernelSHAP and LIME a lighter one
    assert EXPLAINERS["inn"].color == methods.get("inn").color
    assert EXPLAINERS["treeshap_catboost"].color == methods.get("catboost").color
    assert EXPLAINERS["kernelshap_inn"].color not in {m.color for m in methods.REGISTRY.values()}
    assert EXPLAINERS["kernelshap_inn"].slow and not EXPLAINERS["inn"].slow
    with pytest.raises(ValueError, match="color"):
        register(name="copy", model="inn", explain=explain_random, slow=False, label="copy",
                 color=EXPLAINERS["ebm"].color)
    assert "copy" not in EXPLAINERS
