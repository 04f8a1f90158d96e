"""Training steps replayed as CUDA graphs.

On a GPU, a step of INN or TabResNet on a batch of a few hundred rows is a few hundred small
kernels (forward, backward, the fused optimizer), each finished in microseconds: the host's time
to launch them, not the arithmetic, bounds the step. A CUDA graph records the kernels of one step
once and launches them all with one call afterwards.

A graph replays fixed kernels on fixed memory, so :class:`GraphedStep` keeps one graph per
input signature (the shapes of the step's tensors, and which of them are absent): the full
batches share one, the last, shorter batch of an epoch has its own. The first step of each
signature runs eagerly on a side stream (the warm-up that lazily created state, such as the
optimizer's moments and the BLAS workspace, needs before a capture), the second is captured and
every later one copies its inputs into the graph's tensors and replays it. Random draws inside
the step (dropout) come from torch's default CUDA generator, whose graph-safe state advances at
every replay, so each replay draws new masks.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import torch

Signature = tuple[tuple[int, ...] | None, ...]


def _signature(inputs: tuple[torch.Tensor | None, ...]) -> Signature:
    return tuple(None if t is None else tuple(t.shape) for t in inputs)


class GraphedStep:
    """Runs ``step(*inputs)`` (forward, backward and optimizer step; returns the detached loss)
    as a CUDA graph per input signature, after one eager warm-up step of that signature.

    ``step`` must not read GPU values on the host (no ``float(tensor)``), must draw its random
    numbers from the default CUDA generator, and must leave the optimizer's learning rates as
    tensors on the device (the scheduler updates them in place between replays).

    Args:
        step: the training step, a function of tensors (``None`` for absent inputs).
        device: the CUDA device the step runs on (its streams and graphs live there).
    """

    def __init__(self, step: Callable[..., torch.Tensor], device: torch.device) -> None:
        self.step = step
        self.device = device
        self.graphs: dict[Signature, tuple[torch.cuda.CUDAGraph, list, torch.Tensor]] = {}
        self.warmed: set[Signature] = set()

    def __call__(self, *inputs: torch.Tensor | None) -> torch.Tensor:
        with torch.cuda.device(self.device):
            return self._run(inputs)

    def _run(self, inputs: tuple[torch.Tensor | None, ...]) -> torch.Tensor:
        key = _signature(inputs)
        entry = self.graphs.get(key)
        if entry is None:
            if key not in self.warmed:
                self.warmed.add(key)
                return self._warm_up(inputs)
            entry = self.graphs[key] = self._capture(inputs)
        graph, static, loss = entry
        for dst, src in zip(static, inputs, strict=True):
            if dst is not None:
                dst.copy_(src)
        graph.replay()
        return loss.clone()  # the next replay overwrites the graph's own loss tensor

    def _warm_up(self, inputs) -> torch.Tensor:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            loss = self.step(*inputs)
        torch.cuda.current_stream().wait_stream(side)
        return loss

    def _capture(self, inputs):
        static = [None if t is None else t.clone() for t in inputs]
        graph = torch.cuda.CUDAGraph()
        # Python's cyclic garbage collector must not run during a capture: collecting an old
        # graph there frees it, a call that a capture forbids and that spoils the capture.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            with torch.cuda.graph(graph):
                loss = self.step(*static)
        finally:
            if was_enabled:
                gc.enable()
        return graph, static, loss

    def release(self) -> None:
        """Free the graphs and their memory now (not whenever the garbage collector runs)."""
        self.graphs.clear()
        self.warmed.clear()
