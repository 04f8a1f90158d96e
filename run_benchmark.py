"""Run a benchmark suite of (dataset, method, seed) cells: ``python run_benchmark.py --help``. The
program is :mod:`inn.scripts.run_benchmark`; installed, it is also the command ``inn-
benchmark``. This file runs it from a checkout, with the same flags.
"""

import sys

from inn.scripts.run_benchmark import build_parser, entry, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(entry())
