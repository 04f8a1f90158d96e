"""Local dataset store: ``<key>.parquet`` + ``<key>.json`` sidecar per dataset.

The store holds real copies of (mostly OpenML) datasets for machines without network access.
See the store's README for the sidecar fields.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import pandas as pd

from inn.tasks import TASKS
from inn.validation import check_key

logger = logging.getLogger("inn.data")

DATA_DIR_ENV = "INN_DATA_DIR"
_REQUIRED_SIDECAR_KEYS = ("target", "categorical", "n_features", "task")


class DatasetError(ValueError):
    """Any bad-input problem with a dataset; the message names the dataset and the problem."""


def _repo_root() -> Path:
    # inn/data/store.py -> inn/data -> inn -> repo root
    return Path(__file__).resolve().parent.parent.parent


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path | None:
    """Folder of the dataset store.

    Order: explicit ``data_dir`` > env ``INN_DATA_DIR`` > ``<repo root>/../shared/datasets`` if it
    exists > ``None``. An explicit folder or the env folder is returned even if it does not exist
    (loading then simply finds nothing there).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    default = _repo_root().parent / "shared" / "datasets"
    if default.is_dir():
        return default
    return None


def dataset_key(value) -> str | int:
    """A dataset key as users and paths see it: all digits is an OpenML id (``int``); anything
    else (e.g. ``hitters``) is a store key (``str``).

    The one normaliser of dataset ids, called once where an id enters: a command-line flag or
    :func:`inn.run` (which the CLIs call with the text they were given), a suite's dataset list,
    an interpretability benchmark name, :func:`~inn.data.load_dataset` /
    :func:`~inn.data.prepare_data` called directly, the store's file names. Everything below
    takes the normalised key as it is (``31``, ``"31"`` and ``"031"`` all become ``31``, so they
    share one results folder).

    Raises :class:`DatasetError` unless the key is a plain name (letters, digits, ``_``, ``-``,
    ``.``; see :func:`inn.validation.check_key`): a key becomes a file name in the store and a
    folder in the results tree, so it may not leave either.
    """
    try:
        return check_key(value, "dataset id")
    except ValueError as err:
        raise DatasetError(str(err)) from None


def dataset_sort_key(value) -> tuple:
    """Sort OpenML ids numerically, before store keys sorted as text (anything else last)."""
    try:
        key = dataset_key(value)
    except DatasetError:
        return (2, 0, str(value))
    return (0, key, "") if isinstance(key, int) else (1, 0, key)


def list_store(data_dir: str | os.PathLike | None = None) -> list[str | int]:
    """Keys of the datasets in the store (those with both a parquet and a sidecar file).

    Numeric keys come first (as ints, ascending), then named keys (sorted). Files whose name is
    not a valid key are left out (with a log line).
    """
    folder = resolve_data_dir(data_dir)
    if folder is None or not folder.is_dir():
        return []
    keys = []
    for p in folder.glob("*.parquet"):
        if not (folder / f"{p.stem}.json").is_file():
            continue
        try:
            keys.append(dataset_key(p.stem))
        except DatasetError as err:
            logger.info("store %s: %s; %s left out", folder, err, p.name)
    return sorted(keys, key=dataset_sort_key)


def store_paths(key: str | int, folder: Path | None) -> tuple[Path, Path] | None:
    """(parquet, sidecar) paths for ``key`` (normalised: :func:`dataset_key`, a plain name that
    stays inside the store) when both exist in ``folder``, else ``None``."""
    if folder is None:
        return None
    parquet = folder / f"{key}.parquet"
    sidecar = folder / f"{key}.json"
    if parquet.is_file() and sidecar.is_file():
        return parquet, sidecar
    return None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_store_entry(key: str | int, folder: Path) -> tuple[pd.DataFrame, pd.Series, dict]:
    """Read one store entry (``key``: normalised, :func:`dataset_key`) and validate its sidecar
    against the parquet file.

    Returns ``(X, y, meta)`` with X the raw feature frame (as stored), y the raw target column and
    meta the sidecar dict. Raises :class:`DatasetError` when the files are unreadable or disagree.
    """
    paths = store_paths(key, folder)
    if paths is None:
        raise DatasetError(f"dataset {key!r}: no {key}.parquet + {key}.json in store {folder}")
    parquet, sidecar = paths
    label = f"dataset {key!r} (store {folder})"
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{label}: unreadable sidecar {sidecar.name}: {exc}") from exc
    if not isinstance(meta, dict):
        raise DatasetError(f"{label}: sidecar {sidecar.name} is not a JSON object")
    missing_keys = [k for k in _REQUIRED_SIDECAR_KEYS if k not in meta]
    if missing_keys:
        raise DatasetError(f"{label}: sidecar lacks fields {missing_keys}")
    try:
        frame = pd.read_parquet(parquet)
    except Exception as exc:
        msg = str(exc).replace("\n", " ")
        raise DatasetError(f"{label}: unreadable parquet: {type(exc).__name__}: {msg}") from exc

    target = meta["target"]
    categorical = meta["categorical"]
    if meta["task"] not in TASKS:
        raise DatasetError(f"{label}: sidecar task {meta['task']!r} is not one of {TASKS}")
    dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if dupes:
        raise DatasetError(f"{label}: duplicate column names {dupes}")
    if target not in frame.columns:
        raise DatasetError(f"{label}: sidecar target {target!r} is not a column of the parquet")
    if not isinstance(categorical, list):
        raise DatasetError(f"{label}: sidecar 'categorical' is not a list")
    absent = [c for c in categorical if c not in frame.columns]
    if absent:
        raise DatasetError(f"{label}: sidecar categorical columns {absent} not in the parquet")
    if target in categorical:
        raise DatasetError(f"{label}: target {target!r} is listed as a categorical feature")
    n_features = frame.shape[1] - 1
    if int(meta["n_features"]) != n_features:
        raise DatasetError(
            f"{label}: sidecar says n_features={meta['n_features']}, parquet has {n_features}"
        )
    if "n_rows" in meta and meta["n_rows"] is not None and int(meta["n_rows"]) != len(frame):
        raise DatasetError(
            f"{label}: sidecar says n_rows={meta['n_rows']}, parquet has {len(frame)}"
        )
    expected_sha = meta.get("sha256")
    if expected_sha and file_sha256(parquet) != expected_sha:
        # content may have been re-encoded legitimately; structure was validated above
        logger.warning("%s: parquet sha256 differs from the sidecar's", label)

    y = frame[target]
    X = frame.drop(columns=[target])
    return X, y, meta
