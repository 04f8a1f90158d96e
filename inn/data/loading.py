"""Dataset loading: store first, then scikit-learn's bundled copy of 1510, then OpenML; or a
table file of one's own."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .dataset import Dataset, build_dataset
from .files import DataFile, load_file
from .store import DatasetError, dataset_key, read_store_entry, resolve_data_dir, store_paths

SKLEARN_WDBC_ID = 1510


def _load_sklearn_wdbc() -> Dataset:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    names = np.asarray(bunch.target_names)
    y = pd.Series(names[bunch.target.to_numpy()], name="diagnosis", dtype=object)
    X = bunch.data.astype("float64")
    return build_dataset(SKLEARN_WDBC_ID, "wdbc", X, y, [], "binary", "sklearn")


def load_dataset(dataset_id: str | int | DataFile,
                 data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load a dataset by OpenML id or store name, or a table file (:class:`DataFile`).

    1. The store (see :func:`resolve_data_dir`) wins when it has ``<dataset_id>.parquet`` and its
       sidecar; the sidecar is validated against the parquet.
    2. Id 1510 without a store copy: scikit-learn's bundled breast-cancer data (OpenML "wdbc").
    3. Otherwise OpenML (needs network or the openml cache).

    A :class:`DataFile` is read from its path (:func:`inn.data.files.load_file`).

    Raises :class:`DatasetError` (one line) when no source delivers or the data are invalid.
    """
    if isinstance(dataset_id, DataFile):
        return load_file(dataset_id)
    return load_key(dataset_key(dataset_id), data_dir)  # a plain name: never a path


def load_key(public_id: str | int, data_dir: str | os.PathLike | None = None) -> Dataset:
    """:func:`load_dataset` of a key normalised already (:func:`~inn.data.store.dataset_key`,
    where it entered); the pipeline's steps call this, so no key is normalised twice."""
    key = str(public_id)
    folder = resolve_data_dir(data_dir)
    if store_paths(key, folder) is not None:
        assert folder is not None
        X, y, meta = read_store_entry(key, folder)
        return build_dataset(
            public_id, meta.get("name") or key, X, y, list(meta["categorical"]), meta["task"],
            f"store:{folder / (key + '.parquet')}",
        )
    if public_id == SKLEARN_WDBC_ID:
        return _load_sklearn_wdbc()

    from .openml_source import fetch_openml_raw

    where = (f"the store {folder} has no {key}.parquet" if folder is not None else
             "no dataset store: set INN_DATA_DIR (or pass data_dir / --data_dir) to its folder")
    try:
        X, y, categorical, name = fetch_openml_raw(public_id)
    except DatasetError:
        raise
    except Exception as exc:
        msg = " ".join(str(exc).split())
        if len(msg) > 300:
            msg = msg[:300] + "..."
        # from None: one line says it all; the chain (socket error, probe, ...) adds nothing
        raise DatasetError(
            f"dataset {public_id!r}: not found ({where}) and OpenML failed: "
            f"{type(exc).__name__}: {msg}"
        ) from None
    return build_dataset(public_id, name, X, y, categorical, None, "openml")
