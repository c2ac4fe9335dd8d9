"""Compute backends beneath the models: one set of array primitives, per device.

The RBM formulas (conditionals, sampling, the centred gradient, momentum
updates, parallel-tempering swaps, AIS transitions) are written once in
:mod:`boltz.rbm` against a *backend* object; the backend decides where and how
the arrays live. Two implementations with the same method names:

- :class:`~boltz.backend.numpy_backend.NumpyBackend` (``device=None`` or
  ``"cpu"``): NumPy float32 arrays, BLAS products, sparse products of 0/1
  matrices and fused numba kernels (:mod:`boltz.backend._kernels`),
  counter-based random numbers from a :class:`numpy.random.Generator`.
- :class:`~boltz.backend.torch_backend.TorchBackend` (any torch device:
  ``"cuda"``, ``"auto"``, ``"cpu-torch"`` = torch on the CPU): torch tensors;
  imported only when asked for, so ``import boltz`` never imports torch.

Primitives (``bk`` a backend, arrays are float32 unless noted; *stream* is
``bk.stream(numpy_rng)``: the generator itself for NumPy, a seeded
``torch.Generator`` for torch):

========================================  ===========================================
arrays                                    ``asarray(a, dtype)``, ``to_numpy(x)``,
                                          ``full(shape, value)``, ``zeros_like(x)``,
                                          ``to64(x)``, ``concat(list)``, ``exp``,
                                          ``sqrt``, ``log``, ``rowdot(A, B)``,
                                          ``count_true(mask)``, ``where_true(mask)``,
                                          ``swap_rows(arr, i, j)``, ``mean_rows(x)``
random numbers                            ``stream(rng)``, ``uniform(n, s)`` (float64),
                                          ``normal(shape, s)``, ``permutation(n, s)``,
                                          ``integers(high, size, s)``,
                                          ``binarize(P, s)``
conditionals                              ``bernoulli(pre, row_scale, bias, s)`` ->
                                          ``(prob, sample)`` of
                                          ``sigmoid(row_scale[:, None] pre + bias)``
                                          (``row_scale`` ``None``: 1);
                                          ``sigmoid(pre, bias)``, ``expit(x)``,
                                          ``categorical(pre, row_scale, bias, K, s)``,
                                          ``softplus_rowsum(z)`` (float64)
products                                  ``matmul01(B, M)`` (``B`` 0/1), ``transpose(W)``,
                                          ``hidden_input(T, W, binary)``,
                                          ``visible_input(h, W)``, ``weights_changed()``
update                                    ``weight_step(W, vel, t_pos, y_pos, t_neg, y_neg,
                                          u, w, lr, momentum, weight_decay, binary)``:
                                          momentum SGD with gradient
                                          ``t_pos^T y_pos + t_neg^T y_neg - outer(u, w)``,
                                          returns ``max |W|``
AIS                                       ``ais_hidden_step(x, c, beta_prev, beta, s,
                                          h_out, do_sample)`` -> float64 increments
========================================  ===========================================

Flags: ``checks_each_step`` (NumPy: ``max |W|`` is checked after each update;
torch: once per epoch, to avoid synchronising), ``supports_threads``.

Examples
--------
>>> import numpy as np
>>> from boltz.backend import get_backend, is_torch_device
>>> bk = get_backend(None)
>>> bk.name, is_torch_device("cpu-torch"), is_torch_device(None)
('numpy', True, False)
>>> s = bk.stream(np.random.default_rng(0))
>>> prob, h = bk.bernoulli(np.zeros((1, 2), np.float32), bk.full(1, 1.0),
...                        np.zeros(2, np.float32), s)
>>> prob.tolist()
[[0.5, 0.5]]
"""

from __future__ import annotations

from ._threads import blas_threads, deterministic_threads

__all__ = ["get_backend", "is_torch_device", "blas_threads", "deterministic_threads"]


def is_torch_device(device) -> bool:
    """Whether ``device`` asks for the torch backend (anything but ``None``/``"cpu"``).

    Parameters
    ----------
    device : str, torch.device or None
        The requested device.

    Returns
    -------
    bool
        True for a torch device.

    Examples
    --------
    >>> is_torch_device("cuda"), is_torch_device("cpu")
    (True, False)
    """
    return device not in (None, "cpu")


def get_backend(device=None):
    """A fresh backend object for ``device``.

    Parameters
    ----------
    device : None, str or torch.device
        ``None``/``"cpu"``: :class:`~boltz.backend.numpy_backend.NumpyBackend`;
        anything else names a torch device (``"cpu-torch"`` is torch on the CPU)
        and gives a :class:`~boltz.backend.torch_backend.TorchBackend` (imports torch).

    Returns
    -------
    backend
        A new object (backends hold small per-trainer caches; do not share one
        between threads that train different models).

    Examples
    --------
    >>> get_backend("cpu").name
    'numpy'
    """
    if not is_torch_device(device):
        from .numpy_backend import NumpyBackend

        return NumpyBackend()
    from .torch_backend import TorchBackend

    return TorchBackend(device)
