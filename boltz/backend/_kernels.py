"""numba kernels for the RBM hot loops (imported by the RBM modules, never by ``boltz``).

Random numbers come from a counter-based generator: element ``idx`` of a call
with key ``key`` gets ``splitmix64(key + idx * golden)``. Each call draws its
key from the caller's ``numpy.random.Generator``, so results depend only on the
seed, never on thread scheduling, and the loops can run in parallel.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..samplers._rng import counter_double as _uniform

# Serial kernels: the per-call work is small (one minibatch), and on a loaded
# machine numba/OpenMP worker threads that busy-wait at barriers cost far more
# than they save. ``prange`` then runs as ``range``.
_PARALLEL = False

#: Below this fraction of ones, a product with a 0/1 matrix is done as sparse row
#: sums (:func:`binary_matmul`) rather than dense BLAS; measured on one core for
#: (100 x 500) (500 x 784) float32 products: 0.34 / 0.51 / 0.75 ms sparse at 10 /
#: 16 / 25% ones against 0.93 ms for single-thread BLAS, so break-even is near 0.3.
SPARSE_BELOW = 0.3


def new_key(rng: np.random.Generator) -> np.uint64:
    """A fresh 64-bit key for one kernel call."""
    return np.uint64(rng.integers(0, 2**63 - 1, dtype=np.int64))


def _logistic_parts(z):
    """``e = exp(-|z|)`` (same dtype as ``z``) by NumPy's SIMD ``exp``; numba has no
    vector ``exp`` without Intel's SVML, and the scalar one is most of a sampling
    kernel's time."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    return e


def bernoulli_from_preactivation(pre, row_scale, bias, key, prob, sample, row0=0):
    """``z = row_scale[i] * pre[i, j] + bias[j]``; ``prob = sigmoid(z)``; ``sample = u < prob``.

    All arrays float32 (``row_scale`` ``None`` means 1); ``key`` is a fresh
    :func:`new_key`. ``row0`` is the index of ``pre``'s first row in the whole
    matrix when ``pre`` is a block of rows of it: element ``(i, j)`` uses the
    uniform of ``(row0 + i, j)``, so a matrix processed in row blocks (by several
    threads) gets the same draws as in one call.
    """
    z, e = _preactivation_parts(pre, row_scale, bias)
    _bernoulli_finish(z, e, key, prob, sample, row0)


def _preactivation_parts(pre, row_scale, bias):
    """``(z, exp(-|z|))`` with ``z = pre * row_scale[:, None] + bias`` (``bias`` one row, or
    one row per row; ``row_scale`` ``None``: 1) in ``pre``'s dtype.

    ``z`` and ``-|z|`` come from one numba pass (each element rounded as NumPy's
    ``pre * s`` then ``+ bias`` would: no fused multiply-add), the ``exp`` from NumPy's
    SIMD loop (:func:`_logistic_parts`): for a minibatch of ten rows the calls, not
    the arithmetic, are the cost. A ``row_scale`` of another dtype takes NumPy's
    promotion route instead.
    """
    if row_scale is not None and row_scale.dtype != pre.dtype:
        z = pre * row_scale[:, None]
        z += bias
        return z, _logistic_parts(z)
    scale = _NO_SCALE if row_scale is None else row_scale
    if bias.ndim == 1:
        z, e = _shift_and_negabs(pre, scale, bias)
    else:
        z, e = _shift_and_negabs_rows(pre, scale, bias)
    np.exp(e, out=e)
    return z, e


#: The ``scale`` of :func:`_shift_and_negabs` meaning "no scaling".
_NO_SCALE = np.empty(0, np.float32)


@numba.njit(cache=True, nogil=True)
def _shift_and_negabs(pre, scale, bias):
    """``(z, -|z|)`` with ``z = pre * scale[:, None] + bias`` (no scaling when ``scale`` is
    empty), new arrays of ``pre``'s dtype."""
    n, m = pre.shape
    z = np.empty((n, m), pre.dtype)
    e = np.empty((n, m), pre.dtype)
    scaled = scale.shape[0] == n
    for i in range(n):
        for j in range(m):
            x = pre[i, j] * scale[i] + bias[j] if scaled else pre[i, j] + bias[j]
            z[i, j] = x
            e[i, j] = -abs(x)
    return z, e


@numba.njit(cache=True, nogil=True)
def _shift_and_negabs_rows(pre, scale, bias2d):
    """:func:`_shift_and_negabs` with a bias per row, ``bias2d[i, j]``."""
    n, m = pre.shape
    z = np.empty((n, m), pre.dtype)
    e = np.empty((n, m), pre.dtype)
    scaled = scale.shape[0] == n
    for i in range(n):
        for j in range(m):
            x = pre[i, j] * scale[i] + bias2d[i, j] if scaled else pre[i, j] + bias2d[i, j]
            z[i, j] = x
            e[i, j] = -abs(x)
    return z, e


