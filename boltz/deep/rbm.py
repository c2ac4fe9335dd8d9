"""Compatibility alias: the torch path of :mod:`boltz.rbm` moved to :mod:`boltz.backend`.

RBM training and AIS run on any torch device through
:class:`boltz.backend.torch_backend.TorchBackend` (the same formulas as the
NumPy path, in :mod:`boltz.rbm.trainer` and :mod:`boltz.rbm.ais`). Only
:func:`torch_device` is re-exported here, for callers that still import it
from this module; new code should import it from
:mod:`boltz.backend.torch_backend`.

Examples
--------
>>> from boltz.deep.rbm import torch_device
>>> torch_device("cpu-torch")
device(type='cpu')
"""

from ..backend.torch_backend import torch_device

__all__ = ["torch_device"]
