"""Training time of INN (and optionally TabResNet) against the number of rows and of features.

Two sweeps on synthetic binary data, a few epochs each: rows (default 1k -> 100k at
``--fixed_features`` features) and features (default 10 -> 1000 at ``--fixed_rows`` rows).
"""

from __future__ import annotations

import argparse
import time

from common import (
    add_device_argument,
    machine,
    print_table,
    reproduce,
    resolve_device,
    synthetic,
    warm_up,
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    p.add_argument("--features", type=int, nargs="+", default=[10, 100, 1000])
    p.add_argument("--fixed_rows", type=int, default=10_000, help="rows in the feature sweep")
    p.add_argument("--fixed_features", type=int, default=100, help="features in the row sweep")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch_size", type=int, default=256)
    p.add_argument("--methods", nargs="+", default=["inn"], choices=("inn", "tabresnet"))
    p.add_argument("--repeats", type=int, default=1, help="fits per point; the fastest counts")
    add_device_argument(p)
    args = p.parse_args()
    device = resolve_device(args.device)
    warm_up(device, args.seed)

    from inn import estimators as est

    classes = {"inn": est.INNClassifier, "tabresnet": est.TabResNetClassifier}
    table = []
    sweeps = [("rows", n, args.fixed_features) for n in args.rows]
    sweeps += [("features", args.fixed_rows, d) for d in args.features]
    for sweep, n, d in sweeps:
        X, y = synthetic(n, d, args.seed)
        for method in args.methods:
            elapsed = float("inf")
            for _ in range(args.repeats):
                model = classes[method](nr_epochs=args.epochs, batch_size=args.batch_size,
                                        device=device, random_state=args.seed)
                start = time.perf_counter()
                model.fit(X, y)
                elapsed = min(elapsed, time.perf_counter() - start)
            table.append([sweep, method, n, d, elapsed, n * args.epochs / elapsed])
    print(f"training time vs size, {args.epochs} epochs, batch {args.batch_size}, "
          f"{machine(device)}")
    print_table(["sweep", "method", "rows", "features", "fit s", "rows/s"], table)
    reproduce()


if __name__ == "__main__":
    main()