def bernoulli_from_preactivation_rowbias(pre, row_scale, bias2d, key, prob, sample, row0=0):
    """Like :func:`bernoulli_from_preactivation` with a bias per row, ``bias2d[i, j]``."""
    z, e = _preactivation_parts(pre, row_scale, bias2d)
    _bernoulli_finish(z, e, key, prob, sample, row0)


def sigmoid_from_preactivation(pre, bias, prob):
    """``prob = sigmoid(pre + bias)`` (no sampling: the PCD positive phase needs only this).

    ``prob`` may be ``pre`` itself.
    """
    z, e = _preactivation_parts(pre, None, bias)
    _sigmoid_finish(z, e, prob)


@numba.njit(cache=True, nogil=True)
def mean_rows(x):
    """``x.mean(axis=0)`` of a float32 matrix, rounded as NumPy rounds it: the rows summed
    in order in float32 (NumPy's reduction over the outer axis), then one division done
    in float64 and stored in float32. One call instead of NumPy's reduction, division
    and Python layer (most of the cost for a minibatch of ten rows)."""
    n, m = x.shape
    out = np.empty(m, np.float32)
    if n == 0:
        out[:] = np.nan
        return out
    for j in range(m):
        out[j] = x[0, j]
    for i in range(1, n):
        for j in range(m):
            out[j] += x[i, j]
    d = np.float64(n)
    for j in range(m):
        out[j] = np.float32(np.float64(out[j]) / d)
    return out


def logistic(x):
    """``sigmoid(x)`` of a float32/float64 array (any shape) as a new array, by the
    same SIMD ``exp`` route as the sampling kernels (about 2x ``scipy.special.expit``)."""
    x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
    out = np.empty_like(x2)
    _sigmoid_finish(x2, _logistic_parts(x2), out)
    return out.reshape(x.shape)


@numba.njit(inline="always")
def _sigmoid_from_exp(z, e, one):
    """``sigmoid(z)`` given ``e = exp(-|z|)``: ``1 / (1 + e)`` or ``e / (1 + e)`` by the
    sign of ``z`` (a select, no branch; never overflows). ``one`` is 1 in the
    precision to compute in (float32 for sampling, float64 for AIS)."""
    r = one / (one + e)
    return r if z >= 0 else e * r


@numba.njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"}, nogil=True)
def _bernoulli_finish(z, e, key, prob, sample, row0):
    """``prob = sigmoid(z)`` from ``e = exp(-|z|)`` (no overflow, branch-free select) and
    ``sample = u < prob`` with ``u`` the counter-based uniform of element ``(row0 + i, j)``."""
    n, m = z.shape
    one = np.float32(1.0)
    for i in range(n):
        base = (row0 + i) * m
        for j in range(m):
            p = _sigmoid_from_exp(z[i, j], e[i, j], one)
            prob[i, j] = p
            sample[i, j] = 1.0 if _uniform(key, base + j) < p else 0.0


@numba.njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"}, nogil=True)
def _sigmoid_finish(z, e, prob):
    n, m = z.shape
    one = np.float32(1.0)
    for i in range(n):
        for j in range(m):
            prob[i, j] = _sigmoid_from_exp(z[i, j], e[i, j], one)


@numba.njit(parallel=_PARALLEL, cache=True, nogil=True)
def categorical_from_preactivation(pre, row_scale, bias, n_categories, key, prob, sample):
    """Softmax over consecutive groups of ``n_categories`` columns; one-hot draw per group."""
    n, m = pre.shape
    groups = m // n_categories
    for i in numba.prange(n):
        s = row_scale[i]
        for g in range(groups):
            off = g * n_categories
            zmax = -np.inf
            for c in range(n_categories):
                z = s * pre[i, off + c] + bias[off + c]
                if z > zmax:
                    zmax = z
            tot = 0.0
            for c in range(n_categories):
                e = math.exp(s * pre[i, off + c] + bias[off + c] - zmax)
                prob[i, off + c] = e
                tot += e
            u = _uniform(key, i * groups + g) * tot
            acc = 0.0
            chosen = n_categories - 1
            for c in range(n_categories):
                acc += prob[i, off + c]
                if u < acc:
                    chosen = c
                    break
            for c in range(n_categories):
                prob[i, off + c] = prob[i, off + c] / tot
                sample[i, off + c] = 1.0 if c == chosen else 0.0


