"""Estimating the noise rate, coupling and field from the noisy image itself.

**Noise rate** (a moment estimator, no fitting): with independent flips of
rate ``p`` the observed correlations are those of the clean image shrunk by
``(1 - 2p)^2``, ``E[y_i y_j] = (1 - 2p)^2 E[x_i x_j]`` for ``i ≠ j``, while a clean
image made of regions has ``E[x_i x_{i+k}] ≈ 1 - c k`` at short lags ``k``.
Extrapolating the lag-1 and lag-2 correlations linearly to lag 0 (the
"nugget" of the variogram) gives ``(1 - 2p)^2 ≈ 2 C_1 - C_2``.

**Coupling and field** (Monte Carlo EM with a pseudo-likelihood M-step;
Chalmond 1989, Besag 1986): alternate a few Gibbs sweeps of the posterior
``p(x | y; β, h, p)`` (E-step, one sample) with a Newton fit of ``(β, h)`` that
maximises the pseudo-likelihood ``Σ_i log σ(2 x_i (β Σ_{j~i} x_j + h))`` of the
current sample (M-step). The estimates of the last half of the iterations
are averaged. The pseudo-likelihood of a very smooth image has no finite
maximum (the regions are perfectly predictable), so ``β`` is kept below
``beta_max`` (default ``6 / K`` for K neighbours, where the restoration is
already insensitive to it).

Examples
--------
>>> from boltz.datasets import binary_image
>>> from boltz.denoising import add_flip_noise
>>> y = add_flip_noise(binary_image("shapes", 128), 0.1, seed=0)
>>> est = estimate_parameters(y, seed=0)
>>> 0.08 < est.noise_rate < 0.12
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_rng,
)
from .neighbourhood import NEIGHBOURHOODS, neighbour_sum
from .noise import check_noise_rate, check_noisy_image, eta_from_noise_rate

__all__ = ["NoiseEstimate", "estimate_noise_rate", "estimate_parameters", "fit_pseudo_likelihood"]

#: Noise rates are kept in this range (0.5 would mean no signal at all).
NOISE_RATE_RANGE = (1e-3, 0.45)


@dataclass(frozen=True)
class NoiseEstimate:
    """Estimated posterior parameters: ``beta``, ``h``, ``noise_rate`` and ``eta``.

    Attributes
    ----------
    beta : float
        Pixel coupling.
    h : float
        Uniform field.
    noise_rate : float
        Flip probability.
    eta : float
        Coupling to the observation.
    info : dict
        Details of the fit (iterations, ...).

    Examples
    --------
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import add_flip_noise, estimate_parameters
    >>> est = estimate_parameters(add_flip_noise(binary_image("rings", 32), 0.1, seed=0), n_iter=2)
    >>> 0 < est.noise_rate < 0.5
    True
    """

    beta: float
    h: float
    noise_rate: float
    eta: float
    info: dict


def _lag_correlation(y: np.ndarray, lag: int) -> float:
    """Mean of ``y_i y_j`` over horizontal and vertical pairs ``lag`` apart."""
    H, W = y.shape
    prods = []
    if W > lag:
        prods.append((y[:, lag:] * y[:, :-lag]).ravel())
    if H > lag:
        prods.append((y[lag:] * y[:-lag]).ravel())
    if not prods:
        raise ValueError(f"noisy must be at least 3 pixels long on one side, got shape {y.shape}")
    return float(np.concatenate(prods).mean())


def estimate_noise_rate(noisy) -> float:
    """Flip-noise rate of a noisy binary image from its short-range correlations.

    ``(1 - 2p)^2 = 2 C_1 - C_2`` (lag-1 and lag-2 correlations), clipped to
    ``[0.001, 0.45]``.

    Parameters
    ----------
    noisy : array_like of int, shape (H, W)
        The observed spin image (values in {-1, +1}).

    Returns
    -------
    float
        The estimated flip probability.

    Examples
    --------
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import add_flip_noise
    >>> y = add_flip_noise(binary_image("rings", 128), 0.2, seed=1)
    >>> abs(estimate_noise_rate(y) - 0.2) < 0.02
    True
    """
    y = check_noisy_image(noisy).astype(np.float64)
    c1, c2 = _lag_correlation(y, 1), _lag_correlation(y, 2)
    signal = min(max(2.0 * c1 - c2, 0.0), 1.0)
    p = 0.5 * (1.0 - np.sqrt(signal))
    return float(np.clip(p, *NOISE_RATE_RANGE))


def fit_pseudo_likelihood(x, neighbourhood: int = 4, beta: float = 0.5, h: float = 0.0,
                          n_newton: int = 5) -> tuple[float, float]:
    """Maximum pseudo-likelihood ``(β, h)`` of an Ising model on one spin image ``x``.

    Newton steps on the concave ``Σ_i log σ(2 x_i (β s_i + h))``, ``s_i = Σ_{j~i} x_j``,
    starting from ``(beta, h)``.

    Parameters
    ----------
    x : array_like, shape (H, W)
        Spin image.
    neighbourhood : {4, 8}, default 4
        Grid neighbourhood.
    beta, h : float
        Start of the Newton steps (defaults 0.5 and 0).
    n_newton : int, default 5
        Newton steps.

    Returns
    -------
    beta, h : float
        The estimates.

    Examples
    --------
    >>> import numpy as np
    >>> beta, h = fit_pseudo_likelihood(np.ones((8, 8)) * np.array([1, -1] * 4), n_newton=3)
    >>> beta < 0  # stripes: neighbours along a row disagree
    True
    """
    x = check_noisy_image(x, "x").astype(np.float64)
    s = neighbour_sum(x[None], neighbourhood)[0].ravel()
    xv = x.ravel()
    feats = np.stack([2.0 * xv * s, 2.0 * xv], axis=1)  # d z_i / d (β, h)
    theta = np.array([beta, h], dtype=np.float64)
    for _ in range(n_newton):
        z = feats @ theta
        sig = 0.5 * (1.0 - np.tanh(0.5 * z))  # σ(-z), no overflow
        grad = feats.T @ sig
        hess = -(feats.T * (sig * (1.0 - sig))) @ feats
        hess -= 1e-9 * np.eye(2)  # keeps the solve defined for constant images
        theta = theta - np.linalg.solve(hess, grad)
        if not np.all(np.isfinite(theta)):
            raise RuntimeError("pseudo-likelihood Newton steps diverged")
    return float(theta[0]), float(theta[1])


def estimate_parameters(noisy, neighbourhood: int = 4, n_iter: int = 30, sweeps_per_iter: int = 2,
                        beta_max: float | None = None, noise: float | None = None,
                        seed=0) -> NoiseEstimate:
    """Estimate ``(β, h, noise rate)`` of the denoising posterior from ``noisy`` alone.

    The noise rate comes from :func:`estimate_noise_rate` unless ``noise`` is
    given; ``β`` and ``h`` from ``n_iter`` rounds of Monte Carlo EM with a
    pseudo-likelihood M-step (module docstring), averaged over the last half
    and with ``β`` clipped to ``[0, beta_max]``. The E-step runs
    :func:`boltz.samplers.grid.gibbs_sweeps` with one counter-based stream per
    image row: deterministic for a given ``seed``, on any number of threads.

    Parameters
    ----------
    noisy : array_like of shape (H, W)
        The noisy image, values ±1.
    neighbourhood : {4, 8}
        Grid neighbourhood of the posterior.
    n_iter : int
        EM rounds.
    sweeps_per_iter : int
        Gibbs sweeps per E-step.
    beta_max : float, optional
        Upper bound on ``β``; default ``6 / neighbourhood``.
    noise : float, optional
        Known flip-noise rate in (0, 0.5); estimated when not given.
    seed : int, numpy Generator or None
        Seeds the random streams.

    Returns
    -------
    NoiseEstimate
        ``beta``, ``h``, ``noise_rate``, ``eta``; ``info["trace"]`` holds ``(β, h)``
        after every round.

    Examples
    --------
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import add_flip_noise
    >>> est = estimate_parameters(add_flip_noise(binary_image("shapes", 64), 0.1, seed=1),
    ...                           n_iter=6, seed=0)
    >>> 0.0 < est.beta <= 1.5, len(est.info["trace"])
    (True, 6)
    """
    from ..samplers._rng import make_streams
    from ..samplers.grid import gibbs_sweeps

    y = check_noisy_image(noisy)
    check_choice(neighbourhood, "neighbourhood", set(NEIGHBOURHOODS))
    n_iter = check_positive_int(n_iter, "n_iter")
    sweeps_per_iter = check_nonnegative_int(sweeps_per_iter, "sweeps_per_iter")
    beta_max = 6.0 / neighbourhood if beta_max is None else check_positive_scalar(beta_max,
                                                                                 "beta_max")
    if noise is None:
        p = estimate_noise_rate(y)
    else:
        p = check_noise_rate(noise)
    eta = eta_from_noise_rate(p)
    rng = check_rng(seed)
    beta, h = 2.0 / neighbourhood, 0.0
    x = y.copy()
    chains = x[None]  # one chain; a view, updated in place
    streams = make_streams(rng, (1, y.shape[0]))  # one counter-based stream per row
    temps = np.ones(sweeps_per_iter)
    trace = []
    for _ in range(n_iter):
        gibbs_sweeps(chains, streams, eta * y.astype(np.float64) + h, beta, neighbourhood, temps)
        beta, h = fit_pseudo_likelihood(x, neighbourhood, beta, h)
        beta = float(np.clip(beta, 0.0, beta_max))
        trace.append((beta, h))
    tail = np.asarray(trace[len(trace) // 2:])
    beta, h = (float(v) for v in tail.mean(axis=0))
    return NoiseEstimate(beta=beta, h=h, noise_rate=p, eta=eta,
                         info={"trace": trace, "beta_max": beta_max})
