"""Benchmark suites: many (method, dataset, seed) cells through :func:`inn.experiment.run`.

* :mod:`inn.suite.config`: the suite (YAML file or flags) and its cells.
* :mod:`inn.suite.runner`: resume, failures, progress and the summary table.
* :mod:`inn.suite.executors`: local process pool or Ray tasks, each running
  :func:`inn.suite.cell.execute_cell`.
* :mod:`inn.suite.hpo` and :mod:`inn.suite.spaces`: Optuna on the validation split, with each
  method's search space from the registry (:mod:`inn.methods`).

Importing this package imports neither torch, ray nor optuna.
"""

from inn.suite.config import Cell, Suite, SuiteError, build_suite, load_suite_file

__all__ = ["Cell", "Suite", "SuiteError", "build_suite", "load_suite_file"]
