"""Evaluating a DBM: exact log Z for tiny models, AIS for large ones, variational bounds.

- :func:`exact_log_partition` enumerates the layers of one parity (odd or
  even, whichever has fewer units) and sums the other parity out in closed
  form; :func:`exact_free_energy` does the same for ``log sum_h exp(-E(v, h))``.
- :func:`ais_log_partition` is annealed importance sampling (Neal 2001;
  Salakhutdinov & Murray 2008; Salakhutdinov & Hinton 2009) along
  ``E_beta = (1 - beta) E_base + beta E`` with a factorised base model
  ``E_base = -sum_l a_l . x_l``. The odd layers are summed out analytically,
  so the chains live on the even layers (v, h_2, ...) and each transition is
  one alternating block-Gibbs sweep at inverse temperature ``beta``.
- :func:`variational_lower_bound` is the mean-field bound
  ``log p(v) >= -E_q[E(v, h)] + H(q) - log Z``.

Example
-------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> from boltz.dbm.evaluation import ais_log_partition, exact_log_partition
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
from ..exact import MAX_EXACT_VARIABLES, iter_state_chunks
from ..expfam import softplus
from .model import DeepBoltzmannMachine, marginal_log_unnormalized, sigmoid

__all__ = [
    "exact_log_partition",
    "exact_free_energy",
    "exact_log_likelihood",
    "AISResult",
    "ais_log_partition",
    "default_betas",
    "base_biases",
    "variational_lower_bound",
    "evaluate_lower_bound",
    "certified_log_z_lower_bound",
]

_MAX_FREE_ENERGY_BITS = 20


def _check_model(model):
    if not isinstance(model, DeepBoltzmannMachine):
        raise TypeError(f"model must be a DeepBoltzmannMachine, got {type(model).__name__}")
    model._check_fitted()
    return model


def _parity_sizes(model, parity, skip_visible=False):
    return [k for l, k in enumerate(model.layer_sizes_)
            if l % 2 == parity and not (skip_visible and l == 0)]


def _split_bits(bits, model, layers):
    """Scatter enumerated bit vectors into a per-layer list (other layers None)."""
    states = [None] * model.n_layers_
    start = 0
    for l in layers:
        k = model.layer_sizes_[l]
        states[l] = bits[:, start:start + k]
        start += k
    return states


def exact_log_partition(model, max_variables: int = MAX_EXACT_VARIABLES) -> float:
    """Exact ``log Z`` of a small DBM in float64.

    Enumerates the ``2**n`` states of whichever parity (odd or even layers)
    has fewer units ``n <= max_variables`` and sums the other parity out.
    """
    model = _check_model(model)
    n_even = sum(_parity_sizes(model, 0))
    n_odd = sum(_parity_sizes(model, 1))
    parity, n_bits = (0, n_even) if n_even <= n_odd else (1, n_odd)
    if n_bits > max_variables:
        raise ValueError(
            f"exact log Z needs 2**{n_bits} states (layer sizes {model.layer_sizes_}); "
            f"at most 2**{max_variables} are enumerated. Use ais_log_partition instead."
        )
    layers = list(range(parity, model.n_layers_, 2))
    running = -np.inf
    for _, bits in iter_state_chunks(n_bits, (0, 1), max_variables=max_variables):
        states = _split_bits(bits, model, layers)
        logw = marginal_log_unnormalized(model.weights_, model.biases_, states, parity)
        running = np.logaddexp(running, special.logsumexp(logw))
    return float(running)


def exact_free_energy(model, v, max_bits: int = _MAX_FREE_ENERGY_BITS) -> np.ndarray:
    """Exact free energy ``F(v) = -log sum_h exp(-E(v, h))`` for each row of ``v``.

    The even hidden layers (2, 4, ...) are enumerated (at most ``2**max_bits``
    states) and the odd ones summed out analytically.
    """
    model = _check_model(model)
    v = np.asarray(model.check_visible(v), dtype=np.float64)
    n_bits = sum(_parity_sizes(model, 0, skip_visible=True))
    if n_bits > max_bits:
        raise ValueError(
            f"the even hidden layers hold {n_bits} units; exact free energies enumerate at "
            f"most 2**{max_bits} states"
        )
    layers = list(range(2, model.n_layers_, 2))
    n = v.shape[0]
    chunk = max(1, (1 << 16) // n)
    running = np.full(n, -np.inf)
    for _, bits in iter_state_chunks(n_bits, (0, 1), chunk_size=chunk, max_variables=max_bits):
        m = bits.shape[0]
        states = _split_bits(np.repeat(bits, n, axis=0), model, layers)  # state-major
        states[0] = np.tile(v, (m, 1))
        logw = marginal_log_unnormalized(model.weights_, model.biases_, states, 0)
        running = np.logaddexp(running, special.logsumexp(logw.reshape(m, n), axis=0))
    return -running


def exact_log_likelihood(model, v, log_z: float | None = None) -> np.ndarray:
    """Exact ``log p(v)`` of a small DBM for each row of ``v`` (float64)."""
    log_z = exact_log_partition(model) if log_z is None else float(log_z)
    return -exact_free_energy(model, v) - log_z


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
    """
    n = check_positive_int(n_betas, "n_betas")
    if n < 4:
        raise ValueError(f"n_betas must be at least 4, got {n}")
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
    """
    model = _check_model(model)
    a = [np.zeros(k) for k in model.layer_sizes_]
    if data is not None:
        x = model.check_visible(data, "data")
        p = np.clip(x.mean(axis=0, dtype=np.float64), 1e-3, 1 - 1e-3)
        a[0] = np.log(p) - np.log1p(-p)
    return a


def _log_f(beta, x_even_dot_a, x_even_dot_b, a_odd, u_odd):
    """``log f_beta`` on the even layers from precomputed pieces (odd layers summed out)."""
    out = (1.0 - beta) * x_even_dot_a + beta * x_even_dot_b
    for a, u in zip(a_odd, u_odd, strict=True):
        out = out + softplus((1.0 - beta) * a + beta * u).sum(axis=1)
    return out


def ais_log_partition(model, n_chains: int = 100, n_betas: int = 20000, betas=None, data=None,
                      seed=None, progress: bool = False, base=None,
                      return_states: bool = False, device="model") -> AISResult:
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
    progress : bool
        Show a tqdm progress bar.
    return_states : bool
        Also return the final per-layer states of the runs (even layers).
    device : str, torch.device or None
        ``"model"`` (default): the model's ``device``; ``None``/``"cpu"``: NumPy;
        a torch device (``"cuda"``, ...): the runs go there (:mod:`boltz.deep.dbm`).

    Returns
    -------
    AISResult (and the final states with ``return_states``)
    """
    from tqdm.auto import tqdm

    model = _check_model(model)
    M = check_positive_int(n_chains, "n_chains")
    if betas is None:
        betas = default_betas(n_betas)
    else:
        betas = check_array(betas, "betas", ndim=1)
        if betas.size < 2 or betas[0] != 0.0 or betas[-1] != 1.0 or np.any(np.diff(betas) < 0):
            raise ValueError("betas must increase from 0 to 1 with at least two entries")
    rng = check_rng(seed)
    W, b = model.weights_, model.biases_
    dt = W[0].dtype
    L1 = model.n_layers_
    if base is None:
        a = base_biases(model, data)
    else:
        if not isinstance(base, (list, tuple)) or len(base) != L1:
            raise ValueError(f"base must be a list of {L1} bias vectors (one per layer)")
        a = [check_array(x, f"base[{l}]", shape=(k,))
             for l, (x, k) in enumerate(zip(base, model.layer_sizes_, strict=True))]
    device = getattr(model, "device", None) if device == "model" else device
    if device not in (None, "cpu"):
        from ..deep.dbm import anneal

        out = anneal(model, betas, a, M, rng, device, return_states=return_states)
        logw, states = out if return_states else (out, None)
        result = _ais_result(logw, float(sum(softplus(x).sum() for x in a)), len(betas))
        return (result, states) if return_states else result
    even, odd = list(range(0, L1, 2)), list(range(1, L1, 2))
    a_dt = [x.astype(dt) for x in a]
    b64 = [np.asarray(x, np.float64) for x in b]

    # beta = 0: independent units, sample the even layers exactly.
    states = [None] * L1
    for l in even:
        states[l] = (rng.random((M, len(a[l]))) < sigmoid(a[l])).astype(dt)
    log_z_base = float(sum(softplus(x).sum() for x in a))
    logw = np.zeros(M)

    def odd_inputs(states):
        us = []
        for l in odd:
            u = b[l] + states[l - 1] @ W[l - 1]
            if l + 1 < L1:
                u = u + states[l + 1] @ W[l].T
            us.append(np.asarray(u, np.float64))
        return us

    a_odd = [a[l] for l in odd]
    for k in tqdm(range(1, len(betas)), disable=not progress, desc="DBM AIS", leave=False):
        b_prev, b_next = float(betas[k - 1]), float(betas[k])
        xa = sum(np.asarray(states[l], np.float64) @ a[l] for l in even)
        xb = sum(np.asarray(states[l], np.float64) @ b64[l] for l in even)
        us = odd_inputs(states)
        logw += _log_f(b_next, xa, xb, a_odd, us) - _log_f(b_prev, xa, xb, a_odd, us)
        if k == len(betas) - 1:
            break
        # transition at b_next: odd layers given even, then even given odd
        for l, u in zip(odd, us, strict=True):
            p = sigmoid((1.0 - b_next) * a[l] + b_next * u).astype(dt)
            states[l] = (rng.random(p.shape, dtype=dt) < p).astype(dt)
        for l in even:
            inp = b[l] * b_next + a_dt[l] * (1.0 - b_next)
            if l > 0:
                inp = inp + b_next * (states[l - 1] @ W[l - 1])
            if l + 1 < L1:
                inp = inp + b_next * (states[l + 1] @ W[l].T)
            p = sigmoid(inp).astype(dt)
            states[l] = (rng.random(p.shape, dtype=dt) < p).astype(dt)
    result = _ais_result(logw, log_z_base, len(betas))
    return (result, states) if return_states else result


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


