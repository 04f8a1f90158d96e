"""The documentation: the site builds with warnings as errors, every Python example of the README
and of docs/ runs, and what the command line shows a reader is plain text.

A fenced ``python`` block is an example that must run. The blocks of one page run in order, in
one fresh interpreter, from a temporary folder that has the repository's ``examples/``, so an
example reads ``examples/credit.csv`` and writes its files where they do no harm. A block that
cannot run there is preceded by ``<!-- not run: reason -->``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
# the pages with Python examples (the others have none to run)
PAGES = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
         if FENCE.search(p.read_text())]
NOT_RUN = re.compile(r"<!--\s*not run:\s*(\S.*?)\s*-->\s*$")


def python_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """``(line, code, reason not to run or None)`` of every fenced python block of ``text``."""
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = NOT_RUN.search(before)
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1),
                       skip.group(1) if skip else None))  # fmt: skip
    return blocks


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    # the examples import plots/ as a checkout does, from any folder
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_the_readme_and_the_guide_have_examples():
    assert {ROOT / "README.md", ROOT / "docs" / "python-api.md"} <= set(PAGES)


def test_python_blocks_are_found_and_a_skip_needs_a_reason():
    text = ("a\n```python\nx = 1\n```\n<!-- not run: needs the network -->\n```python\n"
            "y = 2\n```\n```text\nz\n```\n")
    assert python_blocks(text) == [(2, "x = 1\n", None), (6, "y = 2\n", "needs the network")]


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_python_example_runs(page, tmp_path):
    blocks = python_blocks(page.read_text())
    runnable = [(line, code) for line, code, skip in blocks if skip is None]
    if not runnable:
        pytest.skip(f"every Python example of {page.name} is marked not to run")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    # one script per page, each block marked so that a failure names its line in the page
    script = "\n".join(f"# --- {page.name}, block at line {line}\n{code}"
                       for line, code in runnable)
    (tmp_path / "page.py").write_text(script)
    done = subprocess.run([sys.executable, "page.py"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, f"an example of {page.name} failed:\n{done.stderr[-3000:]}"


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the dev extra: pip install -e '.[dev]'")
    pytest.importorskip("mkdocstrings")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").is_file()
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "consistency_weight" in api  # the reference is drawn from the docstrings


def test_every_page_is_in_the_navigation_and_every_local_link_resolves():
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = {next(iter(item.values())) for item in config["nav"]}
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages <= listed, f"pages missing from mkdocs.yml's nav: {sorted(pages - listed)}"
    for target in re.findall(r"\]\(((?:docs|results|examples)/[^)#\s]+)", (ROOT / "README.md")
                             .read_text()):  # fmt: skip
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


def test_readme_stays_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


# ------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("script", ["main_experiment.py", "baseline_experiment.py",
                                    "run_benchmark.py", "xai_experiment.py"])
def test_help_is_plain_text(script):
    done = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "``" not in done.stdout and ":func:" not in done.stdout and ":class:" not in done.stdout


def test_plain_text_removes_markup():
    from inn.cli import plain_text

    assert plain_text("Run ``--data FILE`` with :func:`inn.run` or `x`. Usage::\n\n    a") == \
        "Run --data FILE with inn.run or x. Usage:\n\n    a"  # fmt: skip


def test_an_early_stop_says_when_and_why(capfd):
    import numpy as np

    import inn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = rng.integers(0, 2, size=120)  # labels without signal: the validation loss soon rises
    inn.INNClassifier(nr_epochs=40, additive_epochs=2, patience=1, hidden_size=8, verbose=1,
                      random_state=0, device="cpu").fit(X, y)  # fmt: skip
    err = capfd.readouterr().err
    assert "INN additive phase" in err  # a bar per phase: the joint phase counts nr_epochs
    assert re.search(r"INN: stopped early at epoch \d+ of 40: no better validation loss for 1 "
                     r"epochs \(patience\)", err), err[-2000:]


def test_ridge_runs_are_reported_as_ridge(capsys):
    from inn.cli import report

    report({"method": "logistic_regression", "dataset_name": "boston", "dataset_id": 531,
            "seed": 0, "task": "regression", "test_metrics": {"rmse": 4.0, "r2": 0.7},
            "train_time_s": 0.1, "device": "cpu"})  # fmt: skip
    assert capsys.readouterr().out.startswith("logistic_regression (Ridge regression) on boston")
