"""Train a baseline method on the same data, splits and seeds as INN: ``python
baseline_experiment.py --help``. The program is :mod:`inn.scripts.baseline_experiment`;
installed, it is also the command ``inn-baseline``. This file runs it from a checkout, with the
same flags.
"""

import sys

from inn.scripts.baseline_experiment import build_parser, entry, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(entry())
