"""The interface every method's model implements, and helpers the baselines share.

The experiment pipeline treats every method alike::

    model = inn.methods.get(name).build(task=task, seed=seed, n_jobs=n_jobs, params=params)
    model.fit(X_train, y_train, X_val, y_val, categorical=cat_columns)   # categorical: raw input
    proba = model.predict_proba(X)        # classification only, shape (n, n_classes)
    pred = model.predict(X)               # class indices, or float predictions for regression
    imp = model.feature_importances()     # aligned with the input columns, >= 0, sums to 1; or None
    model.params_                         # effective hyperparameters (for the result file)
    model.record_extras(X_test)           # method-specific entries of the result file

Two input kinds exist (the class attribute ``input_kind``):

* ``"raw"``: a pandas DataFrame whose categorical columns are strings (missing values already
  replaced by ``"missing"``) and whose numeric columns are floats with NaN kept.  Used by the
  methods that handle categoricals and missing values natively (CatBoost, EBM).
* ``"encoded"``: the float32 matrix produced by the shared preprocessor (median imputation,
  standardised numerics, one-hot categoricals, no NaN).

Common conventions (the same for all methods, so that the comparison is fair):

* The validation split is used for early stopping (CatBoost, TabNet, the networks) or for
  choosing a few hyperparameters from a small grid (logistic/ridge regression, decision tree);
  ``validation_use`` says which.  The model that is kept is always the one fitted on the
  training split only; we deliberately do **not** refit on train + validation, which keeps the
  protocol simple and identical for every method.
* Hyperparameter selection on the validation split uses one criterion per task
  (:func:`selection_score`): AUROC for binary, accuracy for multiclass (ties broken by log-loss),
  negative RMSE for regression.  On ties the earlier (more regularised / simpler) grid entry wins.
* ``params`` (a dict) overrides any default; a key that is also a tuned hyperparameter fixes it
  and removes it from the validation search.
* Labels are integer-encoded ``0..k-1``.  ``predict_proba`` always returns ``k`` columns where
  ``k = max(label in train/validation) + 1``, even if a class is absent from the training split.

Heavy third-party packages (catboost, pytorch_tabnet, interpret, torch) are imported inside the
methods that need them (:func:`_require`), so importing a method's module stays fast.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from typing import Any

import numpy as np

from inn.tasks import TASKS

log = logging.getLogger("inn.baselines")

PROGRESS_EVERY_S = 30.0  # at most one progress line per this many seconds of an iterative fit

_PIP_NAMES = {
    "catboost": "catboost",
    "pytorch_tabnet": "pytorch-tabnet",
    "interpret": "interpret-core",
    "torch": "torch",
    "sklearn": "scikit-learn",
    "pytabkit": "pytabkit",
}


def _require(module: str):
    """Import ``module`` or raise an ImportError that names the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        top = module.split(".")[0]
        pip_name = _PIP_NAMES.get(top, top)
        raise ImportError(
            f"The baseline needs the package {pip_name!r} (module {module!r}); "
            f"install it with `pip install {pip_name}`."
        ) from exc


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class Progress:
    """Progress lines of an iterative fit (TabNet epochs, CatBoost iterations): at most one per
    :data:`PROGRESS_EVERY_S` seconds, through the ``inn.baselines`` logger."""

    def __init__(self, name: str, unit: str, total: int | None = None) -> None:
        self.name, self.unit, self.total = name, unit, total
        self.start = self.last = time.perf_counter()

    def update(self, step: int, **values: float) -> None:
        now = time.perf_counter()
        if now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        of = f"/{self.total}" if self.total else ""
        shown = ", ".join(f"{k} {v:.4g}" for k, v in values.items())
        log.info("%s: %s %d%s after %.0f s%s", self.name, self.unit, step, of, now - self.start,
                 f" ({shown})" if shown else "")


def _normalise(imp: Any) -> np.ndarray:
    """Clip to >= 0 and rescale to sum 1 (uniform if everything is zero / non-finite)."""
    imp = np.asarray(imp, dtype=np.float64).ravel()
    imp = np.where(np.isfinite(imp), np.clip(imp, 0.0, None), 0.0)
    total = imp.sum()
    if imp.size == 0:
        return imp
    if total <= 0:
        return np.full(imp.shape, 1.0 / imp.size)
    return imp / total


def _as_encoded(X: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(X, dtype=np.float32))


SELECTION_LOG_LOSS_FLOOR = 1e-7  # probabilities below it count as it in the tie-breaking log-loss


