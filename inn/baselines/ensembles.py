"""Cross-fitted ensembles behind the interface of the baselines: INN, TabResNet and CatBoost.

Each takes the training **and** validation rows of the experiment (it joins them), splits them
into ``n_folds`` folds with :func:`inn.ensemble.cross_fit_plan` and fits one member per fold,
which early-stops on that fold; it is scored on the same test rows as the single models. The
three share the plan for a given seed (the same folds and member seeds), so the black-box twin
and CatBoost get exactly what INN gets. ``params`` are the member's hyperparameters plus
``n_folds``.

The result record says how: ``n_folds``, ``member_fit_time_s`` (the members' fit times summed:
the cost of training them one after another on one core each) and a ``protocol`` whose
validation rows trained ``n_folds - 1`` members (so ``val_metrics`` are not held out).

These methods have no search space: Optuna on the validation split would score rows the
members trained on. Tune the single model, then give its settings to the ensemble.
"""

from __future__ import annotations

import time

import numpy as np

from inn.baselines.base import Model, _normalise
from inn.baselines.catboost import CatBoostBaseline
from inn.baselines.networks import INNModel, NetworkModel, TabResNetModel
from inn.ensemble import N_FOLDS, cross_fit_plan  # (inn.ensemble imports torch only to fit)
from inn.validation import Int

VALIDATION_USE = "cross_fitting"
SETTINGS = ("n_folds",)  # the ensemble's own hyperparameters; the others are the member's


def _split(params: dict) -> tuple[dict, dict]:
    """``params`` as (the ensemble's settings, the member's hyperparameters)."""
    own = {k: v for k, v in params.items() if k in SETTINGS}
    if "n_folds" in own:
        Int(2).check("n_folds", own["n_folds"])
    return own, {k: v for k, v in params.items() if k not in SETTINGS}


def _protocol(n_folds: int) -> dict:
    from inn.data import VALIDATION_SIZE

    return {
        "fitted_on": "training and validation splits, cross-fitted",
        "validation_size": VALIDATION_SIZE,
        "validation_used_for": VALIDATION_USE,
        "refit_on_train_and_validation": False,
        "n_folds": n_folds,
        "note": (f"the training and validation rows are split into {n_folds} folds; member j "
                 "trains on the other folds and early-stops on fold j; every row trains "
                 f"{n_folds - 1} members, so val_metrics are not held-out scores"),
    }


def no_search_space(trial, task: str) -> dict:
    """Refuses: a cross-fitted ensemble trains on the validation rows, so a search scored on
    them would measure fit, not generalisation."""
    raise ValueError("a cross-fitted ensemble trains on the validation split, so HPO scored on "
                     "it is meaningless; tune the single model and pass its settings "
                     "(e.g. --set inn_ensemble.learning_rate=...)")


class CrossFitNetworkModel(NetworkModel):
    """A cross-fitted ensemble of a network (:mod:`inn.ensemble`); ``n_jobs`` is the number of
    members fitted at once (one process and one torch thread each)."""

    validation_use = VALIDATION_USE
    saves_by_default = False  # n_folds networks; --save_model saves them
    member: type[NetworkModel] = NetworkModel
    ensembles = ("", "")  # (classifier, regressor) class names in inn.ensemble

    @classmethod
    def estimator_class(cls, task: str) -> type:
        """The ensemble class for ``task`` (imports torch when it is built)."""
        from inn import ensemble

        return getattr(ensemble, cls.ensembles[task == "regression"])

    @classmethod
    def default_threads(cls) -> int:
        """Every core this process may use: members train in parallel, one thread each."""
        from inn.threads import available_cores

        return available_cores()

    @classmethod
    def check_params(cls, params: dict) -> None:
        """``n_folds``, and the member's hyperparameters as the member checks them."""
        Model.check_params.__func__(cls, params)
        _, member = _split(params)
        try:
            cls.member.check_params(member)
        except ValueError as err:
            raise ValueError(f"{cls.name} (cross-fitted {cls.member.name}): {err}") from None

    def _build_estimator(self):
        self.check_params(self.params)
        own, member = _split(self.params)
        template = self.member.estimator_class(self.task)(
            **member, device=self.device, verbose=self.verbose, n_jobs=1)
        return self.estimator_class(self.task)(estimator=template, n_jobs=self.n_jobs,
                                               random_state=self.seed, **own)

    def _fit(self, X, y, X_val, y_val):
        validation = {} if X_val is None else {"X_val": X_val, "y_val": y_val}
        self.model_ = self.estimator.fit(X, y, **validation)  # joins the two, then cross-fits
        member = self.model_.estimators_[0]
        unused = {"verbose", "n_jobs", "categorical", "numeric_scaling", "max_categories",
                  "early_stopping", "validation_fraction"}  # fmt: skip
        self.params_ = {k: v for k, v in member.get_params().items() if k not in unused}
        self.params_.update(random_state=self.seed, n_folds=self.model_.n_folds,
                            device=str(member.device_))  # fmt: skip

    @property
    def device_(self):
        return self.model_.estimators_[0].device_

    def record_extras(self, X_test) -> dict:
        ens = self.model_
        return {
            "n_folds": int(ens.n_folds),
            "member_fit_time_s": float(sum(ens.member_fit_times_)),
            "member_fit_times_s": list(ens.member_fit_times_),
            "member_epochs_run": [len(m.history_) for m in ens.estimators_],
            "member_best_epoch": [m.best_epoch_ for m in ens.estimators_],
            "processes": int(ens.n_processes_),
            "threads": int(ens.estimators_[0].n_threads_),
            "protocol": _protocol(int(ens.n_folds)),
        }

    def save(self, path, preprocessor=None, classes=None) -> None:
        from inn.ensemble import save, with_preprocessor

        model = self.model_
        if preprocessor is not None:
            model = with_preprocessor(model, preprocessor, classes)
        save(model, path)


