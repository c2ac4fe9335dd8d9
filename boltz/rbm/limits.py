"""Limits and errors shared by the RBM modules (a leaf: imports nothing from boltz.rbm).

Examples
--------
>>> from boltz.rbm.limits import AUTO_EXACT_UNITS, MAX_EXACT_UNITS
>>> AUTO_EXACT_UNITS <= MAX_EXACT_UNITS
True
"""

from __future__ import annotations

__all__ = ["MAX_EXACT_UNITS", "AUTO_EXACT_UNITS", "DivergenceError"]

#: Largest layer :meth:`~boltz.rbm.base.RBMBase.log_partition` enumerates (``2**25`` states).
MAX_EXACT_UNITS = 25
#: Largest layer enumerated *automatically* (``score_samples``, evaluation, CLI):
#: ``2**20`` states take seconds, ``2**25`` can take many minutes.
AUTO_EXACT_UNITS = 20


class DivergenceError(RuntimeError):
    """Training diverged: a parameter became NaN/inf or exceeded ``max_weight``.

    Examples
    --------
    >>> issubclass(DivergenceError, RuntimeError)
    True
    """
