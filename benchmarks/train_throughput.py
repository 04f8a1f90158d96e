"""Training throughput (rows/s) of INN, TabResNet, CatBoost and TabNet on the same data.

Networks (INN, TabResNet, TabNet): rows/s = training rows x epochs / fit time and s/epoch = fit
time / epochs (CPU s/epoch: the process's CPU time, all its threads, which a busy machine
distorts less than the wall time), with the same epochs and batch size for INN and TabResNet
and otherwise their default settings, except that there is no early stopping (all rows train)
and INN's additive first phase is left out (its epochs skip the trunk; the figure is the cost
of the epochs that train the whole model), so their ratio is the cost of INN's explanation head
and consistency term.  A fit's one-off costs (the input encoder's statistics, INN's
importances) are in the fit time.  CatBoost: rows/s = training rows / fit time for a fixed
number of trees (no early stopping).  Default data: synthetic 48,000 x 100 binary.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import common


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    common.add_size_arguments(p, rows=48_000, features=100)
    common.add_training_arguments(p, nr_epochs=5, batch_size="auto")
    p.add_argument("--catboost_iterations", type=int, default=500,
                   help="CatBoost trees (default: 500)")
    p.add_argument("--methods", nargs="+",
                   default=["inn", "inn_plain", "tabresnet", "catboost", "tabnet"],
                   help="inn = estimator defaults (with the consistency term); inn_plain = "
                        "INN without it (consistency_weight=0); inn_no_bins, inn_previous, "
                        "tabresnet_no_bins: without the input bins, or with the settings before "
                        "issue 18; a suffix _eager runs every step eagerly (no CUDA graphs "
                        "on a GPU), _compiled under torch.compile "
                        "(default: inn inn_plain tabresnet catboost tabnet)")
    p.add_argument("--repeats", type=int, default=3,
                   help="fits per method; the fastest counts, shared machines are noisy "
                        "(default: 3)")
    p.add_argument("--n_jobs", type=int, default=None,
                   help="torch threads of the networks (default: the estimators' n_jobs)")
    common.add_device_argument(p)
    return p


def main(argv=None) -> None:
    args, device = common.start(build_parser(), argv)
    X, y = common.synthetic(args.rows, args.features, args.seed)
    rows = []
    times = {}
    for method in args.methods:
        elapsed = cpu = float("inf")
        for repeat in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            setting = _fit(method, X, y, args, device)
            if method.endswith("_compiled") and repeat == 0:  # the compilation's fit apart
                print(f"{method}: first fit (with compilation) "
                      f"{time.perf_counter() - start:.1f} s", flush=True)
                if args.repeats > 1:
                    continue
            elapsed = min(elapsed, time.perf_counter() - start)
            cpu = min(cpu, time.process_time() - start_cpu)
        passes = args.nr_epochs if method != "catboost" else 1
        times[method] = elapsed
        rows.append([method, setting, elapsed, elapsed / passes, cpu / passes,
                     args.rows * passes / elapsed])
    from inn.estimators import INNClassifier
    from inn.threads import resolve_threads

    threads = resolve_threads(INNClassifier().n_jobs if args.n_jobs is None else args.n_jobs)
    print(f"training throughput on synthetic {args.rows:,} x {args.features} binary data, "
          f"{common.machine(device, threads=False)}; the networks trained with {threads} torch "
          f"thread(s), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}")
    common.print_table(["method", "setting", f"fit s (best of {args.repeats})", "s/epoch",
                        "CPU s/epoch", "rows/s"], rows)
    for method, _, _, per_epoch, _, rate in rows:
        print(f"{method}: {per_epoch:.3f} s/epoch, {rate:,.0f} rows/s")
    for name, base in (("inn", "tabresnet"), ("inn_plain", "tabresnet"),
                       ("inn_eager", "tabresnet_eager")):
        if name in times and base in times:
            print(f"{name} / {base} training time ratio: {times[name] / times[base]:.2f} "
                  f"(1 = no overhead; equal epochs {args.nr_epochs}, batch {_batch(args)})")
    common.reproduce()


# INN with levers of issue 18 taken away, to price them (the settings before it: no input
# encoding, no shape functions, one learning rate).
LEVER_VARIANTS = {
    "inn_no_bins": {"n_bins": 0},
    "inn_previous": {"n_bins": 0, "shape_functions": False, "robust": False,
                     "global_lr_multiplier": 1.0},
    "tabresnet_no_bins": {"n_bins": 0},
}


@contextlib.contextmanager
def _compiled_modules():
    """Every module the trainer fits runs under ``torch.compile`` (a measurement only: the
    estimators do not compile, see the README's Performance section)."""
    from inn import training

    original = training.Trainer.__init__

    def init(self, module, **kwargs):
        module.compile()
        original(self, module, **kwargs)

    training.Trainer.__init__ = init
    try:
        yield
    finally:
        training.Trainer.__init__ = original


@contextlib.contextmanager
def _eager_steps():
    """Every training step runs eagerly, also on a GPU (no CUDA graphs)."""
    from inn.training import Trainer

    Trainer.cuda_graphs = False
    try:
        yield
    finally:
        Trainer.cuda_graphs = True


def _batch(args) -> int:
    """The rows per step the networks train with (the estimators' own where not given)."""
    from inn.training import auto_batch_size

    return args.batch_size or auto_batch_size(args.rows)


def _fit(method, X, y, args, device) -> str:
    if method.endswith("_eager"):
        with _eager_steps():
            setting = _fit(method.removesuffix("_eager"), X, y, args, device)
        return f"{setting}, eager steps"
    if method.endswith("_compiled"):
        with _compiled_modules():
            setting = _fit(method.removesuffix("_compiled"), X, y, args, device)
        return f"{setting}, torch.compile"
    if method in ("inn", "inn_plain", "tabresnet", *LEVER_VARIANTS):
        from inn import estimators as est

        cls = est.TabResNetClassifier if method.startswith("tabresnet") else est.INNClassifier
        extra = {} if cls is est.TabResNetClassifier else {"additive_epochs": 0}
        if method == "inn_plain":
            extra["consistency_weight"] = 0.0
        extra.update(LEVER_VARIANTS.get(method, {}))
        if args.n_jobs is not None:
            extra["n_jobs"] = args.n_jobs
        cls(nr_epochs=args.nr_epochs, batch_size=args.batch_size, device=device,
            random_state=args.seed, early_stopping=False, **extra).fit(X, y)
        return f"{args.nr_epochs} epochs, batch {_batch(args)}"
    if method == "catboost":
        from catboost import CatBoostClassifier

        CatBoostClassifier(iterations=args.catboost_iterations, random_seed=args.seed,
                           thread_count=os.cpu_count(), verbose=False,
                           allow_writing_files=False,
                           task_type="GPU" if device == "cuda" else "CPU").fit(X, y)
        return f"{args.catboost_iterations} trees, depth 6"
    if method == "tabnet":
        import io

        from pytorch_tabnet.tab_model import TabNetClassifier

        model = TabNetClassifier(seed=args.seed, verbose=0, device_name=device)
        with contextlib.redirect_stdout(io.StringIO()):
            model.fit(X, y, max_epochs=args.nr_epochs, batch_size=_batch(args),
                      virtual_batch_size=max(8, _batch(args) // 4), num_workers=0)
        return f"{args.nr_epochs} epochs, batch {_batch(args)}"
    raise SystemExit(f"error: unknown method {method}")


if __name__ == "__main__":
    main()
