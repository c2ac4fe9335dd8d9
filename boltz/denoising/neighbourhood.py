"""Pixel-grid neighbourhoods: offsets, neighbour sums and pair sums of spin images.

With 4 neighbours a pixel touches its row and column neighbours; with 8 also the
diagonals. Boundaries are free (no wrap-around); each undirected pair is counted
once in :func:`pair_sum`.

Examples
--------
>>> import numpy as np
>>> neighbour_offsets(4)
((0, 1), (1, 0))
>>> neighbour_sum(np.ones((1, 3, 3)), 8)[0].tolist()
[[3.0, 5.0, 3.0], [5.0, 8.0, 5.0], [3.0, 5.0, 3.0]]
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice

__all__ = ["NEIGHBOURHOODS", "neighbour_offsets", "neighbour_sum", "pair_sum"]

#: Supported neighbourhoods (number of neighbours of an interior pixel).
NEIGHBOURHOODS = (4, 8)

# Forward offsets (each undirected pair once); the backward ones are their negatives.
_FORWARD = {4: ((0, 1), (1, 0)), 8: ((0, 1), (1, 0), (1, 1), (1, -1))}


def neighbour_offsets(neighbourhood: int, *, both_directions: bool = False) -> tuple:
    """Row/column offsets ``(dr, dc)`` of a neighbourhood.

    With ``both_directions=False`` each undirected pair appears once (forward
    offsets); with ``True`` the list holds the forward offsets followed by their
    negatives, so offset ``k`` and ``(k + K/2) % K`` are opposite.
    """
    check_choice(neighbourhood, "neighbourhood", set(NEIGHBOURHOODS))
    fwd = _FORWARD[neighbourhood]
    if not both_directions:
        return fwd
    return fwd + tuple((-dr, -dc) for dr, dc in fwd)


def pair_sum(x: np.ndarray, neighbourhood: int) -> np.ndarray:
    """``Σ_<ij> x_i x_j`` for a batch of images ``(n, H, W)``, each pair once."""
    total = np.zeros(x.shape[0], dtype=np.float64)
    H, W = x.shape[1:]
    for dr, dc in neighbour_offsets(neighbourhood):  # dr >= 0 for forward offsets
        c0, c1 = max(0, -dc), W - max(0, dc)
        a = x[:, : H - dr, c0:c1]
        b = x[:, dr:, c0 + dc: c1 + dc]
        total += np.einsum("nij,nij->n", a, b)
    return total


def neighbour_sum(x: np.ndarray, neighbourhood: int) -> np.ndarray:
    """``Σ_{j ~ i} x_j`` for every pixel of a batch ``(n, H, W)`` (free boundary)."""
    s = np.zeros_like(x, dtype=np.float64)
    H, W = x.shape[1:]
    for dr, dc in neighbour_offsets(neighbourhood, both_directions=True):
        r0, r1 = max(0, -dr), H - max(0, dr)
        c0, c1 = max(0, -dc), W - max(0, dc)
        s[:, r0:r1, c0:c1] += x[:, r0 + dr: r1 + dr, c0 + dc: c1 + dc]
    return s