def ais_hidden_step(x, c, beta_prev, beta, key, h_out, do_sample):
    """One AIS step's hidden part for Bernoulli hidden units (Salakhutdinov & Murray 2008).

    With ``z = x + c`` (``x = T(v) W``), returns for each run the increment
    ``sum_j softplus(beta z_j) - softplus(beta_prev z_j)`` in float64, computed
    as ``max`` terms plus the log of a product of ratios ``(1 + e_b) / (1 + e_p)``
    (``e = exp(-|beta z|)``, by NumPy's SIMD ``exp``), so no logarithm per unit
    and no cancellation between two large softplus values. When ``do_sample``
    it also draws ``h ~ sigmoid(beta z)`` into ``h_out``.
    """
    z = x.astype(np.float64)
    z += c
    zb = z * beta
    zp = z
    zp *= beta_prev
    return _ais_hidden_finish(zb, zp, _logistic_parts(zb), _logistic_parts(zp), key, h_out,
                              do_sample)


@numba.njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"}, nogil=True)
def _ais_hidden_finish(zb, zp, eb, ep, key, h_out, do_sample):
    n, m = zb.shape
    out = np.empty(n, dtype=np.float64)
    full = m - m % 64
    for i in range(n):
        lin = 0.0
        for j in range(m):
            lin += max(zb[i, j], 0.0) - max(zp[i, j], 0.0)
        # log prod (1 + e_b) / prod (1 + e_p) over blocks of 64 factors in [1, 2]
        # (at most 2**64 each: finite), two independent products that vectorise
        logsum = 0.0
        for jb in range(0, full, 64):
            num = 1.0
            den = 1.0
            for j in range(64):
                num *= 1.0 + eb[i, jb + j]
                den *= 1.0 + ep[i, jb + j]
            logsum += math.log(num / den)
        num = 1.0
        den = 1.0
        for j in range(full, m):
            num *= 1.0 + eb[i, j]
            den *= 1.0 + ep[i, j]
        out[i] = lin + logsum + math.log(num / den)
        if do_sample:
            base = i * m
            for j in range(m):
                p = _sigmoid_from_exp(zb[i, j], eb[i, j], 1.0)
                h_out[i, j] = 1.0 if _uniform(key, base + j) < p else 0.0
    return out


@numba.njit(parallel=_PARALLEL, cache=True)
def update_parameters(param, velocity, grad, grad_scale, lr, momentum, weight_decay):
    """``velocity = momentum velocity + lr (grad_scale grad - weight_decay param)``;
    ``param += velocity``. Returns the largest ``|param|`` (NaN if any is NaN)."""
    flat_p = param.reshape(-1)
    flat_v = velocity.reshape(-1)
    flat_g = grad.reshape(-1)
    n = flat_p.shape[0]
    n_blocks = 64
    block = (n + n_blocks - 1) // n_blocks
    maxes = np.zeros(n_blocks, dtype=np.float64)
    for b in numba.prange(n_blocks):
        lo = b * block
        hi = min(n, lo + block)
        mx = 0.0
        for t in range(lo, hi):
            vel = momentum * flat_v[t] + lr * (grad_scale * flat_g[t] - weight_decay * flat_p[t])
            flat_v[t] = vel
            p = flat_p[t] + vel
            flat_p[t] = p
            a = abs(p)
            if a > mx:
                mx = a
            elif a != a:  # NaN: poison this block's maximum
                mx = np.inf
        maxes[b] = mx
    mx = 0.0
    for b in range(n_blocks):
        if maxes[b] > mx:
            mx = maxes[b]
    return mx


@numba.njit(parallel=_PARALLEL, cache=True)
def softplus_rowsum(z):
    """``sum_j softplus(z[i, j])`` per row, float64."""
    n, m = z.shape
    out = np.empty(n, dtype=np.float64)
    for i in numba.prange(n):
        s = 0.0
        for j in range(m):
            t = np.float64(z[i, j])
            s += max(t, 0.0) + math.log1p(math.exp(-abs(t)))
        out[i] = s
    return out


