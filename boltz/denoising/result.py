"""The small result object every denoising method returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DenoiseResult"]


@dataclass(frozen=True)
class DenoiseResult:
    """A restored image and what it cost.

    Attributes
    ----------
    labels : int8 array (H, W)
        The restored image in {-1, +1}.
    energy : float
        Its posterior energy ``E(labels)`` (lower is more probable).
    method : str
        ``"map"``, ``"icm"``, ``"anneal"``, ``"mpm-gibbs"`` or ``"mpm-mean-field"``.
    probability : float array (H, W) or None
        ``p(x_i = +1 | y)`` per pixel (marginal methods only).
    info : dict
        Method details (sweeps, flow value, solver, standard errors, ...).

    Examples
    --------
    >>> r = DenoiseResult(np.ones((2, 2), np.int8), -3.0, "icm")
    >>> r.error_rate(np.ones((2, 2)))
    0.0
    """

    labels: np.ndarray
    energy: float
    method: str
    probability: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    @property
    def uncertainty(self) -> np.ndarray | None:
        """Per-pixel probability that the restored label is wrong, ``min(p, 1 - p)``."""
        if self.probability is None:
            return None
        return np.minimum(self.probability, 1.0 - self.probability)

    def error_rate(self, truth) -> float:
        """Fraction of pixels that differ from the clean image ``truth``.

        Parameters
        ----------
        truth : array_like, shape (H, W)
            The clean image.

        Returns
        -------
        float
            The fraction of wrong pixels.

        Examples
        --------
        >>> import numpy as np
        >>> r = DenoiseResult(np.ones((2, 2), np.int8), -3.0, "icm")
        >>> r.error_rate(np.array([[1, 1], [1, -1]]))
        0.25
        """
        truth = np.asarray(truth)
        if truth.shape != self.labels.shape:
            raise ValueError(f"truth must have shape {self.labels.shape}, got {truth.shape}")
        return float(np.mean(self.labels != truth))
