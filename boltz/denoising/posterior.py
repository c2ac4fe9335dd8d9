"""The Ising posterior of a clean binary image given a noisy one.

For a noisy image ``y`` in {-1, +1}^(H x W) the restored image ``x`` has the
posterior (Bishop, PRML §8.3.3; Geman & Geman 1984)

    p(x | y) ∝ exp(β Σ_<ij> x_i x_j + η Σ_i x_i y_i + h Σ_i x_i),

i.e. the energy ``E(x) = -β Σ_<ij> x_i x_j - η Σ_i x_i y_i - h Σ_i x_i``, where
``<ij>`` runs over the 4- or 8-neighbourhood pairs of the pixel grid (free
boundary, each pair once). Independent flips with probability ``p`` give
``η = ½ log((1 - p) / p)``, the log-likelihood ratio of a kept pixel.

The model is a :class:`~boltz.density.DiscreteDensity` over the flattened
image (``n_variables = H * W``, support (-1, 1)), so :mod:`boltz.exact` can
enumerate small ones; :meth:`DenoisingPosterior.energy_image` and friends take
2D images directly.

Example
-------
>>> import numpy as np
>>> y = np.array([[1, 1, -1], [1, -1, -1]])
>>> post = DenoisingPosterior.from_noise_rate(y, 0.1, beta=1.0)
>>> round(post.eta, 4)
1.0986
>>> float(post.energy_image(y)) == float(post.energy(y.reshape(1, -1))[0])
True
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_array,
    check_choice,
    check_finite_scalar,
    check_probability,
    check_spins,
)
from ..density import DiscreteDensity

__all__ = [
    "DenoisingPosterior",
    "NEIGHBOURHOODS",
    "neighbour_offsets",
    "neighbour_sum",
    "eta_from_noise_rate",
    "noise_rate_from_eta",
    "check_noise_rate",
    "check_noisy_image",
    "add_flip_noise",
]

#: Supported neighbourhoods (number of neighbours of an interior pixel).
NEIGHBOURHOODS = (4, 8)

# Forward offsets (each undirected pair once); the backward ones are their negatives.
_FORWARD = {4: ((0, 1), (1, 0)), 8: ((0, 1), (1, 0), (1, 1), (1, -1))}


def neighbour_offsets(neighbourhood: int, *, both_directions: bool = False) -> tuple:
    """Row/column offsets ``(dr, dc)`` of a neighbourhood.

    With ``both_directions=False`` each undirected pair appears once (forward
    offsets); with ``True`` the list holds the forward offsets followed by their
    negatives, so offset ``k`` and ``(k + K/2) % K`` are opposite.
    """
    check_choice(neighbourhood, "neighbourhood", set(NEIGHBOURHOODS))
    fwd = _FORWARD[neighbourhood]
    if not both_directions:
        return fwd
    return fwd + tuple((-dr, -dc) for dr, dc in fwd)


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

    >>> round(eta_from_noise_rate(0.1), 6)
    1.098612
    """
    p = check_noise_rate(p, "noise")
    return 0.5 * float(np.log1p(-p) - np.log(p))


def noise_rate_from_eta(eta) -> float:
    """Inverse of :func:`eta_from_noise_rate`: ``p = 1 / (1 + exp(2 η))``.

    Negative ``η`` (observations anti-correlated with the image) gives ``p > 0.5``.
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

    >>> img = np.ones((4, 4), dtype=np.int8)
    >>> noisy = add_flip_noise(img, 0.25, seed=0)
    >>> noisy.shape, set(np.unique(noisy)) <= {-1, 1}
    ((4, 4), True)
    """
    from .._validation import check_rng

    x = check_noisy_image(image, "image")
    p = check_probability(p, "p")
    if p >= 0.5:
        raise ValueError(f"p must be below 0.5 to leave any signal, got {p}")
    rng = check_rng(seed)
    flip = rng.random(x.shape) < p
    return np.where(flip, -x, x).astype(np.int8)


def _pair_sum(x: np.ndarray, neighbourhood: int) -> np.ndarray:
    """``Σ_<ij> x_i x_j`` for a batch of images ``(n, H, W)``, each pair once."""
    total = np.zeros(x.shape[0], dtype=np.float64)
    H, W = x.shape[1:]
    for dr, dc in neighbour_offsets(neighbourhood):  # dr >= 0 for forward offsets
        c0, c1 = max(0, -dc), W - max(0, dc)
        a = x[:, : H - dr, c0:c1]
        b = x[:, dr:, c0 + dc: c1 + dc]
        total += np.einsum("nij,nij->n", a, b)
    return total


def neighbour_sum(x: np.ndarray, neighbourhood: int) -> np.ndarray:
    """``Σ_{j ~ i} x_j`` for every pixel of a batch ``(n, H, W)`` (free boundary)."""
    s = np.zeros_like(x, dtype=np.float64)
    H, W = x.shape[1:]
    for dr, dc in neighbour_offsets(neighbourhood, both_directions=True):
        r0, r1 = max(0, -dr), H - max(0, dr)
        c0, c1 = max(0, -dc), W - max(0, dc)
        s[:, r0:r1, c0:c1] += x[:, r0 + dr: r1 + dr, c0 + dc: c1 + dc]
    return s


