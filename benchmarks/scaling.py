"""Training time of INN (and optionally TabResNet) against the number of rows and of features.

Two sweeps on synthetic binary data, a few epochs each: rows (default 1k -> 100k at
``--fixed_features`` features) and features (default 10 -> 1000 at ``--fixed_rows`` rows).
"""

from __future__ import annotations

import argparse
import time

import common


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                   help="rows of the row sweep (default: 1000 10000 100000)")
    p.add_argument("--features", type=int, nargs="+", default=[10, 100, 1000],
                   help="features of the feature sweep (default: 10 100 1000)")
    p.add_argument("--fixed_rows", type=int, default=10_000,
                   help="rows in the feature sweep (default: 10000)")
    p.add_argument("--fixed_features", type=int, default=100,
                   help="features in the row sweep (default: 100)")
    common.add_training_arguments(p, nr_epochs=2, batch_size=256)
    p.add_argument("--methods", nargs="+", default=["inn"], choices=("inn", "tabresnet"),
                   help="networks to time (default: inn)")
    p.add_argument("--repeats", type=int, default=1,
                   help="fits per point; the fastest counts (default: 1)")
    common.add_device_argument(p)
    return p


def main(argv=None) -> None:
    args, device = common.start(build_parser(), argv)

    from inn import estimators as est

    classes = {"inn": est.INNClassifier, "tabresnet": est.TabResNetClassifier}
    table = []
    sweeps = [("rows", n, args.fixed_features) for n in args.rows]
    sweeps += [("features", args.fixed_rows, d) for d in args.features]
    for sweep, n, d in sweeps:
        X, y = common.synthetic(n, d, args.seed)
        for method in args.methods:
            elapsed = float("inf")
            for _ in range(args.repeats):
                model = classes[method](nr_epochs=args.nr_epochs, batch_size=args.batch_size,
                                        device=device, random_state=args.seed)
                start = time.perf_counter()
                model.fit(X, y)
                elapsed = min(elapsed, time.perf_counter() - start)
            table.append([sweep, method, n, d, elapsed, n * args.nr_epochs / elapsed])
    print(f"training time vs size, {args.nr_epochs} epochs, batch {args.batch_size}, "
          f"{common.machine(device)}")
    common.print_table(["sweep", "method", "rows", "features", "fit s", "rows/s"], table)
    common.reproduce()


if __name__ == "__main__":
    main()
