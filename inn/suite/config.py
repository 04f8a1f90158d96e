"""A benchmark suite: which datasets, methods, seeds and settings; read from YAML or flags.

Example suite file (see ``suites/``)::

    name: quick
    datasets: [1510, 37, 40]      # ids / store keys, "store", or "suite:99" (OpenML-CC18)
    methods:                      # a list of names, or a mapping name -> hyperparameters
      inn: {nr_epochs: 2}
      logistic_regression: {}
    seeds: [0, 1]
    hpo_trials: 0                 # > 0: Optuna on the validation split, then the final run
    resources:                    # Ray requests per cell (default: 1 CPU, no GPU)
      inn: {num_cpus: 2, num_gpus: 0.5}
    numeric_scaling: auto         # standard, quantile or none (encoded input)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from inn import methods as registry
from inn.data import TEST_SIZE, DatasetError, dataset_key
from inn.data.preprocessing import AUTO, NUMERIC_SCALINGS
from inn.results import RUNS_DIR, cell_dir
from inn.validation import SEED, Int, Real, check_device_name, check_key

DEFAULT_RESOURCES = {"num_cpus": 1, "num_gpus": 0}


class SuiteError(ValueError):
    """A suite that cannot be resolved (bad file, unknown method, unreachable OpenML)."""


@dataclass(frozen=True, order=True)
class Cell:
    """One (method, dataset, seed) run of the suite."""

    method: str
    dataset_id: int | str
    seed: int

    def dir(self, output_dir) -> Path:
        return cell_dir(output_dir, self.method, self.dataset_id, self.seed)

    def label(self) -> str:
        return f"{self.method}/{self.dataset_id}/{self.seed}"


@dataclass
class Suite:
    datasets: list = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    params: dict[str, dict] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)
    hpo_trials: int = 0
    test_split_size: float = TEST_SIZE
    numeric_scaling: str = AUTO
    output_dir: str = RUNS_DIR
    data_dir: str | None = None
    device: str = "auto"
    name: str = "suite"

    def cells(self) -> list[Cell]:
        """Every cell, dataset-major (so early results cover few datasets completely)."""
        return [Cell(m, d, s) for d in self.datasets for s in self.seeds for m in self.methods]

    def resources_for(self, method: str) -> dict:
        """Ray request of a cell: the suite's for the method, else its default, else the
        method's own (registry), else 1 CPU and no GPU."""
        return {**DEFAULT_RESOURCES, **registry.get(method).resources,
                **self.resources.get("default", {}), **self.resources.get(method, {})}


def resolve_datasets(entries, data_dir=None) -> list:
    """Expand ``store`` and ``suite:<id>`` entries; keep order, drop duplicates. Every other
    entry must be a dataset id or plain store key (:func:`inn.data.dataset_key`)."""
    if isinstance(entries, (str, int)):
        entries = [entries]
    if not isinstance(entries, list):
        raise SuiteError(f"datasets must be a list of ids or store keys, got {entries!r}")
    out: list = []
    for entry in entries:
        if not isinstance(entry, (str, int)) or isinstance(entry, bool):
            raise SuiteError(f"datasets: {entry!r} is not a dataset id or store key")
        text = str(entry)
        if text == "store":
            from inn.data import list_store, resolve_data_dir

            keys = list_store(data_dir)
            if not keys:
                raise SuiteError(f"'store' given but the dataset store "
                                 f"({resolve_data_dir(data_dir)}) holds no datasets")
            out.extend(keys)
        elif text.lower().startswith("suite:"):
            out.extend(openml_suite(text.split(":", 1)[1]))
        else:
            try:
                out.append(dataset_key(entry))
            except DatasetError as err:
                raise SuiteError(f"datasets: {err}") from None
    seen: set = set()
    return [d for d in out if not (d in seen or seen.add(d))]


def openml_suite(suite_id) -> list[int]:
    """Dataset ids of an OpenML benchmark suite (99 = OpenML-CC18); needs the network."""
    try:
        import openml
    except ImportError as err:
        raise SuiteError(f"suite:{suite_id} needs the openml package ({err})") from None
    try:
        suite_id = Int(0).check("suite id", check_key(suite_id, "suite id"))  # all digits: int
    except ValueError as err:
        raise SuiteError(f"suite:{suite_id}: {err}") from None
    try:
        openml.config.connection_n_retries = 1
        suite = openml.study.get_suite(suite_id)
        return [int(d) for d in suite.data]
    except Exception as err:  # network errors come in many types
        msg = str(err).splitlines()[0] if str(err) else ""
        raise SuiteError(f"cannot fetch OpenML suite {suite_id} (needs network access to "
                         f"openml.org): {type(err).__name__}: {msg[:200]}") from None


@functools.cache
def _yaml_loader():
    """PyYAML's safe loader, reading ``1e-3`` and ``5E+2`` as floats.

    PyYAML follows YAML 1.1, whose floats need a dot (``1.0e-3``): ``learning_rate: 1e-3`` would
    load as the string ``"1e-3"`` and then be refused as a non-number. YAML 1.2 and every user
    read it as a float.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    return Loader


def load_yaml(text: str):
    """Parse YAML text as :func:`yaml.safe_load` does, reading exponent floats such as 1e-3."""
    import yaml

    return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass


def load_suite_file(path) -> dict:
    """The raw mapping of a YAML suite file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"suite file not found: {path}")
    try:
        raw = load_yaml(path.read_text()) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as err:
        reason = " ".join(str(err).split())
        raise SuiteError(f"cannot read suite file {path}: {reason}") from None
    if not isinstance(raw, dict):
        raise SuiteError(f"suite file {path} must hold a mapping, got {type(raw).__name__}")
    known = {"name", "datasets", "methods", "seeds", "params", "resources", "hpo_trials",
             "test_split_size", "numeric_scaling", "output_dir", "data_dir", "device"}
    unknown = set(raw) - known
    if unknown:
        raise SuiteError(f"unknown keys in suite file {path}: {sorted(unknown)}; "
                         f"known: {sorted(known)}")
    raw.setdefault("name", path.stem)
    return raw


