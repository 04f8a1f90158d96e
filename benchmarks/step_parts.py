"""Time of the pieces of an INN training step that issue 17's second round replaced, old against
new, on one batch as the trainer sees it (256 rows plus the consistency term's 128 masked copies
and the reference: 385 rows), one torch thread, best of ``--repeats`` runs of ``--calls`` calls.

* dropout: ``nn.Dropout`` (one random number per entry) against :class:`inn.modules.Dropout`
  (random bytes against a threshold), forward and backward on the trunk's ``(385, width)``;
* shape functions: ``einsum("ndt,dt->nd")`` against a product and a sum over the bins;
* linear part: ``einsum("ndk,nd->nk")`` against a product and a sum over the features.
"""

from __future__ import annotations

import argparse
import time

import common
import torch


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=385, help="rows per step (default: 385)")
    p.add_argument("--features", type=int, default=100, help="features d (default: 100)")
    p.add_argument("--bins", type=int, default=8, help="bins per feature (default: 8)")
    p.add_argument("--width", type=int, default=128, help="trunk width (default: 128)")
    p.add_argument("--calls", type=int, default=200, help="calls per run (default: 200)")
    p.add_argument("--repeats", type=int, default=3, help="runs; the fastest counts (default: 3)")
    common.add_device_argument(p)
    return p


def _time(fn, calls: int, repeats: int) -> float:
    """Best microseconds per call."""
    for _ in range(10):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main(argv=None) -> None:
    args, device = common.start(build_parser(), argv, warm=False)
    from inn.modules import Dropout

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    n, d, t = args.rows, args.features, args.bins
    h = torch.randn(n, args.width, device=device, requires_grad=True)
    grad = torch.randn(n, args.width, device=device)
    ple = torch.rand(n, d, t, device=device)
    slopes = torch.rand(d, t, device=device, requires_grad=True)
    weights = torch.randn(n, d, 1, device=device, requires_grad=True)
    z = torch.randn(n, d, device=device)

    def backward(layer):
        return lambda: layer(h).backward(grad)

    def summed(out):
        return lambda: out().sum().backward()

    pairs = [
        ("dropout p=0.25, forward + backward", backward(torch.nn.Dropout(0.25)),
         backward(Dropout(0.25))),
        ("shape functions, forward", lambda: torch.einsum("ndt,dt->nd", ple, slopes),
         lambda: (ple * slopes).sum(-1)),
        ("shape functions, forward + backward",
         summed(lambda: torch.einsum("ndt,dt->nd", ple, slopes)),
         summed(lambda: (ple * slopes).sum(-1))),
        ("linear part, forward + backward",
         summed(lambda: torch.einsum("ndk,nd->nk", weights, z)),
         summed(lambda: (weights * z.unsqueeze(-1)).sum(-2))),
    ]
    rows = []
    for name, old, new in pairs:
        before, after = _time(old, args.calls, args.repeats), _time(new, args.calls, args.repeats)
        rows.append([name, before, after, before / after])
    print(f"pieces of a training step, {n} rows x {d} features x {t} bins, width {args.width}, "
          f"{common.machine(device)}")
    common.print_table(["piece", "before (µs)", "now (µs)", "speed-up"], rows)
    common.reproduce()


if __name__ == "__main__":
    main()
