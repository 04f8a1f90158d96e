"""Shared look of every figure: the colour and display name of each method (from the registry,
:mod:`inn.methods`), and saving.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so the
plotting code runs headless without choosing a backend and never leaves figures open.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from matplotlib.figure import Figure

from inn import methods

UNKNOWN_COLOR = "#17becf"  # a method that is not registered (e.g. a result of an old run)
POSITIVE_COLOR = "#d62728"  # contributions that raise the output
NEGATIVE_COLOR = "#1f77b4"  # contributions that lower it
NEUTRAL_COLOR = "#7f7f7f"


def method_color(method: str) -> str:
    """The colour of ``method`` from the registry (a fixed fallback colour for unknown names)."""
    entry = methods.REGISTRY.get(method)
    return UNKNOWN_COLOR if entry is None else entry.color


def method_label(method: str, task: str | None = None) -> str:
    """The display name of ``method`` from the registry (the name itself when unknown); on
    ``task="regression"`` the name of the model it fits there (``logistic_regression`` fits
    ridge regression)."""
    entry = methods.REGISTRY.get(method)
    return method if entry is None else entry.label_for(task)


def method_label_short_lines(method: str, task: str | None = None) -> str:
    """:func:`method_label` with a bracketed part on its own line (``INN ×5\n(cross-fit)``), for
    tick labels that sit side by side."""
    return method_label(method, task).replace(" (", "\n(")


def method_label_over(method: str, tasks: Iterable[str]) -> str:
    """The display name of ``method`` over runs of ``tasks``: both names where it fits another
    model on some of them (``Logistic regression / Ridge regression``)."""
    labels = list(dict.fromkeys(method_label(method, t) for t in tasks)) or [method_label(method)]
    return " / ".join(labels)


def order_methods(names: Iterable[str]) -> list[str]:
    """Sort method names in the registry's order; unknown names follow, alphabetically."""
    names = set(names)
    known = [m for m in methods.names() if m in names]
    return known + sorted(names - set(known))


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
