"""scikit-learn CART decision tree on the encoded matrix."""

from __future__ import annotations

from inn.baselines.base import Model, selection_score


class DecisionTreeBaseline(Model):
    """scikit-learn CART decision tree on the encoded matrix.

    An unpruned tree overfits badly, so ``max_depth`` in (2, 3, 4, 5, 6, 8, 10, 12, None) and
    ``min_samples_leaf`` in (1, 5, 10, 20, 50) are chosen jointly on the validation split
    (:func:`selection_score`; simplest tree wins ties).  Pass ``max_depth`` /
    ``min_samples_leaf`` in ``params`` to fix them, ``max_depth_grid`` /
    ``min_samples_leaf_grid`` to change the grids.  ``random_state=seed`` (ties between equally
    good splits).

    Importances: impurity-based ``feature_importances_``.
    """

    name = "decision_tree"
    validation_use = "selection"
    _needs_validation = True
    MAX_DEPTH_GRID = (2, 3, 4, 5, 6, 8, 10, 12, None)
    MIN_SAMPLES_LEAF_GRID = (50, 20, 10, 5, 1)

    def _fit(self, X, y, X_val, y_val):
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        params = dict(self.params)
        depths = list(params.pop("max_depth_grid", self.MAX_DEPTH_GRID))
        leaves = list(params.pop("min_samples_leaf_grid", self.MIN_SAMPLES_LEAF_GRID))
        if "max_depth" in params:
            depths = [params.pop("max_depth")]
        if "min_samples_leaf" in params:
            leaves = [params.pop("min_samples_leaf")]
        cls = DecisionTreeRegressor if self.task == "regression" else DecisionTreeClassifier
        best, best_score = None, None
        for d in depths:
            for leaf in leaves:
                m = cls(max_depth=d, min_samples_leaf=leaf, random_state=self.seed, **params)
                m.fit(X, y)
                s = selection_score(self.task, y_val, self._predict_out(m, X_val))
                if best_score is None or s > best_score:
                    best, best_score = m, s
        self.model_ = best
        p = best.get_params()
        self.params_ = {
            "max_depth": p["max_depth"],
            "min_samples_leaf": p["min_samples_leaf"],
            "criterion": p["criterion"],
            "random_state": p["random_state"],
            "max_depth_grid": depths,
            "min_samples_leaf_grid": leaves,
            "depth": int(best.get_depth()),
            "n_leaves": int(best.get_n_leaves()),
            "val_score": float(best_score[0]),
        }

    def _raw_importances(self):
        return self.model_.feature_importances_


def search_space(trial, task: str) -> dict:
    """``max_depth`` and ``min_samples_leaf``."""
    return {
        "max_depth": trial.suggest_int("max_depth", 1, 20),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 100, log=True),
    }
