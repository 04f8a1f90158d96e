"""A user's runs and the committed benchmark records are two trees: runs write to ``runs/``
(git-ignored) unless told otherwise, the committed records in ``results/`` are tracked, and a new
file there shows in ``git status``."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inn.results import BENCHMARK_DIR, RUNS_DIR

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def test_every_writer_defaults_to_the_runs_tree():
    import baseline_experiment
    import main_experiment
    import run_benchmark
    import xai_experiment
    from inn.experiment import run
    from inn.suite import build_suite

    assert RUNS_DIR != BENCHMARK_DIR
    assert inspect.signature(run).parameters["output_dir"].default == RUNS_DIR
    for script, args in ((main_experiment, []), (baseline_experiment, ["--model", "catboost"]),
                         (xai_experiment, [])):
        assert script.build_parser().parse_args(args).output_dir == RUNS_DIR, script.__name__
    assert run_benchmark.build_parser().parse_args(["--datasets", "1510"]).output_dir is None
    suite = build_suite({"datasets": [1510], "methods": ["decision_tree"]})
    assert suite.output_dir == RUNS_DIR


def test_plots_read_the_committed_records_by_default():
    from plots import comparison, paper, store_tables

    for module in (comparison, paper, store_tables):
        parser = module.build_parser()
        assert parser.parse_args([]).results_dir == BENCHMARK_DIR, module.__name__


def _git(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture
def checkout():
    if shutil.which("git") is None or _git("rev-parse", "--is-inside-work-tree").returncode:
        pytest.skip("not a git checkout")
    return ROOT


def test_committed_records_are_tracked_and_runs_ignored(checkout):
    tracked = _git("ls-files", BENCHMARK_DIR).stdout.split()
    assert len(tracked) > 100 and any(p.endswith("output_info.json") for p in tracked)
    # nothing committed under results/ is matched by an ignore rule
    assert _git("ls-files", "--cached", "--ignored", "--exclude-standard", BENCHMARK_DIR
                ).stdout == ""
    new_record = f"{BENCHMARK_DIR}/inn/no_such_dataset/0/output_info.json"
    assert _git("check-ignore", "--no-index", "-q", new_record).returncode == 1  # shows up
    for path in (f"{RUNS_DIR}/inn/1510/0/output_info.json", f"{RUNS_DIR}/inn/1510/0/model/a",
                 "inn/1590/0/output_info.json", "inn/1590/0/model/state.pt"):  # --output_dir .
        assert _git("check-ignore", "--no-index", "-q", path).returncode == 0, path
