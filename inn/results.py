"""The results tree: ``<output_dir>/<method>/<dataset_id>/<seed>/output_info.json``.

A result file exists only when its run finished: it is written to a temporary file in the same
folder and renamed into place, so a killed run never leaves a partial ``output_info.json``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

RESULT_FILE = "output_info.json"


def result_path(output_dir, method: str, dataset_id, seed: int) -> Path:
    """Where the result of one (method, dataset, seed) cell lives."""
    return Path(output_dir) / method / str(dataset_id) / str(seed) / RESULT_FILE


def write_json_atomic(record: dict, path) -> Path:
    """Write ``record`` as JSON to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=2, allow_nan=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_result(path) -> dict:
    return json.loads(Path(path).read_text())


def iter_results(results_dir):
    """Yield every result record under ``results_dir`` (sorted by path)."""
    for path in sorted(Path(results_dir).glob(f"*/*/*/{RESULT_FILE}")):
        yield read_result(path)


def results_frame(results_dir):
    """One row per result file: method, dataset, seed, task, timings and flattened metrics."""
    import pandas as pd

    rows = []
    for rec in iter_results(results_dir):
        row = {
            "method": rec["method"],
            "dataset_id": str(rec["dataset_id"]),
            "dataset_name": rec.get("dataset_name"),
            "seed": rec["seed"],
            "task": rec["task"],
            "train_time_s": rec.get("train_time_s"),
            "inference_time_s": rec.get("inference_time_s"),
        }
        row.update({f"test_{k}": v for k, v in rec.get("test_metrics", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)