class INNEnsembleModel(CrossFitNetworkModel):
    name = "inn_ensemble"
    member = INNModel
    ensembles = ("INNEnsembleClassifier", "INNEnsembleRegressor")

    def record_extras(self, X_test) -> dict:
        extras = super().record_extras(X_test)
        extras["sparsity"] = self.model_.sparsity(X_test)
        extras["bias_share"] = self.model_.explain(X_test).bias_share
        return extras


class TabResNetEnsembleModel(CrossFitNetworkModel):
    name = "tabresnet_ensemble"
    member = TabResNetModel
    ensembles = ("TabResNetEnsembleClassifier", "TabResNetEnsembleRegressor")


class CatBoostEnsembleBaseline(Model):
    """CatBoost cross-fitted as the networks are: one :class:`CatBoostBaseline` (its settings,
    ``params`` overriding them) per fold, early-stopping on that fold; the mean of the members'
    raw scores (log-odds, per-class scores or predictions), then the sigmoid or softmax.
    Members train one after another, each with ``n_jobs`` CatBoost threads. Importances: the
    mean of the members' normalised importances."""

    name = "catboost_ensemble"
    input_kind = "raw"
    validation_use = VALIDATION_USE

    @classmethod
    def check_params(cls, params: dict) -> None:
        super().check_params(params)
        _split(params)

    def _fit(self, X, y, X_val, y_val):
        import pandas as pd

        own, member_params = _split(self.params)
        n_folds = own.get("n_folds", N_FOLDS)
        if X_val is not None:
            X = pd.concat([X, X_val], ignore_index=True)
            y = np.concatenate([y, y_val])
        X = X.reset_index(drop=True)
        folds, seeds = cross_fit_plan(y, n_folds, self.seed, stratify=self.is_classifier)
        members, times = [], []
        for j, seed in enumerate(seeds):
            member = CatBoostBaseline(self.task, seed=seed, n_jobs=self.n_jobs,
                                      params=member_params, verbose=self.verbose)  # fmt: skip
            member.columns_, member.categorical_ = self.columns_, self.categorical_
            member.n_features_in_, member.n_classes_ = self.n_features_in_, self.n_classes_
            train, held = folds != j, folds == j
            start = time.perf_counter()
            member._fit(X[train], y[train], X[held], y[held])
            times.append(time.perf_counter() - start)
            members.append(member)
        self.model_ = members
        self.n_folds_ = n_folds
        self.member_fit_times_ = times
        first = members[0].params_
        self.params_ = {k: v for k, v in first.items()
                        if k not in ("random_seed", "best_iteration", "tree_count")}
        self.params_.update(random_seed=self.seed, n_folds=n_folds,
                            best_iteration=[m.params_["best_iteration"] for m in members],
                            tree_count=[m.params_["tree_count"] for m in members])

    def _mean_raw(self, X) -> np.ndarray:
        total = None
        for member in self.model_:
            raw = np.asarray(member.model_.predict(X, prediction_type="RawFormulaVal"),
                             dtype=np.float64)  # fmt: skip
            total = raw if total is None else total + raw
        return total / len(self.model_)

    def _predict_proba(self, X) -> np.ndarray:
        from scipy.special import expit, softmax

        from inn.baselines.base import _full_proba

        raw = self._mean_raw(X)
        if raw.ndim == 1:  # binary: the log-odds of the second class
            proba = np.column_stack([1.0 - expit(raw), expit(raw)])
        else:
            proba = softmax(raw, axis=1)
        return _full_proba(proba, self.model_[0].model_.classes_, self.n_classes_)

    def _predict_reg(self, X) -> np.ndarray:
        return self._mean_raw(X)

    def _raw_importances(self):
        return np.mean([_normalise(m.model_.get_feature_importance()) for m in self.model_],
                       axis=0)

    def record_extras(self, X_test) -> dict:
        return {
            "n_folds": int(self.n_folds_),
            "member_fit_time_s": float(sum(self.member_fit_times_)),
            "member_fit_times_s": list(self.member_fit_times_),
            "protocol": _protocol(int(self.n_folds_)),
        }
