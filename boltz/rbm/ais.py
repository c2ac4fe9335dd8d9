"""Annealed importance sampling (AIS) for the partition function of an RBM.

Forward AIS (Neal 2001; Salakhutdinov & Murray 2008) anneals from a base RBM
``p_0`` with ``W = 0`` whose visible biases ``a_A`` are fitted to the data
(its ``log Z_0 = H log 2 + sum_i A_vis(a_A,i)`` is exact) to the target, through::

    log p*_beta(v) = ((1 - beta) a_A + beta a) . T(v) + log h(v)
                     + sum_j softplus(beta (c_j + T(v) . W[:, j]))

with the hidden units summed out analytically. Each run starts at
``v ~ p_0``; at every ``beta_k`` it adds ``log p*_k(v) - log p*_{k-1}(v)`` to
its log-weight, then makes one block-Gibbs transition that leaves ``p_k``
invariant. All runs advance together, so a step is one float32 product
``(runs x V) (V x H)`` and one ``(runs x H) (H x V)``; the weight and hidden
draw are one fused numba kernel. ``Z_K / Z_0`` is the mean weight.

Bias directions (document these to users):

- **forward AIS** is unbiased for ``Z`` but, by Jensen's inequality,
  ``E[log Z_hat] <= log Z``: it tends to *underestimate* ``log Z``, so the
  test log-likelihood ``mean(-F(v)) - log Z_hat`` tends to be *optimistic*
  (too high), badly so when the annealing is too short.
- **reverse AIS** (Burda, Grosse & Salakhutdinov 2015) runs the same chain
  from the target back to the base. Started at exact model samples it is
  unbiased for ``1 / Z``, so ``E[log Z_hat] >= log Z``: a *conservative*
  estimate whose log-likelihood tends to be too low. Exact samples are not
  available for a big RBM; the runs start from Gibbs chains initialised at
  data (as RAISE does), which makes the bound approximate: if the chains miss
  modes of the model, the estimate can fall below ``log Z``.

With enough temperatures the two agree; a gap between them says the
annealing is too short.

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> from boltz.rbm.ais import ais_log_partition
>>> rng = np.random.default_rng(0)
>>> rbm = BernoulliRBM.from_params(0.3 * rng.standard_normal((10, 4)),
...                                rng.standard_normal(10), rng.standard_normal(4))
>>> res = ais_log_partition(rbm, n_runs=50, n_betas=2000, seed=0)
>>> bool(abs(res.log_z - rbm.log_partition()) < 0.05)
True
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._validation import check_array, check_positive_int, check_rng
from ..backend import deterministic_threads, get_backend, is_torch_device

__all__ = [
    "AISResult",
    "default_betas",
    "ais_log_partition",
    "reverse_ais_log_partition",
    "base_rate_bias",
]


@dataclass
class AISResult:
    """An AIS estimate of ``log Z``.

    ``log_z`` is ``log Z_0 + log mean(w)``; ``log_z_low``/``log_z_high`` are
    ``log Z_0 + log(mean(w) -/+ 3 standard errors)`` (Salakhutdinov & Murray's
    ``±3 sigma`` range; ``-inf`` when the lower end is not positive);
    ``log_z_std`` is the delta-method standard error of ``log_z``.
    ``direction`` is ``"forward"`` (tends to underestimate ``log Z``) or
    ``"reverse"`` (tends to overestimate it).

    Attributes
    ----------
    log_z : float
        The estimate of ``log Z``.
    log_z_std : float
        Its delta-method standard error.
    log_z_low, log_z_high : float
        The ``±3 sigma`` range.
    log_weights : numpy.ndarray, shape (n_runs,)
        The log importance weights.
    log_z_base : float
        ``log Z_0`` of the base model.
    n_betas : int
        Number of annealing steps.
    direction : str
        ``"forward"`` or ``"reverse"``.
    seconds : float
        Wall time of the annealing.
    interrupted : bool
        Ctrl-C stopped the annealing: the estimate uses only the runs that had
        finished (``len(log_weights)`` of those asked for).

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> res = ais_log_partition(m, n_runs=10, n_betas=20, seed=0)
    >>> res.direction, round(res.log_z, 4)  # exact: 5 log 2
    ('forward', 3.4657)
    """

    log_z: float
    log_z_std: float
    log_z_low: float
    log_z_high: float
    log_weights: np.ndarray = field(repr=False)
    log_z_base: float
    n_betas: int
    direction: str
    seconds: float
    interrupted: bool = False

    @property
    def effective_sample_size(self) -> float:
        """``(sum w)^2 / sum w^2`` of the importance weights."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return float(w.sum() ** 2 / (w**2).sum())


