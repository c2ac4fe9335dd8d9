"""Compatibility alias: the RBM numba kernels live in :mod:`boltz.backend._kernels`.

Kept so that ``from boltz.rbm import _kernels`` (used by :mod:`boltz.dbm`) keeps working.
"""

from ..backend._kernels import *  # noqa: F401,F403
from ..backend._kernels import (  # noqa: F401
    SPARSE_BELOW,
    _logistic_parts,
    logistic,
    new_key,
)
