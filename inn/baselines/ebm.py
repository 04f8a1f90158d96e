"""InterpretML explainable boosting machine on the raw frame."""

from __future__ import annotations

import numpy as np

from inn.baselines.base import Model, _require


class EBMBaseline(Model):
    """InterpretML ``ExplainableBoostingClassifier`` / ``Regressor`` on the raw frame.

    * Raw input: EBM bins numerics itself, treats NaN as its own bin and handles string
      categoricals; ``feature_types`` marks the categorical columns ``"nominal"`` and the
      others ``"continuous"`` so that nothing is guessed.
    * Library defaults otherwise (they are the authors' tuned defaults: 14 outer bags,
      automatic pairwise interactions, internal early stopping).  EBM does its early stopping on
      its own internal validation split (15 % of the training split), so our validation split is
      not used - the model is fitted on the training split only, as for every method.
    * ``random_state=seed``, ``n_jobs=n_jobs``.
    * Cost note: with the default ``max_rounds=50000`` a (nearly) perfectly separable binary
      problem keeps improving the validation log-loss and trains for many minutes even on a few
      hundred rows; pass e.g. ``params={"max_rounds": 5000}`` if that matters.

    Importances: ``term_importances()`` (mean |term score|, weighted by bin counts), mapped to
    the original features: a main effect goes to its feature, an interaction term's importance is
    split equally between its features; normalised.

    :meth:`local_contributions` gives exact additive per-feature contributions.
    """

    name = "ebm"
    input_kind = "raw"

    def _fit(self, X, y, X_val, y_val):
        glassbox = _require("interpret.glassbox")
        types = ["nominal" if c in self.categorical_ else "continuous" for c in self.columns_]
        kw = {"feature_types": types, "random_state": self.seed, "n_jobs": self.n_jobs}
        kw.update(self.params)
        if self.task == "regression":
            model = glassbox.ExplainableBoostingRegressor(**kw)
        else:
            model = glassbox.ExplainableBoostingClassifier(**kw)
        model.fit(X, y)
        self.model_ = model
        p = model.get_params()
        eff = {k: v for k, v in p.items() if k not in ("feature_types", "feature_names",
                                                        "callback")}
        eff["n_terms"] = len(model.term_features_)
        eff["n_interactions"] = sum(len(t) > 1 for t in model.term_features_)
        self.params_ = eff

    def _term_to_feature(self, term_values: np.ndarray) -> np.ndarray:
        """Map arrays whose axis 1 indexes terms to axis 1 indexing original features."""
        shape = list(term_values.shape)
        shape[1] = self.n_features_in_
        out = np.zeros(shape, dtype=np.float64)
        for t, feats in enumerate(self.model_.term_features_):
            share = term_values[:, t] / len(feats)
            for f in feats:
                out[:, f] += share
        return out

    def _raw_importances(self):
        ti = np.asarray(self.model_.term_importances(), dtype=np.float64)
        return self._term_to_feature(ti[None, :])[0]

    def local_contributions(self, X) -> tuple[np.ndarray, float | np.ndarray]:
        """Exact additive per-feature contributions on the model's raw output scale.

        Returns ``(contrib, intercept)`` where ``contrib`` has shape ``(n, n_features)`` for
        binary (log-odds of class 1) and regression, or ``(n, n_features, n_classes)`` for
        multiclass (per-class logits), and ``contrib.sum(axis=1) + intercept`` equals
        ``decision_function(X)``.  Terms come from ``ebm.eval_terms``; a pairwise term's score is
        split equally between its two features.  Features are in input column order.
        """
        X = self._prep_X(X)
        terms = np.asarray(self.model_.eval_terms(X), dtype=np.float64)
        contrib = self._term_to_feature(terms)
        intercept = self.model_.intercept_
        if np.ndim(intercept) == 0:
            intercept = float(intercept)
        else:
            intercept = np.asarray(intercept, dtype=np.float64)
            if intercept.size == 1:
                intercept = float(intercept.ravel()[0])
        return contrib, intercept

    def decision_function(self, X) -> np.ndarray:
        """Raw EBM output (logit / per-class logits / regression value)."""
        return np.asarray(self._raw_output(self._prep_X(X)), dtype=np.float64)

    def _raw_output(self, X):
        if self.task == "regression":
            return self.model_.predict(X)
        return self.model_.decision_function(X)


# The value lists of the InterpretML hyperparameter guide
# (https://interpret.ml/docs/hyperparameters.html).
LEARNING_RATES = (0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.1, 0.2)
MAX_BINS = (1024, 4096, 16384, 65536)
INTERACTIONS = (0, 0.25, 0.5, 0.75, 0.95, 5, 10, 25, 50, 100, 250)
MAX_LEAVES = (2, 3)
MIN_SAMPLES_LEAF = (2, 3, 4, 5, 10, 20, 50)


def search_space(trial, task: str) -> dict:
    """learning_rate, max_bins, interactions, max_leaves and min_samples_leaf."""
    return {
        "learning_rate": trial.suggest_categorical("learning_rate", list(LEARNING_RATES)),
        "max_bins": trial.suggest_categorical("max_bins", list(MAX_BINS)),
        "interactions": trial.suggest_categorical("interactions", list(INTERACTIONS)),
        "max_leaves": trial.suggest_categorical("max_leaves", list(MAX_LEAVES)),
        "min_samples_leaf": trial.suggest_categorical("min_samples_leaf", list(MIN_SAMPLES_LEAF)),
    }
