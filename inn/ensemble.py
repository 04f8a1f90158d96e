"""Cross-fitted ensembles of INNs, whose explanations stay exact, and of the black-box twin.

An ensemble is trained by **cross-fitting**: the rows given to ``fit`` (the training rows and,
when given, the validation rows together) are split into ``n_folds`` folds (stratified for
classification, seeded from ``random_state``); member ``j`` trains on the other folds and
early-stops on fold ``j``. Every row thus trains ``n_folds - 1`` members and is held out by
exactly one; no row serves only for validation.

The ensemble predicts with the mean of the members' logits (classification: the probability is
the sigmoid or softmax of the mean logit) or of their predictions (regression). Because each
INN member is a linear model per row, ``f_m(x) = sum_i c_mi(x) + b_m(x)``, the mean is one too:
the ensemble's contribution of feature ``i`` is the mean of the members' contributions and its
bias the mean of their biases, and these add up to the ensemble's output exactly (to float
precision). Averaging probabilities instead of logits would lose this.

Preprocessing of a DataFrame happens **once**, on all the rows given to ``fit``: one
:class:`inn.data.TabularPreprocessor` (imputation medians, categories) encodes the
frame, and every member trains on the encoded matrix. Its statistics use no target, so the
held-out fold leaks nothing into early stopping; and all members share one column layout, so
their contributions, weights and importances line up column by column (per encoded column as
well as per column of the frame). Each member still fits the statistics inside the network (its
bin edges and robust scaling) on its own training rows, as a single INN fits them on the rows
given to it, but every member's reference point r is the mean of all the rows: the members
explain from one r, so the ensemble's bias is its output at r, as a single INN's is. Every
member stays exact, so their mean is.

Members are independent fits, run in ``min(n_jobs, n_folds)`` processes at once (joblib);
member seeds derive from ``random_state``, so the same seed gives the same ensemble for any
``n_jobs`` (each member runs with one torch thread whenever more than one process runs, and
with its own ``n_jobs`` when the members train one after another; with the estimators' default
``n_jobs=1`` the two are the same).
"""

from __future__ import annotations

import copy
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from inn.data.preprocessing import TabularPreprocessor, network_frame_encoder
from inn.explanation import Explanation, bias_share, described_features
from inn.threads import resolve_threads
from inn.validation import Int, check_random_state, plain

N_FOLDS = 5  # the default number of folds, hence of members
META_FILE, MANIFEST_FILE = "meta.json", "manifest.json"
ENSEMBLE_FORMAT = 1


# ---- the plan: folds and seeds -----------------------------------------------------------------
def cross_fit_plan(y, n_folds: int, seed: int, *, stratify: bool) -> tuple[np.ndarray, list[int]]:
    """The fold of every row and the seed of every member, both drawn from ``seed``.

    ``stratify`` (classification): every class is spread over the folds in proportion, and a
    class with fewer rows than folds is a ValueError (every fold must hold every class, so that
    each member trains on all classes and early-stops on all of them). Regression folds are a
    shuffled :class:`~sklearn.model_selection.KFold`.

    Returns ``(folds, seeds)``: ``folds[r]`` is the fold (the one member that holds row ``r``
    out), ``seeds[j]`` member ``j``'s ``random_state``. The same ``seed`` gives the same plan, so
    the cross-fitted INN, TabResNet and CatBoost of one run share their folds and seeds.
    """
    Int(2).check("n_folds", n_folds)
    y = np.asarray(y)
    n = len(y)
    if n_folds > n:
        raise ValueError(f"n_folds={n_folds} exceeds the {n} rows given to fit")
    fold_seed, *seeds = (int(s) for s in np.random.SeedSequence(seed).generate_state(n_folds + 1))
    if stratify:
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < n_folds:
            small = {plain(labels[i]): int(counts[i]) for i in np.flatnonzero(counts < n_folds)}
            fewest = int(counts.min())
            raise ValueError(
                f"n_folds={n_folds} exceeds the rows of the classes {small} (class: rows): "
                "cross-fitting needs every class in every fold, so that each member trains and "
                "early-stops on all classes; "
                + (f"use n_folds <= {fewest}, or " if fewest >= 2 else "")
                + "drop or merge the rare classes")
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=fold_seed)
    else:
        splitter = KFold(n_splits=n_folds, shuffle=True, random_state=fold_seed)
    folds = np.empty(n, dtype=np.int64)
    for j, (_, held) in enumerate(splitter.split(np.zeros((n, 1)), y if stratify else None)):
        folds[held] = j
    return folds, seeds