def default_betas(n_betas: int = 14500) -> np.ndarray:
    """Salakhutdinov & Murray's schedule scaled to ``n_betas`` temperatures in [0, 1].

    Their 14,500: 500 evenly in [0, 0.5], 4,000 in [0.5, 0.9], 10,000 in [0.9, 1].
    Returns ``n_betas + 1`` values from 0 to 1 (``n_betas`` annealing steps).

    Parameters
    ----------
    n_betas : int, default 14500
        Number of annealing steps.

    Returns
    -------
    numpy.ndarray, shape (n_betas + 1,)
        Increasing inverse temperatures from 0 to 1.

    Examples
    --------
    >>> b = default_betas(100)
    >>> b.shape, float(b[0]), float(b[-1])
    ((101,), 0.0, 1.0)
    """
    n = check_positive_int(n_betas, "n_betas")
    from .._resources import check_memory

    check_memory(3 * 8 * (n + 1), f"n_betas={n}", "the annealing schedule (float64)")
    if n < 3:
        return np.linspace(0.0, 1.0, n + 1)
    n1 = max(1, round(n * 500 / 14500))
    n2 = max(1, round(n * 4000 / 14500))
    n3 = max(1, n - n1 - n2)
    return np.concatenate([
        np.linspace(0.0, 0.5, n1, endpoint=False),
        np.linspace(0.5, 0.9, n2, endpoint=False),
        np.linspace(0.9, 1.0, n3 + 1),
    ])


def base_rate_bias(model, data=None) -> np.ndarray:
    """Visible natural parameters ``a_A`` of the base model: the ``W = 0`` fit to ``data``.

    Without data the model's own visible biases are used.

    Parameters
    ----------
    model : RBMBase
        A fitted RBM.
    data : array_like, shape (n, n_visible), optional
        Training data.

    Returns
    -------
    numpy.ndarray, shape (n_visible,)
        The base model's visible biases (float64).

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> base_rate_bias(m, np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])).round(2).tolist()
    [1.1, -1.1, 0.0]
    """
    if data is None:
        return model.visible_bias_.astype(np.float64)
    data = model._check_visible(data, "data", dtype=np.float32)
    return np.asarray(model._base_rate_bias(data), dtype=np.float64)


def _check_betas(betas, n_betas):
    if betas is None:
        return default_betas(n_betas)
    b = check_array(betas, "betas", ndim=1)
    if b.size < 2 or b[0] != 0.0 or b[-1] != 1.0 or np.any(np.diff(b) < 0):
        raise ValueError("betas must be non-decreasing from 0.0 to 1.0 (at least two values)")
    return b


