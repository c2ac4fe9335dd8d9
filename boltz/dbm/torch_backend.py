"""The torch backend beneath the DBM's formulas (any torch device, ``"cpu-torch"`` included).

Same primitives as :class:`boltz.dbm.backend.NumpyBackend`, on tensors of one
device (named as for every model, :func:`boltz.backend.torch_backend.torch_device`),
with a ``torch.Generator`` on that device seeded from the run's seed:
a seed repeats a run on one device, but its numbers are not the NumPy path's.
Imported only when a torch device is asked for.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm.torch_backend import TorchBackend
>>> ops = TorchBackend("cpu-torch", seed=0)
>>> ops.to_numpy(ops.bernoulli(ops.asarray(np.array([0.0, 1.0])))).tolist()
[0.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import torch

from ..backend.torch_backend import make_generator, torch_device

__all__ = ["TorchBackend"]


_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
           np.dtype(bool): torch.bool}


class TorchBackend:
    """Tensors on one torch device and a ``torch.Generator`` there.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu-torch"``, ``"cuda"``, ``"cuda:1"``, ``"auto"``, ...
    seed : int, NumPy Generator or None

    Examples
    --------
    >>> ops = TorchBackend("cpu-torch", 0)
    >>> ops.to_numpy(ops.mean0(ops.asarray(np.ones((3, 2))))).tolist()
    [1.0, 1.0]
    """

    name = "torch"

    def __init__(self, device, seed=None):
        self.device = torch_device(device)
        #: a CUDA queue runs ahead of Python; reading a value drains it
        self.asynchronous = self.device.type != "cpu"
        self.gen = make_generator(seed, self.device)

    # -- moving data ---------------------------------------------------------
    def _dtype(self, dtype, default):
        if dtype is None:
            return default
        return dtype if isinstance(dtype, torch.dtype) else _DTYPES[np.dtype(dtype)]

    def asarray(self, a, dtype=None):
        """``a`` as a tensor on the device (NumPy arrays are copied there)."""
        if isinstance(a, torch.Tensor):
            return a.to(device=self.device, dtype=self._dtype(dtype, a.dtype))
        a = np.asarray(a)
        return torch.tensor(a, dtype=self._dtype(dtype, _DTYPES[a.dtype]), device=self.device)

    def copy(self, a, dtype=None):
        """A copy of ``a`` on the device (never sharing memory with ``a``)."""
        if isinstance(a, torch.Tensor):
            return a.to(device=self.device, dtype=self._dtype(dtype, a.dtype), copy=True)
        return self.asarray(a, dtype)

    @staticmethod
    def to_numpy(x):
        """``x`` as a NumPy array (copied to the host)."""
        return x.detach().cpu().numpy()

    @staticmethod
    def float64(x):
        """``x`` in float64."""
        return x.double()

    @staticmethod
    def astype_like(x, like):
        """``x`` cast to the dtype of ``like``."""
        return x.to(like.dtype)

    # -- elementwise -------------------------------------------------------
    @staticmethod
    def sigmoid(x):
        """Logistic function."""
        return torch.sigmoid(x)

    @staticmethod
    def softplus(x):
        """``log(1 + exp(x))`` to full precision (no linear cut-off)."""
        return torch.logaddexp(x, torch.zeros((), dtype=x.dtype, device=x.device))

    @staticmethod
    def xlogy(x, y):
        """``x log y`` with ``0 log 0 = 0``."""
        return torch.xlogy(x, y)

    # -- random ------------------------------------------------------------
    def bernoulli(self, p, shape=None, dtype=None):
        """0/1 draws ``u < p`` with ``u`` uniform in ``p``'s precision, shaped ``shape``
        (default ``p.shape``), returned in ``dtype`` (default ``p``'s)."""
        u = torch.rand(tuple(p.shape) if shape is None else tuple(shape), generator=self.gen,
                       dtype=p.dtype, device=self.device)
        return (u < p).to(p.dtype if dtype is None else dtype)

    def permutation(self, n: int):
        """A random permutation of ``range(n)``."""
        return torch.randperm(n, generator=self.gen, device=self.device)

    # -- allocation and reductions -------------------------------------------
    @staticmethod
    def zeros_like(x):
        """Zeros shaped and typed like ``x``."""
        return torch.zeros_like(x)

    @staticmethod
    def empty_like(x):
        """An uninitialised tensor shaped and typed like ``x``."""
        return torch.empty_like(x)

    @staticmethod
    def empty(shape, like):
        """An uninitialised tensor of ``shape`` with ``like``'s dtype and device."""
        return torch.empty(shape, dtype=like.dtype, device=like.device)

    def flags(self, n: int):
        """``n`` booleans, all false."""
        return torch.zeros(n, dtype=torch.bool, device=self.device)

    @staticmethod
    def mean0(x):
        """Mean over the first axis."""
        return x.mean(0)

    @staticmethod
    def concat(xs):
        """Concatenation along the first axis."""
        return torch.cat(list(xs))

    @staticmethod
    def rowdot(a, b):
        """``sum_i a[n, i] b[n, i]`` per row."""
        return (a * b).sum(1)

    @staticmethod
    def max_abs(x) -> float:
        """``max |x|`` as a Python float (NaN if ``x`` holds a NaN)."""
        return float(x.abs().max())

    @staticmethod
    def matmul_into(a, b, out):
        """``out[...] = a @ b``; returns ``out``."""
        return torch.matmul(a, b, out=out)

    @staticmethod
    def momentum_step(param, velocity, grad, lr, momentum, weight_decay):
        """``velocity = momentum velocity + lr (grad - weight_decay param)``; ``param +=
        velocity`` (in place)."""
        velocity.mul_(momentum).add_(grad - weight_decay * param, alpha=lr)
        param.add_(velocity)
