"""The dataset: a feature frame, one target, the categorical columns and the task.

Every source (store, scikit-learn, OpenML) builds its :class:`Dataset` with
:func:`build_dataset`, which validates and normalises the raw pieces.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from inn.tasks import TASKS
from inn.validation import plain

from .columns import dates_as_years
from .store import DatasetError

logger = logging.getLogger("inn.data")


@dataclass
class Dataset:
    """A tabular dataset with a single target.

    ``X`` keeps the original column names; numeric columns are float, categorical columns are
    pandas ``category`` with string categories; missing values are NaN. ``y`` holds the raw labels
    for classification and floats for regression. Rows are indexed ``0..n-1`` so positions from
    :func:`inn.data.make_splits` index both ``X`` and ``y``.
    """

    dataset_id: str | int
    name: str
    X: pd.DataFrame
    y: pd.Series
    categorical: list[str] = field(default_factory=list)
    task: str = "binary"
    source: str = ""

    @property
    def n_classes(self) -> int:
        """Number of distinct target labels; 0 for regression."""
        if self.task == "regression":
            return 0
        return int(self.y.nunique(dropna=True))

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def __repr__(self) -> str:
        return (
            f"Dataset(id={self.dataset_id!r}, name={self.name!r}, task={self.task}, "
            f"rows={len(self.X)}, features={self.X.shape[1]}, "
            f"categorical={len(self.categorical)}, source={self.source!r})"
        )


def _as_category(col: pd.Series) -> pd.Series:
    """String-valued pandas category with NaN for missing."""
    mask = col.isna()
    values = col.astype(object).where(~mask, None)
    as_str = [None if m else str(v) for v, m in zip(values, mask, strict=True)]
    return pd.Series(pd.Categorical(as_str), index=col.index, name=col.name)


def build_dataset(
    dataset_id: str | int,
    name: str,
    X: pd.DataFrame,
    y: pd.Series,
    categorical: list[str],
    task: str | None,
    source: str,
) -> Dataset:
    """Validate and normalise raw pieces into a :class:`Dataset` (used by every source).

    ``task=None`` infers it from the target (category/object/bool -> classification by number of
    classes, numeric -> regression). Raises :class:`DatasetError` on an empty frame, duplicate
    column names, an entirely missing column, a non-numeric regression target or a target with a
    single class. Rows with a missing target are dropped with a log line.
    """
    label = f"dataset {dataset_id!r} ({name})"
    if not isinstance(X, pd.DataFrame):
        raise DatasetError(f"{label}: features are a {type(X).__name__}, not a DataFrame")
    y = pd.Series(y) if not isinstance(y, pd.Series) else y
    dupes = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
    if dupes:
        raise DatasetError(f"{label}: duplicate column names {dupes}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DatasetError(f"{label}: empty frame ({X.shape[0]} rows, {X.shape[1]} columns)")
    if len(y) != len(X):
        raise DatasetError(f"{label}: {len(X)} feature rows but {len(y)} target values")
    if task is not None and task not in TASKS:
        raise DatasetError(f"{label}: task {task!r} is not one of {TASKS}")
    unknown = [c for c in categorical if c not in X.columns]
    if unknown:
        raise DatasetError(f"{label}: categorical columns {unknown} are not feature columns")

    X = X.reset_index(drop=True)
    y = y.reset_index(drop=True)
    y.name = y.name if y.name is not None else "target"

    missing_y = y.isna().to_numpy()
    if missing_y.all():
        raise DatasetError(f"{label}: the target is missing in every row")
    if missing_y.any():
        logger.info(
            "%s: dropped %d of %d rows because their target %r is missing",
            label, int(missing_y.sum()), len(y), y.name,
        )
        X = X.loc[~missing_y].reset_index(drop=True)
        y = y.loc[~missing_y].reset_index(drop=True)

    all_missing = [str(c) for c in X.columns if X[c].isna().all()]
    if all_missing:
        raise DatasetError(f"{label}: columns entirely missing: {all_missing}")

    categorical = [c for c in X.columns if c in set(categorical)]
    columns, dates = {}, []
    for col in X.columns:
        s = X[col]
        if col in categorical:
            columns[col] = _as_category(s)
            continue
        if pd.api.types.is_bool_dtype(s.dtype):
            s = s.astype("float64")
        if pd.api.types.is_numeric_dtype(s.dtype):
            columns[col] = s.astype("float64")
            continue
        # dates become numbers one can read back, not nanoseconds or one-hot categories
        years = dates_as_years(s, f"{label}: column {str(col)!r}")
        if years is not None:
            columns[col] = years
            dates.append(str(col))
            continue
        converted = pd.to_numeric(s, errors="coerce")
        if converted.isna().sum() == s.isna().sum():
            columns[col] = converted.astype("float64")
        else:
            logger.info("%s: non-numeric column %r treated as categorical", label, col)
            categorical.append(col)
            columns[col] = _as_category(s)
    X = pd.DataFrame(columns, index=X.index)
    categorical = [c for c in X.columns if c in set(categorical)]
    if dates:
        logger.info("%s: date columns %s read as decimal years (2021.5 = noon of 2 July 2021)",
                    label, dates)

    if task is None:
        task = infer_task(y)
    if task == "regression":
        if isinstance(y.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(y.dtype):
            converted = pd.to_numeric(y.astype(object), errors="coerce")
            if converted.isna().any():
                raise DatasetError(f"{label}: regression target {y.name!r} is not numeric")
            y = converted
        y = y.astype("float64")
        if y.nunique() < 2:
            raise DatasetError(f"{label}: regression target {y.name!r} is constant")
    else:
        if isinstance(y.dtype, pd.CategoricalDtype):
            y = y.astype(y.cat.categories.dtype)
        n_classes = int(y.nunique())
        if n_classes < 2:
            raise DatasetError(
                f"{label}: target {y.name!r} has a single class {plain(y.iloc[0])!r}"
            )
        if task == "binary" and n_classes != 2:
            raise DatasetError(f"{label}: task is binary but the target has {n_classes} classes")
        if task == "multiclass" and n_classes < 3:
            raise DatasetError(f"{label}: task is multiclass but the target has 2 classes")
    return Dataset(
        dataset_id=dataset_id, name=str(name), X=X, y=y, categorical=categorical, task=task,
        source=source,
    )


def infer_task(y: pd.Series) -> str:
    """binary/multiclass for category/object/bool/string targets, regression for numeric ones."""
    dtype = y.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    ):
        return "binary" if y.nunique(dropna=True) == 2 else "multiclass"
    return "regression"