def selection_score(task: str, y: np.ndarray, out: np.ndarray) -> tuple[float, ...]:
    """Validation criterion used for grid selection; larger is better (compared as tuples).

    ``out`` is ``predict_proba`` output for classification and predictions for regression. The
    metrics are :mod:`inn.metrics`'s (the log-loss with probabilities floored at
    :data:`SELECTION_LOG_LOSS_FLOOR`).

    * binary: (AUROC, -log-loss) - AUROC is the headline metric of the benchmark; log-loss only
      breaks ties (e.g. between shallow trees with identical rankings).  Falls back to -log-loss
      when the validation split has a single class.
    * multiclass: (accuracy, -log-loss).
    * regression: (-RMSE,).
    """
    from inn import metrics  # scikit-learn: imported when a grid is scored, not with the module

    y = np.asarray(y)
    if task == "regression":
        return (-metrics.rmse(y.astype(np.float64), np.asarray(out, dtype=np.float64).ravel()),)
    y = y.astype(int)
    proba = np.asarray(out, dtype=np.float64)
    ll = metrics.log_loss(y, proba, floor=SELECTION_LOG_LOSS_FLOOR)
    if task == "binary":
        if len(np.unique(y)) < 2:
            return (-ll,)
        return (metrics.auroc(y, proba[:, 1]), -ll)
    return (metrics.accuracy(y, proba), -ll)


def _full_proba(proba: np.ndarray, classes: Any, n_classes: int) -> np.ndarray:
    """Place the columns of a fitted model's ``proba`` (for ``classes``) into ``n_classes``."""
    proba = np.asarray(proba, dtype=np.float64)
    classes = np.asarray(classes).astype(int)
    if proba.ndim == 1:  # some libraries return P(class 1) only
        proba = np.column_stack([1.0 - proba, proba])
    if len(classes) == n_classes and np.array_equal(classes, np.arange(n_classes)):
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, classes] = proba
    return full


