"""Speed work that must not change results: the default training path is pinned to the bit, the
input-encoding cache and the fast encoder statistics equal what they replace, and the thread
setting (estimators, scripts, Ray tasks) is applied and undone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import inn
from inn import training
from inn.modules import INN, InputEncoder, _distinct_counts, _sorted_columns, sorted_quantiles
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


# Recorded with the code before the speed work (commit 48bc3ce), CPU, one torch thread: the
# first three rows' predictions and a checksum over all 600 rows (sum of p[:, c] * c for the
# classifiers, of the predictions for the regressor). Default settings except the epochs.
PINNED = {
    "inn_binary": (
        [0.391187506378335, 0.608812493621665, 0.45719953765442123, 0.5428004623455788,
         0.3511996749252986, 0.6488003250747014], 339.6491384991853),
    "inn_multiclass": (
        [0.22687766496850093, 0.2879725531543012, 0.4851497818771979, 0.29028165900501113,
         0.3449533237279988, 0.36476501726699007, 0.18235148891547595, 0.2508000793331119,
         0.5668484317514123], 685.6031010260998),
    "inn_regression": ([0.8249673793695078, 0.45433284599317936, 1.0800946448350612],
                       342.657877737937),
    "tabresnet_binary": (
        [0.35227021594675123, 0.6477297840532488, 0.3669716600590782, 0.6330283399409218,
         0.3969759446281491, 0.6030240553718509], 351.8132769714407),
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


def test_sorted_quantiles_equal_torch_quantile_and_unique():
    gen = torch.Generator().manual_seed(0)
    for n, values in ((2, None), (7, 3), (1000, None), (999, 5), (4001, 40)):
        x = torch.randn(n, 4, generator=gen)
        if values is not None:  # ties: few distinct values
            x = torch.randint(0, values, (n, 4), generator=gen).float() * 0.3
        columns = _sorted_columns(x)
        for levels in (torch.tensor([0.25, 0.5, 0.75]), torch.linspace(0, 1, 9)):
            assert torch.equal(sorted_quantiles(columns, levels).T,
                               torch.quantile(x, levels, dim=0))
        counts = torch.tensor([torch.unique(x[:, j]).numel() for j in range(4)])
        assert torch.equal(_distinct_counts(columns), counts)


def test_encoder_fit_equals_the_plain_torch_statistics():
    rng = np.random.default_rng(1)
    x = torch.from_numpy(np.column_stack([rng.standard_t(2, 500), rng.integers(0, 2, 500),
                                          rng.integers(0, 3, 500), rng.normal(size=500)]
                                         ).astype(np.float32))
    enc = InputEncoder(n_features=4, n_bins=8, robust=True).fit(x)
    numeric = torch.tensor([torch.unique(x[:, j]).numel() > 2 for j in range(4)])
    assert torch.equal(enc.numeric, numeric)
    q = torch.quantile(x, torch.tensor([0.25, 0.5, 0.75]), dim=0)
    assert torch.equal(enc.center, torch.where(numeric, q[1], torch.zeros_like(q[1])))
    xt = enc.transform(x)
    for j in torch.nonzero(numeric).flatten().tolist():
        edges = torch.unique(torch.quantile(xt[:, j], torch.linspace(0, 1, 9)))
        assert torch.equal(enc.lower[j, : edges.numel() - 1], edges[:-1])


@pytest.mark.parametrize("settings", [
    {},  # INN defaults: robust encoding, bins, shape functions, consistency term
    {"augmentation_probability": 0.5, "members": 2, "bias": "row"},
])
def test_encoding_cache_trains_the_same_model(monkeypatch, settings):
    """The trainer's cached input encoding gives the parameters that per-batch encoding gives."""
    X, logit = _pin_data()
    x, y = torch.from_numpy(X), torch.from_numpy((logit > 0).astype(np.float32))
    params = inn.INNClassifier(nr_epochs=2, additive_epochs=1, **settings).get_params()
    trained = []
    for cache_bytes in (training.ENCODING_CACHE_BYTES, 0):
        monkeypatch.setattr(training, "ENCODING_CACHE_BYTES", cache_bytes)
        torch.manual_seed(0)
        module = INN(n_features=6, n_outputs=1, hidden_size=16, nr_blocks=1, dropout=0.25,
                     n_bins=8, robust=True, shape_functions=True,
                     members=settings.get("members", 1), bias=settings.get("bias", "global"))
        module.encoder.fit(x)
        module.reference.copy_(x.mean(0))
        trainer = training.Trainer(module, task="binary", device="cpu", seed=0,
                                   config=training.TrainingConfig.from_params(params))
        assert (trainer._encoded(x[:500], x[500:]) is None) == (cache_bytes == 0)
        trainer.fit(x[:500], y[:500], x[500:], y[500:])
        trained.append((module.state_dict(), trainer.history))
    (cached, hist_cached), (plain, hist_plain) = trained
    assert hist_cached == hist_plain
    for name, value in cached.items():
        assert torch.equal(value, plain[name]), name


# ---- threads ---------------------------------------------------------------------------------


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
