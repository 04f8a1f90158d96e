"""Data layer: dataset loading (store / scikit-learn / OpenML), preprocessing and splits.

Importing this package does not import torch or openml.
"""

from .loading import Dataset, build_dataset, load_dataset
from .openml_source import openml_task_splits
from .preprocessing import TabularPreprocessor, raw_frame
from .splits import Splits, encode_target, make_splits
from .store import DatasetError, list_store, resolve_data_dir

__all__ = [
    "Dataset",
    "DatasetError",
    "Splits",
    "TabularPreprocessor",
    "build_dataset",
    "encode_target",
    "list_store",
    "load_dataset",
    "make_splits",
    "openml_task_splits",
    "raw_frame",
    "resolve_data_dir",
]