def _fit_member(member, X, y, train: np.ndarray, held: np.ndarray):
    """Fit one member on the rows ``train``, early-stopping on ``held`` (run in a worker when
    members train in parallel); an INN member measures its contributions from the mean of all
    the rows, as every other member does. Returns the member, its fit time and the warnings it
    raised."""
    start = time.perf_counter()
    reference = {"reference_rows": X} if member._interpretable else {}
    with warnings.catch_warnings(record=True) as caught:
        member.fit(X[train], y[train], X_val=X[held], y_val=y[held], **reference)
    return member, time.perf_counter() - start, [(w.category, str(w.message)) for w in caught]


def _check_n_jobs(n_jobs) -> None:
    if not (n_jobs is None or (isinstance(n_jobs, (int, np.integer))
                               and not isinstance(n_jobs, bool) and n_jobs != 0)):
        raise ValueError(f"n_jobs must be None, a positive count or a negative one (-1 = every "
                         f"core), not {n_jobs!r}")


# ---- the estimators ----------------------------------------------------------------------------
class _CrossFitEnsemble(BaseEstimator):
    """Fit, prediction input and persistence shared by the ensembles; subclasses name the member
    class and add the task's outputs."""

    _member_class = ""  # the class in inn.estimators the members are (or subclass)

    def __init__(self, estimator=None, *, n_folds: int = N_FOLDS, n_jobs: int | None = None,
                 random_state=None) -> None:
        self.estimator = estimator
        self.n_folds = n_folds
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ---- settings -----------------------------------------------------------------------------
    def _template(self):
        """The unfitted member: ``estimator``, or the member class with its defaults."""
        from inn import estimators

        cls = getattr(estimators, self._member_class)
        if self.estimator is None:
            return cls()
        if not isinstance(self.estimator, cls):
            raise ValueError(f"{type(self).__name__} takes an unfitted {cls.__name__} as "
                             f"estimator, got {type(self.estimator).__name__}")
        return self.estimator

    def _check_settings(self):
        Int(2).check("n_folds", self.n_folds)
        _check_n_jobs(self.n_jobs)
        template = self._template()
        template._check_params()  # the member's own checks, before any work
        return template

    # ---- fit ----------------------------------------------------------------------------------
    def fit(self, X, y, *, X_val=None, y_val=None):
        """Cross-fit ``n_folds`` members on the rows of ``X`` and ``X_val`` together.

        Args:
            X: numeric array-like ``(n, d)``, or a pandas DataFrame (encoded once by
                ``preprocessor_``, fitted on all the rows given here).
            y: targets.
            X_val, y_val: optional further rows (e.g. a validation split). They are not kept
                for validation only: they join ``X`` and ``y`` before the folds are drawn.
        """
        template = self._check_settings()
        seed = check_random_state("random_state", self.random_state)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (validation rows and their "
                             f"targets); got only {'X_val' if y_val is None else 'y_val'}")
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        X, y = self._join(X, y, X_val, y_val)
        X_enc = self._fit_input(X, template)
        if len(X_enc) < 2 * self.n_folds:
            n = len(X_enc)
            raise ValueError(f"got {n} sample{'' if n == 1 else 's'} for n_folds={self.n_folds}: "
                             "every member needs at least 2 training rows and every fold one")
        classification = self._fit_target(y)
        folds, seeds = cross_fit_plan(y, self.n_folds, seed, stratify=classification)
        workers = min(resolve_threads(self.n_jobs), self.n_folds)
        threads = {"n_jobs": 1} if workers > 1 else {}  # one torch thread per parallel member
        jobs = [(clone(template).set_params(random_state=s, **threads), X_enc, y,
                 np.flatnonzero(folds != j), np.flatnonzero(folds == j))
                for j, s in enumerate(seeds)]  # fmt: skip
        if workers == 1:
            done = [_fit_member(*job) for job in jobs]
        else:
            from joblib import Parallel, delayed

            done = Parallel(n_jobs=workers)(delayed(_fit_member)(*job) for job in jobs)
        self.estimators_ = [member for member, _, _ in done]
        self.member_fit_times_ = [float(t) for _, t, _ in done]
        self.member_seeds_ = seeds
        self.folds_ = folds
        self.n_processes_ = workers
        self._reemit([w for _, _, w in done])
        self._check_members()
        self._after_fit(X_enc)
        return self

    @staticmethod
    def _join(X, y, X_val, y_val):
        """``X`` with ``X_val`` below it (a frame keeps its columns), ``y`` with ``y_val``."""
        y = _as_1d(y)
        check_consistent_length(X, y)
        if X_val is None:
            return X, y
        y_val = _as_1d(y_val)
        check_consistent_length(X_val, y_val)
        if isinstance(X, pd.DataFrame):
            if not isinstance(X_val, pd.DataFrame):
                X_val = pd.DataFrame(np.asarray(X_val, dtype=object),
                                     columns=X.columns).infer_objects()  # fmt: skip
            elif set(X_val.columns) != set(X.columns):
                raise ValueError(f"X_val has the columns {list(X_val.columns)[:10]}, X has "
                                 f"{list(X.columns)[:10]}")
            X = pd.concat([X, X_val[list(X.columns)]], ignore_index=True)
        else:
            X, X_val = np.asarray(X), np.asarray(X_val)
            if X.ndim != 2 or X_val.ndim != 2 or X.shape[1] != X_val.shape[1]:
                raise ValueError(f"X_val has the shape {X_val.shape}; X has {X.shape}")
            X = np.concatenate([X, X_val])
        return X, np.concatenate([y, y_val])

    def _fit_input(self, X, template) -> np.ndarray:
        """The matrix the members train on; a frame fits ``preprocessor_`` with the member's
        encoding settings (``categorical``, ``numeric_scaling``, ``max_categories``)."""
        self.preprocessor_ = None
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)  # names, n_features_in_
            self.preprocessor_ = network_frame_encoder(X, template.get_params())
            return self.preprocessor_.transform(X)
        return self._validate_array(X, reset=True)

    def _validate_array(self, X, *, reset: bool) -> np.ndarray:
        # NaN and infinities pass here: the members refuse them with their own, fuller message
        try:
            return validate_data(self, X, reset=reset, dtype=(np.float64, np.float32),
                                 ensure_all_finite=False)  # fmt: skip
        except ValueError as err:
            if "could not convert" in str(err):
                raise ValueError(f"{type(self).__name__} needs numeric X ({err}); pass a pandas "
                                 "DataFrame to have it encoded") from err
            raise

    def _fit_target(self, y) -> bool:
        """Set ``task_`` (and ``classes_``); whether the folds are stratified by ``y``."""
        self.task_ = "regression"
        return False

    def _reemit(self, caught: list) -> None:
        """Warn once per distinct warning of the members (raised in a worker, they would be
        lost), naming the members that raised it."""
        seen: dict = {}
        for j, items in enumerate(caught):
            for category, message in items:
                seen.setdefault((category, message), []).append(j)
        for (category, message), members in seen.items():
            warnings.warn(f"{message} (ensemble members {members})", category, stacklevel=3)

    def _check_members(self) -> None:
        pass

    def _after_fit(self, X_enc: np.ndarray) -> None:
        pass

    # ---- prediction input ---------------------------------------------------------------------
    def _encode(self, X):
        """``(matrix for the members, the frame or None)``; sklearn's errors for mismatched
        column names or counts."""
        check_is_fitted(self)
        if self.preprocessor_ is None:
            return self._validate_array(X, reset=False), None
        validate_data(self, X, reset=False, skip_check_array=True)
        if not isinstance(X, pd.DataFrame):  # an array gets the fitted columns, in order
            X = pd.DataFrame(np.asarray(X, dtype=object),
                             columns=self.preprocessor_.feature_names_in_).infer_objects()
        return self.preprocessor_.transform(X), X

    def _per_column(self, values: np.ndarray, axis: int = 0) -> np.ndarray:
        """Sum ``values`` over the encoded columns of each column of the frame given to fit
        (a column dropped as constant or as an identifier gets 0); unchanged for arrays."""
        if self.preprocessor_ is None:
            return values
        where = {str(c): j for j, c in enumerate(self.preprocessor_.feature_names_in_)}
        groups = np.array([where[f] for f in self.preprocessor_.feature_map_])
        values = np.moveaxis(np.asarray(values), axis, 0)
        out = np.zeros((len(where), *values.shape[1:]), dtype=values.dtype)
        np.add.at(out, groups, values)
        return np.moveaxis(out, 0, axis)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    # ---- persistence --------------------------------------------------------------------------
    def _meta(self) -> dict:
        from inn.estimators import ESTIMATORS

        template = self._template()
        if type(template).__name__ not in ESTIMATORS:
            raise ValueError(f"cannot save an ensemble of {type(template).__name__}: only of "
                             f"{', '.join(ESTIMATORS)}")
        seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else None
        meta = {
            "class": type(self).__name__,
            "format": ENSEMBLE_FORMAT,
            "params": {"n_folds": int(self.n_folds), "n_jobs": self.n_jobs,
                       "random_state": None if seed is None else int(seed)},
            "estimator": {"class": type(template).__name__, "params": template.get_params()},
            "task": self.task_,
            "n_features_in": int(self.n_features_in_),
            "member_seeds": [int(s) for s in self.member_seeds_],
            "member_fit_times": list(self.member_fit_times_),
        }
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in"] = [str(n) for n in self.feature_names_in_]
        if self.preprocessor_ is not None:
            meta["preprocessor"] = self.preprocessor_.get_state()
        if hasattr(self, "classes_"):
            meta["classes"] = self.classes_.tolist()
            meta["classes_dtype"] = self.classes_.dtype.str
        if hasattr(self, "feature_importances_"):
            meta["feature_importances"] = self.feature_importances_.tolist()
        if hasattr(self, "bias_share_"):
            meta["bias_share"] = float(self.bias_share_)
        return meta


