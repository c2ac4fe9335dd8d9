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

Examples
--------
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

from .._validation import check_array, check_choice, check_finite_scalar, check_spins
from ..density import DiscreteDensity
from .neighbourhood import NEIGHBOURHOODS, neighbour_offsets, neighbour_sum, pair_sum
from .noise import (
    add_flip_noise,
    check_noise_rate,
    check_noisy_image,
    eta_from_noise_rate,
    noise_rate_from_eta,
)

# the grid and noise helpers are re-exported: they were defined here before #17
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

    Examples
    --------
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
        """Posterior for independent pixel flips with probability ``noise`` in (0, 0.5).

        Parameters
        ----------
        noisy : array_like of int, shape (H, W)
            The observed spin image (values in {-1, +1}).
        noise : float
            Flip probability in (0, 0.5).
        beta : float, default 1.0
            Pixel coupling.
        h : float, default 0.0
            Uniform field.
        neighbourhood : {4, 8}, default 4
            Grid neighbourhood.

        Returns
        -------
        DenoisingPosterior
            With ``eta = 1/2 log((1 - noise) / noise)``.

        Examples
        --------
        >>> import numpy as np
        >>> post = DenoisingPosterior.from_noise_rate(np.ones((2, 2)), 0.1)
        >>> round(post.eta, 6)
        1.098612
        """
        return cls(noisy, beta=beta, eta=eta_from_noise_rate(noise), h=h,
                   neighbourhood=neighbourhood)

    @classmethod
    def estimate(cls, noisy, neighbourhood: int = 4, **kwargs) -> DenoisingPosterior:
        """Posterior with ``β``, ``η`` (noise rate) and ``h`` estimated from ``noisy`` itself.

        See :func:`boltz.denoising.estimate_parameters` for the method and keyword arguments.

        Parameters
        ----------
        noisy : array_like of int, shape (H, W)
            The observed spin image (values in {-1, +1}).
        neighbourhood : {4, 8}, default 4
            Grid neighbourhood.
        **kwargs
            Arguments of :func:`boltz.denoising.estimate_parameters`.

        Returns
        -------
        DenoisingPosterior
            The posterior with the estimated parameters.

        Examples
        --------
        >>> from boltz.datasets import binary_image
        >>> from boltz.denoising import add_flip_noise
        >>> y = add_flip_noise(binary_image("rings", 32), 0.1, seed=0)
        >>> post = DenoisingPosterior.estimate(y, n_iter=2, seed=0)
        >>> 0 < post.noise_rate < 0.5
        True
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
        """Per-pixel field ``η y_i + h`` as a float64 ``(H, W)`` array.

        Returns
        -------
        numpy.ndarray, shape (H, W)
            ``eta y_i + h``.

        Examples
        --------
        >>> import numpy as np
        >>> post = DenoisingPosterior(np.array([[1, -1], [1, 1]]), beta=0.5, eta=1.0)
        >>> post.external_field().tolist()
        [[1.0, -1.0], [1.0, 1.0]]
        """
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
        """Energies of a batch of flattened images ``(n, H*W)`` (or images ``(n, H, W)``).

        Parameters
        ----------
        x : array_like, shape (n, H * W), (n, H, W) or (H, W)
            Spin images.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``E(x)``.

        Examples
        --------
        >>> import numpy as np
        >>> post = DenoisingPosterior(np.array([[1, -1], [1, 1]]), beta=0.5, eta=1.0)
        >>> post.energy(np.ones((1, 4))).tolist()
        [-4.0]
        """
        imgs = self._as_images(x)
        field = self.external_field()
        return (-self.beta * pair_sum(imgs, self.neighbourhood)
                - np.einsum("nij,ij->n", imgs, field))

    def energy_image(self, x) -> float:
        """Energy of one ``(H, W)`` image.

        Parameters
        ----------
        x : array_like, shape (H, W)
            One spin image.

        Returns
        -------
        float
            ``E(x)``.

        Examples
        --------
        >>> import numpy as np
        >>> post = DenoisingPosterior(np.array([[1, -1], [1, 1]]), beta=0.5, eta=1.0)
        >>> post.energy_image(-np.ones((2, 2)))  # -0.5 * 4 pairs + 1.0 * (3 - 1)
        0.0
        """
        arr = check_array(x, "x", dtype=np.float64, shape=self.shape)
        return float(self.energy(arr[None])[0])

    def local_field(self, x) -> np.ndarray:
        """``β Σ_{j~i} x_j + η y_i + h`` for each pixel of one image ``x`` (H, W).

        The conditional of one pixel is ``p(x_i = +1 | rest) = σ(2 · local_field_i)``.

        Parameters
        ----------
        x : array_like, shape (H, W)
            One spin image.

        Returns
        -------
        numpy.ndarray, shape (H, W)
            The local field of each pixel.

        Examples
        --------
        >>> import numpy as np
        >>> post = DenoisingPosterior(np.array([[1, -1], [1, 1]]), beta=0.5, eta=1.0)
        >>> post.local_field(np.ones((2, 2))).tolist()
        [[2.0, 0.0], [2.0, 2.0]]
        """
        imgs = self._as_images(x)
        if imgs.shape[0] != 1:
            raise ValueError("local_field takes one image")
        return self.beta * neighbour_sum(imgs, self.neighbourhood)[0] + self.external_field()

    def __repr__(self):
        return (f"DenoisingPosterior(shape={self.shape}, beta={self.beta:.4g}, "
                f"eta={self.eta:.4g} (noise rate {self.noise_rate:.4g}), "
                f"h={self.h:.4g}, neighbourhood={self.neighbourhood})")
