"""The registry of methods (inn.methods): one entry per method, read by every consumer; a toy
method registered through it alone runs through run(), the suite and the comparison plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from inn import methods  # noqa: E402
from inn.baselines.base import Model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class Majority(Model):
    """Predicts the training class frequencies (classification) or the training mean."""

    name = "majority"

    def _fit(self, X, y, X_val, y_val):
        if self.is_classifier:
            self.model_ = np.bincount(y, minlength=self.n_classes_) / len(y)
        else:
            self.model_ = float(y.mean())
        self.params_ = {"strategy": "prior"}

    def _predict_proba(self, X):
        return np.tile(self.model_, (len(X), 1))

    def _predict_reg(self, X):
        return np.full(len(X), self.model_)


@pytest.fixture
def majority():
    methods.register(name="majority", label="Majority", color="#000000", model=Majority,
                     interpretable=False, space=lambda trial, task: {})  # fmt: skip
    yield methods.get("majority")
    methods.unregister("majority")


def test_toy_method_runs_through_run_suite_and_comparison(majority, tmp_path):
    from inn.experiment import run
    from inn.suite import build_suite, runner
    from plots import comparison, style

    results = tmp_path / "results"
    rec = run("majority", 1510, 0, output_dir=results, quiet=True)
    assert rec["test_metrics"]["auroc"] == 0.5  # a constant score ranks nothing
    assert rec["hyperparameters"] == {"strategy": "prior"}
    assert rec["feature_importances"] is None
    assert rec["protocol"]["validation_used_for"] == "none"

    suite = build_suite({"datasets": [1510], "methods": ["majority", "decision_tree"],
                         "seeds": [0, 1], "output_dir": str(results)})  # fmt: skip
    stats = runner.run_suite(suite, n_workers=1, progress=False)
    assert not stats["failed"] and stats["done_before"] == 1 and stats["ran"] == 3
    frame = runner.collect(suite)
    assert sorted(frame["method"]) == ["decision_tree", "decision_tree", "majority", "majority"]
    assert "majority" in runner.summary(suite, stats)

    report = comparison.compare(results, tmp_path / "figures")
    header = next(line for line in report.markdown.splitlines() if line.startswith("| dataset"))
    assert header == "| dataset | Decision tree | Majority |"
    table = report.tables["auroc"]
    assert set(table["method"]) == {"majority", "decision_tree"}
    assert style.method_color("majority") == "#000000"
    assert style.method_label("majority") == "Majority"
    assert style.order_methods(["majority", "inn"]) == ["inn", "majority"]  # registry order


def test_register_rejects_clashes(majority):
    with pytest.raises(ValueError, match="registered already"):
        methods.register(name="majority", label="M", color="#000001", model=Majority)
    with pytest.raises(ValueError, match="colour"):
        methods.register(name="other", label="O", color="#000000", model=Majority)
    with pytest.raises(ValueError, match="unknown tasks"):
        methods.register(name="other", label="O", color="#000001", model=Majority,
                         tasks=("ranking",))
    assert "other" not in methods.names()


def test_entries_are_consistent():
    assert methods.names()[:2] == ("inn", "tabresnet")
    for name in methods.names():
        entry = methods.get(name)
        assert entry.model_class.name == name
        assert entry.input_kind in ("encoded", "raw")
        assert callable(entry.search_space())
    with pytest.raises(ValueError, match="random_forest"):
        methods.get("xgboost")


def test_unsupported_task_is_refused(majority):
    methods.unregister("majority")
    methods.register(name="majority", label="Majority", color="#000000", model=Majority,
                     tasks=("regression",))  # fmt: skip
    with pytest.raises(ValueError, match="does not support the task 'binary'"):
        methods.get("majority").build(task="binary")


def test_registry_and_style_import_no_torch():
    code = ("import sys, inn.methods, plots.style; inn.methods.get('inn').input_kind; "
            "assert 'torch' not in sys.modules, 'torch imported'")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_saved_model_reproduces_the_result(tmp_path):
    """INN's model is saved next to its result; loaded, it gives the recorded test metrics."""
    import inn
    from inn.data import prepare_data
    from inn.experiment import run
    from inn.metrics import classification_metrics
    from inn.results import MODEL_DIR

    rec = run("inn", 1510, 0, {"nr_epochs": 2}, output_dir=tmp_path, quiet=True, device="cpu")
    folder = Path(rec["path"]).parent
    assert rec["model_dir"] == MODEL_DIR and (folder / MODEL_DIR / "weights.pt").is_file()
    assert not list(folder.glob(".*"))  # no temporary files or folders left
    model = inn.load(folder / MODEL_DIR)
    data = prepare_data(1510, 0, "inn")
    # the model is saved with the run's encoder: it takes rows of the original data
    proba = model.predict_proba(data.dataset.X.iloc[data.splits.test])
    assert list(model.classes_) == list(data.classes)
    assert classification_metrics(data.y["test"], proba) == rec["test_metrics"]
    stored = json.loads((folder / "output_info.json").read_text())
    assert set(stored["train_metrics"]) == set(stored["val_metrics"]) == set(rec["test_metrics"])
    assert stored["protocol"] == {"fitted_on": "training split", "validation_size": 0.2,
                                  "validation_used_for": "early_stopping",
                                  "refit_on_train_and_validation": False}
    assert "early_stopping" not in stored["hyperparameters"]
    # baselines save nothing by default, and say so when asked to
    rec = run("decision_tree", 1510, 0, output_dir=tmp_path, quiet=True)
    assert "model_dir" not in rec and not (Path(rec["path"]).parent / MODEL_DIR).exists()
    with pytest.raises(ValueError, match="cannot save"):
        run("decision_tree", 1510, 1, output_dir=tmp_path, save_model=True)
    # a rerun replaces the saved model in one rename
    rec = run("inn", 1510, 0, {"nr_epochs": 1}, output_dir=tmp_path, quiet=True, device="cpu",
              overwrite=True)  # fmt: skip
    assert inn.load(folder / MODEL_DIR).get_params()["nr_epochs"] == 1
    assert not list(folder.glob(".*"))
