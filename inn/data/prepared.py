"""One function from (dataset, seed, method) to the data a method fits on: load, split, prepare.

Runs, HPO trials, the interpretability benchmark and the explanation figures all call
:func:`prepare_data`, so every preprocessing option reaches all of them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from inn import methods
from inn.validation import plain

from .dataset import Dataset
from .loading import load_dataset
from .preprocessing import AUTO, NUMERIC_SCALING, TabularPreprocessor, frame_scaling, raw_frame
from .splits import (
    TEST_SIZE,
    VALIDATION_SIZE,
    Splits,
    check_scorable,
    encode_target,
    make_splits,
    regression_target,
)
from .store import DatasetError

PARTS = ("train", "val", "test")


@dataclass
class PreparedData:
    """One dataset split and encoded for a method.

    Attributes:
        X: part (``"train"``, ``"val"``, ``"test"``) -> the input that suits the method (encoded
            matrix, or raw frame for methods that take categorical columns natively).
        y: part -> encoded targets (0..k-1, or float).
        feature_map: for each input column, its original feature name.
        categorical: categorical column names (raw input) or None.
        classes: the raw class labels in encoded order (classification) or None.
        preprocessor: the fitted :class:`TabularPreprocessor` (encoded input) or None.
        dataset: the loaded dataset (all rows, original values).
        splits: the positions of every part in ``dataset`` (test included even when its rows
            were not prepared).
        numeric_scaling: how the frame encoder scaled numeric columns (``"standard"``,
            ``"quantile"`` or ``"none"``: the method scales them itself).
    """

    X: dict
    y: dict
    feature_map: list[str]
    categorical: list[str] | None
    classes: list | None
    preprocessor: TabularPreprocessor | None
    dataset: Dataset
    splits: Splits
    numeric_scaling: str = NUMERIC_SCALING


def prepare_data(
    dataset_id,
    seed: int = 0,
    method: str = "inn",
    *,
    test_split_size: float = TEST_SIZE,
    numeric_scaling: str = AUTO,
    data_dir=None,
    with_test: bool = True,
    openml_task_id: int | None = None,
    drop_features=(),
    params: dict | None = None,
) -> PreparedData:
    """Load ``dataset_id``, split it with ``seed`` and prepare the input ``method`` takes.

    Args:
        dataset_id: OpenML id, store key or :class:`~inn.data.DataFile`, or a
            :class:`~inn.data.Dataset` loaded already (:func:`inn.run` loads the key it
            normalised).
        seed: seeds the split.
        method: a registered method (:mod:`inn.methods`); decides encoded or raw input.
        test_split_size: share of rows held out for testing (a further
            :data:`~inn.data.splits.VALIDATION_SIZE` of the rest is the validation split).
        numeric_scaling: ``"standard"``, ``"quantile"`` or ``"none"`` scaling of numeric
            columns, or ``"auto"``: none for a method that scales them itself (a network with
            ``robust``, judged from ``params``), else standard
            (:func:`~inn.data.preprocessing.frame_scaling`).
        data_dir: dataset store folder (default: ``INN_DATA_DIR`` or ``../shared/datasets``).
        with_test: ``False`` leaves the test rows unprepared (for HPO, which must not see them).
        openml_task_id: take the dataset and the train/test split from this OpenML task, fold
            ``seed`` (needs the network or the openml cache); ``dataset_id`` and
            ``test_split_size`` are then unused. The validation split is drawn from the task's
            training rows as usual.
        drop_features: original feature names left out of the data (the feature-removal check).
        params: the method's hyperparameters (they decide whether it scales numeric columns).
    """
    entry = methods.get(method)
    input_kind = entry.input_kind
    numeric_scaling = frame_scaling(
        numeric_scaling, model_scales=entry.model_class.scales_numeric(dict(params or {})))
    if openml_task_id is None:
        dataset = (dataset_id if isinstance(dataset_id, Dataset) else
                   load_dataset(dataset_id, data_dir))
        splits = make_splits(dataset.y, dataset.task, seed=seed, test_size=test_split_size)
    else:
        from .openml_source import openml_task_splits

        dataset, splits = openml_task_splits(openml_task_id, fold=seed, seed=seed,
                                             val_size=VALIDATION_SIZE)  # fmt: skip
    if len(drop_features):
        dataset = without_features(dataset, drop_features)
    check_scorable(dataset.y, dataset.task, splits,
                   f"dataset {dataset.dataset_id} ({dataset.name}), test_split_size "
                   f"{test_split_size}")
    parts = PARTS if with_test else PARTS[:2]
    return prepare(dataset, splits, parts, input_kind, numeric_scaling)


def without_features(dataset: Dataset, names) -> Dataset:
    """``dataset`` without the original features ``names`` (all of them must exist, and at
    least one feature must remain)."""
    names = [str(n) for n in names]
    absent = [n for n in names if n not in dataset.X.columns]
    if absent:
        raise DatasetError(f"dataset {dataset.dataset_id!r}: cannot drop unknown features "
                           f"{absent}")
    if len(set(names)) >= dataset.X.shape[1]:
        raise DatasetError(f"dataset {dataset.dataset_id!r}: dropping {len(set(names))} "
                           f"features leaves none")
    return replace(dataset, X=dataset.X.drop(columns=names),
                   categorical=[c for c in dataset.categorical if c not in names])


def prepare(dataset: Dataset, splits: Splits, parts=PARTS, input_kind: str = "encoded",
            numeric_scaling: str = NUMERIC_SCALING) -> PreparedData:  # fmt: skip
    """Encode the targets and inputs of ``parts``, fitting everything on the training split."""
    rows = {name: getattr(splits, name) for name in parts}
    encoder, y_train = encode_target(dataset.y.iloc[splits.train], dataset.task)
    y = {"train": y_train}
    for name in parts[1:]:
        raw = np.asarray(dataset.y.iloc[rows[name]])
        if encoder is None:
            y[name] = regression_target(raw)
        else:
            if raw.dtype == object and encoder.classes_.dtype != object:
                raw = raw.astype(encoder.classes_.dtype)
            y[name] = encoder.transform(raw).astype(np.int64)
    classes = None if encoder is None else [plain(c) for c in encoder.classes_]
    if input_kind == "raw":
        frame, _ = raw_frame(dataset.X, dataset.categorical)
        X = {name: frame.iloc[idx].reset_index(drop=True) for name, idx in rows.items()}
        return PreparedData(X, y, list(frame.columns), list(dataset.categorical), classes,
                            None, dataset, splits, numeric_scaling)  # fmt: skip
    pre = TabularPreprocessor(categorical=dataset.categorical, numeric_scaling=numeric_scaling)
    pre.fit(dataset.X.iloc[splits.train])
    X = {name: pre.transform(dataset.X.iloc[idx]) for name, idx in rows.items()}
    return PreparedData(X, y, list(pre.feature_map_), None, classes, pre, dataset, splits,
                        numeric_scaling)  # fmt: skip
