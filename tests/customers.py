"""A small own-data table for the tests: numbers, strings and gaps, and a string target."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