@numba.njit(parallel=_PARALLEL, cache=True)
def bernoulli_pseudo_loglik(v, x, W, a):
    """Exact log pseudo-likelihood ``sum_i log p(v_i | v_-i)`` of a Bernoulli-visible RBM.

    ``x = c + v W`` (float64). Flipping ``v_i`` changes ``-F`` by
    ``s a_i + sum_j softplus(x_j + s W_ij) - softplus(x_j)`` with ``s = 1 - 2 v_i``,
    and ``log p(v_i | v_-i) = -softplus(delta_i)``.
    """
    n, n_vis = v.shape
    n_hid = x.shape[1]
    out = np.empty(n, dtype=np.float64)
    for r in numba.prange(n):
        sp0 = np.empty(n_hid, dtype=np.float64)
        for j in range(n_hid):
            t = x[r, j]
            sp0[j] = max(t, 0.0) + math.log1p(math.exp(-abs(t)))
        total = 0.0
        for i in range(n_vis):
            s = 1.0 - 2.0 * v[r, i]
            d = s * a[i]
            for j in range(n_hid):
                t = x[r, j] + s * W[i, j]
                d += max(t, 0.0) + math.log1p(math.exp(-abs(t))) - sp0[j]
            total -= max(d, 0.0) + math.log1p(math.exp(-abs(d)))
        out[r] = total
    return out


def column_index(B):
    """``(starts, rows)``: the rows where each column of the 0/1 matrix ``B`` is 1 (CSC).

    Computed once per minibatch and shared by the products that read ``B``
    (:func:`binary_matmul_indexed`, :func:`fused_binary_update`).
    """
    return _columns_to_rows(B)


@numba.njit(cache=True, nogil=True)
def _columns_to_rows(B):
    """For a 0/1 matrix ``B`` (n x k): CSC-style ``(starts, rows)`` of its nonzeros per column."""
    n, k = B.shape
    starts = np.zeros(k + 1, np.int64)
    for r in range(n):
        for i in range(k):
            if B[r, i] != 0.0:
                starts[i + 1] += 1
    for i in range(k):
        starts[i + 1] += starts[i]
    rows = np.empty(starts[k], np.int64)
    fill = starts[:k].copy()
    for r in range(n):
        for i in range(k):
            if B[r, i] != 0.0:
                rows[fill[i]] = r
                fill[i] += 1
    return starts, rows


@numba.njit(cache=True, fastmath=True, nogil=True)
def binary_matmul(B, M, bias, out):
    """``out = bias + B @ M`` for a 0/1 matrix ``B``: adds the rows of ``M`` where ``B`` is 1.

    ``nnz(B) * M.shape[1]`` additions instead of ``B.size * M.shape[1]``
    multiply-adds (binarized MNIST has ~13% of pixels on). Rows of ``M`` are
    visited once each, so ``M`` streams through the cache once per call.
    """
    starts, rows = _columns_to_rows(B)
    binary_matmul_indexed(starts, rows, M, bias, out)


@numba.njit(cache=True, fastmath=True, nogil=True)
def binary_matmul_indexed(starts, rows, M, bias, out):
    """:func:`binary_matmul` with ``B`` given by its :func:`column_index` ``(starts, rows)``."""
    m = M.shape[1]
    for r in range(out.shape[0]):
        out[r, :] = bias
    for i in range(starts.shape[0] - 1):
        src = M[i]
        for t in range(starts[i], starts[i + 1]):
            dst = out[rows[t]]
            for j in range(m):
                dst[j] += src[j]


@numba.njit(cache=True, fastmath=True, nogil=True)
def binary_matmul_indexed_cols(starts, rows, M, bias, out, j0, j1):
    """Columns ``j0:j1`` of :func:`binary_matmul_indexed` (the same additions in the same
    order for each element, so threads that each take a block of columns give the
    result of one call)."""
    w = j1 - j0
    b = bias[j0:j1]
    for r in range(out.shape[0]):
        dst = out[r, j0:j1]
        for j in range(w):
            dst[j] = b[j]
    for i in range(starts.shape[0] - 1):
        # row views and loops from 0: numba then knows the indices are non-negative
        # (no wrap-around checks) and vectorises the loop
        src = M[i, j0:j1]
        for t in range(starts[i], starts[i + 1]):
            dst = out[rows[t], j0:j1]
            for j in range(w):
                dst[j] += src[j]


@numba.njit(cache=True)
def transpose_into(A, out):
    """``out[...] = A.T`` in 16 x 16 tiles (both C-contiguous), so each cache line
    is read and written once."""
    n, m = A.shape
    for ib in range(0, n, 16):
        ie = min(ib + 16, n)
        for jb in range(0, m, 16):
            je = min(jb + 16, m)
            for j in range(jb, je):
                for i in range(ib, ie):
                    out[j, i] = A[i, j]


@numba.njit(cache=True, fastmath=True)
def binary_outer_accumulate(B, Y, out):
    """``out += B^T @ Y`` for a 0/1 matrix ``B``: row ``i`` of ``out`` gains the rows of ``Y``
    where column ``i`` of ``B`` is 1."""
    m = Y.shape[1]
    starts, rows = _columns_to_rows(B)
    for i in range(B.shape[1]):
        dst = out[i]
        for t in range(starts[i], starts[i + 1]):
            src = Y[rows[t]]
            for j in range(m):
                dst[j] += src[j]


