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
from inn.data import (
    TEST_SIZE,
    VALIDATION_SIZE,
    DataFile,
    DatasetError,
    PreparedData,
    dataset_key,
    load_dataset,
    make_splits,
    prepare_data,
)
from inn.data.loading import load_key
from inn.data.preprocessing import AUTO, NUMERIC_SCALINGS
from inn.metrics import classification_metrics, regression_metrics
from inn.results import (
    MODEL_DIR,
    RUNS_DIR,
    check_output_dir,
    read_result_or_none,
    record_problem,
    reference_keys,
    result_path,
    write_dir_atomic,
    write_json_atomic,
)
from inn.validation import SEED, Choice, Real, check_device_name

log = logging.getLogger("inn.experiment")

SCHEMA_VERSION = 1


def fit_method(method: str, task: str, params: dict, seed: int, data: PreparedData, *,
               device: str = "auto", n_jobs: int = 1, quiet: bool = True):
    """Fit ``method`` on the training split, with the validation split (early stopping or
    selection, as the method does). Returns the fitted model (:class:`inn.baselines.base.Model`).
    """
    model = methods.get(method).build(task=task, seed=seed, n_jobs=n_jobs, params=params,
                                      device=device, verbose=0 if quiet else 1)  # fmt: skip
    X = data.X["train"]
    if not quiet:
        log.info("fitting %s on %s: %d training rows x %d input columns", method,
                 data.dataset.name, X.shape[0], X.shape[1])
    start = time.perf_counter()
    model.fit(X, data.y["train"], data.X["val"], data.y["val"], categorical=data.categorical)
    if not quiet:
        log.info("fitted %s in %.1f s", method, time.perf_counter() - start)
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
                "interpret-core", "pytabkit", "openml"):  # fmt: skip
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
    output_dir=RUNS_DIR,
    data_dir=None,
    device: str = "auto",
    mode: str | None = None,
    overwrite: bool = False,
    quiet: bool = False,
    n_jobs: int | None = None,
    numeric_scaling: str = AUTO,
    save_model: bool | None = None,
    openml_task_id: int | None = None,
    drop_features=(),
) -> dict:
    """Run one (method, dataset, seed) cell and write its ``output_info.json``.

    Args:
        method: a registered method name (:func:`inn.methods.names`).
        dataset_id: OpenML id, store key, or a :class:`~inn.data.DataFile` (a CSV or parquet
            file and its target column; its results go under the file's stem).
        seed: seeds the split and the method.
        params: method hyperparameters (the estimator's or baseline's own names).
        test_split_size: share of rows held out for testing.
        output_dir: root of the results tree (default ``runs``, git-ignored; the committed
            benchmark records are in ``results``); ``None`` writes nothing.
        data_dir: dataset store folder (default: ``INN_DATA_DIR`` or ``../shared/datasets``).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"`` (networks and TabNet).
        mode: ``"classification"`` or ``"regression"`` to assert the dataset's task (a
            :class:`~inn.data.DataFile` sets its task with its own ``mode``).
        overwrite: rerun even when the result file exists (otherwise it is returned as is).
        quiet: no progress bar.
        n_jobs: threads for the method; ``None``: the method's default
            (:meth:`inn.baselines.base.Model.default_threads`: all cores for the baselines, the
            estimator's ``n_jobs`` for INN and TabResNet).
        numeric_scaling: scaling of numeric columns in the encoded input: ``"auto"`` (each
            column scaled once: none here for a network with ``robust``, which scales them
            itself, standard for the other methods), ``"standard"``, ``"quantile"`` (suits
            heavy-tailed columns) or ``"none"``. The record keeps the one applied.
        save_model: save the fitted model in ``model/`` next to the result file (``None``: the
            method's default, which is yes for INN and no for the others). It is saved with the
            run's preprocessor, so it takes rows of the original data (``inn.load``).
        openml_task_id: use this OpenML task's dataset and its train/test split of fold ``seed``
            instead of ``dataset_id`` and a seeded split (needs the network or the openml
            cache). The result goes to the task's dataset id; ``dataset_id`` is unused.
        drop_features: original feature names to leave out (the feature-removal check).

    Returns:
        The result record (also written to the results tree).
    """
    # Every setting is checked before any work, so a bad one costs nothing and writes nothing.
    # The dataset id is normalised here, once (the CLIs pass their text on); every step below
    # takes the key as it is.
    entry = methods.get(method)
    if not isinstance(dataset_id, DataFile) and openml_task_id is None:
        dataset_id = dataset_key(dataset_id)
    key = dataset_id.key if isinstance(dataset_id, DataFile) else dataset_id
    seed = SEED.check("seed", seed)
    params = dict(params or {})
    entry.model_class.check_params(params)
    Real(0, 1, low_open=True, high_open=True).check("test_split_size", test_split_size)
    Choice(NUMERIC_SCALINGS).check("numeric_scaling", numeric_scaling)
    check_device_name("device", device)
    if device not in ("auto", "cpu"):
        from inn.estimators import resolve_device

        resolve_device(device)  # a clear error now, not a late one from the library
    save = entry.model_class.saves_by_default if save_model is None else save_model
    if save and not entry.model_class.can_save:
        raise ValueError(f"{method} cannot save its fitted model (save_model)")
    if output_dir is not None:
        check_output_dir(output_dir)
    drop_features = [str(f) for f in drop_features]
    # A task's dataset id is known only once the task is fetched; then the skip check follows.
    if openml_task_id is None:
        existing = _existing(
            output_dir, method, key, seed, None, overwrite, test_split_size=test_split_size,
            data_file=dataset_id if isinstance(dataset_id, DataFile) else None,
            fingerprint=partial(seeded_fingerprint, dataset_id, seed, test_split_size, data_dir))
        if existing is not None:
            return existing

    seeded = openml_task_id is None and not isinstance(dataset_id, DataFile)
    source = load_key(dataset_id, data_dir) if seeded else dataset_id
    data = prepare_data(source, seed, method, test_split_size=test_split_size,
                        numeric_scaling=numeric_scaling, data_dir=data_dir,
                        openml_task_id=openml_task_id, drop_features=drop_features,
                        params=params)  # fmt: skip
    dataset, splits = data.dataset, data.splits
    if openml_task_id is not None:
        existing = _existing(output_dir, method, dataset.dataset_id, seed, openml_task_id,
                             overwrite, fingerprint=splits.fingerprint())  # fmt: skip
        if existing is not None:
            return existing
    path = None if output_dir is None else result_path(output_dir, method, dataset.dataset_id,
                                                        seed)
    if mode is not None and (mode == "regression") != (dataset.task == "regression"):
        raise ValueError(f"--mode {mode} does not fit dataset {key} ({dataset.name}), "
                         f"whose task is {dataset.task}")  # fmt: skip
    n_jobs = n_jobs or entry.model_class.default_threads()

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
        "test_split_size": (test_split_size if openml_task_id is None else
                            round(len(splits.test) / len(dataset.y), 4)),
        "split": ({"kind": "seeded", "seed": seed} if openml_task_id is None else
                  {"kind": "openml_task", "openml_task_id": int(openml_task_id), "fold": seed,
                   "repeat": 0}),
        "numeric_scaling": data.numeric_scaling,
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
    if drop_features:
        record["dropped_features"] = drop_features
    record.update(reference_keys(record))
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


