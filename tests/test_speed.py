"""Speed work that must not change results: the default training path is pinned to the bit, the
input-encoding cache and the fast encoder statistics equal what they replace, and the thread
setting (estimators, scripts, Ray tasks) is applied and undone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import inn
from inn.threads import resolve_threads


def _pin_data():
    rng = np.random.default_rng(7)
    n = 600
    X = rng.normal(size=(n, 6)).astype(np.float32)
    X[:, 3] = rng.integers(0, 2, size=n)  # a binary column (passes the encoder unchanged)
    X[:, 4] = rng.standard_t(2, size=n)  # heavy tails (robust scaling, clipping)
    X[:, 5] = rng.integers(0, 4, size=n)  # few distinct values (coinciding bin edges)
    logit = X[:, 0] - 0.5 * X[:, 1] * X[:, 3] + np.tanh(X[:, 4]) + 0.3 * X[:, 5]
    return X, logit


# Recorded with the code before the speed work (commit 803bb27), CPU, one torch thread: the
# first three rows' predictions and a checksum over all 600 rows (sum of p[:, c] * c for the
# classifiers, of the predictions for the regressor). Default settings except the epochs.
PINNED = {
    "inn_binary": (
        [0.39119101265583767, 0.6088089873441623, 0.4571996301042518, 0.5428003698957482,
         0.35120509393215704, 0.648794906067843], 339.64813460180403),
    "inn_multiclass": (
        [0.22688027303082026, 0.2879810387335122, 0.4851386882356676, 0.2902748046636425,
         0.34495516191162273, 0.36477003342473474, 0.18235322000447937, 0.25080141378723797,
         0.5668453662082826], 685.6021180053191),
    "inn_regression": ([0.824910042356771, 0.45429783540482155, 1.079992521053283],
                       342.6190628856562),
    "tabresnet_binary": (
        [0.35229713149675135, 0.6477028685032487, 0.3670058335572193, 0.6329941664427807,
         0.3969787983356773, 0.6030212016643227], 351.820297114171),
}


@pytest.mark.parametrize("case", sorted(PINNED))
def test_default_cpu_training_is_bit_identical(case):
    X, logit = _pin_data()
    few = {"nr_epochs": 4, "additive_epochs": 3}
    est, y = {
        "inn_binary": (inn.INNClassifier(random_state=0, device="cpu", **few), logit > 0),
        "inn_multiclass": (inn.INNClassifier(random_state=0, device="cpu", **few),
                           np.digitize(logit, [-0.5, 0.8])),
        "inn_regression": (inn.INNRegressor(random_state=0, device="cpu", **few), logit),
        "tabresnet_binary": (inn.TabResNetClassifier(random_state=0, device="cpu", nr_epochs=4),
                             logit > 0),
    }[case]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        est.fit(X, y.astype(int) if y.dtype == bool else y)
    finally:
        torch.set_num_threads(before)
    p = np.asarray(est.predict(X) if case == "inn_regression" else est.predict_proba(X),
                   dtype=np.float64)
    checksum = p if p.ndim == 1 else p[:, 1:] * np.arange(1, p.shape[1])
    rows, total = PINNED[case]
    assert p[:3].ravel().tolist() == rows
    assert float(checksum.sum()) == total


def test_fit_and_predict_use_n_jobs_threads_and_restore_the_callers():
    X, logit = _pin_data()
    y = (logit > 0).astype(int)
    before = torch.get_num_threads()
    seen = []
    original = torch.nn.Module.__call__

    def spy(self, *args, **kwargs):  # the thread count while the network runs
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    caller = 3 if before != 3 else 4
    torch.set_num_threads(caller)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(torch.nn.Module, "__call__", spy)
            model = inn.INNClassifier(nr_epochs=1, additive_epochs=0, device="cpu",
                                      random_state=0).fit(X, y)
            assert model.n_threads_ == 1 and set(seen) == {1}  # the default
            assert torch.get_num_threads() == caller
            seen.clear()
            model.set_params(n_jobs=2).predict_proba(X)
            assert set(seen) == {2} and torch.get_num_threads() == caller
        tab = inn.TabResNetClassifier(nr_epochs=1, device="cpu", n_jobs=-1).fit(X, y)
        assert tab.n_threads_ == resolve_threads(-1) >= 1
        assert torch.get_num_threads() == caller
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_bad_n_jobs(n_jobs):
    X, logit = _pin_data()
    with pytest.raises(ValueError, match="n_jobs"):
        inn.INNClassifier(n_jobs=n_jobs, nr_epochs=1).fit(X, logit > 0)


def test_resolve_threads():
    from inn.threads import resolve_threads

    cores = resolve_threads(-1)
    assert resolve_threads(None) == 1 and resolve_threads(3) == 3
    assert resolve_threads(-2) == max(1, cores - 1)
    assert resolve_threads(-1000) == 1


def test_run_records_the_threads_it_trained_with():
    from inn.experiment import run

    fast = {"nr_epochs": 1, "additive_epochs": 0}
    assert run("inn", 1510, params=fast, output_dir=None, quiet=True)["threads"] == 1
    record = run("tabresnet", 1510, params={"nr_epochs": 1}, output_dir=None, quiet=True,
                 n_jobs=2)
    assert record["threads"] == 2 and "n_jobs" not in record["hyperparameters"]


def test_ray_task_trains_with_its_cells_cpus(tmp_path):
    """Each Ray task sets the thread count of its cell (its CPU request), as the local pool
    does, so a cell cannot oversubscribe the cores its neighbours use."""
    ray = pytest.importorskip("ray")
    from inn.suite import build_suite
    from inn.suite.executors import run_ray

    suite = build_suite({
        "datasets": [1510], "methods": ["inn", "tabresnet"], "seeds": [0],
        "output_dir": str(tmp_path), "device": "cpu",
        "params": {"inn": {"nr_epochs": 1, "additive_epochs": 0}, "tabresnet": {"nr_epochs": 1}},
        "resources": {"inn": {"num_cpus": 1}, "tabresnet": {"num_cpus": 2}},
    })
    outcomes = []
    # a local instance of 2 CPUs, started and stopped by the executor
    run_ray(suite.cells(), suite, lambda outcome, written: outcomes.append(outcome), n_workers=2)
    assert not ray.is_initialized()
    threads = {o["cell"].method: (o["status"], o["record"]["threads"]) for o in outcomes}
    assert threads == {"inn": ("ok", 1), "tabresnet": ("ok", 2)}
