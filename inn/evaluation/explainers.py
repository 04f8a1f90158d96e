"""Models to explain and the explainers compared on them: the registry :data:`EXPLAINERS`.

The models are the registry's methods (:mod:`inn.methods`), built and fitted as every run fits
them (:func:`fit_model`). Every model exposes its *raw* output ``raw(X)`` (logit for binary
classification, prediction in target units for regression); every explainer returns
attributions of that raw output. An explainer's entry (:class:`Explainer`) names the model it
explains, its function, and its label, colour, line and marker in the figures
(:mod:`plots.xai` reads them there).

Reference / background: every perturbation explainer uses the mean r of the rows the models fit
on (the point INN's contributions are centred at) as its only background row, so KernelSHAP,
TreeSHAP (interventional) and Integrated Gradients all estimate attributions relative to the same
point as INN: ``sum_i phi_i = f(x) - f(r)``. With d <= 10 features and one background row,
KernelSHAP's default ``nsamples = 2 d + 2048`` exceeds the 2^d - 2 coalitions, so shap
enumerates them all and its values are the exact baseline Shapley values at r.
``l1_reg=False`` (no feature selection).

LIME (``lime_tabular``, ``discretize_continuous=False``, regression mode on the raw output) fits a
weighted linear model on standardised features; its attribution is ``coef_i * (x_i - mean_i) /
std_i``, the local linear model's term relative to the training mean.

EBM's own contributions are its centred shape functions (a pairwise term is split equally
between its two features); they add up to its output minus its intercept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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
    """A model of the benchmark, fitted through the method registry (:mod:`inn.methods`).

    ``model`` is the fitted :class:`inn.baselines.base.Model`; ``params`` the hyperparameters
    it was built with.
    """

    name: str
    model: object
    train_time_s: float
    params: dict = field(default_factory=dict)

    def raw(self, X) -> np.ndarray:
        """The raw output, ``(m, d)`` -> ``(m,)`` (:meth:`inn.baselines.base.Model.raw_output`)."""
        return self.model.raw_output(X)

    @property
    def estimator(self):
        """The fitted library model: the INN / TabResNet estimator, the CatBoost model."""
        return self.model.model_

    @property
    def cross_fitted(self) -> bool:
        """Whether the validation rows trained it too (a cross-fitted ensemble,
        :mod:`inn.ensemble`): its reference point is then the mean of all the rows."""
        return hasattr(self.estimator, "folds_")


@dataclass
class Attribution:
    """Attributions of one explainer for rows ``rows`` of the explained set."""

    values: np.ndarray
    rows: np.ndarray
    seconds_per_row: float
    extra: dict = field(default_factory=dict)


@dataclass
class ExplainContext:
    """What the explainers share: ``X_train``, the rows the models fit on (LIME's statistics),
    and ``reference``, their mean (every explainer's background point r)."""

    X_train: np.ndarray
    reference: np.ndarray
    seed: int = 0
    kernel_nsamples: object = "auto"
    lime_samples: int = 5000


# ---- models -------------------------------------------------------------------------------


def fit_model(name: str, task: str, X, y, X_val, y_val, seed: int, params=None,
              n_jobs: int = 1) -> FittedModel:
    """Method ``name`` built from the registry (``inn.methods.get(name).build``) and fitted on
    ``(X, y)`` with the validation rows ``(X_val, y_val)``, as every run fits it (early stopping
    for the networks and CatBoost; EBM does its own). The networks train on the CPU."""
    from inn import methods

    params = dict(params or {})
    model = methods.get(name).build(task=task, seed=seed, n_jobs=n_jobs, params=params,
                                    device="cpu")  # fmt: skip
    start = time.perf_counter()
    model.fit(X, y, X_val, y_val, categorical=[])
    return FittedModel(name, model, time.perf_counter() - start, params)


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
        model.estimator, data=ctx.reference[None, :].astype(np.float64),
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
    def run(Z):
        return model.model.local_contributions(np.asarray(Z, dtype=np.float64))[0]

    vals, per_row = _timed(run, X)
    return vals, per_row, {}


def explain_random(model: FittedModel, X, ctx: ExplainContext):
    rng = np.random.default_rng(ctx.seed + 12345)
    vals, per_row = _timed(lambda Z: rng.standard_normal(Z.shape), X)
    return vals, per_row, {}


# ---- the registry ---------------------------------------------------------------------------


def _lighter(color: str, shade: float) -> str:
    """``#rrggbb`` mixed with white: ``shade`` 0 keeps it, 1 is white."""
    rgb = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return "#" + "".join(format(round((c + (1 - c) * shade) * 255), "02x") for c in rgb)


@dataclass(frozen=True)
class Explainer:
    """One explainer of the benchmark: what it explains, how, and how tables and figures show it.

    Args:
        name: the one string used in records, tables, figures and ``--explainers``.
        model: the method (:mod:`inn.methods`) whose fitted model it explains.
        explain: ``(FittedModel, X, ExplainContext) -> (values, seconds per row, extras)``.
        slow: explained on the first ``n_slow`` rows only (KernelSHAP, LIME).
        label: display name ("Integrated Gradients on TabResNet").
        line, marker: matplotlib line style and marker: solid for a model's own attributions,
            dashed for KernelSHAP, dotted for LIME and the random baseline.
        color: its colour in every figure; by default the colour of the method it explains
            (``inn.methods``), lighter by ``shade`` (0: the method's own) for an explainer
            applied from outside. Distinct per explainer.
    """

    name: str
    model: str
    explain: object
    slow: bool
    label: str
    line: str = "-"
    marker: str = "o"
    shade: float = 0.0
    color: str = ""

    def __post_init__(self) -> None:
        if not self.color:
            from inn import methods

            object.__setattr__(self, "color", _lighter(methods.get(self.model).color,
                                                       self.shade))


_EXPLAINERS: dict[str, Explainer] = {}
EXPLAINERS: Mapping[str, Explainer] = MappingProxyType(_EXPLAINERS)
"""The registered explainers by name, in the order of tables and figures."""


def register(**fields) -> Explainer:
    """Add an explainer (keyword arguments of :class:`Explainer`); names, labels and colours
    must be new."""
    entry = Explainer(**fields)
    for attr in ("name", "label", "color"):
        taken = {getattr(e, attr): e.name for e in _EXPLAINERS.values()}
        if getattr(entry, attr) in taken:
            raise ValueError(f"explainer {entry.name!r}: {attr} {getattr(entry, attr)!r} is taken "
                             f"by {taken[getattr(entry, attr)]!r}")
    _EXPLAINERS[entry.name] = entry
    return entry


register(name="inn", model="inn", explain=explain_inn_own, slow=False,
         label="INN (own contributions)", line="-", marker="o")
register(name="kernelshap_inn", model="inn", explain=explain_kernelshap, slow=True,
         label="KernelSHAP on INN", line="--", marker="s", shade=0.35)
register(name="lime_inn", model="inn", explain=explain_lime, slow=True,
         label="LIME on INN", line=":", marker="^", shade=0.6)
register(name="kernelshap_tabresnet", model="tabresnet", explain=explain_kernelshap, slow=True,
         label="KernelSHAP on TabResNet", line="--", marker="s", shade=0.35)
register(name="ig_tabresnet", model="tabresnet", explain=explain_ig, slow=False,
         label="Integrated Gradients on TabResNet", line="-", marker="D")
register(name="kernelshap_catboost", model="catboost", explain=explain_kernelshap, slow=True,
         label="KernelSHAP on CatBoost", line="--", marker="s", shade=0.35)
register(name="treeshap_catboost", model="catboost", explain=explain_treeshap, slow=False,
         label="TreeSHAP on CatBoost", line="-", marker="v")
register(name="ebm", model="ebm", explain=explain_ebm_own, slow=False,
         label="EBM (own contributions)", line="-", marker="P")
# the cross-fitted ensemble of INNs (inn.ensemble): its mean contributions, and KernelSHAP on it
register(name="inn_ensemble", model="inn_ensemble", explain=explain_inn_own, slow=False,
         label="INN ensemble (own contributions)", line="-", marker="o")
register(name="kernelshap_inn_ensemble", model="inn_ensemble", explain=explain_kernelshap,
         slow=True, label="KernelSHAP on the INN ensemble", line="--", marker="s", shade=0.35)
# random attributions of INN's rows (its probe scores them); grey, apart from every method
register(name="random", model="inn", explain=explain_random, slow=False, label="random",
         line=":", marker="x", color="#7f7f7f")


def explain(name: str, model: FittedModel, X: np.ndarray, rows, ctx: ExplainContext):
    """Run explainer ``name`` on rows ``X`` (positions ``rows`` of the explained set)."""
    vals, per_row, extra = EXPLAINERS[name].explain(model, np.asarray(X, dtype=np.float32), ctx)
    return Attribution(np.asarray(vals, dtype=np.float64), np.asarray(rows), per_row, extra)
