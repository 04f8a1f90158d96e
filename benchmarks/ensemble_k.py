"""How many folds, and where the cross-fitted ensemble's gain comes from.

For each dataset, seed and number of folds k, the cross-fitted INN ensemble (``inn_ensemble``
with ``n_folds=k``) is fitted through the one pipeline (the same split and prepared input as
``inn.experiment.run``; one thread, the members one after another) and scored on the test rows,
together with each of its members alone. The single default INN of the same split is read from
the store records (``<main_dir>/inn/<dataset>/<seed>/output_info.json``). The gain of the
ensemble over the single INN then splits into

* **one member against the single INN**: the mean member (trained on (k-1)/k of the training
  and validation rows, early-stopped on its own fold) against the single INN (trained on the
  training split, 80 % of those rows, early-stopped on the validation split): for k = 5 the same
  number of training rows, for k = 8 more, for k = 3 fewer; and
* **averaging**: the ensemble (mean logit) against its mean member.

Rows are kept in ``<output_dir>/rows.json`` after every fit, so a killed run resumes. Prints the
table per k (mean test AUROC of the classification datasets, mean R² of the regression ones,
summed fit time) and the split of the gain by dataset size.

    python benchmarks/ensemble_k.py --ks 3 5 8 --seeds 0 --max_rows 5000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import common  # noqa: F401 (the repository on sys.path, OpenMP threads that sleep)
import numpy as np


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ks", nargs="+", type=int, default=[3, 5, 8],
                   help="numbers of folds (members) (default: 3 5 8)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="split seeds (default: 0)")
    p.add_argument("--datasets", nargs="+", default=None,
                   help="store keys (default: every store dataset with at most --max_rows "
                        "training and validation rows)")
    p.add_argument("--max_rows", type=int, default=5000,
                   help="largest training + validation rows of a default dataset (default: 5000)")
    p.add_argument("--main_dir", default="results",
                   help="results tree with the single INN's records (default: results)")
    p.add_argument("--output_dir", default="runs/ensemble_k",
                   help="where rows.json is kept (default: runs/ensemble_k)")
    p.add_argument("--table_only", action="store_true",
                   help="print the table of rows.json, fit nothing (default: off)")
    return p


def _record(main_dir, dataset, seed) -> dict | None:
    path = Path(main_dir) / "inn" / str(dataset) / str(seed) / "output_info.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _default_datasets(main_dir, max_rows: int) -> list[str]:
    out = []
    for path in sorted(Path(main_dir, "inn").glob("*/0/output_info.json")):
        rec = json.loads(path.read_text())
        if rec["n_train"] + rec["n_val"] <= max_rows:
            out.append((rec["n_train"] + rec["n_val"], path.parts[-3]))
    return [key for _, key in sorted(out)]


def _metric(task: str, metrics: dict) -> float:
    return metrics["r2"] if task == "regression" else metrics["auroc"]


def fit_row(dataset: str, seed: int, k: int) -> dict:
    """Fit the k-fold ensemble of ``dataset``'s split ``seed``; its and its members' scores."""
    from inn.data.prepared import prepare_data
    from inn.experiment import fit_method, score
    from inn.metrics import classification_metrics, regression_metrics

    data = prepare_data(dataset, seed, "inn_ensemble")
    task = data.dataset.task
    start = time.perf_counter()
    model = fit_method("inn_ensemble", task, {"n_folds": k}, seed, data, device="cpu", n_jobs=1)
    fit_s = time.perf_counter() - start
    X, y = data.X["test"], data.y["test"]
    ensemble = _metric(task, score(model, X, y, task))
    est = model.model_
    X_enc = est._encode(X)[0]
    members = []
    for member in est.estimators_:
        if task == "regression":
            members.append(regression_metrics(y, member.predict(X_enc))["r2"])
        else:
            members.append(classification_metrics(y, member.predict_proba(X_enc))["auroc"])
    return {"dataset": dataset, "seed": seed, "k": k, "task": task, "name": data.dataset.name,
            "rows": int(len(data.y["train"]) + len(data.y["val"])), "ensemble": ensemble,
            "members": members, "fit_s": fit_s}


SMALL = 1000  # training + validation rows of a "small" dataset in the table's split by size


def table(rows: list[dict], main_dir) -> str:
    """Per k: mean test AUROC / R² of the ensemble, its mean member and the single INN, and the
    summed fit times; classification also split into small (at most :data:`SMALL` training and
    validation rows) and larger datasets."""
    lines = []
    for k in sorted({r["k"] for r in rows}):
        sel = [r for r in rows if r["k"] == k]
        pairs = [(r, s) for r in sel if (s := _record(main_dir, r["dataset"], r["seed"]))]
        cls = [(r, s) for r, s in pairs if r["task"] != "regression"]
        groups = [("classification", cls),
                  (f"classification, <= {SMALL:,} rows", [p for p in cls if p[0]["rows"] <= SMALL]),
                  (f"classification, > {SMALL:,} rows", [p for p in cls if p[0]["rows"] > SMALL]),
                  ("regression (R²)", [(r, s) for r, s in pairs if r["task"] == "regression"])]
        for name, part in groups:
            if not part:
                continue
            ens = np.mean([r["ensemble"] for r, _ in part])
            mem = np.mean([np.mean(r["members"]) for r, _ in part])
            one = np.mean([_metric(r["task"], s["test_metrics"]) for r, s in part])
            t_ens = sum(r["fit_s"] for r, _ in part)
            t_one = sum(s["train_time_s"] for _, s in part)
            better = sum(r["ensemble"] > _metric(r["task"], s["test_metrics"]) for r, s in part)
            lines.append(
                f"| {k} | {name}: {len(part)} cells | {ens:.4f} | {mem:.4f} | {one:.4f} | "
                f"{ens - one:+.4f} | {mem - one:+.4f} | {ens - mem:+.4f} | {better}/{len(part)} "
                f"| {t_ens:,.0f} | {t_one:,.0f} |")
    head = ("| k | cells | ensemble | mean member | single INN | gain | of it: member − single | "
            "of it: averaging | ensemble better | ensemble fit s | single INN fit s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n")
    return ("test AUROC (classification) or R² (regression), mean over cells (dataset, seed)"
            "\n\n" + head + "\n".join(lines))


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "rows.json"
    rows = json.loads(store.read_text()) if store.is_file() else []
    if not args.table_only:
        datasets = args.datasets or _default_datasets(args.main_dir, args.max_rows)
        done = {(r["dataset"], r["seed"], r["k"]) for r in rows}
        for k in args.ks:
            for seed in args.seeds:
                for dataset in datasets:
                    if (dataset, seed, k) in done:
                        continue
                    row = fit_row(dataset, seed, k)
                    rows.append(row)
                    tmp = store.with_suffix(".tmp")
                    tmp.write_text(json.dumps(rows, indent=1))
                    tmp.replace(store)
                    print(f"k={k} seed={seed} {row['name']}: ensemble {row['ensemble']:.4f}, "
                          f"members {np.mean(row['members']):.4f} ({row['fit_s']:.1f} s)",
                          flush=True)
    print(table(rows, args.main_dir))
    if rows:  # the command that made these rows (with --table_only, not the flags given now)
        ks = sorted({r["k"] for r in rows})
        seeds = sorted({r["seed"] for r in rows})
        print(f"reproduce: python benchmarks/ensemble_k.py --ks {' '.join(map(str, ks))} "
              f"--seeds {' '.join(map(str, seeds))} --max_rows {max(r['rows'] for r in rows)}")


if __name__ == "__main__":
    main()
