"""pytorch-tabnet on the standardised encoded matrix."""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import numpy as np

from inn.baselines.base import Model, Progress, _full_proba, _require
from inn.tasks import target_mean_std


def tabnet_batch_sizes(n_train: int) -> tuple[int, int]:
    """Batch size scaled to the data: the power of two nearest ``n_train / 10``, clipped to
    [32, 1024] (and to ``n_train``); ghost-batch-norm virtual batch = batch // 4 (>= 8).

    The library default (1024 / 128) with ``drop_last=True`` gives small training sets zero or
    one optimiser step per epoch, so TabNet would barely train on them.
    """
    n_train = max(int(n_train), 2)
    target = max(n_train / 10.0, 1.0)
    bs = int(2 ** round(np.log2(target)))
    bs = int(np.clip(bs, 32, 1024))
    bs = min(bs, n_train)
    vbs = max(8, bs // 4)
    vbs = min(vbs, bs)
    return bs, vbs


class TabNetBaseline(Model):
    """pytorch-tabnet ``TabNetClassifier`` / ``TabNetRegressor`` on the encoded matrix.

    * Input: the standardised, imputed, one-hot matrix (TabNet needs numeric input without NaN).
    * Architecture: library defaults (n_d = n_a = 8, n_steps = 3, gamma = 1.3, Adam lr 2e-2),
      which are the settings recommended by the authors for small/medium tabular data.
    * Batch size scaled to the data (:func:`tabnet_batch_sizes`); see there for why.
    * ``max_epochs=200`` upper bound with ``patience=20`` early stopping on the validation split;
      the best-epoch weights are restored by the library.  Validation metric: AUROC (binary),
      log-loss (multiclass), RMSE (regression).
    * Regression targets are standardised (training mean and std; predictions mapped back) and
      reshaped to (n, 1) as the library requires.
    * ``device_name``: the CPU unless ``device`` (``"cpu"``/``"cuda"``, not ``"auto"``) or
      ``params["device_name"]`` names another (results then do not depend on the GPU type),
      ``seed=seed``, ``verbose=0``.  Training runs with ``torch.set_num_threads(n_jobs)``; the
      caller's thread count is restored afterwards.

    ``params`` keys ``max_epochs``, ``patience``, ``batch_size``, ``virtual_batch_size``,
    ``drop_last``, ``eval_metric`` go to ``fit``; ``lr`` sets the Adam learning rate; all other
    keys go to the constructor.

    Importances: ``feature_importances_`` (aggregated attention masks, computed on the training
    data by the library).
    """

    name = "tabnet"
    validation_use = "early_stopping"
    _needs_validation = True

    _FIT_KEYS = ("max_epochs", "patience", "batch_size", "virtual_batch_size", "drop_last",
                 "eval_metric")

    def _fit(self, X, y, X_val, y_val):
        torch = _require("torch")
        tabnet = _require("pytorch_tabnet.tab_model")
        params = dict(self.params)
        fit_kw: dict[str, Any] = {k: params.pop(k) for k in self._FIT_KEYS if k in params}
        lr = params.pop("lr", 2e-2)
        bs, vbs = tabnet_batch_sizes(len(X))
        if "batch_size" in fit_kw and "virtual_batch_size" not in fit_kw:
            vbs = max(8, int(fit_kw["batch_size"]) // 4)
        metric = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}[self.task]
        fit_defaults = {
            "max_epochs": 200,
            "patience": 20,
            "batch_size": bs,
            "virtual_batch_size": vbs,
            "drop_last": True,
            "eval_metric": [metric],
        }
        fit_kw = {**fit_defaults, **fit_kw}
        if isinstance(fit_kw["eval_metric"], str):
            fit_kw["eval_metric"] = [fit_kw["eval_metric"]]
        # a training set smaller than a batch would yield no batch with drop_last=True
        fit_kw["batch_size"] = int(min(fit_kw["batch_size"], len(X)))
        fit_kw["virtual_batch_size"] = int(min(fit_kw["virtual_batch_size"], fit_kw["batch_size"]))

        ctor = {
            "seed": self.seed,
            "verbose": 0,
            # "auto" stays on the CPU: results then do not depend on the GPU type
            "device_name": "cpu" if self.device == "auto" else self.device,
            "optimizer_params": {"lr": lr},
        }
        ctor.update(params)
        threads_before = torch.get_num_threads()
        if self.n_jobs and self.n_jobs > 0:
            torch.set_num_threads(self.n_jobs)
        if self.task == "regression":
            model = tabnet.TabNetRegressor(**ctor)
            # TabNet regresses the raw target with an MSE loss; on targets in the hundreds of
            # thousands (house prices) 200 epochs at lr 0.02 never reach the scale (ames: R²
            # -2.7). Standardise it with the training split's mean and std, as INN does.
            y = np.asarray(y, dtype=np.float64)
            self.y_mean_, self.y_std_ = target_mean_std(y)
            y_fit = ((y - self.y_mean_) / self.y_std_).reshape(-1, 1)
            y_val_fit = ((np.asarray(y_val, dtype=np.float64) - self.y_mean_)
                         / self.y_std_).reshape(-1, 1)
        else:
            model = tabnet.TabNetClassifier(**ctor)
            y_fit, y_val_fit = y, y_val
        # verbose=0 still prints an early-stopping line and warns that the best weights are
        # restored (which is what we want); keep both out of the experiment logs.
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Best weights from best epoch")
                callbacks = [_tabnet_progress(self.name, fit_kw["max_epochs"])] \
                    if self.verbose else None
                model.fit(
                    X, y_fit,
                    eval_set=[(X_val, y_val_fit)],
                    eval_name=["val"],
                    num_workers=0,
                    pin_memory=False,
                    callbacks=callbacks,
                    **fit_kw,
                )  # fmt: skip
        finally:
            torch.set_num_threads(threads_before)
        self.model_ = model
        eff = {k: v for k, v in ctor.items() if k != "verbose"}
        for k in ("n_d", "n_a", "n_steps", "gamma", "lambda_sparse", "mask_type"):
            eff[k] = getattr(model, k, None)
        eff.update(fit_kw)
        eff["lr"] = lr
        eff["best_epoch"] = getattr(model, "best_epoch", None)
        self.params_ = eff

    def _predict_proba(self, X):
        proba = self.model_.predict_proba(X)
        classes = np.asarray(self.model_.classes_).astype(int)
        return _full_proba(proba, classes, self.n_classes_)

    def _predict_reg(self, X):
        return np.asarray(self.model_.predict(X)).ravel() * self.y_std_ + self.y_mean_

    def _raw_importances(self):
        return self.model_.feature_importances_


def _tabnet_progress(name: str, max_epochs: int):
    """A pytorch-tabnet callback that logs a periodic progress line."""
    callbacks = _require("pytorch_tabnet.callbacks")

    class TabNetProgress(callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.progress = Progress(name, "epoch", max_epochs)

        def on_epoch_end(self, epoch, logs=None):
            values = {k: float(v) for k, v in (logs or {}).items()
                      if isinstance(v, (int, float)) and k != "lr"}
            self.progress.update(epoch + 1, **values)

    return TabNetProgress()


def search_space(trial, task: str) -> dict:
    """``n_d``, ``n_a``, ``n_steps``, ``gamma`` and Adam ``lr`` (the pytorch-tabnet authors'
    ranges)."""
    return {
        "n_d": trial.suggest_int("n_d", 8, 64, log=True),
        "n_a": trial.suggest_int("n_a", 8, 64, log=True),
        "n_steps": trial.suggest_int("n_steps", 3, 10),
        "gamma": trial.suggest_float("gamma", 1.0, 2.0),
        "lr": trial.suggest_float("lr", 5e-3, 5e-2, log=True),
    }
