"""The NumPy/numba backend: float32 BLAS products, sparse 0/1 products and numba sampling kernels.

Every primitive here has a twin of the same name in
:mod:`boltz.backend.torch_backend`; see :mod:`boltz.backend` for the list and
the contract. Random numbers come from a :class:`numpy.random.Generator` (the
*stream*); the sampling kernels draw one 64-bit key from it per call and use
counter-based uniforms (:mod:`boltz.samplers._rng`), so results depend only on
the seed, never on threads.

With :meth:`NumpyBackend.set_threads` ``n >= 2`` the sampling kernels, the
sparse products and the fused weight update split their rows (or, for
``T W``, their columns) into ``n`` contiguous blocks run by ``n`` threads (the
kernels release the GIL). Each block does exactly the arithmetic the one-thread
call does for its elements, and the counter-based uniforms are indexed by the
element's position in the whole matrix, so results are bit-identical for every
thread count.

A backend object holds two small caches for the RBM trainer: the column index
of the last two 0/1 matrices seen (both products and the weight update read
it) and a transposed copy of ``W`` for sparse ``h W^T`` products, which the
fused weight update can refresh while the rows are in cache. Use one backend
object per trainer (:func:`boltz.backend.get_backend` returns a fresh one).

Examples
--------
>>> import numpy as np
>>> from boltz.backend import get_backend
>>> bk = get_backend(None)
>>> prob, sample = bk.bernoulli(np.zeros((2, 3), np.float32), bk.full(2, 1.0),
...                             np.zeros(3, np.float32), np.random.default_rng(0))
>>> prob.tolist()
[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import special

from .._validation import check_positive_int
from . import _kernels as K

__all__ = ["NumpyBackend"]

#: Fewest rows for which ``h W^T`` refreshes a stale transposed copy of ``W`` to use
#: sparse row sums; below, one BLAS product is cheaper than the copy (scikit-learn's
#: minibatches of 10 after a dense weight update).
_SPARSE_MIN_ROWS = 16


class NumpyBackend:
    """NumPy arrays on the CPU; hot loops in numba (:mod:`boltz.backend._kernels`).

    Examples
    --------
    >>> import numpy as np
    >>> bk = NumpyBackend()
    >>> bk.matmul01(np.eye(2, dtype=np.float32), np.ones((2, 3), np.float32)).shape
    (2, 3)
    """

    name = "numpy"
    device = "cpu"
    #: Whether the trainer checks ``max |W|`` after every update (free here: the
    #: fused update returns it) rather than once per epoch.
    checks_each_step = True
    #: Whether a worker thread may compute the positive phase (kernels release the GIL).
    supports_threads = True

    def __init__(self):
        self._index_cache = []  # [(B, column_index(B))] of the last two 0/1 matrices
        self._WT = None
        self._WT_valid = False
        self.n_threads = 1
        self._pool = None
        self._buffers = {}

    # -- threads -----------------------------------------------------------
    def set_threads(self, n_threads):
        """Run the hot kernels on ``n_threads`` threads (``None``: 1); returns ``self``.

        Results do not depend on ``n_threads`` (see the module docstring).

        Parameters
        ----------
        n_threads : int or None
            Threads for the row-parallel kernels (the calling thread is one of them).

        Returns
        -------
        NumpyBackend
            ``self``.

        Examples
        --------
        >>> NumpyBackend().set_threads(2).n_threads
        2
        """
        n = 1 if n_threads is None else check_positive_int(n_threads, "n_threads")
        if n != self.n_threads and self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        self.n_threads = n
        if n > 1 and self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=n - 1, thread_name_prefix="boltz-bk")
        return self

    def _blocks(self, n, align=1, min_block=1):
        """Bounds ``[0, b1, ..., n]`` of the contiguous blocks, one per thread: block
        starts are multiples of ``align``; one block when blocks would be under
        ``min_block`` or with one thread."""
        k = min(self.n_threads, n // max(align, min_block))
        if k <= 1:
            return [0, n]
        return [(n * i // k) // align * align for i in range(k)] + [n]

    def _in_blocks(self, fn, bounds):
        """``[fn(lo, hi)]`` for consecutive bounds, the first block on the calling thread."""
        if len(bounds) == 2:
            return [fn(bounds[0], bounds[1])]
        futures = [self._pool.submit(fn, bounds[i], bounds[i + 1])
                   for i in range(1, len(bounds) - 1)]
        first = fn(bounds[0], bounds[1])
        return [first] + [f.result() for f in futures]

    # -- arrays ------------------------------------------------------------
    def asarray(self, a, dtype=np.float32):
        """``a`` as a ``dtype`` array (no copy when it already is one)."""
        return np.asarray(a, dtype=dtype)

    def to_numpy(self, x):
        """``x`` as a NumPy array (itself here)."""
        return x

    def full(self, shape, value, dtype=np.float32):
        """A new array of ``shape`` filled with ``value``."""
        return np.full(shape, value, dtype=dtype)

    def zeros_like(self, x):
        """Zeros of ``x``'s shape and dtype."""
        return np.zeros_like(x)

    def to64(self, x):
        """A float64 copy of ``x``."""
        return x.astype(np.float64)

    def concat(self, arrays):
        """Rows of ``arrays`` stacked (axis 0)."""
        return np.concatenate(arrays)

    exp = staticmethod(np.exp)
    sqrt = staticmethod(np.sqrt)
    log = staticmethod(np.log)

    def rowdot(self, A, B):
        """``sum_j A[i, j] B[i, j]`` per row."""
        return np.einsum("ij,ij->i", A, B)

    def count_true(self, mask) -> int:
        """Number of true entries of a boolean array."""
        return int(mask.sum())

    def where_true(self, mask):
        """Indices of the true entries of a boolean vector."""
        return np.flatnonzero(mask)

    def swap_rows(self, arr, i, j):
        """Exchange rows ``i`` and ``j`` (index arrays) of ``arr`` in place."""
        tmp = arr[i].copy()
        arr[i] = arr[j]
        arr[j] = tmp

    # -- random numbers ----------------------------------------------------
    def stream(self, rng):
        """The random stream of this backend seeded from the NumPy generator ``rng`` (itself)."""
        return rng

    def uniform(self, n, stream):
        """``n`` float64 uniforms on ``[0, 1)``."""
        return stream.random(n)

    def normal(self, shape, stream):
        """float32 standard normals."""
        return stream.standard_normal(shape, dtype=np.float32)

    def permutation(self, n, stream):
        """A random permutation of ``range(n)``."""
        return stream.permutation(n)

    def integers(self, high, size, stream):
        """``size`` integers uniform in ``[0, high)`` (NumPy, on the host)."""
        return stream.integers(0, high, size=size)

    def binarize(self, P, stream):
        """A Bernoulli draw of the probabilities ``P`` (same dtype)."""
        return (stream.random(P.shape, dtype=P.dtype) < P).astype(P.dtype)

    # -- conditionals ------------------------------------------------------
    def bernoulli(self, pre, row_scale, bias, stream):
        """``z = row_scale[:, None] pre + bias`` (``bias`` 1-D or one row per row; ``row_scale``
        ``None`` means 1); returns ``(sigmoid(z), u < sigmoid(z))`` as float32."""
        prob = np.empty_like(pre)
        sample = np.empty_like(pre)
        key = K.new_key(stream)
        rowbias = np.ndim(bias) == 2
        kernel = (K.bernoulli_from_preactivation_rowbias if rowbias
                  else K.bernoulli_from_preactivation)
        bounds = self._blocks(pre.shape[0], min_block=self._min_rows(pre))
        if len(bounds) == 2:  # one block: no closure, no hand-off (small minibatches)
            kernel(pre, row_scale, bias, key, prob, sample, 0)
            return prob, sample

        def rows(lo, hi):
            b = bias[lo:hi] if rowbias else bias
            kernel(pre[lo:hi], None if row_scale is None else row_scale[lo:hi], b, key,
                   prob[lo:hi], sample[lo:hi], lo)

        self._in_blocks(rows, bounds)
        return prob, sample

    @staticmethod
    def _min_rows(A):
        """Fewest rows of ``A`` worth a thread (about 16k elements; below, the hand-off costs
        more than it saves)."""
        return max(1, 16384 // max(1, A.shape[1]))

    def sigmoid(self, pre, bias, out=None):
        """``sigmoid(pre + bias)`` (float32, overflow-free; ``out`` may be ``pre``)."""
        out = np.empty_like(pre) if out is None else out
        K.sigmoid_from_preactivation(pre, bias, out)
        return out

    def mean_rows(self, x):
        """``x.mean(axis=0)`` with the same rounding (a float32 row sum, then one division
        carried out in float64 and stored in float32), without ``ndarray.mean``'s Python
        layer, which costs more than the sum for a minibatch."""
        if x.dtype == np.float32 and x.ndim == 2:
            return K.mean_rows(x)
        out = np.add.reduce(x, axis=0)
        return np.true_divide(out, np.intp(x.shape[0]), out=out, casting="unsafe")

    def expit(self, x):
        """``sigmoid(x)`` to full precision (``scipy.special.expit``)."""
        return special.expit(x)

    def categorical(self, pre, row_scale, bias, n_categories, stream):
        """Softmax over consecutive groups of ``n_categories`` columns of
        ``row_scale[:, None] pre + bias`` and a one-hot draw per group: ``(prob, sample)``."""
        if np.ndim(bias) == 2:  # a bias per row (tempered chains): fold it into pre
            pre = pre * row_scale[:, None] + bias
            row_scale = np.ones(pre.shape[0], np.float32)
            bias = np.zeros(pre.shape[1], np.float32)
        prob = np.empty_like(pre)
        sample = np.empty_like(pre)
        K.categorical_from_preactivation(pre, row_scale, bias, int(n_categories),
                                         K.new_key(stream), prob, sample)
        return prob, sample

    def softplus_rowsum(self, z):
        """``sum_j softplus(z[i, j])`` per row (float64)."""
        return K.softplus_rowsum(z)

    def ais_hidden_step(self, x, c, beta_prev, beta, stream, h_out, do_sample):
        """AIS increment ``sum_j softplus(beta z_j) - softplus(beta_prev z_j)``, ``z = x + c``,
        in float64; with ``do_sample`` also ``h_out ~ sigmoid(beta z)``. Returns the increments
        (``h_out`` is filled in place)."""
        return K.ais_hidden_step(x, c, beta_prev, beta, K.new_key(stream), h_out, do_sample)

    # -- products ----------------------------------------------------------
    def matmul01(self, B, M, binary=True):
        """``B @ M`` (float32); for a 0/1 ``B`` with few ones, sparse row sums of ``M``."""
        out = np.empty((B.shape[0], M.shape[1]), np.float32)
        if binary and np.count_nonzero(B) < K.SPARSE_BELOW * B.size:
            K.binary_matmul(B, M, np.zeros(M.shape[1], np.float32), out)
        else:
            np.dot(B, M, out=out)
        return out

    def transpose(self, W):
        """A C-contiguous copy of ``W.T``."""
        return np.ascontiguousarray(W.T)

    def _column_index(self, B):
        """:func:`~boltz.backend._kernels.column_index` of ``B``, cached for the last two
        matrices seen (safe from the positive-phase worker: a lost entry is recomputed)."""
        cache = self._index_cache
        for cached, idx in cache:
            if cached is B:
                return idx
        idx = K.column_index(B)
        self._index_cache = [(B, idx)] + cache[:1]
        return idx

    def hidden_input(self, T, W, binary):
        """``T W`` (float32) for the trainer: sparse (indexed, cached) when ``T`` is 0/1."""
        pre = np.empty((T.shape[0], W.shape[1]), np.float32)
        if binary:
            starts, rows = self._column_index(T)
            zeros = self._zeros(W.shape[1])
            bounds = self._blocks(W.shape[1], align=16, min_block=64)
            if len(bounds) == 2:
                K.binary_matmul_indexed(starts, rows, W, zeros, pre)
            else:
                self._in_blocks(lambda lo, hi: K.binary_matmul_indexed_cols(
                    starts, rows, W, zeros, pre, lo, hi), bounds)
        else:
            np.dot(T, W, out=pre)
        return pre

    def visible_input(self, h, W):
        """``h W^T`` for a 0/1 ``h``: sparse row sums over a cached ``W^T`` when few units
        are on, else a BLAS product."""
        # a stale transposed copy costs a pass over W: for a few rows BLAS is cheaper
        if ((self._WT_valid or h.shape[0] >= _SPARSE_MIN_ROWS)
                and np.count_nonzero(h) < K.SPARSE_BELOW * h.size):
            if self._WT is None or self._WT.shape != W.shape[::-1]:
                self._WT = np.empty(W.shape[::-1], np.float32)
                self._WT_valid = False
            if not self._WT_valid:
                K.transpose_into(W, self._WT)
                self._WT_valid = True
            pre = np.empty((h.shape[0], W.shape[0]), np.float32)
            zeros = self._zeros(W.shape[0])
            bounds = self._blocks(h.shape[0], min_block=self._min_rows(h))
            if len(bounds) == 2:
                K.binary_matmul(h, self._WT, zeros, pre)
            else:
                self._in_blocks(lambda lo, hi: K.binary_matmul(h[lo:hi], self._WT, zeros,
                                                               pre[lo:hi]), bounds)
            return pre
        return h @ W.T

    def weights_changed(self):
        """Forget the cached ``W^T`` (call when ``W`` changed outside :meth:`weight_step`)."""
        self._WT_valid = False

    # -- the update --------------------------------------------------------
    def weight_step(self, W, velocity, t_pos, y_pos, t_neg, y_neg, u, w, lr, momentum,
                    weight_decay, binary, next_hidden=None):
        """Momentum step on ``W`` in place with the gradient
        ``G = t_pos^T y_pos + t_neg^T y_neg - outer(u, w)``::

            velocity = momentum velocity + lr (G - weight_decay W);  W += velocity

        An empty ``velocity`` (shape ``(0, 0)``) means plain SGD (``W += lr (G - wd W)``).
        ``next_hidden`` (the persistent chains' hidden state, if any) tells whether the
        next ``h W^T`` will be sparse, so the transposed copy is refreshed in the same
        pass. Returns ``max |W|`` (NaN if any entry is NaN).
        """
        if binary:
            y_pos = y_pos.astype(np.float32, copy=False)
            y_neg = y_neg.astype(np.float32, copy=False)
            sp, rp = self._column_index(t_pos)
            sn, rn = self._column_index(t_neg)
            write_t = (next_hidden is None
                       or np.count_nonzero(next_hidden) < K.SPARSE_BELOW * next_hidden.size)
            if write_t and (self._WT is None or self._WT.shape != W.shape[::-1]):
                self._WT = np.empty(W.shape[::-1], np.float32)
            no_t = np.empty((0, 0), np.float32)
            has_velocity = velocity.shape[0] == W.shape[0]

            def rows(lo, hi):  # rows lo:hi of W (independent of the other rows)
                return K.fused_binary_update_indexed(
                    sp[lo:hi + 1], rp, y_pos, sn[lo:hi + 1], rn, y_neg, W[lo:hi],
                    velocity[lo:hi] if has_velocity else velocity, u[lo:hi], w, lr, momentum,
                    weight_decay, self._WT[:, lo:hi] if write_t else no_t)

            bounds = self._blocks(W.shape[0], align=16, min_block=64)
            if len(bounds) == 2:  # one thread: the whole matrix in one call
                max_w = K.fused_binary_update_indexed(sp, rp, y_pos, sn, rn, y_neg, W, velocity,
                                                      u, w, lr, momentum, weight_decay,
                                                      self._WT if write_t else no_t)
            else:
                maxes = self._in_blocks(rows, bounds)
                max_w = np.nan if np.isnan(maxes).any() else max(maxes)
            self._WT_valid = write_t
            return max_w
        grad = self.weight_gradient(t_pos, y_pos, t_neg, y_neg, binary)
        return self.apply_weight_step(W, velocity, grad, u, w, lr, momentum, weight_decay)

    def weight_gradient(self, t_pos, y_pos, t_neg, y_neg, binary):
        """The statistics part ``t_pos^T y_pos + t_neg^T y_neg`` of the weight gradient, one
        float32 product into a work array (overwritten by the next call); summed over ranks
        before :meth:`apply_weight_step` in data-parallel training. (:meth:`weight_step`
        fuses it with the step for 0/1 ``t``.)"""
        t = self._scratch("t", (t_pos.shape[0] + t_neg.shape[0], t_pos.shape[1]))
        y = self._scratch("y", (y_pos.shape[0] + y_neg.shape[0], y_pos.shape[1]))
        np.concatenate([t_pos, t_neg], out=t)
        np.concatenate([y_pos, y_neg], out=y)
        return np.dot(t.T, y, out=self._scratch("grad", (t.shape[1], y.shape[1])))

    def apply_weight_step(self, W, velocity, grad, u, w, lr, momentum, weight_decay):
        """Momentum step on ``W`` in place with the gradient ``grad - outer(u, w)`` (see
        :meth:`weight_step`); returns ``max |W|`` (NaN if any entry is NaN)."""
        grad = np.ascontiguousarray(grad, np.float32)
        if velocity.size == 0:  # plain SGD: a zeroed scratch velocity
            velocity = self._scratch("velocity", W.shape)
            velocity.fill(0.0)
        max_w = K.update_parameters_rank1(W, velocity, grad, u, w, lr, momentum, weight_decay)
        self._WT_valid = False
        return max_w

    def _zeros(self, n):
        """A float32 vector of ``n`` zeros, kept between calls (read-only use: kernel biases)."""
        z = self._buffers.get(("zeros", n))
        if z is None:
            z = self._buffers[("zeros", n)] = np.zeros(n, np.float32)
        return z

    def _scratch(self, name, shape):
        """A float32 work array kept between calls (one per ``name``; reallocated when the
        shape changes, e.g. for the last, shorter minibatch of an epoch)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self._buffers[name] = np.empty(shape, np.float32)
        return buf
