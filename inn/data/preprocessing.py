"""Feature preprocessing fitted on the training split only."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from inn.validation import Choice, Int, plain

from .columns import decimal_years, is_datetime, is_identifier

logger = logging.getLogger("inn.data")

MISSING = "missing"
OTHER = "other"
SCALINGS = ("standard", "quantile", "none")
# The defaults of TabularPreprocessor (the estimators, which encode DataFrames with it, share
# MAX_CATEGORIES; their numeric_scaling is AUTO, see frame_scaling).
NUMERIC_SCALING = SCALINGS[0]
MAX_CATEGORIES = 20
# A column whose median exceeds this many times its spread loses its variation in float32
# (1e12 + N(0, 1) is one float32 value): unscaled, it is centred on its median in float64 before
# the cast (float32_offsets). At 1000 the cast keeps 2**13 steps per spread.
OFFSET_RATIO = 1e3
OFFSET_SAMPLE = 65536  # rows read (evenly strided) to find the columns that need an offset
# The choice of a model that may scale numeric columns itself: the frame encoder scales them only
# where the model does not, so every numeric column is scaled once.
AUTO = "auto"
NUMERIC_SCALINGS = (AUTO, *SCALINGS)


def frame_scaling(numeric_scaling: str, *, model_scales: bool) -> str:
    """The frame encoder's scaling for a model: ``numeric_scaling`` itself, or for ``"auto"``
    ``"none"`` when the model scales numeric columns itself (the networks' ``robust`` median/IQR
    scaling: a standard scaling before it would only be undone) and ``"standard"`` otherwise."""
    if numeric_scaling == AUTO:
        return "none" if model_scales else NUMERIC_SCALING
    return numeric_scaling


def _is_categorical_dtype(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not (pd.api.types.is_numeric_dtype(dtype) or is_datetime(dtype))
    )


def _holds_dates(col: pd.Series) -> bool:
    """An object/string column whose values are all dates (read as decimal years)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return False
    try:
        return decimal_years(col) is not None
    except ValueError:  # ambiguous dates: _as_float says so
        return True


