"""Exact ``log Z``, free energies and log-likelihoods of small DBMs by enumeration.

:func:`exact_log_partition` enumerates the layers of one parity (odd or even,
whichever has fewer units) and sums the other parity out in closed form
(softplus); :func:`exact_free_energy` does the same for
``log sum_h exp(-E(v, h))``. Float64 throughout, on the NumPy backend.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm import DeepBoltzmannMachine
>>> from boltz.dbm.exact import exact_log_partition
>>> dbm = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
>>> round(exact_log_partition(dbm) / np.log(2))      # 7 free binary units
7
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..exact import MAX_EXACT_VARIABLES, iter_state_chunks
from .backend import NumpyBackend
from .formulas import marginal_log_unnormalized

__all__ = ["check_dbm", "exact_log_partition", "exact_free_energy", "exact_log_likelihood"]

_MAX_FREE_ENERGY_BITS = 20
_OPS = NumpyBackend(0)  # enumeration draws no random numbers


def check_dbm(model):
    """Check that ``model`` is a fitted :class:`~boltz.dbm.DeepBoltzmannMachine`; returns it.

    Examples
    --------
    >>> check_dbm(3)
    Traceback (most recent call last):
    ...
    TypeError: model must be a DeepBoltzmannMachine, got int
    """
    if getattr(type(model), "model_kind", None) != "DeepBoltzmannMachine":
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

    Parameters
    ----------
    model : DeepBoltzmannMachine
    max_variables : int
        Enumerate at most ``2**max_variables`` states of the smaller parity.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> round(exact_log_partition(m) / np.log(2))
    4
    """
    model = check_dbm(model)
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
        logw = marginal_log_unnormalized(_OPS, model.weights_, model.biases_, states, parity)
        running = np.logaddexp(running, special.logsumexp(logw))
    return float(running)


def exact_free_energy(model, v, max_bits: int = _MAX_FREE_ENERGY_BITS) -> np.ndarray:
    """Exact free energy ``F(v) = -log sum_h exp(-E(v, h))`` for each row of ``v``.

    The even hidden layers (2, 4, ...) are enumerated (at most ``2**max_bits``
    states) and the odd ones summed out analytically.

    Parameters
    ----------
    model : DeepBoltzmannMachine
    v : (n, n_visible) binary array
    max_bits : int

    Returns
    -------
    ndarray of shape (n,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> bool(np.isclose(exact_free_energy(m, np.zeros((1, 2)))[0], -2 * np.log(2)))
    True
    """
    model = check_dbm(model)
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
        logw = marginal_log_unnormalized(_OPS, model.weights_, model.biases_, states, 0)
        running = np.logaddexp(running, special.logsumexp(logw.reshape(m, n), axis=0))
    return -running


def exact_log_likelihood(model, v, log_z: float | None = None) -> np.ndarray:
    """Exact ``log p(v)`` of a small DBM for each row of ``v`` (float64).

    Parameters
    ----------
    model : DeepBoltzmannMachine
    v : (n, n_visible) binary array
    log_z : float, optional
        ``log Z`` when already known (computed otherwise).

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.dbm import DeepBoltzmannMachine
    >>> m = DeepBoltzmannMachine.from_parameters([np.zeros((2, 1)), np.zeros((1, 1))])
    >>> bool(np.isclose(exact_log_likelihood(m, np.zeros((1, 2)))[0], -2 * np.log(2)))
    True
    """
    log_z = exact_log_partition(model) if log_z is None else float(log_z)
    return -exact_free_energy(model, v) - log_z