def _as_1d(y) -> np.ndarray:
    """``y`` as a 1-D array (a column vector with scikit-learn's DataConversionWarning)."""
    y = y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else np.asarray(y)
    return column_or_1d(y, warn=True)


def _check_labels(y: np.ndarray) -> None:
    """A ValueError for missing labels and for a mix of text and numbers (which numpy cannot
    sort, and scikit-learn calls an unknown label type)."""
    if y.dtype != object:
        return
    missing = np.flatnonzero(pd.isna(y))
    if missing.size:
        raise ValueError(f"y has {missing.size} missing label(s) (None or NaN; first at rows "
                         f"{missing[:5].tolist()}); drop those rows or give them a class")
    text = np.array([isinstance(v, str) for v in y])
    if text.any() and not text.all():
        raise ValueError(f"y mixes text and other labels ({y[text][0]!r} and "
                         f"{plain(y[~text][0])!r}); give every label the same type, e.g. "
                         "y.astype(str)")


class _Classification(ClassifierMixin):
    """The mean logit and its probabilities."""

    def _fit_target(self, y) -> bool:
        _check_labels(y)
        try:
            check_classification_targets(y)
            kind = type_of_target(y)
            encoder = LabelEncoder().fit(y)
        except TypeError as err:  # labels numpy cannot sort (None, a mix of text and numbers)
            raise ValueError(f"y has labels that cannot be ordered ({err}); give every label "
                             "the same type, and no missing ones") from None
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"unsupported target type {kind!r}")
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y has a single class ({plain(self.classes_[0])!r}); a classifier "
                             "needs at least 2")
        self.task_ = "binary" if len(self.classes_) == 2 else "multiclass"
        return True

    def _check_members(self) -> None:
        for j, member in enumerate(self.estimators_):
            if not np.array_equal(member.classes_, self.classes_):  # the folds should prevent it
                raise RuntimeError(f"member {j} learned the classes {member.classes_.tolist()}, "
                                   f"the ensemble {self.classes_.tolist()}")

    def _mean_logit(self, X_enc: np.ndarray) -> np.ndarray:
        total = None
        for member in self.estimators_:
            logit = np.asarray(member.decision_function(X_enc), dtype=np.float64)
            total = logit if total is None else total + logit
        return total / len(self.estimators_)

    def decision_function(self, X) -> np.ndarray:
        """The mean of the members' logits: ``(n,)`` for binary (of ``classes_[1]``), ``(n, k)``
        for multiclass."""
        return self._mean_logit(self._encode(X)[0])

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``: the sigmoid (binary) or softmax of the mean
        logit, not the mean of the members' probabilities."""
        logit = self.decision_function(X)
        if logit.ndim == 1:
            p = expit(logit)
            return np.column_stack([1.0 - p, p])
        return softmax(logit, axis=1)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)  # (checks that the ensemble is fitted)
        return self.classes_[np.argmax(proba, axis=1)]


