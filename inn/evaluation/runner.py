"""Run one explanation benchmark (synthetic or real) and build its result record.

A run fits the models the chosen explainers need through the method registry
(:mod:`inn.methods`, as every run fits them) on the training rows less a validation split
(``XAIConfig.validation_size``, 15 %, which early stopping uses), explains the first
``n_explain`` held-out rows (the slow explainers - KernelSHAP, LIME - only the first ``n_slow`` of
them), scores every explainer with :mod:`inn.evaluation.metrics` on its own rows (``metrics``)
and on the first ``n_slow`` rows shared by all explainers (``metrics_common``), and records the
explanation time per row.

Benchmark names: synthetic ``<target>_<task>_rho<rho>`` (:mod:`.synthetic`), ``real_<key>`` (a
store dataset, no ground truth) and ``leak_<key>`` (a store dataset plus an injected feature that
leaks the label for a subgroup, :mod:`.bias`).
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from inn.evaluation import bias as bias_mod
from inn.evaluation.explainers import EXPLAINERS, INN_VARIANTS, ExplainContext, explain, fit_model
from inn.evaluation.metrics import GaussianConditional, ModelProbe, per_row_metrics, summarise
from inn.evaluation.synthetic import (
    SYNTHETIC_TASKS,
    SyntheticTask,
    benchmark_name,
    make_synthetic,
    parse_name,
)
from inn.evaluation.tables import ablation_path, main_path
from inn.results import write_json_atomic
from inn.settings import DEFAULTS

log = logging.getLogger("inn.evaluation")

SCHEMA_VERSION = 2  # 2: the models fit through the method registry with a validation split
DEFAULT_EXPLAINERS = tuple(EXPLAINERS)
REAL_EXPLAINERS = ("inn", "kernelshap_inn", "treeshap_catboost", "kernelshap_catboost", "ebm",
                   "ig_tabresnet", "random")  # fmt: skip
DEFAULT_SUITE = (
    [benchmark_name(t, k, r) for t in ("linear", "additive") for k in SYNTHETIC_TASKS
     for r in (0.0, 0.5)]
    + [benchmark_name(t, "regression", 0.5) for t in ("piecewise", "interaction")]
    + ["real_1510", "real_37", "leak_1510"]
)  # fmt: skip
ABLATION_SUITE = [benchmark_name(t, k, r) for t in ("linear", "additive") for k in SYNTHETIC_TASKS
                  for r in (0.0, 0.5)]  # fmt: skip
ABLATION_VARIANTS = ("plain", "global_bias", "consistency")
# (message regex, category) of warnings every run raises and nobody can act on: shap's import
# uses matplotlib colormap setters that matplotlib will deprecate.
KNOWN_WARNINGS = (
    (r"The set_(bad|over|under) function will be deprecated", PendingDeprecationWarning),
)


@dataclass
class XAIConfig:
    """Sizes of one run (CPU-friendly defaults; :meth:`fast` for smoke runs)."""

    n_train: int = 2000
    n_test: int = 1000
    n_explain: int = 200
    n_slow: int = 50
    nr_epochs: int = DEFAULTS["nr_epochs"]  # the networks' epochs: the estimators' default
    catboost_iterations: int = 500
    ebm_params: dict = field(default_factory=lambda: {"outer_bags": 4})
    kernel_nsamples: object = "auto"
    lime_samples: int = 5000
    n_cond: int = 8
    n_infid: int = 32
    n_jobs: int = 1
    validation_size: float = 0.15  # share of the training rows the models validate on

    def __post_init__(self) -> None:
        # a ValueError naming the size, not a TypeError from deep inside a run (2.5 rows)
        from inn.validation import Int, Real

        for name in ("n_train", "n_test", "n_explain", "n_slow", "nr_epochs",
                     "catboost_iterations", "lime_samples", "n_cond", "n_infid"):
            Int(1).check(name, getattr(self, name))
        if self.kernel_nsamples != "auto":
            Int(1).check("kernel_nsamples", self.kernel_nsamples)
        if Int().check("n_jobs", self.n_jobs) == 0:
            raise ValueError("n_jobs must be a positive thread count or -1 (all cores), not 0")
        Real(0, 1, low_open=True, high_open=True).check("validation_size", self.validation_size)

    @classmethod
    def fast(cls) -> XAIConfig:
        return cls(n_train=1000, n_test=500, n_explain=100, n_slow=20, nr_epochs=20,
                   catboost_iterations=200, lime_samples=1000, n_cond=4, n_infid=16)  # fmt: skip


def _fit_metric(task: str, raw_out: np.ndarray, y: np.ndarray) -> dict:
    from inn import metrics

    if task == "regression":
        return {"r2": metrics.r2(y, raw_out)}
    return {"auroc": metrics.auroc(y, raw_out)}


def method_params(name: str, cfg: XAIConfig, inn_params=None) -> dict:
    """The hyperparameters the benchmark gives method ``name``: its size from ``cfg`` (the
    networks' epochs, CatBoost's trees, EBM's settings) and, for INN, the variant's."""
    if name in ("inn", "inn_ensemble"):  # the ensemble's members get INN's settings
        return {"nr_epochs": cfg.nr_epochs, **(inn_params or {})}
    if name == "tabresnet":
        return {"nr_epochs": cfg.nr_epochs}
    if name == "catboost":
        return {"iterations": cfg.catboost_iterations}
    if name == "ebm":
        return dict(cfg.ebm_params)
    raise ValueError(f"the benchmark has no model {name!r}; it fits "
                     f"{sorted({e.model for e in EXPLAINERS.values()})}")


def validation_split(task: str, y, seed: int, size: float) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, validation rows) of the training rows: ``size`` of them validate, stratified
    for classification (:func:`inn.data.splits.split_positions`, seeded with
    ``derive_seed(seed, 2)``, apart from the pipeline's test and validation draws)."""
    from inn.data.splits import derive_seed, split_positions
    from inn.tasks import CLASSIFICATION_TASKS

    labels = np.asarray(y) if task in CLASSIFICATION_TASKS else None
    return split_positions(np.arange(len(y)), labels, size, derive_seed(seed, 2))


def fit_models(needed, task, X, y, X_val, y_val, seed, cfg: XAIConfig, inn_params=None) -> dict:
    """The models ``needed`` (method names), each built from the registry and fitted on
    ``(X, y)`` with the validation rows (:func:`inn.evaluation.explainers.fit_model`)."""
    models = {}
    for name in needed:
        log.info("fitting %s", name)
        models[name] = fit_model(name, task, X, y, X_val, y_val, seed,
                                 method_params(name, cfg, inn_params), n_jobs=cfg.n_jobs)
    return models


def evaluate(
    *, task, X_train, y_train, X_test, y_test, seed, cfg: XAIConfig, explainers,
    conditional, truth=None, truth_ref=None, true_f=None, inn_params=None, extra_rows=None,
) -> dict:  # fmt: skip
    """Fit, explain and score; returns ``{"models": ..., "explainers": ..., "n_fit": ...,
    "n_val": ...}``.

    Every model fits on the same training rows less ``cfg.validation_size`` of them, which it
    validates on (:func:`validation_split`). The reference point r of every explainer is the
    mean of the rows its model fits on: the point INN's contributions are centred at (for a
    cross-fitted ensemble, which trains on the validation rows too, the mean of all of them).
    ``truth`` / ``truth_ref`` / ``true_f``: functions of X giving the ground truth (synthetic).
    ``extra_rows(name, attribution, X_explain) -> dict`` adds explainer-specific entries.
    """
    unknown = [e for e in explainers if e not in EXPLAINERS]
    if unknown:
        raise ValueError(f"unknown explainers {unknown}; choose from {list(EXPLAINERS)}")
    needed = list(dict.fromkeys(EXPLAINERS[e].model for e in explainers))
    fit_rows, val_rows = validation_split(task, y_train, seed, cfg.validation_size)
    X_fit = X_train[fit_rows]
    models = fit_models(needed, task, X_fit, y_train[fit_rows], X_train[val_rows],
                        y_train[val_rows], seed, cfg, inn_params)  # fmt: skip
    X_exp = X_test[: cfg.n_explain]
    n_slow = min(cfg.n_slow, len(X_exp))
    contexts = {}  # per model: the rows it trained on and their mean, r
    for name, model in models.items():
        rows_used = X_train if model.cross_fitted else X_fit
        contexts[name] = ExplainContext(rows_used, rows_used.mean(axis=0).astype(np.float64),
                                        seed, cfg.kernel_nsamples, cfg.lime_samples)
    gt = truth(X_exp) if truth is not None else None
    gt_ref = truth_ref(X_exp) if truth_ref is not None else None
    record_models, probes = {}, {}
    for name, model in models.items():
        raw_test = model.raw(X_test)
        entry = {"train_time_s": model.train_time_s, "params": model.params,
                 **_fit_metric(task, raw_test, y_test)}  # fmt: skip
        if true_f is not None:
            entry["truth_corr"] = float(np.corrcoef(raw_test, true_f(X_test))[0, 1])
        record_models[name] = entry
        probes[name] = ModelProbe(model.raw, X_exp, contexts[name].reference, conditional,
                                  seed=seed, n_cond=cfg.n_cond, n_infid=cfg.n_infid)
    out = {}
    for name in explainers:
        model_name = EXPLAINERS[name].model
        rows = np.arange(n_slow if EXPLAINERS[name].slow else len(X_exp))
        log.info("explaining with %s on %d rows", name, len(rows))
        attr = explain(name, models[model_name], X_exp[rows], rows, contexts[model_name])
        per_row = per_row_metrics(
            probes[model_name], attr.values, rows,
            None if gt is None else gt[rows], None if gt_ref is None else gt_ref[rows],
        )  # fmt: skip
        entry = {
            "model": model_name,
            "n_rows": int(len(rows)),
            "seconds_per_row": attr.seconds_per_row,
            "metrics": summarise(per_row),
            "metrics_common": summarise(per_row, np.arange(n_slow)),
            **attr.extra,
        }
        if extra_rows is not None:
            entry.update(extra_rows(name, attr, X_exp))
        out[name] = entry
    return {"models": record_models, "explainers": out, "n_fit": int(len(fit_rows)),
            "n_val": int(len(val_rows))}


def _versions() -> dict:
    from inn.experiment import versions

    out = versions()
    from importlib import metadata

    for pkg in ("shap", "lime", "captum"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def real_benchmark(name: str) -> tuple[str, str | int]:
    """``real_<key>`` / ``leak_<key>`` -> (``"real"`` or ``"leak"``, the dataset key normalised:
    :func:`inn.data.dataset_key`, the benchmark's one call of it)."""
    from inn.data import dataset_key

    kind, key = name.split("_", 1)
    return kind, dataset_key(key)


def check_benchmark(name: str) -> str:
    """The benchmark's name as its records are filed (``real_031`` -> ``real_31``), a
    ValueError for a name that is neither synthetic nor ``real_<key>`` / ``leak_<key>``."""
    if name.startswith(("real_", "leak_")):
        kind, key = real_benchmark(name)
        return f"{kind}_{key}"
    parse_name(name)
    return name


def _inn_params(variant: str) -> dict:
    if variant not in INN_VARIANTS:
        raise ValueError(f"unknown INN variant {variant!r}; choose from {list(INN_VARIANTS)}")
    return dict(INN_VARIANTS[variant])


def run_benchmark(name: str, seed: int, cfg: XAIConfig | None = None, explainers=None,
                  inn_variant: str = "default", data_dir=None) -> dict:  # fmt: skip
    """Run benchmark ``name`` with ``seed``; returns the result record (not written)."""
    cfg = cfg or XAIConfig()
    inn_params = _inn_params(inn_variant)
    start = time.perf_counter()
    if name.startswith(("real_", "leak_")):
        kind, key = real_benchmark(name)
        explainers = list(explainers or REAL_EXPLAINERS)
        data = bias_mod.load_real(key, seed, leak=(kind == "leak"), data_dir=data_dir,
                                  max_train=cfg.n_train)  # fmt: skip
        extra = None
        if kind == "leak":
            extra = bias_mod.leak_ranks_fn(data)
        result = evaluate(
            task=data.task, X_train=data.X_train, y_train=data.y_train, X_test=data.X_test,
            y_test=data.y_test, seed=seed, cfg=cfg, explainers=explainers,
            conditional=GaussianConditional.fit(data.X_train), inn_params=inn_params,
            extra_rows=extra,
        )  # fmt: skip
        meta = {"kind": kind, "dataset": key, "task": data.task, "feature_names": data.names,
                **data.meta}  # fmt: skip
    else:
        explainers = list(explainers or DEFAULT_EXPLAINERS)
        data = make_synthetic(name, cfg.n_train, cfg.n_test, seed)
        st: SyntheticTask = data.task
        result = evaluate(
            task=st.task, X_train=data.X_train, y_train=data.y_train, X_test=data.X_test,
            y_test=data.y_test, seed=seed, cfg=cfg, explainers=explainers,
            conditional=GaussianConditional(st.mean, st.cov), truth=st.truth,
            truth_ref=st.truth_ref, true_f=st.f, inn_params=inn_params,
        )  # fmt: skip
        meta = {"kind": "synthetic", "target": st.target, "task": st.task, "rho": st.rho}
    return {
        "schema_version": SCHEMA_VERSION,
        "benchmark": name,
        "seed": seed,
        "inn_variant": inn_variant,
        "inn_params": inn_params,
        "config": asdict(cfg),
        **meta,
        **result,
        "wall_time_s": time.perf_counter() - start,
        "versions": _versions(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


ABLATION_EXPLAINERS = ("inn", "kernelshap_inn")


def run_ablation(name: str, seed: int, variant: str, cfg: XAIConfig | None = None) -> dict:
    """INN variant ``variant`` on synthetic benchmark ``name``: its own explanation and
    KernelSHAP on the same fitted model."""
    return run_benchmark(name, seed, cfg, explainers=ABLATION_EXPLAINERS, inn_variant=variant)


def run_benchmarks(benchmarks, seeds, output_dir, cfg: XAIConfig | None = None, *,
                   explainers=None, inn_variant: str = "default", overwrite: bool = False,
                   echo=print) -> list:  # fmt: skip
    """Run every (benchmark, seed) into ``<output_dir>/xai/<benchmark>/<seed>/`` (atomic
    writes); finished ones are skipped unless ``overwrite``. Returns the result paths."""
    paths = []
    for bench in [check_benchmark(b) for b in benchmarks]:  # every name before any run
        for seed in seeds:
            path = main_path(output_dir, bench, seed)
            paths.append(path)
            if path.exists() and not overwrite:
                echo(f"{path} exists; skipping")
                continue
            with _known_warnings_silenced():
                rec = run_benchmark(bench, seed, cfg, explainers, inn_variant)
            write_json_atomic(rec, path)
            echo(f"wrote {path} ({rec['wall_time_s']:.0f} s)")
    return paths


def run_ablations(benchmarks, variants, seeds, output_dir, cfg: XAIConfig | None = None, *,
                  overwrite: bool = False, echo=print) -> list:  # fmt: skip
    """Run every (benchmark, INN variant, seed) of the ablation into
    ``<output_dir>/xai_ablation/<benchmark>/<variant>/<seed>/``; finished ones are skipped."""
    paths = []
    for bench in benchmarks:
        for variant in variants:
            for seed in seeds:
                path = ablation_path(output_dir, bench, variant, seed)
                paths.append(path)
                if path.exists() and not overwrite:
                    continue
                with _known_warnings_silenced():
                    rec = run_ablation(bench, seed, variant, cfg)
                write_json_atomic(rec, path)
                echo(f"wrote {path} ({rec['wall_time_s']:.0f} s)")
    return paths


@contextlib.contextmanager
def _known_warnings_silenced():
    """Silence the warnings the explainers are known to raise on every run (nothing else)."""
    with warnings.catch_warnings():
        for message, category in KNOWN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield
