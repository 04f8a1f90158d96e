"""Neural network modules: the residual trunk, the INN hypernetwork and the TabResNet twin.

Modules only compute outputs from inputs: no training, data handling or files here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

BIAS_KINDS = ("global", "row")


class NetOutput(NamedTuple):
    """What a network returns for a batch.

    Attributes:
        logits: ``(n, k)`` raw outputs (logits for classification, scaled target for regression).
        weights: ``(n, d, k)`` per-row linear weights w(x), or ``None`` for a black box.
        bias: ``(n, k)`` per-row bias of the linear model, or ``None`` for a black box.
        members: ``(m, n, k)`` the logits of each ensemble member (INN with ``members > 1``);
            ``logits`` is their mean.
        z: ``(n, d)`` the inputs of INN's linear part, ``phi(T(x)) - phi(T(r))``, so that the
            contributions ``weights * z`` need no second pass over the rows.
    """

    logits: torch.Tensor
    weights: torch.Tensor | None = None
    bias: torch.Tensor | None = None
    members: torch.Tensor | None = None
    z: torch.Tensor | None = None

    def rows(self, start: int, stop: int) -> NetOutput:
        """Rows ``start:stop`` of every part (member logits are indexed on axis 1)."""
        members = None if self.members is None else self.members[:, start:stop]
        part = [None if t is None else t[start:stop] for t in (self.logits, self.weights,
                                                                self.bias, self.z)]
        return NetOutput(part[0], part[1], part[2], members, part[3])


class Encoded(NamedTuple):
    """Rows already passed through :meth:`InputEncoder.encode`; the networks take it in place of
    raw rows. The encoding is a fixed row-wise function of the data, so a trainer can encode its
    training matrix once per fit and index it per step: the values are those a step would compute.

    Attributes:
        xt: ``(n, d)`` the transformed columns.
        ple: ``(n, d, n_bins)`` their piecewise-linear encoding, or ``None`` without bins.
    """

    xt: torch.Tensor
    ple: torch.Tensor | None

    def rows(self, index: slice | torch.Tensor) -> Encoded:
        """The rows ``index`` (a slice, or a tensor of row numbers)."""
        if isinstance(index, slice):
            return Encoded(self.xt[index], None if self.ple is None else self.ple[index])
        # index_select copies the same rows several times faster than advanced indexing
        ple = None if self.ple is None else self.ple.index_select(0, index)
        return Encoded(self.xt.index_select(0, index), ple)

    def masked(self, keep: torch.Tensor, reference: Encoded) -> Encoded:
        """Copies of these rows with the entries outside ``keep`` set to ``reference``'s.

        ``keep``: ``(c * n, d)`` booleans for ``c`` copies of the ``n`` rows. The encoding works
        column by column, so this equals encoding the masked raw rows, without encoding them.
        """
        n, d = self.xt.shape
        keep = keep.view(-1, n, d)
        xt = torch.where(keep, self.xt, reference.xt).reshape(-1, d)
        if self.ple is None:
            return Encoded(xt, None)
        ple = torch.where(keep.unsqueeze(-1), self.ple, reference.ple)
        return Encoded(xt, ple.reshape(-1, d, self.ple.shape[-1]))

    @staticmethod
    def cat(parts: list[Encoded]) -> Encoded:
        """The rows of ``parts``, one after the other."""
        ple = None if parts[0].ple is None else torch.cat([p.ple for p in parts])
        return Encoded(torch.cat([p.xt for p in parts]), ple)


class Dropout(nn.Module):
    """Inverted dropout whose mask comes from random bytes, eight per 64-bit draw.

    ``nn.Dropout`` draws one random number per entry (``bernoulli_``), which costs more on the CPU
    than the layer it follows; comparing random bytes with a threshold is about three times
    faster (forward and backward together, one thread; ``benchmarks/step_parts.py``). The keep
    probability is therefore a multiple of 1/256, ``round((1 - p) * 256) / 256`` and at least
    1/256 for p < 1 (exactly 0.75 for the default p = 0.25); kept entries are scaled by its
    inverse. The bytes come from torch's default generator, so a seeded fit draws the same masks.

    Args:
        p: probability that an entry is zeroed.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        # kept bytes are those below the threshold; p < 1 always keeps some (at least 1/256)
        self.threshold = 0 if p >= 1 else max(1, round((1.0 - p) * 256))

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.threshold >= 256:
            return x
        if self.threshold <= 0:
            return x * 0.0  # zero, with the gradient still connected
        n = x.numel()
        draws = torch.empty((n + 7) // 8, dtype=torch.int64, device=x.device)
        draws.random_(-(2**63), 2**63 - 1)  # every byte uniform on 0..255
        byte = draws.view(torch.uint8)[:n].view(x.shape)
        return x * (byte < self.threshold).to(x.dtype).mul_(256.0 / self.threshold)


class ResidualBlock(nn.Module):
    """Two Linear layers with BatchNorm, GELU and dropout around an identity skip.

    The scale of the last BatchNorm starts at zero, so a fresh block is the identity.

    Args:
        width: input and output width.
        dropout: dropout probability.
    """

    def __init__(self, *, width: int, dropout: float) -> None:
        super().__init__()
        self.linear1 = nn.Linear(width, width)
        self.norm1 = nn.BatchNorm1d(width)
        self.linear2 = nn.Linear(width, width)
        self.norm2 = nn.BatchNorm1d(width)
        nn.init.zeros_(self.norm2.weight)
        self.activation = nn.GELU()
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.activation(self.norm1(self.linear1(x))))
        h = self.dropout(self.norm2(self.linear2(h)))
        return x + h


