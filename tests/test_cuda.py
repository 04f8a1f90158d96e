"""The CUDA path: runs only where a GPU is present (skipped, with the reason, elsewhere)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

import inn

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "credit.csv"


def test_fit_explain_and_reload_on_cuda(tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = inn.INNClassifier(device="auto", random_state=0, nr_epochs=30).fit(X, y)
    assert model.device_.type == "cuda"
    assert next(model.module_.parameters()).is_cuda
    assert roc_auc_score(y, model.predict_proba(X)[:, 1]) > 0.98
    expl = model.explain(X)
    np.testing.assert_allclose(expl.output, model.decision_function(X), atol=1e-4)
    again = inn.INNClassifier(device="cuda", random_state=0, nr_epochs=30).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), atol=1e-5)
    inn.save(model, tmp_path / "m")
    on_cpu = inn.load(tmp_path / "m", device="cpu")
    np.testing.assert_allclose(on_cpu.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_regressor_and_tabresnet_on_cuda():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5))
    y = X[:, 0] * 2 + np.sin(X[:, 1])
    reg = inn.INNRegressor(device="cuda", random_state=0, nr_epochs=20).fit(X, y)
    assert reg.score(X, y) > 0.8
    clf = inn.TabResNetClassifier(device="cuda", random_state=0, nr_epochs=5).fit(X, y > 0)
    assert clf.predict_proba(X).shape == (500, 2)


def test_frame_model_and_own_file_on_cuda(tmp_path):
    X = pd.read_csv(EXAMPLE)
    y = X.pop("Status")
    model = inn.INNClassifier(device="cuda", random_state=0, nr_epochs=10).fit(X, y)
    assert model.device_.type == "cuda"
    expl = model.explain(X.head(50))
    np.testing.assert_allclose(expl.output, model.decision_function(X.head(50)), atol=1e-4)
    inn.save(model, tmp_path / "m")
    on_cpu = inn.load(tmp_path / "m", device="cpu")
    np.testing.assert_allclose(on_cpu.predict_proba(X), model.predict_proba(X), atol=1e-5)

    out = tmp_path / "results"
    res = subprocess.run(
        [sys.executable, str(ROOT / "main_experiment.py"), "--data", str(EXAMPLE), "--target",
         "Status", "--device", "cuda", "--nr_epochs", "10", "--output_dir", str(out), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rec = json.loads((out / "inn" / "credit" / "0" / "output_info.json").read_text())
    assert rec["device"].startswith("cuda (") and rec["hyperparameters"]["device"] == "cuda"
    assert inn.load(out / "inn" / "credit" / "0" / "model").predict(X.head(3)).shape == (3,)


def test_graphed_step_replays_the_eager_step():
    """GraphedStep (warm-up, capture, replays; one graph per batch shape) gives the parameters
    that the same steps run eagerly give."""
    from inn.cuda_graphs import GraphedStep

    gen = torch.Generator(device="cuda").manual_seed(0)
    batches = [torch.randn(n, 4, device="cuda", generator=gen) for n in (8, 8, 5, 8, 8, 5, 8, 5)]

    def train(graphed: bool) -> list[torch.Tensor]:
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(),
                                  torch.nn.Linear(8, 1)).cuda()
        opt = torch.optim.AdamW(net.parameters(), lr=torch.tensor(1e-2, device="cuda"),
                                fused=True, capturable=True)

        def step(x):
            loss = (net(x)[:, 0] - x.sum(1)).pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.detach()

        run = GraphedStep(step, torch.device("cuda")) if graphed else step
        losses = [run(x) for x in batches]
        if graphed:
            assert len(run.graphs) == 2  # the 8-row and the 5-row batches
        return [*losses, *[p.detach().clone() for p in net.parameters()]]

    for a, b in zip(train(False), train(True), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_fit_replays_cuda_graphs_and_trains_as_well_as_eager(monkeypatch):
    import gc

    from inn.training import Trainer

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    captured, trainers = [], []
    original_step, original_fit = Trainer._graphable_step, Trainer.fit

    def step(self, *inputs):
        if torch.cuda.is_current_stream_capturing():
            captured.append(gc.isenabled())
        return original_step(self, *inputs)

    def fit(self, *args, **kwargs):
        trainers.append(self)
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "_graphable_step", step)
    monkeypatch.setattr(Trainer, "fit", fit)
    graphed = inn.INNClassifier(device="cuda", random_state=0, nr_epochs=30).fit(X, y)
    assert captured, "no CUDA graph was captured"
    assert not any(captured)  # the garbage collector was off during every capture
    assert trainers[0]._graphed is None  # the graphs were freed when the fit ended
    monkeypatch.setattr(Trainer, "cuda_graphs", False)
    eager = inn.INNClassifier(device="cuda", random_state=0, nr_epochs=30).fit(X, y)
    auc_graphed = roc_auc_score(y, graphed.predict_proba(X)[:, 1])
    auc_eager = roc_auc_score(y, eager.predict_proba(X)[:, 1])
    assert auc_graphed > 0.98 and abs(auc_graphed - auc_eager) < 0.01
    np.testing.assert_allclose(graphed.explain(X).output, graphed.decision_function(X), atol=1e-4)

