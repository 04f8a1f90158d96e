"""Optuna search spaces, one per method, in the estimator's / baseline's own parameter names.

Each space is a function ``(trial, task) -> params`` so that it can depend on the task.

* ``inn`` / ``tabresnet``: the INN paper's space (epochs, learning rate log 1e-4..1e-2, batch
  size, weight decay, dropout; ``weight_norm`` for INN only).
* ``catboost``: depth, learning rate, L2 leaf regularisation (the number of trees is still chosen
  by early stopping on the validation split).
* ``random_forest``: ``max_features`` (share of columns per split) and ``min_samples_leaf``.
* ``tabnet``: ``n_d``, ``n_a``, ``n_steps``, ``gamma`` and Adam ``lr`` (the pytorch-tabnet
  authors' ranges).
* ``ebm``: the value lists of the InterpretML hyperparameter guide
  (https://interpret.ml/docs/hyperparameters.html): learning_rate, max_bins, interactions,
  max_leaves, min_samples_leaf.
* ``logistic_regression``: ``C`` (``alpha`` for regression), log-uniform.
* ``decision_tree``: ``max_depth`` and ``min_samples_leaf``.

A parameter fixed in the suite (``params``) is not searched: :func:`suggest` leaves it as given.
"""

from __future__ import annotations

from collections.abc import Callable

BATCH_SIZES = (64, 128, 256, 512)


def _network(trial, task: str, *, inn: bool, max_epochs: int = 500) -> dict:
    params = {
        "nr_epochs": trial.suggest_int("nr_epochs", 10, max_epochs, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", list(BATCH_SIZES)),
        "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-1, log=True),
        "dropout_rate": trial.suggest_float("dropout_rate", 0.0, 0.5),
    }
    if inn:
        params["weight_norm"] = trial.suggest_float("weight_norm", 1e-5, 1e-1, log=True)
    return params


def inn_space(trial, task: str) -> dict:
    return _network(trial, task, inn=True)


def tabresnet_space(trial, task: str) -> dict:
    return _network(trial, task, inn=False)


def catboost_space(trial, task: str) -> dict:
    return {
        "depth": trial.suggest_int("depth", 4, 10),
        "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
        "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1.0, 10.0, log=True),
    }


def random_forest_space(trial, task: str) -> dict:
    return {
        "max_features": trial.suggest_float("max_features", 0.05, 1.0),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20, log=True),
    }


def tabnet_space(trial, task: str) -> dict:
    return {
        "n_d": trial.suggest_int("n_d", 8, 64, log=True),
        "n_a": trial.suggest_int("n_a", 8, 64, log=True),
        "n_steps": trial.suggest_int("n_steps", 3, 10),
        "gamma": trial.suggest_float("gamma", 1.0, 2.0),
        "lr": trial.suggest_float("lr", 5e-3, 5e-2, log=True),
    }


EBM_LEARNING_RATES = (0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.1, 0.2)
EBM_MAX_BINS = (1024, 4096, 16384, 65536)
EBM_INTERACTIONS = (0, 0.25, 0.5, 0.75, 0.95, 5, 10, 25, 50, 100, 250)
EBM_MAX_LEAVES = (2, 3)
EBM_MIN_SAMPLES_LEAF = (2, 3, 4, 5, 10, 20, 50)


def ebm_space(trial, task: str) -> dict:
    return {
        "learning_rate": trial.suggest_categorical("learning_rate", list(EBM_LEARNING_RATES)),
        "max_bins": trial.suggest_categorical("max_bins", list(EBM_MAX_BINS)),
        "interactions": trial.suggest_categorical("interactions", list(EBM_INTERACTIONS)),
        "max_leaves": trial.suggest_categorical("max_leaves", list(EBM_MAX_LEAVES)),
        "min_samples_leaf": trial.suggest_categorical(
            "min_samples_leaf", list(EBM_MIN_SAMPLES_LEAF)
        ),
    }


def logistic_regression_space(trial, task: str) -> dict:
    if task == "regression":
        return {"alpha": trial.suggest_float("alpha", 1e-3, 1e4, log=True)}
    return {"C": trial.suggest_float("C", 1e-4, 1e3, log=True)}


def decision_tree_space(trial, task: str) -> dict:
    return {
        "max_depth": trial.suggest_int("max_depth", 1, 20),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 100, log=True),
    }


SPACES: dict[str, Callable] = {
    "inn": inn_space,
    "tabresnet": tabresnet_space,
    "catboost": catboost_space,
    "random_forest": random_forest_space,
    "tabnet": tabnet_space,
    "ebm": ebm_space,
    "logistic_regression": logistic_regression_space,
    "decision_tree": decision_tree_space,
}


def suggest(method: str, trial, task: str, fixed: dict | None = None) -> dict:
    """Sample a configuration for ``method``; keys in ``fixed`` are kept and not searched."""
    if method not in SPACES:
        raise ValueError(f"no search space for method {method!r}; known: {', '.join(SPACES)}")
    fixed = dict(fixed or {})
    sampled = SPACES[method](_FixedTrial(trial, fixed), task)
    return {**sampled, **fixed}


class _FixedTrial:
    """Wrap an Optuna trial so that fixed parameters are returned without being suggested."""

    def __init__(self, trial, fixed: dict):
        self._trial = trial
        self._fixed = fixed

    def __getattr__(self, name):
        attr = getattr(self._trial, name)
        if not name.startswith("suggest_"):
            return attr

        def wrapped(param, *args, **kwargs):
            if param in self._fixed:
                return self._fixed[param]
            return attr(param, *args, **kwargs)

        return wrapped
