"""One Ising lattice split over ranks in strips of rows, with halo exchange (a 2-rank demo).

The ``L x L`` periodic square lattice (``J``, ``h``, inverse temperature ``beta``) is
cut into horizontal strips, one per rank (:func:`split_lattice`). A checkerboard
Metropolis sweep (:func:`halo_metropolis`) updates the black sites, then the white
ones; before each half-sweep the ranks exchange their first and last rows (the halo)
so that the boundary sites see their neighbours on the next rank. Random numbers are
counter-based (SplitMix64 of the seed, the sweep, the colour, the chain and the
*global* site index), so a lattice split over any number of ranks follows exactly
the same chain as the whole lattice in one process. This NumPy version shows the
decomposition; the plan for GPUs (NCCL point-to-point halos overlapped with the
interior update) is in the "Running across GPUs and nodes" guide.

Examples
--------
>>> import numpy as np
>>> spins = np.ones((2, 4, 4), np.int8)            # 2 chains of a 4 x 4 lattice
>>> strip, first = split_lattice(spins)
>>> out = halo_metropolis(strip, first, beta=0.1, n_sweeps=3, seed=0)
>>> gather_lattice(out).shape
(2, 4, 4)
"""

from __future__ import annotations

import numpy as np

from .comm import get_communicator, shard_range

__all__ = ["split_lattice", "gather_lattice", "halo_metropolis"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _uniforms(key, counter):
    """Uniforms in [0, 1) of SplitMix64 at ``key + counter * golden`` (uint64 arrays)."""
    z = np.uint64(key) + counter * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _check_spins(spins, name):
    s = np.asarray(spins)
    if s.ndim != 3 or s.shape[1] < 1 or s.shape[2] < 2:
        raise ValueError(f"{name} must have shape (n_chains, rows, L), got {s.shape}")
    if not np.all((s == 1) | (s == -1)):
        raise ValueError(f"{name} must hold spins in {{-1, +1}}")
    return s.astype(np.int8)


def split_lattice(spins, comm=None):
    """This rank's strip of rows of the lattices ``spins`` (the same on every rank).

    Parameters
    ----------
    spins : array_like, shape (n_chains, L, L)
        Spins in {-1, +1}; ``L`` even (the checkerboard colours must match across
        the periodic boundary) and at least ``world_size`` rows.
    comm : Communicator, optional
        Default: one process (the whole lattice).

    Returns
    -------
    tuple
        ``(strip, first_row)``: a copy of rows ``first_row .. first_row + rows - 1``.

    Examples
    --------
    >>> split_lattice(np.ones((1, 4, 4)))[0].shape
    (1, 4, 4)
    """
    comm = get_communicator(comm)
    s = _check_spins(spins, "spins")
    L = s.shape[1]
    if s.shape[2] != L or L % 2 or L < comm.world_size:
        raise ValueError(f"spins must be (n_chains, L, L) with L even and L >= world_size "
                         f"({comm.world_size}), got {s.shape}")
    lo, hi = shard_range(L, comm)
    return s[:, lo:hi].copy(), lo


def gather_lattice(strip, comm=None) -> np.ndarray:
    """The whole lattices from every rank's strip (rank order is row order).

    Parameters
    ----------
    strip : numpy.ndarray, shape (n_chains, rows, L)
        This rank's rows.
    comm : Communicator, optional
        Default: one process.

    Returns
    -------
    numpy.ndarray, shape (n_chains, L, L)
        Every rank gets the whole lattices.

    Examples
    --------
    >>> gather_lattice(np.ones((1, 2, 2), np.int8)).shape
    (1, 2, 2)
    """
    comm = get_communicator(comm)
    parts = comm.all_gather(np.ascontiguousarray(np.swapaxes(strip, 0, 1)))
    return np.swapaxes(np.concatenate(parts), 0, 1)


def _halo(strip, comm):
    """(row above the strip, row below it): the neighbours' boundary rows, periodic."""
    edges = np.stack([strip[:, 0], strip[:, -1]])            # (2, chains, L)
    if comm.world_size == 1:
        return edges[1], edges[0]
    got = comm.all_gather(edges[None])                       # one halo message per rank
    above = got[(comm.rank - 1) % comm.world_size][0, 1]
    below = got[(comm.rank + 1) % comm.world_size][0, 0]
    return above, below


def halo_metropolis(strip, first_row: int, beta: float, J: float = 1.0, h: float = 0.0,
                    n_sweeps: int = 1, seed: int = 0, sweep_offset: int = 0, comm=None):
    """Checkerboard Metropolis sweeps of a lattice split in strips over the ranks.

    Parameters
    ----------
    strip : array_like, shape (n_chains, rows, L)
        This rank's rows (from :func:`split_lattice`).
    first_row : int
        Global index of the strip's first row.
    beta : float
        Inverse temperature.
    J, h : float
        Coupling and field: ``E = -J sum_<ij> s_i s_j - h sum_i s_i``.
    n_sweeps : int, default 1
        Sweeps (black then white half-sweep).
    seed : int, default 0
        Key of the counter-based random numbers.
    sweep_offset : int, default 0
        Index of the first sweep (continue a run with the same seed).
    comm : Communicator, optional
        Default: one process.

    Returns
    -------
    numpy.ndarray
        The strip after the sweeps (int8).

    Examples
    --------
    >>> s, first = split_lattice(-np.ones((1, 4, 4)))
    >>> halo_metropolis(s, first, beta=10.0, n_sweeps=2).min()   # frozen at low T
    np.int8(-1)
    """
    from .._validation import check_finite_scalar, check_nonnegative_int, check_positive_int

    comm = get_communicator(comm)
    s = _check_spins(strip, "strip").copy()
    beta = check_finite_scalar(beta, "beta")
    J, h = check_finite_scalar(J, "J"), check_finite_scalar(h, "h")
    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    seed = check_nonnegative_int(seed, "seed")
    first_row = check_nonnegative_int(first_row, "first_row")
    sweep_offset = check_nonnegative_int(sweep_offset, "sweep_offset")
    C, rows, L = s.shape
    gi = (first_row + np.arange(rows))[:, None]
    colour = (gi + np.arange(L)[None, :]) % 2                  # global checkerboard
    site = (np.arange(C, dtype=np.uint64)[:, None, None] * np.uint64(L * L)
            + (gi * L + np.arange(L)[None, :]).astype(np.uint64)[None])
    n_all = np.uint64(C * L * L)
    for t in range(sweep_offset, sweep_offset + n_sweeps):
        for c in (0, 1):
            above, below = _halo(s, comm)
            padded = np.concatenate([above[:, None], s, below[:, None]], axis=1).astype(
                np.float64)
            nb = (padded[:, :-2] + padded[:, 2:] + np.roll(padded[:, 1:-1], 1, axis=2)
                  + np.roll(padded[:, 1:-1], -1, axis=2))
            dE = 2.0 * s * (J * nb + h)
            u = _uniforms(seed, np.uint64(2 * t + c) * n_all + site)
            flip = (colour[None] == c) & (u < np.exp(np.minimum(-beta * dE, 0.0)))
            s[flip] = -s[flip]
    return s
