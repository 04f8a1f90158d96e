"""Every estimator setting is declared once, in inn.settings.SETTINGS: the estimators' signatures,
their checks, their docstrings and the command-line flags read it, and no default is written a
second time anywhere in the package."""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from pathlib import Path

import pytest

from inn.settings import DEFAULTS, INN_SETTINGS, NETWORK_SETTINGS, SETTINGS, Setting, args_doc
from inn.validation import Bool, Choice, Columns, Device, Int, RandomState, Real, Threads

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Settings of the run that other parts take under the same name with a meaning of their own
# (every baseline adapter and the pipeline have a device, threads, a seed and verbosity); the
# scan below checks them in the estimators and modules only.
RUN_SETTINGS = ("device", "n_jobs", "random_state", "verbose")


def _estimators():
    from inn.estimators import ESTIMATORS

    return ESTIMATORS


# --------------------------------------------------------------------------- the signatures
@pytest.mark.parametrize("name", ["INNClassifier", "INNRegressor", "TabResNetClassifier",
                                  "TabResNetRegressor"])
def test_signature_is_the_table(name):
    cls = _estimators()[name]
    params = inspect.signature(cls.__init__).parameters
    names = [n for n in params if n != "self"]
    expected = INN_SETTINGS if name.startswith("INN") else NETWORK_SETTINGS
    assert names == list(expected)  # the table's order, nothing more or less
    for n in names:
        assert params[n].kind is inspect.Parameter.KEYWORD_ONLY
        default = params[n].default
        assert type(default) is type(DEFAULTS[n]) and default == DEFAULTS[n], n
    est = cls()
    assert est.get_params() == {n: DEFAULTS[n] for n in names}
    assert set(vars(est)) == set(names)  # __init__ stores the settings and nothing else


def test_the_table_is_complete():
    for name, setting in SETTINGS.items():
        assert isinstance(setting, Setting)
        assert setting.help and "\n" not in setting.help and not setting.help.endswith("."), name
        assert "``" not in setting.help and ":class:" not in setting.help, name  # plain text
        setting.check(name, setting.default)  # every default passes its own check
    assert set(NETWORK_SETTINGS) < set(INN_SETTINGS) == set(SETTINGS)
    assert all(SETTINGS[n].inn_only for n in set(INN_SETTINGS) - set(NETWORK_SETTINGS))


# ------------------------------------------------------------------------------- the checks
def _bad_value(spec):
    """A value that ``spec`` must refuse."""
    if isinstance(spec, Int):
        return (spec.low - 1) if spec.low is not None else 2.5
    if isinstance(spec, Real):
        return float("nan")
    if isinstance(spec, Bool):
        return "yes"
    if isinstance(spec, Choice):
        return "no such option"
    if isinstance(spec, Device):
        return "gpu"
    if isinstance(spec, Threads):
        return 0
    if isinstance(spec, RandomState):
        return -1
    if isinstance(spec, Columns):
        return "age"
    raise AssertionError(f"no bad value for {spec!r}")


@pytest.mark.parametrize("name", list(SETTINGS))
def test_fit_checks_each_setting_with_its_spec(name):
    import numpy as np

    cls = _estimators()["INNClassifier"]
    est = cls(**{name: _bad_value(SETTINGS[name].spec)})
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        est.fit(X, y)


def test_weight_norm_is_checked_once_on_its_way_in():
    """The pipeline's check of a network's hyperparameters is the estimator's own."""
    from inn.baselines.networks import INNModel

    message = None
    try:
        SETTINGS["weight_norm"].check("weight_norm", -1.0)
    except ValueError as err:
        message = str(err)
    with pytest.raises(ValueError) as caught:
        INNModel.check_params({"weight_norm": -1.0})
    assert str(caught.value) == message


# ------------------------------------------------------------------------- the docstrings
def _words(text: str) -> str:
    return " ".join(text.split())


def test_docstrings_are_made_from_the_table():
    estimators = _estimators()
    for name, cls in estimators.items():
        doc = _words(inspect.getdoc(cls))
        names = INN_SETTINGS if name.startswith("INN") else NETWORK_SETTINGS
        for setting in names:
            assert _words(f"{setting}: {SETTINGS[setting].doc()}") in doc, (name, setting)
        for setting in set(SETTINGS) - set(names):
            assert f"{setting}:" not in doc, (name, setting)
    section = args_doc(["nr_epochs", "bias"])
    assert section.splitlines()[0] == "    Args:"
    assert all(len(line) <= 100 for line in section.splitlines())


