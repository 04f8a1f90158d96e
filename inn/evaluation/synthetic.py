"""Synthetic benchmarks with known per-row attributions (after Liu et al. 2021, "Synthetic
benchmarks for scientific research in explainable machine learning"; our own code).

Inputs: ``X ~ N(0, Sigma)`` with unit variances and equicorrelation ``rho`` (every pair of
features has correlation rho), ``d = 10`` features by default. The true function uses the first
5 features (``RELEVANT``); features 5..9 are irrelevant, so an explainer must also give them
(near) zero attribution.

Targets ``f`` (the logit for binary tasks, the noiseless mean for regression):

* ``linear``: ``f = sum_i beta_i x_i`` with ``beta = (2, -1.5, 1, -0.75, 0.5)``.
* ``additive``: ``2 sin(1.5 x0) + 1.5 |x1| + 0.75 x2^2 - exp(0.5 x3) + 0.75 x4``.
* ``piecewise``: step functions, ``2 [x0 > 0] - 1.5 [x1 > 0.5] + ([x2 > -0.5] - [x2 > 1])
  + 0.5 clip(floor(x3), -2, 2) - 0.75 [x4 > -1]``.
* ``interaction``: the linear target plus ``1.5 x0 x1`` (not additive: shows where additive
  explainers must fail).

Tasks: ``regression`` (``y = f + N(0, 0.3^2)``) and ``binary`` (``y ~ Bernoulli(sigmoid(f))``).
Names read ``<target>_<task>_rho<rho>``, e.g. ``additive_binary_rho0.5``.

Ground truth per row (two conventions, both exact for the true f):

* ``truth`` (centred, the default): for additive ``f = sum_i g_i(x_i)``,
  ``truth_i = g_i(x_i) - E[g_i(x_i)]``; the expectation is over the marginal N(0, 1) of x_i and
  computed by numerical integration on a fine grid (exact to ~1e-6). This is how GAMs such as
  EBM centre their shape functions; ``sum_i truth_i = f(x) - E[f]``.
* ``truth_ref`` (baseline Shapley values at the reference point r = E[x] = 0):
  ``truth_ref_i = g_i(x_i) - g_i(r_i)``, what KernelSHAP with the mean as its only background row
  and INN's contributions ``w_i(x) (x_i - r_i)`` aim at; ``sum_i truth_ref_i = f(x) - f(r)``.

The two differ by a per-feature constant for non-linear g_i and coincide for linear targets. The
interaction ``1.5 x0 x1`` is split equally between x0 and x1 (its Shapley value at r = 0):
``truth_ref`` gets ``0.75 x0 x1`` each, ``truth`` ``0.75 (x0 x1 - rho)`` each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

TARGETS = ("linear", "additive", "piecewise", "interaction")
SYNTHETIC_TASKS = ("regression", "binary")
RHOS = (0.0, 0.25, 0.5, 0.75, 0.99)
N_FEATURES = 10
RELEVANT = 5
NOISE_SD = 0.3
LINEAR_BETA = np.array([2.0, -1.5, 1.0, -0.75, 0.5])
INTERACTION_COEF = 1.5

_NAME = re.compile(r"^(?P<target>[a-z]+)_(?P<task>regression|binary)_rho(?P<rho>[0-9.]+)$")


def benchmark_name(target: str, task: str, rho: float) -> str:
    return f"{target}_{task}_rho{rho:g}"


def parse_name(name: str) -> tuple[str, str, float]:
    """``"additive_binary_rho0.5"`` -> ``("additive", "binary", 0.5)``."""
    m = _NAME.match(name)
    if m is None or m["target"] not in TARGETS:
        raise ValueError(
            f"bad synthetic benchmark name {name!r}; expected <target>_<task>_rho<rho> with "
            f"target in {TARGETS}, task in {SYNTHETIC_TASKS}"
        )
    rho = float(m["rho"])
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be in [0, 1), got {rho}")
    return m["target"], m["task"], rho


def all_benchmarks(targets=TARGETS, tasks=SYNTHETIC_TASKS, rhos=RHOS) -> list[str]:
    return [benchmark_name(t, k, r) for t in targets for k in tasks for r in rhos]


def _shape_functions(target: str) -> list:
    """The per-feature terms g_i of the additive part (one callable per relevant feature)."""
    if target in ("linear", "interaction"):
        return [lambda v, b=b: b * v for b in LINEAR_BETA]
    if target == "additive":
        return [
            lambda v: 2.0 * np.sin(1.5 * v),
            lambda v: 1.5 * np.abs(v),
            lambda v: 0.75 * v**2,
            lambda v: -np.exp(0.5 * v),
            lambda v: 0.75 * v,
        ]
    if target == "piecewise":
        return [
            lambda v: 2.0 * (v > 0),
            lambda v: -1.5 * (v > 0.5),
            lambda v: 1.0 * (v > -0.5) - 1.0 * (v > 1.0),
            lambda v: 0.5 * np.clip(np.floor(v), -2, 2),
            lambda v: -0.75 * (v > -1.0),
        ]
    raise ValueError(f"unknown target {target!r}")


def _normal_mean(g) -> float:
    """E[g(Z)] for Z ~ N(0, 1) by a Riemann sum on a fine grid over [-10, 10]."""
    z = np.linspace(-10.0, 10.0, 400_001)
    dens = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return float(np.sum(np.asarray(g(z), dtype=np.float64) * dens) * (z[1] - z[0]))


def equicorrelation(d: int, rho: float) -> np.ndarray:
    return np.full((d, d), rho) + (1.0 - rho) * np.eye(d)


@dataclass
class SyntheticTask:
    """One synthetic benchmark: the true function, its attributions and a data sampler."""

    name: str
    target: str
    task: str
    rho: float
    n_features: int = N_FEATURES

    def __post_init__(self):
        self.g = _shape_functions(self.target)
        self.g_mean = np.array([_normal_mean(g) for g in self.g])
        self.mean = np.zeros(self.n_features)
        self.cov = equicorrelation(self.n_features, self.rho)
        self.reference = self.mean.copy()

    @classmethod
    def from_name(cls, name: str, n_features: int = N_FEATURES) -> SyntheticTask:
        target, task, rho = parse_name(name)
        return cls(name, target, task, rho, n_features)

    def sample_X(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.multivariate_normal(self.mean, self.cov, size=n, method="cholesky")

    def f(self, X: np.ndarray) -> np.ndarray:
        """The true f (logit for binary)."""
        X = np.asarray(X, dtype=np.float64)
        out = sum(g(X[:, i]) for i, g in enumerate(self.g)).astype(np.float64)
        if self.target == "interaction":
            out = out + INTERACTION_COEF * X[:, 0] * X[:, 1]
        return out

    def expected_f(self) -> float:
        extra = INTERACTION_COEF * self.rho if self.target == "interaction" else 0.0
        return float(self.g_mean.sum() + extra)

    def _terms(self, X: np.ndarray) -> np.ndarray:
        terms = np.zeros(X.shape, dtype=np.float64)
        for i, g in enumerate(self.g):
            terms[:, i] = g(X[:, i])
        return terms

    def truth(self, X: np.ndarray) -> np.ndarray:
        """Centred attributions ``g_i(x_i) - E g_i`` (see module docstring); ``(n, d)``."""
        X = np.asarray(X, dtype=np.float64)
        out = self._terms(X)
        out[:, : len(self.g)] -= self.g_mean
        if self.target == "interaction":
            half = 0.5 * INTERACTION_COEF * (X[:, 0] * X[:, 1] - self.rho)
            out[:, 0] += half
            out[:, 1] += half
        return out

    def truth_ref(self, X: np.ndarray) -> np.ndarray:
        """Baseline Shapley values at the reference r = 0: ``g_i(x_i) - g_i(0)``; ``(n, d)``."""
        X = np.asarray(X, dtype=np.float64)
        out = self._terms(X) - self._terms(np.zeros((1, X.shape[1])))
        if self.target == "interaction":
            half = 0.5 * INTERACTION_COEF * X[:, 0] * X[:, 1]
            out[:, 0] += half
            out[:, 1] += half
        return out

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)``: float32 inputs and targets (float regression, 0/1 binary)."""
        X = self.sample_X(n, rng)
        f = self.f(X)
        if self.task == "regression":
            y = f + NOISE_SD * rng.standard_normal(n)
        else:
            y = (rng.random(n) < 1.0 / (1.0 + np.exp(-f))).astype(np.int64)
        return X.astype(np.float32), y


@dataclass
class SyntheticData:
    task: SyntheticTask
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def make_synthetic(name: str, n_train: int, n_test: int, seed: int) -> SyntheticData:
    """Draw train and held-out rows of benchmark ``name`` with ``seed``."""
    task = SyntheticTask.from_name(name)
    rng = np.random.default_rng(seed)
    X_train, y_train = task.sample(n_train, rng)
    X_test, y_test = task.sample(n_test, rng)
    return SyntheticData(task, X_train, y_train, X_test, y_test)
