"""Explanations of INN predictions: contributions, bias, per-feature sums, contrastive views.

For a row x and output c, INN computes ``f_c(x) = sum_i w_ic(x) * (x_i - r_i) + b_c(x)`` with r
the reference point (the training mean). The contribution of feature i is
``w_ic(x) * (x_i - r_i)``; contributions plus bias equal the output exactly (up to float error).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


def bias_share(contributions: np.ndarray, bias: np.ndarray) -> float:
    """Share of the output's row-to-row variation carried by the bias.

    ``Var(b) / (Var(b) + Var(sum_i c_i))`` over rows (summed over outputs for multiclass):
    0 when the bias is the same for every row (everything is explained by the features), 1 when
    the feature contributions are constant and the bias carries the whole prediction.

    Args:
        contributions: ``(n, d)`` or ``(n, d, k)``.
        bias: ``(n,)`` or ``(n, k)``.
    """
    total = contributions.sum(axis=1)
    var_b = float(np.var(bias, axis=0).sum())
    var_c = float(np.var(total, axis=0).sum())
    if var_b + var_c == 0:
        return 0.0
    return var_b / (var_b + var_c)


def global_importance(contributions: np.ndarray) -> np.ndarray:
    """Mean |contribution| per feature over rows (summed over outputs), normalised to sum 1."""
    imp = np.abs(contributions)
    if imp.ndim == 3:
        imp = imp.sum(axis=2)
    imp = imp.mean(axis=0)
    total = imp.sum()
    return imp / total if total > 0 else imp


@dataclass
class Explanation:
    """Per-row explanation of an INN.

    Shapes use n rows, d features and k outputs; for binary classification and regression the
    output axis is dropped (one logit, resp. the prediction in target units).

    Attributes:
        contributions: ``(n, d[, k])`` signed contributions ``w(x) * z(x)`` (see
            :class:`inn.modules.INN`).
        bias: ``(n[, k])`` the linear model's bias.
        weights: ``(n, d[, k])`` the raw per-row weights w(x) (``None`` after :meth:`aggregate`).
        output: ``(n[, k])`` the model's logit or raw output; equals
            ``contributions.sum(axis=1) + bias``.
        feature_names: names of the d features.
        class_names: class labels for multiclass outputs, else ``None``.
    """

    contributions: np.ndarray
    bias: np.ndarray
    weights: np.ndarray | None
    output: np.ndarray
    feature_names: list[str]
    class_names: list | None = None

    @property
    def bias_share(self) -> float:
        """See :func:`bias_share`."""
        return bias_share(self.contributions, self.bias)

    def importance(self) -> dict[str, float]:
        """Global importance of these rows (:func:`global_importance`) by feature name."""
        return dict(zip(self.feature_names, global_importance(self.contributions).tolist()))

    def aggregate(self, feature_map: list[str]) -> Explanation:
        """Sum the contributions of columns that come from the same original feature.

        Args:
            feature_map: for each of the d columns, the name of its original feature (as kept by
                :class:`inn.data.TabularPreprocessor` in ``feature_map_``).
        """
        if len(feature_map) != self.contributions.shape[1]:
            raise ValueError(
                f"feature_map has {len(feature_map)} entries for "
                f"{self.contributions.shape[1]} columns"
            )
        names = list(dict.fromkeys(feature_map))
        index = {name: j for j, name in enumerate(names)}
        groups = np.array([index[name] for name in feature_map])
        shape = list(self.contributions.shape)
        shape[1] = len(names)
        summed = np.zeros(shape, dtype=self.contributions.dtype)
        np.add.at(summed, (slice(None), groups), self.contributions)
        return replace(self, contributions=summed, weights=None, feature_names=names)

    def contrastive(self, cls, against=None) -> np.ndarray:
        """Contributions for class ``cls`` minus those of class ``against``.

        Softmax outputs are unchanged by a shift shared by all classes, so per-class
        contributions are only meaningful relative to another class: with ``against=None`` the
        reference is the mean of the other classes. Returns ``(n, d)``.
        """
        if self.class_names is None or self.contributions.ndim != 3:
            raise ValueError("contrastive explanations need a multiclass model")
        labels = list(self.class_names)
        if cls not in labels:
            raise ValueError(f"unknown class {cls!r}; classes are {labels}")
        c = labels.index(cls)
        own = self.contributions[:, :, c]
        if against is None:
            others = np.delete(self.contributions, c, axis=2)
            return own - others.mean(axis=2)
        if against not in labels:
            raise ValueError(f"unknown class {against!r}; classes are {labels}")
        return own - self.contributions[:, :, labels.index(against)]
