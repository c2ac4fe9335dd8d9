"""The DBM's formulas, each written once over an array backend (:mod:`boltz.dbm.backend`).

Layers ``x_0 = v, x_1, ..., x_L`` with weights ``W_l`` of shape ``(n_l, n_{l+1})``
and biases ``b_l``; energy (Salakhutdinov & Hinton 2009, eq. 1)

    E(v, h_1, ..., h_L) = - sum_l b_l . x_l - sum_{l<L} x_l^T W_l x_{l+1}.

Every function takes the backend ``ops`` and lists ``W``, ``b`` of backend
arrays (NumPy arrays or torch tensors), and uses only Python's array operators
plus ``ops``' primitives, so the NumPy path and every torch device run the same
lines. Layer conditionals, the alternating odd/even block-Gibbs sweep, the
Rao-Blackwellised chain statistics, the doubled bottom-up pass, the mean-field
fixed point, the energy, the mean-field entropy and bound, and the centred
parametrisation are here; the joint-training update is in
:mod:`boltz.dbm.joint` and the AIS transitions in :mod:`boltz.dbm.ais`.

Examples
--------
>>> import numpy as np
>>> from boltz.dbm.backend import NumpyBackend
>>> from boltz.dbm.formulas import mean_field_sweeps
>>> W = [np.zeros((3, 2)), np.zeros((2, 2))]
>>> b = [np.zeros(3), np.zeros(2), np.zeros(2)]
>>> mus, n_iter, change = mean_field_sweeps(NumpyBackend(0), W, b, np.ones((1, 3)),
...                                         [np.zeros((1, 2)), np.zeros((1, 2))], 5)
>>> mus[0].tolist(), n_iter
([[0.5, 0.5]], 2)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import check_positive_int
from .backend import sigmoid

__all__ = [
    "sigmoid", "check_hidden_sizes", "layer_input", "sample_layers", "gibbs_sweep",
    "chain_statistics", "bottom_up", "mean_field_sweeps", "energy_layers",
    "bernoulli_entropy", "bound_unnormalized", "centred_biases", "uncentred_biases",
    "marginal_log_unnormalized",
]


def check_hidden_sizes(n_hidden, name: str = "n_hidden", min_layers: int = 2) -> tuple:
    """Check a sequence of at least ``min_layers`` positive hidden-layer sizes.

    Parameters
    ----------
    n_hidden : sequence of int
    name : str
        Argument name used in error messages.
    min_layers : int

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> check_hidden_sizes([4, 3])
    (4, 3)
    """
    if isinstance(n_hidden, (int, np.integer)) or not isinstance(n_hidden, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a sequence of layer sizes, got {n_hidden!r}")
    sizes = tuple(check_positive_int(n, f"{name}[{i}]") for i, n in enumerate(n_hidden))
    if len(sizes) < min_layers:
        raise ValueError(f"{name} must list at least {min_layers} hidden layers, got {len(sizes)}")
    return sizes


def layer_input(W, b, states, l):
    """Total input ``b_l + x_{l-1} W_{l-1} + x_{l+1} W_l^T`` to layer ``l``.

    ``states`` holds one ``(n, n_k)`` array per layer; only layers ``l - 1``
    and ``l + 1`` are read.

    Examples
    --------
    >>> layer_input([np.ones((2, 3))], [np.zeros(2), np.ones(3)], [np.ones((1, 2)), None], 1)
    array([[3., 3., 3.]])
    """
    total = b[l]
    if l > 0:
        total = total + states[l - 1] @ W[l - 1]
    if l < len(b) - 1:
        total = total + states[l + 1] @ W[l].T
    return total


def sample_layers(ops, W, b, states, parity):
    """Draw every layer of ``parity`` (1: odd, 0: even) given the others, in place in the list.

    Returns ``states``.
    """
    for l in range(parity, len(b), 2):
        states[l] = ops.bernoulli(ops.sigmoid(layer_input(W, b, states, l)))
    return states


def gibbs_sweep(ops, W, b, states, clamp_visible: bool = False):
    """One alternating block-Gibbs sweep: odd layers given even, then even given odd.

    Returns a new list; with ``clamp_visible`` the visible layer is kept.
    """
    states = sample_layers(ops, W, b, list(states), 1)
    v = states[0]
    states = sample_layers(ops, W, b, states, 0)
    if clamp_visible:
        states[0] = v
    return states


def chain_statistics(ops, W, b, chains, gibbs_steps):
    """Advance persistent chains ``gibbs_steps`` sweeps; returns ``(chains, stats)`` where
    ``stats`` holds the even layers' states and the odd layers' conditional means given
    them (Rao-Blackwellised)."""
    for _ in range(gibbs_steps):
        chains = gibbs_sweep(ops, W, b, chains)
    stats = list(chains)
    for l in range(1, len(b), 2):
        stats[l] = ops.sigmoid(layer_input(W, b, chains, l))
    return chains, stats


def bottom_up(ops, W, b, v):
    """Hidden means of one bottom-up pass with the bottom-up input doubled in every layer
    but the top one, which misses no top-down input (Salakhutdinov & Larochelle 2010)."""
    mus = [v]
    L = len(b) - 1
    for l in range(1, L + 1):
        scale = 2.0 if l < L else 1.0
        mus.append(ops.sigmoid(b[l] + scale * (mus[l - 1] @ W[l - 1])))
    return mus[1:]


def mean_field_sweeps(ops, W, b, v, mus, n_iter, tol=0.0, damping=0.0, combine_change=None):
    """Mean-field fixed-point iteration from the hidden means ``mus``.

    Each sweep updates the odd hidden layers, then the even ones, to
    ``sigmoid(b_l + mu_{l-1} W_{l-1} + mu_{l+1} W_l^T)`` (``mu_0 = v``), moving
    to ``damping * old + (1 - damping) * new``. Stops after ``n_iter`` sweeps or
    when no mean changed by more than ``tol``; ``tol=None`` never reads the
    change (no host synchronisation on an asynchronous device). ``combine_change``
    maps this process's largest change to the one the stop is decided on (data-parallel
    training: the largest over ranks, so that every rank stops at the same sweep).

    Returns
    -------
    (list, int, float)
        The means ``mu_1..mu_L``, the sweeps run and the last largest change
        (``nan`` when ``tol`` is None).
    """
    states = [v, *mus]
    n_layers = len(b)
    # the visible layer is clamped: its input to layer 1 is computed once
    bottom = b[1] + v @ W[0]
    change = np.inf if tol is not None else np.nan
    it = 0
    for it in range(1, n_iter + 1):  # noqa: B007
        change = 0.0 if tol is not None else np.nan
        for parity in (1, 0):
            for l in range(1 if parity else 2, n_layers, 2):
                if l == 1:
                    new = ops.sigmoid(bottom + states[2] @ W[1].T)
                else:
                    new = ops.sigmoid(layer_input(W, b, states, l))
                if damping:
                    new = damping * states[l] + (1.0 - damping) * new
                if tol is not None:
                    change = max(change, ops.max_abs(new - states[l]))
                states[l] = new
        if tol is not None and combine_change is not None:
            change = combine_change(change)
        if tol is not None and change <= tol:
            break
    return states[1:], it, change


def energy_layers(ops, W, b, states):
    """Energy ``E(x_0, ..., x_L)`` of per-layer states (or means), in float64; shape ``(n,)``."""
    xs = [ops.float64(s) for s in states]
    e = 0.0
    for l, bias in enumerate(b):
        e = e - xs[l] @ ops.float64(bias)
    for l, w in enumerate(W):
        e = e - ops.rowdot(xs[l] @ ops.float64(w), xs[l + 1])
    return e


def bernoulli_entropy(ops, mu):
    """Entropy (nats, float64) of independent Bernoulli units, summed over the last axis."""
    mu = ops.float64(mu)
    return -(ops.xlogy(mu, mu) + ops.xlogy(1.0 - mu, 1.0 - mu)).sum(axis=-1)


def bound_unnormalized(ops, W, b, v, mus):
    """``-E_q[E(v, h)] + H(q)`` for mean-field means ``mus`` (float64, shape ``(n,)``).

    ``E`` is linear in each layer and the layers of ``q`` are independent, so
    ``E_q[E(v, h)] = E(v, mu_1, ..., mu_L)``. Subtract ``log Z`` for the lower
    bound on ``log p(v)``.
    """
    neg_energy = -energy_layers(ops, W, b, [v, *mus])
    entropy = sum(bernoulli_entropy(ops, m) for m in mus)
    return neg_energy + entropy


def _shift_bias(W, bias, offsets, l, sign):
    """``bias + sign * (W_l c_{l+1} + W_{l-1}^T c_{l-1})`` as a new array."""
    out = bias
    if l + 1 < len(offsets):
        out = out + sign * (W[l] @ offsets[l + 1])
    if l > 0:
        out = out + sign * (offsets[l - 1] @ W[l - 1])
    return out


def centred_biases(W, b, offsets):
    """Biases of the centred parametrisation (Montavon & Mueller 2012),
    ``b'_l = b_l + W_l c_{l+1} + W_{l-1}^T c_{l-1}`` (energy unchanged up to a constant).

    Examples
    --------
    >>> centred_biases([np.ones((1, 1))], [np.zeros(1), np.zeros(1)],
    ...                [np.ones(1), np.ones(1)])
    [array([1.]), array([1.])]
    """
    return [_shift_bias(W, x, offsets, l, +1) for l, x in enumerate(b)]


def uncentred_biases(W, centred, offsets):
    """The inverse of :func:`centred_biases`.

    Examples
    --------
    >>> uncentred_biases([np.ones((1, 1))], [np.ones(1), np.ones(1)],
    ...                  [np.ones(1), np.ones(1)])
    [array([0.]), array([0.])]
    """
    return [_shift_bias(W, x, offsets, l, -1) for l, x in enumerate(centred)]


def marginal_log_unnormalized(ops, W, b, states, parity, base_biases=None, beta=1.0):
    """``log sum_{x_other} exp(-E)`` with the layers of the other parity summed out.

    ``states`` holds arrays for the layers of ``parity`` (0: even layers
    0, 2, ...; 1: odd layers); entries of the other parity are ignored. With
    ``base_biases`` and ``beta`` the energy is the AIS path
    ``(1 - beta) E_base + beta E`` where ``E_base = -sum_l a_l . x_l``. Float64.
    """
    out = 0.0
    for l in range(len(b)):
        bias = b[l] if base_biases is None else (1 - beta) * base_biases[l] + beta * b[l]
        if l % 2 == parity:
            out = out + ops.float64(states[l]) @ ops.float64(bias)
        else:
            neighbours = 0.0
            if l > 0:
                neighbours = neighbours + states[l - 1] @ W[l - 1]
            if l < len(b) - 1:
                neighbours = neighbours + states[l + 1] @ W[l].T
            inp = ops.float64(bias) + beta * ops.float64(neighbours)
            out = out + ops.softplus(inp).sum(axis=1)
    return ops.float64(out)
