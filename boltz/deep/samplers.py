"""Gradient-based MCMC for torch energies: Langevin, MALA, HMC, annealed Langevin.

Every sampler is batched (one chain per row), runs on the device of its input,
and draws all randomness from a ``torch.Generator`` (``seed=`` accepts an int,
a generator or ``None``). The kernels follow blackjax's shape: a state
(:class:`SamplerState`, holding ``x``, its energy and its energy gradient), an
``init`` that builds it, and pure ``step`` functions. The classes
(:class:`LangevinSampler`, :class:`MALASampler`, :class:`HMCSampler`,
:class:`AnnealedLangevinSampler`) wrap them in a loop with burn-in, step-size
adaptation and acceptance-rate reporting.

A non-finite energy or gradient met while sampling raises
:class:`~boltz.deep._utils.NonFiniteEnergyError` naming the step.

Conventions: the unadjusted Langevin step is
``x' = x - eps grad E(x) + sqrt(2 eps) z`` (Roberts & Tweedie 1996); MALA
accepts it with the Metropolis-Hastings ratio including the asymmetric
proposal densities ``q(x'|x) = N(x'; x - eps grad E(x), 2 eps I)``; HMC uses
unit mass, ``n_leapfrog`` leapfrog steps and accepts with ``exp(H - H')``.

Examples
--------
>>> import torch
>>> from boltz.deep.energies import GaussianEnergy
>>> from boltz.deep.samplers import MALASampler
>>> g = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
>>> res = MALASampler(g, step_size=0.5).run(torch.zeros(500, 2), n_steps=50, seed=0)
>>> res.samples.shape, 0.0 < res.acceptance_rate <= 1.0
(torch.Size([500, 2]), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

from .._validation import check_nonnegative_int, check_positive_int, check_positive_scalar
from ._utils import NonFiniteEnergyError, as_batch, make_generator, randn
from .energies import EnergyModule, as_energy

__all__ = [
    "SamplerState",
    "StepInfo",
    "SampleResult",
    "energy_and_grad",
    "init",
    "langevin_step",
    "mala_step",
    "mala_log_acceptance",
    "hmc_step",
    "hmc_log_acceptance",
    "LangevinSampler",
    "MALASampler",
    "HMCSampler",
    "AnnealedLangevinSampler",
    "NonFiniteEnergyError",
]


class SamplerState(NamedTuple):
    """Chain states ``x`` ``(n, ...)``, their energies ``(n,)`` and energy gradients."""

    x: torch.Tensor
    energy: torch.Tensor
    grad: torch.Tensor


class StepInfo(NamedTuple):
    """Per-chain Metropolis acceptance probabilities and decisions of one step."""

    acceptance_prob: torch.Tensor
    accepted: torch.Tensor


@dataclass
class SampleResult:
    """What a sampler run returns.

    ``samples``: final states ``(n, ...)`` or, with ``keep_every``, the kept
    states stacked ``(n_kept, n, ...)``; ``acceptance_rate``: mean acceptance
    probability after adaptation (``None`` for unadjusted samplers);
    ``step_size``: the step size used after adaptation.
    """

    samples: torch.Tensor
    acceptance_rate: float | None
    step_size: float


def _raise_non_finite(what, step):
    where = f" at step {step}" if step is not None else ""
    raise NonFiniteEnergyError(
        f"non-finite {what} while sampling{where}; the energy may be unbounded below "
        "or the step size too large"
    )


def energy_and_grad(model, x: torch.Tensor, step: int | None = None):
    """Energies ``(n,)`` and ``grad_x E`` of a batch (no graph kept); checks finiteness."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        e = model(xg)
        (g,) = torch.autograd.grad(e.sum(), xg)
    e = e.detach()
    if not bool(torch.isfinite(e).all() & torch.isfinite(g).all()):  # one sync per step
        _raise_non_finite("energy" if not bool(torch.isfinite(e).all()) else "energy gradient",
                          step)
    return e, g


def init(model, x: torch.Tensor) -> SamplerState:
    """Initial :class:`SamplerState` of a batch of chains."""
    e, g = energy_and_grad(model, x, step=0)
    return SamplerState(x.detach(), e, g)


def _flat_sq(v: torch.Tensor) -> torch.Tensor:
    return (v * v).reshape(v.shape[0], -1).sum(1)


