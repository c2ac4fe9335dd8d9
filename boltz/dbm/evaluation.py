"""Evaluating a DBM: the mean-field variational bound on ``log p(v)`` with an AIS ``log Z``.

- :func:`variational_lower_bound` is the mean-field bound
  ``log p(v) >= -E_q[E(v, h)] + H(q) - log Z``.
- :func:`certified_log_z_lower_bound` is a guaranteed lower bound on ``log Z``
  from visible vectors, which checks an AIS estimate.
- :func:`evaluate_lower_bound` runs AIS (:mod:`boltz.dbm.ais`) and the bound on
  test data, on the NumPy backend or a torch device (the mean field and the
  bound are the formulas of :mod:`boltz.dbm.formulas` on either).

Exact ``log Z`` and likelihoods of tiny models are in :mod:`boltz.dbm.exact`
(re-exported here).

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> from boltz.dbm.evaluation import exact_log_partition, variational_lower_bound
>>> dbm = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
>>> lb = variational_lower_bound(dbm, np.ones((1, 3)), exact_log_partition(dbm))
>>> bool(np.isclose(lb[0], -3 * np.log(2)))
True
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._validation import check_positive_int
from ..backend import is_torch_device
from . import formulas as F
from .ais import AISResult, ais_log_partition, base_biases, default_betas
from .backend import get_backend
from .exact import check_dbm, exact_free_energy, exact_log_likelihood, exact_log_partition

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


def variational_lower_bound(model, v, log_z: float, **mean_field_kwargs) -> np.ndarray:
    """Mean-field lower bound on ``log p(v)`` for each row of ``v`` (float64).

    ``log p(v) >= -E_q[E(v, h)] + H(q) - log Z`` with ``q`` the fully factorised
    posterior found by :meth:`DeepBoltzmannMachine.mean_field` (keyword
    arguments are passed on). With an AIS estimate of ``log Z`` the result is
    an estimate of a bound, as in Salakhutdinov & Hinton (2009).

    Parameters
    ----------
    model : DeepBoltzmannMachine
    v : (n, n_visible) binary array
    log_z : float
    **mean_field_kwargs
        Passed to :meth:`~boltz.dbm.DeepBoltzmannMachine.mean_field`.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> variational_lower_bound(m, np.zeros((1, 2)), 0.0).round(4).tolist()
    [1.3863]
    """
    model = check_dbm(model)
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

    Parameters
    ----------
    model : DeepBoltzmannMachine
    X : (n, n_visible) binary array
    unnormalized_bounds : (n,) array, optional
        The rows' ``-E_q[E] + H(q)`` when already computed.
    **mean_field_kwargs
        Passed to :meth:`~boltz.dbm.DeepBoltzmannMachine.mean_field`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> bool(certified_log_z_lower_bound(m, np.ones((1, 2))) <= exact_log_partition(m))
    True
    """
    model = check_dbm(model)
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


def _bounds_on_device(model, X, batch_size, device, progress, n_iter=50, tol=1e-6,
                      damping=0.0, init="bottom_up"):
    """``-E_q[E] + H(q)`` of each row of ``X``, the mean field run on backend ``device``
    (the same formulas as :meth:`~boltz.dbm.DeepBoltzmannMachine.mean_field`)."""
    from tqdm.auto import tqdm

    if not isinstance(init, str) or init != "bottom_up":
        raise ValueError("evaluate_lower_bound on a device starts the mean field bottom-up; "
                         f"init must be 'bottom_up', got {init!r}")
    ops = get_backend(device, 0)
    W = [ops.asarray(w) for w in model.weights_]
    b = [ops.asarray(x) for x in model.biases_]
    parts = []
    for i in tqdm(range(0, X.shape[0], batch_size), disable=not progress,
                  desc="DBM mean field", leave=False):
        v = ops.asarray(X[i:i + batch_size])
        mus, _, _ = F.mean_field_sweeps(ops, W, b, v, F.bottom_up(ops, W, b, v), n_iter,
                                        None if ops.asynchronous else tol, damping)
        parts.append(ops.to_numpy(F.bound_unnormalized(ops, W, b, v, mus)))
    return np.concatenate(parts)


def evaluate_lower_bound(model, X_test, X_train=None, n_chains: int = 100,
                         n_betas: int = 20000, batch_size: int = 1000, seed=None,
                         progress: bool = False, device="model", **mean_field_kwargs) -> dict:
    """AIS ``log Z`` plus the mean variational bound on ``X_test``.

    Parameters
    ----------
    model : DeepBoltzmannMachine
    X_test : (n, n_visible) binary array
    X_train : binary array, optional
        Data for the AIS base-rate model.
    n_chains, n_betas : int
        AIS runs and temperatures (see :func:`~boltz.dbm.ais.ais_log_partition`).
    batch_size : int
        Test rows per mean-field batch.
    seed : int, Generator or None
    progress : bool
        Show tqdm progress bars for the AIS and the mean field (off by default).
    device : str, torch.device or None
        ``"model"`` (default): the model's ``device``; ``None``/``"cpu"``: NumPy;
        a torch device: the AIS and the mean field run there.
    **mean_field_kwargs
        Passed to the mean field (``n_iter`` defaults to 50 here).

    Returns
    -------
    dict
        ``lower_bound`` (mean bound using the AIS ``log Z``),
        ``lower_bound_conservative`` (using the AIS ``log_z_upper``, i.e.
        ``log Z`` plus three standard errors), ``lower_bound_std`` (the standard
        error of the mean over test vectors), ``log_z``, ``log_z_std``,
        ``log_z_lower``, ``log_z_upper``, ``ess``, ``n_betas``, ``n_chains``, and
        a sanity check: ``log_z_certified_lower``
        (:func:`certified_log_z_lower_bound` on the test vectors),
        ``lower_bound_at_most`` (the mean bound with that ``log Z``: the true
        bound cannot be higher) and ``ais_consistent`` (whether the AIS interval
        reaches the certified value). An inconsistent AIS run is also reported
        with a ``UserWarning``: its bound is then too optimistic.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> ev = evaluate_lower_bound(m, np.ones((3, 2)), n_chains=4, n_betas=10, seed=0)
    >>> round(ev["lower_bound"], 4)
    -1.3863
    """
    import warnings

    from tqdm.auto import tqdm

    model = check_dbm(model)
    X_test = model.check_visible(X_test, "X_test")
    batch_size = check_positive_int(batch_size, "batch_size")
    device = getattr(model, "device", None) if device == "model" else device
    ais = ais_log_partition(model, n_chains=n_chains, n_betas=n_betas, data=X_train,
                            seed=seed, progress=progress, device=device)
    mean_field_kwargs.setdefault("n_iter", 50)
    if not is_torch_device(device):
        parts = [model.variational_bound_unnormalized(
            X_test[i:i + batch_size],
            model.mean_field(X_test[i:i + batch_size], **mean_field_kwargs))
            for i in tqdm(range(0, X_test.shape[0], batch_size), disable=not progress,
                          desc="DBM mean field", leave=False)]
        unnorm = np.concatenate(parts)
    else:
        unnorm = _bounds_on_device(model, X_test, batch_size, device, progress,
                                   **mean_field_kwargs)
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
