"""Your own table as a dataset: a CSV or parquet file and the name of its target column.

A file becomes a :class:`~inn.data.Dataset` through :func:`~inn.data.build_dataset` like every
other source, so runs, splits, preprocessing and results treat it as any store dataset; its key
(the dataset id in the results tree) is the file's stem.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .dataset import Dataset, build_dataset
from .store import DatasetError, _sha256

logger = logging.getLogger("inn.data")

READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
MODES = ("classification", "regression")
# A numeric target with at most this many distinct whole-number values is taken as class labels
# (a 0/1 column is binary, a 1..5 grade multiclass); more values, or fractions: regression.
MAX_NUMERIC_CLASSES = 10


@dataclass(frozen=True)
class DataFile:
    """A table file and its target column.

    Args:
        path: a ``.csv`` or ``.parquet`` file.
        target: the column to predict; every other column is a feature.
        mode: ``"classification"`` or ``"regression"``; ``None`` infers the task from the
            target (:func:`infer_file_task`).
    """

    path: str
    target: str
    mode: str | None = None

    @property
    def key(self) -> str:
        """The dataset id of the file in results: its stem (``data/customers.csv`` ->
        ``customers``)."""
        return Path(self.path).stem

    def record(self) -> dict:
        """What a result file keeps to find the data again: the absolute path, the target, the
        mode and the file's SHA-256."""
        path = Path(self.path).expanduser().resolve()
        return {"path": str(path), "target": self.target, "mode": self.mode,
                "sha256": _sha256(path)}


def infer_file_task(y: pd.Series) -> str:
    """binary/multiclass for a text, category or bool target, and for a numeric one with at most
    :data:`MAX_NUMERIC_CLASSES` distinct whole numbers; regression for other numeric targets."""
    values = y.dropna()
    n = int(values.nunique())
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype)
    if numeric and (n > MAX_NUMERIC_CLASSES or not (values % 1 == 0).all()):
        return "regression"
    return "binary" if n <= 2 else "multiclass"


def read_table(path: Path) -> pd.DataFrame:
    """The file as a frame; one-line :class:`DatasetError` for what cannot be read."""
    label = f"data file {str(path)!r}"
    if not path.is_file():
        raise DatasetError(f"{label}: no such file")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise DatasetError(f"{label}: unsupported file type {path.suffix!r} (use "
                           f"{', '.join(READERS)})")  # fmt: skip
    try:
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{label}: the file is empty") from None
    except Exception as exc:  # the readers raise many kinds (parser, unicode, arrow, ...)
        msg = " ".join(str(exc).split())[:300]
        raise DatasetError(f"{label}: cannot be read as {kind}: {type(exc).__name__}: "
                           f"{msg}") from exc  # fmt: skip
    if len(frame) == 0:
        raise DatasetError(f"{label}: no data rows (columns: {', '.join(map(str, frame))})")
    return frame


def load_file(spec: DataFile) -> Dataset:
    """The :class:`Dataset` of a table file (id and name: the file's stem).

    Raises :class:`DatasetError` (one line) for a missing, empty or unreadable file, an absent
    target column, a target with a single class, a non-numeric regression target and the other
    problems :func:`build_dataset` checks.
    """
    path = Path(spec.path).expanduser()
    label = f"data file {str(spec.path)!r}"
    if spec.key.isdigit():
        raise DatasetError(f"{label}: a file named by a number would share its results with "
                           f"OpenML dataset {spec.key}; rename it")  # fmt: skip
    if spec.mode is not None and spec.mode not in MODES:
        raise DatasetError(f"{label}: mode must be one of {MODES}, got {spec.mode!r}")
    frame = read_table(path)
    if spec.target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        more = ", ..." if frame.shape[1] > 20 else ""
        raise DatasetError(f"{label}: no target column {spec.target!r} (columns: {shown}{more})")
    y = frame[spec.target]
    X = frame.drop(columns=[spec.target])
    if y.notna().sum() == 0:
        raise DatasetError(f"{label}: the target {spec.target!r} is missing in every row")
    if spec.mode == "regression":
        task = "regression"
    else:
        task = infer_file_task(y)
        if spec.mode == "classification" and task == "regression":
            task = "binary" if y.nunique() <= 2 else "multiclass"
        if spec.mode is None:
            logger.info("%s: task %s inferred from the target %r (%d distinct values); "
                        "--mode overrides it", label, task, spec.target, y.nunique())  # fmt: skip
    # text columns are categorical (bool columns become 0/1 numbers in build_dataset)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    try:
        return build_dataset(spec.key, spec.key, X, y, categorical, task,
                             f"file:{path.resolve()}")  # fmt: skip
    except DatasetError as err:  # name the file rather than the dataset id
        prefix = f"dataset {spec.key!r} ({spec.key}): "
        raise DatasetError(f"{label}: {str(err).removeprefix(prefix)}") from None
