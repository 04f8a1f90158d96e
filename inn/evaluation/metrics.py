"""Metrics for per-row feature attributions ``phi`` (``(n, d)``) of a model's raw output f.

f is the model's raw output: the logit for binary classification, the prediction for
regression. ``r`` is the reference point (the training mean); "replacing feature i by the
reference" sets ``x_i := r_i``. Every metric is computed per row and then averaged; the
model-only quantities (output drops, perturbations) are computed once per model and explained row
in :class:`ModelProbe`, so every explainer of the same model is scored on the same perturbations.

Definitions (per row x, attribution phi = phi(x)):

* **faithfulness_ref** (Bhatt et al. 2020 / xai-bench "faithfulness"): Pearson correlation over the
  d features between ``phi_i`` and the drop ``f(x) - f(x with x_i := r_i)``.
* **faithfulness_cond**: the same with ``x_i`` replaced by draws from its conditional
  distribution given the other features, ``x_i | x_-i``, averaged over ``n_cond`` draws. For a
  Gaussian ``N(mu, Sigma)`` this is analytic: mean ``mu_i + Sigma_i,-i Sigma_-i,-i^-1 (x_-i -
  mu_-i)``, variance ``Sigma_ii - Sigma_i,-i Sigma_-i,-i^-1 Sigma_-i,i`` (exact for the synthetic
  data; a Gaussian approximation with the training mean and covariance for real data).
* **monotonicity** (xai-bench, after Luss et al. 2019): start from r and add the features one
  by one in order of *increasing* ``|phi|``; with ``a_j = |f(state_j) - f(state_j-1)|`` the
  marginal effect of the j-th added feature, the share of the ``d - 1`` consecutive pairs with
  ``a_j+1 >= a_j`` (ties, e.g. two irrelevant features, count as monotone). 1 is best.
* **infidelity** (Yeh et al. 2019): ``E_I[(I^T phi' - (f(x) - f(x - I)))^2]``. Attributions of
  the "contribution" kind (INN, SHAP, IG, LIME as used here) sum to an output difference along
  ``x - r``, so the perturbation is taken along that direction: ``I = z * (x - r)`` with
  ``z ~ N(0, sigma^2 I_d)`` elementwise and ``phi'_i = phi_i / (x_i - r_i)``, i.e.
  ``I^T phi' = z^T phi`` (no division needed). An exact explainer of a linear model has
  infidelity 0. Reported *relative*: the sum over rows divided by the sum over rows of
  ``E_I[(f(x) - f(x - I))^2]``, so that the all-zero explanation scores 1.
  :func:`infidelity_captum` computes the same number with ``captum.metrics.infidelity`` (used to
  check this implementation in the tests).
* **deletion / insertion** (Petsiuk et al. 2018, adapted to raw outputs): features sorted by
  decreasing ``|phi|``. Deletion replaces the top-k features of x by r, for k = 0..d, and tracks
  ``|f(x_del_k) - f(r)|``; insertion puts the top-k features of x into r and tracks
  ``|f(x) - f(r_ins_k)|``. Both are divided by the mean over rows of ``|f(x) - f(r)|``; the
  deletion curve falls from ~1 to 0 (area: lower is better), the insertion curve is reported as
  ``1 - gap`` and rises from ~0 to 1 (area: higher is better). Areas by the trapezoid rule over
  k/d in [0, 1].
* **gt_corr / gt_corr_ref**: per-row Pearson correlation between phi and the true attributions
  (centred ``g_i(x_i) - E g_i``, resp. baseline Shapley at r; see :mod:`.synthetic`),
  averaged over rows; **gt_mse**: mean squared difference to the centred truth;
  **topk_exact**: share of rows whose k largest ``|phi_i|`` are exactly the k features the target
  depends on.
* **efficiency_gap**: ``mean |sum_i phi_i - (f(x) - f(r))| / mean |f(x) - f(r)|``: 0 when the
  attributions add up to the output's change from the reference.

Rows where a correlation is undefined (constant phi, e.g. all-zero) count as correlation 0.
"""

from __future__ import annotations

import numpy as np


def rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` with the same row of ``b``; 0 where undefined."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    num = (a * b).sum(axis=1)
    out = np.zeros(len(a))
    ok = den > 1e-12
    out[ok] = num[ok] / den[ok]
    return out


class GaussianConditional:
    """Draws ``x_i | x_-i`` under ``N(mean, cov)`` for one feature at a time."""

    def __init__(self, mean: np.ndarray, cov: np.ndarray, ridge: float = 1e-6) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        cov = np.asarray(cov, dtype=np.float64)
        d = len(self.mean)
        cov = cov + ridge * np.trace(cov) / d * np.eye(d)
        self.coef = np.zeros((d, d - 1))
        self.sd = np.zeros(d)
        for i in range(d):
            rest = [j for j in range(d) if j != i]
            s_ir = cov[i, rest]
            beta = np.linalg.solve(cov[np.ix_(rest, rest)], s_ir)
            self.coef[i] = beta
            self.sd[i] = np.sqrt(max(cov[i, i] - s_ir @ beta, 0.0))

    @classmethod
    def fit(cls, X: np.ndarray) -> GaussianConditional:
        X = np.asarray(X, dtype=np.float64)
        return cls(X.mean(axis=0), np.cov(X, rowvar=False))

    def sample(self, X: np.ndarray, i: int, n_draws: int, rng: np.random.Generator):
        """``(n, n_draws)`` draws of feature i given each row's other features."""
        rest = [j for j in range(X.shape[1]) if j != i]
        mu = self.mean[i] + (X[:, rest] - self.mean[rest]) @ self.coef[i]
        return mu[:, None] + self.sd[i] * rng.standard_normal((len(X), n_draws))


class ModelProbe:
    """Model-only quantities for the explained rows of one model.

    Args:
        f: raw output function, ``(m, d)`` float array -> ``(m,)``.
        X: ``(n, d)`` explained rows.
        reference: ``(d,)`` reference point r.
        conditional: sampler for the conditional faithfulness (None skips it).
        seed: seeds the conditional draws and the infidelity perturbations.
        n_cond: conditional draws per row and feature.
        n_infid: infidelity perturbations per row; ``infid_sigma`` their scale.
    """

    def __init__(self, f, X, reference, conditional=None, seed=0, n_cond=8, n_infid=32,
                 infid_sigma=0.3):  # fmt: skip
        self.f = f
        self.X = np.asarray(X, dtype=np.float64)
        self.r = np.asarray(reference, dtype=np.float64)
        n, d = self.X.shape
        rng = np.random.default_rng(seed)
        self.f_x = self._eval(self.X)
        self.f_r = float(self._eval(self.r[None, :])[0])
        rep = np.repeat(self.X[:, None, :], d, axis=1)  # (n, d, d): copy j has x_j := r_j
        idx = np.arange(d)
        rep[:, idx, idx] = self.r[idx]
        self.drops_ref = self.f_x[:, None] - self._eval(rep.reshape(-1, d)).reshape(n, d)
        self.drops_cond = None
        if conditional is not None:
            drops = np.zeros((n, d))
            for i in range(d):
                draws = conditional.sample(self.X, i, n_cond, rng)  # (n, k)
                pert = np.repeat(self.X[:, None, :], n_cond, axis=1)
                pert[:, :, i] = draws
                out = self._eval(pert.reshape(-1, d)).reshape(n, n_cond)
                drops[:, i] = self.f_x - out.mean(axis=1)
            self.drops_cond = drops
        self.z = infid_sigma * rng.standard_normal((n, n_infid, d))
        pert = self.X[:, None, :] - self.z * (self.X - self.r)[:, None, :]
        self.infid_delta = self.f_x[:, None] - self._eval(pert.reshape(-1, d)).reshape(n, n_infid)

    def _eval(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.f(np.asarray(X, dtype=np.float32)), dtype=np.float64).ravel()

    def paths(self, phi: np.ndarray, rows: np.ndarray):
        """Deletion and insertion outputs ``(n_rows, d + 1)`` for the order of ``|phi|``."""
        X = self.X[rows]
        n, d = X.shape
        order = np.argsort(-np.abs(phi), axis=1, kind="stable")
        # keep[k, i]: feature i is among the top-k; shape (n, d + 1, d)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(d)[None, :].repeat(n, axis=0), axis=1)
        top = rank[:, None, :] < np.arange(d + 1)[None, :, None]
        deleted = np.where(top, self.r, X[:, None, :])
        inserted = np.where(top, X[:, None, :], self.r)
        both = np.concatenate([deleted, inserted], axis=1).reshape(-1, d)
        out = self._eval(both).reshape(n, 2, d + 1)
        return out[:, 0], out[:, 1]


def _trapezoid(curve: np.ndarray) -> np.ndarray:
    """Area under ``curve[..., k]`` over k/d in [0, 1]."""
    d = curve.shape[-1] - 1
    return (curve[..., 1:] + curve[..., :-1]).sum(axis=-1) / (2 * d)


def monotonicity(deleted: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Per-row monotonicity from the deletion path (see module docstring)."""
    # deleted[:, k] has the top-k features removed; reading k = d..0 adds features in order of
    # increasing |phi|, starting from the reference.
    adding = deleted[:, ::-1]
    a = np.abs(np.diff(adding, axis=1))  # (n, d) marginal effects
    scale = tol * (1.0 + np.abs(adding).max(axis=1, keepdims=True))
    return (a[:, 1:] >= a[:, :-1] - scale).mean(axis=1)


def per_row_metrics(probe: ModelProbe, phi: np.ndarray, rows=None, truth=None,
                    truth_ref=None) -> dict[str, np.ndarray]:  # fmt: skip
    """Per-row arrays of every metric for attributions ``phi`` of the probe's rows ``rows``.

    Ratio metrics keep their numerator and denominator (``*_num``, ``*_den``) so that
    :func:`summarise` can pool them over any subset of rows.
    """
    phi = np.asarray(phi, dtype=np.float64)
    rows = np.arange(len(phi)) if rows is None else np.asarray(rows)
    if len(rows) != len(phi):
        raise ValueError(f"{len(phi)} attribution rows for {len(rows)} row indices")
    f_x = probe.f_x[rows]
    gap = np.abs(f_x - probe.f_r)
    out = {"faithfulness_ref": rowwise_pearson(phi, probe.drops_ref[rows])}
    if probe.drops_cond is not None:
        out["faithfulness_cond"] = rowwise_pearson(phi, probe.drops_cond[rows])
    deleted, inserted = probe.paths(phi, rows)
    out["monotonicity"] = monotonicity(deleted)
    out["deletion_num"] = _trapezoid(np.abs(deleted - probe.f_r))
    out["insertion_num"] = _trapezoid(np.abs(f_x[:, None] - inserted))
    out["gap"] = gap
    pred = np.einsum("nkd,nd->nk", probe.z[rows], phi)
    out["infidelity_num"] = ((pred - probe.infid_delta[rows]) ** 2).mean(axis=1)
    out["infidelity_den"] = (probe.infid_delta[rows] ** 2).mean(axis=1)
    out["efficiency_num"] = np.abs(phi.sum(axis=1) - (f_x - probe.f_r))
    if truth is not None:
        out["gt_corr"] = rowwise_pearson(phi, truth)
        out["gt_mse"] = ((phi - truth) ** 2).mean(axis=1)
        out["topk_exact"] = topk_exact(phi, np.any(np.asarray(truth) != 0, axis=0))
    if truth_ref is not None:
        out["gt_corr_ref"] = rowwise_pearson(phi, truth_ref)
    return out


def topk_exact(phi: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Per row, 1.0 when the k largest ``|phi|`` are exactly the k relevant features (k = their
    number), else 0.0."""
    relevant = np.asarray(relevant, dtype=bool)
    k = int(relevant.sum())
    if k in (0, relevant.size):
        return np.ones(len(phi))
    top = np.argsort(-np.abs(phi), axis=1, kind="stable")[:, :k]
    return relevant[top].all(axis=1).astype(np.float64)


def summarise(per_row: dict[str, np.ndarray], subset=None) -> dict[str, float]:
    """Pool per-row metrics (optionally over a subset of positions) into scalars."""
    sel = slice(None) if subset is None else np.asarray(subset)
    mean = {k: float(np.mean(v[sel])) for k, v in per_row.items()}
    out = {}
    for key in ("faithfulness_ref", "faithfulness_cond", "monotonicity", "gt_corr",
                "gt_corr_ref", "gt_mse", "topk_exact"):  # fmt: skip
        if key in mean:
            out[key] = mean[key]
    den = mean["gap"] if mean["gap"] > 0 else np.nan
    out["deletion_area"] = mean["deletion_num"] / den
    out["insertion_area"] = 1.0 - mean["insertion_num"] / den
    out["efficiency_gap"] = mean["efficiency_num"] / den
    inf_den = mean["infidelity_den"] if mean["infidelity_den"] > 0 else np.nan
    out["infidelity"] = mean["infidelity_num"] / inf_den
    return out


def infidelity_captum(forward, X, phi, reference, sigma=0.3, n_perturb=32, seed=0) -> np.ndarray:
    """Per-row (unnormalised) infidelity with ``captum.metrics.infidelity`` and the perturbation
    ``I = z * (x - r)`` of this module (``z ~ N(0, sigma^2)``); ``forward`` maps a float tensor
    ``(m, d)`` to ``(m,)``."""
    import torch
    from captum.metrics import infidelity

    r = torch.as_tensor(np.asarray(reference), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)

    def perturb(inputs):
        z = sigma * torch.randn(inputs.shape, generator=gen, dtype=inputs.dtype)
        return z, inputs - z * (inputs - r)

    x = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    a = torch.as_tensor(np.asarray(phi), dtype=torch.float64)
    with torch.no_grad():
        val = infidelity(forward, perturb, x, a, n_perturb_samples=n_perturb, normalize=False)
    return val.numpy()
