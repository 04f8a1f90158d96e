"""The one pipeline: dataset id -> load -> split -> prepare -> fit -> score -> result file.

Every entry point (the CLIs, the suite, HPO, tests) calls :func:`run` (HPO trials call
:func:`fit_method`, the fit step of it). Methods come from the registry, :mod:`inn.methods`.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from functools import partial
from importlib import metadata

import numpy as np

from inn import methods
from inn.data import TEST_SIZE, VALIDATION_SIZE, DataFile, PreparedData, prepare_data
from inn.metrics import classification_metrics, regression_metrics
from inn.results import MODEL_DIR, read_result, result_path, write_dir_atomic, write_json_atomic

log = logging.getLogger("inn.experiment")

SCHEMA_VERSION = 1


def fit_method(method: str, task: str, params: dict, seed: int, data: PreparedData, *,
               device: str = "auto", n_jobs: int = 1, quiet: bool = True):
    """Fit ``method`` on the training split, with the validation split (early stopping or
    selection, as the method does). Returns the fitted model (:class:`inn.baselines.base.Model`).
    """
    model = methods.get(method).build(task=task, seed=seed, n_jobs=n_jobs, params=params,
                                      device=device, verbose=0 if quiet else 1)  # fmt: skip
    model.fit(data.X["train"], data.y["train"], data.X["val"], data.y["val"],
              categorical=data.categorical)
    return model


def score(model, X, y, task: str) -> dict[str, float]:
    """Test metrics of ``model`` on (X, y): classification or regression metrics."""
    if task == "regression":
        return regression_metrics(y, model.predict(X))
    return classification_metrics(y, model.predict_proba(X))


def versions() -> dict[str, str]:
    """Versions of Python and the libraries that produce results."""
    out = {"python": platform.python_version()}
    for pkg in ("inn", "torch", "scikit-learn", "numpy", "pandas", "catboost", "pytorch-tabnet",
                "interpret-core", "openml"):  # fmt: skip
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    import inn

    out["inn"] = inn.__version__
    return out


def run(
    method: str,
    dataset_id,
    seed: int = 0,
    params: dict | None = None,
    *,
    test_split_size: float = TEST_SIZE,
    output_dir="results",
    data_dir=None,
    device: str = "auto",
    mode: str | None = None,
    overwrite: bool = False,
    quiet: bool = False,
    n_jobs: int | None = None,
    numeric_scaling: str = "standard",
    save_model: bool | None = None,
) -> dict:
    """Run one (method, dataset, seed) cell and write its ``output_info.json``.

    Args:
        method: a registered method name (:func:`inn.methods.names`).
        dataset_id: OpenML id, store key, or a :class:`~inn.data.DataFile` (a CSV or parquet
            file and its target column; its results go under the file's stem).
        seed: seeds the split and the method.
        params: method hyperparameters (the estimator's or baseline's own names).
        test_split_size: share of rows held out for testing.
        output_dir: root of the results tree; ``None`` writes nothing.
        data_dir: dataset store folder (default: ``INN_DATA_DIR`` or ``../shared/datasets``).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"`` (networks and TabNet).
        mode: ``"classification"`` or ``"regression"`` to assert the dataset's task (a
            :class:`~inn.data.DataFile` sets its task with its own ``mode``).
        overwrite: rerun even when the result file exists (otherwise it is returned as is).
        quiet: no progress bar.
        n_jobs: threads for baselines (default: all cores).
        numeric_scaling: ``"standard"`` or ``"quantile"`` scaling of numeric columns in the
            encoded input (quantile suits heavy-tailed columns, which INN would extrapolate).
        save_model: save the fitted model in ``model/`` next to the result file (``None``: the
            method's default, which is yes for INN and no for the others). It is saved with the
            run's preprocessor, so it takes rows of the original data (``inn.load``).

    Returns:
        The result record (also written to the results tree).
    """
    params = dict(params or {})
    if not 0 < test_split_size < 1:
        raise ValueError(f"test_split_size must be in (0, 1), got {test_split_size}")
    entry = methods.get(method)
    key = dataset_id.key if isinstance(dataset_id, DataFile) else dataset_id
    path = None if output_dir is None else result_path(output_dir, method, key, seed)
    if path is not None and path.exists() and not overwrite:
        log.info("%s exists; skipping (use overwrite to rerun)", path)
        record = read_result(path)
        record["skipped"] = True
        return record
    save = entry.model_class.saves_by_default if save_model is None else save_model
    if save and not entry.model_class.can_save:
        raise ValueError(f"{method} cannot save its fitted model (save_model)")
    if device not in ("auto", "cpu"):
        from inn.estimators import resolve_device

        resolve_device(device)  # no CUDA GPU: one line now, not after loading the data

    data = prepare_data(dataset_id, seed, method, test_split_size=test_split_size,
                        numeric_scaling=numeric_scaling, data_dir=data_dir)  # fmt: skip
    dataset, splits = data.dataset, data.splits
    if mode is not None and (mode == "regression") != (dataset.task == "regression"):
        raise ValueError(f"--mode {mode} does not fit dataset {key} ({dataset.name}), "
                         f"whose task is {dataset.task}")  # fmt: skip
    n_jobs = n_jobs or os.cpu_count() or 1

    start = time.perf_counter()
    model = fit_method(method, dataset.task, params, seed, data, device=device, n_jobs=n_jobs,
                       quiet=quiet)
    train_time = time.perf_counter() - start

    start = time.perf_counter()
    metrics = score(model, data.X["test"], data.y["test"], dataset.task)
    inference_time = time.perf_counter() - start

    record = {
        "schema_version": SCHEMA_VERSION,
        "method": method,
        "dataset_id": dataset.dataset_id,
        "dataset_name": dataset.name,
        "dataset_source": dataset.source,
        "seed": seed,
        "task": dataset.task,
        "hyperparameters": _jsonable(model.params_),
        "test_split_size": test_split_size,
        "numeric_scaling": numeric_scaling,
        "protocol": {
            "fitted_on": "training split",
            "validation_size": VALIDATION_SIZE,  # share of the rows that are not test rows
            "validation_used_for": model.validation_use,
            "refit_on_train_and_validation": False,
        },
        "n_train": int(len(splits.train)),
        "n_val": int(len(splits.val)),
        "n_test": int(len(splits.test)),
        "n_features": int(dataset.X.shape[1]),
        "n_input_columns": len(data.feature_map),
        "classes": data.classes,
        "split_fingerprint": splits.fingerprint(),
        "test_metrics": metrics,
        "train_metrics": _try_score(model, data, "train"),
        "val_metrics": _try_score(model, data, "val"),
        "train_time_s": train_time,
        "inference_time_s": inference_time,
        "device": _device_name(model),
        "versions": versions(),
        "feature_importances": _importances(model, data),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **model.record_extras(data.X["test"]),
    }
    if isinstance(dataset_id, DataFile):
        record["data_file"] = dataset_id.record()
    if path is not None:
        if save:
            write_dir_atomic(path.parent / MODEL_DIR,
                             partial(model.save, preprocessor=data.preprocessor,
                                     classes=data.classes))
            record["model_dir"] = MODEL_DIR
        write_json_atomic(record, path)
        record["path"] = str(path)
    return record


def _try_score(model, data: PreparedData, part: str) -> dict[str, float] | None:
    """Metrics on a development split; ``None`` (logged) where one is undefined there."""
    try:
        return score(model, data.X[part], data.y[part], data.dataset.task)
    except ValueError as err:  # e.g. a single class in a small validation split
        log.warning("no %s metrics: %s", part, err)
        return None


def _importances(model, data: PreparedData) -> dict[str, float] | None:
    """Global importances by original feature name, normalised to sum 1 (None if none)."""
    values = model.feature_importances()
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    if data.preprocessor is not None:
        values = data.preprocessor.aggregate(values)
        names = list(data.preprocessor.original_features_)
    else:
        names = data.feature_map
    total = values.sum()
    if total > 0:
        values = values / total
    order = np.argsort(-values, kind="stable")
    return {str(names[i]): float(values[i]) for i in order}


def _device_name(model) -> str:
    device = getattr(model, "device_", None)
    if device is not None and str(device).startswith("cuda"):
        import torch

        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def _jsonable(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, (np.generic,)):
            value = value.item()
        elif not isinstance(value, (int, float, str, bool, type(None), list, dict)):
            value = str(value)
        out[key] = value
    return out
