"""Where a default fit of INN (and of TabResNet, for comparison) spends its time, CPU, one torch
thread.

For every case (a store dataset, or ``synthetic``: 48,000 x 100 binary rows from
:func:`common.synthetic`, 10 % of them held out for validation) and method, two fits with the
estimator's default settings except for the number of epochs:

1. **Phases.** A fit with ``--nr_epochs`` epochs in each phase (INN: ``additive_epochs`` too)
   and a patience longer than that (so every epoch runs), timed by wrappers around the
   trainer's and the estimator's own methods (nothing of the library is edited): input
   encoding (the encoder's statistics and the per-fit encoding cache), additive phase, joint
   phase, validation passes (``Trainer.evaluate``), best-state copies, importances
   (``_explain_scaled``, which ``fit`` runs for INN), the rest of ``fit`` (input checks,
   building the module), and ``inn.estimators.save`` after the fit. The epoch phases and the
   validation passes are turned into per-epoch figures and scaled to the epochs that a default
   fit of the same data ran: ``epochs_run`` of the store record
   ``results/<method>/<dataset>/0/output_info.json`` (INN: its first ``additive_epochs`` in the
   additive phase, the rest in the joint phase), for ``synthetic`` those of the record of
   ``--synthetic_epochs_from`` (a stand-in: no record exists). A best-state copy happens only
   in an epoch that improves, so its per-epoch figure is an upper bound.
2. **Step parts.** One epoch (or more, ``--min_steps``) of the joint phase (the epochs that
   train the whole network) with every piece of the step timed exclusively (a timer stack; on
   the CPU every op has finished when it returns): encoding, matrix products (``nn.Linear``
   and the head's ``baddbmm``), shape functions, dropout, BatchNorm and GELU, consistency
   coalitions (masks, masked copies, the consistency loss), loss, backward (one autograd
   call: every part's backward is in it), optimizer (AdamW, ``zero_grad``, the learning-rate
   schedule) and the rest (Python and the small glue ops between them). The wrappers cost
   some microseconds per call; the table shows the instrumented step beside an uninstrumented
   one (the faster of two runs).

With ``--max_rows`` the training and validation rows are subsampled to at most that many and
the row-proportional figures (encoding, epochs, validation, importances) are scaled back up by
the row ratio.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager

import common
import numpy as np
import torch

ROOT = common.ROOT
PHASES = ["input encoding", "additive phase", "joint phase", "validation passes",
          "best-state copies", "importances", "rest of fit", "save"]
PARTS = ["encoding", "matrix products", "shape functions", "dropout", "BatchNorm + GELU",
         "consistency coalitions", "loss", "backward", "optimizer step", "Python and glue"]
METHODS = {"inn": "INN", "tabresnet": "TabResNet"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["37", "31", "1590", "synthetic"],
                   help="store keys, or 'synthetic' (default: 37 31 1590 synthetic)")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS),
                   help="default: inn tabresnet")
    p.add_argument("--nr_epochs", type=int, default=3,
                   help="epochs per phase in the timed fit (default: 3)")
    p.add_argument("--max_rows", type=int, default=None,
                   help="subsample the training (and validation) rows to at most this many "
                        "and scale the row-proportional times back (default: all rows)")
    common.add_size_arguments(p, rows=48_000, features=100)
    p.add_argument("--min_steps", type=int, default=50,
                   help="the step profile runs as many joint-phase epochs as it takes to make "
                        "at least this many steps (default: 50)")
    p.add_argument("--synthetic_epochs_from", default="1590",
                   help="store record whose epochs_run stands in for synthetic (default: 1590)")
    p.add_argument("--data_dir", default=None,
                   help="dataset store (default: INN_DATA_DIR or ../shared/datasets)")
    p.add_argument("--seed", type=int, default=0, help="split, data and model seed (default: 0)")
    return p


# ---- a stack of exclusive timers -------------------------------------------------------------
class Timers:
    """Exclusive seconds per label: time spent in a nested timed call counts for that call's
    label only. ``on`` switches the accounting (the wrappers stay in place)."""

    def __init__(self) -> None:
        self.on = False
        self.seconds: dict[str, float] = defaultdict(float)
        self.roots = 0.0  # inclusive time of the outermost timed calls
        self._stack: list[list] = []  # [label, start, time in children]

    def reset(self) -> None:
        self.seconds.clear()
        self.roots = 0.0

    def wrap(self, label: str, fn):
        def timed(*args, **kwargs):
            if not self.on:
                return fn(*args, **kwargs)
            frame = [label, time.perf_counter(), 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - frame[1]
                self._stack.pop()
                self.seconds[label] += elapsed - frame[2]
                if self._stack:
                    self._stack[-1][2] += elapsed
                else:
                    self.roots += elapsed

        timed.__wrapped__ = fn
        return timed


@contextmanager
def patched(timers: Timers, targets: list[tuple[object, str, str]]):
    """Replace ``owner.name`` by a timed wrapper labelled ``label`` for every
    ``(owner, name, label)``; restore them afterwards."""
    saved = []
    try:
        for owner, name, label in targets:
            own = name in vars(owner)  # else inherited: restored by deleting the wrapper
            raw = vars(owner)[name] if own else getattr(owner, name)
            saved.append((owner, name, raw if own else None))
            if isinstance(raw, staticmethod):
                setattr(owner, name, staticmethod(timers.wrap(label, raw.__func__)))
            else:
                setattr(owner, name, timers.wrap(label, raw))
        yield timers
    finally:
        for owner, name, raw in reversed(saved):
            if raw is None:
                delattr(owner, name)
            else:
                setattr(owner, name, raw)


def phase_targets():
    from inn import estimators, modules, training

    return [
        (modules.InputEncoder, "fit", "input encoding"),
        (training.Trainer, "_encoded", "input encoding"),
        (training.Trainer, "evaluate", "validation passes"),
        (estimators._NetworkEstimator, "_explain_scaled", "importances"),
    ]


def step_targets():
    from torch import nn

    from inn import modules, training

    return [
        (training.Trainer, "train_step", "Python and glue"),
        (training.Trainer, "_optimise", "Python and glue"),
        (training.Trainer, "forward", "Python and glue"),
        (modules.InputEncoder, "encode", "encoding"),
        (modules.InputEncoder, "features", "encoding"),
        (modules.Encoded, "rows", "encoding"),  # slices of the per-fit encoding cache
        (nn.Linear, "forward", "matrix products"),
        (torch, "baddbmm", "matrix products"),
        (modules.InputEncoder, "shape", "shape functions"),
        (modules.Dropout, "forward", "dropout"),
        (nn.BatchNorm1d, "forward", "BatchNorm + GELU"),
        (nn.GELU, "forward", "BatchNorm + GELU"),
        (training.Trainer, "_coalitions", "consistency coalitions"),
        (modules.Encoded, "masked", "consistency coalitions"),
        (modules.Encoded, "cat", "consistency coalitions"),
        (training.Trainer, "consistency_loss", "consistency coalitions"),
        (training.Trainer, "get_loss", "loss"),
        (torch.Tensor, "backward", "backward"),
        (torch.optim.AdamW, "step", "optimizer step"),
        (torch.optim.Optimizer, "zero_grad", "optimizer step"),
        (torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, "step", "optimizer step"),
    ]


# ---- data ------------------------------------------------------------------------------------
def load_case(name: str, args):
    """``(X_train, y_train, X_val, y_val, task, label)``."""
    if name == "synthetic":
        X, y = common.synthetic(args.rows, args.features, args.seed)
        n_val = int(round(0.1 * len(X)))  # the estimators' validation_fraction
        perm = np.random.default_rng(args.seed).permutation(len(X))
        val, train = perm[:n_val], perm[n_val:]
        return X[train], y[train], X[val], y[val], "binary", f"synthetic {args.rows:,} × " \
            f"{args.features}"
    from inn.data.prepared import prepare_data

    data = prepare_data(name, args.seed, "inn", with_test=False, data_dir=args.data_dir)
    ds = data.dataset
    X_tr, X_val = (np.asarray(data.X[p], dtype=np.float32) for p in ("train", "val"))
    return (X_tr, np.asarray(data.y["train"]), X_val, np.asarray(data.y["val"]), ds.task,
            f"{name} {ds.name}")


def subsample(X, y, max_rows: int | None, seed: int):
    if max_rows is None or len(X) <= max_rows:
        return X, y, 1.0
    keep = np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))
    return X[keep], y[keep], len(X) / max_rows


def record_epochs(method: str, key: str) -> int | None:
    path = ROOT / "results" / method / key / "0" / "output_info.json"
    try:
        return int(json.loads(path.read_text())["epochs_run"])
    except (OSError, KeyError, ValueError):
        return None


def estimator(method: str, task: str, **params):
    from inn import estimators as est

    regression = task == "regression"
    cls = {("inn", False): est.INNClassifier, ("inn", True): est.INNRegressor,
           ("tabresnet", False): est.TabResNetClassifier,
           ("tabresnet", True): est.TabResNetRegressor}[method, regression]
    return cls(device="cpu", n_jobs=1, random_state=0, **params)


# ---- the two measurements --------------------------------------------------------------------
def profile_phases(method, task, data, args):
    """Seconds per phase of a capped fit, and the epochs each phase ran."""
    from inn import estimators, training

    X, y, X_val, y_val = data
    n = args.nr_epochs
    extra = {"additive_epochs": n} if method == "inn" else {}
    est = estimator(method, task, nr_epochs=n, patience=2 * n + 1, **extra)
    timers = Timers()
    epochs = {"additive phase": 0, "joint phase": 0}
    raw_run_phase = training.Trainer._run_phase

    def run_phase(self, name, *a, **k):  # the phase's label from its name
        label = "additive phase" if "additive" in name else "joint phase"
        before = len(self.history)
        try:
            return timers.wrap(label, raw_run_phase)(self, name, *a, **k)
        finally:
            epochs[label] += len(self.history) - before

    with ExitStack() as stack:
        stack.enter_context(patched(timers, phase_targets()))
        training.Trainer._run_phase = run_phase
        stack.callback(setattr, training.Trainer, "_run_phase", raw_run_phase)
        stack.callback(setattr, training, "_snapshot", training._snapshot)
        training._snapshot = timers.wrap("best-state copies", training._snapshot)
        timers.on = True
        timed_fit = timers.wrap("rest of fit", est.fit)
        timed_fit(X, y, X_val=X_val, y_val=y_val)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            estimators.save(est, f"{tmp}/model")
            timers.seconds["save"] = time.perf_counter() - start
        timers.on = False
    return dict(timers.seconds), epochs, est


def profile_step(method, task, data, args):
    """Exclusive seconds per step part over one joint-phase epoch, steps, and the same epoch's
    seconds without the wrappers."""
    from inn import training

    X, y, X_val, y_val = data
    extra = {"additive_epochs": 0} if method == "inn" else {}
    timers = Timers()
    raw_phase = training.Trainer._phase
    epoch = {}

    def phase(self, *a, **k):  # the epoch loop of the joint phase only
        start = time.perf_counter()
        timers.on = epoch["instrument"]
        try:
            return raw_phase(self, *a, **k)
        finally:
            timers.on = False
            epoch["s"] = (time.perf_counter() - start) / n_epochs
            epoch["steps"] = self.scheduler.last_epoch
            epoch["epochs"] = n_epochs

    # at least --min_steps steps (small data have a few steps per epoch)
    from inn.training import auto_batch_size

    batch = estimator(method, task).batch_size or auto_batch_size(len(X))
    n_epochs = -(-args.min_steps // -(-len(X) // batch))

    def one_epoch(instrument: bool):
        est = estimator(method, task, nr_epochs=n_epochs, early_stopping=False, **extra)
        timers.reset()
        training.Trainer._phase = phase
        epoch["instrument"] = instrument
        try:
            est.fit(X, y)
        finally:
            training.Trainer._phase = raw_phase
        return dict(epoch)

    with patched(timers, step_targets()):
        timed = one_epoch(True)
        parts, roots = dict(timers.seconds), timers.roots
        # the faster of two uninstrumented runs (the first fit of a size runs slower at times)
        plain = min(one_epoch(False), one_epoch(False), key=lambda e: e["s"])
    return parts, roots, timed, plain


# ---- tables ----------------------------------------------------------------------------------
def markdown(headers, rows) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_s(seconds: float) -> str:
    return f"{seconds:,.0f}" if seconds >= 100 else f"{seconds:.3g}"


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    common.warm_up("cpu", args.seed)
    from inn.estimators import INNClassifier

    additive_default = INNClassifier().additive_epochs
    phase_cols, step_cols, notes = [], [], []
    for key in args.datasets:
        X, y, X_val, y_val, task, label = load_case(key, args)
        X, y, ratio = subsample(X, y, args.max_rows, args.seed)
        X_val, y_val, _ = subsample(X_val, y_val, None if args.max_rows is None else
                                    max(1, args.max_rows // 9), args.seed)
        data = (X, y, X_val, y_val)
        for method in args.methods:
            name = f"{label}, {METHODS[method]}"
            print(f"profiling {name} ({len(X):,} training rows, {X.shape[1]} input columns)",
                  flush=True)
            seconds, epochs, est = profile_phases(method, task, data, args)
            source = args.synthetic_epochs_from if key == "synthetic" else key
            run = record_epochs(method, source)
            if run is None:
                run = sum(epochs.values())
                notes.append(f"{name}: no store record, epochs as in the capped fit ({run})")
            additive = min(additive_default, run) if method == "inn" else 0
            default_epochs = {"additive phase": additive, "joint phase": run - additive}
            ran = sum(epochs.values())
            col = {}
            for phase in PHASES:
                s = seconds.get(phase, 0.0)
                if phase in default_epochs:
                    s = s / max(epochs[phase], 1) * default_epochs[phase]
                elif phase in ("validation passes", "best-state copies"):
                    s = s / max(ran, 1) * run
                if phase != "save":
                    s *= ratio
                col[phase] = s
            phase_cols.append((name, f"{additive}+{run - additive}", col))
            parts, roots, timed, plain = profile_step(method, task, data, args)
            steps = max(timed["steps"], 1)
            parts["Python and glue"] = parts.get("Python and glue", 0.0)
            step_cols.append((name, {p: parts.get(p, 0.0) / steps * 1e3 for p in PARTS},
                              roots / steps * 1e3,
                              plain["s"] * plain["epochs"] / max(plain["steps"], 1) * 1e3,
                              plain["s"] * ratio, steps // timed["epochs"]))

    print(f"\nOne torch thread, {common.machine('cpu')}; --nr_epochs {args.nr_epochs}"
          + (f", --max_rows {args.max_rows}" if args.max_rows else "") + "\n")
    print("Phases of a default fit, seconds (extrapolated to the default fit's epochs; "
          "share of the fit in brackets)\n")
    headers = ["phase"] + [c[0] for c in phase_cols]
    rows = [["epochs (additive+joint)"] + [c[1] for c in phase_cols]]
    for phase in PHASES:
        rows.append([phase] + [f"{fmt_s(c[2][phase])} "
                               f"({100 * c[2][phase] / sum(c[2].values()):.0f} %)"
                               for c in phase_cols])
    rows.append(["**fit + save**"] + [f"**{fmt_s(sum(c[2].values()))}**" for c in phase_cols])
    print(markdown(headers, rows))
    print("\nParts of one joint-phase training step, ms per step (share of the step in "
          "brackets)\n")
    headers = ["part"] + [c[0] for c in step_cols]
    rows = []
    for part in PARTS:
        rows.append([part] + [f"{c[1][part]:.3g} ({100 * c[1][part] / c[2]:.0f} %)"
                              for c in step_cols])
    rows.append(["**step, instrumented**"] + [f"**{c[2]:.3g}**" for c in step_cols])
    rows.append(["step, not instrumented"] + [f"{c[3]:.3g}" for c in step_cols])
    rows.append(["steps per epoch"] + [str(c[5]) for c in step_cols])
    rows.append(["epoch loop, s (not instrumented)"] + [f"{c[4]:.3g}" for c in step_cols])
    print(markdown(headers, rows))
    for note in notes:
        print(f"\nnote: {note}")
    print()
    common.reproduce()


if __name__ == "__main__":
    main()
