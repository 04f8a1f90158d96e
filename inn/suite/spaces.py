"""Sampling a configuration from a method's Optuna search space.

The spaces themselves live with the methods (``search_space`` in each module of
:mod:`inn.baselines`, named by the registry :mod:`inn.methods`); each is a function
``(trial, task) -> params`` in the method's own parameter names, so that it can depend on the
task. A parameter fixed in the suite (``params``) is not searched: :func:`suggest` leaves it as
given.
"""

from __future__ import annotations

from inn import methods


def suggest(method: str, trial, task: str, fixed: dict | None = None) -> dict:
    """Sample a configuration for ``method``; keys in ``fixed`` are kept and not searched."""
    fixed = dict(fixed or {})
    sampled = methods.get(method).search_space()(_FixedTrial(trial, fixed), task)
    return {**sampled, **fixed}


class _FixedTrial:
    """Wrap an Optuna trial so that fixed parameters are returned without being suggested."""

    def __init__(self, trial, fixed: dict):
        self._trial = trial
        self._fixed = fixed

    def __getattr__(self, name):
        attr = getattr(self._trial, name)
        if not name.startswith("suggest_"):
            return attr

        def wrapped(param, *args, **kwargs):
            if param in self._fixed:
                return self._fixed[param]
            return attr(param, *args, **kwargs)

        return wrapped
