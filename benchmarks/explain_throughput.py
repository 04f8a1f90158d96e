"""Explanations per second: INN's built-in explanations vs KernelSHAP on INN vs TreeSHAP on
CatBoost, on the same synthetic binary data.

* INN: ``model.explain(X)`` for ``--rows`` rows (one forward pass gives every contribution).
* KernelSHAP on INN: ``shap.KernelExplainer`` on INN's probability of class 1, background of
  ``--background`` rows summarised with ``shap.kmeans``, default ``nsamples`` ("auto" =
  2 * features + 2048 model evaluations per row).  It is slow, so only ``--kernel_rows`` rows are
  timed and the rate is extrapolated (marked in the table).
* TreeSHAP on CatBoost: ``shap.TreeExplainer(model).shap_values(X)`` for ``--rows`` rows.
"""

from __future__ import annotations

import argparse
import time

import common


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--train_rows", type=int, default=10_000,
                   help="training rows of the models (default: 10000)")
    p.add_argument("--features", type=int, default=20, help="features (default: 20)")
    p.add_argument("--rows", type=int, default=1000,
                   help="rows explained by INN and TreeSHAP (default: 1000)")
    p.add_argument("--kernel_rows", type=int, default=3,
                   help="rows timed for KernelSHAP (default: 3)")
    p.add_argument("--background", type=int, default=100,
                   help="KernelSHAP background rows (default: 100)")
    common.add_training_arguments(p, nr_epochs=5, batch_size=None)
    p.add_argument("--catboost_iterations", type=int, default=300,
                   help="CatBoost trees (default: 300)")
    common.add_device_argument(p)
    return p


def main(argv=None) -> None:
    args, device = common.start(build_parser(), argv, warm=False)

    import numpy as np
    import shap
    from catboost import CatBoostClassifier

    from inn import INNClassifier

    X, y = common.synthetic(args.train_rows + args.rows, args.features, args.seed)
    X_train, y_train, X_exp = X[: args.train_rows], y[: args.train_rows], X[args.train_rows:]
    inn = INNClassifier(nr_epochs=args.nr_epochs, device=device, random_state=args.seed)
    inn.fit(X_train, y_train)
    table = []

    start = time.perf_counter()
    inn.explain(X_exp)
    elapsed = time.perf_counter() - start
    table.append(["INN explain()", len(X_exp), elapsed, len(X_exp) / elapsed, "measured"])

    background = shap.kmeans(X_train, args.background)
    kernel = shap.KernelExplainer(lambda a: inn.predict_proba(np.asarray(a, np.float32))[:, 1],
                                  background)
    rows = X_exp[: args.kernel_rows]
    start = time.perf_counter()
    kernel.shap_values(rows, silent=True)
    elapsed = time.perf_counter() - start
    table.append(["KernelSHAP on INN", len(rows), elapsed, len(rows) / elapsed,
                  f"extrapolated from {len(rows)} rows"])

    cb = CatBoostClassifier(iterations=args.catboost_iterations, random_seed=args.seed,
                            verbose=False, allow_writing_files=False).fit(X_train, y_train)
    tree = shap.TreeExplainer(cb)
    start = time.perf_counter()
    tree.shap_values(X_exp)
    elapsed = time.perf_counter() - start
    table.append(["TreeSHAP on CatBoost", len(X_exp), elapsed, len(X_exp) / elapsed, "measured"])

    print(f"explanations per second; {args.features} features, INN trained {args.nr_epochs} "
          f"epochs on {args.train_rows:,} rows, KernelSHAP background {args.background} "
          f"(shap.kmeans), default nsamples; {common.machine(device)}")
    common.print_table(["explainer", "rows", "seconds", "expl/s", "note"], table)
    print(f"INN vs KernelSHAP speed-up: {table[0][3] / table[1][3]:,.0f}x")
    common.reproduce()


if __name__ == "__main__":
    main()