@numba.njit(cache=True)
def update_parameters_rank1(param, velocity, grad, u, w, lr, momentum, weight_decay):
    """:func:`update_parameters` with gradient ``grad - outer(u, w)``; returns ``max |param|``."""
    n, m = param.shape
    mx = 0.0
    bad = False
    for i in range(n):
        ui = u[i]
        for j in range(m):
            g = grad[i, j] - ui * w[j]
            vel = momentum * velocity[i, j] + lr * (g - weight_decay * param[i, j])
            velocity[i, j] = vel
            p = param[i, j] + vel
            param[i, j] = p
            # branch-free (the loop vectorises); NaN tracked apart, as max() may drop it
            a = abs(p)
            mx = max(mx, a)
            bad |= a != a
    return np.nan if bad else mx


@numba.njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"})  # keeps NaN checks
def fused_binary_update(t_pos, y_pos, t_neg, y_neg, param, velocity, u, w, lr, momentum,
                        weight_decay):
    """:func:`fused_binary_update_indexed` computing the column indices of ``t_pos``/``t_neg``."""
    sp, rp = _columns_to_rows(t_pos)
    sn, rn = _columns_to_rows(t_neg)
    return fused_binary_update_indexed(sp, rp, y_pos, sn, rn, y_neg, param, velocity, u, w, lr,
                                       momentum, weight_decay, np.empty((0, 0), param.dtype))


@numba.njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"}, nogil=True)  # NaN checks
def fused_binary_update_indexed(sp, rp, y_pos, sn, rn, y_neg, param, velocity, u, w, lr,
                                momentum, weight_decay, param_t):
    """Gradient ``t_pos^T y_pos + t_neg^T y_neg - outer(u, w)`` for 0/1 matrices ``t`` given
    by their :func:`column_index` ``(sp, rp)`` and ``(sn, rn)``, and the momentum update of
    :func:`update_parameters`, one row of ``param`` at a time.

    The gradient row lives in a small buffer, so the weights and velocities are
    read and written once per update and no gradient matrix is stored. An empty
    ``velocity`` (shape ``(0, 0)``) means plain SGD: the step is ``lr * gradient``
    (``momentum`` is ignored) and no velocity is read or written. When
    ``param_t`` has the transposed shape it receives ``param.T``, written tile by
    tile while the rows are still in cache (an empty ``param_t`` skips this).
    Returns ``max |param|`` (NaN if any is NaN).
    """
    n_vis, m = param.shape
    write_t = param_t.shape[0] == m and param_t.shape[1] == n_vis
    use_velocity = velocity.shape[0] == n_vis
    buf = np.empty(m, dtype=np.float32)
    # float32 scalars keep the row loop in float32 (twice the SIMD lanes of float64)
    lr = np.float32(lr)
    momentum = np.float32(momentum)
    weight_decay = np.float32(weight_decay)
    mx = 0.0
    bad = False
    for i in range(n_vis):
        for j in range(m):
            buf[j] = 0.0
        for t in range(sp[i], sp[i + 1]):
            src = y_pos[rp[t]]
            for j in range(m):
                buf[j] += src[j]
        for t in range(sn[i], sn[i + 1]):
            src = y_neg[rn[t]]
            for j in range(m):
                buf[j] += src[j]
        ui = u[i]
        row_p = param[i]
        rmax = np.float32(0.0)
        nan_seen = False
        # buf becomes the step of each weight (the gradient is no longer needed)
        if use_velocity:
            row_v = velocity[i]
            for j in range(m):
                d = momentum * row_v[j] + lr * (buf[j] - ui * w[j] - weight_decay * row_p[j])
                row_v[j] = d
                buf[j] = d
        else:
            for j in range(m):
                buf[j] = lr * (buf[j] - ui * w[j] - weight_decay * row_p[j])
        for j in range(m):
            p = row_p[j] + buf[j]
            row_p[j] = p
            # branch-free so the loop vectorises; NaN is tracked separately
            # because max() may drop it
            rmax = max(rmax, abs(p))
            nan_seen |= p != p
        bad |= nan_seen
        mx = max(mx, rmax)
        if write_t and ((i & 15) == 15 or i == n_vis - 1):
            ib = i - (i & 15)
            for ii in range(ib, i + 1):  # contiguous reads of the rows just written
                row = param[ii]
                for j in range(m):
                    param_t[j, ii] = row[j]
    return np.nan if bad else mx
