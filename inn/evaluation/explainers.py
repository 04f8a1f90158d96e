"""Models to explain and the explainers compared on them.

Every model exposes its *raw* output ``raw(X)`` (logit for binary classification, prediction in
target units for regression); every explainer returns attributions of that raw output.

Reference / background: every perturbation explainer uses the training mean r (the point INN's
contributions are centred at) as its only background row, so KernelSHAP, TreeSHAP
(interventional) and Integrated Gradients all estimate attributions relative to the same point as
INN: ``sum_i phi_i = f(x) - f(r)``. With d <= 10 features and one background row, KernelSHAP's
default ``nsamples = 2 d + 2048`` exceeds the 2^d - 2 coalitions, so shap enumerates them all and
its values are the exact baseline Shapley values at r. ``l1_reg=False`` (no feature selection).

LIME (``lime_tabular``, ``discretize_continuous=False``, regression mode on the raw output) fits a
weighted linear model on standardised features; its attribution is ``coef_i * (x_i - mean_i) /
std_i``, the local linear model's term relative to the training mean.

EBM's own contributions are its centred shape functions (a pairwise term is split equally
between its two features); they add up to its output minus its intercept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

INN_VARIANTS: dict[str, dict] = {
    "default": {},
    "plain": {"bias": "row", "consistency_weight": 0.0},
    "global_bias": {"bias": "global", "consistency_weight": 0.0},
    "consistency": {"bias": "global", "consistency_weight": 1.0},
    "consistency_half": {"bias": "global", "consistency_weight": 0.5},
}
"""Named INN estimator settings (keyword arguments) for the explanation ablation.

