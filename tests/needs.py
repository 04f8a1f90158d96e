"""What tests need before they can run: the dataset store; and the two tiers of the suite.

``make test`` runs the fast tier (``-m "not slow"``); ``make test-all`` (what CI runs) adds the
tests marked ``slow``: end-to-end runs of the scripts, suites, browsers and clusters.

Tests that read the dataset store use ``needs_store`` (or :func:`need_store`): without the store
they skip and say why, they never fall back to OpenML (which these machines cannot reach).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inn.data import resolve_data_dir

STORE: Path | None = resolve_data_dir()

needs_store = pytest.mark.skipif(
    STORE is None, reason="dataset store absent (set INN_DATA_DIR or put it at ../shared/datasets)")


def need_store(*keys) -> Path:
    """The store folder, or skip the calling test when it (or any of ``keys``) is absent."""
    if STORE is None:
        pytest.skip("dataset store absent (set INN_DATA_DIR or put it at ../shared/datasets)")
    missing = [k for k in keys if not (STORE / f"{k}.json").is_file()]
    if missing:
        pytest.skip(f"dataset store at {STORE} lacks {missing}")
    return STORE
