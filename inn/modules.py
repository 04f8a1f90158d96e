"""Neural network modules: the residual trunk, the INN hypernetwork and the TabResNet twin.

Modules only compute outputs from inputs: no training, data handling or files here.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

BIAS_KINDS = ("global", "row")


class NetOutput(NamedTuple):
    """What a network returns for a batch.

    Attributes:
        logits: ``(n, k)`` raw outputs (logits for classification, scaled target for regression).
        weights: ``(n, d, k)`` per-row linear weights w(x), or ``None`` for a black box.
        bias: ``(n, k)`` per-row bias of the linear model, or ``None`` for a black box.
    """

    logits: torch.Tensor
    weights: torch.Tensor | None = None
    bias: torch.Tensor | None = None


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
        self.dropout = nn.Dropout(dropout)

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
            nn.Dropout(dropout),
        )
        self.blocks = nn.Sequential(
            *[ResidualBlock(width=hidden_size, dropout=dropout) for _ in range(nr_blocks)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.input_layer(x))


class TabResNet(nn.Module):
    """The black-box baseline: the trunk with an ordinary linear output head.

    Args:
        n_features: number of input columns d.
        n_outputs: k (1 for binary and regression, the number of classes for multiclass).
        hidden_size: trunk width.
        nr_blocks: number of residual blocks.
        dropout: dropout probability.
    """

    def __init__(
        self, *, n_features: int, n_outputs: int, hidden_size: int, nr_blocks: int, dropout: float
    ) -> None:
        super().__init__()
        self.trunk = Trunk(
            n_features=n_features, hidden_size=hidden_size, nr_blocks=nr_blocks, dropout=dropout
        )
        self.head = nn.Linear(hidden_size, n_outputs)

    def forward(self, x: torch.Tensor) -> NetOutput:
        return NetOutput(self.head(self.trunk(x)))


class INN(nn.Module):
    """The interpretable network: a residual hypernetwork that emits a linear model per row.

    For a row x the output for class c is ``sum_i w_ic(x) * (x_i - r_i) + b_c(x)``, where r is a
    fixed reference point (the training mean, set by the estimator; zeros by default). Taking the
    inputs relative to r makes each contribution ``w_i(x) * (x_i - r_i)`` zero at the reference,
    the way additive models centre their shape functions.

    Args:
        n_features: number of input columns d.
        n_outputs: k (1 for binary and regression, the number of classes for multiclass).
        hidden_size: trunk width.
        nr_blocks: number of residual blocks.
        dropout: dropout probability.
        bias: ``"global"``: one learned bias per output, the same for every row, so the whole
            row-to-row variation of the output is carried by the feature contributions;
            ``"row"``: the hypernetwork also emits b(x) (the original INN formulation).
    """

    def __init__(
        self,
        *,
        n_features: int,
        n_outputs: int,
        hidden_size: int,
        nr_blocks: int,
        dropout: float,
        bias: str = "global",
    ) -> None:
        super().__init__()
        if bias not in BIAS_KINDS:
            raise ValueError(f"bias must be one of {BIAS_KINDS}, got {bias!r}")
        self.n_features = n_features
        self.n_outputs = n_outputs
        self.bias_kind = bias
        self.trunk = Trunk(
            n_features=n_features, hidden_size=hidden_size, nr_blocks=nr_blocks, dropout=dropout
        )
        n_rows_out = n_features + (1 if bias == "row" else 0)
        self.head = nn.Linear(hidden_size, n_rows_out * n_outputs)
        # w(x) starts as a constant (zero) linear model: the network departs from a linear model
        # only as far as the data asks, which steadies training on small data.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.global_bias = nn.Parameter(torch.zeros(n_outputs)) if bias == "global" else None
        self.register_buffer("reference", torch.zeros(n_features))

    def forward(self, x: torch.Tensor) -> NetOutput:
        n = x.shape[0]
        out = self.head(self.trunk(x))
        if self.global_bias is None:
            out = out.view(n, self.n_features + 1, self.n_outputs)
            weights, bias = out[:, :-1, :], out[:, -1, :]
        else:
            weights = out.view(n, self.n_features, self.n_outputs)
            bias = self.global_bias.expand(n, self.n_outputs)
        logits = torch.einsum("ndk,nd->nk", weights, x - self.reference) + bias
        return NetOutput(logits, weights, bias)

    def contributions(self, x: torch.Tensor, out: NetOutput) -> torch.Tensor:
        """Per-feature contributions ``w(x) * (x - r)`` of shape ``(n, d, k)``."""
        return out.weights * (x - self.reference).unsqueeze(-1)