def _rows(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.reshape(-1, *([1] * (like.ndim - 1)))


def langevin_step(model, state: SamplerState, step_size: float, generator,
                  noise_scale: float = 1.0, step: int | None = None,
                  clamp: tuple | None = None) -> SamplerState:
    """One unadjusted Langevin step ``x - eps grad E + noise_scale sqrt(2 eps) z``.

    ``clamp=(low, high)`` projects the new state into a box (the image-EBM
    recipe of Du & Mordatch 2019; it makes the chain inexact).
    """
    x = state.x
    x_new = x - step_size * state.grad + (noise_scale * math.sqrt(2.0 * step_size)) * randn(
        x.shape, generator, x)
    if clamp is not None:
        x_new = x_new.clamp_(clamp[0], clamp[1])
    e, g = energy_and_grad(model, x_new, step)
    return SamplerState(x_new, e, g)


def mala_log_acceptance(current: SamplerState, proposal: SamplerState,
                        step_size: float) -> torch.Tensor:
    """``log`` of the MALA Metropolis-Hastings ratio, per chain.

    ``log a = E(x) - E(x') + log q(x | x') - log q(x' | x)`` with
    ``log q(b | a) = -|b - a + eps grad E(a)|^2 / (4 eps)`` (constants cancel).
    """
    fwd = _flat_sq(proposal.x - current.x + step_size * current.grad)
    bwd = _flat_sq(current.x - proposal.x + step_size * proposal.grad)
    return current.energy - proposal.energy + (fwd - bwd) / (4.0 * step_size)


def _accept(current: SamplerState, proposal: SamplerState, log_a: torch.Tensor, generator):
    u = torch.rand(log_a.shape, generator=generator, dtype=log_a.dtype, device=log_a.device)
    log_a = torch.nan_to_num(log_a, nan=-math.inf)
    accepted = torch.log(u) < log_a
    m = _rows(accepted, current.x)
    new = SamplerState(
        torch.where(m, proposal.x, current.x),
        torch.where(accepted, proposal.energy, current.energy),
        torch.where(m, proposal.grad, current.grad),
    )
    return new, StepInfo(torch.exp(torch.clamp(log_a, max=0.0)), accepted)


def mala_step(model, state: SamplerState, step_size: float, generator,
              step: int | None = None):
    """One Metropolis-adjusted Langevin step; returns ``(state, StepInfo)``."""
    proposal = langevin_step(model, state, step_size, generator, step=step)
    return _accept(state, proposal, mala_log_acceptance(state, proposal, step_size), generator)


def hmc_log_acceptance(energy0, momentum0, energy1, momentum1) -> torch.Tensor:
    """``log`` HMC acceptance ``H(x, p) - H(x', p')`` with ``H = E + |p|^2 / 2``."""
    return (energy0 + 0.5 * _flat_sq(momentum0)) - (energy1 + 0.5 * _flat_sq(momentum1))


def hmc_step(model, state: SamplerState, step_size: float, n_leapfrog: int, generator,
             step: int | None = None):
    """One HMC transition (unit mass, leapfrog, Metropolis test); ``(state, StepInfo)``."""
    p0 = randn(state.x.shape, generator, state.x)
    x, g = state.x, state.grad
    p = p0 - 0.5 * step_size * g
    e = state.energy
    for i in range(n_leapfrog):
        x = x + step_size * p
        e, g = energy_and_grad(model, x, step)
        if i < n_leapfrog - 1:
            p = p - step_size * g
    p = p - 0.5 * step_size * g
    proposal = SamplerState(x, e, g)
    log_a = hmc_log_acceptance(state.energy, p0, e, p)
    return _accept(state, proposal, log_a, generator)


# ---------------------------------------------------------------------------
# Loops
# ---------------------------------------------------------------------------
def _start(model, x0, seed):
    model = as_energy(model)
    if isinstance(x0, int):
        raise TypeError("x0 must be a batch of initial states (n, *event_shape), not an int")
    x = as_batch(x0, model.event_shape, dtype=model.dtype, device=model.device, name="x0")
    return model, x.detach().clone(), make_generator(seed, x.device)


def _progress(n, progress, desc):
    if not progress:
        return range(n)
    from tqdm.auto import trange

    return trange(n, desc=desc, leave=False)


class _Base:
    def __init__(self, model, step_size: float):
        if not isinstance(model, EnergyModule):
            model = as_energy(model)
        self.model = model
        self.step_size = check_positive_scalar(step_size, "step_size")

    def sample(self, x0, n_steps: int = 100, **kwargs) -> torch.Tensor:
        """Run the chains and return the final states (see :meth:`run`).

        Parameters
        ----------
        x0 : torch.Tensor or array_like, shape (n, ...)
            Start states.
        n_steps : int, default 100
            Steps.
        **kwargs
            Other arguments of ``run``.

        Returns
        -------
        torch.Tensor
            The final states (``run(...).samples``).

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy, LangevinSampler
        >>> s = LangevinSampler(GaussianEnergy(torch.zeros(2), torch.eye(2)), step_size=0.1)
        >>> s.sample(torch.zeros(5, 2), n_steps=10, seed=0).shape
        torch.Size([5, 2])
        """
        return self.run(x0, n_steps, **kwargs).samples


class LangevinSampler(_Base):
    """Unadjusted Langevin algorithm (biased by ``O(step_size)``; no Metropolis test).

    Parameters
    ----------
    model : EnergyModule or Density
        The target (a classical boltz density is wrapped by ``as_energy``).
    step_size : float
        ``epsilon`` in ``x' = x - epsilon grad E(x) + noise_scale sqrt(2 epsilon) xi``.
    noise_scale : float
        Multiplies the injected noise (1 for the correct stationary distribution).

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> g = GaussianEnergy([1.0], [[1.0]])
    >>> x = LangevinSampler(g, step_size=0.05).sample(torch.zeros(200, 1), 100, seed=0)
    >>> x.shape
    torch.Size([200, 1])
    """

    def __init__(self, model, step_size: float = 0.01, noise_scale: float = 1.0):
        super().__init__(model, step_size)
        self.noise_scale = check_positive_scalar(noise_scale, "noise_scale", allow_zero=True)

    def run(self, x0, n_steps: int = 100, *, seed=None, progress: bool = False) -> SampleResult:
        """Run ``n_steps`` steps from ``x0`` ``(n, *event_shape)``.

        Parameters
        ----------
        x0 : torch.Tensor or array_like, shape (n, ...)
            Start states (one chain per row).
        n_steps : int, default 100
            Steps (after adaptation, for the adaptive samplers).
        seed : int, torch.Generator or None
            Random seed.
        progress : bool, default False
            Show a tqdm bar.

        Returns
        -------
        SampleResult
            The final states (no acceptance rate).

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy, LangevinSampler
        >>> s = LangevinSampler(GaussianEnergy(torch.zeros(2), torch.eye(2)), step_size=0.1)
        >>> res = s.run(torch.zeros(5, 2), n_steps=10, seed=0)
        >>> res.samples.shape, res.acceptance_rate
        (torch.Size([5, 2]), None)
        """
        n_steps = check_nonnegative_int(n_steps, "n_steps")
        model, x, gen = _start(self.model, x0, seed)
        state = init(model, x)
        for t in _progress(n_steps, progress, "Langevin"):
            state = langevin_step(model, state, self.step_size, gen, self.noise_scale, step=t + 1)
        return SampleResult(state.x, None, self.step_size)


class _Adaptive(_Base):
    target_accept = 0.574

    def __init__(self, model, step_size, adapt_steps, target_accept):
        super().__init__(model, step_size)
        self.adapt_steps = check_nonnegative_int(adapt_steps, "adapt_steps")
        if target_accept is not None:
            self.target_accept = check_positive_scalar(target_accept, "target_accept")
            if not self.target_accept < 1:
                raise ValueError(f"target_accept must lie in (0, 1), got {target_accept}")

    def _kernel(self, model, state, eps, gen, step):
        raise NotImplementedError

    def run(self, x0, n_steps: int = 100, *, seed=None, progress: bool = False) -> SampleResult:
        """Adapt the step size for ``adapt_steps`` steps, then run ``n_steps`` exact steps.

        The step size is adapted by Robbins-Monro on ``log eps`` toward
        ``target_accept``; adaptation stops before the reported steps, so the
        chain that produces the samples is an exact MH chain.

        Parameters
        ----------
        x0 : torch.Tensor or array_like, shape (n, ...)
            Start states (one chain per row).
        n_steps : int, default 100
            Steps (after adaptation, for the adaptive samplers).
        seed : int, torch.Generator or None
            Random seed.
        progress : bool, default False
            Show a tqdm bar.

        Returns
        -------
        SampleResult
            The final states, the acceptance rate and the adapted step size.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianEnergy, MALASampler
        >>> s = MALASampler(GaussianEnergy(torch.zeros(2), torch.eye(2)), step_size=0.1)
        >>> res = s.run(torch.zeros(5, 2), n_steps=10, seed=0)
        >>> res.samples.shape, 0 <= res.acceptance_rate <= 1
        (torch.Size([5, 2]), True)
        """
        n_steps = check_nonnegative_int(n_steps, "n_steps")
        model, x, gen = _start(self.model, x0, seed)
        state = init(model, x)
        log_eps = math.log(self.step_size)
        total = self.adapt_steps + n_steps
        acc_sum, acc_n = 0.0, 0
        for t in _progress(total, progress, type(self).__name__):
            state, info = self._kernel(model, state, math.exp(log_eps), gen, t + 1)
            rate = float(info.acceptance_prob.mean())
            if t < self.adapt_steps:
                log_eps += (rate - self.target_accept) / math.sqrt(t + 1.0)
            else:
                acc_sum += rate
                acc_n += 1
        rate = acc_sum / acc_n if acc_n else None
        return SampleResult(state.x, rate, math.exp(log_eps))


class MALASampler(_Adaptive):
    """Metropolis-adjusted Langevin: exact for any step size, reports acceptance.

    ``adapt_steps > 0`` tunes the step size toward ``target_accept`` (0.574,
    Roberts & Rosenthal 1998) before sampling.

    Parameters
    ----------
    model : EnergyModule or Density
        The target (a classical boltz density is wrapped by ``as_energy``).
    step_size : float
        Initial Langevin step size.
    adapt_steps : int
        Steps spent tuning the step size before sampling (0: no tuning).
    target_accept : float, optional
        Acceptance rate the tuning aims at (default 0.574).

    Examples
    --------
    >>> import torch
    >>> from boltz.deep.energies import GaussianEnergy
    >>> res = MALASampler(GaussianEnergy([0.0], [[1.0]]), 0.5).run(torch.zeros(100, 1), 50, seed=0)
    >>> 0.0 < res.acceptance_rate <= 1.0
    True
    """

    def __init__(self, model, step_size: float = 0.1, adapt_steps: int = 0,
                 target_accept: float | None = None):
        super().__init__(model, step_size, adapt_steps, target_accept)

    def _kernel(self, model, state, eps, gen, step):
        return mala_step(model, state, eps, gen, step=step)


class HMCSampler(_Adaptive):
    """Hamiltonian Monte Carlo with unit mass and ``n_leapfrog`` leapfrog steps.

    Parameters
    ----------
    model : EnergyModule or Density
        The target (a classical boltz density is wrapped by ``as_energy``).
    step_size : float
        Leapfrog step size.
    n_leapfrog : int
        Leapfrog steps per proposal.
    adapt_steps : int
        Steps spent tuning the step size before sampling (0: no tuning).
    target_accept : float, optional
        Acceptance rate the tuning aims at.

    Examples
    --------
    >>> import torch
    >>> from boltz.deep.energies import GaussianEnergy
    >>> res = HMCSampler(GaussianEnergy([0.0], [[1.0]]), 0.3, 5).run(torch.zeros(50, 1), 20, seed=0)
    >>> tuple(res.samples.shape)
    (50, 1)
    """

    target_accept = 0.65

    def __init__(self, model, step_size: float = 0.1, n_leapfrog: int = 10,
                 adapt_steps: int = 0, target_accept: float | None = None):
        super().__init__(model, step_size, adapt_steps, target_accept)
        self.n_leapfrog = check_positive_int(n_leapfrog, "n_leapfrog")

    def _kernel(self, model, state, eps, gen, step):
        return hmc_step(model, state, eps, self.n_leapfrog, gen, step=step)


class AnnealedLangevinSampler:
    """Annealed Langevin dynamics over a decreasing noise schedule (Song & Ermon 2019).

    At level ``sigma_i`` it runs ``steps_per_level`` Langevin steps with step
    ``alpha_i = step_scale * sigma_i^2 / sigma_L^2`` on the noise-perturbed
    model, ``x += alpha_i / 2 * score_i(x) + sqrt(alpha_i) z``.

    ``model`` is either an energy with ``at_noise(sigma)`` (e.g.
    :class:`~boltz.deep.energies.GaussianMixtureEnergy`,
    :class:`~boltz.deep.energies.NoiseConditionalMLPEnergy`) or a callable
    ``sigma -> EnergyModule``.

    Parameters
    ----------
    model : EnergyModule or callable
        A noise-conditional energy (with ``at_noise(sigma)``) or a callable
        ``sigma -> energy`` of the perturbed density at noise level ``sigma``.
    sigmas : array_like
        Decreasing noise levels.
    steps_per_level : int
        Langevin steps at each level.
    step_scale : float
        The step at level ``i`` is ``step_scale * sigma_i**2 / sigma_last**2``
        (Song & Ermon 2019).

    Examples
    --------
    >>> import torch
    >>> from boltz.deep import GaussianMixtureEnergy
    >>> gm = GaussianMixtureEnergy([[-2.0, 0.0], [2.0, 0.0]], scales=0.5)
    >>> s = AnnealedLangevinSampler(gm, sigmas=[1.0, 0.5], steps_per_level=5)
    >>> s.sample(torch.zeros(4, 2), seed=0).shape
    torch.Size([4, 2])
    """

    def __init__(self, model, sigmas, steps_per_level: int = 100, step_scale: float = 2e-5):
        if hasattr(model, "at_noise"):
            self.level = model.at_noise
        elif callable(model) and not isinstance(model, torch.nn.Module):
            self.level = model
        else:
            raise TypeError("model must have at_noise(sigma) or be a callable sigma -> energy")
        sig = [check_positive_scalar(s, "sigmas") for s in sigmas]
        if not sig:
            raise ValueError("sigmas must not be empty")
        if any(a < b for a, b in zip(sig, sig[1:], strict=False)):
            raise ValueError("sigmas must be non-increasing (from noisy to clean)")
        self.sigmas = sig
        self.steps_per_level = check_positive_int(steps_per_level, "steps_per_level")
        self.step_scale = check_positive_scalar(step_scale, "step_scale")

    def run(self, x0, *, seed=None, progress: bool = False) -> SampleResult:
        """Anneal ``x0`` through every level; returns the final states.

        Parameters
        ----------
        x0 : torch.Tensor or array_like, shape (n, ...)
            Start states.
        seed : int, torch.Generator or None
            Random seed.
        progress : bool, default False
            Show a tqdm bar.

        Returns
        -------
        SampleResult
            The final states.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianMixtureEnergy
        >>> gm = GaussianMixtureEnergy([[-2.0, 0.0], [2.0, 0.0]], scales=0.5)
        >>> s = AnnealedLangevinSampler(gm, sigmas=[1.0, 0.5], steps_per_level=5)
        >>> s.run(torch.zeros(4, 2), seed=0).samples.shape
        torch.Size([4, 2])
        """
        first = self.level(self.sigmas[0])
        model, x, gen = _start(first, x0, seed)
        # one bar over every step of every level (a level of 10,000 chains takes seconds)
        steps = iter(_progress(len(self.sigmas) * self.steps_per_level, progress,
                               "annealed Langevin"))
        for i, sigma in enumerate(self.sigmas):
            energy = first if i == 0 else self.level(sigma)
            alpha = self.step_scale * sigma**2 / self.sigmas[-1] ** 2
            state = init(energy, x)
            for _ in range(self.steps_per_level):
                it = next(steps) + 1
                state = langevin_step(energy, state, 0.5 * alpha, gen, step=it)
            x = state.x
        next(steps, None)  # ends the bar
        return SampleResult(x, None, 0.5 * self.step_scale)

    def sample(self, x0, **kwargs) -> torch.Tensor:
        """Anneal ``x0`` through every level and return the final states (see :meth:`run`).

        Parameters
        ----------
        x0 : torch.Tensor or array_like, shape (n, ...)
            Start states.
        **kwargs
            Arguments of :meth:`run`.

        Returns
        -------
        torch.Tensor
            The final states.

        Examples
        --------
        >>> import torch
        >>> from boltz.deep import GaussianMixtureEnergy
        >>> gm = GaussianMixtureEnergy([[-2.0, 0.0], [2.0, 0.0]], scales=0.5)
        >>> s = AnnealedLangevinSampler(gm, sigmas=[1.0, 0.5], steps_per_level=5)
        >>> s.sample(torch.zeros(3, 2), seed=0).shape
        torch.Size([3, 2])
        """

        return self.run(x0, **kwargs).samples