def _mapping(name: str, value) -> dict:
    """``value`` as a dict of dicts keyed by name (``None`` values are empty dicts)."""
    value = value or {}
    if not isinstance(value, dict):
        raise SuiteError(f"{name} must be a mapping, got {value!r}")
    out = {}
    for key, inner in value.items():
        inner = inner or {}
        if not isinstance(inner, dict):
            raise SuiteError(f"{name}.{key} must be a mapping of settings, got {inner!r}")
        out[str(key)] = dict(inner)
    return out


def _check(name: str, spec, value):
    try:
        return spec.check(name, value)
    except ValueError as err:
        raise SuiteError(str(err)) from None


def build_suite(raw: dict, overrides: dict | None = None) -> Suite:
    """Combine a suite file's mapping with command-line overrides (those not None win).

    Every setting is checked here, before any cell runs: a bad one raises a
    :class:`SuiteError` that names it.
    """
    cfg = dict(raw)
    for key, value in (overrides or {}).items():
        if value is not None:
            cfg[key] = value
    methods = cfg.get("methods") or []
    params = _mapping("params", cfg.get("params"))
    if isinstance(methods, dict):
        for name, p in _mapping("methods", methods).items():
            params.setdefault(name, {}).update(p)
        methods = list(methods)
    elif isinstance(methods, str):
        methods = [methods]
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise SuiteError(f"methods must be a list of method names, got {methods!r}")
    known = registry.names()
    bad = [m for m in [*methods, *params] if m not in known]
    if bad:
        raise SuiteError(f"unknown method(s) {sorted(set(bad))}; choose from {', '.join(known)}")
    if not methods:
        raise SuiteError("no methods given (--methods or 'methods:' in the suite file)")
    if not cfg.get("datasets"):
        raise SuiteError("no datasets given (--datasets or 'datasets:' in the suite file)")
    seeds = cfg.get("seeds", [0])
    seeds = [seeds] if not isinstance(seeds, list) else seeds
    seeds = [_check("seeds", SEED, s) for s in seeds]
    for name, extra in _mapping("set", cfg.get("set_params")).items():
        params.setdefault(name, {}).update(extra)
    for name, p in params.items():
        try:
            registry.get(name).model_class.check_params(p)
        except ValueError as err:
            raise SuiteError(f"{name}: {err}") from None
    resources = _mapping("resources", cfg.get("resources"))
    for name, request in resources.items():
        unknown = set(request) - set(DEFAULT_RESOURCES)
        if unknown:
            raise SuiteError(f"resources.{name}: unknown keys {sorted(unknown)}; known: "
                             f"{sorted(DEFAULT_RESOURCES)}")
        for key, value in request.items():
            _check(f"resources.{name}.{key}", Real(0), value)
    test_split_size = _check("test_split_size", Real(0, 1, low_open=True, high_open=True),
                             cfg.get("test_split_size", TEST_SIZE))
    numeric_scaling = cfg.get("numeric_scaling") or AUTO
    if numeric_scaling not in NUMERIC_SCALINGS:
        raise SuiteError(f"numeric_scaling must be one of {NUMERIC_SCALINGS}, got "
                         f"{numeric_scaling!r}")
    hpo_trials = _check("hpo_trials", Int(0), cfg.get("hpo_trials") or 0)
    device = _check_device(cfg.get("device") or "auto")
    data_dir = cfg.get("data_dir")
    for key in ("output_dir", "data_dir", "name"):
        if cfg.get(key) is not None and not isinstance(cfg[key], str):
            raise SuiteError(f"{key} must be a text, got {cfg[key]!r}")
    return Suite(
        datasets=resolve_datasets(cfg["datasets"], data_dir),
        methods=list(dict.fromkeys(methods)),
        seeds=list(dict.fromkeys(seeds)),
        params={m: params.get(m, {}) for m in methods},
        resources=resources,
        hpo_trials=hpo_trials,
        test_split_size=test_split_size,
        numeric_scaling=numeric_scaling,
        output_dir=str(cfg.get("output_dir") or RUNS_DIR),
        data_dir=data_dir,
        device=device,
        name=str(cfg.get("name") or "suite"),
    )


def _check_device(device) -> str:
    try:
        return check_device_name("device", device)
    except ValueError as err:
        raise SuiteError(str(err)) from None


def parse_set(items) -> dict[str, dict]:
    """``["inn.nr_epochs=2", "catboost.depth=6"]`` -> ``{"inn": {"nr_epochs": 2}, ...}``."""
    import yaml

    out: dict[str, dict] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method or not name:
            raise SuiteError(f"--set expects METHOD.PARAM=VALUE, got {item!r}")
        try:
            out.setdefault(method, {})[name] = load_yaml(value)
        except yaml.YAMLError as err:
            reason = " ".join(str(err).split())
            raise SuiteError(f"--set {item!r}: VALUE is not a plain YAML value ({reason})"
                             ) from None
    return out
