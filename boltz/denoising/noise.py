"""Independent flip noise on binary images: the noise rate, its log-likelihood ratio
``η = ½ log((1 - p) / p)``, adding noise, and validating noisy spin images.

Examples
--------
>>> import numpy as np
>>> round(eta_from_noise_rate(0.1), 4), round(noise_rate_from_eta(1.0986), 4)
(1.0986, 0.1)
>>> add_flip_noise(np.ones((2, 3), dtype=np.int8), 0.2, seed=0).shape
(2, 3)
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_array,
    check_finite_scalar,
    check_probability,
    check_rng,
    check_spins,
)

__all__ = ["check_noise_rate", "eta_from_noise_rate", "noise_rate_from_eta",
           "check_noisy_image", "add_flip_noise"]


def check_noise_rate(p, name: str = "noise") -> float:
    """Check a flip-noise rate lies in (0, 0.5)."""
    p = check_finite_scalar(p, name)
    if not 0.0 < p < 0.5:
        raise ValueError(
            f"{name} must be a flip probability in (0, 0.5) (0.5 means the image carries "
            f"no information, 0 means no noise), got {p}"
        )
    return p


def eta_from_noise_rate(p) -> float:
    """Likelihood coupling ``η = ½ log((1 - p) / p)`` of a flip-noise rate ``p`` in (0, 0.5).

    Parameters
    ----------
    p : float
        Flip probability in (0, 0.5).

    Returns
    -------
    float
        ``eta``.

    Examples
    --------
    >>> round(eta_from_noise_rate(0.1), 6)
    1.098612
    """
    p = check_noise_rate(p, "noise")
    return 0.5 * float(np.log1p(-p) - np.log(p))


def noise_rate_from_eta(eta) -> float:
    """Inverse of :func:`eta_from_noise_rate`: ``p = 1 / (1 + exp(2 η))``.

    Negative ``η`` (observations anti-correlated with the image) gives ``p > 0.5``.

    Parameters
    ----------
    eta : float
        Coupling to the observation.

    Returns
    -------
    float
        ``p``.

    Examples
    --------
    >>> round(noise_rate_from_eta(eta_from_noise_rate(0.1)), 12)
    0.1
    """
    eta = check_finite_scalar(eta, "eta")
    return float(0.5 * (1.0 - np.tanh(eta)))


def check_noisy_image(y, name: str = "noisy") -> np.ndarray:
    """Validate a 2D spin image (values in {-1, +1}) and return it as int8."""
    arr = check_array(y, name, ndim=2, dtype=np.float64)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    check_spins(arr, name)
    return arr.astype(np.int8)


def add_flip_noise(image, p, seed=None) -> np.ndarray:
    """Flip each pixel of a spin image independently with probability ``p``.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Spin image.
    p : float
        Flip probability in [0, 1].
    seed : int, numpy.random.Generator or None
        Random seed.

    Returns
    -------
    numpy.ndarray of int8, shape (H, W)
        The noisy image.

    Examples
    --------
    >>> img = np.ones((4, 4), dtype=np.int8)
    >>> noisy = add_flip_noise(img, 0.25, seed=0)
    >>> noisy.shape, set(np.unique(noisy)) <= {-1, 1}
    ((4, 4), True)
    """
    x = check_noisy_image(image, "image")
    p = check_probability(p, "p")
    if p >= 0.5:
        raise ValueError(f"p must be below 0.5 to leave any signal, got {p}")
    rng = check_rng(seed)
    flip = rng.random(x.shape) < p
    return np.where(flip, -x, x).astype(np.int8)
