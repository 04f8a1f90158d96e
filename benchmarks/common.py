"""Helpers shared by the benchmark scripts (synthetic data, device, table printing)."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inn import threads  # noqa: E402 (the path above first)

threads.passive_openmp()  # before torch loads OpenMP, as the experiment scripts do


def add_device_argument(parser) -> None:
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="auto = cuda when available (default: auto)")
    parser.add_argument("--seed", type=int, default=0, help="data and model seed (default: 0)")


def add_size_arguments(parser, *, rows: int, features: int) -> None:
    parser.add_argument("--rows", type=int, default=rows,
                        help=f"rows of the synthetic data (default: {rows})")
    parser.add_argument("--features", type=int, default=features,
                        help=f"features of the synthetic data (default: {features})")


def add_training_arguments(parser, *, nr_epochs: int, batch_size: int | str | None) -> None:
    """``--nr_epochs`` (and ``--batch_size``): the same names as the estimators' parameters.
    ``batch_size="auto"``: the flag defaults to the estimators' own batch size (``None``, which
    grows with the training rows, :func:`inn.training.auto_batch_size`)."""
    parser.add_argument("--nr_epochs", type=int, default=nr_epochs,
                        help=f"training epochs of the networks (default: {nr_epochs})")
    if batch_size == "auto":
        parser.add_argument("--batch_size", type=int, default=None,
                            help="rows per step (default: the estimators' own, 256 doubled while "
                                 "an epoch would take more than 128 steps, at most 1024)")
    elif batch_size is not None:
        parser.add_argument("--batch_size", type=int, default=batch_size,
                            help=f"rows per step (default: {batch_size})")


def start(parser, argv=None, warm: bool = True):
    """Parse the flags and resolve ``--device`` (:func:`inn.estimators.resolve_device`: ``auto``
    is CUDA when available); with ``warm``, :func:`warm_up` torch.

    Returns ``(args, device)`` with ``device`` ``"cpu"`` or ``"cuda"``.
    """
    from inn.estimators import resolve_device

    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device).type
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    if warm:
        warm_up(device, args.seed)
    return args, device


def synthetic(n_rows: int, n_features: int, seed: int = 0):
    """A binary classification problem: float32 X (n_rows x n_features), int64 y."""
    import numpy as np
    from sklearn.datasets import make_classification

    informative = max(2, min(n_features // 2, 20))
    X, y = make_classification(n_samples=n_rows, n_features=n_features,
                               n_informative=informative,
                               n_redundant=min(n_features - informative, 5),
                               random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def machine(device: str, threads: bool = True) -> str:
    """The device in words; for the CPU with this process's torch threads unless told not to
    (the estimators set their own, ``n_jobs``)."""
    if device == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    import torch

    count = f", torch threads {torch.get_num_threads()}" if threads else ""
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores{count})"


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers,
                                                                                  widths))))
    for row in cells:
        print("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row,
                                                                                     widths))))


def _fmt(value) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def reproduce() -> None:
    script = Path(sys.argv[0]).resolve().relative_to(ROOT)
    print(f"reproduce: python {script} {shlex.join(sys.argv[1:])}".rstrip())


def warm_up(device: str, seed: int = 0) -> None:
    """One tiny INN and TabResNet fit, so that one-off torch start-up costs are not timed."""
    from inn import estimators as est

    X, y = synthetic(512, 8, seed)
    for cls in (est.INNClassifier, est.TabResNetClassifier):
        cls(nr_epochs=1, batch_size=256, device=device, random_state=seed).fit(X, y)


def logit_auroc(y, logits) -> float:
    """Test AUROC from logits: one column (binary) or one per class (one-vs-rest on softmax)."""
    import numpy as np

    from inn.metrics import auroc

    if logits.ndim == 1:
        return auroc(y, logits)
    p = np.exp(logits - logits.max(1, keepdims=True))
    return auroc(y, p / p.sum(1, keepdims=True))
