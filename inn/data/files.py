"""Your own table as a dataset: a CSV or parquet file and the name of its target column.

A file becomes a :class:`~inn.data.Dataset` through :func:`~inn.data.build_dataset` like every
other source, so runs, splits, preprocessing and results treat it as any store dataset; its key
(the dataset id in the results tree) is the file's stem, written with the characters a key may
hold (:func:`file_key`).

What a new user's file may hold is checked as it is read: a repeated column name is refused
(pandas would rename the copy ``y.1``, which can leak the target), a semicolon- or
tab-separated file is read with its separator (and decimal commas as numbers), an identifier
column (a different text in every row) and a saved row index are dropped, date columns become
decimal years (in :func:`~inn.data.build_dataset`), each with one log line.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import dates_as_years, is_identifier
from .dataset import Dataset, build_dataset
from .preprocessing import MAX_CATEGORIES
from .store import DatasetError, file_sha256

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
        ``customers``), as :func:`file_key` writes it (``my data.csv`` -> ``my_data``)."""
        return file_key(Path(self.path).stem)

    def record(self) -> dict:
        """What a result file keeps to find the data again: the absolute path, the target, the
        mode and the file's SHA-256."""
        path = Path(self.path).expanduser().resolve()
        return {"path": str(path), "target": self.target, "mode": self.mode,
                "sha256": file_sha256(path)}


def file_key(stem: str) -> str:
    """A file stem as a dataset id (letters, digits, ``_``, ``-``, ``.``): accents dropped
    (``données`` -> ``donnees``), every run of other characters (spaces, ``ß``, ``#``) one
    ``_``. Raises :class:`DatasetError` when nothing usable is left."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(c))
    key = re.sub(r"[^A-Za-z0-9_.\-]+", "_", bare).strip("_")
    if not key.strip(".") or len(key) > 200:
        raise DatasetError(f"data file name {stem!r} has no letters or digits a dataset id can "
                           "use (A-Z, a-z, 0-9, '_', '-', '.'; at most 200); rename the file")
    return key


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
    """The file as a frame; one-line :class:`DatasetError` for what cannot be read, for a path
    that is not a regular file, and for repeated column names."""
    label = f"data file {str(path)!r}"
    if not path.exists():
        raise DatasetError(f"{label}: no such file")
    if path.is_dir():
        raise DatasetError(f"{label}: is a folder, not a file")
    if not path.is_file():  # reading a FIFO would wait for a writer; a device has no table
        raise DatasetError(f"{label}: not a regular file (a pipe, socket or device); give a "
                           f"{' or '.join(READERS)} file")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise DatasetError(f"{label}: unsupported file type {path.suffix!r} (use "
                           f"{', '.join(READERS)})")  # fmt: skip
    try:
        if kind == "csv":
            sep, header = _sniff_csv(path, label)
            frame = pd.read_csv(path, sep=sep)
        else:
            frame = pd.read_parquet(path)
            header = [str(c) for c in frame.columns]
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{label}: the file is empty") from None
    except Exception as exc:  # the readers raise many kinds (parser, unicode, arrow, ...)
        msg = " ".join(str(exc).split())[:300]
        raise DatasetError(f"{label}: cannot be read as {kind}: {type(exc).__name__}: "
                           f"{msg}") from exc  # fmt: skip
    # pandas renames a repeated CSV column ('y' -> 'y.1'): a copy of the target would then be
    # a feature that predicts it perfectly
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DatasetError(f"{label}: duplicate column names {dupes}; give every column its own "
                           "name (or remove the copies)")
    if len(frame) == 0:
        raise DatasetError(f"{label}: no data rows (columns: {', '.join(map(str, frame))})")
    if kind == "csv" and sep == ";":
        frame = _decimal_commas(frame, label)
    return frame


def _sniff_csv(path: Path, label: str) -> tuple[str, list[str]]:
    """The separator (``,``; ``;`` or a tab when the header has those and no comma, as
    spreadsheets write in many locales; logged) and the header's column names as written."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise pd.errors.EmptyDataError
    sep = ","
    if "," not in first:
        counts = {";": first.count(";"), "\t": first.count("\t")}
        best = max(counts, key=counts.get)
        if counts[best]:
            sep = best
            logger.info("%s: columns separated by %r (the header has no comma)", label, sep)
    header = next(csv.reader([first], delimiter=sep))
    return sep, [h.strip("\r\n") for h in header]