def _existing(output_dir, method, dataset_id, seed, openml_task_id, overwrite, *,
              fingerprint, test_split_size=None, data_file: DataFile | None = None) -> dict | None:
    """The finished record of this cell, to be returned as is, or ``None`` (run it).

    A record that is not this cell's finished result (:func:`inn.results.record_problem`:
    incomplete, another cell's, another split, metrics that are not numbers) or that was made
    from an earlier version of the data file is reported in one log line and run again.
    ``fingerprint``: the split this cell makes, or a function that computes it (called only
    for a record that passes the other checks; ``None`` from it: not checked).

    A record made with a different split (seeded vs an OpenML task's fold), or from another data
    file with the same dataset id, is an error rather than a silent skip or overwrite: the two
    must not be mixed in one tree.
    """
    if output_dir is None:
        return None
    path = result_path(output_dir, method, dataset_id, seed)
    if not path.exists() or overwrite:
        return None
    record = read_result_or_none(path)  # a corrupt file is not a result: run again
    if record is None:
        return None
    split = record.get("split")
    found = split.get("openml_task_id") if isinstance(split, dict) else None
    if found != openml_task_id:
        def describe(task):
            return "a seeded split" if task is None else f"OpenML task {task}"

        raise ValueError(f"{path} exists with {describe(found)}, not {describe(openml_task_id)}; "
                         "use another output directory or overwrite")
    problem = record_problem(record, method, dataset_id, seed, test_split_size=test_split_size)
    if problem is None and data_file is not None:
        problem = _data_file_problem(path, record, data_file)
    if problem is None:
        expected = fingerprint() if callable(fingerprint) else fingerprint
        problem = record_problem(record, method, dataset_id, seed, split_fingerprint=expected)
    if problem is not None:
        log.warning("%s is not a finished result of this cell (%s); running it again", path,
                    problem)
        return None
    log.info("%s exists; skipping (use overwrite to rerun)", path)
    record["skipped"] = True
    record["path"] = str(path)
    return record


def _data_file_problem(path, record: dict, data_file: DataFile) -> str | None:
    """Whether the record was made from this version of this file: another file of the same
    dataset id is an error, an edited file a reason to run again."""
    wanted = data_file.record()
    made = record.get("data_file")
    made = made if isinstance(made, dict) else {}
    if made.get("path") != wanted["path"]:
        other = made.get("path") or record.get("dataset_source") or "another dataset"
        raise ValueError(f"{path} holds the result of {other}, not of the data file "
                         f"{wanted['path']} (both have the dataset id {data_file.key!r}); rename "
                         "the file or use another output directory")
    if made.get("sha256") != wanted["sha256"]:
        return "the data file has changed since (its SHA-256 differs)"
    return None


def seeded_fingerprint(dataset_id, seed: int, test_split_size: float, data_dir=None):
    """The fingerprint of the seeded split :func:`run` makes of ``dataset_id`` (a normalised
    key or a :class:`~inn.data.DataFile`), or ``None`` (logged) when the data cannot be loaded
    to tell."""
    try:
        dataset = (load_dataset(dataset_id) if isinstance(dataset_id, DataFile) else
                   load_key(dataset_id, data_dir))
    except DatasetError as err:
        log.warning("the split of the existing result cannot be checked: %s", err)
        return None
    return make_splits(dataset.y, dataset.task, seed=seed, test_size=test_split_size).fingerprint()


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
