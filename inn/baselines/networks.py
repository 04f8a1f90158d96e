"""INN and TabResNet behind the interface of the baselines (:class:`inn.baselines.base.Model`).

The scikit-learn estimators of :mod:`inn.estimators` do the work: the adapter builds the
classifier or regressor for the task, fits it with the validation split for early stopping (best
epoch kept) and reports what a result file records about a network. torch is imported when a
model is built, not when this module is imported.
"""

from __future__ import annotations

from inn.baselines.base import Model


class NetworkModel(Model):
    """A network estimator of :mod:`inn.estimators`; ``params`` are its constructor arguments.

    ``n_jobs`` becomes the estimator's ``n_jobs`` (torch threads during fit and predict).
    """

    input_kind = "encoded"
    validation_use = "early_stopping"
    can_save = True
    estimators = ("", "")  # (classifier, regressor) class names in inn.estimators

    def __init__(self, task, seed=0, n_jobs=1, params=None, device="auto", verbose=0) -> None:
        super().__init__(task, seed=seed, n_jobs=n_jobs, params=params, device=device,
                         verbose=verbose)  # fmt: skip
        self.estimator = self._build_estimator()

    @classmethod
    def default_threads(cls) -> int:
        """The estimator's default ``n_jobs`` (the thread policy is stated once, there)."""
        from inn.threads import resolve_threads

        return resolve_threads(cls.estimator_class("binary")().n_jobs)

    @classmethod
    def estimator_class(cls, task: str) -> type:
        """The estimator class for ``task`` (imports torch)."""
        from inn import estimators

        return getattr(estimators, cls.estimators[task == "regression"])

    @classmethod
    def scales_numeric(cls, params: dict) -> bool:
        """With ``robust`` (the default) the network scales numeric columns itself."""
        from inn.settings import DEFAULTS

        return bool(params.get("robust", DEFAULTS["robust"]))

    # set by the run (seed, --device, --n_jobs, --quiet), not by hyperparameters
    RUN_SETTINGS = ("random_state", "device", "n_jobs", "verbose")

    @classmethod
    def check_params(cls, params: dict) -> None:
        """Unknown names, the run's own settings and bad values (the estimator's checks)."""
        super().check_params(params)
        est = cls.estimator_class("binary")  # the regressor takes the same parameters
        unknown = set(params) - set(est().get_params())
        if unknown:
            raise ValueError(f"unknown hyperparameters for {cls.name}: {sorted(unknown)}")
        managed = set(params) & set(cls.RUN_SETTINGS)
        if managed:
            raise ValueError(f"{sorted(managed)} of {cls.name} are set by the run (seed, "
                             "device, n_jobs, quiet), not as hyperparameters")
        est(**params)._check_params()

    def _build_estimator(self):
        self.check_params(self.params)
        return self.estimator_class(self.task)(**self.params, n_jobs=self.n_jobs,
                                               random_state=self.seed, device=self.device,
                                               verbose=self.verbose)

    def _fit(self, X, y, X_val, y_val):
        validation = {} if X_val is None else {"X_val": X_val, "y_val": y_val}
        self.model_ = self.estimator.fit(X, y, **validation)
        # With a validation split given, the estimator's own hold-out settings are not used; the
        # input is encoded already, so the frame-encoding settings are not either (the record's
        # numeric_scaling says how the run's frame encoder scaled it).
        unused = {"verbose", "n_jobs", "categorical", "numeric_scaling", "max_categories"}
        unused |= {"early_stopping", "validation_fraction"} if validation else set()
        self.params_ = {k: v for k, v in self.model_.get_params().items() if k not in unused}
        self.params_["device"] = str(self.model_.device_)

    def _raw_output(self, X):
        if self.task == "regression":
            return self.model_.predict(X)
        return self.model_.decision_function(X)

    @property
    def device_(self):
        return self.model_.device_

    def feature_importances(self):
        # INN's are normalised already (mean |contribution| over the training rows)
        return getattr(self.model_, "feature_importances_", None)

    def record_extras(self, X_test) -> dict:
        return {"epochs_run": len(self.model_.history_), "best_epoch": self.model_.best_epoch_,
                "threads": self.model_.n_threads_, "batch_size": self.model_.batch_size_}

    def save(self, path, preprocessor=None, classes=None) -> None:
        from inn.estimators import save, with_preprocessor

        model = self.model_
        if preprocessor is not None:
            model = with_preprocessor(model, preprocessor, classes)
        save(model, path)


class INNModel(NetworkModel):
    name = "inn"
    estimators = ("INNClassifier", "INNRegressor")
    saves_by_default = True  # a few hundred KB, and the explanation figures draw from it

    def record_extras(self, X_test) -> dict:
        extras = super().record_extras(X_test)
        expl = self.model_.explain(X_test)
        extras["sparsity"] = self.model_.sparsity(X_test)
        extras["bias_share"] = expl.bias_share
        return extras


class TabResNetModel(NetworkModel):
    name = "tabresnet"
    estimators = ("TabResNetClassifier", "TabResNetRegressor")


BATCH_SIZES = (64, 128, 256, 512)


def tabresnet_space(trial, task: str, max_epochs: int = 500) -> dict:
    """The INN paper's space: epochs, learning rate log 1e-4..1e-2, batch size, weight decay,
    dropout."""
    return {
        "nr_epochs": trial.suggest_int("nr_epochs", 10, max_epochs, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", list(BATCH_SIZES)),
        "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-1, log=True),
        "dropout_rate": trial.suggest_float("dropout_rate", 0.0, 0.5),
    }


def inn_space(trial, task: str) -> dict:
    """TabResNet's space and the L1 coefficient ``weight_norm``."""
    params = tabresnet_space(trial, task)
    params["weight_norm"] = trial.suggest_float("weight_norm", 1e-5, 1e-1, log=True)
    return params