_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+|[+-]?\d+")


def _decimal_commas(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Text columns of a semicolon-separated file that hold numbers with decimal commas
    (``1,5``) as numbers (logged)."""
    converted = []
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values.dtype) or not (
                pd.api.types.is_object_dtype(values.dtype)
                or pd.api.types.is_string_dtype(values.dtype)):
            continue
        text = values.dropna().astype(str).str.strip()
        if text.empty or not text.str.fullmatch(_DECIMAL_COMMA).all() \
                or not text.str.contains(",", regex=False).any():
            continue
        frame[col] = pd.to_numeric(values.astype(str).str.strip().str.replace(",", ".")
                                   .where(values.notna()))
        converted.append(str(col))
    if converted:
        logger.info("%s: decimal commas read as numbers in columns %s", label, converted)
    return frame


def load_file(spec: DataFile) -> Dataset:
    """The :class:`Dataset` of a table file (id: :attr:`DataFile.key`; name: the file's stem).

    Raises :class:`DatasetError` (one line) for a missing, empty or unreadable file, an absent
    target column, a target with a single class, a non-numeric regression target, a continuous
    target with ``mode="classification"``, ambiguous dates and the other problems
    :func:`build_dataset` checks. Identifier columns and a saved row index are dropped and date
    columns become decimal years, each with one log line.
    """
    path = Path(spec.path).expanduser()
    label = f"data file {str(spec.path)!r}"
    key, stem = spec.key, Path(spec.path).stem
    if key.isdigit():
        raise DatasetError(f"{label}: a file named by a number would share its results with "
                           f"OpenML dataset {key}; rename it")  # fmt: skip
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
            values = y.dropna()
            if not (values % 1 == 0).all():
                shown = ", ".join(f"{v:g}" for v in values.iloc[:3])
                raise DatasetError(
                    f"{label}: mode classification, but the target {spec.target!r} is "
                    f"continuous ({values.nunique()} distinct values with fractions: {shown}, "
                    "...); use mode regression, or bin the target into classes first")
            task = "binary" if y.nunique() <= 2 else "multiclass"
        if spec.mode is None:
            logger.info("%s: task %s inferred from the target %r (%d distinct values); "
                        "--mode overrides it", label, task, spec.target, y.nunique())  # fmt: skip
    X = _readable_columns(X, label)
    # text columns are categorical (bool columns become 0/1 numbers in build_dataset)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    if key != stem:
        logger.info("%s: results go under the dataset id %r (the file name as a plain name)",
                    label, key)
    try:
        return build_dataset(key, stem, X, y, categorical, task, f"file:{path.resolve()}")
    except DatasetError as err:  # name the file rather than the dataset id
        prefix = f"dataset {key!r} ({stem}): "
        raise DatasetError(f"{label}: {str(err).removeprefix(prefix)}") from None


_INDEX_NAME = re.compile(r"Unnamed: \d+")


def _readable_columns(X: pd.DataFrame, label: str) -> pd.DataFrame:
    """``X`` with date columns as decimal years and without identifier columns (a different
    text in every row) or a saved row index (an unnamed column counting the rows): one log line
    for each kind."""
    dates, dropped, index = [], [], []
    n, X = len(X), X.copy()
    for col in X.columns:
        values = X[col]
        if pd.api.types.is_numeric_dtype(values.dtype):
            if (_INDEX_NAME.fullmatch(str(col)) and values.notna().all() and n > 1
                    and (np.array_equal(values, np.arange(n))
                         or np.array_equal(values, np.arange(1, n + 1)))):  # fmt: skip
                index.append(col)
            continue
        years = dates_as_years(values, f"{label}: column {str(col)!r}")
        if years is not None:
            X[col] = years
            dates.append(str(col))
        elif is_identifier(values, MAX_CATEGORIES):
            dropped.append(col)
    if dates:
        logger.info("%s: date columns %s read as decimal years (2021.5 = noon of 2 July 2021)",
                    label, dates)
    if dropped:
        logger.info("%s: dropped identifier columns %s (a different text in each of the %d "
                    "rows: nothing to learn from)", label, [str(c) for c in dropped], n)
    if index:
        logger.info("%s: dropped %s, an unnamed column that counts the rows (a saved index)",
                    label, [str(c) for c in index])
    return X.drop(columns=dropped + index)