class _Regression(RegressorMixin):
    def predict(self, X) -> np.ndarray:
        """The mean of the members' predictions (in target units)."""
        X_enc = self._encode(X)[0]
        total = None
        for member in self.estimators_:
            pred = np.asarray(member.predict(X_enc), dtype=np.float64)
            total = pred if total is None else total + pred
        return total / len(self.estimators_)


class _Explaining:
    """The exact explanation of an ensemble of INNs."""

    def _after_fit(self, X_enc: np.ndarray) -> None:
        importances = np.mean([m.feature_importances_ for m in self.estimators_], axis=0)
        self.feature_importances_ = self._per_column(importances)
        self.bias_share_ = bias_share(*self._mean_parts(X_enc))

    def _mean_parts(self, X_enc: np.ndarray):
        """The mean of the members' contributions (per encoded column) and biases."""
        contrib = bias = None
        for member in self.estimators_:
            expl = member.explain(X_enc, per_column=False)
            if contrib is None:
                contrib, bias = expl.contributions.copy(), expl.bias.copy()
            else:
                contrib += expl.contributions
                bias += expl.bias
        k = len(self.estimators_)
        return contrib / k, bias / k

    def explain(self, X, *, per_column: bool = True) -> Explanation:
        """Per-row contributions and bias of the ensemble: the means of its members'.

        ``contributions.sum(axis=1) + bias`` equals ``output``, which is the mean logit
        (classification; for binary the logit of ``classes_[1]``) or the mean prediction
        (regression), as :meth:`decision_function` and ``predict`` give it, to float
        precision. ``weights`` is None: each member's weights multiply its own encoding of the
        inputs, so their mean is not the ensemble's weight.

        ``reference`` is the members' common reference point, the mean of all the rows given
        to ``fit``: the contributions of a row equal to it are 0 and the bias is the ensemble's
        output there. For a model fitted on a DataFrame the features are the frame's columns
        (one-hot columns of a categorical feature add up; ``per_column=False`` explains the
        encoded columns), ``values`` are the rows as given and ``reference`` is in original
        units, as in :meth:`inn.INNClassifier.explain`.
        """
        X_enc, frame = self._encode(X)
        contrib, bias = self._mean_parts(X_enc)
        output = contrib.sum(axis=1) + bias
        grouped = frame is not None and per_column
        if grouped:
            contrib = self._per_column(contrib, axis=1)
        names, values, reference = described_features(
            self, frame, None if grouped else np.asarray(X_enc, dtype=np.float64),
            self.reference(), per_column=per_column)
        multiclass = self.task_ == "multiclass"
        return Explanation(
            contributions=contrib, bias=bias, weights=None, output=output, feature_names=names,
            class_names=list(self.classes_) if multiclass else None, values=values,
            reference=reference,
            positive_class=plain(self.classes_[1]) if self.task_ == "binary" else None,
        )

    def reference(self) -> np.ndarray:
        """The members' common reference point (encoded columns; the mean of their reference
        points, which are all the mean of the rows given to ``fit``); see :meth:`explain`."""
        check_is_fitted(self)
        return np.mean([m.reference() for m in self.estimators_], axis=0)

    def sparsity(self, X, tol: float = 0.01) -> float:
        """The mean over members of their share of per-row weights with ``|w_i(x)| < tol``
        (see :meth:`inn.INNClassifier.sparsity`)."""
        X_enc = self._encode(X)[0]
        return float(np.mean([m.sparsity(X_enc, tol) for m in self.estimators_]))


