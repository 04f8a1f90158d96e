"""OpenML access (needs network or a filled openml cache). ``openml`` is imported lazily."""

from __future__ import annotations

import contextlib
import logging
import socket
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from inn.tasks import CLASSIFICATION_TASKS

from .dataset import build_dataset
from .splits import Splits, split_positions
from .store import DatasetError

logger = logging.getLogger("inn.data")

PROBE_TIMEOUT_S = 3.0


@contextlib.contextmanager
def _few_retries(n_retries: int = 1):
    """Temporarily lower openml's connection retries so failures come back fast."""
    import openml

    old = openml.config.connection_n_retries
    openml.config.connection_n_retries = min(old, n_retries)
    try:
        yield openml
    finally:
        openml.config.connection_n_retries = old


def _is_cached(dataset_id: int | str) -> bool:
    import openml

    if not isinstance(dataset_id, int):
        return False
    try:
        cache = Path(openml.config.get_cache_directory())
    except (OSError, ValueError, AttributeError):
        return False
    return (cache / "datasets" / str(dataset_id) / "description.xml").is_file()


def probe_server(timeout: float = PROBE_TIMEOUT_S) -> None:
    """Open (and close) a TCP connection to the configured OpenML server.

    ``requests`` calls in openml have no timeout, so on a black-holed network they can hang;
    this probe fails within ``timeout`` seconds instead (raises ``OSError``).
    """
    import openml

    url = urlparse(openml.config.server)
    port = url.port or (443 if url.scheme == "https" else 80)
    host = url.hostname or ""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise type(exc)(f"{exc} (probe of {host}:{port})") from exc


def fetch_openml_raw(dataset_id: int | str) -> tuple[pd.DataFrame, pd.Series, list[str], str]:
    """Download an OpenML dataset: returns ``(X, y, categorical_columns, name)`` (raw)."""
    with _few_retries() as openml:
        if not _is_cached(dataset_id):
            probe_server()
        ds = openml.datasets.get_dataset(
            dataset_id,
            download_data=True,
            download_qualities=False,
            download_features_meta_data=False,
        )
        target = ds.default_target_attribute
        return _frame_from_openml_dataset(ds, dataset_id, target)


def _frame_from_openml_dataset(ds, dataset_id, target: str | None):
    if not target or "," in str(target):
        raise DatasetError(
            f"dataset {dataset_id!r} ({ds.name}): OpenML target {target!r} is not a single column"
        )
    X, y, indicator, names = ds.get_data(target=target, dataset_format="dataframe")
    if not isinstance(X, pd.DataFrame):
        raise DatasetError(f"dataset {dataset_id!r} ({ds.name}): sparse data is not supported")
    categorical = [str(n) for n, is_cat in zip(names, indicator, strict=True) if is_cat]
    # boolean ARFF nominals come back as bool columns; treat them as categorical too
    categorical += [
        str(c) for c in X.columns
        if c not in categorical and pd.api.types.is_bool_dtype(X[c].dtype)
    ]
    y = pd.Series(y, name=target) if not isinstance(y, pd.Series) else y.rename(target)
    return X, y, categorical, str(ds.name)


def openml_task_splits(
    task_id: int, fold: int = 0, repeat: int = 0, seed: int = 0, val_size: float = 0.2
):
    """Dataset and splits of an OpenML task (needs network or the openml cache).

    Train/test come from the task's own split for ``(fold, repeat)``; ``val_size`` of the train
    part is split off for validation (stratified for classification, seeded by ``seed``). The
    dataset always comes from OpenML (not the store) because store copies may order rows
    differently. Rows with a missing target are dropped from every split (logged).
    Returns ``(Dataset, Splits)``.
    """

    if not 0.0 < float(val_size) < 1.0:
        raise ValueError(f"val_size must be in (0, 1), got {val_size}")
    try:
        with _few_retries() as openml:
            probe_server()
            task = openml.tasks.get_task(
                task_id, download_splits=True, download_data=True,
                download_qualities=False, download_features_meta_data=False,
            )
            train_idx, test_idx = task.get_train_test_split_indices(fold=fold, repeat=repeat)
            ds = openml.datasets.get_dataset(
                task.dataset_id, download_data=True, download_qualities=False,
                download_features_meta_data=False,
            )
            target = getattr(task, "target_name", None) or ds.default_target_attribute
            X, y, categorical, name = _frame_from_openml_dataset(ds, task.dataset_id, target)
    except DatasetError:
        raise
    except Exception as exc:
        msg = " ".join(str(exc).split())[:300]
        raise DatasetError(
            f"OpenML task {task_id!r}: could not load it (needs openml.org or the openml "
            f"cache): {type(exc).__name__}: {msg}"
        ) from exc

    keep = ~y.reset_index(drop=True).isna().to_numpy()
    new_pos = np.cumsum(keep) - 1  # old row -> new row (valid where keep)

    def remap(idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        return np.sort(new_pos[idx[keep[idx]]])

    dataset = build_dataset(task.dataset_id, name, X, y, categorical, None, "openml")
    train_all, test = remap(train_idx), remap(test_idx)
    labels = dataset.y.to_numpy()[train_all] if dataset.task in CLASSIFICATION_TASKS else None
    train, val = split_positions(train_all, labels, float(val_size), seed)
    return dataset, Splits(train=train, val=val, test=test)
