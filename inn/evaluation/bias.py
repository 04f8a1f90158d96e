"""Bias detection: a real dataset plus a feature that leaks the label for a subgroup.

Injection (:func:`inject_leak`): the *group* feature is a column of the encoded matrix (default
column 0, standardised); rows with the group feature above its training median are *affected*.
For them the new column ``leak`` equals the label plus ``N(0, 0.1^2)`` noise; for the other rows
it is label-independent noise with the label's mean and standard deviation. The column is then
standardised with the training rows' mean and standard deviation and appended last.

A model that uses the leak relies on it only for the affected rows; an explainer that reveals the
bias ranks ``leak`` first there. Rank = 1 + the number of features with a larger mean |phi|
(1 = most important), over all explained rows ("global"), the affected rows and the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LEAK_NOISE_SD = 0.1


@dataclass
class RealData:
    task: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    names: list
    meta: dict = field(default_factory=dict)
    group_column: int | None = None
    group_threshold: float | None = None
    leak_column: int | None = None


def inject_leak(X_train, y_train, X_test, y_test, rng, group_column=0):
    """Append the leaking column; returns ``(X_train, X_test, threshold)``."""
    threshold = float(np.median(X_train[:, group_column]))
    y_mean, y_sd = float(np.mean(y_train)), float(np.std(y_train)) or 1.0

    def column(X, y):
        affected = X[:, group_column] > threshold
        noise = y_mean + y_sd * rng.standard_normal(len(X))
        leak = np.where(affected, y + LEAK_NOISE_SD * rng.standard_normal(len(X)), noise)
        return leak

    tr, te = column(X_train, y_train), column(X_test, y_test)
    mu, sd = tr.mean(), tr.std() or 1.0
    X_train = np.column_stack([X_train, (tr - mu) / sd]).astype(np.float32)
    X_test = np.column_stack([X_test, (te - mu) / sd]).astype(np.float32)
    return X_train, X_test, threshold


def rank_of(importance: np.ndarray, column: int) -> int:
    """1 + number of features with strictly larger importance."""
    return int(1 + np.sum(importance > importance[column]))


def leak_ranks(phi, X_rows, group_column, threshold, leak_column) -> dict:
    """Rank of the leak feature by mean |phi| globally, on affected and on unaffected rows."""
    phi = np.abs(np.asarray(phi, dtype=np.float64))
    affected = np.asarray(X_rows)[:, group_column] > threshold
    out = {"leak_rank_global": rank_of(phi.mean(axis=0), leak_column),
           "n_affected": int(affected.sum())}  # fmt: skip
    for key, mask in (("leak_rank_affected", affected), ("leak_rank_unaffected", ~affected)):
        out[key] = rank_of(phi[mask].mean(axis=0), leak_column) if mask.any() else None
    return out


def leak_ranks_fn(data: RealData):
    def extra(name, attr, X_exp):
        return leak_ranks(attr.values, X_exp[attr.rows], data.group_column,
                          data.group_threshold, data.leak_column)  # fmt: skip

    return extra


def load_real(key, seed: int, leak: bool = False, max_train=None, **options) -> RealData:
    """Store dataset ``key`` (normalised: :func:`inn.data.dataset_key`) encoded as for INN
    (:func:`inn.data.prepare_data`, which takes ``options`` such as ``data_dir`` and
    ``numeric_scaling``); training = the pipeline's train + validation rows (capped at
    ``max_train``), test = its test rows."""
    from inn.data import prepare_data
    from inn.data.loading import load_key

    data = prepare_data(load_key(key, options.get("data_dir")), seed, "inn", **options)
    dataset = data.dataset
    if dataset.task == "multiclass":
        raise ValueError(f"dataset {key}: multiclass is not supported by the XAI benchmark")
    X_train = np.concatenate([data.X["train"], data.X["val"]]).astype(np.float32)
    y_train = np.concatenate([data.y["train"], data.y["val"]])
    if max_train is not None and len(X_train) > max_train:
        keep = np.random.default_rng(seed).permutation(len(X_train))[:max_train]
        X_train, y_train = X_train[keep], y_train[keep]
    X_test, y_test = np.asarray(data.X["test"], dtype=np.float32), data.y["test"]
    names = [str(n) for n in data.preprocessor.get_feature_names_out()]
    meta = {"dataset_name": dataset.name, "n_train": len(X_train), "n_test": len(X_test)}
    out = RealData(dataset.task, X_train, y_train, X_test, y_test, names, meta)
    if leak:
        rng = np.random.default_rng(seed + 999)
        X_train, X_test, thr = inject_leak(X_train, y_train, X_test, y_test, rng)
        out.X_train, out.X_test = X_train, X_test
        out.names = names + ["leak"]
        out.group_column, out.group_threshold = 0, thr
        out.leak_column = X_train.shape[1] - 1
        out.meta["group_feature"] = names[0]
    return out
