"""The torch backend: the primitives of :mod:`boltz.backend` as torch tensor operations.

Runs on CUDA (``"cuda"``, ``"cuda:N"``) or, as ``"cpu-torch"``, with torch on
the CPU (mostly for testing). Products are float32; AIS increments float64.
Random numbers come from a ``torch.Generator`` on the device (the *stream*),
seeded from the caller's NumPy generator: the same seed on the same device gives
the same result, but a torch run and a NumPy run draw different numbers.

Examples
--------
>>> import numpy as np
>>> from boltz.backend import get_backend
>>> bk = get_backend("cpu-torch")
>>> g = bk.stream(np.random.default_rng(0))
>>> prob, sample = bk.bernoulli(bk.asarray(np.zeros((2, 3))), bk.full(2, 1.0),
...                             bk.asarray(np.zeros(3)), g)
>>> prob.tolist()
[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .._validation import check_torch_device

__all__ = ["TorchBackend", "torch_device", "make_generator"]




def torch_device(device) -> torch.device:
    """The torch device named by ``device`` (``"cpu-torch"``: the CPU; ``"auto"``: CUDA if any).

    The check is :func:`boltz._validation.check_torch_device`'s (CPU and CUDA only).

    Examples
    --------
    >>> torch_device("cpu-torch")
    device(type='cpu')
    """
    return check_torch_device(device)


def make_generator(seed=None, device=None) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` from ``None``, an int, a NumPy ``Generator``
    (one draw from it) or a torch generator (returned as is).

    Examples
    --------
    >>> make_generator(0).initial_seed()
    0
    """
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator(device=torch.device("cpu") if device is None else device)
    if seed is None:
        gen.seed()
    elif isinstance(seed, np.random.Generator):
        gen.manual_seed(int(seed.integers(0, 2**63 - 1)))
    elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        gen.manual_seed(int(seed))
    else:
        raise TypeError(f"seed must be a non-negative int, a numpy or torch Generator or None, "
                        f"got {seed!r}")
    return gen


def _softplus64(x):
    # exact in float64: e^-40 is below the rounding unit of values above 40
    return torch.nn.functional.softplus(x, threshold=40.0)


