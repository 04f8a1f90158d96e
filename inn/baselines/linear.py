"""L2-regularised linear models: logistic regression, or ridge for regression."""

from __future__ import annotations

import warnings

import numpy as np

from inn.baselines.base import Model, selection_score


class LinearBaseline(Model):
    """L2-regularised linear model on the encoded (standardised, one-hot) matrix.

    * Classification: ``LogisticRegression`` (lbfgs; multinomial for multiclass),
      ``max_iter=2000`` so that it converges on all datasets.  The regularisation strength ``C``
      is chosen on the validation split from ``C_grid`` = 1e-3, 1e-2, ..., 1e2 (6 values):
      an unregularised model is unstable with many one-hot columns, and no single ``C`` suits
      all datasets.
    * Regression: ``Ridge`` with ``alpha`` chosen the same way from ``alpha_grid`` =
      1e-2, 1e-1, ..., 1e3.
    * Selection criterion: :func:`selection_score`.  Pass ``C`` / ``alpha`` in ``params`` to fix
      it; ``C_grid`` / ``alpha_grid`` to change the grid.

    Importances: mean |coefficient| over classes times the training std of the column (the
    effect of a one-standard-deviation change; standardised numerics have std 1 so this is just
    |coef| for them, while one-hot columns are weighted by their spread), normalised.
    """

    name = "logistic_regression"
    validation_use = "selection"
    _needs_validation = True
    C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
    ALPHA_GRID = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)

    def _fit(self, X, y, X_val, y_val):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression, Ridge

        params = dict(self.params)
        if self.task == "regression":
            key = "alpha"
            grid = params.pop("alpha_grid", self.ALPHA_GRID)
            # larger alpha = stronger regularisation: try strongest first so ties prefer it
            grid = sorted(grid, reverse=True)

            def build(v):
                return Ridge(alpha=v, **{k: w for k, w in params.items() if k != "alpha"})
        else:
            key = "C"
            grid = params.pop("C_grid", self.C_GRID)
            grid = sorted(grid)  # smaller C = stronger regularisation first
            base = {"max_iter": 2000, "random_state": self.seed}
            base.update({k: w for k, w in params.items() if k != "C"})

            def build(v):
                return LogisticRegression(C=v, **base)

        if key in params:
            grid = [params[key]]
        best, best_score, best_v, scores = None, None, None, {}
        for v in grid:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                m = build(v).fit(X, y)
            s = selection_score(self.task, y_val, self._predict_out(m, X_val))
            scores[float(v)] = s[0]
            if best_score is None or s > best_score:
                best, best_score, best_v = m, s, v
        self.model_ = best
        p = best.get_params()
        eff = {k: p[k] for k in p if k in ("C", "alpha", "max_iter", "solver", "fit_intercept",
                                           "l1_ratio", "random_state")}
        eff[key] = float(best_v)
        eff[f"{key}_grid"] = [float(v) for v in grid]
        eff["val_scores"] = scores
        self.params_ = eff
        self._col_std = X.std(axis=0).astype(np.float64)

    def _raw_importances(self):
        coef = np.atleast_2d(np.asarray(self.model_.coef_, dtype=np.float64))
        return np.abs(coef).mean(axis=0) * self._col_std


def search_space(trial, task: str) -> dict:
    """``C`` (``alpha`` for regression), log-uniform."""
    if task == "regression":
        return {"alpha": trial.suggest_float("alpha", 1e-3, 1e4, log=True)}
    return {"C": trial.suggest_float("C", 1e-4, 1e3, log=True)}
