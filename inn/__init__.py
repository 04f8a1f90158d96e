"""INN: an interpretable deep learner for tabular data.

A residual hypernetwork emits, for every row, the weights of a linear model whose per-feature
contributions are the prediction's explanation.

Names are loaded on first use, so ``import inn.data`` or ``import inn.results`` does not pull in
torch.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "INNClassifier": "inn.estimators",
    "INNRegressor": "inn.estimators",
    "TabResNetClassifier": "inn.estimators",
    "TabResNetRegressor": "inn.estimators",
    "INNEnsembleClassifier": "inn.ensemble",
    "INNEnsembleRegressor": "inn.ensemble",
    "TabResNetEnsembleClassifier": "inn.ensemble",
    "TabResNetEnsembleRegressor": "inn.ensemble",
    "load": "inn.ensemble",  # networks and ensembles (a network's folder: inn.estimators.load)
    "save": "inn.ensemble",  # networks and ensembles (a network: inn.estimators.save)
    "Explanation": "inn.explanation",
    "load_dataset": "inn.data",
    "TabularPreprocessor": "inn.data",
    "run": "inn.experiment",
    "report": "inn.plots.report",  # the HTML page of a fitted INN (plots/report.py, with Jinja2)
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'inn' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
