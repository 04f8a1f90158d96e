"""scikit-learn random forest on the encoded matrix."""

from __future__ import annotations

from inn.baselines.base import Model


class RandomForestBaseline(Model):
    """scikit-learn random forest on the encoded matrix.

    * ``n_estimators=500``: enough trees for stable predictions and importances; forests do not
      overfit with more trees, so no early stopping / validation tuning is needed.
    * Other settings are Breiman's well-established defaults as implemented in scikit-learn
      (``max_features="sqrt"`` for classification, all features for regression, fully grown
      trees with ``min_samples_leaf=1``, bootstrap).  The validation split is not used.
    * ``n_jobs`` and ``random_state=seed`` are passed through.

    Importances: impurity-based ``feature_importances_`` (mean decrease in impurity).
    """

    name = "random_forest"

    def _fit(self, X, y, X_val, y_val):
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        kw = {"n_estimators": 500, "n_jobs": self.n_jobs, "random_state": self.seed}
        kw.update(self.params)
        cls = RandomForestRegressor if self.task == "regression" else RandomForestClassifier
        self.model_ = cls(**kw).fit(X, y)
        p = self.model_.get_params()
        self.params_ = {
            k: p[k]
            for k in ("n_estimators", "max_features", "max_depth", "min_samples_leaf",
                      "bootstrap", "criterion", "random_state", "n_jobs")
        }

    def _raw_importances(self):
        return self.model_.feature_importances_


def search_space(trial, task: str) -> dict:
    """``max_features`` (share of columns per split) and ``min_samples_leaf``."""
    return {
        "max_features": trial.suggest_float("max_features", 0.05, 1.0),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20, log=True),
    }