_ENSEMBLE_DOC = """

    Args:
        estimator: the unfitted member, e.g. ``{member}(nr_epochs=50)`` (default: ``{member}()``
            with its defaults). Its settings apply to every member, except ``random_state``
            (member ``j``'s seed derives from the ensemble's) and, when members train in
            parallel, ``n_jobs`` (then 1). Nested settings are reachable as in scikit-learn:
            ``set_params(estimator__nr_epochs=50)``.
        n_folds: folds, hence members (at least 2). Member ``j`` trains on the other folds and
            early-stops on fold ``j``. Classification folds are stratified; a class with fewer
            rows than ``n_folds`` is a ValueError.
        n_jobs: members trained at once, each in its own process (``min(n_jobs, n_folds)``
            processes; None or 1: one after another in this process; -1: every core). The
            result does not depend on it.
        random_state: seed of the folds and of every member (None, an int, or a numpy
            ``RandomState`` / ``Generator``, as in scikit-learn): the same seed gives the same
            ensemble.

    Fitted attributes: ``estimators_`` (the fitted members), ``folds_`` (the fold of each row
    given to fit, ``X`` then ``X_val``: the member that held it out), ``member_seeds_``,
    ``member_fit_times_`` (seconds per member), ``n_processes_``, ``task_``,
    ``n_features_in_``, ``feature_names_in_`` (DataFrames), ``preprocessor_`` (the encoder of a
    DataFrame X, fitted once on all rows; else None){extra}.
"""
_INN_EXTRA = """,
    ``feature_importances_`` (the mean of the members' importances, each the mean |contribution|
    over its own training rows; per column of X, summing to 1) and ``bias_share_`` (of the
    ensemble's explanation on all rows given to fit)"""


