"""The explanation benchmark: ``python xai_experiment.py --help``. The program is
:mod:`inn.scripts.xai_experiment`; installed, it is also the command ``inn-xai``. This file runs
it from a checkout, with the same flags.
"""

import sys

from inn.scripts.xai_experiment import build_parser, check_benchmark, entry, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(entry())
