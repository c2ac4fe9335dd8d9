"""Noise-conditional score networks for images (Song & Ermon 2019, "NCSN").

A score model outputs ``s(x, sigma) ~ grad_x log p_sigma(x)``, the score of the
data convolved with ``N(0, sigma^2 I)``, directly (no energy, so training
needs no second backward pass). It is trained by
:class:`~boltz.deep.objectives.DenoisingScoreMatching` with several noise
levels (the objective calls :meth:`ScoreModule.score_at` when a model has it)
and sampled by :class:`~boltz.deep.samplers.AnnealedLangevinSampler` through
:meth:`ScoreModule.at_noise`, a view whose gradient is ``-s(x, sigma)``.

- :class:`ScoreModule`: base class (``score_at``, ``at_noise``, ``denoise``).
- :class:`NoiseConditionalScoreNet`: a small conv U-Net; the output is divided by
  ``sigma`` (Song & Ermon 2020, "NCSNv2") and the level enters through a
  per-channel scale and shift computed from ``log sigma``.
- :func:`geometric_sigmas`: the noise schedule.
- :func:`sample_annealed` and :func:`inpaint`: annealed Langevin from noise,
  and filling in masked pixels given the others (Song & Ermon 2019, Sec. 5),
  both ending with one denoising step ``x + sigma_L^2 s(x, sigma_L)``
  (Tweedie's formula; Jolicoeur-Martineau et al. 2021).

Examples
--------
>>> import torch
>>> net = NoiseConditionalScoreNet(size=28, width=4)
>>> net.score_at(torch.zeros(2, 1, 28, 28), 0.5).shape
torch.Size([2, 1, 28, 28])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_positive_int, check_positive_scalar
from .base import EnergyModule

__all__ = ["ScoreModule", "NoiseConditionalScoreNet", "geometric_sigmas", "sample_annealed",
           "sample_probability_flow", "inpaint"]


def geometric_sigmas(sigma_max: float = 1.0, sigma_min: float = 0.01, n_levels: int = 10):
    """Noise levels decreasing geometrically from ``sigma_max`` to ``sigma_min``.

    Parameters
    ----------
    sigma_max, sigma_min : float
        First (largest) and last (smallest) level.
    n_levels : int
        Number of levels.

    Returns
    -------
    list of float
        Decreasing levels.

    Examples
    --------
    >>> [round(s, 3) for s in geometric_sigmas(1.0, 0.01, 3)]
    [1.0, 0.1, 0.01]
    """
    hi = check_positive_scalar(sigma_max, "sigma_max")
    lo = check_positive_scalar(sigma_min, "sigma_min")
    n = check_positive_int(n_levels, "n_levels")
    if not hi >= lo:
        raise ValueError(f"sigma_max must be >= sigma_min, got {hi} < {lo}")
    return [float(s) for s in np.geomspace(hi, lo, n)]


class _ScoreView(EnergyModule):
    """The score model at one level, as an "energy" whose input gradient is ``-score``.

    The value ``-<x, s(x)>`` with ``s`` computed without a graph is *not* an
    energy (scores of images need not be conservative); only its gradient, the
    detached ``-s``, is used by the Langevin kernels. Pixels where ``mask`` is
    True are replaced by ``known`` before the network sees them (inpainting).
    """

    def __init__(self, base, sigma, known=None, mask=None):
        super().__init__()
        self.base = base
        self.sigma = float(sigma)
        self.event_shape = base.event_shape
        self.known, self.mask = known, mask

    def forward(self, x):
        if self.mask is not None:
            x = torch.where(self.mask, self.known, x)
        with torch.no_grad():
            s = self.base.score_at(x.detach(), self.sigma)
        return -(x * s).reshape(x.shape[0], -1).sum(1)


class ScoreModule(nn.Module):
    """Base class of noise-conditional score models: subclasses implement :meth:`score_at`.

    Attributes
    ----------
    event_shape : tuple
        Shape of one sample.

    Examples
    --------
    >>> class Gaussian(ScoreModule):  # N(0, I) data: score at sigma is -x / (1 + sigma^2)
    ...     event_shape = (2,)
    ...     def score_at(self, x, sigma):
    ...         return -x / (1.0 + torch.as_tensor(sigma).reshape(-1, 1) ** 2)
    >>> Gaussian().score_at(torch.ones(1, 2), 1.0).tolist()
    [[-0.5, -0.5]]
    """

    event_shape: tuple = ()

    def __init__(self):
        super().__init__()

    @property
    def dtype(self) -> torch.dtype:
        """Dtype of the parameters (or buffers; the default dtype without either)."""
        for t in (*self.parameters(), *self.buffers()):
            return t.dtype
        return torch.get_default_dtype()

    @property
    def device(self) -> torch.device:
        """Device of the parameters (or buffers; the CPU without either)."""
        for t in (*self.parameters(), *self.buffers()):
            return t.device
        return torch.device("cpu")

    def score_at(self, x: torch.Tensor, sigma) -> torch.Tensor:
        """Score ``grad_x log p_sigma(x)`` at level(s) ``sigma`` (scalar or ``(n,)``).

        Parameters
        ----------
        x : torch.Tensor, shape (n, *event_shape)
            Noisy samples.
        sigma : float or torch.Tensor of shape (n,)
            Noise level(s).

        Returns
        -------
        torch.Tensor
            Same shape as ``x``.

        Examples
        --------
        >>> net = NoiseConditionalScoreNet(size=8, width=4)
        >>> net.score_at(torch.zeros(1, 1, 8, 8), 1.0).shape
        torch.Size([1, 1, 8, 8])
        """
        raise NotImplementedError

    def at_noise(self, sigma, known=None, mask=None) -> EnergyModule:
        """A view at level ``sigma`` for the Langevin samplers (its gradient is ``-score``).

        Parameters
        ----------
        sigma : float
            Noise level.
        known : torch.Tensor, optional
            Values of the pixels where ``mask`` is True (inpainting).
        mask : torch.Tensor of bool, optional
            Pixels taken from ``known`` (broadcast against the batch).

        Returns
        -------
        EnergyModule
            The view (shares this model's parameters).

        Examples
        --------
        >>> net = NoiseConditionalScoreNet(size=28, width=4)
        >>> net.at_noise(0.1).event_shape
        (1, 28, 28)
        """
        return _ScoreView(self, check_positive_scalar(sigma, "sigma"), known, mask)

    def denoise(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """Tweedie's posterior mean ``x + sigma^2 s(x, sigma)`` of the clean image.

        Parameters
        ----------
        x : torch.Tensor
            Noisy samples at level ``sigma``.
        sigma : float
            Their noise level.

        Returns
        -------
        torch.Tensor
            The denoised samples.

        Examples
        --------
        >>> net = NoiseConditionalScoreNet(size=28, width=4)
        >>> net.denoise(torch.zeros(1, 1, 28, 28), 0.1).shape
        torch.Size([1, 1, 28, 28])
        """
        with torch.no_grad():
            return x + sigma**2 * self.score_at(x, sigma)


class _Block(nn.Module):
    """3x3 convolution, group norm, a noise-level scale/shift, SiLU."""

    def __init__(self, c_in, c_out, n_embed, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
        self.norm = nn.GroupNorm(min(8, c_out), c_out)
        self.film = nn.Linear(n_embed, 2 * c_out)

    def forward(self, h, emb):
        h = self.norm(self.conv(h))
        scale, shift = self.film(emb)[:, :, None, None].chunk(2, dim=1)
        return nn.functional.silu(h * (1 + scale) + shift)


class NoiseConditionalScoreNet(ScoreModule):
    """A small conv U-Net score model ``s(x, sigma) = net(x, log sigma) / sigma``.

    Resolutions ``size``, ``size/2``, ``size/4`` (rounded up) with ``width``, ``2 width``,
    ``2 width`` channels; skip connections by addition; the input is scaled to
    unit variance at each level (Karras et al. 2022); each block gets a scale
    and shift from an embedding of ``log sigma``. Dividing by ``sigma`` makes the
    output scale right at every level (Song & Ermon 2020).

    Parameters
    ----------
    channels : int, default 1
        Image channels.
    size : int, default 28
        Image side (at least 4).
    width : int, default 16
        Channels at full resolution.
    sigma_data : float, default 0.5
        Assumed data scale: the input is multiplied by ``1 / sqrt(sigma^2 +
        sigma_data^2)`` so the network sees unit-scale inputs at every level.
    skip : bool, default False
        Parameterise the denoiser as ``D(x) = c_skip x + c_out net(x)`` with
        ``c_skip = sigma_data^2 / (sigma^2 + sigma_data^2)`` and ``c_out =
        sigma sigma_data / sqrt(sigma^2 + sigma_data^2)`` (Karras et al. 2022,
        Eq. 7) and return the score ``(D(x) - x) / sigma^2``. Without it the
        network predicts the noise (``s = net / sigma``), so at large ``sigma``
        an error in the network is multiplied by ``sigma`` in the denoised
        image; with it by at most ``sigma_data``. Train it with
        ``DenoisingScoreMatching(sigma_data=...)`` so every level weighs alike.
    patch : int, default 1
        Fold each ``patch x patch`` block of pixels into channels first
        (``PixelUnshuffle``) and unfold at the end: the U-Net runs at
        ``size / patch`` with ``channels patch^2`` input channels, so a 28x28
        model costs about what a 14x14 one does yet keeps every pixel (unlike
        training on downsampled images). ``size`` must be a multiple of it.

    Examples
    --------
    >>> net = NoiseConditionalScoreNet(size=8, width=4)
    >>> net.score_at(torch.zeros(3, 1, 8, 8), torch.tensor([1.0, 0.5, 0.1])).shape
    torch.Size([3, 1, 8, 8])
    """

    def __init__(self, channels: int = 1, size: int = 28, width: int = 16,
                 sigma_data: float = 0.5, skip: bool = False, patch: int = 1):
        super().__init__()
        c = check_positive_int(channels, "channels")
        s = check_positive_int(size, "size")
        w = check_positive_int(width, "width")
        p = check_positive_int(patch, "patch")
        if s % p or s // p < 4:
            raise ValueError(f"size must be a multiple of patch with size / patch at least 4, "
                             f"got size={s}, patch={p}")
        self.event_shape = (c, s, s)
        self.patch = p
        self.sigma_data = check_positive_scalar(sigma_data, "sigma_data")
        if not isinstance(skip, (bool, np.bool_)):
            raise TypeError(f"skip must be a bool, got {type(skip).__name__}")
        self.skip = bool(skip)
        e = 4 * w
        self.embed = nn.Sequential(nn.Linear(1, e), nn.SiLU(), nn.Linear(e, e))
        self.inp = nn.Conv2d(c * p * p, w, 3, padding=1)
        self.b1 = _Block(w, w, e)
        self.d1 = _Block(w, 2 * w, e, stride=2)
        self.b2 = _Block(2 * w, 2 * w, e)
        self.d2 = _Block(2 * w, 2 * w, e, stride=2)
        self.b3 = _Block(2 * w, 2 * w, e)
        self.u2 = _Block(2 * w, 2 * w, e)
        self.u1 = _Block(2 * w, w, e)
        self.out = nn.Conv2d(w, c * p * p, 3, padding=1)

    def score_at(self, x, sigma):
        """Score at level(s) ``sigma`` (scalar or ``(n,)``).

        Parameters
        ----------
        x : torch.Tensor, shape (n, channels, size, size)
            Noisy images.
        sigma : float or torch.Tensor of shape (n,)
            Noise level(s).

        Returns
        -------
        torch.Tensor
            Same shape as ``x``.

        Examples
        --------
        >>> NoiseConditionalScoreNet(size=8, width=4).score_at(torch.zeros(1, 1, 8, 8), 1.0).shape
        torch.Size([1, 1, 8, 8])
        """
        sig = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
        sig = sig.expand(x.shape[0]) if sig.ndim == 0 else sig
        emb = self.embed(torch.log(sig)[:, None])
        # input scaled to unit variance at every level (c_in of Karras et al. 2022, Eq. 7)
        c_in = torch.rsqrt(sig**2 + self.sigma_data**2)[:, None, None, None]
        h1 = self.b1(self.inp(nn.functional.pixel_unshuffle(c_in * x, self.patch)), emb)
        h2 = self.b2(self.d1(h1, emb), emb)                  # size / (2 patch)
        h3 = self.b3(self.d2(h2, emb), emb)                  # size / (4 patch)
        up = nn.functional.interpolate
        g2 = self.u2(up(h3, size=h2.shape[-2:]) + h2, emb)
        g1 = self.u1(up(g2, size=h1.shape[-2:]), emb) + h1
        out, sig4 = nn.functional.pixel_shuffle(self.out(g1), self.patch), sig[:, None, None, None]
        if not self.skip:
            return out / sig4
        # score of D = c_skip x + c_out F: (D - x) / sigma^2
        #   = -x / (sigma^2 + sd^2) + sd F / (sigma sqrt(sigma^2 + sd^2))
        sd = self.sigma_data
        return (sd * c_in * out / sig4) - c_in.square() * x

    def forward(self, x):
        """The score at the smallest training level is not defined here: use :meth:`score_at`.

        Parameters
        ----------
        x : torch.Tensor
            Unused.

        Returns
        -------
        torch.Tensor
            Never; raises ``TypeError``.

        Examples
        --------
        >>> NoiseConditionalScoreNet(size=8, width=4)(torch.zeros(1, 1, 8, 8))
        Traceback (most recent call last):
        TypeError: a score network has no energy; call score_at(x, sigma)
        """
        raise TypeError("a score network has no energy; call score_at(x, sigma)")


# the samplers live in score_sampling (one module per idea); kept importable from here
from .score_sampling import inpaint, sample_annealed, sample_probability_flow  # noqa: E402