class DenoisingPosterior(DiscreteDensity):
    """Posterior ``p(x | y)`` of a binary image under an Ising prior and flip noise.

    Parameters
    ----------
    noisy : array (H, W)
        The observed image, values in {-1, +1}.
    beta : float >= 0
        Coupling of neighbouring pixels (smoothness of the prior).
    eta : float >= 0
        Coupling of each pixel to its observation (``η = ½ log((1-p)/p)``).
    h : float
        Uniform external field (a prior bias towards +1 when positive).
    neighbourhood : 4 or 8
        Grid neighbourhood; with 8 the diagonal pairs share the same ``beta``.

    The energy is ``E(x) = -β Σ_<ij> x_i x_j - η Σ x_i y_i - h Σ x_i``; the
    density interface sees flattened images ``(n, H*W)``.

    Example
    -------
    >>> y = np.array([[1, -1], [1, 1]])
    >>> post = DenoisingPosterior(y, beta=0.5, eta=1.0)
    >>> post.n_variables, post.support
    (4, (-1, 1))
    >>> float(post.energy_image(np.ones((2, 2))))
    -4.0
    """

    support = (-1, 1)

    def __init__(self, noisy, beta: float = 1.0, eta: float = 1.0, h: float = 0.0,
                 neighbourhood: int = 4):
        self.noisy = check_noisy_image(noisy, "noisy")
        self.beta = check_finite_scalar(beta, "beta")
        self.eta = check_finite_scalar(eta, "eta")
        self.h = check_finite_scalar(h, "h")
        self.neighbourhood = check_choice(neighbourhood, "neighbourhood", set(NEIGHBOURHOODS))
        self.shape = tuple(self.noisy.shape)
        self.n_variables = int(self.noisy.size)

    # -- constructors ------------------------------------------------------
    @classmethod
    def from_noise_rate(cls, noisy, noise: float, beta: float = 1.0, h: float = 0.0,
                        neighbourhood: int = 4) -> DenoisingPosterior:
        """Posterior for independent pixel flips with probability ``noise`` in (0, 0.5)."""
        return cls(noisy, beta=beta, eta=eta_from_noise_rate(noise), h=h,
                   neighbourhood=neighbourhood)

    @classmethod
    def estimate(cls, noisy, neighbourhood: int = 4, **kwargs) -> DenoisingPosterior:
        """Posterior with ``β``, ``η`` (noise rate) and ``h`` estimated from ``noisy`` itself.

        See :func:`boltz.denoising.estimate_parameters` for the method and keyword arguments.
        """
        from .estimate import estimate_parameters

        est = estimate_parameters(noisy, neighbourhood=neighbourhood, **kwargs)
        return cls(noisy, beta=est.beta, eta=est.eta, h=est.h, neighbourhood=neighbourhood)

    @property
    def noise_rate(self) -> float:
        """The flip probability ``1 / (1 + exp(2 η))`` that ``eta`` corresponds to."""
        return noise_rate_from_eta(self.eta)

    # -- fields and energies ----------------------------------------------
    def external_field(self) -> np.ndarray:
        """Per-pixel field ``η y_i + h`` as a float64 ``(H, W)`` array."""
        return self.eta * self.noisy.astype(np.float64) + self.h

    def _as_images(self, x, name="x") -> np.ndarray:
        arr = check_array(x, name, dtype=np.float64)
        if arr.shape == self.shape:
            arr = arr[None]
        elif arr.ndim == 2 and arr.shape[1] == self.n_variables:
            arr = arr.reshape(arr.shape[0], *self.shape)
        elif arr.ndim != 3 or arr.shape[1:] != self.shape:
            raise ValueError(
                f"{name} must be an image of shape {self.shape}, a batch of them, or a batch "
                f"of flattened images (n, {self.n_variables}); got shape {arr.shape}"
            )
        check_spins(arr, name)
        return arr

    def energy(self, x) -> np.ndarray:
        """Energies of a batch of flattened images ``(n, H*W)`` (or images ``(n, H, W)``)."""
        imgs = self._as_images(x)
        field = self.external_field()
        return (-self.beta * _pair_sum(imgs, self.neighbourhood)
                - np.einsum("nij,ij->n", imgs, field))

    def energy_image(self, x) -> float:
        """Energy of one ``(H, W)`` image."""
        arr = check_array(x, "x", dtype=np.float64, shape=self.shape)
        return float(self.energy(arr[None])[0])

    def local_field(self, x) -> np.ndarray:
        """``β Σ_{j~i} x_j + η y_i + h`` for each pixel of one image ``x`` (H, W).

        The conditional of one pixel is ``p(x_i = +1 | rest) = σ(2 · local_field_i)``.
        """
        imgs = self._as_images(x)
        if imgs.shape[0] != 1:
            raise ValueError("local_field takes one image")
        return self.beta * neighbour_sum(imgs, self.neighbourhood)[0] + self.external_field()

    def __repr__(self):
        return (f"DenoisingPosterior(shape={self.shape}, beta={self.beta:.4g}, "
                f"eta={self.eta:.4g} (noise rate {self.noise_rate:.4g}), "
                f"h={self.h:.4g}, neighbourhood={self.neighbourhood})")
