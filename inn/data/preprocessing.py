"""Feature preprocessing fitted on the training split only."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from inn.validation import Choice, Int

logger = logging.getLogger("inn.data")

MISSING = "missing"
OTHER = "other"
SCALINGS = ("standard", "quantile")


def _is_categorical_dtype(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    )


def _categorical_columns(X: pd.DataFrame, categorical) -> list:
    if categorical is None:
        return [c for c in X.columns if _is_categorical_dtype(X[c].dtype)]
    absent = [c for c in categorical if c not in X.columns]
    if absent:
        raise ValueError(f"categorical columns {absent} are not in the frame")
    wanted = set(categorical)
    return [c for c in X.columns if c in wanted]


def _as_strings(col: pd.Series) -> np.ndarray:
    """Object array of strings; missing values become ``"missing"``."""
    mask = col.isna().to_numpy()
    values = col.astype(object).to_numpy()
    return np.array(
        [MISSING if m else str(v) for v, m in zip(values, mask, strict=True)], dtype=object
    )


def _as_float(col: pd.Series, name) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    try:
        values = pd.to_numeric(col, errors="raise").astype("float64").to_numpy()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"numeric column {name!r} holds non-numeric values: {exc}") from exc
    values = values.copy()
    values[~np.isfinite(values)] = np.nan  # +-inf is treated as missing
    return values


def raw_frame(X: pd.DataFrame, categorical=None) -> tuple[pd.DataFrame, list[int]]:
    """Frame for models that take categoricals natively (CatBoost, EBM).

    Categorical columns (``categorical``, or by dtype when ``None``) become ``str`` with missing
    values as ``"missing"``; all other columns become float with NaN kept. Returns the frame
    (same column order and index) and the positions of the categorical columns.
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"raw_frame needs a DataFrame, got {type(X).__name__}")
    cats = set(_categorical_columns(X, categorical))
    out = {}
    for col in X.columns:
        if col in cats:
            out[col] = pd.Series(_as_strings(X[col]), index=X.index, dtype=object)
        else:
            out[col] = pd.Series(_as_float(X[col], col), index=X.index)
    frame = pd.DataFrame(out, index=X.index, columns=X.columns)
    cat_idx = [i for i, c in enumerate(X.columns) if c in cats]
    return frame, cat_idx


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Median-impute + scale numeric columns, one-hot encode categorical columns.

    Parameters
    ----------
    categorical : list of column names, optional
        Categorical columns; by default those with category/object/string/bool dtype.
    numeric_scaling : "standard" | "quantile"
        ``StandardScaler`` or ``QuantileTransformer(output_distribution="normal")`` after
        median imputation.
    max_categories : int
        At most this many one-hot columns per categorical feature: the ``max_categories - 1``
        most frequent training categories are kept and the rest grouped as ``"other"``.

    Missing categorical values are the category ``"missing"``. Categories unseen in training
    give all-zero one-hot columns at transform. Columns constant in the training data are
    dropped (logged). ``transform`` returns float32 without NaN.

    Fitted attributes: ``feature_names_out_`` (e.g. ``"checking_status=A11"``), ``feature_map_``
    (original feature of each output column), ``original_features_`` (kept original features,
    in order), ``dropped_features_``, ``feature_names_in_``, ``n_features_in_``.
    """

    def __init__(self, categorical=None, numeric_scaling="standard", max_categories=20):
        self.categorical = categorical
        self.numeric_scaling = numeric_scaling
        self.max_categories = max_categories

    # ----------------------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        X = self._to_frame(X)
        Choice(SCALINGS).check("numeric_scaling", self.numeric_scaling)
        Int(2).check("max_categories", self.max_categories)
        if self.categorical is not None and (
                isinstance(self.categorical, str) or not hasattr(self.categorical, "__iter__")):
            raise ValueError(f"categorical must be a list of column names or None, got "
                             f"{self.categorical!r}")
        if len(X) == 0:
            raise ValueError("cannot fit on an empty frame")
        dupes = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
        if dupes:
            raise ValueError(f"duplicate column names {dupes}")
        cats = set(_categorical_columns(X, self.categorical))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]

        numeric_cols, numeric_blocks, categories, dropped = [], [], {}, []
        for col in X.columns:
            if col in cats:
                values = _as_strings(X[col])
                counts = pd.Series(values).value_counts()
                if len(counts) <= 1:
                    dropped.append(col)
                    continue
                # most frequent first, ties broken by name for determinism
                order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                if len(order) > self.max_categories:
                    kept = [k for k, _ in order[: int(self.max_categories) - 1]]
                    categories[col] = (kept, True)
                else:
                    categories[col] = ([k for k, _ in order], False)
            else:
                values = _as_float(X[col], col)
                finite = values[~np.isnan(values)]
                if finite.size == 0 or np.all(finite == finite[0]):
                    dropped.append(col)
                    continue
                numeric_cols.append(col)
                numeric_blocks.append(values)
        if dropped:
            logger.info("preprocessor: dropped constant training columns %s", [
                str(c) for c in dropped
            ])
        self.dropped_features_ = [str(c) for c in dropped]

        self.numeric_features_ = numeric_cols
        self.categorical_features_ = [c for c in X.columns if c in categories]
        if numeric_cols:
            block = np.column_stack(numeric_blocks)
            self.medians_ = np.nanmedian(block, axis=0)
            block = np.where(np.isnan(block), self.medians_, block)
            if self.numeric_scaling == "standard":
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    self.scaler_ = StandardScaler().fit(block)
                finite = np.isfinite(self.scaler_.mean_) & np.isfinite(self.scaler_.scale_)
                if not finite.all():  # the variance overflows float64 beyond |x| ~ 1e154
                    cols = [str(c) for c, ok in zip(numeric_cols, finite, strict=True) if not ok]
                    raise ValueError(
                        f"numeric columns {cols} are too large to standardise (|x| up to "
                        f"{np.abs(block[:, ~finite]).max():.3g}); rescale them or use "
                        "numeric_scaling='quantile'")
            else:
                self.scaler_ = QuantileTransformer(
                    output_distribution="normal", n_quantiles=min(1000, len(block)),
                    random_state=0,
                ).fit(block)
        else:
            self.medians_ = np.zeros(0)
            self.scaler_ = None
        self.categories_ = {}
        self.category_index_ = {}
        for col in self.categorical_features_:
            kept, grouped = categories[col]
            levels = [*kept, OTHER] if grouped and OTHER not in kept else list(kept)
            self.categories_[col] = levels
            self.category_index_[col] = (
                {lvl: i for i, lvl in enumerate(levels)}, grouped, set(categories_seen(X[col]))
            )

        names, fmap, originals = [], [], []
        for col in X.columns:
            if col in self.numeric_features_:
                names.append(str(col))
                fmap.append(str(col))
                originals.append(str(col))
            elif col in self.categories_:
                for lvl in self.categories_[col]:
                    names.append(f"{col}={lvl}")
                    fmap.append(str(col))
                originals.append(str(col))
        if not names:
            raise ValueError("no features left after dropping constant columns")
        self.feature_names_out_ = names
        self.feature_map_ = fmap
        self.original_features_ = originals
        self._output_columns = list(X.columns)
        # indicator (n_out, n_original) for aggregate()
        index = {name: i for i, name in enumerate(originals)}
        agg = np.zeros((len(names), len(originals)))
        agg[np.arange(len(names)), [index[f] for f in fmap]] = 1.0
        self.aggregation_matrix_ = agg
        return self

    # ----------------------------------------------------------------------------- transform
    def transform(self, X):
        check_is_fitted(self, "feature_names_out_")
        X = self._to_frame(X)
        expected = [c for c in self.feature_names_in_]
        present = set(X.columns)
        missing = [str(c) for c in expected if c not in present]
        extra = [str(c) for c in X.columns if c not in set(expected)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing columns {missing}")
            if extra:
                parts.append(f"unexpected columns {extra}")
            raise ValueError("preprocessor: " + "; ".join(parts))

        n = len(X)
        out = np.zeros((n, len(self.feature_names_out_)), dtype=np.float32)
        if self.numeric_features_:
            block = np.column_stack([_as_float(X[c], c) for c in self.numeric_features_])
            block = np.where(np.isnan(block), self.medians_, block)
            scaled = self.scaler_.transform(block)
        pos = 0
        num_i = 0
        for col in self._output_columns:
            if col in self.category_index_:
                index, grouped, seen = self.category_index_[col]
                values = _as_strings(X[col])
                cols = np.full(n, -1, dtype=np.int64)
                for r, v in enumerate(values):
                    j = index.get(v)
                    if j is None and grouped and v in seen:
                        j = index[OTHER]  # rare training category
                    if j is not None:
                        cols[r] = j
                hit = cols >= 0
                out[np.flatnonzero(hit), pos + cols[hit]] = 1.0
                pos += len(index)
            elif col in self.numeric_features_:
                out[:, pos] = scaled[:, num_i]
                num_i += 1
                pos += 1
        bad = ~np.isfinite(out)
        if bad.any():  # numeric values so far outside the training range that float32 overflows
            cols = [self.feature_names_out_[j] for j in np.flatnonzero(bad.any(axis=0))]
            raise ValueError(f"preprocessor: columns {cols} scale to values beyond float32's "
                             f"range in {int(bad.any(axis=1).sum())} row(s); these values are far "
                             "outside the training data's range")
        return out

    def numeric_values(self, encoded) -> pd.DataFrame:
        """The numeric features of encoded rows ``(n, n_out)`` in their original units (the
        scaling undone; a value that was imputed stays the median)."""
        check_is_fitted(self, "feature_names_out_")
        numeric = [str(c) for c in self.numeric_features_]
        if not numeric:
            return pd.DataFrame(index=range(len(np.atleast_2d(encoded))))
        wanted = set(numeric)
        positions = [i for i, f in enumerate(self.feature_map_) if f in wanted]
        block = np.atleast_2d(np.asarray(encoded, dtype=np.float64))[:, positions]
        return pd.DataFrame(self.scaler_.inverse_transform(block), columns=numeric)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)

    def aggregate(self, values: np.ndarray) -> np.ndarray:
        """Sum the last axis over output columns of the same original feature.

        ``values[..., len(feature_names_out_)]`` -> ``[..., len(original_features_)]``; works for
        any number of leading axes (e.g. attributions per sample, or per sample and class).
        """
        check_is_fitted(self, "feature_names_out_")
        values = np.asarray(values)
        if values.ndim == 0 or values.shape[-1] != len(self.feature_names_out_):
            raise ValueError(
                f"last axis must have {len(self.feature_names_out_)} entries, "
                f"got shape {values.shape}"
            )
        return values @ self.aggregation_matrix_

    # -------------------------------------------------------------------------------- helpers
    @staticmethod
    def _to_frame(X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        raise TypeError(f"TabularPreprocessor needs a pandas DataFrame, got {type(X).__name__}")


def categories_seen(col: pd.Series) -> np.ndarray:
    """Distinct string values (with missing as ``"missing"``) of a column."""
    return np.unique(_as_strings(col))