class TorchBackend:
    """Torch tensors on one device; same primitives and contract as
    :class:`~boltz.backend.numpy_backend.NumpyBackend`.

    Examples
    --------
    >>> bk = TorchBackend("cpu-torch")
    >>> bk.device
    device(type='cpu')
    """

    name = "torch"
    #: ``max |W|`` is checked once per epoch (a per-update check would synchronise).
    checks_each_step = False
    supports_threads = False

    def __init__(self, device="cpu-torch"):
        self.device = torch_device(device)

    # -- arrays ------------------------------------------------------------
    def asarray(self, a, dtype=np.float32):
        """A copy of ``a`` on the device (float32 unless ``dtype`` says float64)."""
        tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
        if isinstance(a, torch.Tensor):
            return a.to(device=self.device, dtype=tdtype)
        return torch.tensor(np.asarray(a), dtype=tdtype, device=self.device)

    def to_numpy(self, x):
        """``x`` copied to a NumPy array."""
        return x.detach().cpu().numpy()

    def full(self, shape, value, dtype=np.float32):
        """A new tensor of ``shape`` filled with ``value``."""
        tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
        return torch.full((shape,) if isinstance(shape, int) else tuple(shape), float(value),
                          dtype=tdtype, device=self.device)

    def zeros_like(self, x):
        """Zeros of ``x``'s shape and dtype."""
        return torch.zeros_like(x)

    def to64(self, x):
        """A float64 copy of ``x``."""
        return x.double()

    def concat(self, arrays):
        """Rows of ``arrays`` stacked (axis 0)."""
        return torch.cat(arrays)

    exp = staticmethod(torch.exp)
    sqrt = staticmethod(torch.sqrt)
    log = staticmethod(torch.log)

    def rowdot(self, A, B):
        """``sum_j A[i, j] B[i, j]`` per row."""
        return (A * B).sum(1)

    def count_true(self, mask) -> int:
        """Number of true entries of a boolean tensor."""
        return int(mask.sum())

    def where_true(self, mask):
        """Indices of the true entries of a boolean vector."""
        return torch.nonzero(mask).flatten()

    def swap_rows(self, arr, i, j):
        """Exchange rows ``i`` and ``j`` (index tensors) of ``arr`` in place."""
        tmp = arr[i].clone()
        arr[i] = arr[j]
        arr[j] = tmp

    # -- random numbers ----------------------------------------------------
    def stream(self, rng):
        """A ``torch.Generator`` on the device seeded by one draw from ``rng``."""
        return make_generator(rng, self.device)

    def uniform(self, n, stream):
        """``n`` float64 uniforms on ``[0, 1)``."""
        return torch.rand(n, generator=stream, device=self.device, dtype=torch.float64)

    def normal(self, shape, stream):
        """float32 standard normals."""
        return torch.randn(tuple(shape), generator=stream, device=self.device)

    def permutation(self, n, stream):
        """A random permutation of ``range(n)`` (on the device)."""
        return torch.randperm(n, generator=stream, device=self.device)

    def integers(self, high, size, stream):
        """``size`` integers uniform in ``[0, high)``."""
        return torch.randint(0, high, (size,), generator=stream, device=self.device)

    def binarize(self, P, stream):
        """A Bernoulli draw of the probabilities ``P``."""
        return torch.bernoulli(P, generator=stream)

    # -- conditionals ------------------------------------------------------
    def bernoulli(self, pre, row_scale, bias, stream):
        """``(sigmoid(z), z-draw)`` with ``z = row_scale[:, None] pre + bias`` (``row_scale``
        ``None``: 1)."""
        z = pre + bias if row_scale is None else torch.addcmul(bias, pre, row_scale[:, None])
        prob = torch.sigmoid(z)
        return prob, torch.bernoulli(prob, generator=stream)

    def sigmoid(self, pre, bias, out=None):
        """``sigmoid(pre + bias)``."""
        return torch.sigmoid(pre + bias)

    def mean_rows(self, x):
        """``x.mean(0)``."""
        return x.mean(0)

    def expit(self, x):
        """``sigmoid(x)``."""
        return torch.sigmoid(x)

    def categorical(self, pre, row_scale, bias, n_categories, stream):
        """Softmax over groups of ``n_categories`` columns and a one-hot draw per group."""
        z = torch.addcmul(bias, pre, row_scale[:, None])
        n = z.shape[0]
        prob = torch.softmax(z.reshape(n, -1, n_categories), dim=2)
        flat = prob.reshape(-1, n_categories)
        choice = torch.multinomial(flat, 1, generator=stream).flatten()
        sample = torch.nn.functional.one_hot(choice, n_categories).to(pre.dtype)
        return prob.reshape(z.shape), sample.reshape(z.shape)

    def softplus_rowsum(self, z):
        """``sum_j softplus(z[i, j])`` per row (float64)."""
        return _softplus64(z.double()).sum(1)

    def ais_hidden_step(self, x, c, beta_prev, beta, stream, h_out, do_sample):
        """AIS increment ``sum_j softplus(beta z_j) - softplus(beta_prev z_j)`` (float64),
        ``z = x + c``; with ``do_sample`` also ``h_out[...] = h ~ sigmoid(beta z)``."""
        z = x.double() + c
        inc = (_softplus64(beta * z) - _softplus64(beta_prev * z)).sum(1)
        if do_sample:
            h_out[...] = torch.bernoulli(torch.sigmoid(beta * z).float(), generator=stream)
        return inc

    # -- products ----------------------------------------------------------
    def matmul01(self, B, M, binary=True):
        """``B @ M``."""
        return B @ M

    def transpose(self, W):
        """``W.T`` (a view)."""
        return W.t()

    def hidden_input(self, T, W, binary):
        """``T W``."""
        return T @ W

    def visible_input(self, h, W):
        """``h W^T``."""
        return h @ W.t()

    def weights_changed(self):
        """Nothing is cached here."""

    # -- the update --------------------------------------------------------
    def weight_gradient(self, t_pos, y_pos, t_neg, y_neg, binary):
        """The statistics part ``t_pos^T y_pos + t_neg^T y_neg`` of the weight gradient (one
        product); summed over ranks before :meth:`apply_weight_step` in data-parallel training."""
        return torch.cat([t_pos, t_neg]).t() @ torch.cat([y_pos, y_neg])

    def apply_weight_step(self, W, velocity, grad, u, w, lr, momentum, weight_decay):
        """Momentum step on ``W`` in place with the gradient ``grad - outer(u, w)``, as in
        :meth:`NumpyBackend.weight_step` (``grad`` is overwritten); returns ``max |W|`` as a
        0-d tensor (no synchronisation)."""
        grad.addr_(u, w, alpha=-1.0)
        if weight_decay:
            grad.sub_(W, alpha=weight_decay)
        if velocity.numel() == 0:
            W.add_(grad, alpha=lr)
        else:
            velocity.mul_(momentum).add_(grad, alpha=lr)
            W.add_(velocity)
        return W.abs().max()

    def weight_step(self, W, velocity, t_pos, y_pos, t_neg, y_neg, u, w, lr, momentum,
                    weight_decay, binary, next_hidden=None):
        """Momentum step on ``W`` in place, gradient ``t_pos^T y_pos + t_neg^T y_neg -
        outer(u, w)``: :meth:`weight_gradient` then :meth:`apply_weight_step`; returns
        ``max |W|`` as a 0-d tensor (no synchronisation)."""
        grad = self.weight_gradient(t_pos, y_pos, t_neg, y_neg, binary)
        return self.apply_weight_step(W, velocity, grad, u, w, lr, momentum, weight_decay)