class Trunk(nn.Module):
    """Input layer (Linear, BatchNorm, GELU, Dropout) followed by ``nr_blocks`` residual blocks.

    Args:
        n_features: number of input columns d.
        hidden_size: width of every layer.
        nr_blocks: number of residual blocks (0 allowed).
        dropout: dropout probability.
    """

    def __init__(self, *, n_features: int, hidden_size: int, nr_blocks: int, dropout: float):
        super().__init__()
        self.input_layer = nn.Sequential(
            nn.Linear(n_features, hidden_size),
            nn.BatchNorm1d(hidden_size),
            nn.GELU(),
            Dropout(dropout),
        )
        self.blocks = nn.Sequential(
            *[ResidualBlock(width=hidden_size, dropout=dropout) for _ in range(nr_blocks)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.input_layer(x))


CLIP_BOUND = 3.0  # numeric columns are clipped smoothly to (-3, 3) by the input encoder
# A two-valued column passes the robust encoder unchanged only if its values lie within the clip
# bound and at least this far apart (0/1 flags, one-hot and standardised columns); any other,
# e.g. a sex column coded {-0.045, 0.051}, is mapped onto {0, 1}, so its step has unit size.
MIN_SPAN = 0.5


def smooth_clip(x: torch.Tensor, bound: float = CLIP_BOUND) -> torch.Tensor:
    """Squash heavy tails, keeping the order: ``x / sqrt(1 + (x / bound)^2)``, ``|out| < bound``.

    Inputs are first limited to ``|x| <= 1e18`` (the output is ``bound`` to float32 precision
    there), so the square cannot overflow: an enormous or infinite input gives ``±bound``,
    not inf / inf = NaN.
    """
    x = x.clamp(-1e18, 1e18)
    return x / torch.sqrt(1.0 + (x / bound) ** 2)


def bin_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Up to ``n_bins + 1`` increasing edges that split ``values`` into bins of about equal counts.

    Plain quantiles collapse where a value holds many rows (a column that is 0 in 90 % of the
    rows gets one bin from 0 to its maximum): then the values that hold at least a bin's share
    of the rows become edges and the remaining rows are split by their own quantiles, so a
    zero-inflated amount still gets bins over its non-zero range.
    """
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)))
    if len(edges) > n_bins:
        return edges
    distinct, counts = np.unique(values, return_counts=True)
    masses = distinct[counts >= len(values) / n_bins]
    rest = values[~np.isin(values, masses)]
    if len(np.unique(rest)) < 2 or n_bins <= len(masses):
        return edges
    inner = np.quantile(rest, np.linspace(0.0, 1.0, n_bins + 1 - len(masses)))
    return np.unique(np.concatenate([masses, inner]))  # at most n_bins + 1: rest has the ends


class InputEncoder(nn.Module):
    """Fixed transforms of the input columns, with statistics from the training rows (:meth:`fit`).

    * ``robust``: every numeric column (more than two distinct training values) is centred on its
      median, divided by its interquartile range / 1.349 (its standard deviation for Gaussian
      data) and smoothly clipped to (-3, 3): a value far outside the training range cannot drive a
      linear output to extremes. A two-valued or constant column passes unchanged when its
      values lie within (-3, 3) already and (two-valued) at least :data:`MIN_SPAN` apart
      (one-hot columns, 0/1 flags, standardised columns); otherwise it is mapped affinely onto
      {0, 1} (its lower value to 0; a constant to 0), so a {0, 1e6} or a {-0.045, 0.051} flag
      gives the model of a 0/1 one.
    * ``n_bins > 0``: a piecewise-linear encoding of every numeric column on its training
      quantiles (Gorishniy et al., NeurIPS 2022; edges from :func:`bin_edges`, which keeps
      point masses such as a zero in most rows from collapsing the bins): bin t of column i is
      0 left of the bin, 1 right of it and linear in between. The trunk reads the transformed
      columns and this encoding, which lets it model step-like functions.
    * ``shape_functions``: per-column shape functions phi_i, piecewise linear on the same bins and
      initialised to the identity, ``phi_i(x) = e_i0 + sum_t (1 + a_it) * width_it * ple_it(x)``;
      INN's linear part uses ``phi_i(x_i) - phi_i(r_i)``. Outside the training range phi is
      constant.

    Args:
        n_features: number of input columns d.
        n_bins: quantile bins per numeric column (0: no encoding and no shape functions).
        robust: robust scaling and smooth clipping of numeric columns.
        shape_functions: learn phi_i (needs ``n_bins > 0``).
    """

    # no defaults: the estimators build the modules with their settings (inn.settings)
    def __init__(self, *, n_features: int, n_bins: int, robust: bool,
                 shape_functions: bool) -> None:
        super().__init__()
        self.n_features = n_features
        self.n_bins = n_bins
        self.robust = robust
        self.has_shape = shape_functions and n_bins > 0
        bins = max(n_bins, 1)
        self.register_buffer("center", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
        self.register_buffer("numeric", torch.zeros(n_features, dtype=torch.bool))
        self.register_buffer("lower", torch.zeros(n_features, bins))
        self.register_buffer("width", torch.zeros(n_features, bins))
        self.shape_delta = nn.Parameter(torch.zeros(n_features, bins)) if self.has_shape else None

    @property
    def n_outputs(self) -> int:
        """Width of :meth:`features`."""
        return self.n_features * (1 + self.n_bins)

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> InputEncoder:
        """Set the statistics from the training rows ``x`` of shape ``(n, d)``."""
        # numpy, in float64: torch.quantile refuses inputs of more than 2**24 elements. Each
        # column sorted once: the distinct values and every quantile below (of these values and
        # of their monotone transform) then come from (nearly) sorted columns, 4x faster.
        values = np.sort(x.detach().cpu().double().numpy(), axis=0)
        numeric = (np.diff(values, axis=0) != 0).sum(axis=0) + 1 > 2
        self.numeric.copy_(torch.from_numpy(numeric))
        if self.robust:
            q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75], axis=0)
            iqr, std = (q75 - q25) / 1.349, values.std(axis=0)
            scale = np.where(iqr > 1e-8, iqr, np.where(std > 1e-8, std, 1.0))
            # Two-valued and constant columns outside the clipped range are scaled too (to
            # {0, 1}, and 0): left as they were, a {0, 1e6} flag swamped the network, and a
            # {-0.045, 0.051} one (an unscaled frame column) hardly moved it. Those within it
            # and MIN_SPAN apart (0/1 flags, one-hot and standardised columns) keep their values.
            low, span = values.min(axis=0), np.ptp(values, axis=0)
            within = np.abs(values).max(axis=0, initial=0.0) <= CLIP_BOUND
            keep = within & ((span >= MIN_SPAN) | (span == 0))
            center = np.where(numeric, q50, np.where(keep, 0.0, low))
            scale = np.where(numeric, scale, np.where(keep | (span == 0), 1.0, span))
            self.center.copy_(torch.from_numpy(center))
            self.scale.copy_(torch.from_numpy(scale))
        if self.n_bins > 0:
            xt = self.transform(torch.from_numpy(values).to(self.center)).double().cpu().numpy()
            lower, width = np.zeros(self.lower.shape), np.zeros(self.width.shape)
            for j in np.flatnonzero(numeric):
                edges = bin_edges(xt[:, j], self.n_bins)
                k = len(edges) - 1  # fewer bins where quantiles coincide
                lower[j, :k], width[j, :k] = edges[:-1], np.diff(edges)
                lower[j, k:] = edges[-1]
            self.lower.copy_(torch.from_numpy(lower))
            self.width.copy_(torch.from_numpy(width))
        return self

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Robust scaling and smooth clipping of numeric columns, the affine map of the others
        (identity without ``robust``)."""
        if not self.robust:
            return x
        scaled = (x - self.center) / self.scale
        return torch.where(self.numeric, smooth_clip(scaled), scaled)

    @property
    def is_identity(self) -> bool:
        """Whether :meth:`encode` passes the columns unchanged (no scaling, no bins)."""
        return not self.robust and self.n_bins == 0

    def encode(self, x: torch.Tensor | Encoded) -> Encoded:
        """``(T(x), ple)``: the transformed columns and their ``(n, d, n_bins)`` piecewise-linear
        encoding (``None`` without bins). The encoding is a fixed function of the data, so it is
        computed without gradient. Rows that are :class:`Encoded` already are returned as
        they are."""
        if isinstance(x, Encoded):
            return x
        xt = self.transform(x)
        if self.n_bins == 0:
            return Encoded(xt, None)
        with torch.no_grad():
            # a product with 1 / width (0 for empty bins) instead of a quotient and a mask: two
            # passes over the (n, d, n_bins) tensor fewer, twice as fast on the CPU
            inverse = torch.where(self.width > 0, 1.0 / self.width, 0.0)
            ple = (xt.unsqueeze(-1) - self.lower).mul_(inverse).clamp_(0.0, 1.0)
        return Encoded(xt, ple)

    def features(self, xt: torch.Tensor, ple: torch.Tensor | None) -> torch.Tensor:
        """What the trunk reads: the transformed columns and their encoding."""
        return xt if ple is None else torch.cat([xt, ple.flatten(1)], dim=1)

    def shape(self, xt: torch.Tensor, ple: torch.Tensor | None) -> torch.Tensor:
        """``phi(T(x))`` for every column (the identity where there is no shape function)."""
        if not self.has_shape:
            return xt
        slopes = self.width * (1.0 + self.shape_delta)
        # a product and a sum over the bins: einsum would run d small matrix products
        phi = self.lower[:, 0] + (ple * slopes).sum(-1)
        return torch.where(self.numeric & (self.width[:, 0] > 0), phi, xt)


class TabResNet(nn.Module):
    """The black-box baseline: the trunk with an ordinary linear output head.

    Args:
        n_features: number of input columns d.
        n_outputs: k (1 for binary and regression, the number of classes for multiclass).
        hidden_size: trunk width.
        nr_blocks: number of residual blocks.
        dropout: dropout probability.
        n_bins, robust: the input encoding (:class:`InputEncoder`).
    """

    def __init__(
        self, *, n_features: int, n_outputs: int, hidden_size: int, nr_blocks: int,
        dropout: float, n_bins: int, robust: bool,
    ) -> None:
        super().__init__()
        self.encoder = InputEncoder(n_features=n_features, n_bins=n_bins, robust=robust,
                                    shape_functions=False)
        self.trunk = Trunk(
            n_features=self.encoder.n_outputs, hidden_size=hidden_size, nr_blocks=nr_blocks,
            dropout=dropout,
        )
        self.head = nn.Linear(hidden_size, n_outputs)

    def forward(self, x: torch.Tensor | Encoded) -> NetOutput:
        return NetOutput(self.head(self.trunk(self.encoder.features(*self.encoder.encode(x)))))


class INN(nn.Module):
    """The interpretable network: a residual hypernetwork that emits a linear model per row.

    For a row x the output for class c is ``sum_i w_ic(x) * z_i(x) + b_c`` with
    ``z_i(x) = phi_i(T(x)_i) - phi_i(T(r)_i)``: T is the input encoder's fixed transform
    (robust scaling and smooth clipping), phi_i a learned per-column shape function (the identity
    without shape functions) and r a fixed reference point (the training mean, set by the
    estimator). Each term ``w_ic(x) * z_i(x)`` is the contribution of feature i, zero at the
    reference, and the terms add up to the output exactly. With a constant w the model is an
    additive model (a linear model without shape functions); the hypernetwork lets each row
    have its own weights.

    Args:
        n_features: number of input columns d.
        n_outputs: k (1 for binary and regression, the number of classes for multiclass).
        hidden_size: trunk width.
        nr_blocks: number of residual blocks.
        dropout: dropout probability.
        bias: ``"global"``: one learned bias per output, the same for every row, so the whole
            row-to-row variation of the output is carried by the feature contributions;
            ``"row"``: the hypernetwork also emits b(x) (the original INN formulation).
        n_bins, robust, shape_functions: the input encoding (:class:`InputEncoder`).
        members: ensemble members that share the trunk (BatchEnsemble style, as TabM-mini: a
            random-sign scaling of the trunk's input per member and one head per member). The
            output is the mean of the members' linear models, itself one linear model per row,
            so the explanation stays exact.
    """

    #: the parameters that do not depend on the row (w0, the bias, the shape functions): the
    #: trainer may give them a larger learning rate
    GLOBAL_PARAMETERS = ("head_bias", "global_bias", "encoder.shape_delta")

    def __init__(
        self,
        *,
        n_features: int,
        n_outputs: int,
        hidden_size: int,
        nr_blocks: int,
        dropout: float,
        bias: str,
        n_bins: int,
        robust: bool,
        shape_functions: bool,
        members: int,
    ) -> None:
        super().__init__()
        if bias not in BIAS_KINDS:
            raise ValueError(f"bias must be one of {BIAS_KINDS}, got {bias!r}")
        self.n_features = n_features
        self.n_outputs = n_outputs
        self.bias_kind = bias
        self.members = members
        self.encoder = InputEncoder(n_features=n_features, n_bins=n_bins, robust=robust,
                                    shape_functions=shape_functions)
        self.trunk = Trunk(
            n_features=self.encoder.n_outputs, hidden_size=hidden_size, nr_blocks=nr_blocks,
            dropout=dropout,
        )
        n_out = (n_features + (1 if bias == "row" else 0)) * n_outputs
        # The head starts at zero, so w(x) starts as a constant (zero) linear model: the network
        # departs from it only as far as the data asks, which steadies training on small data.
        # Its bias is w0, the part of w(x) shared by all rows.
        self.head_weight = nn.Parameter(torch.zeros(members, hidden_size, n_out))
        self.head_bias = nn.Parameter(torch.zeros(members, 1, n_out))
        self.adapter = None
        if members > 1:
            signs = torch.randint(0, 2, (members, self.encoder.n_outputs)).float() * 2 - 1
            self.adapter = nn.Parameter(signs)
        self.global_bias = nn.Parameter(torch.zeros(n_outputs)) if bias == "global" else None
        self.register_buffer("reference", torch.zeros(n_features))
        # Set by the trainer for a first phase in which w(x) = w0 for every row (additive).
        self.additive_only = False

    def inputs(self, x: torch.Tensor | Encoded) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, f)``: the linear part's inputs ``phi(T(x)) - phi(T(r))`` and the trunk's input
        (``x``: raw rows or their :class:`Encoded` form)."""
        enc = self.encoder
        xt, ple = enc.encode(x)
        rt, rple = enc.encode(self.reference.unsqueeze(0))
        return enc.shape(xt, ple) - enc.shape(rt, rple), enc.features(xt, ple)

    def _split(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Head output ``(..., n_out)`` -> weights ``(..., d, k)`` and bias ``(..., k)``."""
        lead = out.shape[:-1]
        if self.global_bias is None:
            out = out.view(*lead, self.n_features + 1, self.n_outputs)
            return out[..., :-1, :], out[..., -1, :]
        weights = out.view(*lead, self.n_features, self.n_outputs)
        return weights, self.global_bias.expand(*lead, self.n_outputs)

    def forward(self, x: torch.Tensor | Encoded) -> NetOutput:
        z, f = self.inputs(x)
        n, m = z.shape[0], self.members
        # the linear part as a product and a sum over the features (einsum would run bmm)
        if self.additive_only:
            weights, bias = self._split(self.head_bias.mean(0).expand(n, -1))
            return NetOutput((weights * z.unsqueeze(-1)).sum(-2) + bias, weights, bias, z=z)
        if self.adapter is not None:
            f = (f.unsqueeze(0) * self.adapter.unsqueeze(1)).reshape(m * n, -1)
        h = self.trunk(f).view(m, n, -1)
        weights, bias = self._split(torch.baddbmm(self.head_bias, h, self.head_weight))
        logits = (weights * z.unsqueeze(-1)).sum(-2) + bias
        if m == 1:
            return NetOutput(logits[0], weights[0], bias[0], z=z)
        return NetOutput(logits.mean(0), weights.mean(0), bias.mean(0), logits, z)

    def contributions(self, x: torch.Tensor | Encoded, out: NetOutput) -> torch.Tensor:
        """Per-feature contributions ``w(x) * z(x)`` of shape ``(n, d, k)`` (``out``: this
        module's output on the rows ``x``)."""
        z = self.inputs(x)[0] if out.z is None else out.z
        return out.weights * z.unsqueeze(-1)
