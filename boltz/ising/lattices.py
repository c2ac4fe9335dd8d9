"""Periodic Ising models on the triangular, honeycomb and simple cubic lattices.

Each is a :class:`~boltz.ising.PairwiseMRF` with nearest-neighbour coupling
``J`` (so every MRF sampler -- Metropolis, Gibbs, chromatic Gibbs, Wolff,
Swendsen--Wang -- and :func:`~boltz.ising.simulate` run on it) plus the
geometry the observables need: integer ``coords`` of each site, the
``sublattice`` sign of bipartite lattices (staggered magnetisation) and the
critical temperature ``t_c`` of the ferromagnet (``J = 1``):

- triangular ``L x L`` (coordination 6): ``T_c = 4 / ln 3`` (Houtappel 1950);
- honeycomb as a brick wall on ``L x L``, ``L`` even (coordination 3):
  ``T_c = 2 / ln(2 + sqrt 3)`` (Houtappel 1950);
- simple cubic ``L x L x L`` (coordination 6): ``T_c = 4.511523`` (``K_c =
  0.221654626``, Ferrenberg, Xu & Landau 2018, Monte Carlo; no exact value).

Examples
--------
>>> from boltz.ising.lattices import triangular_lattice, TRIANGULAR_T_C
>>> m = triangular_lattice(6, temperature=TRIANGULAR_T_C)
>>> m.n_variables, int(m.couplings.nnz // m.n_variables)     # 36 sites, 6 neighbours each
(36, 6)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from .._validation import check_finite_scalar, check_positive_int
from .models import PairwiseMRF

__all__ = ["LatticeModel", "triangular_lattice", "honeycomb_lattice", "cubic_lattice",
           "TRIANGULAR_T_C", "HONEYCOMB_T_C", "CUBIC_T_C"]

#: Exact critical temperature of the triangular ferromagnet, ``4 / ln 3`` (J = 1).
TRIANGULAR_T_C = 4.0 / math.log(3.0)
#: Exact critical temperature of the honeycomb ferromagnet, ``2 / ln(2 + sqrt 3)`` (J = 1).
HONEYCOMB_T_C = 2.0 / math.log(2.0 + math.sqrt(3.0))
#: Best estimate of the simple cubic critical temperature, ``1 / 0.221654626`` (J = 1).
CUBIC_T_C = 1.0 / 0.221654626


class LatticeModel(PairwiseMRF):
    """A :class:`PairwiseMRF` on a periodic lattice, with its geometry.

    Parameters
    ----------
    couplings : scipy.sparse matrix, shape (n_sites, n_sites)
        Unit couplings (scaled by ``J``).
    lattice, side, coords, sublattice : see Attributes
        The geometry.
    t_c : float
        Critical temperature at ``|J| = 1``.
    J : float
        Coupling.
    h : float or array_like, default 0.0
        Field.
    beta, temperature : float, optional
        Inverse temperature or temperature (at most one).

    Attributes
    ----------
    lattice : str
        ``"triangular"``, ``"honeycomb"`` or ``"cubic"``.
    side : int
        Linear size ``L`` (the lattice is periodic with period ``L`` along each axis).
    coords : ndarray of int
        ``(n_sites, dim)`` integer coordinates in ``[0, L)``.
    sublattice : ndarray of int8 or None
        ``+1``/``-1`` per site on a bipartite lattice (None on the triangular one).
    t_c : float
        Critical temperature of the ferromagnet with this ``|J|``.

    Examples
    --------
    >>> from boltz.ising import triangular_lattice
    >>> m = triangular_lattice(6, temperature=4.0)
    >>> m.lattice, m.coords.shape
    ('triangular', (36, 2))
    """

    def __init__(self, couplings, lattice, side, coords, sublattice, t_c, J, h=0.0, beta=None,
                 temperature=None):
        super().__init__(couplings, h=h, beta=beta, temperature=temperature)
        self.lattice = lattice
        self.side = int(side)
        self.coords = coords
        self.sublattice = sublattice
        self.t_c = float(t_c)
        self.J = float(J)

    def with_beta(self, beta) -> LatticeModel:
        """The same lattice at another inverse temperature.

        Parameters
        ----------
        beta : float
            The new inverse temperature.

        Returns
        -------
        LatticeModel
            A new model, same geometry.

        Examples
        --------
        >>> from boltz.ising import cubic_lattice
        >>> cubic_lattice(4).with_beta(0.2).beta
        0.2
        """
        return LatticeModel(self.couplings, self.lattice, self.side, self.coords,
                            self.sublattice, self.t_c, self.J, h=self.field, beta=beta)

    def __repr__(self) -> str:
        return (f"LatticeModel({self.lattice}, L={self.side}, J={self.J:g}, "
                f"beta={self.beta:g})")


def _build(lattice, side, bonds_i, bonds_j, coords, sublattice, t_c_unit, J, h, beta,
           temperature):
    J = check_finite_scalar(J, "J")
    n = coords.shape[0]
    w = np.full(bonds_i.shape[0], J)
    coup = sparse.coo_matrix((np.r_[w, w], (np.r_[bonds_i, bonds_j], np.r_[bonds_j, bonds_i])),
                             shape=(n, n)).tocsr()
    return LatticeModel(coup, lattice, side, coords, sublattice, t_c_unit * abs(J), J, h=h,
                        beta=beta, temperature=temperature)


def _side(L, minimum, even=False):
    L = check_positive_int(L, "L")
    if L < minimum:
        raise ValueError(f"L must be at least {minimum} (no double bonds), got {L}")
    if even and L % 2:
        raise ValueError(f"L must be even for this lattice to close periodically, got {L}")
    return L


def triangular_lattice(L, *, J=1.0, h=0.0, beta=None, temperature=None) -> LatticeModel:
    """Periodic ``L x L`` triangular lattice: site ``(x, y)`` bonds to ``(x+1, y)``,
    ``(x, y+1)`` and ``(x+1, y-1)`` (6 neighbours; ``L >= 3``).

    Parameters
    ----------
    L : int
        Side (``L >= 3``).
    J, h : float
        Coupling and uniform field.
    beta, temperature : float
        Inverse temperature or temperature (one of them; default beta = 1).

    Returns
    -------
    LatticeModel

    Examples
    --------
    >>> m = triangular_lattice(4, beta=0.2)
    >>> len(m.couplings.data) // 2                       # 3 bonds per site
    48
    """
    L = _side(L, 3)
    x, y = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    idx = lambda a, b: (a % L) * L + (b % L)  # noqa: E731
    i = np.tile(idx(x, y).ravel(), 3)
    j = np.concatenate([idx(x + 1, y).ravel(), idx(x, y + 1).ravel(), idx(x + 1, y - 1).ravel()])
    coords = np.stack([x.ravel(), y.ravel()], axis=1)
    return _build("triangular", L, i, j, coords, None, TRIANGULAR_T_C, J, h, beta, temperature)


def honeycomb_lattice(L, *, J=1.0, h=0.0, beta=None, temperature=None) -> LatticeModel:
    """Periodic honeycomb lattice as an ``L x L`` brick wall (``L`` even, ``L >= 4``):
    every site bonds to ``(x, y +- 1)`` and, when ``x + y`` is even, to ``(x + 1, y)``
    (3 neighbours; the two sublattices are ``x + y`` even / odd).

    Parameters
    ----------
    L : int
        Side (even, ``L >= 4``).
    J, h : float
        Coupling and uniform field.
    beta, temperature : float
        Inverse temperature or temperature.

    Returns
    -------
    LatticeModel

    Examples
    --------
    >>> m = honeycomb_lattice(4)
    >>> sorted(set(m.couplings.getnnz(axis=1).tolist()))
    [3]
    """
    L = _side(L, 4, even=True)
    x, y = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    idx = lambda a, b: (a % L) * L + (b % L)  # noqa: E731
    even = ((x + y) % 2 == 0)
    i = np.concatenate([idx(x, y).ravel(), idx(x, y)[even]])
    j = np.concatenate([idx(x, y + 1).ravel(), idx(x + 1, y)[even]])
    coords = np.stack([x.ravel(), y.ravel()], axis=1)
    sub = np.where(even, 1, -1).astype(np.int8).ravel()
    return _build("honeycomb", L, i, j, coords, sub, HONEYCOMB_T_C, J, h, beta, temperature)


def cubic_lattice(L, *, J=1.0, h=0.0, beta=None, temperature=None) -> LatticeModel:
    """Periodic simple cubic ``L x L x L`` lattice (6 neighbours; ``L >= 3``).

    Parameters
    ----------
    L : int
        Side (``L >= 3``; the sublattice signs are exact only for even ``L``).
    J, h : float
        Coupling and uniform field.
    beta, temperature : float
        Inverse temperature or temperature.

    Returns
    -------
    LatticeModel

    Examples
    --------
    >>> m = cubic_lattice(4)
    >>> m.n_variables, len(m.couplings.data) // 2
    (64, 192)
    """
    L = _side(L, 3)
    x, y, z = np.meshgrid(np.arange(L), np.arange(L), np.arange(L), indexing="ij")
    idx = lambda a, b, c: ((a % L) * L + (b % L)) * L + (c % L)  # noqa: E731
    i = np.tile(idx(x, y, z).ravel(), 3)
    j = np.concatenate([idx(x + 1, y, z).ravel(), idx(x, y + 1, z).ravel(),
                        idx(x, y, z + 1).ravel()])
    coords = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
    sub = None if L % 2 else np.where((x + y + z) % 2 == 0, 1, -1).astype(np.int8).ravel()
    return _build("cubic", L, i, j, coords, sub, CUBIC_T_C, J, h, beta, temperature)
