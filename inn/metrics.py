"""Task-aware metrics, one definition per metric for every consumer: the test metrics of a run
(:func:`classification_metrics`, :func:`regression_metrics`), the baselines' validation
selection (:func:`inn.baselines.base.selection_score`), the interpretability benchmark's model
fit and the benchmark scripts all call the functions below."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def _proba(proba) -> np.ndarray:
    return np.asarray(proba, dtype=np.float64)


def auroc(y_true, scores) -> float:
    """Area under the ROC curve.

    Args:
        y_true: encoded labels 0..k-1.
        scores: ``(n,)`` scores of class 1 (a probability, or a raw output such as a logit), or
            ``(n, k)`` class probabilities: column 1 for ``k = 2``, else one-vs-rest, macro
            average over the ``k`` classes.
    """
    scores = _proba(scores)
    if scores.ndim == 1:
        return float(skm.roc_auc_score(y_true, scores))
    if scores.shape[1] == 2:
        return float(skm.roc_auc_score(y_true, scores[:, 1]))
    return float(skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro",
                                   labels=np.arange(scores.shape[1])))  # fmt: skip


def accuracy(y_true, proba) -> float:
    """Share of rows whose most probable class (``(n, k)`` probabilities) is the label."""
    return float(skm.accuracy_score(y_true, _proba(proba).argmax(axis=1)))


def balanced_accuracy(y_true, proba) -> float:
    """Mean recall over the classes of the most probable class (``(n, k)`` probabilities)."""
    return float(skm.balanced_accuracy_score(y_true, _proba(proba).argmax(axis=1)))


def log_loss(y_true, proba, floor: float | None = None) -> float:
    """Mean negative log-probability of the true class (``(n, k)`` probabilities).

    ``floor``: a probability below it counts as ``floor`` (the baselines' validation selection
    uses 1e-7, so that one confident miss does not outweigh everything else when it breaks a
    tie); ``None``: scikit-learn's ``log_loss`` (clipped at the float precision).
    """
    proba = _proba(proba)
    y_true = np.asarray(y_true)
    if floor is None:
        return float(skm.log_loss(y_true, proba, labels=np.arange(proba.shape[1])))
    p = np.clip(proba[np.arange(len(y_true)), y_true.astype(int)], floor, 1.0)
    return float(-np.mean(np.log(p)))


def rmse(y_true, pred) -> float:
    """Root mean squared error."""
    return float(np.sqrt(skm.mean_squared_error(y_true, pred)))


def mae(y_true, pred) -> float:
    """Mean absolute error."""
    return float(skm.mean_absolute_error(y_true, pred))


def r2(y_true, pred) -> float:
    """Coefficient of determination R²."""
    return float(skm.r2_score(y_true, pred))


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """AUROC (one-vs-rest macro for multiclass), accuracy, balanced accuracy and log loss.

    Args:
        y_true: encoded labels 0..k-1.
        proba: ``(n, k)`` class probabilities in the order of the encoded labels.
    """
    proba = _proba(proba)
    # float32 probabilities (some baselines) can miss 1 by ~1e-7 per row, which scikit-learn's
    # AUROC and log loss reject or warn about; renormalising changes nothing else.
    proba = proba / proba.sum(axis=1, keepdims=True)
    return {
        "auroc": auroc(y_true, proba),
        "accuracy": accuracy(y_true, proba),
        "balanced_accuracy": balanced_accuracy(y_true, proba),
        "log_loss": log_loss(y_true, proba),
    }


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R²."""
    return {"rmse": rmse(y_true, pred), "mae": mae(y_true, pred), "r2": r2(y_true, pred)}
