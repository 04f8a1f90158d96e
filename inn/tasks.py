"""The learning tasks every layer shares: datasets, splits, models and metrics."""

import numpy as np

TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION_TASKS = ("binary", "multiclass")


def target_mean_std(y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of a regression target (std 1.0 for a constant target), for
    the models that regress a standardised target; they stay finite for targets of any finite
    magnitude: where the plain formulas overflow (|y| beyond ~1e154), they are taken on y
    divided by its largest magnitude."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = float(y.mean()), float(y.std())
    if not (np.isfinite(mean) and np.isfinite(std)):
        peak = float(np.abs(y).max())
        mean, std = float((y / peak).mean()) * peak, float((y / peak).std()) * peak
    return mean, std or 1.0
