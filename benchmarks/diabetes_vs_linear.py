"""INN with default settings against a plain linear model on small, near-linear data.

scikit-learn's diabetes regression (442 rows, 10 features), standardised inputs,
``train_test_split(test_size=0.2, random_state=0)``: test R² of ``LinearRegression`` and of
``INNRegressor()`` (and, for comparison, ``TabResNetRegressor()``) for a few seeds. A per-row
linear model contains the global one, so with its defaults INN should not do worse.

    python benchmarks/diabetes_vs_linear.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import inn
from inn.metrics import r2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                   help="random_state of the networks (default: 0 1 2)")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    linear = r2(y_test, LinearRegression().fit(X_train, y_train).predict(X_test))
    print(f"LinearRegression: test R² {linear:.3f}")
    for name, cls in (("INNRegressor()", inn.INNRegressor),
                      ("TabResNetRegressor()", inn.TabResNetRegressor)):
        scores = []
        for seed in args.seeds:
            model = cls(random_state=seed, verbose=0).fit(X_train, y_train)
            scores.append(r2(y_test, model.predict(X_test)))
        listed = ", ".join(f"{s:.3f}" for s in scores)
        print(f"{name}: test R² {listed} (seeds {' '.join(map(str, args.seeds))}; mean "
              f"{np.mean(scores):.3f}, {sum(s >= linear for s in scores)} of {len(scores)} "
              "at or above the linear model)")


if __name__ == "__main__":
    main()
