"""The DBM's array primitives: NumPy/numba on the CPU, torch on any device.

These build on the shared compute backends of :mod:`boltz.backend` (its numba
kernels, thread control, torch device names and generators) and add what the
DBM's formulas need beyond the RBM's fused primitives: plain elementwise
logistic/softplus on arrays of any layer, and Bernoulli draws ``u < p`` from a
NumPy ``Generator`` in the precision of ``p``, which is how the DBM has always
drawn (so its seeds give the numbers they gave before the backends existed;
the RBM's counter-based streams would not).

The DBM's math (:mod:`boltz.dbm.formulas`, :mod:`boltz.dbm.joint`,
:mod:`boltz.dbm.ais`) is written once with Python's array operators (``+``,
``*``, ``@``, ``.T``, indexing, in-place ``+=``), which NumPy arrays and torch
tensors share, and calls a backend object for everything else: the logistic
and softplus functions, Bernoulli draws from the backend's own generator,
float64 casts, reductions and the momentum update. :class:`NumpyBackend` keeps
the CPU path's numba kernels and NumPy generator (so a seed gives the same
numbers as before the backends existed); :class:`boltz.dbm.torch_backend.TorchBackend`
runs the same formulas on a torch device (``"cpu-torch"``, ``"cuda"``, ...);
torch is imported only when such a device is asked for.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm.backend import get_backend
>>> ops = get_backend(None, seed=0)
>>> ops.name, ops.bernoulli(np.array([0.0, 1.0])).tolist()
('numpy', [0.0, 1.0])
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._validation import check_rng
from ..backend import is_torch_device
from ..expfam import softplus as _np_softplus

__all__ = ["NumpyBackend", "get_backend", "sigmoid"]


def sigmoid(x):
    """Logistic function, computed without overflow warnings.

    Float arrays with at least one dimension use the RBM package's SIMD route
    (:func:`boltz.backend._kernels.logistic`); anything else ``scipy.special.expit``.

    Examples
    --------
    >>> float(sigmoid(0.0))
    0.5
    """
    if (isinstance(x, np.ndarray) and x.ndim >= 1 and x.size
            and x.dtype in (np.float32, np.float64)):
        from ..backend._kernels import logistic

        return logistic(x)
    return special.expit(x)


class NumpyBackend:
    """NumPy arrays, numba kernels and a NumPy ``Generator``.

    Parameters
    ----------
    seed : int, Generator or None
        The generator of every draw (used as is when a ``Generator``).

    Examples
    --------
    >>> ops = NumpyBackend(0)
    >>> ops.mean0(np.ones((3, 2))).tolist()
    [1.0, 1.0]
    """

    name = "numpy"
    #: reading a value on the host costs nothing (no device queue to drain)
    asynchronous = False

    def __init__(self, seed=None):
        self.rng = check_rng(seed)

    # -- moving data ---------------------------------------------------------
    def asarray(self, a, dtype=None):
        """``a`` as an array of this backend (no copy when it already is one)."""
        return np.asarray(a, dtype=dtype)

    def copy(self, a, dtype=None):
        """A copy of ``a`` on this backend (never sharing memory with ``a``)."""
        return np.array(a, dtype=dtype)

    def to_numpy(self, x):
        """``x`` as a NumPy array."""
        return np.asarray(x)

    def float64(self, x):
        """``x`` in float64."""
        return np.asarray(x, dtype=np.float64)

    def astype_like(self, x, like):
        """``x`` cast to the dtype of ``like``."""
        return x.astype(like.dtype)

    # -- elementwise -------------------------------------------------------
    sigmoid = staticmethod(sigmoid)

    @staticmethod
    def softplus(x):
        """``log(1 + exp(x))`` without overflow."""
        return _np_softplus(x)

    @staticmethod
    def xlogy(x, y):
        """``x log y`` with ``0 log 0 = 0``."""
        return special.xlogy(x, y)

    # -- random ------------------------------------------------------------
    def bernoulli(self, p, shape=None, dtype=None):
        """0/1 draws ``u < p`` with ``u`` uniform in ``p``'s precision, shaped ``shape``
        (default ``p.shape``), returned in ``dtype`` (default ``p``'s)."""
        u = self.rng.random(p.shape if shape is None else shape, dtype=p.dtype)
        return (u < p).astype(p.dtype if dtype is None else dtype)

    def permutation(self, n: int):
        """A random permutation of ``range(n)``."""
        return self.rng.permutation(n)

    # -- allocation and reductions -------------------------------------------
    @staticmethod
    def zeros_like(x):
        """Zeros shaped and typed like ``x``."""
        return np.zeros_like(x)

    @staticmethod
    def empty_like(x):
        """An uninitialised array shaped and typed like ``x``."""
        return np.empty_like(x)

    @staticmethod
    def empty(shape, like):
        """An uninitialised array of ``shape`` with ``like``'s dtype."""
        return np.empty(shape, dtype=like.dtype)

    @staticmethod
    def flags(n: int):
        """``n`` booleans, all false."""
        return np.zeros(n, dtype=bool)

    @staticmethod
    def mean0(x):
        """Mean over the first axis."""
        return x.mean(axis=0)

    @staticmethod
    def concat(xs):
        """Concatenation along the first axis."""
        return np.concatenate(xs)

    @staticmethod
    def rowdot(a, b):
        """``sum_i a[n, i] b[n, i]`` per row."""
        return np.einsum("ni,ni->n", a, b)

    @staticmethod
    def max_abs(x) -> float:
        """``max |x|`` as a Python float (NaN if ``x`` holds a NaN)."""
        return float(np.max(np.abs(x)))

    @staticmethod
    def matmul_into(a, b, out):
        """``out[...] = a @ b``; returns ``out``."""
        return np.dot(a, b, out=out)

    @staticmethod
    def momentum_step(param, velocity, grad, lr, momentum, weight_decay):
        """``velocity = momentum velocity + lr (grad - weight_decay param)``; ``param +=
        velocity`` (in place, one numba pass)."""
        from ..backend._kernels import update_parameters

        update_parameters(param, velocity, grad, 1.0, lr, momentum, weight_decay)


def get_backend(device=None, seed=None):
    """The backend for ``device``: NumPy for ``None``/``"cpu"``, torch otherwise.

    Parameters
    ----------
    device : str, torch.device or None
        ``None``/``"cpu"``: :class:`NumpyBackend`; ``"cpu-torch"``, ``"cuda"``,
        ``"auto"`` or a ``torch.device``: the torch backend (imports torch).
    seed : int, Generator or None
        Seeds the backend's generator (a NumPy ``Generator`` is used as is by
        the NumPy backend and seeds the torch one with one draw).

    Returns
    -------
    NumpyBackend or TorchBackend

    Examples
    --------
    >>> get_backend("cpu").name
    'numpy'
    """
    if not is_torch_device(device):
        return NumpyBackend(seed)
    from .torch_backend import TorchBackend

    return TorchBackend(device, seed)
