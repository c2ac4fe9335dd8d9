"""Annealed importance sampling of a DBM's ``log Z``, written once over a backend.

:func:`ais_log_partition` is AIS (Neal 2001; Salakhutdinov & Murray 2008;
Salakhutdinov & Hinton 2009) along ``E_beta = (1 - beta) E_base + beta E`` with
a factorised base model ``E_base = -sum_l a_l . x_l``. The odd layers are
summed out analytically, so the chains live on the even layers (v, h_2, ...)
and each transition is one alternating block-Gibbs sweep at inverse
temperature ``beta``. The transitions and weights (:func:`anneal`) run on the
NumPy backend or on a torch device (:mod:`boltz.dbm.backend`); the
log-weights are float64 on either.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> from boltz.dbm.ais import ais_log_partition
>>> from boltz.dbm.exact import exact_log_partition
>>> rng = np.random.default_rng(0)
>>> dbm = DeepBoltzmannMachine.from_parameters(
...     [rng.standard_normal((6, 4)), rng.standard_normal((4, 3))])
>>> res = ais_log_partition(dbm, n_chains=100, n_betas=500, seed=0)
>>> bool(abs(res.log_z - exact_log_partition(dbm)) < 0.2)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._validation import check_array, check_positive_int, check_rng
from ..backend import deterministic_threads
from ..expfam import softplus
from .backend import get_backend
from .exact import check_dbm

__all__ = ["AISResult", "ais_log_partition", "anneal", "default_betas", "base_biases"]


# ----------------------------------------------------------------------
# Annealed importance sampling
# ----------------------------------------------------------------------
@dataclass
class AISResult:
    """Outcome of :func:`ais_log_partition`.

    ``log_z`` is ``log Z_base + log mean(w)``; ``log_z_std`` the standard
    error of that log estimate (delta method, ``sd(w) / (sqrt(M) mean(w))``);
    ``log_z_lower``/``log_z_upper`` are ``log(mean(w) -/+ 3 sd(w)/sqrt(M))``
    (Salakhutdinov & Murray 2008; ``-inf`` when the lower end is not
    positive); ``ess`` is the effective sample size of the importance weights.

    Attributes
    ----------
    log_z : float
        The estimate of ``log Z``.
    log_z_std : float
        Its delta-method standard error.
    log_z_lower, log_z_upper : float
        The ``±3 sigma`` range.
    log_z_base : float
        ``log Z`` of the base model.
    ess : float
        Effective sample size of the weights.
    n_betas : int
        Annealing steps.
    log_weights : numpy.ndarray, shape (n_chains,)
        The log importance weights.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 1))])
    >>> res = ais_log_partition(m, n_chains=10, n_betas=20, seed=0)
    >>> round(res.log_z, 4)  # 6 free units: 6 log 2
    4.1589
    """

    log_z: float
    log_z_std: float
    log_z_lower: float
    log_z_upper: float
    log_z_base: float
    ess: float
    n_betas: int
    log_weights: np.ndarray = field(repr=False)


def default_betas(n_betas: int = 20000) -> np.ndarray:
    """Inverse temperatures from 0 to 1, denser near 1.

    Piecewise linear: 5% of the points on [0, 0.5], 20% on [0.5, 0.9] and
    75% on [0.9, 1] (the shape of the schedule of Salakhutdinov & Murray 2008).

    Parameters
    ----------
    n_betas : int
        Number of temperatures, at least 4.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> default_betas(20)[[0, -1]].tolist()
    [0.0, 1.0]
    """
    n = check_positive_int(n_betas, "n_betas")
    if n < 4:
        raise ValueError(f"n_betas must be at least 4, got {n}")
    from .._resources import check_memory

    check_memory(3 * 8 * n, f"n_betas={n}", "the annealing schedule (float64)")
    n1 = max(1, int(round(0.05 * n)))
    n2 = max(1, int(round(0.20 * n)))
    n3 = n - n1 - n2
    return np.concatenate([
        np.linspace(0.0, 0.5, n1, endpoint=False),
        np.linspace(0.5, 0.9, n2, endpoint=False),
        np.linspace(0.9, 1.0, n3),
    ])


def base_biases(model, data=None) -> list:
    """Biases ``a_l`` of the factorised AIS base model.

    Visible: the log-odds of the (clipped) pixel means of ``data`` when given
    (the "base-rate" model), otherwise zeros; hidden layers: zeros.

    Parameters
    ----------
    model : DeepBoltzmannMachine
    data : (n, n_visible) binary array, optional

    Returns
    -------
    list of float64 arrays, one per layer

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> [a.tolist() for a in base_biases(m)]
    [[0.0, 0.0], [0.0], [0.0]]
    """
    model = check_dbm(model)
    a = [np.zeros(k) for k in model.layer_sizes_]
    if data is not None:
        x = model.check_visible(data, "data")
        p = np.clip(x.mean(axis=0, dtype=np.float64), 1e-3, 1 - 1e-3)
        a[0] = np.log(p) - np.log1p(-p)
    return a


def _log_f(ops, beta, x_even_dot_a, x_even_dot_b, a_odd, u_odd):
    """``log f_beta`` on the even layers from precomputed pieces (odd layers summed out)."""
    out = (1.0 - beta) * x_even_dot_a + beta * x_even_dot_b
    for a, u in zip(a_odd, u_odd, strict=True):
        out = out + ops.softplus((1.0 - beta) * a + beta * u).sum(axis=1)
    return out


def anneal(ops, W, b, a, n_chains, betas, progress=False):
    """The AIS runs on backend ``ops``: returns ``(log_weights, states)``.

    ``W`` and ``b`` are the model's parameters and ``a`` the base biases
    (float64), all as arrays of ``ops``; the even layers start as exact draws
    of the base model and each step adds ``log f_{beta_k} - log f_{beta_{k-1}}``
    of the current states to the (float64) log-weights, then moves them by one
    block-Gibbs sweep at ``beta_k`` (odd layers given even, even given odd).

    Parameters
    ----------
    ops : backend
    W, b, a : lists of backend arrays
    n_chains : int
    betas : sequence of float
        From 0 to 1.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    (array, list)
        Log-weights (float64, on the backend) and the final per-layer states
        (even layers; ``None`` for the odd ones).
    """
    from tqdm.auto import tqdm

    n_layers = len(b)
    even, odd = list(range(0, n_layers, 2)), list(range(1, n_layers, 2))
    a_dt = [ops.astype_like(x, W[0]) for x in a]
    b64 = [ops.float64(x) for x in b]
    # beta = 0: independent units, sample the even layers exactly.
    states = [None] * n_layers
    for l in even:
        states[l] = ops.bernoulli(ops.sigmoid(a[l]), shape=(n_chains, a[l].shape[0]),
                                  dtype=W[0].dtype)
    logw = ops.zeros_like(ops.float64(states[0][:, 0]))

    def odd_inputs(states):
        us = []
        for l in odd:
            u = b[l] + states[l - 1] @ W[l - 1]
            if l + 1 < n_layers:
                u = u + states[l + 1] @ W[l].T
            us.append(ops.float64(u))
        return us

    a_odd = [a[l] for l in odd]
    betas = [float(x) for x in betas]
    for k in tqdm(range(1, len(betas)), disable=not progress, desc="DBM AIS", leave=False):
        b_prev, b_next = betas[k - 1], betas[k]
        xa = sum(ops.float64(states[l]) @ a[l] for l in even)
        xb = sum(ops.float64(states[l]) @ b64[l] for l in even)
        us = odd_inputs(states)
        logw += _log_f(ops, b_next, xa, xb, a_odd, us) - _log_f(ops, b_prev, xa, xb, a_odd, us)
        if k == len(betas) - 1:
            break
        # transition at b_next: odd layers given even, then even given odd
        for l, u in zip(odd, us, strict=True):
            p = ops.astype_like(ops.sigmoid((1.0 - b_next) * a[l] + b_next * u), W[0])
            states[l] = ops.bernoulli(p)
        for l in even:
            inp = b[l] * b_next + a_dt[l] * (1.0 - b_next)
            if l > 0:
                inp = inp + b_next * (states[l - 1] @ W[l - 1])
            if l + 1 < n_layers:
                inp = inp + b_next * (states[l + 1] @ W[l].T)
            states[l] = ops.bernoulli(ops.astype_like(ops.sigmoid(inp), W[0]))
    return logw, states


def ais_log_partition(model, n_chains: int = 100, n_betas: int = 20000, betas=None, data=None,
                      seed=None, progress: bool | None = None, base=None,
                      return_states: bool = False, device="model", comm=None) -> AISResult:
    """Estimate ``log Z`` of a DBM by annealed importance sampling.

    Parameters
    ----------
    model : DeepBoltzmannMachine
    n_chains : int
        Independent AIS runs ``M``.
    n_betas : int
        Number of inverse temperatures (intermediate distributions) when
        ``betas`` is not given; see :func:`default_betas`.
    betas : 1-d array, optional
        Increasing schedule from 0 to 1.
    data : array, optional
        Binary training data for the base-rate visible biases of the base model.
    base : list of arrays, optional
        Biases ``a_l`` of the base model, one per layer (overrides ``data``).
    seed : int, Generator or None
    progress : bool or None
        Show a tqdm progress bar (``None``, the default: when the runs come to
        more than about 1e11 multiply-adds). All runs anneal together, so
        Ctrl-C leaves no partial estimate: it raises ``KeyboardInterrupt``
        naming the temperature reached.
    return_states : bool
        Also return the final per-layer states of the runs (even layers).
    device : str, torch.device or None
        ``"model"`` (default): the model's ``device``; ``None``/``"cpu"``: NumPy;
        a torch device (``"cpu-torch"``, ``"cuda"``, ...): the same runs there.
    comm : boltz.distributed.Communicator, optional
        Split the runs over its ranks (every rank passes the same arguments and gets
        the gathered result). The runs share one random stream per rank (child
        ``rank`` of ``seed``), so the estimate equals one process's within its error
        bar, not bit for bit. Default: one process.

    Returns
    -------
    AISResult (and the final states as NumPy arrays with ``return_states``)

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
    >>> round(float(ais_log_partition(m, n_chains=5, n_betas=10, seed=0).log_z / np.log(2)), 6)
    7.0
    """
    model = check_dbm(model)
    M = check_positive_int(n_chains, "n_chains")
    from .._resources import check_memory

    # per run: float64 states, means and a float32 copy of every layer, and a log-weight
    check_memory(M * (20 * sum(model.layer_sizes_) + 8), f"n_chains={M}",
                 f"{M} AIS runs of {sum(model.layer_sizes_)} units")
    if betas is None:
        betas = default_betas(n_betas)
    else:
        betas = check_array(betas, "betas", ndim=1)
        if betas.size < 2 or betas[0] != 0.0 or betas[-1] != 1.0 or np.any(np.diff(betas) < 0):
            raise ValueError("betas must increase from 0 to 1 with at least two entries")
    L1 = model.n_layers_
    if base is None:
        a = base_biases(model, data)
    else:
        if not isinstance(base, (list, tuple)) or len(base) != L1:
            raise ValueError(f"base must be a list of {L1} bias vectors (one per layer)")
        a = [check_array(x, f"base[{l}]", shape=(k,))
             for l, (x, k) in enumerate(zip(base, model.layer_sizes_, strict=True))]
    device = getattr(model, "device", None) if device == "model" else device
    from ..distributed import get_communicator, shard_range

    comm = get_communicator(comm)
    if comm.world_size > 1:                      # this rank's runs, its own stream
        if M < comm.world_size:
            raise ValueError(f"n_chains ({M}) must be at least the number of ranks "
                             f"({comm.world_size})")
        lo, hi = shard_range(M, comm)
        M, seed = hi - lo, check_rng(seed).spawn(comm.world_size)[comm.rank]
    ops = get_backend(device, seed)
    log_z_base = float(sum(softplus(x).sum() for x in a))
    if progress is None:
        progress = 2.0 * M * len(betas) * sum(w.size for w in model.weights_) > 1e11
    try:
        # same seed, same bits on any thread count (BLAS, or torch's CPU pool, on one thread)
        with deterministic_threads(ops):
            logw, states = anneal(ops, [ops.asarray(w) for w in model.weights_],
                                  [ops.asarray(x) for x in model.biases_],
                                  [ops.asarray(x, np.float64) for x in a], M, betas, progress)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"DBM AIS interrupted (Ctrl-C) during its {len(betas)} "
                                "temperatures; its runs anneal together, so there is no "
                                "partial estimate") from None
    logw = ops.to_numpy(logw)
    states = [None if s is None else ops.to_numpy(s) for s in states]
    if comm.world_size > 1:
        logw = np.concatenate(comm.all_gather(logw))
        states = [None if s is None else np.concatenate(comm.all_gather(s)) for s in states]
    result = _ais_result(logw, log_z_base, len(betas))
    if return_states:
        return result, states
    return result


def _ais_result(logw, log_z_base, n_betas) -> AISResult:
    if not np.all(np.isfinite(logw)):
        raise FloatingPointError("AIS produced non-finite importance weights")
    M = logw.size
    log_mean = float(special.logsumexp(logw) - np.log(M))
    w = np.exp(logw - log_mean)  # weights relative to their mean (mean 1)
    rel_sd = float(w.std(ddof=1)) if M > 1 else float("inf")
    rel_se = float(rel_sd / np.sqrt(M))
    upper = log_mean + float(np.log1p(3.0 * rel_se))
    lower = log_mean + float(np.log1p(-3.0 * rel_se)) if 3.0 * rel_se < 1.0 else -np.inf
    ess = float(w.sum() ** 2 / np.sum(w ** 2))
    return AISResult(
        log_z=log_z_base + log_mean,
        log_z_std=rel_se,
        log_z_lower=log_z_base + lower,
        log_z_upper=log_z_base + upper,
        log_z_base=log_z_base,
        ess=ess,
        n_betas=int(n_betas),
        log_weights=logw,
    )
