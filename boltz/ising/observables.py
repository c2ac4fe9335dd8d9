"""Observables of Ising runs and the :func:`simulate` driver returning an :class:`IsingRun`.

Per measurement and chain the run records the energy per site ``e = H / N``
and the magnetisation per site ``m = sum s / N``. From these series:

- ``<e>``, ``<m>``, ``<|m|>`` with errors from the integrated autocorrelation time;
- susceptibility ``chi = beta N (<m^2> - <|m|>^2)`` (the finite-lattice convention),
- specific heat ``c = beta^2 N (<e^2> - <e>^2)``,
- Binder cumulant ``U = 1 - <m^4> / (3 <m^2>^2)``,

with errors of the derived quantities from a blocked jackknife; the
spin–spin correlation ``G(r) = <s_i s_{i+r}>`` along the lattice axes; the
second-moment correlation length
``xi = sqrt(S(0) / S(k_min) - 1) / (2 sin(pi / L))`` from the structure factor
``S(k) = <|sum_j s_j exp(i k.r_j)|^2> / N`` at ``k = 0`` and the smallest
non-zero ``k`` along each axis (Cooper, Freedman & Preston 1982); and the
staggered magnetisation ``m_s = sum_i eps_i s_i / N`` (``eps = +-1`` by
sublattice) of antiferromagnets on bipartite lattices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_nonnegative_int, check_positive_int
from ..diagnostics import Estimate, integrated_autocorr_time, jackknife, mean_estimate
from . import _partial_run

__all__ = ["IsingRun", "simulate", "spin_correlation", "lattice_geometry", "structure_factors",
           "correlation_length", "staggered_magnetization"]


def spin_correlation(spins, periodic: bool = True, max_r: int | None = None) -> np.ndarray:
    """``G(r) = <s_i s_{i+r}>`` averaged over sites, both lattice axes and the batch.

    ``spins`` is ``(n, Lx, Ly)`` (a chain: ``(n, 1, L)`` or ``(n, L)``). Returns
    ``G`` for ``r = 0..max_r`` (default ``min(side) // 2``). Open boundaries
    average over the pairs that fit inside the lattice.

    Parameters
    ----------
    spins : array_like, shape (n, Lx, Ly), (n, 1, L) or (n, L)
        Spin states.
    periodic : bool, default True
        Periodic boundaries.
    max_r : int, optional
        Largest distance (default ``min(side) // 2``).

    Returns
    -------
    numpy.ndarray, shape (max_r + 1,)
        ``G(0), ..., G(max_r)``.

    Examples
    --------
    >>> import numpy as np
    >>> spin_correlation(np.ones((2, 4, 4))).tolist()
    [1.0, 1.0, 1.0]
    """
    s = np.asarray(spins, dtype=np.float64)
    if s.ndim == 2:
        s = s[:, None, :]
    if s.ndim != 3:
        raise ValueError(f"spins must be (n, Lx, Ly) or (n, L), got shape {np.shape(spins)}")
    axes = [2] if s.shape[1] == 1 else [1, 2]
    side = min(s.shape[a] for a in axes)
    max_r = side // 2 if max_r is None else min(int(max_r), side - 1)
    G = np.zeros(max_r + 1)
    for r in range(max_r + 1):
        vals = []
        for a in axes:
            if periodic:
                vals.append(np.mean(s * np.roll(s, -r, axis=a)))
            else:
                n_ax = s.shape[a]
                lead = np.take(s, np.arange(0, n_ax - r), axis=a)
                lag = np.take(s, np.arange(r, n_ax), axis=a)
                vals.append(np.mean(lead * lag))
        G[r] = np.mean(vals)
    return G


def lattice_geometry(model):
    """``(coords, sides, sublattice)`` of a lattice model, or None for a general MRF.

    ``coords`` ``(N, d)`` integer site coordinates, ``sides`` the period of each axis,
    ``sublattice`` ``(N,)`` of +-1 on a bipartite lattice (else None).

    Parameters
    ----------
    model : IsingLattice, LatticeModel or PairwiseMRF
        The model.

    Returns
    -------
    tuple or None
        ``(coords, sides, sublattice)``, or None for a general MRF.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> coords, sides, sub = lattice_geometry(IsingLattice(4))
    >>> coords.shape, sides, sub[:4].tolist()
    ((16, 2), (4, 4), [1, -1, 1, -1])
    """
    if hasattr(model, "grid_shape"):
        Lx, Ly = model.grid_shape
        x, y = np.meshgrid(np.arange(Lx), np.arange(Ly), indexing="ij")
        bipartite = not model.periodic or (Ly % 2 == 0 and (Lx == 1 or Lx % 2 == 0))
        sub = np.where((x + y) % 2 == 0, 1, -1).astype(np.int8).ravel() if bipartite else None
        if Lx == 1:
            return y.reshape(-1, 1), (Ly,), sub
        return np.stack([x.ravel(), y.ravel()], axis=1), (Lx, Ly), sub
    if hasattr(model, "coords"):
        return model.coords, (model.side,) * model.coords.shape[1], model.sublattice
    return None


def staggered_magnetization(spins, sublattice) -> np.ndarray:
    """``m_s = sum_i eps_i s_i / N`` of each configuration (``spins`` ``(n, N)`` or
    ``(n, *site_shape)``; ``sublattice`` the ``+-1`` signs ``eps``).

    Parameters
    ----------
    spins : array_like, shape (n, N) or (n, ...)
        Spin states.
    sublattice : array_like, shape (N,)
        The signs ``+-1``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``m_s`` per configuration.

    Examples
    --------
    >>> import numpy as np
    >>> neel = np.array([[1, -1, -1, 1]])
    >>> staggered_magnetization(neel, [1, -1, -1, 1]).tolist()
    [1.0]
    """
    s = np.asarray(spins)
    s = s.reshape(s.shape[0], -1)
    eps = np.asarray(sublattice, dtype=np.float64).ravel()
    if eps.shape[0] != s.shape[1]:
        raise ValueError(f"sublattice must have one sign per site ({s.shape[1]}), "
                         f"got {eps.shape[0]}")
    return (s @ eps) / s.shape[1]


def structure_factors(spins, coords, sides) -> tuple[np.ndarray, np.ndarray]:
    """``S(0)`` and ``S(k_min)`` of each configuration, ``S(k) = |sum_j s_j e^{i k.r_j}|^2 / N``.

    ``k_min`` is ``2 pi / L`` along each axis of the first axis' length ``L``
    (averaged over those axes). Returns two ``(n,)`` arrays.

    Parameters
    ----------
    spins : array_like, shape (n, N) or (n, ...)
        Spin states.
    coords : array_like of int, shape (N, d)
        Site coordinates.
    sides : tuple of int
        Period of each axis.

    Returns
    -------
    S0, Sk : numpy.ndarray, shape (n,)
        ``S(0)`` and ``S(k_min)``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.ising import IsingLattice
    >>> coords, sides, _ = lattice_geometry(IsingLattice(4))
    >>> s0, s1 = structure_factors(np.ones((1, 16)), coords, sides)
    >>> float(s0[0]), round(float(s1[0]), 12)
    (16.0, 0.0)
    """
    s = np.asarray(spins, dtype=np.float64)
    s = s.reshape(s.shape[0], -1)
    coords = np.asarray(coords)
    L = sides[0]
    axes = [d for d in range(coords.shape[1]) if sides[d] == L]
    phases = np.exp(2j * np.pi * coords[:, axes] / L)            # (N, n_axes)
    n = s.shape[1]
    s0 = s.sum(axis=1) ** 2 / n
    sk = np.mean(np.abs(s @ phases) ** 2, axis=1) / n
    return s0, sk


def correlation_length(s0, sk, L: int) -> float:
    """Second-moment correlation length from mean structure factors (0 when undefined).

    Parameters
    ----------
    s0, sk : array of float
        Samples of ``S(0)`` and ``S(k_min)`` (:func:`structure_factors`).
    L : int
        The side that ``k_min = 2 pi / L`` refers to.

    Returns
    -------
    float
        ``sqrt(<S(0)> / <S(k_min)> - 1) / (2 sin(pi / L))``.

    Examples
    --------
    >>> round(correlation_length([5.0], [1.0], 8), 4)
    2.6131
    """
    s0, sk = float(np.mean(s0)), float(np.mean(sk))
    if sk <= 0 or s0 <= sk:
        return 0.0
    return math.sqrt(s0 / sk - 1.0) / (2.0 * math.sin(math.pi / L))


def _binder(m):
    m2 = np.mean(m ** 2)
    if m2 == 0:
        return 0.0
    return 1.0 - np.mean(m ** 4) / (3.0 * m2 * m2)


@dataclass
class IsingRun:
    """The outcome of :func:`simulate`: time series and estimates with error bars.

    Attributes
    ----------
    energies, magnetizations : ndarray
        ``(n_measurements, n_chains)`` energy and magnetisation per site.
    beta, n_sites : float, int
    algorithm : str
    sweeps_per_measurement : int
    correlation : ndarray or None
        Mean spin–spin correlation ``G(r)`` over the measurements (if recorded).
    structure : ndarray or None
        ``(n_measurements, n_chains, 2)`` structure factors ``S(0)``, ``S(k_min)``
        (recorded with ``correlation=True`` on a lattice).
    staggered : ndarray or None
        ``(n_measurements, n_chains)`` staggered magnetisation (``staggered=True``).
    side : int or None
        The lattice side ``L`` that ``k_min = 2 pi / L`` refers to.
    final_spins : ndarray
        ``(n_chains, *site_shape)`` spins at the end of the run.
    info : dict
        Sampler extras (e.g. Wolff's calibrated clusters per sweep).

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> run = simulate(IsingLattice(4, temperature=2.0), "wolff", n_sweeps=50, seed=0)
    >>> run.n_sites, run.energies.shape
    (16, (50, 1))
    """

    energies: np.ndarray
    magnetizations: np.ndarray
    beta: float
    n_sites: int
    algorithm: str
    sweeps_per_measurement: int
    final_spins: np.ndarray
    correlation: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    structure: np.ndarray | None = None
    staggered: np.ndarray | None = None
    side: int | None = None

    @property
    def temperature(self) -> float:
        return np.inf if self.beta == 0 else 1.0 / self.beta

    @property
    def n_measurements(self) -> int:
        return int(self.energies.shape[0])

    def _blocks(self):
        return int(min(20, max(2, self.n_measurements // 4)))

    @property
    def energy(self) -> Estimate:
        """``<H> / N``."""
        return mean_estimate(self.energies)

    @property
    def magnetization(self) -> Estimate:
        """``<m>`` (zero by symmetry at h = 0; slow to converge below T_c)."""
        return mean_estimate(self.magnetizations)

    @property
    def abs_magnetization(self) -> Estimate:
        """``<|m|>``."""
        return mean_estimate(np.abs(self.magnetizations))

    @property
    def susceptibility(self) -> Estimate:
        """``beta N (<m^2> - <|m|>^2)``."""
        bn = self.beta * self.n_sites
        est = jackknife(lambda m: bn * (np.mean(m ** 2) - np.mean(np.abs(m)) ** 2),
                        self.magnetizations, n_blocks=self._blocks())
        return Estimate(est.mean, est.error, self.tau_abs_m)

    @property
    def specific_heat(self) -> Estimate:
        """``beta^2 N (<e^2> - <e>^2)``."""
        b2n = self.beta ** 2 * self.n_sites
        est = jackknife(lambda e: b2n * np.var(e), self.energies, n_blocks=self._blocks())
        return Estimate(est.mean, est.error, self.tau_energy)

    @property
    def binder(self) -> Estimate:
        """Binder cumulant ``1 - <m^4> / (3 <m^2>^2)``."""
        est = jackknife(_binder, self.magnetizations, n_blocks=self._blocks())
        return Estimate(est.mean, est.error, self.tau_abs_m)

    @property
    def correlation_length(self) -> Estimate:
        """Second-moment correlation length ``sqrt(S(0)/S(k_min) - 1) / (2 sin(pi/L))``."""
        if self.structure is None:
            raise ValueError("the run did not record structure factors; simulate with "
                             "correlation=True on a lattice")
        L = self.side
        flat = np.concatenate([self.structure[:, :, 0], self.structure[:, :, 1]], axis=1)
        k = self.structure.shape[1]
        est = jackknife(lambda x: correlation_length(x[:, :k], x[:, k:], L), flat,
                        n_blocks=self._blocks())
        return Estimate(est.mean, est.error, self.tau_abs_m)

    @property
    def staggered_magnetization(self) -> Estimate:
        """``<|m_s|>``, the order parameter of the antiferromagnet."""
        if self.staggered is None:
            raise ValueError("the run did not record the staggered magnetisation; simulate "
                             "with staggered=True on a bipartite lattice")
        return mean_estimate(np.abs(self.staggered))

    @property
    def tau_energy(self) -> float:
        """Integrated autocorrelation time of the energy, in measurements."""
        return integrated_autocorr_time(self.energies)

    @property
    def tau_abs_m(self) -> float:
        """Integrated autocorrelation time of ``|m|``, in measurements."""
        return integrated_autocorr_time(np.abs(self.magnetizations))

    def summary(self) -> dict:
        """Every estimate as ``{name: Estimate}``.

        Returns
        -------
        dict
            ``{name: Estimate}`` (mean, error bar, autocorrelation time).

        Examples
        --------
        >>> from boltz.ising import IsingLattice
        >>> run = simulate(IsingLattice(4, temperature=2.0), "wolff", n_sweeps=50, seed=0)
        >>> "energy" in run.summary()
        True
        """
        return {
            "energy": self.energy,
            "abs_magnetization": self.abs_magnetization,
            "magnetization": self.magnetization,
            "susceptibility": self.susceptibility,
            "specific_heat": self.specific_heat,
            "binder": self.binder,
        }

    def __str__(self) -> str:
        lines = [f"{self.algorithm} at T = {self.temperature:.6g}: {self.n_measurements} "
                 f"measurements x {self.energies.shape[1]} chains"]
        for name, est in self.summary().items():
            lines.append(f"  {name:18s} {est}")
        lines.append(f"  tau(energy) = {self.tau_energy:.3g}, tau(|m|) = {self.tau_abs_m:.3g} "
                     f"measurements")
        return "\n".join(lines)


def _torch_algorithm(model, algorithm, device):
    """The torch sampler for ``simulate(..., device=...)`` (torch imported here only)."""
    if not hasattr(model, "grid_shape"):
        raise ValueError("device= runs lattice samplers; give an IsingLattice")
    if algorithm == "multispin":
        from ..samplers.torch_multispin import torch_multispin

        return torch_multispin(model, device=device)
    if algorithm not in ("metropolis", "gibbs"):
        raise ValueError(f"algorithm must be 'metropolis', 'gibbs' or 'multispin' with device=, "
                         f"got {algorithm!r}")
    from ..samplers.torch_lattice import torch_checkerboard

    return torch_checkerboard(model, algorithm, device=device)


def _resumed_state(alg, resume, device):
    """``(state, partial)``: the state to continue from (a path written by ``save_state``
    or a ChainState) and the interrupted run it holds (:mod:`._partial_run`), or None."""
    from ..samplers import ChainState, load_state

    if isinstance(resume, ChainState):
        state = resume
        if any(k.startswith(_partial_run.PREFIX) for k in state.info):   # leave the caller's
            state = ChainState(state.spins, state.streams, state.betas, dict(state.info))
    else:
        state, name = load_state(resume)
        if name is not None and name != alg.name:
            raise ValueError(f"resume holds a {name} state, but the run uses {alg.name}")
    partial = _partial_run.take(state.info)
    if device is not None:
        return alg.restore(state), partial
    return state, partial


_BURNIN_PIECE = 1 << 12


def simulate(model, algorithm: str = "metropolis", n_sweeps: int = 1000,
             n_burnin: int | None = None, n_chains: int = 1, seed=None,
             measure_every: int = 1, initial="random", correlation: bool = False,
             progress: bool = False, device=None, staggered: bool = False,
             resume=None, checkpoint=None, overwrite: bool = False) -> IsingRun:
    """Run ``algorithm`` on ``model`` and measure after every ``measure_every`` sweeps.

    ``n_burnin`` sweeps (default ``n_sweeps // 5``) are discarded first; Wolff's
    clusters per sweep are calibrated during burn-in so that one sweep flips
    about ``N`` spins. ``model`` is an :class:`IsingLattice` or a
    :class:`PairwiseMRF`; for the multi-spin sampler ``n_chains`` counts
    replicas (64 per word). ``device`` (``"cpu"``, ``"cuda"``, ``"auto"``) runs the
    torch twin of ``metropolis``, ``gibbs`` or ``multispin`` on that device
    (:mod:`boltz.samplers.torch_lattice`); energies and magnetisations are
    reduced on the device, the estimates are the same. ``correlation=True`` records
    ``G(r)`` and the structure factors of the correlation length, ``staggered=True``
    the staggered magnetisation (bipartite lattices).

    Long runs: ``checkpoint=PATH`` saves the sampler state (spins and random
    streams, :func:`~boltz.samplers.save_state`) after the last sweep (an existing
    file only with ``overwrite=True``); ``resume=PATH`` (or a ``ChainState``) starts
    from such a state instead of ``initial`` and ``seed`` (burn-in defaults to 0,
    Wolff keeps its calibration). Measurements of a run split this way are
    bit-identical to one long run. Any ``n_sweeps`` is accepted: the series grow
    as they fill, and Ctrl-C (KeyboardInterrupt) during the measurements stops the
    run after the measurement in progress and returns the measurements made so far,
    with ``info["interrupted"] = True`` and ``info["sweeps_done"]``; the checkpoint
    then also holds those measurements, and a resume from it runs only the
    remaining ones (to ``n_sweeps`` in all; same ``measure_every``, ``correlation``
    and ``staggered``) and estimates over all of them: the same result and final
    state as the run never interrupted. A second Ctrl-C stops at once; when it
    stops a sweep midway, no checkpoint is written (``info["checkpoint_skipped"]``).

    Parameters
    ----------
    model : IsingLattice or PairwiseMRF
        The model.
    algorithm : str, default "metropolis"
        A name of :func:`boltz.samplers.get_algorithm`.
    n_sweeps : int, default 1000
        Measured sweeps.
    n_burnin : int, optional
        Discarded sweeps (default ``n_sweeps // 5``; 0 on resume).
    n_chains : int, default 1
        Independent chains (replicas for ``multispin``).
    seed : int, numpy.random.Generator or None
        Random seed.
    measure_every : int, default 1
        Sweeps between measurements.
    initial : {"random", "up", "down"} or array_like, default "random"
        Start state.
    correlation : bool, default False
        Record ``G(r)`` and the structure factors.
    progress : bool, default False
        Show a tqdm bar.
    device : str, optional
        Torch device of the lattice samplers.
    staggered : bool, default False
        Record the staggered magnetisation.
    resume : str, os.PathLike or ChainState, optional
        Start from a saved state.
    checkpoint : str or os.PathLike, optional
        Save the final state there.
    overwrite : bool, default False
        Allow ``checkpoint`` to replace an existing file.

    Returns
    -------
    IsingRun
        Time series and estimates.

    Examples
    --------
    >>> from boltz.ising import IsingLattice
    >>> run = simulate(IsingLattice(8, temperature=2.0), "gibbs", n_sweeps=100, seed=1)
    >>> run.energies.shape
    (100, 1)
    """
    from ..samplers import get_algorithm, hamiltonian
    from ..samplers.cluster import calibrate_wolff
    from ..samplers.lattice import multispin_observables

    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    n_burnin_given = n_burnin
    n_burnin = n_sweeps // 5 if n_burnin is None else check_nonnegative_int(n_burnin, "n_burnin")
    measure_every = check_positive_int(measure_every, "measure_every")
    n_chains = check_positive_int(n_chains, "n_chains")
    if not isinstance(correlation, bool):
        raise TypeError(f"correlation must be True or False, got {correlation!r}")
    if not isinstance(staggered, bool):
        raise TypeError(f"staggered must be True or False, got {staggered!r}")
    geometry = lattice_geometry(model)
    if staggered and (geometry is None or geometry[2] is None):
        raise ValueError("staggered=True needs a bipartite lattice (even periodic sides)")
    from .._resources import GrowingSeries, check_memory

    # spins (int8, or bits), streams and a few float64 per chain, before init allocates them
    check_memory(int(n_chains) * (int(model.n_variables) + 64), f"n_chains={n_chains}",
                 f"{n_chains} chains of {model.n_variables} spins")
    alg = (get_algorithm(model, algorithm) if device is None
           else _torch_algorithm(model, algorithm, device))
    partial = None
    if resume is None:
        state = alg.init(n_chains=n_chains, seed=seed, initial=initial)
    else:
        state, partial = _resumed_state(alg, resume, device)
        n_chains = state.n_chains
        if partial is not None:
            n_burnin = partial.n_burnin      # done before the interruption
        elif n_burnin_given is None:
            n_burnin = 0
    n = int(model.n_variables)
    multispin = algorithm == "multispin"
    lattice = hasattr(model, "grid_shape")

    def observe():
        if device is not None:
            e, m = alg.measure(state)
            return e / n, m / n, None
        if multispin:
            e, m = multispin_observables(state.spins, n_chains, float(model.J))
            return e / n, m / n, None
        spins = alg.spins(state)
        flat = spins.reshape(spins.shape[0], -1)
        return hamiltonian(model, spins) / n, flat.mean(axis=1, dtype=np.float64), spins

    n_meas = n_sweeps // measure_every
    # the series grow as measurements arrive: a huge n_sweeps needs memory only for the
    # part actually run (Ctrl-C keeps it)
    widths = {"energies": (n_chains,), "mags": (n_chains,)}
    if correlation and geometry is not None:
        widths["structure"] = (n_chains, 2)
    if staggered:
        widths["stag"] = (n_chains,)
    start = stepped = 0
    if partial is not None:
        _partial_run.check_continuation(partial, n_sweeps=n_sweeps, n_burnin=n_burnin_given,
                                        measure_every=measure_every, widths=widths,
                                        correlation=correlation, staggered=staggered)
        start, stepped = partial.done, partial.stepped
    iterator = range(start, n_meas)
    if progress:
        from tqdm.auto import tqdm

        temp = 1.0 / model.beta if model.beta else np.inf
        iterator = tqdm(iterator, desc=f"{algorithm} T={temp:.4g}", initial=start,
                        total=n_meas)
    if partial is not None:
        pass                        # the interrupted run's burn-in is done
    elif algorithm == "wolff" and "clusters_per_sweep" not in state.info:
        # burn-in by flipped spins, then fix the clusters per sweep from the equilibrium size
        calibrate_wolff(alg, state, n_clusters=100, burnin_sweeps=n_burnin)
    else:
        # in pieces, so that Ctrl-C is seen between kernel calls (same chain as one call)
        for done in range(0, n_burnin, _BURNIN_PIECE):
            alg.step(state, min(_BURNIN_PIECE, n_burnin - done))
    series = GrowingSeries(widths, n_meas, "n_sweeps/measure_every")
    G = None
    if partial is not None:
        _partial_run.prefill(series, partial)
        if partial.correlation_sum is not None:
            G = partial.correlation_sum.copy()
    energies, mags = series["energies"], series["mags"]
    structure, stag = series.get("structure"), series.get("stag")
    done = start
    interrupted = in_step = False
    from ..checkpoint import deferred_interrupt

    try:
        # Ctrl-C ends the measurement in progress, so that the state sits between two
        # measurements and the checkpoint resumes exactly (a second Ctrl-C raises at once)
        with deferred_interrupt() as ctrl_c:
            for t in iterator:
                if t >= stepped:    # (a resumed state may already be a measurement ahead)
                    in_step = True
                    alg.step(state, measure_every)
                    stepped, in_step = t + 1, False
                e, m, spins = observe()
                if t == series.capacity:
                    series.grow()
                    energies, mags = series["energies"], series["mags"]
                    structure, stag = series.get("structure"), series.get("stag")
                energies[t], mags[t] = e, m
                if (correlation or staggered) and spins is None:
                    spins = alg.spins(state)[:n_chains]
                if staggered:
                    stag[t] = staggered_magnetization(spins, geometry[2])
                if correlation:
                    if structure is not None:
                        structure[t, :, 0], structure[t, :, 1] = structure_factors(
                            spins, geometry[0], geometry[1])
                    if lattice or geometry is None or geometry[0].shape[1] == 2:
                        shape = model.grid_shape if lattice else (
                            (1, n) if geometry is None else (model.side, model.side))
                        g = spin_correlation(spins.reshape(spins.shape[0], *shape),
                                             periodic=bool(getattr(model, "periodic", True)))
                        G = g if G is None else G + g
                done = t + 1
                if ctrl_c.pending():
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        if done == 0:
            raise                   # nothing measured yet: there is no partial result
        interrupted = True
    finally:
        if hasattr(iterator, "close"):
            iterator.close()
    series.truncate(done)
    energies, mags = series["energies"], series["mags"]
    structure, stag = series.get("structure"), series.get("stag")
    n_meas = done
    info = {k: v for k, v in state.info.items() if k == "clusters_per_sweep"}
    if interrupted:
        info["interrupted"] = True
        info["sweeps_done"] = n_burnin + stepped * measure_every   # what final_spins saw
        info["measurements_done"] = done
    if checkpoint is not None and in_step:
        info["checkpoint_skipped"] = ("a second Ctrl-C stopped a sweep midway; the state "
                                      "cannot be resumed exactly")
    elif checkpoint is not None:
        from ..samplers import ChainState, save_state

        saved = state
        if device is not None:
            from ..samplers.torch_lattice import state_to_numpy

            saved = state_to_numpy(state)
        if interrupted:             # the measurements so far, for a resume to finish the run
            record = _partial_run.PartialRun(
                n_burnin, measure_every, n_sweeps, int(correlation), int(staggered), done,
                stepped, dict(series.arrays), G)
            saved = ChainState(saved.spins, saved.streams, saved.betas,
                               {**saved.info, **record.to_info()})
        info["checkpoint"] = str(save_state(checkpoint, saved, alg.name, overwrite=overwrite))
    final = alg.spins(state)
    return IsingRun(energies, mags, float(model.beta), n, algorithm, measure_every,
                    np.array(final), None if G is None else G / n_meas, info, structure, stag,
                    None if geometry is None else int(geometry[1][0]))