# ----------------------------------------------------------------------
# Variational bound
# ----------------------------------------------------------------------
def variational_lower_bound(model, v, log_z: float, **mean_field_kwargs) -> np.ndarray:
    """Mean-field lower bound on ``log p(v)`` for each row of ``v`` (float64).

    ``log p(v) >= -E_q[E(v, h)] + H(q) - log Z`` with ``q`` the fully factorised
    posterior found by :meth:`DeepBoltzmannMachine.mean_field` (keyword
    arguments are passed on). With an AIS estimate of ``log Z`` the result is
    an estimate of a bound, as in Salakhutdinov & Hinton (2009).
    """
    model = _check_model(model)
    v = model.check_visible(v)
    mus = model.mean_field(v, **mean_field_kwargs)
    return model.variational_bound_unnormalized(v, mus) - float(log_z)


def certified_log_z_lower_bound(model, X, unnormalized_bounds=None, **mean_field_kwargs):
    """A guaranteed lower bound on ``log Z`` from visible vectors (no sampling).

    ``Z = sum_v p~(v) >= sum_{v in S} p~(v)`` for any set ``S`` of distinct
    vectors, and each ``log p~(v)`` is at least its mean-field bound
    ``-E_q[E(v, h)] + H(q)``. ``S`` is the distinct rows of ``X`` plus the
    all-zeros vector. An AIS estimate below this value has provably missed
    mass (forward AIS tends to underestimate ``log Z``).
    """
    model = _check_model(model)
    X = model.check_visible(X, "X")
    if unnormalized_bounds is None:
        unnormalized_bounds = model.variational_bound_unnormalized(
            X, model.mean_field(X, **mean_field_kwargs))
    u = np.asarray(unnormalized_bounds, dtype=np.float64)
    _, first = np.unique(X, axis=0, return_index=True)
    parts = [u[first]]
    zero = np.zeros((1, X.shape[1]), dtype=X.dtype)
    if not np.any(np.all(X == 0, axis=1)):
        parts.append(model.variational_bound_unnormalized(
            zero, model.mean_field(zero, **mean_field_kwargs)))
    return float(special.logsumexp(np.concatenate(parts)))


