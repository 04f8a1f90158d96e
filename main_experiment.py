"""Train INN or the TabResNet baseline on a dataset or your own file: ``python main_experiment.py
--help``. The program is :mod:`inn.scripts.main_experiment`; installed, it is also the command
``inn-train``. This file runs it from a checkout, with the same flags.
"""

import sys

from inn.scripts.main_experiment import build_parser, entry, estimators, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(entry())
