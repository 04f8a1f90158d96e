"""One training loop for INN and TabResNet.

Whole epochs run on tensors that already live on the device: a batch is an index slice of a
permutation drawn from a seeded generator, so there is no DataLoader and no per-row Python.

Override points (in the spirit of skorch): :meth:`Trainer.get_loss` for the whole objective
(task loss, L1 on the per-row weights, coalition consistency) and :meth:`Trainer.train_step` for
one optimisation step.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from inn.cuda_graphs import GraphedStep
from inn.modules import INN, Encoded, NetOutput
from inn.tasks import TASKS

# Largest training (plus validation) matrix whose input encoding is cached for the whole fit
# (48,000 x 100 with 8 bins takes 173 MB); larger ones are encoded batch by batch.
ENCODING_CACHE_BYTES = 512 * 2**20

# The INN-only terms of the objective; a network without them (TabResNet) trains with them off.
INN_TERMS = ("weight_norm", "consistency_weight", "consistency_rows", "additive_epochs",
             "global_lr_multiplier")


@dataclass
class TrainingConfig:
    """Settings of one training run, taken from an estimator's parameters (same names).

    It has no defaults of its own: :meth:`from_params` builds it from the estimator, where each
    default is stated once.

    Each field is the estimator setting of the same name, which :data:`inn.settings.SETTINGS`
    describes with its default and check. Here ``batch_size`` ``None`` means
    :func:`auto_batch_size` of the training rows; the INN-only terms are used by
    :meth:`Trainer.get_loss` (``weight_norm``, ``consistency_weight``, ``consistency_rows``, see
    :meth:`Trainer.consistency_loss`) and :meth:`Trainer.fit` (``additive_epochs``, and
    ``global_lr_multiplier`` for ``INN.GLOBAL_PARAMETERS``).
    """

    nr_epochs: int
    batch_size: int | None
    learning_rate: float
    weight_decay: float
    nr_restarts: int
    scheduler_t_mult: int
    augmentation_probability: float
    weight_norm: float
    consistency_weight: float
    consistency_rows: float
    additive_epochs: int
    global_lr_multiplier: float
    patience: int
    verbose: int

    @classmethod
    def from_params(cls, params: dict) -> TrainingConfig:
        """The settings named in ``params`` (an estimator's ``get_params()``); the INN-only terms
        (:data:`INN_TERMS`) are off (0) where ``params`` lack them."""
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in params and n not in INN_TERMS]
        if missing:
            raise ValueError(f"training settings missing: {missing}")
        off = {"global_lr_multiplier": 1.0}
        return cls(**{n: params.get(n, off.get(n, 0)) for n in names})


# ``batch_size=None``: 256 rows per step, doubled while an epoch would take more steps than this
# (at most AUTO_BATCH_MAX rows): large data train in fewer, fuller steps, small data as before.
AUTO_BATCH_MIN, AUTO_BATCH_MAX, AUTO_BATCH_STEPS = 256, 1024, 128


def auto_batch_size(n_rows: int) -> int:
    """The batch size of ``batch_size=None`` for ``n_rows`` training rows: 256, doubled while an
    epoch would take more than 128 steps, at most 1024 (48,000 rows: 512)."""
    size = AUTO_BATCH_MIN
    while size < AUTO_BATCH_MAX and n_rows > AUTO_BATCH_STEPS * size:
        size *= 2
    return size


def consistency_row_count(share: float, batch_rows: int) -> int:
    """Rows of a batch of ``batch_rows`` that get the consistency term (``share`` of them, at
    least one); each gets two masked copies (a coalition and its complement)."""
    return max(1, int(round(share * batch_rows)))


@dataclass
class Coalitions:
    """Outputs on a batch's masked copies (see :meth:`Trainer.forward`).

    Attributes:
        out: the module's output on the masked copies.
        ref_logits: its logits at the reference row, ``(1, k)``.
        mask: ``(m, d)``, 1 where a copy keeps the row's feature value.
        encoded: the input encoding of the batch rows the copies were made from (the first
            ``m / 2`` rows).
    """

    out: NetOutput
    ref_logits: torch.Tensor
    mask: torch.Tensor
    encoded: Encoded | None = None


def _snapshot(module: nn.Module, into: dict | None) -> dict:
    """The module's state as detached copies, written into the tensors of an earlier snapshot
    where there is one (no allocation per improving epoch; ``copy.deepcopy`` of the state dict
    cost 12 % of a small fit)."""
    state = module.state_dict()
    if into is None:
        return {k: v.detach().clone() for k, v in state.items()}
    for k, v in state.items():
        into[k].copy_(v)
    return into


def cycle_length(total_steps: int, nr_restarts: int, t_mult: int) -> int:
    """First cycle length T_0 such that ``nr_restarts`` cycles fill ``total_steps`` steps.

    The cycles sum to ``1 + t_mult + ... + t_mult**(nr_restarts - 1)`` first-cycle lengths;
    once that sum reaches ``total_steps`` every cycle is one step, so the sum is not taken
    further (it takes at most log2(total_steps) terms, whatever ``nr_restarts`` is).
    """
    n = max(nr_restarts, 1)
    if t_mult == 1:
        cycles = n
    else:
        cycles, term = 0, 1
        for _ in range(n):
            cycles += term
            if cycles >= total_steps:
                return 1
            term *= t_mult
    return max(1, math.ceil(total_steps / cycles))


def shapley_kernel_sizes(n_features: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """Draw ``n`` coalition sizes in 1..d-1 from the Shapley kernel p(s) ∝ (d-1)/(s(d-s))."""
    s = torch.arange(1, n_features, dtype=torch.float32, device=generator.device)
    probs = (n_features - 1) / (s * (n_features - s))
    return torch.multinomial(probs, n, replacement=True, generator=generator) + 1


class Trainer:
    """Fits an :class:`~inn.modules.INN` or :class:`~inn.modules.TabResNet` module.

    On a CUDA device the training steps replay as CUDA graphs (:mod:`inn.cuda_graphs`), except
    for Mixup/CutMix batches; set the class attribute ``cuda_graphs = False`` to run every step
    eagerly. On other devices every step runs eagerly. An overridden :meth:`get_loss` is
    recorded into the graph like the default one, so on a GPU it must not read tensor values on
    the host (``float(t)``, ``t.item()``) or draw from other generators than torch's default.

    Args:
        module: the network (already on ``device``).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        config: the training settings.
        device: where the tensors live.
        seed: seeds the batch order and the augmentation draws.
    """

    cuda_graphs = True

    def __init__(
        self, module: nn.Module, *, task: str, config: TrainingConfig, device, seed: int
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        self.module = module
        self.task = task
        self.config = config
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self._graphed: GraphedStep | None = None
        # The draws that steer Python (augment or not, Mixup's lambda, CutMix's columns) come
        # from a host generator: reading a GPU draw would make the host wait for the GPU at
        # every step, so no launch could run ahead. On the CPU it is the same generator, so CPU
        # fits draw the same numbers as before.
        self.host_generator = (
            self.generator if self.device.type == "cpu" else torch.Generator().manual_seed(seed)
        )
        self.history: list[dict] = []
        self.best_epoch_: int | None = None
        self.batch_size_: int | None = None  # the rows per step it trained with

    # ---- objective -------------------------------------------------------------------------
    def task_loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Unreduced task loss per row: BCE (binary), cross-entropy, or squared error."""
        if self.task == "binary":
            return F.binary_cross_entropy_with_logits(logits[:, 0], y, reduction="none")
        if self.task == "multiclass":
            return F.cross_entropy(logits, y, reduction="none")
        return (logits[:, 0] - y) ** 2

    def get_loss(
        self, x: torch.Tensor, out: NetOutput, y: torch.Tensor, y_mix=None, lam: float = 1.0,
        coalitions: Coalitions | None = None,
    ) -> torch.Tensor:
        """The whole objective: task loss (mixed for augmented batches), the L1 penalty on the
        per-row weights and, when ``coalitions`` are given, the consistency term."""
        logits = out.logits
        if out.members is not None:  # each member learns from its own loss, as in TabM
            m = out.members.shape[0]
            logits = out.members.reshape(-1, out.members.shape[-1])
            y = y.repeat(m)
            y_mix = None if y_mix is None else y_mix.repeat(m)
        loss = self.task_loss(logits, y).mean()
        if y_mix is not None:
            loss = lam * loss + (1.0 - lam) * self.task_loss(logits, y_mix).mean()
        if out.weights is not None and self.config.weight_norm > 0:
            loss = loss + self.config.weight_norm * out.weights.abs().mean()
        if coalitions is not None:
            loss = loss + self.config.consistency_weight * self.consistency_loss(
                x, out, coalitions.out, coalitions.ref_logits, coalitions.mask,
                encoded=coalitions.encoded,
            )
        return loss

    def consistency_loss(self, x, out: NetOutput, masked: NetOutput, ref_logits, mask,
                         encoded: Encoded | None = None):
        """Coalition consistency: contributions must predict the output of masked inputs.

        For a coalition S (features outside S set to the reference r) the module should satisfy
        ``f(x_S) - f(r) = sum_{i in S} c_i(x)``, which holds exactly for an additive model whose
        contributions are its terms (with the global bias, f(r) = b). Coalition sizes follow
        the Shapley kernel and come in complementary pairs (as in FastSHAP, Jethani et al. 2022,
        and ViaSHAP, Alkhatib et al. 2025); the term is the mean squared residual. ``encoded``:
        the input encoding of ``x[:m]`` where the caller has it.
        """
        m = mask.shape[0] // 2
        rows = x[:m] if encoded is None else encoded
        contrib = self.module.contributions(rows, out.rows(0, m))  # (m, d, k)
        # the second half of the masks are the complements of the first
        kept = (mask[:m].unsqueeze(-1) * contrib).sum(1)
        predicted = torch.cat([kept, contrib.sum(1) - kept])
        return ((masked.logits - ref_logits - predicted) ** 2).mean()

    def _coalitions(self, x: torch.Tensor) -> torch.Tensor:
        """Coalition masks ``(2m, d)`` for the first m rows of ``x``: 1 where a copy keeps the
        row's value; the second m masks are the complements of the first m.

        Each row draws a size s from the Shapley kernel and keeps every feature with
        probability s/d (one comparison per entry instead of a sort).
        """
        m = consistency_row_count(self.config.consistency_rows, x.shape[0])
        d = x.shape[1]
        keep = shapley_kernel_sizes(d, m, self.generator).unsqueeze(1) / d
        mask = (torch.rand(m, d, generator=self.generator, device=x.device) < keep).float()
        return torch.cat([mask, 1.0 - mask])

    # ---- steps -----------------------------------------------------------------------------
    def _augment(self, x: torch.Tensor, y: torch.Tensor):
        """Mixup or CutMix (equal odds) on rows; returns inputs, partner targets and lambda."""
        g, host = self.generator, self.host_generator
        perm = torch.randperm(x.shape[0], generator=g, device=x.device)
        lam = float(torch.rand(1, generator=host))
        if float(torch.rand(1, generator=host)) < 0.5:
            x = lam * x + (1.0 - lam) * x[perm]
        else:
            keep = torch.rand(x.shape[1], generator=host) < lam
            lam = float(keep.float().mean())
            x = torch.where(keep.to(x.device, non_blocking=True), x, x[perm])
        y_mix = y[perm]
        if self.task == "regression":
            return x, lam * y + (1.0 - lam) * y_mix, None, 1.0
        return x, y, y_mix, lam

    def _consistency_applies(self, x: torch.Tensor) -> bool:
        cfg = self.config
        return (cfg.consistency_weight > 0 and isinstance(self.module, INN) and x.shape[1] > 1
                and not self.module.additive_only)  # an additive model is consistent as it is

    def forward(
        self, x: torch.Tensor, encoded: Encoded | None = None, mask: torch.Tensor | None = None
    ) -> tuple[NetOutput, Coalitions | None]:
        """The module's output on the batch and, with the consistency term, on its coalitions.

        One forward pass covers the batch, its masked copies and the reference row, so that
        BatchNorm sees the same mixture in training as in its running statistics. ``encoded``:
        the batch's input encoding where the trainer has it cached (the same values the module
        would compute from ``x``). ``mask``: the coalitions (:meth:`_coalitions`), drawn here
        where the consistency term applies and none are given.
        """
        if not self._consistency_applies(x):
            return self.module(x if encoded is None else encoded), None
        if mask is None:
            mask = self._coalitions(x)
        enc = self.module.encoder
        batch = enc.encode(x if encoded is None else encoded)
        ref = enc.encode(self.module.reference.unsqueeze(0))
        n, m = x.shape[0], mask.shape[0]
        first = batch.rows(slice(0, m // 2))
        # the encoding is row-wise: encoding the parts equals encoding their rows joined
        both = self.module(Encoded.cat([batch, first.masked(mask > 0.5, ref), ref]))
        return both.rows(0, n), Coalitions(both.rows(n, n + m), both.logits[-1:], mask, first)

    def train_step(
        self, x: torch.Tensor, y: torch.Tensor, encoded: Encoded | None = None
    ) -> torch.Tensor:
        """One optimisation step on a batch (augment, forward, :meth:`get_loss`, backward, step);
        returns the (detached) loss. ``encoded``: the batch's cached input encoding, if any
        (unused for an augmented batch, whose rows change)."""
        cfg = self.config
        y_mix, lam = None, 1.0
        if cfg.augmentation_probability > 0:
            if float(torch.rand(1, generator=self.host_generator)) < cfg.augmentation_probability:
                x, y, y_mix, lam = self._augment(x, y)
                encoded = None
        # the coalitions are drawn here, outside a CUDA graph, from the trainer's generator
        mask = self._coalitions(x) if self._consistency_applies(x) else None
        if self._graphed is not None and y_mix is None:
            xt, ple = (None, None) if encoded is None else encoded
            loss = self._graphed(x, y, xt, ple, mask)
        else:
            loss = self._optimise(x, y, encoded, mask, y_mix, lam)
        self.scheduler.step()
        return loss

    def _release_graphs(self) -> None:
        """Drop the CUDA graphs now: they hold GPU memory, and the graph refers back to this
        trainer, so without this only the cyclic garbage collector would free them."""
        if self._graphed is not None:
            self._graphed.release()
            self._graphed = None

    def _optimise(self, x, y, encoded, mask, y_mix=None, lam: float = 1.0) -> torch.Tensor:
        """Forward, :meth:`get_loss`, backward and the optimizer's step; the detached loss."""
        out, coalitions = self.forward(x, encoded, mask)
        loss = self.get_loss(x, out, y, y_mix, lam, coalitions)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def _graphable_step(self, x, y, xt, ple, mask) -> torch.Tensor:
        """:meth:`_optimise` on plain tensors, the form :class:`GraphedStep` records."""
        return self._optimise(x, y, None if xt is None else Encoded(xt, ple), mask)

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor | Encoded, y: torch.Tensor) -> float:
        """Mean task loss on held-out rows (raw or :class:`Encoded`; eval mode)."""
        self.module.eval()
        loss = float(self.task_loss(self.module(x).logits, y).mean())
        self.module.train()
        return loss

    def _param_groups(self) -> list[dict]:
        """One group, or two where INN's shared parts learn faster (``global_lr_multiplier``)."""
        names = set(getattr(self.module, "GLOBAL_PARAMETERS", ()))
        params = [(n, p) for n, p in self.module.named_parameters() if p.requires_grad]
        shared = [p for n, p in params if n in names]
        rest = [p for n, p in params if n not in names]
        mult = self.config.global_lr_multiplier
        if mult == 1.0 or not shared:
            return [{"params": rest + shared}]
        return [{"params": rest}, {"params": shared, "lr": self.config.learning_rate * mult}]

    def _encoded(self, *xs: torch.Tensor | None) -> list[Encoded | None] | None:
        """The input encoding of each of ``xs`` (``None`` stays ``None``), computed once for the
        fit; ``None`` where the module has no encoder, it is the identity, or the encodings
        would take more than :data:`ENCODING_CACHE_BYTES`."""
        enc = getattr(self.module, "encoder", None)
        if enc is None or enc.is_identity:
            return None
        rows = sum(x.shape[0] for x in xs if x is not None)
        if rows * enc.n_outputs * xs[0].element_size() > ENCODING_CACHE_BYTES:
            return None
        with torch.no_grad():
            return [None if x is None else enc.encode(x) for x in xs]

    def _phase(self, x, y, x_val, y_val, nr_epochs: int, nr_restarts: int, best: dict, bar,
               encoded=None):
        """``nr_epochs`` epochs with a fresh AdamW and cosine schedule; ``best`` carries the
        best validation loss and state across phases. ``encoded``: the cached encodings of
        ``x`` and ``x_val`` (:meth:`_encoded`), or ``None``. Returns the phase's epoch at which
        it stopped early, or ``None`` when it ran every epoch."""
        cfg = self.config
        n = x.shape[0]
        batch_size = self.batch_size_ = min(cfg.batch_size or auto_batch_size(n), n)
        steps = n // batch_size + (1 if n % batch_size > 1 else 0)
        graphs = self.cuda_graphs and self.device.type == "cuda"
        groups = self._param_groups()
        if graphs:  # a replayed step reads the learning rates that the scheduler sets in place
            for group in groups:
                group["lr"] = torch.tensor(group.get("lr", cfg.learning_rate), device=self.device)
        self.optimizer = torch.optim.AdamW(
            groups, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, fused=True,
            capturable=graphs,
        )
        self._release_graphs()  # the last phase's: they replay its optimizer
        self._graphed = GraphedStep(self._graphable_step, self.device) if graphs else None
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            self.optimizer,
            T_0=cycle_length(nr_epochs * steps, nr_restarts, cfg.scheduler_t_mult),
            T_mult=cfg.scheduler_t_mult,
        )
        bad_epochs = 0
        self.module.train()
        for done in range(1, nr_epochs + 1):
            epoch = len(self.history) + 1
            perm = torch.randperm(n, generator=self.generator, device=x.device)
            total = torch.zeros((), device=x.device)
            for i in range(steps):
                idx = perm[i * batch_size : (i + 1) * batch_size]
                xb, yb = x.index_select(0, idx), y.index_select(0, idx)  # x[idx], but faster
                if encoded is None:
                    total += self.train_step(xb, yb)
                else:
                    total += self.train_step(xb, yb, encoded[0].rows(idx))
            epoch_loss = float(total) / steps
            if not math.isfinite(epoch_loss):
                raise FloatingPointError(
                    f"training loss became {epoch_loss} in epoch {epoch}; "
                    "lower learning_rate or check the inputs for extreme values"
                )
            record = {"epoch": epoch, "loss": epoch_loss}
            if x_val is not None:
                val_rows = x_val if encoded is None else encoded[1]
                record["val_loss"] = self.evaluate(val_rows, y_val)
                if record["val_loss"] < best["loss"] - 1e-6:
                    best["loss"], bad_epochs = record["val_loss"], 0
                    best["state"] = _snapshot(self.module, best["state"])
                    self.best_epoch_ = epoch
                else:
                    bad_epochs += 1
            self.history.append(record)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if k != "epoch"})
            if x_val is not None and bad_epochs >= cfg.patience:
                return done
        return None

    def _run_phase(self, name: str, x, y, x_val, y_val, nr_epochs: int, nr_restarts: int,
                   best: dict, encoded) -> None:  # fmt: skip
        """One phase (:meth:`_phase`) with its own progress bar (``verbose``), counting its own
        epochs; an early stop ends the bar with one line that says when and why."""
        bar = None
        if self.config.verbose:
            from tqdm.auto import tqdm

            bar = tqdm(total=nr_epochs, desc=name, unit="epoch")
        try:
            stopped = self._phase(x, y, x_val, y_val, nr_epochs, nr_restarts, best, bar, encoded)
        finally:
            if bar is not None:
                bar.close()
        if bar is not None and stopped is not None:
            bar.write(f"{name}: stopped early at epoch {stopped} of {nr_epochs}: no better "
                      f"validation loss for {self.config.patience} epochs (patience); the "
                      f"weights of the best epoch are kept", file=sys.stderr)  # beside the bar

    def fit(self, x: torch.Tensor, y: torch.Tensor, x_val=None, y_val=None) -> Trainer:
        """Train on device tensors; with validation tensors, stop early and keep the best epoch.

        With ``additive_epochs`` (INN), a first phase trains only the parts of the model that are
        the same for every row (w0, the shape functions and the bias: an additive model, a
        linear one without shape functions); the second phase trains the whole hypernetwork
        from there. Early stopping keeps the best epoch of both phases, so INN falls back to the
        additive model where the hypernetwork does not improve the validation loss.
        """
        cfg = self.config
        if x.shape[0] < 2:
            raise ValueError("training needs at least 2 rows")
        additive = cfg.additive_epochs if hasattr(self.module, "additive_only") else 0
        name = type(self.module).__name__
        best = {"loss": math.inf, "state": None}
        encoded = self._encoded(x, x_val)
        try:
            if additive > 0:
                self.module.additive_only = True
                try:
                    self._run_phase(f"{name} additive phase", x, y, x_val, y_val, additive, 1,
                                    best, encoded)  # fmt: skip
                finally:
                    self.module.additive_only = False
                if best["state"] is not None:
                    self.module.load_state_dict(best["state"])
            self._run_phase(name, x, y, x_val, y_val, cfg.nr_epochs, cfg.nr_restarts, best,
                            encoded)  # fmt: skip
        finally:
            self._release_graphs()
        if best["state"] is not None:
            self.module.load_state_dict(best["state"])
        self.module.eval()
        return self

