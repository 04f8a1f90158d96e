"""Train/validation/test splits and target encoding."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from inn.tasks import CLASSIFICATION_TASKS

logger = logging.getLogger("inn.data")

TEST_SIZE = 0.2  # share of all rows that form the test split
VALIDATION_SIZE = 0.2  # share of the non-test rows that form the validation split


@dataclass
class Splits:
    """Integer positions into ``Dataset.X`` / ``Dataset.y`` (sorted, disjoint)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def fingerprint(self) -> str:
        """A short hash of the train, validation and test positions: equal for equal splits."""
        h = hashlib.sha256()
        for part in (self.train, self.val, self.test):
            h.update(np.asarray(part, dtype=np.int64).tobytes())
            h.update(b"|")
        return h.hexdigest()[:16]


def derive_seed(seed: int, k: int) -> int:
    """The ``k``-th secondary seed of ``seed``, in the same range [0, 2**32 - 1]: ``seed + k``
    wrapped around, so the largest seed has secondaries too (and every other seed keeps those it
    always had)."""
    return (int(seed) + k) % 2**32


def _check_fraction(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value}")
    return value


def split_positions(
    positions: np.ndarray, labels: np.ndarray | None, size: float, rng_seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``positions`` into (rest, part) with ``part`` about ``size`` of them.

    Stratified by ``labels`` when given; falls back to a plain random split (with a log line)
    when a class is too small to stratify.
    """
    from sklearn.model_selection import train_test_split

    positions = np.asarray(positions, dtype=np.int64)
    n_part = round(size * len(positions))
    if n_part < 1 or n_part >= len(positions):
        raise ValueError(
            f"a fraction of {size} of {len(positions)} rows leaves an empty split"
        )
    stratify = None
    if labels is not None:
        counts = pd.Series(labels).value_counts()
        n_classes = len(counts)
        if counts.min() >= 2 and n_part >= n_classes and len(positions) - n_part >= n_classes:
            stratify = labels
        else:
            logger.info(
                "split of %d rows: class counts %s too small to stratify; using a random split",
                len(positions), counts.to_dict(),
            )
    rest, part = train_test_split(
        positions, test_size=n_part, random_state=rng_seed, shuffle=True, stratify=stratify
    )
    return np.sort(rest), np.sort(part)


def make_splits(
    y: pd.Series | np.ndarray,
    task: str,
    *,
    seed: int,
    test_size: float = TEST_SIZE,
    val_size: float = VALIDATION_SIZE,
) -> Splits:
    """Seeded train/val/test positions.

    ``test_size`` of all rows go to test; ``val_size`` of the remaining rows go to validation;
    the rest is train. Stratified on the labels for classification tasks. Raises ``ValueError``
    when a size is not in (0, 1).
    """
    test_size = _check_fraction("test_size", test_size)
    val_size = _check_fraction("val_size", val_size)
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {labels.shape}")
    classification = task in CLASSIFICATION_TASKS
    if not classification and task != "regression":
        raise ValueError(f"unknown task {task!r}")
    positions = np.arange(len(labels), dtype=np.int64)
    strat = labels if classification else None
    rest, test = split_positions(positions, strat, test_size, seed)
    train, val = split_positions(
        rest, labels[rest] if classification else None, val_size, derive_seed(seed, 1)
    )
    return Splits(train=train, val=val, test=test)


MIN_ROWS_PER_CLASS = {"test": 2, "val": 1}  # fewer cannot be scored (AUROC, early stopping)


def check_scorable(y, task: str, splits: Splits, label: str = "dataset") -> None:
    """Raise a ValueError before any training when the test or validation split is too small to
    score: for classification, a class with fewer than 2 test rows (AUROC per class needs
    several) or with no validation row; for regression, fewer than 2 rows."""
    labels = np.asarray(y)
    for part, min_rows in MIN_ROWS_PER_CLASS.items():
        rows = getattr(splits, part)
        name = {"test": "test", "val": "validation"}[part]
        if task not in CLASSIFICATION_TASKS:
            if len(rows) < 2:
                raise ValueError(f"{label}: the {name} split has {len(rows)} row(s); scoring "
                                 "needs at least 2 (raise test_split_size)")
            continue
        counts = pd.Series(labels[rows]).value_counts()
        classes = pd.unique(labels)
        short = {str(c): int(counts.get(c, 0)) for c in classes if counts.get(c, 0) < min_rows}
        if short:
            shown = dict(list(short.items())[:5])  # a continuous target has hundreds
            more = f" and {len(short) - 5} more of its {len(classes)}" if len(short) > 5 else ""
            raise ValueError(
                f"{label}: the {name} split ({len(rows)} rows) has too few rows of classes "
                f"{shown}{more}; scoring needs at least {min_rows} row(s) of every class (raise "
                "test_split_size, or use a dataset with more rows of those classes)")


def encode_target(y_train_raw, task: str):
    """Encode a training target for the models.

    Returns ``(encoder, y_encoded)``:

    - classification (``binary``/``multiclass``): ``encoder`` is a fitted
      :class:`sklearn.preprocessing.LabelEncoder` (labels sorted, mapped to ``0..k-1``;
      ``encoder.classes_`` holds the raw labels) and ``y_encoded`` an ``int64`` array. Encode
      validation/test labels with ``encoder.transform`` and decode predictions with
      ``encoder.inverse_transform``.
    - regression: ``encoder`` is ``None`` and ``y_encoded`` is a ``float32`` array.
    """
    values = np.asarray(y_train_raw)
    if task in CLASSIFICATION_TASKS:
        from sklearn.preprocessing import LabelEncoder

        if pd.isna(pd.Series(values)).any():
            raise ValueError("classification target contains missing values")
        # LabelEncoder sorts labels; mixed str/int labels are compared as strings
        if values.dtype == object:
            kinds = {type(v) for v in values}
            if len(kinds) > 1:
                logger.info("class labels of several types %s are compared as text",
                            sorted(k.__name__ for k in kinds))
                values = values.astype(str)
        encoder = LabelEncoder().fit(values)
        return encoder, encoder.transform(values).astype(np.int64)
    if task == "regression":
        return None, regression_target(values)
    raise ValueError(f"unknown task {task!r}")


def regression_target(values) -> np.ndarray:
    """Regression targets as float32; a ValueError (not infinities) for values beyond its
    range."""
    values = np.asarray(values)
    peak = float(np.abs(values.astype(np.float64)).max(initial=0.0))
    limit = float(np.finfo(np.float32).max)
    if peak > limit:
        raise ValueError(f"regression target has values up to {peak:.3g}, beyond float32's "
                         f"range ({limit:.3g}); rescale the target")
    return values.astype(np.float32)