def categorical_columns(X: pd.DataFrame, categorical=None) -> list:
    """``categorical`` (checked against the frame), or the columns of category/object/string/bool
    dtype when it is None (date columns are numeric: decimal years)."""
    if categorical is None:
        return [c for c in X.columns
                if _is_categorical_dtype(X[c].dtype) and not _holds_dates(X[c])]
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
    """A numeric column as float64 (dates as decimal years, see :mod:`inn.data.columns`)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    try:
        years = decimal_years(col)
    except ValueError as exc:
        raise ValueError(f"date column {name!r}: {exc}") from None
    if years is not None:
        return years.to_numpy(dtype="float64")
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
    cats = set(categorical_columns(X, categorical))
    out = {}
    for col in X.columns:
        if col in cats:
            out[col] = pd.Series(_as_strings(X[col]), index=X.index, dtype=object)
        else:
            out[col] = pd.Series(_as_float(X[col], col), index=X.index)
    frame = pd.DataFrame(out, index=X.index, columns=X.columns)
    cat_idx = [i for i, c in enumerate(X.columns) if c in cats]
    return frame, cat_idx


def float32_offsets(X: np.ndarray) -> np.ndarray:
    """Per column of ``X``, the float64 offset to subtract before a cast to float32: the median
    where it exceeds :data:`OFFSET_RATIO` times the column's spread (interquartile range, else
    standard deviation; a constant non-zero column counts), else 0."""
    rows = np.asarray(X[:: max(1, len(X) // OFFSET_SAMPLE)], dtype=np.float64)
    q25, q50, q75 = np.quantile(rows, [0.25, 0.5, 0.75], axis=0)
    spread = np.where(q75 > q25, q75 - q25, rows.std(axis=0))
    return np.where(np.abs(q50) > OFFSET_RATIO * spread, q50, 0.0)


def network_frame_encoder(X: pd.DataFrame, params: dict) -> TabularPreprocessor:
    """The fitted encoder of a network estimator's DataFrame ``X``, from the estimator's
    parameters ``params``: the ``categorical`` columns join those found by dtype, and numeric
    columns are scaled by the network (``robust``) or here (:func:`frame_scaling`), not twice."""
    categorical = None  # by dtype
    if params.get("categorical") is not None:
        named = list(params["categorical"])
        categorical = named + [c for c in categorical_columns(X) if c not in named]
    scaling = frame_scaling(params["numeric_scaling"], model_scales=bool(params["robust"]))
    return TabularPreprocessor(categorical=categorical, numeric_scaling=scaling,
                               max_categories=params["max_categories"]).fit(X)


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Median-impute + scale numeric columns, one-hot encode categorical columns.

    Parameters
    ----------
    categorical : list of column names, optional
        Categorical columns; by default those with category/object/string/bool dtype.
    numeric_scaling : "standard" | "quantile" | "none"
        ``StandardScaler`` or ``QuantileTransformer(output_distribution="normal")`` after
        median imputation, or ``"none"``: no scaling, for a model that scales numeric columns
        itself (the networks' ``robust``); the columns stay in their units, and only one whose
        median swamps its spread (1e9 + a count) is centred on it in float64
        (:func:`float32_offsets`, ``offsets_``), so the float32 output keeps its resolution.
    max_categories : int
        At most this many one-hot columns per categorical feature: the ``max_categories - 1``
        most frequent training categories are kept and the rest grouped as ``"other"``.

    Missing categorical values are the category ``"missing"``. Categories unseen in training
    give all-zero one-hot columns at transform. Columns constant in the training data are
    dropped (logged), and so are identifier columns: categorical ones with a different value in
    each of more than ``max_categories`` training rows (``identifier_features_``, logged). Date
    columns (datetime dtype, or texts that are all dates) are numeric: decimal years (logged).
    ``transform`` returns float32 without NaN.

    Fitted attributes: ``feature_names_out_`` (e.g. ``"checking_status=A11"``), ``feature_map_``
    (original feature of each output column), ``original_features_`` (kept original features,
    in order), ``dropped_features_``, ``feature_names_in_``, ``n_features_in_``.
    """

    def __init__(self, categorical=None, numeric_scaling=NUMERIC_SCALING,
                 max_categories=MAX_CATEGORIES):
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
        cats = set(categorical_columns(X, self.categorical))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]

        numeric_cols, numeric_blocks, categories, dropped = [], [], {}, []
        identifiers, dates = [], []
        for col in X.columns:
            if col in cats:
                if is_identifier(X[col], self.max_categories):
                    identifiers.append(col)
                    continue
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
                if not pd.api.types.is_numeric_dtype(X[col].dtype):
                    dates.append(str(col))
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
        if identifiers:
            logger.info("preprocessor: dropped identifier columns %s (a different text in each "
                        "training row: nothing to learn from)", [str(c) for c in identifiers])
        if dates:
            logger.info("preprocessor: date columns %s read as decimal years (2021.5 = noon of 2 "
                        "July 2021)", dates)
        self.dropped_features_ = [str(c) for c in dropped]
        self.identifier_features_ = [str(c) for c in identifiers]

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
            elif self.numeric_scaling == "quantile":
                self.scaler_ = QuantileTransformer(
                    output_distribution="normal", n_quantiles=min(1000, len(block)),
                    random_state=0,
                ).fit(block)
            else:  # "none": no scaler, an offset where float32 needs one
                self.scaler_ = None
                self.offsets_ = float32_offsets(block)
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

        self._finish(list(X.columns))
        return self

    def _finish(self, columns: list) -> None:
        """The output layout (names, feature map, aggregation) from the fitted columns."""
        names, fmap, originals = [], [], []
        for col in columns:
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
        self._output_columns = columns
        # indicator (n_out, n_original) for aggregate()
        index = {name: i for i, name in enumerate(originals)}
        agg = np.zeros((len(names), len(originals)))
        agg[np.arange(len(names)), [index[f] for f in fmap]] = 1.0
        self.aggregation_matrix_ = agg

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
            scaled = (block - self.offsets_ if self.scaler_ is None else
                      self.scaler_.transform(block))  # fmt: skip
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
        values = block + self.offsets_ if self.scaler_ is None else \
            self.scaler_.inverse_transform(block)  # fmt: skip
        return pd.DataFrame(values, columns=numeric)

    def reference_values(self, encoded) -> pd.Series:
        """One encoded row (e.g. INN's reference point, the training mean of the encoded rows)
        per original feature in original units: numeric features with the scaling undone (for
        standard scaling the mean of the median-imputed training column), categorical features
        as the mix of categories their one-hot columns hold, e.g. ``"mix (rent 48%, owner 35%,
        …)"``."""
        check_is_fitted(self, "feature_names_out_")
        row = np.asarray(encoded, dtype=np.float64).reshape(-1)
        numeric = self.numeric_values(row[None, :])
        out = {}
        pos = 0
        for col in self._output_columns:
            if col in self.numeric_features_:
                out[str(col)] = float(numeric[str(col)].iloc[0])
                pos += 1
            elif col in self.categories_:
                levels = self.categories_[col]
                shares = row[pos : pos + len(levels)]
                pos += len(levels)
                top = np.argsort(-shares, kind="stable")
                parts = [f"{levels[j]} {shares[j]:.0%}" for j in top[:2]]
                more = ", …" if len(levels) > 2 else ""
                out[str(col)] = f"mix ({', '.join(parts)}{more})"
        return pd.Series(out, dtype=object)

    # ---------------------------------------------------------------------------- save / load
    def get_state(self) -> dict:
        """The fitted state as plain JSON types (:meth:`from_state` rebuilds it exactly)."""
        check_is_fitted(self, "feature_names_out_")
        scaler = None
        if isinstance(self.scaler_, StandardScaler):
            scaler = {"kind": "standard", "mean": self.scaler_.mean_.tolist(),
                      "scale": self.scaler_.scale_.tolist(), "var": self.scaler_.var_.tolist(),
                      "n_samples_seen": int(np.max(self.scaler_.n_samples_seen_))}
        elif self.scaler_ is not None:
            scaler = {"kind": "quantile", "quantiles": self.scaler_.quantiles_.tolist(),
                      "references": self.scaler_.references_.tolist(),
                      "n_quantiles": int(self.scaler_.n_quantiles)}
        return {
            "params": plain(self.get_params()),
            "columns": plain(list(self.feature_names_in_)),
            "numeric_features": plain(list(self.numeric_features_)),
            "dropped_features": list(self.dropped_features_),
            "identifier_features": list(self.identifier_features_),
            "medians": self.medians_.tolist(),
            "scaler": scaler,
            **({"offsets": self.offsets_.tolist()}
               if self.scaler_ is None and hasattr(self, "offsets_") else {}),
            "categorical_features": [
                [plain(col), list(self.categories_[col]), bool(self.category_index_[col][1]),
                 sorted(self.category_index_[col][2])]
                for col in self.categorical_features_
            ],
        }  # fmt: skip

    @classmethod
    def from_state(cls, state: dict) -> TabularPreprocessor:
        """A fitted preprocessor from :meth:`get_state`'s output."""
        pre = cls(**state["params"])
        columns = list(state["columns"])
        pre.feature_names_in_ = np.asarray(columns, dtype=object)
        pre.n_features_in_ = len(columns)
        pre.dropped_features_ = list(state["dropped_features"])
        pre.identifier_features_ = list(state.get("identifier_features", []))
        pre.numeric_features_ = list(state["numeric_features"])
        pre.medians_ = np.asarray(state["medians"], dtype=np.float64)
        pre.scaler_ = _scaler_from_state(state["scaler"], len(pre.numeric_features_))
        if "offsets" in state:
            pre.offsets_ = np.asarray(state["offsets"], dtype=np.float64)
        pre.categories_, pre.category_index_ = {}, {}
        for col, levels, grouped, seen in state["categorical_features"]:
            pre.categories_[col] = list(levels)
            pre.category_index_[col] = ({lvl: i for i, lvl in enumerate(levels)}, grouped,
                                        set(seen))  # fmt: skip
        pre.categorical_features_ = [c for c in columns if c in pre.categories_]
        pre._finish(columns)
        return pre

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


def _scaler_from_state(state: dict | None, n_features: int):
    if state is None:
        return None
    if state["kind"] == "standard":
        scaler = StandardScaler()
        scaler.mean_ = np.asarray(state["mean"], dtype=np.float64)
        scaler.scale_ = np.asarray(state["scale"], dtype=np.float64)
        scaler.var_ = np.asarray(state["var"], dtype=np.float64)
        scaler.n_samples_seen_ = state["n_samples_seen"]
    else:
        scaler = QuantileTransformer(output_distribution="normal",
                                     n_quantiles=state["n_quantiles"], random_state=0)
        scaler.quantiles_ = np.asarray(state["quantiles"], dtype=np.float64)
        scaler.references_ = np.asarray(state["references"], dtype=np.float64)
        scaler.n_quantiles_ = len(scaler.references_)
    scaler.n_features_in_ = n_features
    return scaler


def categories_seen(col: pd.Series) -> np.ndarray:
    """Distinct string values (with missing as ``"missing"``) of a column."""
    return np.unique(_as_strings(col))