class INNEnsembleClassifier(_Explaining, _Classification, _CrossFitEnsemble):
    __doc__ = ("Cross-fitted ensemble of :class:`inn.INNClassifier`: the sigmoid or softmax of "
               "the mean logit, explained exactly by the mean contributions and bias."
               + _ENSEMBLE_DOC.format(member="INNClassifier", extra=_INN_EXTRA + ", ``classes_``"))
    _member_class = "INNClassifier"


class INNEnsembleRegressor(_Explaining, _Regression, _CrossFitEnsemble):
    __doc__ = ("Cross-fitted ensemble of :class:`inn.INNRegressor`: the mean prediction, "
               "explained exactly by the mean contributions and bias."
               + _ENSEMBLE_DOC.format(member="INNRegressor", extra=_INN_EXTRA))
    _member_class = "INNRegressor"


class TabResNetEnsembleClassifier(_Classification, _CrossFitEnsemble):
    __doc__ = ("Cross-fitted ensemble of :class:`inn.TabResNetClassifier` (INN's black-box "
               "twin, trained by the same protocol): the sigmoid or softmax of the mean logit."
               + _ENSEMBLE_DOC.format(member="TabResNetClassifier", extra=", ``classes_``"))
    _member_class = "TabResNetClassifier"


class TabResNetEnsembleRegressor(_Regression, _CrossFitEnsemble):
    __doc__ = ("Cross-fitted ensemble of :class:`inn.TabResNetRegressor`: the mean prediction."
               + _ENSEMBLE_DOC.format(member="TabResNetRegressor", extra=""))
    _member_class = "TabResNetRegressor"


ENSEMBLES = {cls.__name__: cls for cls in (INNEnsembleClassifier, INNEnsembleRegressor,
                                           TabResNetEnsembleClassifier,
                                           TabResNetEnsembleRegressor)}