def evaluate_lower_bound(model, X_test, X_train=None, n_chains: int = 100,
                         n_betas: int = 20000, batch_size: int = 1000, seed=None,
                         progress: bool = False, device="model", **mean_field_kwargs) -> dict:
    """AIS ``log Z`` plus the mean variational bound on ``X_test``.

    Returns a dict with ``lower_bound`` (mean bound using the AIS ``log Z``),
    ``lower_bound_conservative`` (using the AIS ``log_z_upper``, i.e. ``log Z``
    plus three standard errors), ``lower_bound_std`` (the standard error of
    the mean over test vectors), ``log_z``, ``log_z_std``, ``log_z_lower``,
    ``log_z_upper``, ``ess``, ``n_betas``, and a sanity check:
    ``log_z_certified_lower`` (:func:`certified_log_z_lower_bound` on the test
    vectors), ``lower_bound_at_most`` (the mean bound with that ``log Z``: the
    true bound cannot be higher) and ``ais_consistent`` (whether the AIS
    interval reaches the certified value). An inconsistent AIS run is also
    reported with a ``UserWarning``: its bound is then too optimistic. ``device``
    runs the AIS on a torch device (see :func:`ais_log_partition`).
    """
    import warnings

    model = _check_model(model)
    X_test = model.check_visible(X_test, "X_test")
    batch_size = check_positive_int(batch_size, "batch_size")
    ais = ais_log_partition(model, n_chains=n_chains, n_betas=n_betas, data=X_train,
                            seed=seed, progress=progress, device=device)
    mean_field_kwargs.setdefault("n_iter", 50)
    parts = [model.variational_bound_unnormalized(
        X_test[i:i + batch_size], model.mean_field(X_test[i:i + batch_size], **mean_field_kwargs))
        for i in range(0, X_test.shape[0], batch_size)]
    unnorm = np.concatenate(parts)
    certified = certified_log_z_lower_bound(model, X_test, unnorm, **mean_field_kwargs)
    consistent = bool(ais.log_z_upper >= certified)
    if not consistent:
        warnings.warn(
            f"AIS log Z = {ais.log_z:.2f} is below the certified lower bound {certified:.2f}: "
            "the annealing runs missed probability mass (poor mixing or too few temperatures), "
            "so the AIS-based likelihood bound is too optimistic", UserWarning, stacklevel=2)
    mean_unnorm = float(unnorm.mean())
    return {
        "lower_bound": mean_unnorm - ais.log_z,
        "lower_bound_conservative": mean_unnorm - ais.log_z_upper,
        "lower_bound_std": float(unnorm.std(ddof=1) / np.sqrt(unnorm.size))
        if unnorm.size > 1 else 0.0,
        "log_z": ais.log_z,
        "log_z_std": ais.log_z_std,
        "log_z_lower": ais.log_z_lower,
        "log_z_upper": ais.log_z_upper,
        "ess": ais.ess,
        "n_betas": ais.n_betas,
        "n_chains": int(n_chains),
        "log_z_certified_lower": certified,
        "lower_bound_at_most": mean_unnorm - certified,
        "ais_consistent": consistent,
    }
