"""A convolutional energy for images with a spatial head, for short-run Langevin EBMs.

:class:`ConvImageEnergy` follows the networks of the short-run EBM papers
(Nijkamp et al. 2019; Du & Mordatch 2019): strided convolutions down to a
``size/4`` map with smooth activations (SiLU, so the Langevin gradient is
smooth) and a linear head over the whole map, so where a stroke lies matters
(global average pooling, as in :class:`~boltz.deep.networks.ConvEnergy`,
discards it). ``spectral_norm=True`` constrains every layer's spectral norm
(Miyato et al. 2018), one of the stabilisers of Du & Mordatch.

Examples
--------
>>> import torch
>>> ConvImageEnergy(width=4).energy(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2])
"""

from __future__ import annotations

from torch import nn

from .._validation import check_positive_int
from .base import EnergyModule

__all__ = ["ConvImageEnergy"]


class ConvImageEnergy(EnergyModule):
    """Conv energy ``(channels, size, size) -> R``, a linear head over a ``size/4`` map.

    Layers: 3x3 conv (``width``), 4x4 stride-2 conv (``2 width``), 4x4 stride-2
    conv (``4 width``), 3x3 conv (``4 width``), SiLU after each, then a linear
    map of the flattened ``size/4 x size/4`` features to one energy.

    Parameters
    ----------
    channels : int, default 1
        Image channels.
    size : int, default 28
        Image side (at least 4).
    width : int, default 16
        Channels of the first convolution.
    spectral_norm : bool, default False
        Wrap every layer in ``torch.nn.utils.parametrizations.spectral_norm``.

    Examples
    --------
    >>> import torch
    >>> m = ConvImageEnergy(width=4, spectral_norm=True)
    >>> m(torch.rand(3, 1, 28, 28)).shape
    torch.Size([3])
    """

    def __init__(self, channels: int = 1, size: int = 28, width: int = 16,
                 spectral_norm: bool = False):
        super().__init__()
        c = check_positive_int(channels, "channels")
        s = check_positive_int(size, "size")
        w = check_positive_int(width, "width")
        if s < 4:
            raise ValueError(f"size must be at least 4, got {s}")
        self.event_shape = (c, s, s)
        layers = [nn.Conv2d(c, w, 3, padding=1), nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),
                  nn.Conv2d(2 * w, 4 * w, 4, stride=2, padding=1),
                  nn.Conv2d(4 * w, 4 * w, 3, padding=1), nn.Linear(4 * w * (s // 2 // 2) ** 2, 1)]
        if spectral_norm:
            layers = [nn.utils.parametrizations.spectral_norm(m) for m in layers]
        *convs, head = layers
        body = []
        for conv in convs:
            body += [conv, nn.SiLU()]
        self.net = nn.Sequential(*body, nn.Flatten())
        self.head = head

    def forward(self, x):
        """Energies ``(n,)`` of images ``(n, channels, size, size)``.

        Parameters
        ----------
        x : torch.Tensor
            Images.

        Returns
        -------
        torch.Tensor
            Energies.

        Examples
        --------
        >>> import torch
        >>> ConvImageEnergy(width=4)(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1])
        """
        return self.head(self.net(x)).squeeze(-1)
