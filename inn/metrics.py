"""Task-aware test metrics, one definition for every method."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """AUROC (one-vs-rest macro for multiclass), accuracy, balanced accuracy and log loss.

    Args:
        y_true: encoded labels 0..k-1.
        proba: ``(n, k)`` class probabilities in the order of the encoded labels.
    """
    proba = np.asarray(proba, dtype=np.float64)
    # float32 probabilities (some baselines) can miss 1 by ~1e-7 per row, which scikit-learn's
    # AUROC and log loss reject or warn about; renormalising changes nothing else.
    proba = proba / proba.sum(axis=1, keepdims=True)
    labels = np.arange(proba.shape[1])
    pred = proba.argmax(axis=1)
    if proba.shape[1] == 2:
        auroc = skm.roc_auc_score(y_true, proba[:, 1])
    else:
        auroc = skm.roc_auc_score(
            y_true, proba, multi_class="ovr", average="macro", labels=labels
        )
    return {
        "auroc": float(auroc),
        "accuracy": float(skm.accuracy_score(y_true, pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, pred)),
        "log_loss": float(skm.log_loss(y_true, proba, labels=labels)),
    }


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R²."""
    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(y_true, pred))),
        "mae": float(skm.mean_absolute_error(y_true, pred)),
        "r2": float(skm.r2_score(y_true, pred)),
    }