def _anneal(model, v, betas, base_bias, rng, progress, bk=None, stop=None):
    """Run the AIS chain ``v`` through inverse temperatures ``betas`` (any direction).

    Returns the log-weights ``sum_k log p*_{beta_k}(v_{k-1}) - log p*_{beta_{k-1}}(v_{k-1})``
    (float64, on the backend ``bk``; default NumPy). Each step adds
    ``sum_j softplus(b z_j) - softplus(b' z_j) + (b - b') T(v).(a - a_A)`` with
    ``z = T(v) W + c``, then draws ``h ~ sigmoid(b z)`` and ``v`` from the visible
    family with natural parameters ``b (W h + a) + (1 - b) a_A``.

    ``stop`` (an :class:`~boltz.checkpoint.InterruptFlag`) is polled between
    temperatures: once set, ``None`` is returned (the runs did not finish).
    """
    from tqdm.auto import tqdm

    bk = get_backend(None) if bk is None else bk
    stream = bk.stream(rng)
    n = v.shape[0]
    W = bk.asarray(model.W_)
    c = bk.asarray(model.hidden_bias_, np.float64)
    a = model.visible_bias_.astype(np.float64)
    d32 = bk.asarray((a - base_bias).astype(np.float32))
    a_base = base_bias
    params = {k: bk.asarray(arr) for k, arr in model._param_arrays().items()}
    logw = bk.full(n, 0.0, np.float64)
    h = bk.full((n, model.n_hidden_), 0.0)
    scale = bk.full(n, 0.0)
    steps = len(betas) - 1
    bar = tqdm(range(1, steps + 1), desc="AIS", disable=not progress, mininterval=0.5)
    # 0/1 visibles: both products are sparse row sums on NumPy (W^T is copied once)
    binary = bool(getattr(model, "_binary_visible", False))
    WT = bk.transpose(W)
    v = bk.asarray(v)
    for k in bar:
        if stop is not None and stop.pending():
            bar.close()
            return None
        b_prev, b = float(betas[k - 1]), float(betas[k])
        t = model._stats(v)
        x = bk.matmul01(t, W, binary)
        last = k == steps
        logw += bk.ais_hidden_step(x, c, b_prev, b, stream, h, not last)
        logw += (b - b_prev) * bk.to64(t @ d32)
        if not last:
            scale[...] = b
            bias = bk.asarray(((1.0 - b) * a_base + b * a).astype(np.float32))
            v, _ = model._sample_visible_from_pre(bk.matmul01(h, WT), stream, row_scale=scale,
                                                  bias=bias, bk=bk, params=params)
    bar.close()
    return bk.to_numpy(logw)


#: Runs are annealed in independent chunks of at most this many (each with its
#: own child generator), so results depend on the seed and ``n_runs`` only, never
#: on how many worker threads advance the chunks.
_CHUNK_RUNS = 50


def _threads(model, n_threads, device):
    """One BLAS (or torch CPU) thread: the same bits on any thread count; ``n_threads``
    is checked and kept for compatibility (AIS parallelises over ``n_workers``)."""
    n_threads = model.n_threads if n_threads == "model" else n_threads
    if n_threads is not None:
        check_positive_int(n_threads, "n_threads")
    if is_torch_device(device):
        from ..backend.torch_backend import torch_device

        return deterministic_threads(torch_device(device))
    return deterministic_threads(None)


def _star_anneal_job(job):
    """One chunk of runs as a Dask task (module level, so that it pickles by reference)."""
    model, v, betas, base_bias, rng = job
    return _anneal(model, v, betas, base_bias, rng, False)


