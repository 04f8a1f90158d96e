"""Explanations of INN predictions: contributions, bias, per-feature sums, contrastive views,
tables.

For a row x and output c, INN computes ``f_c(x) = sum_i w_ic(x) * z_i(x) + b_c`` with
``z_i(x) = phi_i(T(x)_i) - phi_i(T(r)_i)`` and r the reference point (the training mean; see
:class:`inn.modules.INN`). The contribution of feature i is ``w_ic(x) * z_i(x)``; contributions
plus bias equal the output exactly (up to float error).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd


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


def described_features(model, frame, values, reference, *, per_column: bool):
    """``(feature_names, values, reference)`` of an explanation of ``model`` (an INN estimator
    or ensemble, fitted): per column of the frame given to fit when ``frame`` (the rows as
    given) is not None and ``per_column`` (``values`` are then the frame's rows, the argument
    is not read, and ``reference`` the fitted preprocessor's reference values, or why a column
    has none);
    otherwise per encoded column, with ``values`` (the encoded rows) and ``reference`` (the
    encoded reference point) as given."""
    prep = model.preprocessor_
    if frame is not None and per_column:
        names = [str(c) for c in prep.feature_names_in_]
        rows = frame.reset_index(drop=True)
        rows.columns = names
        known = prep.reference_values(reference)
        ids = set(getattr(prep, "identifier_features_", []))
        reference = pd.Series([known.get(n, "identifier: dropped" if n in ids else
                                         "constant in training") for n in names],
                              index=names, dtype=object)  # fmt: skip
        return names, rows, reference
    if frame is not None:
        names = list(prep.feature_names_out_)
    elif hasattr(model, "feature_names_in_"):
        names = [str(n) for n in model.feature_names_in_]
    else:
        names = [f"x{i}" for i in range(model.n_features_in_)]
    return names, pd.DataFrame(values, columns=names), pd.Series(reference, index=names)


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
        values: ``(n, d)`` frame of the rows' feature values (original units for a model fitted
            on a DataFrame), or ``None``.
        reference: ``(d,)`` series of the reference value each contribution is measured from
            (original units; a categorical feature's is its mix of categories), or ``None``.
        positive_class: binary classification: the class whose logit ``output`` is.
    """

    contributions: np.ndarray
    bias: np.ndarray
    weights: np.ndarray | None
    output: np.ndarray
    feature_names: list[str]
    class_names: list | None = None
    values: pd.DataFrame | None = None
    reference: pd.Series | None = None
    positive_class: object = None

    @property
    def output_name(self) -> str:
        """What ``output`` is: ``"logit of class bad"``, ``"logit"`` (per class) or
        ``"prediction"``."""
        if self.positive_class is not None:
            return f"logit of class {self.positive_class}"
        if self.class_names is not None:
            return "logit"
        return "output" if self.contributions.ndim == 3 else "prediction"

    def to_frame(self) -> pd.DataFrame:
        """One row per explained row: a column per feature (its contribution), then ``bias`` and
        ``output`` (``output`` = sum of the contributions + ``bias``). Multiclass: the columns
        are a MultiIndex (class, feature or bias/output)."""
        n = self.contributions.shape[0]
        index = self.values.index if self.values is not None else pd.RangeIndex(n)
        parts = [self.contributions, self.bias[:, None], self.output[:, None]]
        names = [*self.feature_names, "bias", "output"]
        if self.contributions.ndim == 2:
            return pd.DataFrame(np.concatenate(parts, axis=1), index=index, columns=names)
        # (n, d + 2, k) -> (n, k * (d + 2)), class-major
        cube = np.concatenate(parts, axis=1).transpose(0, 2, 1).reshape(n, -1)
        classes = self.class_names or list(range(self.contributions.shape[2]))
        columns = pd.MultiIndex.from_product([classes, names], names=["class", "feature"])
        return pd.DataFrame(cube, index=index, columns=columns)

    def row(self, i: int = 0, top: int | None = None) -> pd.DataFrame:
        """The table of row ``i``: one line per feature with its ``value``, its ``reference``
        value (numbers to 4 significant digits) and its ``contribution`` (one column per class
        for multiclass), largest |contribution| first (``top`` of them), then the bias and the
        output."""
        contrib = self.contributions[i]
        frame = pd.DataFrame(index=pd.Index(self.feature_names, name="feature"))
        if self.values is not None:
            frame["value"] = self.values.iloc[i].to_numpy()
        if self.reference is not None:
            frame["reference"] = [f"{v:.4g}" if isinstance(v, (float, np.floating)) else v
                                  for v in self.reference]  # fmt: skip
        classes = self.class_names or list(range(contrib.shape[-1]))
        columns = (["contribution"] if contrib.ndim == 1
                   else [f"contribution[{cls}]" for cls in classes])  # fmt: skip
        frame[columns] = contrib.reshape(len(self.feature_names), -1)
        order = np.argsort(-np.abs(contrib.reshape(len(contrib), -1)).sum(axis=1), kind="stable")
        frame = frame.iloc[order[:top] if top is not None else order]
        tail = pd.DataFrame(np.stack([np.atleast_1d(self.bias[i]), np.atleast_1d(self.output[i])]),
                            columns=columns, index=["bias", f"output ({self.output_name})"])
        for col in ("value", "reference"):
            if col in frame:
                frame[col] = frame[col].astype(object)
                tail.insert(len(tail.columns) - len(columns), col, "")
        return pd.concat([frame, tail])

    @property
    def bias_share(self) -> float:
        """See :func:`bias_share`."""
        return bias_share(self.contributions, self.bias)

    def importance(self) -> dict[str, float]:
        """Global importance of these rows (:func:`global_importance`) by feature name."""
        return dict(zip(self.feature_names, global_importance(self.contributions).tolist()))

    def aggregate(self, feature_map: list[str]) -> Explanation:
        """Sum the contributions of columns that come from the same original feature.

        A model fitted on a DataFrame does this in :meth:`inn.INNClassifier.explain` (with the
        values and reference in original units); this is for a model fitted on encoded input.

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
        # values and reference belong to the columns that were summed: they are dropped
        return replace(self, contributions=summed, weights=None, feature_names=names,
                       values=None, reference=None)

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
