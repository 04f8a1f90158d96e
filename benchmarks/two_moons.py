"""The toy figure's data: INN on two moons, its decision boundary and per-row weights on a grid.

Fits ``inn.INNClassifier`` (its defaults unless flags say otherwise) on scikit-learn's two moons
(seeded), then evaluates it on a regular grid over the plane and saves, into one folder written
atomically (``<output_dir>/``):

* ``grid.npz``: the grid axes ``x1``, ``x2``; ``proba`` (P(class 1), grid shape), ``weights`` and
  ``contributions`` (grid shape x 2 features), ``bias``; the training and test rows and labels;
* ``meta.json``: settings, test AUROC and accuracy, the reference point;
* ``model/``: the fitted model (``inn.load`` reads it).

``python -m plots.paper`` draws the figure from these files alone. Prints the test metrics.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import common

OUTPUT_DIR = "runs/two_moons"  # the committed runs: results/two_moons
GRID_FILE, META_FILE, MODEL = "grid.npz", "meta.json", "model"


def make(seed: int, n_rows: int, noise: float, grid_size: int, params: dict) -> dict:
    """Fit INN and evaluate it on the grid; returns the arrays and the metadata."""
    import numpy as np
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    import inn
    from inn.metrics import classification_metrics

    X, y = make_moons(n_samples=n_rows, noise=noise, random_state=seed)
    X = X.astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed,
                                                        stratify=y)
    model = inn.INNClassifier(random_state=seed, **params).fit(X_train, y_train)
    metrics = classification_metrics(y_test, model.predict_proba(X_test))
    pad = 0.5
    x1 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, grid_size)
    x2 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, grid_size)
    g1, g2 = np.meshgrid(x1, x2)  # rows follow x2, columns x1
    points = np.column_stack([g1.ravel(), g2.ravel()]).astype(np.float32)
    expl = model.explain(points)
    shape = g1.shape
    arrays = {
        "x1": x1, "x2": x2,
        "proba": model.predict_proba(points)[:, 1].reshape(shape),
        "weights": expl.weights.reshape(*shape, 2),
        "contributions": expl.contributions.reshape(*shape, 2),
        "bias": np.asarray(expl.bias[0]),
        "X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test,
    }  # fmt: skip
    meta = {
        "dataset": "two moons (sklearn.datasets.make_moons)",
        "n_rows": n_rows, "noise": noise, "seed": seed, "grid_size": grid_size,
        "params": model.get_params(),
        "test_metrics": metrics,
        "reference": model.reference().tolist(),
        "epochs_run": len(model.history_), "best_epoch": model.best_epoch_,
    }  # fmt: skip
    return {"arrays": arrays, "meta": meta, "model": model}


def save(result: dict, output_dir) -> Path:
    """Write the grid, the metadata and the model into ``output_dir`` in one atomic rename."""
    import numpy as np

    import inn
    from inn.results import write_dir_atomic

    def write(folder: Path) -> None:
        np.savez_compressed(folder / GRID_FILE, **result["arrays"])
        (folder / META_FILE).write_text(json.dumps(result["meta"], indent=2, default=str))
        inn.save(result["model"], folder / MODEL)

    return write_dir_atomic(output_dir, write)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="data and model seed (default: 0)")
    p.add_argument("--n_rows", type=int, default=1000, help="rows of two moons (default: 1000)")
    p.add_argument("--noise", type=float, default=0.2,
                   help="standard deviation of the moons' noise (default: 0.2)")
    p.add_argument("--grid_size", type=int, default=150,
                   help="grid points per axis (default: 150)")
    p.add_argument("--nr_epochs", type=int, default=None,
                   help="INN's training epochs (default: the estimator's)")
    p.add_argument("--output_dir", default=OUTPUT_DIR,
                   help=f"the folder written (default: {OUTPUT_DIR})")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    params = {} if args.nr_epochs is None else {"nr_epochs": args.nr_epochs}
    result = make(args.seed, args.n_rows, args.noise, args.grid_size, params)
    path = save(result, args.output_dir)
    m = result["meta"]["test_metrics"]
    print(f"INN on two moons ({args.n_rows} rows, noise {args.noise}, seed {args.seed}): "
          f"test AUROC {m['auroc']:.4f}, accuracy {m['accuracy']:.4f}")
    print(f"wrote {path}/{{{GRID_FILE},{META_FILE},{MODEL}/}}")
    common.reproduce()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