# ---- the pipeline's encoder --------------------------------------------------------------------
def with_preprocessor(ensemble: _CrossFitEnsemble, preprocessor, classes=None):
    """An ensemble fitted on the output of a fitted :class:`inn.data.TabularPreprocessor` as one
    that takes the raw frames (and, with ``classes``, predicts the original label of each class
    code 0..k-1): what :func:`inn.estimators.with_preprocessor` is for a single network. The
    experiment pipeline saves its ensembles this way."""
    check_is_fitted(ensemble)
    if ensemble.preprocessor_ is not None:
        raise ValueError("the ensemble encodes its input already (it was fitted on a frame)")
    n_out = len(preprocessor.feature_names_out_)
    if ensemble.n_features_in_ != n_out:
        raise ValueError(f"the ensemble reads {ensemble.n_features_in_} columns, the "
                         f"preprocessor makes {n_out}")  # fmt: skip
    est = copy.copy(ensemble)
    est.estimator = clone(ensemble._template()).set_params(
        categorical=preprocessor.categorical, numeric_scaling=preprocessor.numeric_scaling,
        max_categories=preprocessor.max_categories)
    est.preprocessor_ = preprocessor
    columns = list(preprocessor.feature_names_in_)
    est.n_features_in_ = len(columns)
    if all(isinstance(c, str) for c in columns):
        est.feature_names_in_ = np.array(columns, dtype=object)
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    if hasattr(ensemble, "feature_importances_"):
        est.feature_importances_ = est._per_column(ensemble.feature_importances_)
    if classes is not None and hasattr(ensemble, "classes_"):
        est.classes_ = np.asarray(classes)[ensemble.classes_.astype(int)]
    return est


# ---- save and load -----------------------------------------------------------------------------
def save(estimator, path) -> Path:
    """Save a fitted estimator to the folder ``path``; ``inn.save`` is this function.

    A single network goes to :func:`inn.estimators.save`. An ensemble writes each member with it
    to ``member_<j>/`` (weights, metadata and their SHA-256), its own ``meta.json`` and a
    ``manifest.json`` with the SHA-256 of ``meta.json`` and of every member's manifest, so that
    :func:`load` can check every file it reads.
    """
    from inn.data.store import file_sha256
    from inn.estimators import save as save_network

    if not isinstance(estimator, _CrossFitEnsemble):
        return save_network(estimator, path)
    check_is_fitted(estimator)
    meta = estimator._meta()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    names = [f"member_{j}" for j in range(len(estimator.estimators_))]
    for name, member in zip(names, estimator.estimators_, strict=True):
        save_network(member, path / name)
    meta["members"] = names
    (path / META_FILE).write_text(json.dumps(meta, indent=2))
    files = {META_FILE: file_sha256(path / META_FILE)}
    files.update({f"{n}/{MANIFEST_FILE}": file_sha256(path / n / MANIFEST_FILE) for n in names})
    (path / MANIFEST_FILE).write_text(json.dumps({"format": ENSEMBLE_FORMAT, "files": files},
                                                 indent=2))
    return path


def load(path, device: str = "cpu"):
    """Load an estimator saved with :func:`save`; ``inn.load`` is this function.

    A folder of a single network goes to :func:`inn.estimators.load`. An ensemble's folder is
    checked before it is trusted: a file whose SHA-256 differs from the manifest's, a member
    missing or not listed there, or a ``meta.json`` that disagrees with the members is a
    ValueError naming the file (each member is checked by :func:`inn.estimators.load`).
    """
    from inn.estimators import load as load_network

    path = Path(path)
    if not _is_ensemble(path):
        return load_network(path, device)
    from inn.data.store import file_sha256

    manifest = _read_json(path / MANIFEST_FILE)
    files = manifest.get("files")
    if not isinstance(files, dict) or META_FILE not in files:
        raise ValueError(f"{path / MANIFEST_FILE}: 'files' must give the SHA-256 of {META_FILE} "
                         "and of each member's manifest")
    for name, digest in files.items():
        file = path / name
        if ".." in Path(name).parts or not file.is_file():
            raise ValueError(f"{file}: missing (listed in {MANIFEST_FILE})")
        if file_sha256(file) != digest:
            raise ValueError(f"{file}: its SHA-256 differs from the one in {MANIFEST_FILE}: the "
                             "file changed after the model was saved")
    meta = _read_json(path / META_FILE)
    try:
        members = meta["members"]
        if not isinstance(members, list) or not members:
            raise ValueError("members must be a non-empty list of folders")
        unlisted = [m for m in members if f"{m}/{MANIFEST_FILE}" not in files]
        if unlisted:
            raise ValueError(f"the members {unlisted} are not in {MANIFEST_FILE}")
        est = _ensemble_from_meta(meta, [load_network(path / m, device) for m in members],
                                  device)  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        what = f"lacks the key {err}" if isinstance(err, KeyError) else str(err)
        raise ValueError(f"{path / META_FILE}: {what}") from None
    return est


