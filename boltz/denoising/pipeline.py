"""One call from a noisy image to a restored one: :func:`denoise`."""

from __future__ import annotations

from .._validation import check_choice, check_positive_scalar
from .anneal import anneal
from .estimate import estimate_noise_rate, estimate_parameters
from .icm import icm
from .marginals import gibbs_marginals, mean_field_marginals
from .mincut import map_mincut
from .noise import check_noise_rate, check_noisy_image
from .posterior import DenoisingPosterior
from .result import DenoiseResult

__all__ = ["denoise", "build_posterior", "METHODS"]

#: Method names accepted by :func:`denoise` and ``boltz denoise --method``.
METHODS = ("map", "icm", "anneal", "mpm", "mean-field")


def build_posterior(noisy, noise: float | None = None, beta: float | None = None,
                    neighbourhood: int = 4, seed=0) -> DenoisingPosterior:
    """The posterior for ``noisy``, estimating whatever is not given.

    ``noise`` (flip rate in (0, 0.5)) defaults to :func:`estimate_noise_rate`;
    ``beta`` (and the field ``h``) default to the pseudo-likelihood EM of
    :func:`estimate_parameters`. With both given, ``h = 0``.

    Parameters
    ----------
    noisy : array_like of int, shape (H, W)
        The observed spin image (values in {-1, +1}).
    noise : float, optional
        Flip rate in (0, 0.5) (default: estimated).
    beta : float, optional
        Pixel coupling (default: estimated).
    neighbourhood : {4, 8}, default 4
        Grid neighbourhood.
    seed : int, numpy.random.Generator or None, default 0
        Random seed of the estimation.

    Returns
    -------
    DenoisingPosterior
        The posterior.

    Examples
    --------
    >>> import numpy as np
    >>> post = build_posterior(np.ones((4, 4)), noise=0.1, beta=1.0)
    >>> post.beta, post.h
    (1.0, 0.0)
    """
    y = check_noisy_image(noisy)
    if noise is not None:
        noise = check_noise_rate(noise)
    if beta is not None:
        beta = check_positive_scalar(beta, "beta", allow_zero=True)
        p = estimate_noise_rate(y) if noise is None else noise
        return DenoisingPosterior.from_noise_rate(y, p, beta=beta, neighbourhood=neighbourhood)
    est = estimate_parameters(y, neighbourhood=neighbourhood, noise=noise, seed=seed)
    return DenoisingPosterior(y, beta=est.beta, eta=est.eta, h=est.h,
                              neighbourhood=neighbourhood)


def denoise(noisy, method: str = "map", noise: float | None = None, beta: float | None = None,
            neighbourhood: int = 4, seed=0) -> DenoiseResult:
    """Restore a noisy spin image with ``method`` in :data:`METHODS`.

    ``"map"`` exact MAP (min-cut), ``"icm"``, ``"anneal"``, ``"mpm"`` (Gibbs
    marginals thresholded at 1/2), ``"mean-field"`` (mean-field marginals).
    Parameters not given are estimated from the image (:func:`build_posterior`).
    ``result.info["model"]`` is the posterior used.

    Parameters
    ----------
    noisy : array_like of int, shape (H, W)
        The observed spin image (values in {-1, +1}).
    method : {"map", "icm", "anneal", "mpm", "mean-field"}, default "map"
        Restoration method.
    noise : float, optional
        Flip rate in (0, 0.5) (default: estimated).
    beta : float, optional
        Pixel coupling (default: estimated).
    neighbourhood : {4, 8}, default 4
        Grid neighbourhood.
    seed : int, numpy.random.Generator or None, default 0
        Random seed of the estimation.

    Returns
    -------
    DenoiseResult
        The restored image.

    Examples
    --------
    >>> from boltz.datasets import binary_image
    >>> from boltz.denoising import add_flip_noise
    >>> clean = binary_image("letters", 64)
    >>> res = denoise(add_flip_noise(clean, 0.1, seed=0), noise=0.1, beta=1.0)
    >>> res.error_rate(clean) < 0.02
    True
    """
    check_choice(method, "method", set(METHODS))
    model = build_posterior(noisy, noise=noise, beta=beta, neighbourhood=neighbourhood,
                            seed=seed)
    if method == "map":
        res = map_mincut(model)
    elif method == "icm":
        res = icm(model)
    elif method == "anneal":
        res = anneal(model, seed=seed)
    elif method == "mpm":
        res = gibbs_marginals(model, seed=seed)
    else:
        res = mean_field_marginals(model)
    res.info["model"] = model
    return res
