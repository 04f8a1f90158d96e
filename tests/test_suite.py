"""Tests of the benchmark-suite runner: kill and resume, Ray, failures, HPO on validation only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from needs import need_store

from inn.data import make_splits
from inn.results import RESULT_FILE

REPO = Path(__file__).resolve().parents[1]
DATASETS = [1510, 37, 40]
METHODS = {"inn": {"nr_epochs": 2}, "logistic_regression": {}, "decision_tree": {}}
SEEDS = [0, 1]
N_CELLS = len(DATASETS) * len(METHODS) * len(SEEDS)


def _need_store() -> None:
    need_store(*DATASETS)


def _suite_file(tmp_path: Path, out: Path) -> Path:
    import yaml

    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump({"name": "test", "datasets": DATASETS, "methods": METHODS,
                                    "seeds": SEEDS, "output_dir": str(out)}))
    return path


def _results(out: Path) -> list[Path]:
    return sorted(out.glob(f"*/*/*/{RESULT_FILE}"))


def _check_tree(out: Path, expected: int) -> None:
    """Every result parses, one per cell, each where its record says, no stray result files."""
    paths = _results(out)
    assert len(paths) == expected
    cells = set()
    for path in paths:
        rec = json.loads(path.read_text())
        method, dataset, seed = path.parts[-4:-1]
        assert (rec["method"], str(rec["dataset_id"]), str(rec["seed"])) == (method, dataset, seed)
        assert 0.0 <= rec["test_metrics"]["auroc"] <= 1.0
        cells.add((method, dataset, seed))
    assert len(cells) == expected
    # temporary files of interrupted writes (if any) never count as results
    assert all(p.name == RESULT_FILE for p in out.rglob("output_info.json"))


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(REPO / "run_benchmark.py"), *args], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _wait_for_results(proc: subprocess.Popen, out: Path, at_least: int, timeout: float = 90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None or len(_results(out)) >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError("no results appeared in time")


@pytest.mark.slow
def test_local_kill_and_resume(tmp_path):
    _need_store()
    out = tmp_path / "results"
    suite = _suite_file(tmp_path, out)
    args = ["--suite", str(suite), "--n_workers", "2", "--quiet"]

    # 1) a crash: SIGKILL the runner and its workers as soon as the first results appear
    proc = _start(args)
    _wait_for_results(proc, out, 1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    first = {p: p.stat().st_mtime_ns for p in _results(out)}
    assert 1 <= len(first) < N_CELLS, "the kill came too late to test resuming"
    _check_tree(out, len(first))

    # 2) Ctrl-C (SIGINT) a resumed run after a few more results: clean stop with exit code 130
    proc = _start(args)
    _wait_for_results(proc, out, len(first) + 2)
    proc.send_signal(signal.SIGINT)
    text, _ = proc.communicate(timeout=60)
    second = _results(out)
    if len(second) < N_CELLS:
        assert proc.returncode == 130, text
        assert "rerun the same command to resume" in text
    assert not list(out.rglob("*.tmp")), "an interrupted run left temporary files"
    _check_tree(out, len(second))

    # 3) resume to completion: finished cells are skipped, not rerun
    proc = _start(args)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, text
    assert f"{len(second)} already done" in text
    _check_tree(out, N_CELLS)
    for path, mtime in first.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was rewritten"
    assert "average rank" in text and "mean test AUROC" in text


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one local Ray instance at a time
def test_ray_local_instance(tmp_path):
    _need_store()
    pytest.importorskip("ray")
    out = tmp_path / "results"
    suite = _suite_file(tmp_path, out)
    # two cells already done: the Ray run must skip them
    from inn.experiment import run

    for seed in SEEDS:
        run("decision_tree", 40, seed, output_dir=out, quiet=True, n_jobs=1)
    before = {p: p.stat().st_mtime_ns for p in _results(out)}
    proc = _start(["--suite", str(suite), "--executor", "ray", "--n_workers", "2", "--quiet"])
    text, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, text
    assert "ray executor" in text and "2 already done" in text
    _check_tree(out, N_CELLS)
    for path, mtime in before.items():
        assert path.stat().st_mtime_ns == mtime


def test_failures_recorded_and_retried(tmp_path):
    _need_store()
    from inn.suite import build_suite, runner

    out = tmp_path / "results"
    suite = build_suite({"datasets": [40, "no_such_dataset"], "methods": ["decision_tree"],
                         "seeds": [0], "output_dir": str(out)})
    stats = runner.run_suite(suite, n_workers=1, progress=False)
    assert len(stats["failed"]) == 1 and "no_such_dataset" in stats["failed"][0]
    assert (out / "decision_tree/40/0" / RESULT_FILE).is_file()  # the suite went on
    error = json.loads((out / "decision_tree/no_such_dataset/0/error.json").read_text())
    assert error["type"] == "DatasetError" and "Traceback" in error["traceback"]
    log = (out / runner.FAILURES_LOG).read_text().splitlines()
    assert len(log) == 1 and json.loads(log[0])["dataset_id"] == "no_such_dataset"
    # a rerun retries only the failed cell; --skip_failed leaves it alone
    assert [c.label() for c in runner.plan(suite)[1]] == ["decision_tree/no_such_dataset/0"]
    assert runner.plan(suite, skip_failed=True)[1] == []
    stats = runner.run_suite(suite, n_workers=1, progress=False)
    assert stats["ran"] == 1 and len((out / runner.FAILURES_LOG).read_text().splitlines()) == 2
    assert "failed: decision_tree/no_such_dataset/0" in runner.summary(suite, stats)


def test_hpo_uses_validation_only(tmp_path, monkeypatch):
    _need_store()
    pytest.importorskip("optuna")
    from inn.data import load_dataset
    from inn.suite import build_suite, hpo, runner

    prepared, scored = [], []
    real_prepare, real_score = hpo.prepare_data, hpo.validation_score

    def spy_prepare(*args, **kwargs):
        data = real_prepare(*args, **kwargs)
        prepared.append(data)
        return data

    def spy_score(task, y_val, model, X_val):
        scored.append((len(y_val), len(X_val)))
        return real_score(task, y_val, model, X_val)

    monkeypatch.setattr(hpo, "prepare_data", spy_prepare)
    monkeypatch.setattr(hpo, "validation_score", spy_score)
    out = tmp_path / "results"
    suite = build_suite({"datasets": [1510], "methods": {"inn": {"nr_epochs": 2},
                                                         "decision_tree": {}},
                         "seeds": [1], "hpo_trials": 2, "output_dir": str(out)})
    stats = runner.run_suite(suite, n_workers=1, progress=False)
    assert not stats["failed"], stats["failed"]

    ds = load_dataset(1510)
    real = make_splits(ds.y, ds.task, seed=1, test_size=0.2)
    assert len(prepared) == 2 and len(scored) == 4  # 2 methods x 2 trials
    for data in prepared:  # the test rows were never prepared (hence never fitted or scored)
        used = np.concatenate([getattr(data.splits, part) for part in data.X])
        assert not set(used) & set(real.test)
    assert all(n == (len(real.val), len(real.val)) for n in scored)
    for method in ("inn", "decision_tree"):
        folder = out / method / "1510" / "1"
        info = json.loads((folder / "hpo.json").read_text())
        result = json.loads((folder / RESULT_FILE).read_text())
        assert info["n_trials"] == 2 and len(info["trials"]) == 2
        assert info["n_val"] == len(real.val) and info["metric"] == "val_auroc"
        assert info["split_fingerprint"] == result["split_fingerprint"]
        assert info["best_value"] == max(t["value"] for t in info["trials"])
        for key, value in info["best_params"].items():  # the final run used the best config
            assert result["hyperparameters"][key] == value
    assert info["best_params"]["max_depth"] >= 1
    assert json.loads((out / "inn/1510/1/hpo.json").read_text())["best_params"]["nr_epochs"] == 2
