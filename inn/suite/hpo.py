"""Hyperparameter optimisation with Optuna on the validation split only.

For one (method, dataset, seed) cell: load, split and prepare the data with
:func:`inn.data.prepare_data`, exactly as :func:`inn.experiment.run` does but without the test
rows, and let a seeded TPE sampler propose configurations from the method's search space
(:mod:`inn.suite.spaces`).  Each trial fits on the training split (the validation split is passed
for early stopping or selection, as in the final run) and is scored on the validation split.  The
test rows are never prepared, fitted or scored here: the objective sees a
:class:`~inn.data.PreparedData` whose ``X``/``y`` hold only ``train`` and ``val``.  The final run
with the best configuration goes through :func:`inn.experiment.run`.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from inn.data import TEST_SIZE, prepare_data
from inn.data.loading import load_key
from inn.data.preprocessing import AUTO
from inn.experiment import fit_method
from inn.suite.spaces import suggest
from inn.validation import plain

log = logging.getLogger("inn.suite.hpo")

HPO_FILE = "hpo.json"


def validation_score(task: str, y_val: np.ndarray, model, X_val) -> float:
    """The quantity maximised: AUROC (classification) or negative RMSE (regression)."""
    from inn.metrics import classification_metrics, regression_metrics

    if task == "regression":
        return -float(regression_metrics(y_val, model.predict(X_val))["rmse"])
    return float(classification_metrics(y_val, model.predict_proba(X_val))["auroc"])


def metric_name(task: str) -> str:
    return "val_neg_rmse" if task == "regression" else "val_auroc"


def optimise(
    method: str,
    dataset_id,
    seed: int,
    n_trials: int,
    *,
    fixed: dict | None = None,
    test_split_size: float = TEST_SIZE,
    numeric_scaling: str = AUTO,
    data_dir=None,
    device: str = "auto",
    n_jobs: int = 1,
) -> dict:
    """Run ``n_trials`` Optuna trials for one cell; return the HPO record (best config, history).

    ``dataset_id`` is the cell's key, normalised when the suite was read
    (:func:`inn.data.dataset_key`). ``fixed`` parameters (from the suite) are kept in every
    trial and not searched.
    """
    try:
        import optuna
    except ImportError as err:
        raise ImportError(f"HPO needs the optuna package ({err}); install inn[suite]") from None

    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    fixed = dict(fixed or {})
    data = prepare_data(load_key(dataset_id, data_dir), seed, method,
                        test_split_size=test_split_size, numeric_scaling=numeric_scaling,
                        with_test=False, params=fixed)
    splits, task = data.splits, data.dataset.task

    def objective(trial):
        params = suggest(method, trial, task, fixed)
        model = fit_method(method, task, params, seed, data, device=device, n_jobs=n_jobs)
        return validation_score(task, data.y["val"], model, data.X["val"])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler,
                                study_name=f"{method}-{dataset_id}-{seed}")
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials, catch=(Exception,), gc_after_trial=True)
    elapsed = time.perf_counter() - start

    trials = []
    for t in study.trials:
        duration = None
        if t.datetime_start and t.datetime_complete:
            duration = (t.datetime_complete - t.datetime_start).total_seconds()
        entry = {"number": t.number, "state": t.state.name, "value": t.value,
                 "params": plain(t.params), "duration_s": duration}
        if "fail_reason" in t.system_attrs:
            entry["error"] = t.system_attrs["fail_reason"]
        trials.append(entry)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        errors = "; ".join(t.get("error", "?").splitlines()[-1] for t in trials if "error" in t)
        raise RuntimeError(f"all {n_trials} HPO trials failed for {method} on {dataset_id}: "
                           f"{errors[:500]}")
    best = study.best_trial
    return {
        "method": method,
        "dataset_id": dataset_id,
        "seed": seed,
        "task": task,
        "n_trials": n_trials,
        "metric": metric_name(task),
        "direction": "maximize",
        "scored_on": "validation split (the test split is not prepared, fitted or scored)",
        "sampler": f"optuna.samplers.TPESampler(seed={seed})",
        "fixed_params": plain(fixed),
        "best_trial": best.number,
        "best_value": best.value,
        "best_params": plain({**best.params, **fixed}),
        "n_train": int(len(splits.train)),
        "n_val": int(len(splits.val)),
        "split_fingerprint": splits.fingerprint(),
        "test_split_size": test_split_size,
        "numeric_scaling": numeric_scaling,
        "hpo_time_s": elapsed,
        "trials": trials,
        "optuna_version": optuna.__version__,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
