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
        Seeds the initial states, the draws and the restarts.
    dtype : torch.dtype, default torch.float32
        Dtype of the stored states.
    device : str or torch.device, optional
        Where the states live (default: the CPU).

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
        """``n`` fresh uniform states on ``[low, high]`` (from the buffer's generator).

        Parameters
        ----------
        n : int
            Number of states.
        dtype : torch.dtype, optional
            Their dtype (default: that of the stored states).
        device : str or torch.device, optional
            Their device (default: that of the stored states).

        Returns
        -------
        torch.Tensor, shape (n, *event_shape)
            The states.

        Examples
        --------
        >>> buf = ReplayBuffer(10, (3,), low=0.0, high=2.0, seed=0)
        >>> x = buf.noise(1000)
        >>> x.shape, bool(x.min() >= 0.0), bool(x.max() <= 2.0)
        (torch.Size([1000, 3]), True, True)
        """
        return self._uniform(n, dtype or self.states.dtype, device or self.states.device)

    def _uniform(self, n, dtype, device):
        u = torch.rand((n, *self.event_shape), generator=self.generator, dtype=dtype,
                       device=device)
        return self.low + (self.high - self.low) * u

    def draw(self, n: int, restarts=None):
        """Indices and start states for ``n`` chains (a ``reinit_prob`` share restarted).

        Entries are drawn uniformly with replacement; each drawn chain is replaced by
        fresh noise (or, given ``restarts``, by the same row of ``restarts``) with
        probability ``reinit_prob``. The buffer itself is unchanged until :meth:`update`.

        Parameters
        ----------
        n : int
            Number of chains.
        restarts : torch.Tensor, shape (n, *event_shape), optional
            States the restarted chains start from instead of uniform noise (e.g. a
            data batch, so restarts begin where the data is).

        Returns
        -------
        idx : torch.Tensor of int64, shape (n,)
            The buffer entries drawn (pass them to :meth:`update`).
        x : torch.Tensor, shape (n, *event_shape)
            The start states (a copy).

        Examples
        --------
        >>> buf = ReplayBuffer(4, (1,), seed=0, reinit_prob=0.0)
        >>> idx, x = buf.draw(3)
        >>> bool(torch.equal(x, buf.states[idx]))   # no restarts with reinit_prob=0
        True
        """
        n = check_positive_int(n, "n")
        if restarts is not None and tuple(restarts.shape) != (n, *self.event_shape):
            raise ValueError(f"restarts must have shape ({n}, *{self.event_shape}), "
                             f"got {tuple(restarts.shape)}")
        dev = self.states.device
        idx = torch.randint(0, self.capacity, (n,), generator=self.generator, device=dev)
        x = self.states[idx].clone()
        restart = torch.rand(n, generator=self.generator, device=dev) < self.reinit_prob
        k = int(restart.sum())
        if k:
            x[restart] = (self.noise(k) if restarts is None
                          else restarts[restart].detach().to(x.dtype))
        return idx, x

    def update(self, idx: torch.Tensor, x: torch.Tensor) -> None:
        """Store the chains' new states back at ``idx``.

        Parameters
        ----------
        idx : torch.Tensor of int64, shape (n,)
            Entries returned by :meth:`draw`.
        x : torch.Tensor, shape (n, *event_shape)
            The chains' new states (detached and cast to the buffer's dtype).

        Examples
        --------
        >>> buf = ReplayBuffer(4, (2,), seed=0)
        >>> idx, x = buf.draw(2)
        >>> buf.update(idx, torch.zeros(2, 2))
        >>> buf.states[idx].abs().sum().item()
        0.0
        """
        if x.shape[1:] != self.states.shape[1:] or x.shape[0] != idx.shape[0]:
            raise ValueError(
                f"x must have shape ({idx.shape[0]}, *{self.event_shape}), got {tuple(x.shape)}"
            )
        self.states[idx] = x.detach().to(self.states.dtype)

    def get_extra_state(self) -> dict:
        """What ``state_dict`` stores besides ``states``: the generator and the noise box.

        Returns
        -------
        dict
            ``generator`` (its state, a uint8 tensor), ``low``, ``high`` and
            ``reinit_prob``.

        Examples
        --------
        >>> buf = ReplayBuffer(4, (2,), low=-2.0, high=2.0, seed=0)
        >>> sorted(buf.get_extra_state())
        ['generator', 'high', 'low', 'reinit_prob']
        """
        return {"generator": self.generator.get_state(), "low": self.low, "high": self.high,
                "reinit_prob": self.reinit_prob}

    def set_extra_state(self, state: dict) -> None:
        """Restore :meth:`get_extra_state` (called by ``load_state_dict``).

        Parameters
        ----------
        state : dict
            What :meth:`get_extra_state` returned.

        Examples
        --------
        >>> a = ReplayBuffer(4, (2,), seed=0)
        >>> b = ReplayBuffer(4, (2,), seed=1)
        >>> b.load_state_dict(a.state_dict())   # calls set_extra_state
        <All keys matched successfully>
        >>> bool(torch.equal(a.draw(3)[1], b.draw(3)[1]))   # same chains, same generator
        True
        """
        self.generator.set_state(state["generator"])
        self.low, self.high = float(state["low"]), float(state["high"])
        self.reinit_prob = float(state["reinit_prob"])
