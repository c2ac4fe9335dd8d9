"""Replay buffer of persistent chains for persistent contrastive divergence.

Published EBM recipes (Du & Mordatch 2019, "IGEBM"; Grathwohl et al. 2020,
"JEM") keep a buffer of past negative samples, start each short-run chain
from a buffer entry, and restart a small fraction (5%) of the chains from
noise so that the buffer keeps exploring.

The buffer is a ``torch.nn.Module``: the chains are a registered buffer
(``states``) and the random generator's state, ``low``, ``high`` and
``reinit_prob`` are its extra state, so ``state_dict()`` carries everything
needed to resume, and ``.to(device)`` moves the chains.

Examples
--------
>>> import torch
>>> buf = ReplayBuffer(capacity=100, event_shape=(2,), low=-1.0, high=1.0, seed=0)
>>> idx, x = buf.draw(10)
>>> buf.update(idx, x + 0.1)
>>> x.shape, len(buf)
(torch.Size([10, 2]), 100)
"""

from __future__ import annotations

import torch

from .._validation import check_finite_scalar, check_positive_int, check_probability
from ._utils import make_generator

__all__ = ["ReplayBuffer"]


class ReplayBuffer(torch.nn.Module):
    """A fixed-size store of chain states with reinitialisation from noise.

    Parameters
    ----------
    capacity : int
        Number of stored states.
    event_shape : tuple
        Shape of one state.
    low, high : float
        Fresh states are uniform on ``[low, high]`` in every coordinate.
    reinit_prob : float
        Probability that a drawn chain restarts from noise (default 0.05).
    seed : int, torch.Generator or None
    dtype, device

    Examples
    --------
    >>> buf = ReplayBuffer(100, (2,), low=-1.0, high=1.0, seed=0)
    >>> idx, x = buf.draw(8)
    >>> buf.update(idx, x * 0.5)
    >>> tuple(x.shape), len(buf)
    ((8, 2), 100)
    """

    def __init__(self, capacity: int, event_shape, *, low: float = -1.0, high: float = 1.0,
                 reinit_prob: float = 0.05, seed=None, dtype=torch.float32, device=None):
        super().__init__()
        self.capacity = check_positive_int(capacity, "capacity")
        self.event_shape = tuple(event_shape)
        self.low = check_finite_scalar(low, "low")
        self.high = check_finite_scalar(high, "high")
        if not self.high > self.low:
            raise ValueError(f"high must exceed low, got low={low}, high={high}")
        self.reinit_prob = check_probability(reinit_prob, "reinit_prob")
        device = torch.device("cpu") if device is None else torch.device(device)
        self.generator = make_generator(seed, device)
        self.register_buffer("states", self._uniform(self.capacity, dtype, device))

    def __len__(self) -> int:
        return self.capacity

    def noise(self, n: int, dtype=None, device=None) -> torch.Tensor:
        """``n`` fresh uniform states."""
        return self._uniform(n, dtype or self.states.dtype, device or self.states.device)

    def _uniform(self, n, dtype, device):
        u = torch.rand((n, *self.event_shape), generator=self.generator, dtype=dtype,
                       device=device)
        return self.low + (self.high - self.low) * u

    def draw(self, n: int):
        """Indices and start states for ``n`` chains (a ``reinit_prob`` share restarted)."""
        n = check_positive_int(n, "n")
        dev = self.states.device
        idx = torch.randint(0, self.capacity, (n,), generator=self.generator, device=dev)
        x = self.states[idx].clone()
        restart = torch.rand(n, generator=self.generator, device=dev) < self.reinit_prob
        k = int(restart.sum())
        if k:
            x[restart] = self.noise(k)
        return idx, x

    def update(self, idx: torch.Tensor, x: torch.Tensor) -> None:
        """Store the chains' new states back at ``idx``."""
        if x.shape[1:] != self.states.shape[1:] or x.shape[0] != idx.shape[0]:
            raise ValueError(
                f"x must have shape ({idx.shape[0]}, *{self.event_shape}), got {tuple(x.shape)}"
            )
        self.states[idx] = x.detach().to(self.states.dtype)

    def get_extra_state(self) -> dict:
        """What ``state_dict`` stores besides ``states``: the generator and the noise box."""
        return {"generator": self.generator.get_state(), "low": self.low, "high": self.high,
                "reinit_prob": self.reinit_prob}

    def set_extra_state(self, state: dict) -> None:
        """Restore :meth:`get_extra_state` (called by ``load_state_dict``)."""
        self.generator.set_state(state["generator"])
        self.low, self.high = float(state["low"]), float(state["high"])
        self.reinit_prob = float(state["reinit_prob"])
