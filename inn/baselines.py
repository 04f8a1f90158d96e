"""Baseline models compared against INN.

Every baseline is wrapped in a small class with one common interface so that the experiment
pipeline can treat them uniformly::

    model = make_baseline(name, task=task, seed=seed, n_jobs=n_jobs, params=None)
    if model.input_kind == "raw":
        model.fit(Xtr_raw, ytr, Xva_raw, yva, categorical=cat_columns)
    else:
        model.fit(Xtr_enc, ytr, Xva_enc, yva, categorical=None)
    proba = model.predict_proba(X)        # classification only, shape (n, n_classes)
    pred = model.predict(X)               # class indices, or float predictions for regression
    imp = model.feature_importances()     # aligned with the input columns, >= 0, sums to 1
    model.params_                         # effective hyperparameters (for the result file)

Two input kinds exist:

* ``"raw"``: a pandas DataFrame whose categorical columns are strings (missing values already
  replaced by ``"missing"``) and whose numeric columns are floats with NaN kept.  Used by the
  methods that handle categoricals and missing values natively (CatBoost, EBM).
* ``"encoded"``: the float32 matrix produced by the shared preprocessor (median imputation,
  standardised numerics, one-hot categoricals, no NaN).

Common conventions (the same for all methods, so that the comparison is fair):

* The validation split is used for early stopping (CatBoost, TabNet) or for choosing a few
  hyperparameters from a small grid (logistic/ridge regression, decision tree).  The model that is
  kept is always the one fitted on the training split only; we deliberately do **not** refit on
  train + validation, which keeps the protocol simple and identical for every method.
* Hyperparameter selection on the validation split uses one criterion per task
  (:func:`selection_score`): AUROC for binary, accuracy for multiclass (ties broken by log-loss),
  negative RMSE for regression.  On ties the earlier (more regularised / simpler) grid entry wins.
* ``params`` (a dict) overrides any default; a key that is also a tuned hyperparameter fixes it
  and removes it from the validation search.
* Labels are integer-encoded ``0..k-1``.  ``predict_proba`` always returns ``k`` columns where
  ``k = max(label in train/validation) + 1``, even if a class is absent from the training split.

Heavy third-party packages (catboost, pytorch_tabnet, interpret, torch) are imported lazily inside
the classes that need them so that ``import inn.baselines`` stays fast.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import warnings
from typing import Any

import numpy as np

TASKS = ("binary", "multiclass", "regression")

BASELINES = (
    "catboost",
    "random_forest",
    "tabnet",
    "ebm",
    "logistic_regression",
    "decision_tree",
)

INPUT_KIND = {
    "catboost": "raw",
    "random_forest": "encoded",
    "tabnet": "encoded",
    "ebm": "raw",
    "logistic_regression": "encoded",
    "decision_tree": "encoded",
}

_PIP_NAMES = {
    "catboost": "catboost",
    "pytorch_tabnet": "pytorch-tabnet",
    "interpret": "interpret-core",
    "torch": "torch",
    "sklearn": "scikit-learn",
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


def _softmax_logloss(y: np.ndarray, proba: np.ndarray) -> float:
    eps = 1e-7
    p = np.clip(proba[np.arange(len(y)), y], eps, 1.0)
    return float(-np.mean(np.log(p)))


def selection_score(task: str, y: np.ndarray, out: np.ndarray) -> tuple[float, ...]:
    """Validation criterion used for grid selection; larger is better (compared as tuples).

    ``out`` is ``predict_proba`` output for classification and predictions for regression.

    * binary: (AUROC, -log-loss) - AUROC is the headline metric of the benchmark; log-loss only
      breaks ties (e.g. between shallow trees with identical rankings).  Falls back to -log-loss
      when the validation split has a single class.
    * multiclass: (accuracy, -log-loss).
    * regression: (-RMSE,).
    """
    y = np.asarray(y)
    if task == "regression":
        out = np.asarray(out, dtype=np.float64).ravel()
        return (-float(np.sqrt(np.mean((out - y.astype(np.float64)) ** 2))),)
    y = y.astype(int)
    proba = np.asarray(out, dtype=np.float64)
    ll = _softmax_logloss(y, proba)
    if task == "binary":
        from sklearn.metrics import roc_auc_score

        if len(np.unique(y)) < 2:
            return (-ll,)
        return (float(roc_auc_score(y, proba[:, 1])), -ll)
    acc = float(np.mean(np.argmax(proba, axis=1) == y))
    return (acc, -ll)


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


# --------------------------------------------------------------------------------------------
# base class
# --------------------------------------------------------------------------------------------


class Baseline:
    """Common interface; subclasses implement ``_fit``, ``_predict_raw`` and importances."""

    name = "base"
    input_kind = "encoded"

    def __init__(
        self,
        task: str,
        seed: int = 0,
        n_jobs: int = 1,
        params: dict[str, Any] | None = None,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"Unknown task {task!r}; expected one of {TASKS}.")
        self.task = task
        self.seed = int(seed)
        self.n_jobs = int(n_jobs) if n_jobs is not None else 1
        self.params = dict(params or {})
        self.params_: dict[str, Any] = {}
        self.n_classes_: int | None = None
        self.columns_: list[str] | None = None
        self.categorical_: list[str] = []
        self.n_features_in_: int | None = None
        self.model_ = None

    # ---- public API -------------------------------------------------------------------------

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    def fit(self, X, y, X_val=None, y_val=None, categorical=None) -> Baseline:
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

    def feature_importances(self) -> np.ndarray | None:
        raw = self._raw_importances()
        return None if raw is None else _normalise(raw)

    # ---- internals --------------------------------------------------------------------------

    _needs_validation = True

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
            X = pd.DataFrame(np.asarray(X, dtype=object), columns=self.columns_)
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

    def _predict_out(self, model, X) -> np.ndarray:
        """Probabilities (classification) or predictions (regression) of ``model`` on ``X``."""
        if self.is_classifier:
            return _full_proba(model.predict_proba(X), model.classes_, self.n_classes_)
        return model.predict(X)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, seed={self.seed}, params={self.params})"


# --------------------------------------------------------------------------------------------
# CatBoost
# --------------------------------------------------------------------------------------------


class CatBoostBaseline(Baseline):
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
        model.fit(train, eval_set=val)
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


# --------------------------------------------------------------------------------------------
# Random forest
# --------------------------------------------------------------------------------------------


class RandomForestBaseline(Baseline):
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
    _needs_validation = False

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


# --------------------------------------------------------------------------------------------
# TabNet
# --------------------------------------------------------------------------------------------


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


class TabNetBaseline(Baseline):
    """pytorch-tabnet ``TabNetClassifier`` / ``TabNetRegressor`` on the encoded matrix.

    * Input: the standardised, imputed, one-hot matrix (TabNet needs numeric input without NaN).
    * Architecture: library defaults (n_d = n_a = 8, n_steps = 3, gamma = 1.3, Adam lr 2e-2),
      which are the settings recommended by the authors for small/medium tabular data.
    * Batch size scaled to the data (:func:`tabnet_batch_sizes`); see there for why.
    * ``max_epochs=200`` upper bound with ``patience=20`` early stopping on the validation split;
      the best-epoch weights are restored by the library.  Validation metric: AUROC (binary),
      log-loss (multiclass), RMSE (regression).
    * Regression targets are reshaped to (n, 1) as the library requires.
    * ``device_name="cpu"`` unless ``params`` say otherwise (results then do not depend on the
      GPU type), ``seed=seed``, ``verbose=0``.  Training runs with
      ``torch.set_num_threads(n_jobs)``;
      the caller's thread count is restored afterwards.

    ``params`` keys ``max_epochs``, ``patience``, ``batch_size``, ``virtual_batch_size``,
    ``drop_last``, ``eval_metric`` go to ``fit``; ``lr`` sets the Adam learning rate; all other
    keys go to the constructor.

    Importances: ``feature_importances_`` (aggregated attention masks, computed on the training
    data by the library).
    """

    name = "tabnet"

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
            "device_name": "cpu",
            "optimizer_params": {"lr": lr},
        }
        ctor.update(params)
        threads_before = torch.get_num_threads()
        if self.n_jobs and self.n_jobs > 0:
            torch.set_num_threads(self.n_jobs)
        if self.task == "regression":
            model = tabnet.TabNetRegressor(**ctor)
            y_fit, y_val_fit = y.reshape(-1, 1), y_val.reshape(-1, 1)
        else:
            model = tabnet.TabNetClassifier(**ctor)
            y_fit, y_val_fit = y, y_val
        # verbose=0 still prints an early-stopping line and warns that the best weights are
        # restored (which is what we want); keep both out of the experiment logs.
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Best weights from best epoch")
                model.fit(
                    X, y_fit,
                    eval_set=[(X_val, y_val_fit)],
                    eval_name=["val"],
                    num_workers=0,
                    pin_memory=False,
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
        return np.asarray(self.model_.predict(X)).ravel()

    def _raw_importances(self):
        return self.model_.feature_importances_


# --------------------------------------------------------------------------------------------
# Explainable boosting machine
# --------------------------------------------------------------------------------------------


class EBMBaseline(Baseline):
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
    _needs_validation = False

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
        X = self._prep_X(X)
        if self.task == "regression":
            return np.asarray(self.model_.predict(X), dtype=np.float64)
        return np.asarray(self.model_.decision_function(X), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Logistic / ridge regression
# --------------------------------------------------------------------------------------------


class LinearBaseline(Baseline):
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


# --------------------------------------------------------------------------------------------
# Decision tree
# --------------------------------------------------------------------------------------------


class DecisionTreeBaseline(Baseline):
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


# --------------------------------------------------------------------------------------------
# factory
# --------------------------------------------------------------------------------------------

_CLASSES: dict[str, type[Baseline]] = {
    "catboost": CatBoostBaseline,
    "random_forest": RandomForestBaseline,
    "tabnet": TabNetBaseline,
    "ebm": EBMBaseline,
    "logistic_regression": LinearBaseline,
    "decision_tree": DecisionTreeBaseline,
}

# Short aliases for the classes
CatBoost = CatBoostBaseline
RandomForest = RandomForestBaseline
TabNet = TabNetBaseline
EBM = EBMBaseline
LogisticRegressionBaseline = LinearBaseline
DecisionTree = DecisionTreeBaseline


def make_baseline(
    name: str,
    task: str,
    seed: int = 0,
    n_jobs: int = 1,
    params: dict[str, Any] | None = None,
) -> Baseline:
    """Create an unfitted baseline by name (one of :data:`BASELINES`)."""
    if name not in _CLASSES:
        raise ValueError(f"Unknown baseline {name!r}; valid names are: {', '.join(BASELINES)}.")
    return _CLASSES[name](task=task, seed=seed, n_jobs=n_jobs, params=params)
