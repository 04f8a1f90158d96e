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
    numeric_scaling: standard     # or quantile (encoded input)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inn import methods as registry
from inn.data import TEST_SIZE, dataset_key
from inn.data.preprocessing import SCALINGS
from inn.results import cell_dir

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
    numeric_scaling: str = "standard"
    output_dir: str = "results"
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
    """Expand ``store`` and ``suite:<id>`` entries; keep order, drop duplicates."""
    if isinstance(entries, (str, int)):
        entries = [entries]
    out: list = []
    for entry in entries:
        text = str(entry).strip()
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
            out.append(dataset_key(text))
    seen: set = set()
    return [d for d in out if not (d in seen or seen.add(d))]


def openml_suite(suite_id) -> list[int]:
    """Dataset ids of an OpenML benchmark suite (99 = OpenML-CC18); needs the network."""
    try:
        import openml
    except ImportError as err:
        raise SuiteError(f"suite:{suite_id} needs the openml package ({err})") from None
    try:
        openml.config.connection_n_retries = 1
        suite = openml.study.get_suite(dataset_key(suite_id))  # OpenML ids are all digits
        return [int(d) for d in suite.data]
    except Exception as err:  # network errors come in many types
        msg = str(err).splitlines()[0] if str(err) else ""
        raise SuiteError(f"cannot fetch OpenML suite {suite_id} (needs network access to "
                         f"openml.org): {type(err).__name__}: {msg[:200]}") from None


def load_suite_file(path) -> dict:
    """The raw mapping of a YAML suite file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"suite file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise SuiteError(f"cannot parse suite file {path}: {err}") from None
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


def build_suite(raw: dict, overrides: dict | None = None) -> Suite:
    """Combine a suite file's mapping with command-line overrides (those not None win)."""
    cfg = dict(raw)
    for key, value in (overrides or {}).items():
        if value is not None:
            cfg[key] = value
    methods = cfg.get("methods") or []
    params: dict[str, dict] = {k: dict(v or {}) for k, v in (cfg.get("params") or {}).items()}
    if isinstance(methods, dict):
        for name, p in methods.items():
            params.setdefault(name, {}).update(p or {})
        methods = list(methods)
    elif isinstance(methods, str):
        methods = [methods]
    known = registry.names()
    bad = [m for m in [*methods, *params] if m not in known]
    if bad:
        raise SuiteError(f"unknown method(s) {sorted(set(bad))}; choose from {', '.join(known)}")
    if not methods:
        raise SuiteError("no methods given (--methods or 'methods:' in the suite file)")
    if not cfg.get("datasets"):
        raise SuiteError("no datasets given (--datasets or 'datasets:' in the suite file)")
    seeds = cfg.get("seeds", [0])
    seeds = [int(s) for s in ([seeds] if isinstance(seeds, int) else seeds)]
    if any(s < 0 for s in seeds):
        raise SuiteError(f"seeds must be >= 0, got {seeds}")
    for name, extra in (cfg.get("set_params") or {}).items():
        params.setdefault(name, {}).update(extra)
    resources = {k: dict(v or {}) for k, v in (cfg.get("resources") or {}).items()}
    test_split_size = float(cfg.get("test_split_size", TEST_SIZE))
    if not 0 < test_split_size < 1:
        raise SuiteError(f"test_split_size must be in (0, 1), got {test_split_size}")
    numeric_scaling = cfg.get("numeric_scaling") or "standard"
    if numeric_scaling not in SCALINGS:
        raise SuiteError(f"numeric_scaling must be one of {SCALINGS}, got {numeric_scaling!r}")
    data_dir = cfg.get("data_dir")
    return Suite(
        datasets=resolve_datasets(cfg["datasets"], data_dir),
        methods=list(dict.fromkeys(methods)),
        seeds=list(dict.fromkeys(seeds)),
        params={m: params.get(m, {}) for m in methods},
        resources=resources,
        hpo_trials=int(cfg.get("hpo_trials") or 0),
        test_split_size=test_split_size,
        numeric_scaling=numeric_scaling,
        output_dir=str(cfg.get("output_dir") or "results"),
        data_dir=data_dir,
        device=str(cfg.get("device") or "auto"),
        name=str(cfg.get("name") or "suite"),
    )


def parse_set(items) -> dict[str, dict]:
    """``["inn.nr_epochs=2", "catboost.depth=6"]`` -> ``{"inn": {"nr_epochs": 2}, ...}``."""
    import yaml

    out: dict[str, dict] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method or not name:
            raise SuiteError(f"--set expects METHOD.PARAM=VALUE, got {item!r}")
        out.setdefault(method, {})[name] = yaml.safe_load(value)
    return out
