"""Sampling from noise-conditional score models: annealed Langevin, the probability-flow ODE,
and inpainting.

- :func:`sample_annealed`: annealed Langevin dynamics over a few discrete levels
  (Song & Ermon 2019, Alg. 1), for models trained on those levels.
- :func:`sample_probability_flow`: Heun's method on the probability-flow ODE of
  the variance-exploding diffusion, ``dx/dsigma = -sigma s(x, sigma)``, over
  the noise schedule of Karras et al. 2022 (their Alg. 1), for models trained on
  a continuum of levels (``DenoisingScoreMatching(continuous=True)``).
- :func:`inpaint`: fill in masked pixels given the others (Song & Ermon 2019, Sec. 5).

All end with the denoising step ``x + sigma^2 s(x, sigma)`` (Tweedie's formula).
The model is anything with ``score_at(x, sigma)``, ``denoise``, ``at_noise``,
``device`` and ``event_shape`` (:class:`~boltz.deep.score_models.ScoreModule`).

Examples
--------
>>> import torch
>>> from boltz.deep.score_models import NoiseConditionalScoreNet
>>> net = NoiseConditionalScoreNet(size=8, width=4)
>>> sample_probability_flow(net, 2, sigma_max=5.0, n_steps=3, seed=0).shape
torch.Size([2, 1, 8, 8])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from .._validation import check_positive_int, check_positive_scalar
from ._utils import make_generator
from .samplers import AnnealedLangevinSampler

if TYPE_CHECKING:
    from .score_models import ScoreModule

__all__ = ["sample_annealed", "sample_probability_flow", "inpaint", "karras_sigmas"]


def karras_sigmas(sigma_max: float, sigma_min: float, n_steps: int, rho: float = 7.0):
    """The noise levels of Karras et al. 2022 (Eq. 5), ending with 0.

    ``sigma_i = (sigma_max^(1/rho) + i / (N - 1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho``
    for ``i < N``, then ``sigma_N = 0``: steps crowd near ``sigma_min`` as ``rho`` grows.

    Parameters
    ----------
    sigma_max, sigma_min : float
        First and last positive level.
    n_steps : int
        ``N``: the number of positive levels (at least 2).
    rho : float, default 7
        Curvature of the schedule.

    Returns
    -------
    list of float
        ``N + 1`` decreasing levels, the last one 0.

    Examples
    --------
    >>> [round(s, 3) for s in karras_sigmas(10.0, 0.1, 3)]
    [10.0, 1.451, 0.1, 0.0]
    """
    hi = check_positive_scalar(sigma_max, "sigma_max")
    lo = check_positive_scalar(sigma_min, "sigma_min")
    n = check_positive_int(n_steps, "n_steps")
    rho = check_positive_scalar(rho, "rho")
    if n < 2:
        raise ValueError(f"n_steps must be at least 2, got {n}")
    if not hi > lo:
        raise ValueError(f"sigma_max must be > sigma_min, got {hi} <= {lo}")
    a, b = hi ** (1.0 / rho), lo ** (1.0 / rho)
    return [float((a + i / (n - 1) * (b - a)) ** rho) for i in range(n)] + [0.0]


def sample_probability_flow(model, n: int, *, sigma_max: float, sigma_min: float = 0.01,
                            n_steps: int = 18, rho: float = 7.0, seed=None, init=None,
                            batch_size: int = 500, clamp=(0.0, 1.0)) -> torch.Tensor:
    """``n`` samples by Heun's method on the probability-flow ODE (Karras et al. 2022, Alg. 1).

    The variance-exploding diffusion ``x_sigma = x + sigma z`` has the same
    marginals as the ODE ``dx / dsigma = -sigma s(x, sigma)`` (Song et al.
    2021, Eq. 13). Starting from ``N(0, sigma_max^2 I)`` (the data are
    negligible next to ``sigma_max``), the ODE is integrated down the levels of
    :func:`karras_sigmas` with Heun's second-order method; the last step, to
    ``sigma = 0``, is one Euler step, i.e. Tweedie's denoising step. It costs
    ``2 n_steps - 1`` score evaluations per sample.

    Parameters
    ----------
    model : ScoreModule
        A score model trained on levels covering ``[sigma_min, sigma_max]``.
    n : int
        Samples.
    sigma_max : float
        First level: at least about the largest distance between two data points
        (Song & Ermon 2020) so that the start covers the data.
    sigma_min : float, default 0.01
        Last positive level.
    n_steps : int, default 18
        Positive levels (Karras et al. use 18 on CIFAR-10).
    rho : float, default 7
        Schedule curvature.
    seed : int, torch.Generator or None
        Random seed of the start states.
    init : torch.Tensor, optional
        Start states at ``sigma_max`` (default: ``sigma_max`` times standard normal noise).
    batch_size : int, default 500
        Chains integrated together.
    clamp : (float, float) or None
        Clip the returned samples to this range.

    Returns
    -------
    torch.Tensor, shape (n, *event_shape)
        The samples, on the model's device.

    Examples
    --------
    >>> from boltz.deep.score_models import NoiseConditionalScoreNet
    >>> net = NoiseConditionalScoreNet(size=8, width=4)
    >>> sample_probability_flow(net, 3, sigma_max=5.0, n_steps=4, seed=0, clamp=None).shape
    torch.Size([3, 1, 8, 8])
    """
    n = check_positive_int(n, "n")
    batch_size = check_positive_int(batch_size, "batch_size")
    sigmas = karras_sigmas(sigma_max, sigma_min, n_steps, rho)
    dev = model.device
    gen = make_generator(seed, dev)
    if init is not None and (not torch.is_tensor(init) or init.shape[0] < n):
        raise ValueError(f"init must be a tensor with at least n={n} rows")
    # every start drawn at once, so the samples do not depend on batch_size
    x0 = (sigmas[0] * torch.randn((n, *model.event_shape), generator=gen, device=dev,
                                  dtype=model.dtype) if init is None else init[:n])
    out = [_heun(model, x0[i:i + batch_size].to(dev), sigmas) for i in range(0, n, batch_size)]
    x = torch.cat(out)
    return x.clamp(*clamp) if clamp is not None else x


@torch.no_grad()
def _heun(model, x, sigmas):
    """Integrate ``dx/dsigma = -sigma s(x, sigma)`` down ``sigmas`` (Heun; Euler to 0)."""
    slope = -sigmas[0] * model.score_at(x, sigmas[0])
    for s, s_next in zip(sigmas[:-1], sigmas[1:], strict=True):
        x_euler = x + (s_next - s) * slope
        if s_next == 0.0:
            return x_euler
        slope_next = -s_next * model.score_at(x_euler, s_next)
        x = x + (s_next - s) * 0.5 * (slope + slope_next)
        slope = slope_next
    return x


def sample_annealed(model: ScoreModule, n: int, sigmas, *, steps_per_level: int = 20,
                    step_scale: float = 5e-5, seed=None, init=None, batch_size: int = 500,
                    denoise: bool = True, clamp=(0.0, 1.0)) -> torch.Tensor:
    """``n`` samples by annealed Langevin from uniform noise (Song & Ermon 2019, Alg. 1).

    Parameters
    ----------
    model : ScoreModule
        The score model.
    n : int
        Samples.
    sigmas : sequence of float
        Decreasing noise levels.
    steps_per_level : int, default 20
        Langevin steps per level.
    step_scale : float, default 5e-5
        ``epsilon``: the step at level ``i`` is ``epsilon sigma_i^2 / sigma_L^2``.
    seed : int, torch.Generator or None
        Random seed.
    init : torch.Tensor, optional
        Start states (default: uniform on [0, 1]).
    batch_size : int, default 500
        Chains advanced together.
    denoise : bool, default True
        End with ``x + sigma_L^2 s(x, sigma_L)``.
    clamp : (float, float) or None
        Clip the returned samples to this range.

    Returns
    -------
    torch.Tensor, shape (n, *event_shape)
        The samples, on the model's device.

    Examples
    --------
    >>> from boltz.deep.score_models import NoiseConditionalScoreNet
    >>> net = NoiseConditionalScoreNet(size=8, width=4)
    >>> sample_annealed(net, 3, [1.0, 0.1], steps_per_level=2, seed=0).shape
    torch.Size([3, 1, 8, 8])
    """
    n = check_positive_int(n, "n")
    batch_size = check_positive_int(batch_size, "batch_size")
    dev = model.device
    gen = make_generator(seed, dev)
    sampler = AnnealedLangevinSampler(model, sigmas, steps_per_level, step_scale)
    out = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        x0 = (torch.rand((m, *model.event_shape), generator=gen, device=dev) if init is None
              else init[i:i + m].to(dev))
        x = sampler.sample(x0, seed=gen)
        if denoise:
            x = model.denoise(x, sampler.sigmas[-1])
        out.append(x.detach())
    x = torch.cat(out)
    return x.clamp(*clamp) if clamp is not None else x


def inpaint(model: ScoreModule, images: torch.Tensor, mask: torch.Tensor, sigmas, *,
            steps_per_level: int = 20, step_scale: float = 5e-5, seed=None,
            denoise: bool = True) -> torch.Tensor:
    """Fill in the pixels outside ``mask`` given those inside (Song & Ermon 2019, Alg. 2).

    At level ``sigma_i`` the known pixels are ``images + sigma_i z`` (one draw
    per level) and only the unknown ones follow the Langevin dynamics.

    Parameters
    ----------
    model : ScoreModule
        The score model.
    images : torch.Tensor, shape (n, *event_shape)
        Images whose pixels in ``mask`` are known.
    mask : torch.Tensor of bool
        True where the pixel is known (broadcast against ``images``).
    sigmas : sequence of float
        Decreasing noise levels.
    steps_per_level : int, default 20
        Langevin steps per level.
    step_scale : float, default 5e-5
        ``epsilon`` of the step ``epsilon sigma_i^2 / sigma_L^2``.
    seed : int, torch.Generator or None
        Random seed.
    denoise : bool, default True
        End with one denoising step on the unknown pixels.

    Returns
    -------
    torch.Tensor
        The completed images in [0, 1]; the known pixels are the given ones.

    Examples
    --------
    >>> from boltz.deep.score_models import NoiseConditionalScoreNet
    >>> net = NoiseConditionalScoreNet(size=8, width=4)
    >>> mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool); mask[..., :4, :] = True
    >>> inpaint(net, torch.rand(2, 1, 8, 8), mask, [1.0, 0.1], steps_per_level=2, seed=0).shape
    torch.Size([2, 1, 8, 8])
    """
    dev = model.device
    images = images.to(dev)
    mask = torch.as_tensor(mask, dtype=torch.bool, device=dev).expand_as(images)
    gen = make_generator(seed, dev)

    def level(sigma):
        known = images + sigma * torch.randn(images.shape, generator=gen, device=dev)
        return model.at_noise(sigma, known=known, mask=mask)

    sampler = AnnealedLangevinSampler(level, sigmas, steps_per_level, step_scale)
    x0 = torch.rand(images.shape, generator=gen, device=dev)
    x = torch.where(mask, images, sampler.sample(x0, seed=gen))
    if denoise:
        x = torch.where(mask, images, model.denoise(x, sampler.sigmas[-1]))
    return x.clamp(0.0, 1.0)
