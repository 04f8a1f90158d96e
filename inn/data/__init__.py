"""Data layer: dataset loading (store / scikit-learn / OpenML / a table file), preprocessing,
splits, and the one function from (dataset, seed, method) to prepared data.

Importing this package does not import torch or openml.
"""

from .dataset import Dataset, build_dataset
from .files import DataFile, load_file
from .loading import load_dataset
from .openml_source import openml_task_splits
from .prepared import PreparedData, prepare_data
from .preprocessing import TabularPreprocessor, raw_frame
from .splits import TEST_SIZE, VALIDATION_SIZE, Splits, encode_target, make_splits
from .store import DatasetError, dataset_key, dataset_sort_key, list_store, resolve_data_dir

__all__ = [
    "DataFile",
    "Dataset",
    "DatasetError",
    "PreparedData",
    "Splits",
    "TEST_SIZE",
    "TabularPreprocessor",
    "VALIDATION_SIZE",
    "build_dataset",
    "dataset_key",
    "dataset_sort_key",
    "encode_target",
    "list_store",
    "load_dataset",
    "load_file",
    "make_splits",
    "openml_task_splits",
    "prepare_data",
    "raw_frame",
    "resolve_data_dir",
]
