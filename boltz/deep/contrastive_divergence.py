"""Contrastive divergence: CD-k / persistent CD with short-run
Langevin negatives (Du & Mordatch 2019).

Re-exported by :mod:`boltz.deep.objectives`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._validation import (
    check_array,
    check_choice,
    check_positive_int,
    check_positive_scalar,
    check_probability,
)
from ._utils import NonFiniteEnergyError, TrainingDivergedError, randn
from .buffers import ReplayBuffer
from .objective_base import Objective
from .samplers import energy_and_grad, init, mala_step

__all__ = ["ContrastiveDivergence"]


class ContrastiveDivergence(Objective):
    """Contrastive divergence (CD-k) or persistent CD with short-run Langevin chains.

    Loss ``mean E(x+) - mean E(x-) + reg * mean(E(x+)^2 + E(x-)^2)``; negatives
    ``x-`` come from ``n_steps`` unadjusted Langevin steps started at the data
    (CD) or at replay-buffer states (``persistent=True``, 5% restarted from
    uniform noise on ``init_range``). ``clamp=(low, high)`` keeps the chains in a
    box (e.g. pixel range), ``grad_clamp=c`` limits each coordinate of the energy
    gradient in a Langevin step to ``[-c, c]`` and ``data_noise=s`` adds
    ``N(0, s^2)`` noise to the data batch (clamped to ``clamp`` too), as in the
    image-EBM recipes (Du & Mordatch 2019). ``metropolis=True`` makes each
    Langevin step a MALA step (a Metropolis test on the proposal), so the chains
    leave the model's density invariant at any step size instead of sampling a
    wider, step-size-biased one (one more energy evaluation per update).

    Parameters
    ----------
    n_steps : int
        Langevin steps of the negative chains per update.
    step_size, noise_scale : float
        Langevin step and noise multiplier of the chains.
    reg : float
        Weight of the energy-magnitude regulariser ``E(x+)^2 + E(x-)^2``.
    persistent : bool
        Keep the chains in a replay buffer between updates (PCD).
    buffer_size : int
        Chains kept in the buffer.
    reinit_prob : float
        Fraction of chains restarted at each draw.
    reinit_from : {"noise", "data"}, default "noise"
        Where restarted chains begin: uniform noise on ``init_range``, or the data
        points of the batch (the restarts then add no chains stranded in empty
        regions, and the buffer's share of chains per mode relaxes toward the data's).
    init_range : (float, float), optional
        Range of the uniform noise chains start from (default: the data's).
    clamp : (float, float), optional
        Clamp the chains to this range after each step.
    max_energy : float
        Divergence threshold on the energies.
    grad_clamp : float, optional
        Clamp every coordinate of ``grad E`` to ``[-grad_clamp, grad_clamp]`` in each
        Langevin step (default: no clamp), so one step moves a coordinate by at most
        ``step_size * grad_clamp`` plus the noise.
    data_noise : float, default 0
        Standard deviation of Gaussian noise added to each data batch before its
        energy is taken (smooths the data distribution of binary-like images).
    metropolis : bool, default False
        Metropolis-adjusted Langevin (MALA) chains instead of unadjusted ones; needs
        ``noise_scale=1`` and no ``clamp`` or ``grad_clamp`` (which would break the
        proposal density the test uses).

    Examples
    --------
    >>> from boltz.deep.energies import MLPEnergy
    >>> cd = ContrastiveDivergence(n_steps=5, step_size=0.01, persistent=True)
    >>> loss, info = cd(MLPEnergy(2, hidden=(8,)), torch.randn(16, 2))
    >>> sorted(info)
    ['energy_neg', 'energy_pos']
    """

    name = "cd"

    def __init__(self, n_steps: int = 20, step_size: float = 0.01, noise_scale: float = 1.0,
                 reg: float = 0.1, persistent: bool = False, buffer_size: int = 10000,
                 reinit_prob: float = 0.05, reinit_from: str = "noise", init_range=None, clamp=None,
                 max_energy: float = 1e4, grad_clamp: float | None = None,
                 data_noise: float = 0.0, metropolis: bool = False):
        super().__init__(max_energy)
        self.n_steps = check_positive_int(n_steps, "n_steps")
        self.grad_clamp = None if grad_clamp is None else check_positive_scalar(
            grad_clamp, "grad_clamp")
        self.data_noise = check_positive_scalar(data_noise, "data_noise", allow_zero=True)
        self.clamp = None if clamp is None else tuple(
            float(v) for v in check_array(clamp, "clamp", shape=(2,)))
        self.step_size = check_positive_scalar(step_size, "step_size")
        self.noise_scale = check_positive_scalar(noise_scale, "noise_scale", allow_zero=True)
        self.reg = check_positive_scalar(reg, "reg", allow_zero=True)
        self.persistent = bool(persistent)
        self.buffer_size = check_positive_int(buffer_size, "buffer_size")
        self.reinit_prob = check_probability(reinit_prob, "reinit_prob")
        self.reinit_from = check_choice(reinit_from, "reinit_from", ("noise", "data"))
        self.init_range = None if init_range is None else tuple(
            float(v) for v in check_array(init_range, "init_range", shape=(2,)))
        if not isinstance(metropolis, (bool, np.bool_)):
            raise TypeError(f"metropolis must be a bool, got {type(metropolis).__name__}")
        if metropolis and (self.noise_scale != 1.0 or self.clamp is not None
                           or self.grad_clamp is not None):
            raise ValueError(
                "metropolis=True needs noise_scale=1 and no clamp or grad_clamp, got "
                f"noise_scale={noise_scale}, clamp={clamp}, grad_clamp={grad_clamp}")
        self.metropolis = bool(metropolis)
        self.buffer: ReplayBuffer | None = None
        if self.persistent:
            self.name = "pcd"

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """A fresh persistent objective loads the replay buffer of a checkpoint: the
        buffer (a submodule, created lazily at the first batch) is created here first."""
        key = prefix + "buffer.states"
        if self.persistent and self.buffer is None and key in state_dict:
            states = state_dict[key]
            self.buffer = ReplayBuffer(states.shape[0], tuple(states.shape[1:]),
                                       reinit_prob=self.reinit_prob, dtype=states.dtype,
                                       device=states.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _start(self, x, generator):
        if not self.persistent:
            return None, x
        if self.buffer is None:
            lo, hi = self.init_range or (float(x.min()) - 0.5, float(x.max()) + 0.5)
            seed = None if generator is None else int(
                torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
            self.buffer = ReplayBuffer(self.buffer_size, tuple(x.shape[1:]), low=lo, high=hi,
                                       reinit_prob=self.reinit_prob, seed=seed,
                                       dtype=x.dtype, device=x.device)
        return self.buffer.draw(x.shape[0], restarts=x if self.reinit_from == "data" else None)

    def negatives(self, model, x, generator=None) -> torch.Tensor:
        """Negative samples for the batch ``x`` (updates the buffer when persistent).

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the chains' noise and, when persistent, the buffer's first states
            (default: torch's global generator).

        Returns
        -------
        torch.Tensor, shape (n, *event_shape)
            The chains' states after ``n_steps`` Langevin steps.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> cd = ContrastiveDivergence(n_steps=3, step_size=0.1, persistent=True, buffer_size=50)
        >>> x_neg = cd.negatives(g, torch.zeros(8, 2, dtype=torch.float64),
        ...                      torch.Generator().manual_seed(0))
        >>> x_neg.shape, len(cd.buffer)
        (torch.Size([8, 2]), 50)
        """
        idx, xn = self._start(x, generator)
        chains = self._mala_chains if self.metropolis else self._langevin_chains
        try:
            xn = chains(model, xn, generator)
        except NonFiniteEnergyError as exc:
            raise TrainingDivergedError(f"{self.name}: negative-sample chains diverged: {exc}") \
                from exc
        if not bool(torch.isfinite(xn).all()):
            raise TrainingDivergedError(f"{self.name}: negative samples became non-finite")
        if idx is not None:
            self.buffer.update(idx, xn)
        return xn

    def _langevin_chains(self, model, xn, generator):
        noise = self.noise_scale * math.sqrt(2.0 * self.step_size)
        # k gradient evaluations for k steps: the final state's energy is checked by
        # the loss itself, so its gradient is never computed
        for t in range(self.n_steps):
            _, g = energy_and_grad(model, xn, step=t + 1)
            if self.grad_clamp is not None:
                g = g.clamp_(-self.grad_clamp, self.grad_clamp)
            xn = xn - self.step_size * g + noise * randn(xn.shape, generator, xn)
            if self.clamp is not None:
                xn = xn.clamp_(*self.clamp)
        return xn

    def _mala_chains(self, model, x, generator):
        # k + 1 evaluations: the Metropolis test needs the start's energy and gradient
        state = init(model, x)
        for t in range(self.n_steps):
            state, _ = mala_step(model, state, self.step_size, generator, step=t + 1)
        return state.x

    def forward(self, model, x, generator=None):
        """The CD loss of one batch (draws the negatives with :meth:`negatives`).

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the negative chains (default: torch's global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            ``energy_pos`` and ``energy_neg``: the mean energies of data and negatives.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(1), torch.eye(1), learnable=True)
        >>> cd = ContrastiveDivergence(n_steps=5, step_size=0.05, reg=0.0)
        >>> x = torch.ones(4, 1, dtype=torch.float64)
        >>> loss, info = cd(g, x, torch.Generator().manual_seed(0))
        >>> info["energy_pos"]
        0.5
        >>> bool(loss == info["energy_pos"] - info["energy_neg"])
        True
        """
        x_neg = self.negatives(model, x, generator)
        if self.data_noise:
            x = x + self.data_noise * randn(x.shape, generator, x)
            if self.clamp is not None:
                x = x.clamp(*self.clamp)
        e = model(torch.cat([x, x_neg], dim=0))
        e_pos, e_neg = e[: x.shape[0]], e[x.shape[0]:]
        loss = e_pos.mean() - e_neg.mean()
        if self.reg:
            loss = loss + self.reg * (e_pos.square().mean() + e_neg.square().mean())
        self._check(loss, e_pos, e_neg)
        return loss, {"energy_pos": float(e_pos.detach().mean()),
                      "energy_neg": float(e_neg.detach().mean())}