# ------------------------------------------------------------------------------ the flags
def test_flags_read_the_table():
    import main_experiment
    from inn.cli import FRAME_PARAMETERS, RUN_MANAGED

    parser = main_experiment.build_parser()
    # --device and --n_jobs are the pipeline's, for every method: they have their own help
    flags = {a.dest: a for a in parser._actions if a.dest in SETTINGS and a.dest not in RUN_MANAGED}
    hyper = [n for n in INN_SETTINGS if n not in RUN_MANAGED + FRAME_PARAMETERS]
    assert set(hyper) < set(flags)  # and --numeric_scaling
    for name, action in flags.items():
        setting = SETTINGS[name]
        assert action.help.startswith(setting.help + " (default: "), name
        if isinstance(setting.spec, Choice):
            assert tuple(action.choices) == setting.spec.options, name
        else:
            assert action.type == setting.spec.parse, name
    for name in hyper:  # nothing passed unless given: the estimator's default applies
        assert flags[name].default is argparse.SUPPRESS
        assert f"(default: {DEFAULTS[name]}" in flags[name].help
    # the README's example parses
    args = parser.parse_args("--output_dir . --dataset_id 1590 --nr_restarts 3 --weight_norm 0.1 "
                             "--weight_decay 0.01 --seed 0 --interpretable".split())
    # the id stays the text given: inn.run normalises it once (inn.data.dataset_key)
    assert (args.dataset_id, args.nr_restarts, args.weight_norm, args.interpretable) == \
        ("1590", 3, 0.1, True)  # fmt: skip


def test_no_flag_states_an_estimator_default_of_its_own():
    """Help texts in the programs name a setting's default through the table, not as a
    literal: e.g. no '(default: standard)' for --numeric_scaling."""
    files = [*ROOT.joinpath("inn").rglob("*.py"), *ROOT.joinpath("plots").glob("*.py")]
    for path in files:
        if path.name == "settings.py":
            continue
        text = path.read_text()
        for name in SETTINGS:
            default = DEFAULTS[name]
            if default is None or isinstance(default, bool):
                continue
            # the flag's name, then within the same add_argument call its default as a literal
            literal = re.escape(str(default))
            pattern = rf"--{name}\b(?:(?!add_argument).){{0,400}}?default: {literal}\b"
            match = re.search(pattern, text, re.S)
            assert match is None, f"{path.relative_to(ROOT)}: {match.group(0)!r}"


# ---------------------------------------------------- no default written twice in the package
def _restated_defaults(source: str, names) -> list[tuple[int, str]]:
    """(line, setting) for each parameter default or class field default in ``source`` that is
    the literal default of a setting of the same name."""

    def same(node, name) -> bool:
        value = DEFAULTS[name]
        return (isinstance(node, ast.Constant) and value is not None
                and type(node.value) is type(value) and node.value == value)

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            found += [(d.lineno, a.arg) for a, d in pairs if a.arg in names and same(d, a.arg)]
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                        and stmt.target.id in names and same(stmt.value, stmt.target.id)):
                    found.append((stmt.lineno, stmt.target.id))
    return found


def test_the_scan_finds_a_restated_default():
    source = (f"def f(x, nr_epochs={DEFAULTS['nr_epochs']!r}, *, bias={DEFAULTS['bias']!r}):\n"
              "    pass\n"
              f"class C:\n    n_bins: int = {DEFAULTS['n_bins']!r}\n"
              f"def g(nr_epochs={DEFAULTS['nr_epochs'] + 1}, patience=None):\n    pass\n")
    assert _restated_defaults(source, SETTINGS) == [(1, "nr_epochs"), (1, "bias"), (4, "n_bins")]


def test_no_estimator_default_appears_twice():
    hyper = [n for n in SETTINGS if n not in RUN_SETTINGS]
    found = []
    for path in sorted([*ROOT.joinpath("inn").rglob("*.py"), *ROOT.joinpath("plots").glob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "inn/settings.py":
            continue
        names = list(SETTINGS) if rel in ("inn/estimators.py", "inn/modules.py") else hyper
        found += [f"{rel}:{line} {name}" for line, name in
                  _restated_defaults(path.read_text(), names)]  # fmt: skip
    assert not found, "defaults of inn.settings.SETTINGS written again: " + ", ".join(found)


def test_modules_take_no_defaults_of_their_own():
    """The network modules are built by the estimators: a setting has no second default there."""
    from inn.modules import INN, InputEncoder, TabResNet

    for cls in (InputEncoder, INN, TabResNet):
        params = inspect.signature(cls.__init__).parameters
        with_default = [n for n, p in params.items()
                        if n in SETTINGS and p.default is not inspect.Parameter.empty]
        assert not with_default, (cls.__name__, with_default)


def test_defaults_page_agrees_with_the_table():
    """docs/defaults.md's table of INN's defaults states the values of the table."""
    rows = re.findall(r"^\| ((?:`\w+`(?:, )?)+) \| ((?:`[^`]+`(?:, )?)+) \|",
                      (ROOT / "docs" / "defaults.md").read_text(), re.M)
    assert len(rows) >= 5
    for names, values in rows:
        names = re.findall(r"`(\w+)`", names)
        values = re.findall(r"`([^`]+)`", values)
        assert len(names) == len(values), names
        for name, value in zip(names, values):
            assert ast.literal_eval(value) == DEFAULTS[name], (name, value, DEFAULTS[name])
