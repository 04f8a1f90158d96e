"""The one registry of methods: every consumer (experiment, CLIs, suite, HPO, plots) reads it.

An entry names a method once: its display label and colour, the class that fits it (imported on
first use, so this module imports neither torch nor any model library), the tasks it supports,
its Optuna search space and whether it has global importances. The input it takes (``"encoded"``
numeric matrix or ``"raw"`` frame with native categoricals) is stated by the class itself
(``input_kind``) and read from there.

Adding a method: a module with its class (the interface of :class:`inn.baselines.base.Model`)
and one :func:`register` call below. The order of registration is the order of tables and
figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import MappingProxyType

from inn.tasks import TASKS


def _resolve(ref):
    """``"package.module:Name"`` -> the object; anything else is returned as is."""
    if not isinstance(ref, str):
        return ref
    module, _, name = ref.partition(":")
    return getattr(import_module(module), name)


@dataclass(frozen=True)
class Method:
    """One registered method.

    Args:
        name: the one string used in paths, results, CLIs, suites and plots.
        label: display name in tables and figures.
        regression_label: display name on regression tasks where the method is another model
            there (``logistic_regression`` fits ridge regression); ``None``: ``label``.
        color: matplotlib colour of the method in every figure (distinct per method).
        model: the model class, or a lazy ``"module:Class"`` reference to it. It is built as
            ``cls(task=..., seed=..., n_jobs=..., params=..., device=..., verbose=...)``.
        tasks: the tasks it supports (a subset of :data:`inn.tasks.TASKS`).
        space: Optuna search space ``(trial, task) -> params`` (or ``"module:function"``);
            ``None``: the method cannot be tuned.
        interpretable: it has global importances (``feature_importances`` in its result file).
        resources: default Ray request per cell (``num_cpus``, ``num_gpus``); a suite's
            ``resources`` override it.
    """

    name: str
    label: str
    color: str
    model: str | type
    tasks: tuple[str, ...] = TASKS
    space: str | Callable | None = None
    interpretable: bool = True
    resources: Mapping = field(default_factory=dict)
    regression_label: str | None = None

    def label_for(self, task: str | None = None) -> str:
        """The display name on ``task`` (``regression_label`` on regression, else ``label``)."""
        return self.regression_label if task == "regression" and self.regression_label else \
            self.label  # fmt: skip

    @property
    def model_class(self) -> type:
        return _resolve(self.model)

    @property
    def input_kind(self) -> str:
        """``"encoded"`` (numeric matrix) or ``"raw"`` (frame with native categoricals)."""
        return self.model_class.input_kind

    def search_space(self) -> Callable:
        if self.space is None:
            raise ValueError(f"method {self.name!r} has no search space")
        return _resolve(self.space)

    def build(self, *, task: str, seed: int = 0, n_jobs: int = 1, params: dict | None = None,
              device: str = "auto", verbose: int = 0):
        """An unfitted model of this method for ``task``."""
        if task not in self.tasks:
            raise ValueError(f"method {self.name!r} does not support the task {task!r} "
                             f"(supported: {', '.join(self.tasks)})")
        return self.model_class(task=task, seed=seed, n_jobs=n_jobs, params=params,
                                device=device, verbose=verbose)  # fmt: skip


_REGISTRY: dict[str, Method] = {}
REGISTRY: Mapping[str, Method] = MappingProxyType(_REGISTRY)


def register(**fields) -> Method:
    """Add a method (keyword arguments of :class:`Method`); names and colours must be new."""
    method = Method(**fields)
    if method.name in _REGISTRY:
        raise ValueError(f"method {method.name!r} is registered already")
    unknown = set(method.tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"method {method.name!r}: unknown tasks {sorted(unknown)}")
    taken = {m.color: m.name for m in _REGISTRY.values()}
    if method.color in taken:
        raise ValueError(f"method {method.name!r}: colour {method.color} is taken by "
                         f"{taken[method.color]!r}")
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a method (for tests that register a toy method)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Method:
    """The registered method ``name``; a ValueError lists the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(_REGISTRY)}") from None


def names() -> tuple[str, ...]:
    """Every method name, in registration order (the order of tables and figures)."""
    return tuple(_REGISTRY)


# INN first, then its black-box twin, then the baselines.
register(name="inn", label="INN", color="#d62728",  # red: the method of the paper stands out
         model="inn.baselines.networks:INNModel", space="inn.baselines.networks:inn_space")
register(name="tabresnet", label="TabResNet", color="#ff7f0e",
         model="inn.baselines.networks:TabResNetModel",
         space="inn.baselines.networks:tabresnet_space", interpretable=False)
register(name="catboost", label="CatBoost", color="#1f77b4",
         model="inn.baselines.catboost:CatBoostBaseline",
         space="inn.baselines.catboost:search_space")
register(name="random_forest", label="Random forest", color="#2ca02c",
         model="inn.baselines.random_forest:RandomForestBaseline",
         space="inn.baselines.random_forest:search_space")
register(name="tabnet", label="TabNet", color="#9467bd",
         model="inn.baselines.tabnet:TabNetBaseline", space="inn.baselines.tabnet:search_space")
register(name="ebm", label="EBM", color="#8c564b",
         model="inn.baselines.ebm:EBMBaseline", space="inn.baselines.ebm:search_space")
register(name="logistic_regression", label="Logistic regression", color="#e377c2",
         regression_label="Ridge regression",  # the same entry fits Ridge on regression tasks
         model="inn.baselines.linear:LinearBaseline", space="inn.baselines.linear:search_space")
register(name="decision_tree", label="Decision tree", color="#7f7f7f",
         model="inn.baselines.decision_tree:DecisionTreeBaseline",
         space="inn.baselines.decision_tree:search_space")
register(name="realmlp", label="RealMLP-TD", color="#bcbd22",
         model="inn.baselines.realmlp:RealMLPBaseline",
         space="inn.baselines.realmlp:search_space", interpretable=False)
register(name="tabm", label="TabM", color="#393b79",
         model="inn.baselines.tabm:TabMBaseline", space="inn.baselines.tabm:search_space",
         interpretable=False)
# Cross-fitted ensembles (inn/ensemble.py): k members on the training and validation rows
# together, each early-stopping on its own fold; "×5" is the default n_folds (N_FOLDS). The
# twin and CatBoost get the same protocol, folds and seeds as INN. No search space: HPO scored
# on the validation split would score rows the members trained on.
register(name="inn_ensemble", label="INN ×5 (cross-fit)", color="#7b0d1e",
         model="inn.baselines.ensembles:INNEnsembleModel",
         space="inn.baselines.ensembles:no_search_space")
register(name="tabresnet_ensemble", label="TabResNet ×5 (cross-fit)", color="#a65e00",
         model="inn.baselines.ensembles:TabResNetEnsembleModel",
         space="inn.baselines.ensembles:no_search_space", interpretable=False)
register(name="catboost_ensemble", label="CatBoost ×5 (cross-fit)", color="#0b3c5d",
         model="inn.baselines.ensembles:CatBoostEnsembleBaseline",
         space="inn.baselines.ensembles:no_search_space")
