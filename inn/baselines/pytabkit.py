"""What the pytabkit baselines (RealMLP-TD, TabM-D) share, behind the interface of
:class:`inn.baselines.base.Model`.

* ``realmlp``: ``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor`` (Holzmueller et al., NeurIPS
  2024, "Better by Default"): the meta-tuned default MLP.
* ``tabm``: ``TabM_D_Classifier`` / ``TabM_D_Regressor`` (Gorishniy et al., ICLR 2025): 32
  weight-sharing MLP members (BatchEnsemble) whose predictions are averaged.

Both get the library's default settings (``pytabkit.models.sklearn.default_params``) and the
same treatment:

* Input kind ``"raw"``: pytabkit preprocesses itself (RealMLP: one-hot for categoricals with at
  most 9 values and embeddings above, median centring, robust scaling, smooth clipping, periodic
  numeric embeddings; TabM: quantile transform of numerics, one-hot categoricals), so it gets the
  original columns, not our standardised one-hot matrix.
* Categorical columns (strings, missing values already the category ``"missing"``) are named
  through ``fit(..., cat_col_names=...)``, so nothing is guessed from dtypes; pytabkit
  ordinal-encodes them with code 0 for unknown values, so a category unseen in training maps to
  that code at predict time instead of raising.
* Numeric NaN: pytabkit rejects NaN in continuous columns ("NaN values in continuous columns are
  currently not allowed!"), so NaN is imputed with the training split's median (0 for a column
  that is entirely missing in training), at fit and at predict time.
* Validation: ``fit(X, y, X_val=..., y_val=...)`` with OUR validation split. pytabkit then
  trains on X only and uses X_val for best-epoch selection (RealMLP: 256 epochs, the epoch with
  the lowest validation error is kept) or early stopping (TabM: patience 16, best epoch
  restored). The criterion is the library's default: classification error, RMSE for regression.
  ``n_refit=0`` (default): the model trained on the training split is the one kept.
* ``random_state=seed``, ``n_threads=n_jobs`` (1 by default), the CPU unless ``--device cuda``
  (or ``params["device"]``) says otherwise; all console output of pytabkit and Lightning is
  swallowed.
* ``params`` go to the pytabkit constructor and override its defaults (e.g. ``n_epochs``).

``params_`` holds the effective configuration (library defaults plus overrides) and what the
validation split decided: ``best_epoch`` (1-based; 0 = the untrained network), ``epochs_run``
and ``best_val_error`` (the library's validation error, ``val_metric_name``, at the best epoch).

Importances: None (black boxes). RealMLP's first-layer weight norms exist in pytabkit but are
per embedded/one-hot input column after its preprocessing, not per original feature.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import warnings
from typing import Any

import numpy as np

from inn.baselines.base import Model, _full_proba, _require

# Lightning logs "GPU available", tips and "Trainer.fit stopped" through these loggers (to its own
# handler or, when the application configured logging, to the root logger).
_LIGHTNING_LOGGERS = ("pytorch_lightning", "lightning_fabric", "lightning")


@contextlib.contextmanager
def _silenced():
    """Capture stdout/stderr (prints, progress bars) into a buffer, mute Lightning's info logs
    and warnings; yields the buffer so the library's log lines can be read afterwards."""
    buffer = io.StringIO()
    loggers = [logging.getLogger(name) for name in _LIGHTNING_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield buffer
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


class PytabkitBaseline(Model):
    """Shared fitting code for the pytabkit estimators (see the module docstring)."""

    input_kind = "raw"
    validation_use = "early_stopping"
    _needs_validation = True
    #: pytabkit class names: (classifier, regressor)
    estimators: tuple[str, str] = ("", "")
    #: log level that makes the library log its validation curve (read back from the output)
    _verbosity = 2
    #: configuration keys that are not hyperparameters and stay out of ``params_``
    _HIDDEN = ("verbosity", "tmp_folder", "val_fraction", "n_repeats")

    def _estimator_class(self):
        pytabkit = _require("pytabkit")
        return getattr(pytabkit, self.estimators[self.task == "regression"])

    def _fit(self, X, y, X_val, y_val):
        cls = self._estimator_class()
        allowed = set(cls().get_params())
        unknown = sorted(set(self.params) - allowed)
        if unknown:
            raise ValueError(f"unknown hyperparameters for {self.name}: {unknown}; "
                             f"{cls.__name__} accepts {sorted(allowed)}")
        n_threads = self.n_jobs if self.n_jobs > 0 else (os.cpu_count() or 1)
        # "auto" means the CPU (as for TabNet): results then do not depend on the GPU type
        device = "cpu" if self.device in (None, "auto") else self.device
        # pytabkit seeds a RandomState with random_state + 1, which numpy refuses for the
        # largest seed (2**32 - 1): that one runs as 2**32 - 2
        seed = min(self.seed, 2**32 - 2)
        kw: dict[str, Any] = {"random_state": seed, "n_threads": n_threads, "device": device}
        kw.update(self.params)
        kw["verbosity"] = self._verbosity
        self.device_ = str(kw["device"])

        numeric = [c for c in self.columns_ if c not in self.categorical_]
        medians = X[numeric].median() if numeric else {}
        self.fill_values_ = {c: float(medians[c]) if np.isfinite(medians[c]) else 0.0
                             for c in numeric}
        model = cls(**kw)
        with _silenced() as out:
            model.fit(self._library_frame(X), y, X_val=self._library_frame(X_val), y_val=y_val,
                      cat_col_names=list(self.categorical_))
        self.model_ = model

        config = model.get_config()
        eff = {k: v for k, v in config.items() if k not in self._HIDDEN}
        eff.setdefault("val_metric_name", "rmse" if self.task == "regression" else "class_error")
        eff.update(self._training_record(model, out.getvalue(), eff["val_metric_name"]))
        self.params_ = eff

    def _training_record(self, model, log_text: str, val_metric: str) -> dict[str, Any]:
        """Best epoch, epochs run and validation error, read from the fitted model / its log."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _library_frame(self, X):
        """Our raw frame in the form pytabkit accepts: numeric NaN imputed, strings kept."""
        X = X[self.columns_]
        if self.fill_values_ and X[list(self.fill_values_)].isna().any().any():
            X = X.fillna(self.fill_values_)
        return X

    def _predict_proba(self, X):
        with _silenced():
            proba = self.model_.predict_proba(self._library_frame(X))
        return _full_proba(proba, self.model_.classes_, self.n_classes_)

    def _predict_reg(self, X):
        with _silenced():
            return np.asarray(self.model_.predict(self._library_frame(X)), dtype=np.float64)
