"""How the project installs: one top-level package, ``inn`` (the repository's ``plots/`` as
``inn.plots``), and a console command for every program, which the files of a checkout run
too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SCRIPTS = PROJECT["project"]["scripts"]
CHECKOUT_SCRIPTS = ("main_experiment", "baseline_experiment", "xai_experiment", "run_benchmark")


def _run(code: str, cwd) -> str:
    """Run Python ``code`` from ``cwd`` as a user outside the checkout would; its stdout."""
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _installed_commands(tmp_path) -> dict:
    """The console commands of the installed distribution (read outside the checkout, whose
    stale build metadata would answer otherwise); a skip where it is not installed."""
    out = _run("import importlib.metadata as m, json\n"
               "try:\n    d = m.distribution('inn')\nexcept m.PackageNotFoundError:\n"
               "    print('null')\nelse:\n    print(json.dumps({e.name: e.value for e in "
               "d.entry_points if e.group == 'console_scripts'}))\n", tmp_path)
    commands = json.loads(out)
    if commands is None:
        pytest.skip("the project is not installed here (pip install -e .)")
    return commands


def _clean_env() -> dict:
    """The environment of a user outside the checkout: no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def test_the_package_list_is_every_folder_of_the_source():
    setup = PROJECT["tool"]["setuptools"]
    assert setup["package-dir"] == {"inn.plots": "plots"}
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "inn").rglob("__init__.py")}
    found |= {"inn." + ".".join(p.parent.relative_to(ROOT).parts)
              for p in (ROOT / "plots").rglob("__init__.py")}
    found.add("inn.plots.templates")  # the report's templates: data only
    assert set(setup["packages"]) == found
    assert not any(p == "plots" or p.startswith("plots.") for p in setup["packages"])
    templates = {p.name for p in (ROOT / "plots" / "templates").iterdir()}
    patterns = setup["package-data"]["inn.plots.templates"]
    assert all(any(Path(t).match(p) for p in patterns) for t in templates), templates


def test_every_script_has_a_command():
    targets = {value.split(":")[0] for value in SCRIPTS.values()}
    assert {f"inn.scripts.{name}" for name in CHECKOUT_SCRIPTS} <= targets
    programs = {f"inn.plots.{p.stem}" for p in (ROOT / "plots").glob("*.py")
                if "def main(" in p.read_text()}  # fmt: skip
    assert programs <= targets
    assert all(name.startswith("inn-") for name in SCRIPTS)


@pytest.mark.parametrize("name", CHECKOUT_SCRIPTS)
def test_a_checkout_script_runs_the_program_of_the_package(name):
    """``python main_experiment.py`` and ``inn-train`` are one program."""
    import importlib

    sys.path.insert(0, str(ROOT))
    try:
        wrapper = importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT))
    program = importlib.import_module(f"inn.scripts.{name}")
    assert wrapper.main is program.main and wrapper.build_parser is program.build_parser
    assert wrapper.entry is program.entry
    assert len((ROOT / f"{name}.py").read_text().splitlines()) <= 15  # a wrapper, no logic


def test_installed_there_is_inn_and_no_plots(tmp_path):
    """Outside the checkout ``inn.plots`` and ``inn.scripts`` import, and no module named
    ``plots`` (or a script of the checkout) is installed beside ``inn``."""
    assert _installed_commands(tmp_path) == SCRIPTS, \
        "the install is older than pyproject.toml: pip install -e ."
    out = _run("import importlib.util as u\n"
               "import inn.plots.comparison, inn.plots.report, inn.scripts.main_experiment\n"
               "assert inn.plots.report.TEMPLATES.is_dir()\n"
               "print([m for m in ('plots', 'main_experiment', 'run_benchmark') "
               "if u.find_spec(m)])\n", tmp_path)
    assert out.strip() == "[]"


# the commands whose help is also shown by their installed file (the others' entry points are
# called in one process: starting ten interpreters that import torch takes a minute on 2 cores)
RUN_AS_FILES = ("inn-train", "inn-report")


def test_every_command_is_installed_and_shows_its_help(tmp_path):
    assert _installed_commands(tmp_path) == SCRIPTS
    bin_dir = Path(sys.executable).parent
    for name, target in SCRIPTS.items():
        module, func = target.split(":")
        command = bin_dir / name
        assert command.is_file(), f"{command} missing: pip install -e ."
        assert f"from {module} import {func}" in command.read_text(), name
    files = {name: subprocess.Popen([str(bin_dir / name), "--help"], cwd=tmp_path,
                                    env=_clean_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
             for name in RUN_AS_FILES}  # fmt: skip
    # every entry point, as its command calls it: argv[0] is the command's name
    code = ("import contextlib, importlib, io, json, sys\n"
            f"helps = {{}}\nfor name, target in {SCRIPTS!r}.items():\n"
            "    module, func = target.split(':')\n"
            "    sys.argv = [name, '--help']\n"
            "    out = io.StringIO()\n"
            "    with contextlib.redirect_stdout(out):\n"
            "        try:\n            code = getattr(importlib.import_module(module), func)()\n"
            "        except SystemExit as stop:\n            code = stop.code\n"
            "    helps[name] = [code, out.getvalue()[:200]]\n"
            "print(json.dumps(helps))\n")
    helps = json.loads(_run(code, tmp_path))
    assert set(helps) == set(SCRIPTS)
    for name, (code, text) in helps.items():
        assert code == 0 and text.startswith(f"usage: {name} "), (name, code, text)
    for name, proc in files.items():
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, f"{name}: {err[-2000:]}"
        assert out.startswith(f"usage: {name} "), (name, out[:200])


@pytest.mark.parametrize("module", ["plots.report", "plots.comparison"])
def test_plots_run_as_modules_in_a_checkout(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"usage: python -m {module} ")
