"""Shared look of every figure: one colour and one display name per method, and saving.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so the
plotting code runs headless without choosing a backend and never leaves figures open.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from matplotlib.figure import Figure

# Canonical order of the methods in tables and figures: INN first, then its black-box twin,
# then the baselines.
METHODS = (
    "inn",
    "tabresnet",
    "catboost",
    "random_forest",
    "tabnet",
    "ebm",
    "logistic_regression",
    "decision_tree",
)

METHOD_COLORS = {
    "inn": "#d62728",  # red: the method of the paper stands out
    "tabresnet": "#ff7f0e",
    "catboost": "#1f77b4",
    "random_forest": "#2ca02c",
    "tabnet": "#9467bd",
    "ebm": "#8c564b",
    "logistic_regression": "#e377c2",
    "decision_tree": "#7f7f7f",
}

METHOD_LABELS = {
    "inn": "INN",
    "tabresnet": "TabResNet",
    "catboost": "CatBoost",
    "random_forest": "Random forest",
    "tabnet": "TabNet",
    "ebm": "EBM",
    "logistic_regression": "Logistic regression",
    "decision_tree": "Decision tree",
}

UNKNOWN_COLOR = "#17becf"
POSITIVE_COLOR = "#d62728"  # contributions that raise the output
NEGATIVE_COLOR = "#1f77b4"  # contributions that lower it
NEUTRAL_COLOR = "#7f7f7f"


def method_color(method: str) -> str:
    """The colour of ``method`` (a fixed fallback colour for unknown names)."""
    return METHOD_COLORS.get(method, UNKNOWN_COLOR)


def method_label(method: str) -> str:
    """The display name of ``method`` (the name itself when unknown)."""
    return METHOD_LABELS.get(method, method)


def order_methods(methods: Iterable[str]) -> list[str]:
    """Sort method names in the canonical order; unknown names follow, alphabetically."""
    methods = set(methods)
    known = [m for m in METHODS if m in methods]
    return known + sorted(methods - set(METHODS))


def new_figure(width: float = 7.0, height: float = 4.5, layout: str | None = None) -> Figure:
    """A fresh figure with a white background, detached from pyplot.

    ``layout="constrained"`` keeps the labels of neighbouring axes (and twin axes) apart.
    """
    return Figure(figsize=(width, height), facecolor="white", layout=layout)


def save_figure(fig: Figure, path, *, pdf: bool = False, dpi: int = 150) -> list[Path]:
    """Save ``fig`` as PNG (and PDF when ``pdf``) with a tight bounding box.

    ``bbox_inches="tight"`` grows the saved area to include long tick labels such as feature
    names, so nothing is cut off. ``path`` may end with ``.png`` or have no suffix.

    Returns:
        The written files.
    """
    path = Path(path)
    if path.suffix.lower() in (".png", ".pdf"):
        path = path.with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".pdf") if pdf else (".png",):
        out = path.parent / (path.name + suffix)
        fig.savefig(out, dpi=dpi, bbox_inches="tight", pad_inches=0.1)
        written.append(out)
    return written
