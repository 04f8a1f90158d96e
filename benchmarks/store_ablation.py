"""Accuracy of INN variants on the dataset store: the lever ablation behind INN's defaults.

Each variant is a method (``inn`` or ``tabresnet``) with settings; it runs through the one
pipeline (``inn.experiment.run``, one thread per cell) into ``<output_dir>/<variant>/``, so
finished cells are reused and a killed run resumes. ``--main_dir`` makes the variants ``default``
and ``tabresnet`` (the estimators' own defaults) use the main results tree instead, so the store
benchmark's runs are not trained twice.

The levers, cumulative from the defaults before issue 18 (``previous``) to today's defaults:

    previous -> +robust -> +ple -> +shape -> +fast_shared -> default (= +additive)

and single changes of the default: ``no_consistency`` (the cost of the faithfulness term),
``ensemble4`` (four members), plus the explanation variants of ``xai_experiment.py --ablation``
(``plain``, ``global_bias``, ``consistency``, ``consistency_half``) and TabResNet with and without
the input encoding. Prints (and writes ``<output_dir>/table.md``) the dataset x variant table and,
over the classification datasets every chosen variant finished, the mean test AUROC, the average
rank among the variants and the summed training time; R² for the regression datasets.

    python benchmarks/store_ablation.py --seeds 0 1 2 --n_workers 2
    python benchmarks/store_ablation.py --table_only --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import common

from inn.tasks import CLASSIFICATION_TASKS

# The defaults before issue 18: standardised inputs, no encoding, no shape functions.
PREVIOUS = {"robust": False, "n_bins": 0, "shape_functions": False, "additive_epochs": 0,
            "global_lr_multiplier": 1.0}
LEVERS = {
    "previous": ("inn", PREVIOUS),
    "+robust": ("inn", {**PREVIOUS, "robust": True}),
    "+ple": ("inn", {**PREVIOUS, "robust": True, "n_bins": 8}),
    "+shape": ("inn", {**PREVIOUS, "robust": True, "n_bins": 8, "shape_functions": True}),
    "+fast_shared": ("inn", {"additive_epochs": 0}),
    "default": ("inn", {}),
    "no_consistency": ("inn", {"consistency_weight": 0.0}),
    "ensemble4": ("inn", {"members": 4}),
    "tabresnet": ("tabresnet", {}),
    # the cost cuts of "Half the cost", each alone against the defaults before them, then both
    "before_cuts": ("inn", {"additive_epochs": 50, "consistency_rows": 0.25}),
    "additive_20": ("inn", {"additive_epochs": 20, "consistency_rows": 0.25}),
    "consistency_rows_1_16": ("inn", {"additive_epochs": 50, "consistency_rows": 0.0625}),
    "both_cuts": ("inn", {"additive_epochs": 20, "consistency_rows": 0.0625}),
    "batch_512": ("inn", {"batch_size": 512}),
    "tabresnet_batch_512": ("tabresnet", {"batch_size": 512}),
    "tabresnet_previous": ("tabresnet", {"robust": False, "n_bins": 0}),
}
CUMULATIVE = ("previous", "+robust", "+ple", "+shape", "+fast_shared", "default")
MAIN_TREE_VARIANTS = ("default", "tabresnet")


def variants() -> dict[str, tuple[str, dict]]:
    """Every variant: the levers above and the explanation variants (INN settings)."""
    from inn.evaluation.explainers import INN_VARIANTS

    out = dict(LEVERS)
    for name, params in INN_VARIANTS.items():
        out.setdefault(name, ("inn", dict(params)))
    return out


def variant_dir(variant: str, output_dir, main_dir) -> Path:
    if main_dir is not None and variant in MAIN_TREE_VARIANTS:
        return Path(main_dir)
    return Path(output_dir) / variant


def _cell(args):
    variant, method, params, dataset, seed, out = args
    import torch

    torch.set_num_threads(1)
    from inn.experiment import run

    run(method, dataset, seed, params, output_dir=out, device="cpu", quiet=True, n_jobs=1,
        save_model=False)
    return variant, dataset, seed


def _size(key) -> int:
    from inn.data import load_dataset

    ds = load_dataset(key)
    return ds.X.shape[0] * ds.X.shape[1]


def run_cells(cells, n_workers: int, deadline_s: float | None) -> int:
    """Run cells, largest first; after ``deadline_s`` no new cell starts. Returns cells run."""
    start, done = time.perf_counter(), 0
    todo = list(cells)
    with ProcessPoolExecutor(n_workers) as pool:
        running = set()
        while todo or running:
            late = deadline_s is not None and time.perf_counter() - start > deadline_s
            while todo and len(running) < n_workers and not late:
                running.add(pool.submit(_cell, todo.pop(0)))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                variant, dataset, seed = future.result()
                done += 1
                print(f"done {variant} {dataset} {seed} ({time.perf_counter() - start:.0f} s)",
                      flush=True)
    return done


def table(names, seeds, output_dir, main_dir) -> str:
    import numpy as np
    import pandas as pd

    from inn.results import results_frame

    all_variants = variants()
    frames = []
    for name in names:
        method = all_variants[name][0]
        frame = results_frame(variant_dir(name, output_dir, main_dir), methods=[method],
                              seeds=seeds)
        if not frame.empty:
            frames.append(frame.assign(variant=name))
    if not frames:
        return "(no results)"
    frame = pd.concat(frames)
    frame["score"] = np.where(frame.task == "regression", frame.get("test_r2"),
                              frame.get("test_auroc"))
    cells = frame.pivot_table(index=["dataset", "task", "seed"], columns="variant",
                              values="score").reindex(columns=list(names))
    complete = cells.dropna()
    lines = [f"Seeds {list(seeds)}; test AUROC (classification) or R² (regression), mean over "
             "the seeds. Cells: every variant finished the dataset and seed."]
    per_ds = complete.groupby(level=["dataset", "task"]).mean()
    header = "| dataset | " + " | ".join(names) + " |"
    lines += ["", header, "|" + "---|" * (len(names) + 1)]
    for (dataset, _), row in per_ds.iterrows():
        lines.append(f"| {dataset} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    cls = complete[complete.index.get_level_values("task").isin(CLASSIFICATION_TASKS)]
    reg = complete[complete.index.get_level_values("task") == "regression"]
    time_s = frame.groupby("variant")["train_time_s"].sum().reindex(list(names))
    n_ds = cls.index.get_level_values("dataset").nunique()
    lines += ["", f"| summary ({n_ds} classification datasets, {len(cls)} cells) | "
              + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    if len(cls):
        mean = cls.mean()
        lines.append("| mean AUROC | " + " | ".join(f"{v:.4f}" for v in mean) + " |")
        ranks = cls.rank(axis=1, ascending=False).mean()
        lines.append("| average rank (per cell) | " + " | ".join(f"{v:.2f}" for v in ranks)
                     + " |")
        if "previous" in cls:
            lines.append("| Δ mean AUROC vs previous | "
                         + " | ".join(f"{v - mean['previous']:+.4f}" for v in mean) + " |")
    if len(reg):
        lines.append("| mean R² (regression) | " + " | ".join(f"{v:.4f}" for v in reg.mean())
                     + " |")
    lines.append("| summed train time (s) | " + " | ".join(f"{v:.0f}" for v in time_s) + " |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", nargs="+", default=list(CUMULATIVE),
                   help=f"variants (default: {' '.join(CUMULATIVE)}; also: "
                        f"{' '.join(v for v in LEVERS if v not in CUMULATIVE)} and the "
                        "explanation variants plain global_bias consistency consistency_half)")
    p.add_argument("--datasets", nargs="+", default=None,
                   help="store keys (default: every dataset in the store)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                   help="seeds (default: 0 1 2)")
    p.add_argument("--output_dir", default="runs/ablation_store",
                   help="root of the per-variant results trees (default: runs/ablation_store; "
                        "the committed one is results/ablation_store)")
    p.add_argument("--main_dir", default=None,
                   help="results tree of the store benchmark: the variants default and "
                        "tabresnet use it (default: none, they get their own folders)")
    p.add_argument("--n_workers", type=int, default=1,
                   help="cells at once, one thread each (default: 1)")
    p.add_argument("--deadline_s", type=float, default=None,
                   help="start no cell after this many seconds (default: no limit)")
    p.add_argument("--table_only", action="store_true",
                   help="only print the table of the finished cells (default: run first)")
    return p


def main(argv=None) -> None:
    from inn.data import list_store

    args = build_parser().parse_args(argv)
    known = variants()
    unknown = [v for v in args.variants if v not in known]
    if unknown:
        raise SystemExit(f"error: unknown variants {unknown}; choose from {sorted(known)}")
    if not args.table_only:
        datasets = args.datasets or list_store()
        order = sorted(datasets, key=_size, reverse=True)
        cells = [(v, *known[v], d, s, str(variant_dir(v, args.output_dir, args.main_dir)))
                 for s in args.seeds for d in order for v in args.variants]
        run_cells(cells, args.n_workers, args.deadline_s)
    text = table(args.variants, args.seeds, args.output_dir, args.main_dir)
    print(text)
    os.makedirs(args.output_dir, exist_ok=True)
    Path(args.output_dir, "table.md").write_text(text + "\n")
    common.reproduce()


if __name__ == "__main__":
    main()
