"""The learning tasks every layer shares: datasets, splits, models and metrics."""

TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION_TASKS = ("binary", "multiclass")
