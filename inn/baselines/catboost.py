"""CatBoost gradient-boosted trees on the raw frame (categorical columns native)."""

from __future__ import annotations

from typing import Any

from inn.baselines.base import Model, Progress, _require


class CatBoostBaseline(Model):
    """CatBoost gradient-boosted oblivious trees on the raw frame.

    Choices (a competent user's setting for a benchmark with a validation split):

    * ``cat_features`` = the categorical columns: CatBoost's ordered target statistics are its
      main strength and need the raw strings, not one-hot columns.  Numeric NaN is handled
      natively (``nan_mode="Min"``, the library default).
    * ``iterations=2000`` is only an upper bound; ``eval_set`` = validation split with
      ``od_type="Iter", od_wait=100`` and ``use_best_model=True`` stops at the best validation
      loss, so the number of trees adapts to the dataset instead of a fixed library default.
    * ``learning_rate`` is left to CatBoost's automatic choice (derived from the data size and
      iteration budget), which is well calibrated for default-tuned runs.
    * Loss: Logloss (binary), MultiClass (multiclass), RMSE (regression); the validation metric
      for early stopping is the same loss.
    * ``thread_count=n_jobs``, ``random_seed=seed``, no console output, no ``catboost_info``.

    Importances: ``get_feature_importance()`` (PredictionValuesChange), normalised.
    """

    name = "catboost"
    input_kind = "raw"
    validation_use = "early_stopping"
    _needs_validation = True

    def _fit(self, X, y, X_val, y_val):
        cb = _require("catboost")
        defaults: dict[str, Any] = {
            "iterations": 2000,
            "od_type": "Iter",
            "od_wait": 100,
            "use_best_model": True,
            "random_seed": self.seed,
            "thread_count": self.n_jobs,
            "verbose": False,
            "allow_writing_files": False,
        }
        if self.task == "binary":
            defaults["loss_function"] = "Logloss"
        elif self.task == "multiclass":
            defaults["loss_function"] = "MultiClass"
        else:
            defaults["loss_function"] = "RMSE"
        kw = {**defaults, **self.params}
        cls = cb.CatBoostRegressor if self.task == "regression" else cb.CatBoostClassifier
        model = cls(**kw)
        cat_idx = [self.columns_.index(c) for c in self.categorical_]
        train = cb.Pool(X, y, cat_features=cat_idx)
        val = cb.Pool(X_val, y_val, cat_features=cat_idx)
        callbacks = [_CatBoostProgress(self.name, kw["iterations"])] if self.verbose else None
        model.fit(train, eval_set=val, callbacks=callbacks)
        self.model_ = model
        eff = {k: v for k, v in kw.items() if k not in ("verbose", "allow_writing_files")}
        all_params = model.get_all_params()
        eff["learning_rate"] = all_params.get("learning_rate", kw.get("learning_rate"))
        eff["depth"] = all_params.get("depth", kw.get("depth"))
        eff["best_iteration"] = model.get_best_iteration()
        eff["tree_count"] = model.tree_count_
        self.params_ = eff

    def _raw_importances(self):
        return self.model_.get_feature_importance()

    def _raw_output(self, X):
        return self.model_.predict(X, prediction_type="RawFormulaVal")


class _CatBoostProgress:
    """CatBoost callback: a periodic progress line (it never stops training)."""

    def __init__(self, name: str, total: int) -> None:
        self.progress = Progress(name, "iteration", total)

    def after_iteration(self, info) -> bool:
        values = {}
        for part in ("validation", "learn"):
            for metric, history in (info.metrics.get(part) or {}).items():
                values[f"{part} {metric}"] = history[-1]
                break
        self.progress.update(info.iteration, **values)
        return True


def search_space(trial, task: str) -> dict:
    """Depth, learning rate and L2 leaf regularisation (the number of trees is still chosen by
    early stopping on the validation split)."""
    return {
        "depth": trial.suggest_int("depth", 4, 10),
        "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
        "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1.0, 10.0, log=True),
    }
