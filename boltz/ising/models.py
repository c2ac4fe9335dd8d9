"""Ising lattices and general pairwise binary MRFs (fully-visible Boltzmann machines).

Both are :class:`~boltz.density.DiscreteDensity` objects over spins in {-1, +1}
with ``p(s) ∝ exp(-beta H(s))``; ``energy(s)`` is ``beta * H(s)`` and
``hamiltonian(s)`` is ``H(s)``.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import sparse

from .._validation import check_array, check_finite_scalar, check_positive_int, check_spins
from ..density import DiscreteDensity

__all__ = ["IsingLattice", "PairwiseMRF", "spins_to_binary", "binary_to_spins"]


def spins_to_binary(s) -> np.ndarray:
    """Map spins in {-1, +1} to {0, 1}: ``x = (s + 1) / 2``.

    Parameters
    ----------
    s : array_like
        Spins in {-1, +1}.

    Returns
    -------
    numpy.ndarray
        The same shape, in {0, 1}.

    Examples
    --------
    >>> spins_to_binary([-1, 1]).tolist()
    [0.0, 1.0]
    """
    return (check_spins(s, "s") + 1.0) / 2.0


def binary_to_spins(x) -> np.ndarray:
    """Map {0, 1} variables to spins: ``s = 2 x - 1``.

    Parameters
    ----------
    x : array_like
        Values in {0, 1}.

    Returns
    -------
    numpy.ndarray
        The same shape, in {-1, +1}.

    Examples
    --------
    >>> binary_to_spins([0, 1]).tolist()
    [-1.0, 1.0]
    """
    from .._validation import check_binary

    return 2.0 * check_binary(x, "x") - 1.0


def _check_beta(beta, temperature):
    if temperature is not None:
        if beta is not None:
            raise ValueError("give beta or temperature, not both")
        t = check_finite_scalar(temperature, "temperature")
        if t <= 0:
            raise ValueError(f"temperature must be positive, got {t}")
        return 1.0 / t
    b = check_finite_scalar(1.0 if beta is None else beta, "beta")
    if b < 0:
        raise ValueError(f"beta must be non-negative, got {b}")
    return b


class IsingLattice(DiscreteDensity):
    """Ising model on a 2D square lattice or a 1D chain.

    ``H(s) = -J sum_<ij> s_i s_j - sum_i h_i s_i`` over nearest-neighbour bonds;
    the density is ``p(s) ∝ exp(-beta H(s))``. States are flattened row-major
    to ``n_variables = Lx * Ly`` spins (``energy`` also accepts ``(n, Lx, Ly)``).

    Parameters
    ----------
    shape : int or tuple
        ``L`` (an L x L lattice), ``(Lx, Ly)``, or ``(L,)`` for a chain. Sides >= 2.
    J : float
        Coupling (> 0 ferromagnetic).
    h : float or array
        Field, a scalar or one value per site (shape ``shape``).
    beta, temperature : float
        Inverse temperature (default 1) or temperature ``T = 1 / beta``.
    periodic : bool
        Periodic (torus/ring) or open boundaries.

    Examples
    --------
    >>> import numpy as np
    >>> m = IsingLattice(4, temperature=2.0)
    >>> float(m.hamiltonian(np.ones((1, 16)))[0])      # 32 satisfied bonds
    -32.0
    >>> from boltz.exact import log_partition
    >>> bool(np.isclose(m.log_partition(), log_partition(m)))   # Kaufman == enumeration
    True
    """

    support = (-1, 1)

    def __init__(self, shape, *, J=1.0, h=0.0, beta=None, temperature=None, periodic=True):
        if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
            shape = (int(shape), int(shape))
        try:
            shape = tuple(int(check_positive_int(s, "shape")) for s in shape)
        except TypeError:
            raise TypeError(f"shape must be an int or a tuple of 1 or 2 ints, got {shape!r}") \
                from None
        if len(shape) not in (1, 2):
            raise ValueError(f"shape must have 1 or 2 sides, got {shape}")
        if any(s < 2 for s in shape):
            raise ValueError(f"every side of shape must be at least 2, got {shape}")
        from .._resources import check_memory

        n_sites = 1
        for side in shape:
            n_sites *= side          # Python ints: no overflow for huge sides
        check_memory(8 * n_sites, f"shape={shape}", f"the {n_sites} sites' float64 field")
        self.shape = shape
        self.grid_shape = (1, shape[0]) if len(shape) == 1 else shape
        self.n_variables = n_sites
        self.J = check_finite_scalar(J, "J")
        if np.ndim(h) == 0:
            self.h = check_finite_scalar(h, "h")
            self.field = np.full(self.grid_shape, self.h)
        else:
            arr = check_array(h, "h", shape=shape)
            self.h = arr.copy()
            self.field = arr.reshape(self.grid_shape).copy()
        self.beta = _check_beta(beta, temperature)
        if not isinstance(periodic, (bool, np.bool_)):
            raise TypeError(f"periodic must be True or False, got {periodic!r}")
        self.periodic = bool(periodic)

    # -- basic properties ------------------------------------------------
    @property
    def temperature(self) -> float:
        """``T = 1 / beta`` (inf at beta = 0)."""
        return np.inf if self.beta == 0 else 1.0 / self.beta

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def zero_field(self) -> bool:
        return bool(np.all(self.field == 0))

    def with_beta(self, beta) -> IsingLattice:
        """The same lattice at another inverse temperature.

        Parameters
        ----------
        beta : float
            The new inverse temperature.

        Returns
        -------
        IsingLattice
            A new model; ``self`` is unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> m.with_beta(0.25).beta
        0.25
        """
        return IsingLattice(self.shape, J=self.J, h=self.h, beta=beta, periodic=self.periodic)

    def __repr__(self) -> str:
        h = self.h if np.ndim(self.h) == 0 else "array"
        return (f"IsingLattice(shape={self.shape}, J={self.J:g}, h={h}, beta={self.beta:g}, "
                f"periodic={self.periodic})")

    # -- energies ----------------------------------------------------------
    def _grid(self, x, name="x"):
        arr = np.asarray(x, dtype=np.float64) if not isinstance(x, np.ndarray) else x
        if arr.ndim == len(self.shape) + 1 and arr.shape[1:] == self.shape:
            arr = arr.reshape(arr.shape[0], -1)
        arr = self._check_batch(arr, name)
        return arr.reshape(arr.shape[0], *self.grid_shape)

    def bond_sum(self, x) -> np.ndarray:
        """``sum_<ij> s_i s_j`` of each state.

        Parameters
        ----------
        x : array_like, shape (n, Lx, Ly) or (n, Lx * Ly)
            Spin states in {-1, +1}.

        Returns
        -------
        numpy.ndarray, shape (n,)
            The bond sums.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> m.bond_sum(np.ones((1, 4, 4))).tolist()
        [32.0]
        """
        s = self._grid(x)
        if self.periodic:
            total = (s * np.roll(s, -1, axis=2)).sum(axis=(1, 2))
            if self.grid_shape[0] > 1:
                total += (s * np.roll(s, -1, axis=1)).sum(axis=(1, 2))
        else:
            total = (s[:, :, :-1] * s[:, :, 1:]).sum(axis=(1, 2))
            if self.grid_shape[0] > 1:
                total += (s[:, :-1, :] * s[:, 1:, :]).sum(axis=(1, 2))
        return total

    def hamiltonian(self, x) -> np.ndarray:
        """``H(s)`` of each state, shape ``(n,)``.

        Parameters
        ----------
        x : array_like, shape (n, Lx, Ly) or (n, Lx * Ly)
            Spin states in {-1, +1}.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``H(s)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> m.hamiltonian(np.ones((1, 4, 4))).tolist()
        [-32.0]
        """
        s = self._grid(x)
        return -self.J * self.bond_sum(s.reshape(s.shape[0], -1)) - (s * self.field).sum((1, 2))

    def energy(self, x) -> np.ndarray:
        """``beta * H(s)`` (the density's energy).

        Parameters
        ----------
        x : array_like, shape (n, Lx, Ly) or (n, Lx * Ly)
            Spin states in {-1, +1}.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``beta H(s)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> m.energy(np.ones((1, 4, 4))).tolist()
        [-16.0]
        """
        return self.beta * self.hamiltonian(x)

    def n_bonds(self) -> int:
        """Number of nearest-neighbour bonds.

        Returns
        -------
        int
            The bond count.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> m.n_bonds()
        32
        """
        Lx, Ly = self.grid_shape
        per_row = Ly if self.periodic else Ly - 1
        bonds = Lx * per_row
        if Lx > 1:
            bonds += Ly * (Lx if self.periodic else Lx - 1)
        return bonds

    def bonds(self) -> tuple[np.ndarray, np.ndarray]:
        """Flat site indices ``(i, j)`` of every bond (a periodic side of 2 gives double bonds).

        Returns
        -------
        i, j : numpy.ndarray of int, shape (n_bonds,)
            The two ends of each bond.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> i, j = m.bonds()
        >>> i.shape
        (32,)
        """
        Lx, Ly = self.grid_shape
        idx = np.arange(Lx * Ly).reshape(Lx, Ly)
        pairs = [(idx[:, :-1], idx[:, 1:])]
        if self.periodic:
            pairs.append((idx[:, -1:], idx[:, :1]))
        if Lx > 1:
            pairs.append((idx[:-1, :], idx[1:, :]))
            if self.periodic:
                pairs.append((idx[-1:, :], idx[:1, :]))
        i = np.concatenate([a.ravel() for a, _ in pairs])
        j = np.concatenate([b.ravel() for _, b in pairs])
        return i, j

    def to_mrf(self) -> PairwiseMRF:
        """The same model as a :class:`PairwiseMRF` with sparse couplings.

        Returns
        -------
        PairwiseMRF
            Equal energies on every state.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> s = np.ones((1, 16))
        >>> m.to_mrf().hamiltonian(s).tolist()
        [-32.0]
        """
        i, j = self.bonds()
        n = self.n_variables
        w = np.full(i.shape[0], self.J)
        coup = sparse.coo_matrix((np.r_[w, w], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
        return PairwiseMRF(coup, h=self.field.ravel(), beta=self.beta)

    # -- exact results ----------------------------------------------------
    def _exact_log_z_available(self) -> bool:
        if not self.zero_field and self.ndim == 2:
            return False
        if self.ndim == 1:
            return bool(np.all(self.field == self.field.flat[0]))
        return self.periodic and (self.J >= 0 or (self.shape[0] % 2 == 0
                                                  and self.shape[1] % 2 == 0))

    def has(self, capability: str) -> bool:
        """Whether ``capability`` is offered (``log_partition``: periodic 2D at h = 0, or 1D).

        Parameters
        ----------
        capability : str
            A capability name of :meth:`boltz.density.Density.has`.

        Returns
        -------
        bool
            Whether it is available.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> m.has("log_partition")
        True
        """

        if capability == "log_partition":
            return self._exact_log_z_available()
        return super().has(capability)

    def log_partition(self) -> float:
        """Exact ``log Z``: Kaufman (periodic 2D, h = 0) or the transfer matrix (1D, uniform h).

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import IsingLattice
        >>> m = IsingLattice(4, temperature=2.0)
        >>> from boltz.ising import kaufman_log_partition
        >>> m.log_partition() == kaufman_log_partition(4, 4, 0.5)
        True
        """
        if not self._exact_log_z_available():
            raise NotImplementedError(
                "exact log Z is known for periodic 2D lattices at h = 0 (Kaufman) and for "
                "chains with uniform h; use boltz.exact.log_partition for small lattices")
        from .exact import chain_log_partition, kaufman_log_partition

        if self.ndim == 1:
            return chain_log_partition(self.shape[0], self.beta, self.J, float(self.field.flat[0]),
                                       self.periodic)
        # on an even torus J -> -J is a gauge transformation (flip one sublattice)
        return kaufman_log_partition(self.shape[0], self.shape[1], self.beta, abs(self.J))


class PairwiseMRF(DiscreteDensity):
    """Pairwise binary MRF with spins in {-1, +1}: ``H(s) = -1/2 s^T J s - h^T s``.

    ``J`` is symmetric with zero diagonal, dense or scipy.sparse (stored as
    CSR; frustrated/negative couplings are fine). ``p(s) ∝ exp(-beta H(s))``.
    :meth:`from_boltzmann` and :meth:`to_boltzmann` convert to and from a
    fully-visible Boltzmann machine on ``x`` in {0, 1},
    ``H = -1/2 x^T W x - b^T x + const``.

    Parameters
    ----------
    J : array_like or scipy.sparse matrix, shape (n, n)
        Symmetric couplings with zero diagonal.
    h : float or array_like, shape (n,), default 0.0
        External fields.
    beta, temperature : float, optional
        Inverse temperature or temperature (at most one; default ``beta = 1``).
    symmetry_tol : float, default 1e-10
        Tolerance of the symmetry check of ``J``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[0.0, -1.0], [-1.0, 0.0]])          # antiferromagnetic pair
    >>> m = PairwiseMRF(J, h=[0.5, 0.0])
    >>> m.hamiltonian(np.array([[1, -1], [1, 1]])).tolist()
    [-1.5, 0.5]
    """

    support = (-1, 1)

    def __init__(self, J, h=0.0, beta=None, temperature=None, *, symmetry_tol: float = 1e-10):
        if sparse.issparse(J):
            coup = sparse.csr_matrix(J, dtype=np.float64)
            if coup.ndim != 2 or coup.shape[0] != coup.shape[1]:
                raise ValueError(f"J must be a square matrix, got shape {coup.shape}")
            if not np.all(np.isfinite(coup.data)):
                raise ValueError("J must be finite, but it contains NaN or inf")
        else:
            dense = check_array(J, "J", ndim=2)
            if dense.shape[0] != dense.shape[1]:
                raise ValueError(f"J must be a square matrix, got shape {dense.shape}")
            coup = sparse.csr_matrix(dense)
        n = coup.shape[0]
        asym = abs(coup - coup.T)
        scale = max(1.0, float(abs(coup).max()) if coup.nnz else 1.0)
        if asym.nnz and asym.max() > symmetry_tol * scale:
            raise ValueError(f"J must be symmetric (J == J.T); largest asymmetry is "
                             f"{asym.max():.3g}")
        if np.any(coup.diagonal() != 0):
            raise ValueError("J must have a zero diagonal (s_i^2 = 1 makes it a constant)")
        coup = (0.5 * (coup + coup.T)).tocsr()
        coup.eliminate_zeros()
        coup.sort_indices()
        self.couplings = coup
        self.n_variables = int(n)
        if np.ndim(h) == 0:
            self.field = np.full(n, check_finite_scalar(h, "h"))
        else:
            self.field = check_array(h, "h", shape=(n,)).copy()
        self.beta = _check_beta(beta, temperature)

    @property
    def indptr(self):
        return self.couplings.indptr.astype(np.int64)

    @property
    def indices(self):
        return self.couplings.indices.astype(np.int64)

    @property
    def data(self):
        return self.couplings.data

    @property
    def h(self) -> np.ndarray:
        return self.field

    @property
    def temperature(self) -> float:
        return np.inf if self.beta == 0 else 1.0 / self.beta

    def with_beta(self, beta) -> PairwiseMRF:
        """The same couplings at another inverse temperature.

        Parameters
        ----------
        beta : float
            The new inverse temperature.

        Returns
        -------
        PairwiseMRF
            A new model sharing the couplings.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> m = PairwiseMRF(np.array([[0.0, 1.0], [1.0, 0.0]]), beta=0.5)
        >>> m.with_beta(2.0).beta
        2.0
        """
        return PairwiseMRF(self.couplings, h=self.field, beta=beta)

    def __repr__(self) -> str:
        return (f"PairwiseMRF(n_variables={self.n_variables}, nnz={self.couplings.nnz}, "
                f"beta={self.beta:g})")

    def hamiltonian(self, s) -> np.ndarray:
        """``H(s) = -1/2 s^T J s - h^T s`` of each state, shape ``(n,)``.

        Parameters
        ----------
        s : array_like, shape (n, n_spins)
            Spin states in {-1, +1}.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``H(s)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> m = PairwiseMRF(np.array([[0.0, 1.0], [1.0, 0.0]]), beta=0.5)
        >>> m.hamiltonian(np.array([[1, 1], [1, -1]])).tolist()
        [-1.0, 1.0]
        """
        s = self._check_batch(s, "s")
        js = np.asarray(self.couplings @ s.T).T
        return -0.5 * np.einsum("ni,ni->n", s, js) - s @ self.field

    def energy(self, s) -> np.ndarray:
        """``beta * H(s)``.

        Parameters
        ----------
        s : array_like, shape (n, n_spins)
            Spin states in {-1, +1}.

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``beta H(s)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> m = PairwiseMRF(np.array([[0.0, 1.0], [1.0, 0.0]]), beta=0.5)
        >>> m.energy(np.array([[1, 1]])).tolist()
        [-0.5]
        """
        return self.beta * self.hamiltonian(s)

    # -- {0, 1} <-> {-1, +1} --------------------------------------------------
    @classmethod
    def from_boltzmann(cls, W, b, beta=None) -> PairwiseMRF:
        """The spin model equal to the Boltzmann machine ``E(x) = -1/2 x^T W x - b^T x``.

        With ``s = 2x - 1``: ``J = W / 4`` and ``h = b / 2 + W 1 / 4``.

        Parameters
        ----------
        W : array_like, shape (n, n)
            Symmetric Boltzmann-machine weights with zero diagonal.
        b : array_like, shape (n,)
            Biases.
        beta : float, optional
            Inverse temperature (default 1).

        Returns
        -------
        PairwiseMRF
            The equivalent spin model.

        Examples
        --------
        >>> import numpy as np
        >>> W = np.array([[0.0, 4.0], [4.0, 0.0]])
        >>> m = PairwiseMRF.from_boltzmann(W, np.zeros(2))
        >>> W2, b2, _ = m.to_boltzmann()
        >>> W2.toarray().tolist(), b2.tolist()
        ([[0.0, 4.0], [4.0, 0.0]], [0.0, 0.0])
        """
        W = sparse.csr_matrix(W, dtype=np.float64) if sparse.issparse(W) else check_array(
            W, "W", ndim=2)
        b = check_array(b, "b", ndim=1)
        if W.shape[0] != W.shape[1] or W.shape[0] != b.shape[0]:
            raise ValueError(f"W must be square and match b, got {W.shape} and {b.shape}")
        row_sums = np.asarray(W.sum(axis=1)).ravel()
        return cls(W / 4.0, h=b / 2.0 + row_sums / 4.0, beta=beta)

    def to_boltzmann(self):
        """``(W, b, offset)`` with ``H(s) = -1/2 x^T W x - b^T x + offset`` for ``x = (s+1)/2``.

        ``W`` is a scipy CSR matrix: ``W = 4 J``, ``b = 2 h - 2 J 1``,
        ``offset = -1/2 1^T J 1 + 1^T h``.

        Returns
        -------
        W : scipy.sparse.csr_matrix, shape (n, n)
            Weights.
        b : numpy.ndarray, shape (n,)
            Biases.
        offset : float
            The constant.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> m = PairwiseMRF(np.array([[0.0, 1.0], [1.0, 0.0]]), beta=0.5)
        >>> W, b, offset = m.to_boltzmann()
        >>> W.toarray().tolist(), b.tolist(), offset
        ([[0.0, 4.0], [4.0, 0.0]], [-2.0, -2.0], -1.0)
        """
        row_sums = np.asarray(self.couplings.sum(axis=1)).ravel()
        W = (4.0 * self.couplings).tocsr()
        b = 2.0 * self.field - 2.0 * row_sums
        offset = -0.5 * row_sums.sum() + self.field.sum()
        return W, b, float(offset)