def _is_ensemble(path: Path) -> bool:
    try:
        meta = json.loads((path / META_FILE).read_text())
    except (OSError, ValueError):
        return False  # estimators.load says what is wrong
    return isinstance(meta, dict) and meta.get("class") in ENSEMBLES


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{path}: not readable JSON ({err})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: a JSON {type(value).__name__}, not an object")
    return value


def _ensemble_from_meta(meta: dict, members: list, device: str):
    from inn.estimators import ESTIMATORS

    cls = ENSEMBLES[meta["class"]]
    member_info = meta["estimator"]
    member_cls = ESTIMATORS[member_info["class"]]
    template = member_cls(**{**member_info["params"], "device": device})
    est = cls(estimator=template, **meta["params"])
    est._check_settings()
    if len(members) != est.n_folds:
        raise ValueError(f"{len(members)} members for n_folds={est.n_folds}")
    if any(type(m) is not member_cls for m in members):
        raise ValueError(f"the members must be {member_cls.__name__}, got "
                         f"{sorted({type(m).__name__ for m in members})}")
    widths = {int(m.n_features_in_) for m in members}
    tasks = {m.task_ for m in members}
    if len(widths) != 1 or tasks != {meta["task"]}:
        raise ValueError(f"the members read {sorted(widths)} columns for the tasks "
                         f"{sorted(tasks)}; the ensemble's task is {meta['task']!r}")
    est.estimators_ = members
    est.task_ = meta["task"]
    est.n_features_in_ = Int(1).check("n_features_in", meta["n_features_in"])
    names = meta.get("feature_names_in")
    if names is not None:
        if not (isinstance(names, list) and len(names) == est.n_features_in_):
            raise ValueError(f"feature_names_in must be {est.n_features_in_} names")
        est.feature_names_in_ = np.array(names, dtype=object)
    est.preprocessor_ = None
    n_inputs = widths.pop()
    if "preprocessor" in meta:
        pre = TabularPreprocessor.from_state(meta["preprocessor"])
        if len(pre.feature_names_out_) != n_inputs or pre.n_features_in_ != est.n_features_in_:
            raise ValueError(f"the preprocessor takes {pre.n_features_in_} columns and makes "
                             f"{len(pre.feature_names_out_)}; the ensemble takes "
                             f"{est.n_features_in_} and its members read {n_inputs}")
        est.preprocessor_ = pre
    elif n_inputs != est.n_features_in_:
        raise ValueError(f"the members read {n_inputs} columns, the ensemble takes "
                         f"{est.n_features_in_}, and there is no preprocessor")
    if "classes" in meta:
        est.classes_ = np.array(meta["classes"], dtype=np.dtype(meta["classes_dtype"]))
        if any(len(m.classes_) != len(est.classes_) for m in members):
            raise ValueError(f"{len(est.classes_)} classes, but members with other counts")
    if "feature_importances" in meta:
        imp = np.asarray(meta["feature_importances"], dtype=np.float64)
        if imp.shape != (est.n_features_in_,) or not np.isfinite(imp).all():
            raise ValueError(f"feature_importances must be {est.n_features_in_} finite numbers")
        est.feature_importances_ = imp
    if "bias_share" in meta:
        est.bias_share_ = float(meta["bias_share"])
    est.member_seeds_ = [int(s) for s in meta.get("member_seeds", [])]
    est.member_fit_times_ = [float(t) for t in meta.get("member_fit_times", [])]
    return est
