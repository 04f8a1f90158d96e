"""Small tables the tests share: numbers, strings and gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression


def customers_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """``age`` (float), ``city`` (text with gaps), ``spend`` (float with gaps) and the target
    ``bought`` (``"yes"``/``"no"``), which depends on city and age."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n).astype(float),
        "city": rng.choice(["Berlin", "Paris", "Rome"], n).astype(object),
        "spend": rng.lognormal(3, 1, n),
    })  # fmt: skip
    frame.loc[rng.choice(n, 12, replace=False), "spend"] = np.nan
    frame.loc[rng.choice(n, 9, replace=False), "city"] = None
    score = (frame["city"] == "Paris") + (frame["age"] - 50) / 20 + rng.normal(0, 0.5, n)
    frame["bought"] = np.where(score > 0.3, "yes", "no")
    return frame


def mixed_task_frame(task: str, n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``(raw, y)``: 5 numeric columns from scikit-learn's generators (``x1`` with 5 % NaN), an
    informative string column ``c_signal`` and a noise one ``c_noise``; ``task`` is
    ``"binary"``, ``"multiclass"`` (3 classes) or ``"regression"``."""
    rng = np.random.default_rng(seed)
    if task == "regression":
        X, y = make_regression(n_samples=n, n_features=5, n_informative=3, noise=5.0,
                               random_state=seed)
    else:
        X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                                   n_classes=2 if task == "binary" else 3,
                                   n_clusters_per_class=1, class_sep=1.5, random_state=seed)
    raw = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    s = X[:, 0] + rng.normal(0.0, 0.5, n)
    raw["c_signal"] = np.where(s > 0.5, "hi", np.where(s < -0.5, "lo", "mid"))
    raw["c_noise"] = rng.choice(["a", "b", "c", "missing"], n)
    raw.loc[rng.random(n) < 0.05, "x1"] = np.nan
    return raw, y