class Model:
    """Common interface; subclasses implement ``_fit``, the predictions and the importances.

    Args:
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        seed: seeds the method.
        n_jobs: threads the method may use.
        params: hyperparameters in the method's own names (override its defaults).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``; used by the methods that run on torch.
        verbose: 1 lets the method show progress.
    """

    name = "base"
    input_kind = "encoded"
    validation_use = "none"  # "early_stopping", "selection" or "none" (recorded in results)
    can_save = False  # implements save(path)
    saves_by_default = False  # inn.experiment.run saves the fitted model unless told otherwise

    def __init__(
        self,
        task: str,
        seed: int = 0,
        n_jobs: int = 1,
        params: dict[str, Any] | None = None,
        device: str = "auto",
        verbose: int = 0,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"Unknown task {task!r}; expected one of {TASKS}.")
        self.task = task
        self.seed = int(seed)
        self.n_jobs = int(n_jobs) if n_jobs is not None else 1
        self.params = dict(params or {})
        self.device = device
        self.verbose = verbose
        self.params_: dict[str, Any] = {}
        self.n_classes_: int | None = None
        self.columns_: list[str] | None = None
        self.categorical_: list[str] = []
        self.n_features_in_: int | None = None
        self.model_ = None

    @classmethod
    def default_threads(cls) -> int:
        """``n_jobs`` when the caller names none: every core."""
        return os.cpu_count() or 1

    @classmethod
    def scales_numeric(cls, params: dict) -> bool:
        """Whether the model with ``params`` scales numeric columns itself, so the frame encoder
        leaves them unscaled under ``numeric_scaling="auto"``
        (:func:`inn.data.preprocessing.frame_scaling`)."""
        return False

    # ---- public API -------------------------------------------------------------------------

    @classmethod
    def check_params(cls, params: dict) -> None:
        """Raise a ValueError naming a bad hyperparameter before any data is loaded.

        The base class checks the shape of ``params`` (a mapping of names); methods that can
        check values cheaply (the networks) do more.
        """
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise ValueError(f"{cls.name}: hyperparameters must be a mapping of names to "
                             f"values, got {params!r}")


    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    def fit(self, X, y, X_val=None, y_val=None, categorical=None) -> Model:
        y = self._prep_y(y)
        y_val = None if y_val is None else self._prep_y(y_val)
        if self.is_classifier:
            ks = [int(y.max()) + 1]
            if y_val is not None and len(y_val):
                ks.append(int(y_val.max()) + 1)
            self.n_classes_ = max(max(ks), 2)
        if self.input_kind == "raw":
            X = self._prep_raw_fit(X, categorical)
            X_val = None if X_val is None else self._prep_raw(X_val)
        else:
            X = _as_encoded(X)
            X_val = None if X_val is None else _as_encoded(X_val)
            self.n_features_in_ = X.shape[1]
        if X_val is None and self._needs_validation:
            raise ValueError(f"{self.name} needs a validation split (X_val, y_val).")
        self._fit(X, y, X_val, y_val)
        return self

    def predict_proba(self, X) -> np.ndarray:
        if not self.is_classifier:
            raise AttributeError("predict_proba is only available for classification tasks.")
        return self._predict_proba(self._prep_X(X))

    def predict(self, X) -> np.ndarray:
        X = self._prep_X(X)
        if self.is_classifier:
            return np.argmax(self._predict_proba(X), axis=1)
        return np.asarray(self._predict_reg(X), dtype=np.float64).ravel()

    def raw_output(self, X) -> np.ndarray:
        """The model's raw output on ``X``, shape ``(n,)``: the logit of class 1 (binary) or the
        prediction (regression); what the interpretability benchmark (:mod:`inn.evaluation`)
        explains. NotImplementedError for multiclass and for a method without one."""
        if self.task == "multiclass":
            raise NotImplementedError(f"{self.name}: a multiclass model has no single raw output")
        return np.asarray(self._raw_output(self._prep_X(X)), dtype=np.float64).ravel()

    def feature_importances(self) -> np.ndarray | None:
        raw = self._raw_importances()
        return None if raw is None else _normalise(raw)

    def record_extras(self, X_test) -> dict:
        """Method-specific entries of the result file (e.g. epochs run), given the test input."""
        return {}

    def save(self, path, preprocessor=None, classes=None) -> None:
        """Write the fitted model to the folder ``path`` (only where ``can_save``).

        ``preprocessor``: the fitted encoder that made the model's encoded input, and
        ``classes``: the original label of each encoded class; both are saved with the model,
        so that the loaded model takes the raw frames and predicts the original labels.
        """
        raise NotImplementedError(f"{self.name} cannot save its fitted model")

    # ---- internals --------------------------------------------------------------------------

    _needs_validation = False

    def _prep_y(self, y) -> np.ndarray:
        y = np.asarray(y).ravel()
        return y.astype(np.int64) if self.is_classifier else y.astype(np.float64)

    def _prep_raw_fit(self, X, categorical):
        import pandas as pd

        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(X)
            X.columns = [str(c) for c in X.columns]
        self.columns_ = list(X.columns)
        if categorical is None:
            categorical = [
                c for c in X.columns
                if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
            ]
        unknown = [c for c in categorical if c not in self.columns_]
        if unknown:
            raise ValueError(f"categorical columns not in X: {unknown}")
        cat = set(categorical)
        self.categorical_ = [c for c in self.columns_ if c in cat]
        self.n_features_in_ = len(self.columns_)
        return self._prep_raw(X)

    def _prep_raw(self, X):
        import pandas as pd

        if not isinstance(X, pd.DataFrame):
            values = None
            if not self.categorical_:  # all numeric: floats directly, not through objects
                try:
                    values = np.asarray(X, dtype=np.float64)
                except (TypeError, ValueError):
                    values = None
            X = pd.DataFrame(np.asarray(X, dtype=object) if values is None else values,
                             columns=self.columns_)
        X = X[self.columns_].copy()
        for c in self.columns_:
            if c in self.categorical_:
                col = X[c].astype(object)
                X[c] = col.where(col.notna(), "missing").astype(str)
            else:
                X[c] = pd.to_numeric(X[c], errors="coerce").astype(np.float64)
        return X

    def _prep_X(self, X):
        if self.model_ is None:
            raise RuntimeError(f"{self.name}: call fit() first.")
        return self._prep_raw(X) if self.input_kind == "raw" else _as_encoded(X)

    def _fit(self, X, y, X_val, y_val) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_proba(self, X) -> np.ndarray:
        return _full_proba(self.model_.predict_proba(X), self.model_.classes_, self.n_classes_)

    def _predict_reg(self, X) -> np.ndarray:
        return self.model_.predict(X)

    def _raw_importances(self):
        return None

    def _raw_output(self, X) -> np.ndarray:
        raise NotImplementedError(f"{self.name} has no raw output")

    def _predict_out(self, model, X) -> np.ndarray:
        """Probabilities (classification) or predictions (regression) of ``model`` on ``X``."""
        if self.is_classifier:
            return _full_proba(model.predict_proba(X), model.classes_, self.n_classes_)
        return model.predict(X)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, seed={self.seed}, params={self.params})"
