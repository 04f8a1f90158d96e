"""Training throughput (rows/s) of INN, TabResNet, CatBoost and TabNet on the same data.

Networks (INN, TabResNet, TabNet): rows/s = training rows x epochs / fit time, with the same
epochs and batch size for INN and TabResNet (no early stopping, no validation split), so their
ratio is the cost of INN's explanation head.  CatBoost: rows/s = training rows / fit time for a
fixed number of trees (no early stopping).  Default data: synthetic 48,000 x 100 binary.
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
    p.add_argument("--rows", type=int, default=48_000)
    p.add_argument("--features", type=int, default=100)
    p.add_argument("--epochs", type=int, default=5, help="epochs for INN, TabResNet, TabNet")
    p.add_argument("--batch_size", type=int, default=256)
    p.add_argument("--catboost_iterations", type=int, default=500)
    p.add_argument("--methods", nargs="+",
                   default=["inn", "inn_plain", "tabresnet", "catboost", "tabnet"],
                   help="inn = estimator defaults (with the consistency term); inn_plain = "
                        "INN without it (consistency_weight=0)")
    p.add_argument("--repeats", type=int, default=3,
                   help="fits per method; the fastest counts (shared machines are noisy)")
    add_device_argument(p)
    args = p.parse_args()
    device = resolve_device(args.device)
    warm_up(device, args.seed)
    X, y = synthetic(args.rows, args.features, args.seed)
    rows = []
    times = {}
    for method in args.methods:
        elapsed = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            setting = _fit(method, X, y, args, device)
            elapsed = min(elapsed, time.perf_counter() - start)
        passes = args.epochs if method != "catboost" else 1
        times[method] = elapsed
        rows.append([method, setting, elapsed, args.rows * passes / elapsed])
    print(f"training throughput on synthetic {args.rows:,} x {args.features} binary data, "
          f"{machine(device)}")
    print_table(["method", "setting", f"fit s (best of {args.repeats})", "rows/s"], rows)
    for name in ("inn", "inn_plain"):
        if name in times and "tabresnet" in times:
            print(f"{name} / TabResNet training time ratio: "
                  f"{times[name] / times['tabresnet']:.2f} "
                  f"(1 = no overhead; equal epochs {args.epochs}, batch {args.batch_size})")
    reproduce()


def _fit(method, X, y, args, device) -> str:
    import os

    if method in ("inn", "inn_plain", "tabresnet"):
        from inn import estimators as est

        cls = est.TabResNetClassifier if method == "tabresnet" else est.INNClassifier
        extra = {"consistency_weight": 0.0} if method == "inn_plain" else {}
        cls(nr_epochs=args.epochs, batch_size=args.batch_size, device=device,
            random_state=args.seed, **extra).fit(X, y)
        return f"{args.epochs} epochs, batch {args.batch_size}"
    if method == "catboost":
        from catboost import CatBoostClassifier

        CatBoostClassifier(iterations=args.catboost_iterations, random_seed=args.seed,
                           thread_count=os.cpu_count(), verbose=False,
                           allow_writing_files=False,
                           task_type="GPU" if device == "cuda" else "CPU").fit(X, y)
        return f"{args.catboost_iterations} trees, depth 6"
    if method == "tabnet":
        import contextlib
        import io

        from pytorch_tabnet.tab_model import TabNetClassifier

        model = TabNetClassifier(seed=args.seed, verbose=0, device_name=device)
        with contextlib.redirect_stdout(io.StringIO()):
            model.fit(X, y, max_epochs=args.epochs, batch_size=args.batch_size,
                      virtual_batch_size=max(8, args.batch_size // 4), num_workers=0)
        return f"{args.epochs} epochs, batch {args.batch_size}"
    raise SystemExit(f"error: unknown method {method}")


if __name__ == "__main__":
    main()
