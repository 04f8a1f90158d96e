"""The one pipeline: dataset id -> load -> split -> prepare -> fit -> score -> result file.

Every entry point (the CLIs, the suite, HPO, tests) calls :func:`run`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import time
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from inn.data import (
    Dataset,
    Splits,
    TabularPreprocessor,
    encode_target,
    load_dataset,
    make_splits,
    raw_frame,
)
from inn.metrics import classification_metrics, regression_metrics
from inn.results import read_result, result_path, write_json_atomic

log = logging.getLogger("inn.experiment")

NETWORKS = ("inn", "tabresnet")
SCHEMA_VERSION = 1


def methods() -> tuple[str, ...]:
    """Every method name, as used in paths, results, plots and colours."""
    from inn.baselines import BASELINES

    return NETWORKS + tuple(BASELINES)


@dataclass
class PreparedData:
    """One dataset split and encoded for a method.

    Attributes:
        X: ``{"train", "val", "test"}`` -> the input that suits the method (encoded matrix, or
            raw frame for methods that take categorical columns natively).
        y: ``{"train", "val", "test"}`` -> encoded targets (0..k-1, or float).
        feature_map: for each input column, its original feature name.
        categorical: categorical column names (raw input) or None.
        classes: the raw class labels in encoded order (classification) or None.
        preprocessor: the fitted :class:`TabularPreprocessor` (encoded input) or None.
    """

    X: dict
    y: dict
    feature_map: list[str]
    categorical: list[str] | None
    classes: list | None
    preprocessor: TabularPreprocessor | None


def prepare(
    dataset: Dataset, splits: Splits, input_kind: str = "encoded", numeric_scaling: str = "standard"
) -> PreparedData:
    """Encode targets and inputs, fitting everything on the training split only."""
    parts = {"train": splits.train, "val": splits.val, "test": splits.test}
    encoder, y_train = encode_target(dataset.y.iloc[splits.train], dataset.task)
    y = {"train": y_train}
    for name in ("val", "test"):
        raw = np.asarray(dataset.y.iloc[parts[name]])
        if encoder is None:
            y[name] = raw.astype(np.float32)
        else:
            if raw.dtype == object and encoder.classes_.dtype != object:
                raw = raw.astype(encoder.classes_.dtype)
            y[name] = encoder.transform(raw).astype(np.int64)
    classes = None if encoder is None else [_plain(c) for c in encoder.classes_]
    if input_kind == "raw":
        frame, _ = raw_frame(dataset.X, dataset.categorical)
        X = {name: frame.iloc[idx].reset_index(drop=True) for name, idx in parts.items()}
        return PreparedData(
            X, y, list(frame.columns), list(dataset.categorical), classes, preprocessor=None
        )
    pre = TabularPreprocessor(categorical=dataset.categorical, numeric_scaling=numeric_scaling)
    pre.fit(dataset.X.iloc[splits.train])
    X = {name: pre.transform(dataset.X.iloc[idx]) for name, idx in parts.items()}
    return PreparedData(X, y, list(pre.feature_map_), None, classes, preprocessor=pre)


def _plain(value):
    """Make numpy scalars JSON-friendly."""
    return value.item() if hasattr(value, "item") else value


def network_estimator(method: str, task: str, params: dict, seed: int, device: str, quiet: bool):
    """Build the INN or TabResNet estimator for ``task`` from flat hyperparameters."""
    from inn import estimators as est

    classification = task != "regression"
    if method == "inn":
        cls = est.INNClassifier if classification else est.INNRegressor
    else:
        cls = est.TabResNetClassifier if classification else est.TabResNetRegressor
    allowed = set(cls().get_params())
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(f"unknown hyperparameters for {method}: {sorted(unknown)}")
    return cls(**params, random_state=seed, device=device, verbose=0 if quiet else 1)


def input_kind(method: str) -> str:
    """``"encoded"`` (numeric matrix) or ``"raw"`` (frame with native categoricals)."""
    if method in NETWORKS:
        return "encoded"
    from inn.baselines import INPUT_KIND

    return INPUT_KIND[method]


def fit_method(method: str, task: str, params: dict, seed: int, data: PreparedData, *,
               device: str = "auto", n_jobs: int = 1, quiet: bool = True):
    """Fit ``method`` on the training split, with the validation split for early stopping."""
    if method in NETWORKS:
        model = network_estimator(method, task, params, seed, device, quiet)
        model.fit(data.X["train"], data.y["train"], X_val=data.X["val"], y_val=data.y["val"])
        return model
    from inn.baselines import make_baseline

    model = make_baseline(method, task=task, seed=seed, n_jobs=n_jobs, params=params)
    model.fit(data.X["train"], data.y["train"], data.X["val"], data.y["val"],
              categorical=data.categorical)
    return model


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


def split_fingerprint(splits: Splits) -> str:
    """A short hash of the test and validation positions: equal for equal splits."""
    h = hashlib.sha256()
    for part in (splits.train, splits.val, splits.test):
        h.update(np.asarray(part, dtype=np.int64).tobytes())
        h.update(b"|")
    return h.hexdigest()[:16]


def run(
    method: str,
    dataset_id,
    seed: int = 0,
    params: dict | None = None,
    *,
    test_split_size: float = 0.2,
    output_dir="results",
    data_dir=None,
    device: str = "auto",
    mode: str | None = None,
    overwrite: bool = False,
    quiet: bool = False,
    n_jobs: int | None = None,
    numeric_scaling: str = "standard",
) -> dict:
    """Run one (method, dataset, seed) cell and write its ``output_info.json``.

    Args:
        method: ``"inn"``, ``"tabresnet"`` or a baseline name (:data:`inn.baselines.BASELINES`).
        dataset_id: OpenML id (or store key).
        seed: seeds the split and the method.
        params: method hyperparameters (the estimator's or baseline's own names).
        test_split_size: share of rows held out for testing.
        output_dir: root of the results tree; ``None`` writes nothing.
        data_dir: dataset store folder (default: ``INN_DATA_DIR`` or ``../shared/datasets``).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"`` (networks and TabNet).
        mode: ``"classification"`` or ``"regression"`` to assert the dataset's task.
        overwrite: rerun even when the result file exists (otherwise it is returned as is).
        quiet: no progress bar.
        n_jobs: threads for baselines (default: all cores).
        numeric_scaling: ``"standard"`` or ``"quantile"`` scaling of numeric columns in the
            encoded input (quantile suits heavy-tailed columns, which INN would extrapolate).

    Returns:
        The result record (also written to the results tree).
    """
    params = dict(params or {})
    if not 0 < test_split_size < 1:
        raise ValueError(f"test_split_size must be in (0, 1), got {test_split_size}")
    path = None if output_dir is None else result_path(output_dir, method, dataset_id, seed)
    if path is not None and path.exists() and not overwrite:
        log.info("%s exists; skipping (use overwrite to rerun)", path)
        record = read_result(path)
        record["skipped"] = True
        return record
    all_methods = methods()
    if method not in all_methods:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(all_methods)}")

    dataset = load_dataset(dataset_id, data_dir)
    if mode is not None:
        is_regression = dataset.task == "regression"
        if (mode == "regression") != is_regression:
            raise ValueError(
                f"--mode {mode} does not fit dataset {dataset_id} ({dataset.name}), "
                f"whose task is {dataset.task}"
            )
    splits = make_splits(dataset.y, dataset.task, seed=seed, test_size=test_split_size)
    n_jobs = n_jobs or os.cpu_count() or 1

    data = prepare(dataset, splits, input_kind(method), numeric_scaling)
    start = time.perf_counter()
    model = fit_method(method, dataset.task, params, seed, data, device=device, n_jobs=n_jobs,
                       quiet=quiet)
    train_time = time.perf_counter() - start
    if method in NETWORKS:
        effective = {k: v for k, v in model.get_params().items() if k != "verbose"}
        effective["device"] = str(model.device_)
    else:
        effective = dict(model.params_)

    start = time.perf_counter()
    if dataset.task == "regression":
        pred = model.predict(data.X["test"])
        metrics = regression_metrics(data.y["test"], pred)
    else:
        proba = model.predict_proba(data.X["test"])
        metrics = classification_metrics(data.y["test"], proba)
    inference_time = time.perf_counter() - start

    record = {
        "schema_version": SCHEMA_VERSION,
        "method": method,
        "dataset_id": dataset.dataset_id,
        "dataset_name": dataset.name,
        "dataset_source": dataset.source,
        "seed": seed,
        "task": dataset.task,
        "hyperparameters": _jsonable(effective),
        "test_split_size": test_split_size,
        "numeric_scaling": numeric_scaling,
        "n_train": int(len(splits.train)),
        "n_val": int(len(splits.val)),
        "n_test": int(len(splits.test)),
        "n_features": int(dataset.X.shape[1]),
        "n_input_columns": len(data.feature_map),
        "classes": data.classes,
        "split_fingerprint": split_fingerprint(splits),
        "test_metrics": metrics,
        "train_time_s": train_time,
        "inference_time_s": inference_time,
        "device": _device_name(model),
        "versions": versions(),
        "feature_importances": _importances(method, model, data),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if method in NETWORKS:
        record["epochs_run"] = len(model.history_)
        record["best_epoch"] = model.best_epoch_
    if method == "inn":
        expl = model.explain(data.X["test"])
        record["sparsity"] = model.sparsity(data.X["test"])
        record["bias_share"] = expl.bias_share
    if path is not None:
        write_json_atomic(record, path)
        record["path"] = str(path)
    return record


def _importances(method: str, model, data: PreparedData) -> dict[str, float] | None:
    """Global importances by original feature name, normalised to sum 1 (None if none)."""
    if method == "inn":
        values = model.feature_importances_
    elif method == "tabresnet":
        return None
    else:
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
