"""Peak memory of an INN fit: process RSS (resource.getrusage), Python/numpy allocations
(tracemalloc) and, on a GPU, torch.cuda.max_memory_allocated.

RSS is the process's lifetime peak, so the table shows the peak before the fit (data and
imports) and after it; the difference is what the fit added.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import common


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    common.add_size_arguments(p, rows=48_000, features=100)
    common.add_training_arguments(p, nr_epochs=5, batch_size=256)
    p.add_argument("--method", choices=("inn", "tabresnet"), default="inn",
                   help="the network to fit (default: inn)")
    common.add_device_argument(p)
    return p


def main(argv=None) -> None:
    args, device = common.start(build_parser(), argv)

    import torch

    from inn import estimators as est

    X, y = common.synthetic(args.rows, args.features, args.seed)
    cls = est.INNClassifier if args.method == "inn" else est.TabResNetClassifier
    model = cls(nr_epochs=args.nr_epochs, batch_size=args.batch_size, device=device,
                random_state=args.seed)
    rss_before = _peak_rss_mib()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    tracemalloc.start()
    start = time.perf_counter()
    model.fit(X, y)
    elapsed = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = _peak_rss_mib()
    rows = [
        ["data X (float32)", X.nbytes / 1024**2],
        ["peak RSS before fit", rss_before],
        ["peak RSS after fit", rss_after],
        ["added by the fit (RSS)", rss_after - rss_before],
        ["tracemalloc peak during fit", traced_peak / 1024**2],
    ]
    if device == "cuda":
        cuda_peak = torch.cuda.max_memory_allocated() / 1024**2
        rows.append(["torch.cuda.max_memory_allocated", cuda_peak])
    print(f"{args.method} fit on synthetic {args.rows:,} x {args.features}, {args.nr_epochs} "
          f"epochs, batch {args.batch_size}: {elapsed:.1f} s on {common.machine(device)}")
    common.print_table(["quantity", "MiB"], rows)
    common.reproduce()


if __name__ == "__main__":
    main()
