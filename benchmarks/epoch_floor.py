"""The matrix-product floor of one training epoch of INN and TabResNet with default settings.

Every dense layer of the default networks (the trunk's Linear layers and the output head) is a
matrix product in the forward pass and one or two in the backward pass (the weight gradient,
and the input gradient for every layer but the first, whose input is data). This script builds
the default modules for ``--features`` columns, lists those products at the row counts of one
training step (TabResNet: the batch; INN: the batch, the consistency term's masked copies and
the reference row), times each product alone with ``torch.mm`` on contiguous float32 tensors
(best of ``--repeats``), and scales the sum to an epoch of ``--rows`` rows. A step that does
these products as dense products does not do them faster than they run alone, so the figure is
a lower bound on the epoch time of the default settings on this machine (everything else in a
step, such as BatchNorm, GELU, dropout, the shape functions and the optimizer, comes on top).
"""

from __future__ import annotations

import argparse
import time

import common
import torch
from torch import nn


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    common.add_size_arguments(p, rows=48_000, features=100)
    p.add_argument("--batch_size", type=int, default=256, help="rows per step (default: 256)")
    p.add_argument("--n_jobs", type=int, default=1, help="torch threads (default: 1)")
    p.add_argument("--calls", type=int, default=50, help="calls per timing (default: 50)")
    p.add_argument("--repeats", type=int, default=5,
                   help="timings per product; the fastest counts (default: 5)")
    p.add_argument("--target", type=float, default=0.6,
                   help="issue 17's INN target in s per epoch, printed beside the floor "
                        "(default: 0.6)")
    return p


def products(module: nn.Module, rows: int) -> list[tuple[str, int, int, int]]:
    """``(name, m, k, n)`` of every matrix product one training step does in ``module``'s dense
    layers: forward ``(rows, in) @ (in, out)``, weight gradient ``(out, rows) @ (rows, in)`` and,
    except for the first layer, input gradient ``(rows, out) @ (out, in)``."""
    dense = [(name, m.in_features, m.out_features) for name, m in module.named_modules()
             if isinstance(m, nn.Linear)]
    head = getattr(module, "head_weight", None)
    if head is not None:  # INN's head: (members, hidden, d * k), one product per member
        dense += [("head", head.shape[1], head.shape[2])] * head.shape[0]
    out = []
    for i, (name, n_in, n_out) in enumerate(dense):
        out.append((f"{name} forward", rows, n_in, n_out))
        out.append((f"{name} weight grad", n_out, rows, n_in))
        if i > 0:
            out.append((f"{name} input grad", rows, n_out, n_in))
    return out


def time_product(m: int, k: int, n: int, calls: int, repeats: int) -> float:
    """Best seconds per ``(m, k) @ (k, n)`` float32 product."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    out = torch.empty(m, n)
    for _ in range(5):
        torch.mm(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            torch.mm(a, b, out=out)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def step_rows(est, batch: int) -> int:
    """Rows one training step passes through the network: the batch and, with INN's
    consistency term, two masked copies of each of its rows and the reference row."""
    from inn.training import consistency_row_count

    if getattr(est, "consistency_weight", 0) > 0:
        return batch + 2 * consistency_row_count(est.consistency_rows, batch) + 1
    return batch


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    from inn import INNClassifier, TabResNetClassifier

    torch.set_num_threads(args.n_jobs)
    torch.manual_seed(0)
    d, steps = args.features, args.rows / args.batch_size
    table, totals = [], {}
    for label, est in (("INN", INNClassifier()), ("TabResNet", TabResNetClassifier())):
        module = est._build_module(d, 1)  # the network a default binary fit trains
        rows = step_rows(est, args.batch_size)
        flop = seconds = 0.0
        for _name, m, k, n in products(module, rows):
            flop += 2.0 * m * k * n
            seconds += time_product(m, k, n, args.calls, args.repeats)
        totals[label] = seconds * steps
        table.append([label, rows, f"{flop * steps / 1e9:.1f}", f"{flop / seconds / 1e9:.0f}",
                      f"{seconds * steps:.3f}"])
    common.print_table(["network", "rows per step", "GFLOP per epoch", "GFLOP/s",
                        "floor: s per epoch"], table)
    ratio = totals["INN"] / totals["TabResNet"]
    print(f"\n{common.machine('cpu')}; epoch of {args.rows:,} rows x {d} features at batch "
          f"{args.batch_size}")
    print(f"INN floor {totals['INN']:.3f} s per epoch (issue 17's target: {args.target} s); "
          f"INN / TabResNet floor ratio {ratio:.2f}")
    common.reproduce()


if __name__ == "__main__":
    main()