``default`` is the estimator's own defaults. ``plain`` is the original INN formulation (bias
emitted per row); ``global_bias`` one scalar bias; ``consistency`` adds the coalition-consistency
term of :meth:`inn.training.Trainer.consistency_loss` with weight 1 (``consistency_half``: 0.5).
"""


@dataclass
class FittedModel:
    """A fitted model with its raw-output function."""

    name: str
    estimator: object
    raw: object  # callable (m, d) -> (m,)
    train_time_s: float
    params: dict = field(default_factory=dict)


@dataclass
class Attribution:
    """Attributions of one explainer for rows ``rows`` of the explained set."""

    values: np.ndarray
    rows: np.ndarray
    seconds_per_row: float
    extra: dict = field(default_factory=dict)


@dataclass
class ExplainContext:
    X_train: np.ndarray
    reference: np.ndarray
    seed: int = 0
    kernel_nsamples: object = "auto"
    lime_samples: int = 5000


# ---- models -------------------------------------------------------------------------------


def _network_args(nr_epochs: int, seed: int) -> dict:
    import torch

    # the networks train with the threads this process was given (xai_experiment.py --threads)
    return {"nr_epochs": nr_epochs, "device": "cpu", "random_state": seed,
            "n_jobs": torch.get_num_threads()}


def fit_inn(task, X, y, seed, nr_epochs: int, params=None) -> FittedModel:
    from inn.estimators import INNClassifier, INNRegressor

    cls = INNRegressor if task == "regression" else INNClassifier
    est = cls(**{**_network_args(nr_epochs, seed), **(params or {})})
    start = time.perf_counter()
    est.fit(X, y)
    elapsed = time.perf_counter() - start
    raw = est.predict if task == "regression" else est.decision_function
    return FittedModel("inn", est, raw, elapsed, dict(params or {}))


def fit_tabresnet(task, X, y, seed, nr_epochs: int) -> FittedModel:
    from inn.estimators import TabResNetClassifier, TabResNetRegressor

    cls = TabResNetRegressor if task == "regression" else TabResNetClassifier
    est = cls(**_network_args(nr_epochs, seed))
    start = time.perf_counter()
    est.fit(X, y)
    elapsed = time.perf_counter() - start
    raw = est.predict if task == "regression" else est.decision_function
    return FittedModel("tabresnet", est, raw, elapsed)


def _frame(X, columns):
    import pandas as pd

    return pd.DataFrame(np.asarray(X, dtype=np.float64), columns=columns)


def fit_catboost(task, X, y, seed, iterations=500, n_jobs=1) -> FittedModel:
    """CatBoost (inn.baselines) with 15 % of the training rows for early stopping."""
    from inn.baselines.catboost import CatBoostBaseline

    n_val = max(1, int(0.15 * len(X)))
    perm = np.random.default_rng(seed).permutation(len(X))
    val, tr = perm[:n_val], perm[n_val:]
    cols = [f"x{i}" for i in range(X.shape[1])]
    model = CatBoostBaseline(task, seed=seed, n_jobs=n_jobs, params={"iterations": iterations})
    start = time.perf_counter()
    model.fit(_frame(X[tr], cols), y[tr], _frame(X[val], cols), y[val], categorical=[])
    elapsed = time.perf_counter() - start

    def raw(Z):
        out = model.model_.predict(np.asarray(Z, dtype=np.float64), prediction_type="RawFormulaVal")
        return np.asarray(out, dtype=np.float64).ravel()

    return FittedModel("catboost", model, raw, elapsed, {"iterations": iterations})


def fit_ebm(task, X, y, seed, n_jobs=1, params=None) -> FittedModel:
    from inn.baselines.ebm import EBMBaseline

    cols = [f"x{i}" for i in range(X.shape[1])]
    model = EBMBaseline(task, seed=seed, n_jobs=n_jobs, params=params)
    start = time.perf_counter()
    model.fit(_frame(X, cols), y, categorical=[])
    elapsed = time.perf_counter() - start

    def raw(Z):
        return model.decision_function(_frame(Z, cols)).ravel()

    return FittedModel("ebm", model, raw, elapsed, dict(params or {}))


# ---- explainers ---------------------------------------------------------------------------


def _timed(fn, X, warm_up=False):
    """Run ``fn(X)``; returns its output and the seconds per row.

    ``warm_up`` first runs it once on one row, untimed (one-off library start-up costs, e.g.
    torch's first call, are not part of the cost per row)."""
    if warm_up:
        fn(X[:1])
    start = time.perf_counter()
    out = fn(X)
    times = [time.perf_counter() - start]
    # A call under a second is timed 5 times (median): a single millisecond-scale measurement is
    # dominated by scheduler noise on a shared machine. The values of the first call are kept.
    while sum(times) < 1.0 and len(times) < 5:
        start = time.perf_counter()
        fn(X)
        times.append(time.perf_counter() - start)
    return out, float(np.median(times)) / max(len(X), 1)


def explain_inn_own(model: FittedModel, X, ctx: ExplainContext):
    expl, per_row = _timed(model.estimator.explain, X, warm_up=True)
    extra = {
        "bias_share": float(expl.bias_share),
        "bias_mean": float(np.mean(expl.bias)),
    }
    return expl.contributions, per_row, extra


def explain_kernelshap(model: FittedModel, X, ctx: ExplainContext):
    import shap

    explainer = shap.KernelExplainer(model.raw, ctx.reference[None, :].astype(np.float64))

    def run(Z):
        vals = explainer.shap_values(
            np.asarray(Z, dtype=np.float64), nsamples=ctx.kernel_nsamples, l1_reg=False,
            silent=True,
        )  # fmt: skip
        return np.asarray(vals, dtype=np.float64).reshape(len(Z), -1)

    vals, per_row = _timed(run, X)
    return vals, per_row, {"background": "training mean (1 row)", "nsamples": ctx.kernel_nsamples}


def explain_treeshap(model: FittedModel, X, ctx: ExplainContext):
    import shap

    explainer = shap.TreeExplainer(
        model.estimator.model_, data=ctx.reference[None, :].astype(np.float64),
        feature_perturbation="interventional", model_output="raw",
    )  # fmt: skip

    def run(Z):
        vals = explainer.shap_values(np.asarray(Z, dtype=np.float64), check_additivity=False)
        return np.asarray(vals, dtype=np.float64).reshape(len(Z), -1)

    vals, per_row = _timed(run, X)
    return vals, per_row, {"background": "training mean (1 row), interventional"}


def explain_lime(model: FittedModel, X, ctx: ExplainContext):
    from lime.lime_tabular import LimeTabularExplainer

    explainer = LimeTabularExplainer(
        np.asarray(ctx.X_train, dtype=np.float64), mode="regression",
        discretize_continuous=False, random_state=ctx.seed,
    )  # fmt: skip
    mean, scale = explainer.scaler.mean_, explainer.scaler.scale_
    d = X.shape[1]

    def run(Z):
        out = np.zeros((len(Z), d))
        for n, row in enumerate(np.asarray(Z, dtype=np.float64)):
            exp = explainer.explain_instance(
                row, model.raw, num_features=d, num_samples=ctx.lime_samples
            )
            coef = np.zeros(d)
            # regression mode: local_exp[1] holds the fitted coefficients (local_exp[0] their
            # negatives, kept by lime for its plots)
            for j, w in exp.local_exp[1]:
                coef[j] = w
            out[n] = coef * (row - mean) / scale
        return out

    vals, per_row = _timed(run, X)
    return vals, per_row, {"num_samples": ctx.lime_samples}


def explain_ig(model: FittedModel, X, ctx: ExplainContext):
    import torch
    from captum.attr import IntegratedGradients

    est = model.estimator
    module = est.module_.eval()
    scale = getattr(est, "y_std_", 1.0)

    def forward(x):
        return module(x).logits[:, 0] * scale

    ig = IntegratedGradients(forward)
    base = torch.as_tensor(ctx.reference[None, :], dtype=torch.float32)

    def run(Z):
        x = torch.as_tensor(np.asarray(Z, dtype=np.float32))
        return ig.attribute(x, baselines=base, n_steps=50).detach().numpy().astype(np.float64)

    vals, per_row = _timed(run, X, warm_up=True)
    return vals, per_row, {"baseline": "training mean", "n_steps": 50}


def explain_ebm_own(model: FittedModel, X, ctx: ExplainContext):
    cols = model.estimator.columns_

    def run(Z):
        return model.estimator.local_contributions(_frame(Z, cols))[0]

    vals, per_row = _timed(run, X)
    return vals, per_row, {}


def explain_random(model: FittedModel, X, ctx: ExplainContext):
    rng = np.random.default_rng(ctx.seed + 12345)
    vals, per_row = _timed(lambda Z: rng.standard_normal(Z.shape), X)
    return vals, per_row, {}


# name -> (model it explains, function, slow: explained on the small row subset)
EXPLAINERS = {
    "inn": ("inn", explain_inn_own, False),
    "kernelshap_inn": ("inn", explain_kernelshap, True),
    "lime_inn": ("inn", explain_lime, True),
    "kernelshap_tabresnet": ("tabresnet", explain_kernelshap, True),
    "ig_tabresnet": ("tabresnet", explain_ig, False),
    "kernelshap_catboost": ("catboost", explain_kernelshap, True),
    "treeshap_catboost": ("catboost", explain_treeshap, False),
    "ebm": ("ebm", explain_ebm_own, False),
    "random": ("inn", explain_random, False),
}


def explain(name: str, model: FittedModel, X: np.ndarray, rows, ctx: ExplainContext):
    """Run explainer ``name`` on rows ``X`` (positions ``rows`` of the explained set)."""
    _, fn, _ = EXPLAINERS[name]
    vals, per_row, extra = fn(model, np.asarray(X, dtype=np.float32), ctx)
    return Attribution(np.asarray(vals, dtype=np.float64), np.asarray(rows), per_row, extra)