def _anneal_chunks(model, v, betas, base_bias, rng, progress, n_workers, device=None,
                   stop=None, comm=None, client=None):
    """:func:`_anneal` over chunks of runs, ``n_workers`` chunks at a time in threads
    (the numba kernels and BLAS release the GIL); with a torch ``device``, all runs
    at once there. Returns the log-weights of the chunks that finished (all of them
    unless ``stop`` was set). With a communicator ``comm`` each rank anneals its block
    of chunks and the log-weights are gathered in chunk order (the same weights as one
    process: chunk ``i`` always uses child generator ``i``)."""
    from ..distributed import get_communicator, shard_range

    comm = get_communicator(comm)
    if is_torch_device(device):
        if client is not None:
            raise ValueError(f"client runs the CPU path; use device=None with a Dask client, "
                             f"not device={device!r}")
        if comm.world_size == 1:
            out = _anneal(model, v, betas, base_bias, rng, progress, get_backend(device), stop)
            return np.zeros(0) if out is None else out
        lo, hi = shard_range(v.shape[0], comm)   # one stream per rank: other random numbers
        mine = _anneal(model, v[lo:hi], betas, base_bias, rng.spawn(comm.world_size)[comm.rank],
                       progress, get_backend(device), stop)
        mine = np.zeros(0) if mine is None else mine
        return np.concatenate(comm.all_gather(mine))
    n = v.shape[0]
    n_chunks = -(-n // _CHUNK_RUNS)
    parts = np.array_split(np.arange(n), n_chunks)
    rngs = rng.spawn(n_chunks)
    first, last = shard_range(n_chunks, comm)
    mine = range(first, last)
    if client is not None:                       # one Dask task per chunk
        from ..distributed import map_jobs

        jobs = [(model, v[parts[i]], betas, base_bias, rngs[i]) for i in mine]
        logw = map_jobs(_star_anneal_job, jobs, client=client)
        logw = np.concatenate(logw) if logw else np.empty(0)
        return np.concatenate(comm.all_gather(logw)) if comm.world_size > 1 else logw
    if n_workers is None:
        n_workers = max(1, min(len(mine), os.cpu_count() or 1))
    n_workers = max(1, min(check_positive_int(n_workers, "n_workers"), len(mine)))

    def run(i):
        if stop is not None and stop.pending():
            return None
        return _anneal(model, v[parts[i]], betas, base_bias, rngs[i], progress and i == first,
                       stop=stop)

    if n_workers == 1:
        done = [run(i) for i in mine]
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            done = list(pool.map(run, mine))
    done = [w for w in done if w is not None]
    logw = np.concatenate(done) if done else np.zeros(0)
    return np.concatenate(comm.all_gather(logw)) if comm.world_size > 1 else logw


def _work_is_long(model, n_runs, n_betas) -> bool:
    """More than about 1e11 multiply-adds (tens of seconds or more): show progress."""
    return 2.0 * n_runs * n_betas * model.n_visible_ * model.n_hidden_ > 1e11


def _annealed(model, v, betas, base, rng, progress, n_workers, device, direction,
              comm=None, client=None):
    """Anneal under Ctrl-C handling: the log-weights of the finished runs and whether
    Ctrl-C stopped the others (``KeyboardInterrupt`` when none had finished)."""
    from ..checkpoint import deferred_interrupt

    n_runs = v.shape[0]
    if progress is None:
        progress = _work_is_long(model, n_runs, len(betas))
    with deferred_interrupt() as stop:
        logw = _anneal_chunks(model, v, betas, base, rng, progress, n_workers, device, stop,
                              comm, client)
        interrupted = stop.pending()
    if interrupted and logw.size == 0:
        raise KeyboardInterrupt(f"{direction} AIS interrupted (Ctrl-C) before any of its "
                                f"{n_runs} runs finished; no estimate")
    if interrupted:
        import warnings

        from ..checkpoint import PartialResultWarning

        warnings.warn(PartialResultWarning(
            f"{direction} AIS interrupted (Ctrl-C): the estimate uses the {logw.size} of "
            f"{n_runs} runs that finished (result.interrupted is True)", done=logw.size,
            total=n_runs), stacklevel=3)
    return logw, interrupted


def _result(logw, log_z0, sign, n_betas, direction, seconds):
    """Summarise weights; ``sign=+1``: ``log Z = log Z0 + log mean w``, ``-1``: minus."""
    n = logw.size
    m = logw.max()
    w = np.exp(logw - m)
    mean = w.mean()
    se = w.std(ddof=1) / np.sqrt(n) if n > 1 else np.inf
    log_mean = m + np.log(mean)
    lo = m + np.log(mean - 3 * se) if mean - 3 * se > 0 else -np.inf
    hi = m + np.log(mean + 3 * se)
    std = float(se / mean) if np.isfinite(se) else np.inf
    if sign > 0:
        return AISResult(float(log_z0 + log_mean), std, float(log_z0 + lo), float(log_z0 + hi),
                         logw, float(log_z0), n_betas, direction, seconds)
    # reverse: the weights estimate Z0 / Z
    return AISResult(float(log_z0 - log_mean), std, float(log_z0 - hi), float(log_z0 - lo),
                     logw, float(log_z0), n_betas, direction, seconds)


def ais_log_partition(model, n_runs: int = 100, n_betas: int = 14500, *, betas=None,
                      data=None, base_bias=None, seed=None, progress: bool | None = None,
                      n_threads="model", n_workers=None, device="model",
                      comm=None, client=None) -> AISResult:
    """Forward AIS estimate of ``log Z`` (tends to *underestimate*; see the module docstring).

    Parameters
    ----------
    model : RBMBase
        A fitted RBM of any visible type.
    n_runs : int
        Independent annealing runs, advanced together as one batch.
    n_betas : int
        Number of intermediate distributions (Salakhutdinov & Murray's
        schedule, see :func:`default_betas`); ignored when ``betas`` is given.
    betas : array, optional
        Explicit schedule from 0 to 1.
    data : array, optional
        Training data; the base model's visible biases are fitted to it.
    base_bias : array, optional
        Explicit base visible biases (overrides ``data``).
    seed, progress
        Random seed; tqdm progress bar (``None``: shown when the runs come to
        more than about 1e11 multiply-adds). Ctrl-C stops the annealing between
        two temperatures: the estimate then uses the runs that had finished,
        with ``interrupted=True`` and a
        :class:`~boltz.checkpoint.PartialResultWarning` (``KeyboardInterrupt``
        when none had finished).
    n_threads : int or None
        Checked and otherwise unused: BLAS (or torch on the CPU) runs on one
        thread per worker, so that the estimate has the same bits on any thread
        count (:func:`boltz.backend.deterministic_threads`); ``n_workers`` is the
        parallelism.
    n_workers : int or None
        Threads that advance chunks of at most 50 runs side by side (default:
        one per core, up to the number of chunks). The result does not depend
        on it: each chunk has its own child generator of ``seed``.
    device : str, torch.device or None
        ``"model"`` (default) uses the model's ``device``; ``None``/``"cpu"`` the
        NumPy/numba path; a torch device (``"cuda"``, ...) anneals all runs there
        (:mod:`boltz.backend.torch_backend`). Same estimator, other random numbers.
    comm : boltz.distributed.Communicator, optional
        Split the chunks of runs over the ranks of ``comm`` (every rank passes the
        same arguments and gets the same result): the gathered log-weights, so the
        estimate and its error bars, equal one process's with the same seed. On a
        torch device each rank anneals its block of runs with its own stream
        (equal within error bars). Default: one process.
    client : distributed.Client, optional
        Anneal each chunk of at most 50 runs as a Dask task (CPU path); the
        weights are the same as in one process. Default: threads here.

    Returns
    -------
    AISResult
        The estimate, its error bars and the weights.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> round(ais_log_partition(m, n_runs=10, n_betas=20, seed=0).log_z, 4)
    3.4657
    """
    model._check_fitted()
    device = getattr(model, "device", None) if device == "model" else device
    n_runs = check_positive_int(n_runs, "n_runs")
    model._check_chain_memory(n_runs, "n_runs")
    betas = _check_betas(betas, n_betas)
    rng = check_rng(seed)
    base = (base_rate_bias(model, data) if base_bias is None
            else check_array(base_bias, "base_bias", shape=(model.n_visible_,)))
    t0 = time.perf_counter()
    zeros = np.zeros((n_runs, model.n_visible_), np.float32)
    v, _ = model._sample_visible_from_pre(zeros, rng, row_scale=np.zeros(n_runs, np.float32),
                                          bias=base.astype(np.float32))
    with _threads(model, n_threads, device):
        logw, stopped = _annealed(model, v, betas, base, rng, progress, n_workers, device,
                                  "forward", comm, client)
    log_z0 = model.n_hidden_ * np.log(2.0) + model._visible_log_partition_base(base)
    res = _result(logw, log_z0, +1, len(betas) - 1, "forward", time.perf_counter() - t0)
    res.interrupted = stopped
    return res


def reverse_ais_log_partition(model, init, n_betas: int = 14500, *, betas=None, data=None,
                              base_bias=None, n_gibbs: int = 0, seed=None,
                              progress: bool | None = None, n_threads="model",
                              n_workers=None, device="model", comm=None) -> AISResult:
    """Reverse AIS estimate of ``log Z``: anneal from the model to the base (conservative).

    ``init`` holds the start states (one run per row), which should be samples
    from the model: e.g. persistent chains, or data run through ``n_gibbs``
    block-Gibbs sweeps first. With exact samples ``E[log Z_hat] >= log Z``
    (Burda et al. 2015); with approximate ones the bound is approximate.
    Other arguments as in :func:`ais_log_partition`.

    Parameters
    ----------
    model : RBMBase
        A fitted RBM.
    init : array_like, shape (n_runs, n_visible)
        Start states, ideally samples of the model.
    n_betas : int, default 14500
        Number of annealing steps (ignored when ``betas`` is given).
    betas : array_like, optional
        Explicit schedule from 0 to 1.
    data : array_like, optional
        Training data fitting the base model.
    base_bias : array_like, optional
        Explicit base visible biases (overrides ``data``).
    n_gibbs : int, default 0
        Block-Gibbs sweeps run on ``init`` first.
    seed : int, numpy.random.Generator or None
        Random seed.
    progress : bool or None, default None
        Show a tqdm bar (``None``: for long runs). Ctrl-C: as in
        :func:`ais_log_partition`.
    n_threads : int or None, default "model"
        Checked and otherwise unused: one BLAS (or torch CPU) thread per worker,
        the same bits on any thread count (see :func:`ais_log_partition`).
    n_workers : int or None
        Threads advancing chunks of runs (see :func:`ais_log_partition`).
    device : str, torch.device or None, default "model"
        Where to anneal (see :func:`ais_log_partition`).
    comm : boltz.distributed.Communicator, optional
        Split the runs over ranks (see :func:`ais_log_partition`); every rank
        passes the same ``init``.

    Returns
    -------
    AISResult
        The estimate (direction reverse).

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> res = reverse_ais_log_partition(m, np.ones((10, 3)), n_betas=20, seed=0)
    >>> res.direction, round(res.log_z, 4)
    ('reverse', 3.4657)
    """
    model._check_fitted()
    device = getattr(model, "device", None) if device == "model" else device
    rng = check_rng(seed)
    v = model._check_visible(init, "init")
    n_gibbs = int(n_gibbs)
    if n_gibbs < 0:
        raise ValueError(f"n_gibbs must be non-negative, got {n_gibbs}")
    if n_gibbs:
        v = model.gibbs(v, n_steps=n_gibbs, seed=rng, progress=progress)
    betas = _check_betas(betas, n_betas)[::-1].copy()
    base = (base_rate_bias(model, data) if base_bias is None
            else check_array(base_bias, "base_bias", shape=(model.n_visible_,)))
    t0 = time.perf_counter()
    with _threads(model, n_threads, device):
        logw, stopped = _annealed(model, v.astype(np.float32), betas, base, rng, progress,
                                  n_workers, device, "reverse", comm)
    log_z0 = model.n_hidden_ * np.log(2.0) + model._visible_log_partition_base(base)
    res = _result(logw, log_z0, -1, len(betas) - 1, "reverse", time.perf_counter() - t0)
    res.interrupted = stopped
    return res


def _logmeanexp(x):
    return float(special.logsumexp(x) - np.log(len(x)))
