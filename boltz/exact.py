"""Exact computations for small discrete models by enumerating every state.

For a model over ``n <= MAX_EXACT_VARIABLES`` two-valued variables this gives
the exact ``log Z``, probabilities, marginals, moments, expectations and
independent samples. States are visited in chunks and combined in log space
(log-sum-exp), so memory stays bounded and nothing overflows. This is the
ground truth the test suite holds every sampler and estimator to.

The state with index ``k`` has variable ``i`` set to ``support[1]`` when bit
``i`` of ``k`` is one (variable 0 is the least significant bit).

Examples
--------
>>> import numpy as np
>>> from boltz.density import EnergyFunction
>>> from boltz.exact import log_partition
>>> # two independent spins with field 1: Z = (2 cosh 1)^2
>>> m = EnergyFunction(lambda s: -s.sum(axis=1), event_shape=(2,))
>>> bool(np.isclose(log_partition(m, n_variables=2, support=(-1, 1)),
...                 2 * np.log(2 * np.cosh(1.0))))
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from scipy import special

from ._validation import check_array, check_positive_int, check_rng

__all__ = [
    "MAX_EXACT_VARIABLES",
    "all_states",
    "iter_state_chunks",
    "state_index",
    "log_partition",
    "ExactDistribution",
    "total_variation",
    "expected_total_variation",
    "chi_square_test",
]

#: Largest number of variables :mod:`boltz.exact` will enumerate (2**24 states).
MAX_EXACT_VARIABLES = 24
_DEFAULT_CHUNK = 1 << 16


def _check_n(n_variables, max_variables):
    n = check_positive_int(n_variables, "n_variables")
    if n > max_variables:
        raise ValueError(
            f"n_variables={n} is too large for exact enumeration "
            f"(at most {max_variables} variables, i.e. 2**{max_variables} states)"
        )
    return n


def _check_support(support):
    try:
        lo, hi = support
    except (TypeError, ValueError):
        raise ValueError(
            f"support must be a pair of values such as (0, 1), got {support!r}"
        ) from None
    if lo == hi:
        raise ValueError(f"support must hold two different values, got {support!r}")
    return float(lo), float(hi)


def _states_from_indices(idx: np.ndarray, n: int, support, dtype) -> np.ndarray:
    lo, hi = support
    bits = (idx[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1
    return (lo + (hi - lo) * bits).astype(dtype)


def all_states(n_variables: int, support=(0, 1), dtype=np.float64,
               max_variables: int = 20) -> np.ndarray:
    """Every state of ``n_variables`` two-valued variables, shape ``(2**n, n)``.

    Materialises the whole table, so it is capped at ``max_variables`` (20 by
    default, 8 MB per variable column); use :func:`iter_state_chunks` beyond.

    Parameters
    ----------
    n_variables : int
        Number of variables.
    support : (float, float)
        The two values (``(0, 1)`` or ``(-1, 1)``).
    dtype : numpy dtype
        dtype of the table.
    max_variables : int
        Refuse larger tables.

    Returns
    -------
    numpy.ndarray
        ``(2**n, n)``; row ``k`` holds the bits of ``k`` (variable ``i`` is bit ``i``).

    Examples
    --------
    >>> all_states(2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    """
    from ._resources import check_memory

    n = _check_n(n_variables, max_variables)
    sup = _check_support(support)
    check_memory((1 << n) * (n * np.dtype(dtype).itemsize + 8), f"n_variables={n}",
                 f"the table of all 2**{n} states")
    return _states_from_indices(np.arange(1 << n, dtype=np.int64), n, sup, dtype)


def iter_state_chunks(
    n_variables: int,
    support=(0, 1),
    chunk_size: int = _DEFAULT_CHUNK,
    dtype=np.float64,
    max_variables: int = MAX_EXACT_VARIABLES,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start_index, states)`` blocks covering all ``2**n`` states in order.

    Parameters
    ----------
    n_variables : int
        Number of variables.
    support : (float, float)
        The two values.
    chunk_size : int
        States per block.
    dtype : numpy dtype
        dtype of the blocks.
    max_variables : int
        Refuse more variables than this.

    Yields
    ------
    start : int
        Index of the block's first state.
    states : numpy.ndarray
        ``(m, n)`` block, in enumeration order.

    Examples
    --------
    >>> [(start, s.shape) for start, s in iter_state_chunks(3, chunk_size=5)]
    [(0, (5, 3)), (5, (3, 3))]
    """
    n = _check_n(n_variables, max_variables)
    sup = _check_support(support)
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    total = 1 << n
    for start in range(0, total, chunk_size):
        idx = np.arange(start, min(start + chunk_size, total), dtype=np.int64)
        yield start, _states_from_indices(idx, n, sup, dtype)


def state_index(x, support=(0, 1)) -> np.ndarray:
    """Index of each state in a batch ``x`` of shape ``(m, n)`` (inverse of the enumeration).

    Parameters
    ----------
    x : array_like
        ``(m, n)`` states with values in ``support``.
    support : (float, float)
        The two values.

    Returns
    -------
    numpy.ndarray
        int64 indices into the enumeration order of :func:`all_states`.

    Examples
    --------
    >>> state_index([[1, 0], [1, 1]]).tolist()
    [1, 3]
    """
    lo, hi = _check_support(support)
    x = check_array(x, "x", ndim=2)
    if x.shape[1] > 62:
        raise ValueError(f"x has {x.shape[1]} variables; state indices need at most 62")
    bits = x == hi
    if not np.all(bits | (x == lo)):
        raise ValueError(f"x must contain only the values {lo:g} and {hi:g}")
    weights = np.left_shift(np.int64(1), np.arange(x.shape[1], dtype=np.int64))
    return bits.astype(np.int64) @ weights


def _resolve(model, n_variables, support):
    """Return (log_unnormalized callable, n, support) for a model or a callable."""
    if callable(model) and not hasattr(model, "log_unnormalized"):
        fn = model
    elif hasattr(model, "log_unnormalized"):
        fn = model.log_unnormalized
        if n_variables is None:
            n_variables = getattr(model, "n_variables", None)
        if support is None:
            support = getattr(model, "support", None)
    else:
        raise TypeError(
            "model must be a Density with log_unnormalized or a callable returning "
            f"log p~(x) for a batch, got {type(model).__name__}"
        )
    if n_variables is None:
        raise ValueError("n_variables must be given when the model does not define it")
    return fn, n_variables, (0, 1) if support is None else support


def _log_weights(fn: Callable, states: np.ndarray) -> np.ndarray:
    logw = np.asarray(fn(states), dtype=np.float64).reshape(-1)
    if logw.shape[0] != states.shape[0]:
        raise ValueError(
            f"the model returned {logw.shape[0]} values for {states.shape[0]} states; "
            "log_unnormalized must return one value per state"
        )
    if np.any(np.isnan(logw)) or np.any(logw == np.inf):
        raise ValueError("the model returned NaN or +inf log-densities during enumeration")
    return logw


def log_partition(model, n_variables: int | None = None, support=None,
                  chunk_size: int = _DEFAULT_CHUNK,
                  max_variables: int = MAX_EXACT_VARIABLES) -> float:
    """Exact ``log Z = log sum_x exp(log p~(x))`` in float64, streamed over chunks.

    ``model`` is a :class:`~boltz.density.DiscreteDensity` (which knows its
    ``n_variables`` and ``support``) or a callable mapping a batch of states
    to ``log p~``.

    Parameters
    ----------
    model : DiscreteDensity or callable
        The model, or a function of a ``(m, n)`` batch returning ``log p~``.
    n_variables : int, optional
        Needed when ``model`` does not define it.
    support : (float, float), optional
        The two values (default: the model's, else ``(0, 1)``).
    chunk_size : int
        States per block.
    max_variables : int
        Refuse more variables than this.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([0.5, -1.0])
    >>> lz = log_partition(lambda x: x @ h, n_variables=2)
    >>> bool(np.isclose(lz, np.log1p(np.exp(0.5)) + np.log1p(np.exp(-1.0))))
    True
    """
    fn, n, sup = _resolve(model, n_variables, support)
    running = -np.inf
    for _, states in iter_state_chunks(n, sup, chunk_size, max_variables=max_variables):
        running = np.logaddexp(running, special.logsumexp(_log_weights(fn, states)))
    return float(running)


class ExactDistribution:
    """The normalized distribution of a small discrete model, by enumeration.

    Holds ``log p(x)`` for all ``2**n`` states (float64, 8 bytes a state),
    from which probabilities, marginals, moments, expectations and exact
    samples follow.

    Parameters
    ----------
    model : DiscreteDensity or callable
        The model, or a callable returning ``log p~`` for a batch of states.
    n_variables, support : optional
        Needed when ``model`` does not define them.
    chunk_size : int, optional
        States enumerated per batch.
    max_variables : int, default MAX_EXACT_VARIABLES
        The largest ``n`` accepted (``2**n`` states are held).

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.density import EnergyFunction
    >>> m = EnergyFunction(lambda x: -x.sum(axis=1), event_shape=(3,))
    >>> d = ExactDistribution(m, n_variables=3, support=(0, 1))
    >>> np.allclose(d.marginals(), 1 / (1 + np.exp(-1)))
    True
    """

    def __init__(self, model, n_variables: int | None = None, support=None,
                 chunk_size: int = _DEFAULT_CHUNK, max_variables: int = MAX_EXACT_VARIABLES):
        fn, n, sup = _resolve(model, n_variables, support)
        self.n_variables = _check_n(n, max_variables)
        self.support = _check_support(sup)
        self._chunk = check_positive_int(chunk_size, "chunk_size")
        from ._resources import check_memory

        check_memory(3 * 8 * (1 << self.n_variables), f"n_variables={self.n_variables}",
                     f"the log-probabilities of all 2**{self.n_variables} states")
        logw = np.empty(1 << self.n_variables, dtype=np.float64)
        for start, states in iter_state_chunks(self.n_variables, self.support, self._chunk,
                                               max_variables=max_variables):
            logw[start:start + states.shape[0]] = _log_weights(fn, states)
        self.log_z = float(special.logsumexp(logw))
        if self.log_z == -np.inf:
            raise ValueError("the model gives every state energy +inf (log p~ = -inf): "
                             "Z = 0 and there is no distribution to normalise")
        self.log_probs = logw - self.log_z

    @property
    def n_states(self) -> int:
        """Number of states, ``2**n_variables``."""
        return self.log_probs.shape[0]

    def log_partition(self) -> float:
        """Exact ``log Z``.

        Returns
        -------
        float
            ``log Z``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> round(d.log_partition(), 4)  # 2 free spins: 2 log 2
        1.3863
        """
        return self.log_z

    @property
    def probabilities(self) -> np.ndarray:
        """``p(x)`` for every state, in enumeration order."""
        return np.exp(self.log_probs)

    def states(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """States ``start:stop`` in enumeration order.

        Parameters
        ----------
        start : int, default 0
            First state index.
        stop : int, optional
            One past the last (default: all).

        Returns
        -------
        numpy.ndarray, shape (stop - start, n_variables)
            The states, in index order.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> d.states().tolist()
        [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]]
        """
        stop = self.n_states if stop is None else stop
        idx = np.arange(start, stop, dtype=np.int64)
        return _states_from_indices(idx, self.n_variables, self.support, np.float64)

    def expectation(self, fn: Callable) -> np.ndarray:
        """``E[fn(x)]`` where ``fn`` maps a batch of states to values with leading axis ``n``.

        Parameters
        ----------
        fn : callable
            ``fn(states) -> (n_states, ...)`` array.

        Returns
        -------
        numpy.ndarray
            ``E[fn(x)]``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> float(d.expectation(lambda x: x[:, 0] * x[:, 1]))
        0.0
        """
        total = None
        p = self.probabilities
        for start in range(0, self.n_states, self._chunk):
            states = self.states(start, min(start + self._chunk, self.n_states))
            vals = np.asarray(fn(states), dtype=np.float64)
            w = p[start:start + states.shape[0]]
            part = np.tensordot(w, vals, axes=(0, 0))
            total = part if total is None else total + part
        return total

    def marginals(self) -> np.ndarray:
        """``E[x_i]`` for every variable (the probability of ``support[1]`` for {0, 1}).

        Returns
        -------
        numpy.ndarray, shape (n_variables,)
            ``E[x_i]``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> d.marginals().tolist()
        [0.0, 0.0]
        """
        return self.expectation(lambda s: s)

    def second_moments(self) -> np.ndarray:
        """``E[x_i x_j]`` as an ``(n, n)`` matrix.

        Returns
        -------
        numpy.ndarray, shape (n_variables, n_variables)
            ``E[x_i x_j]``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> d.second_moments().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        return self.expectation(lambda s: s[:, :, None] * s[:, None, :])

    def entropy(self) -> float:
        """Shannon entropy in nats.

        Returns
        -------
        float
            The entropy in nats.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> round(d.entropy(), 4)
        1.3863
        """
        p = self.probabilities
        nz = p > 0
        return float(-(p[nz] * self.log_probs[nz]).sum())

    def sample(self, n: int, seed=None) -> np.ndarray:
        """``n`` exact independent samples, shape ``(n, n_variables)``.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int, numpy.random.Generator or None
            Random seed.

        Returns
        -------
        numpy.ndarray, shape (n, n_variables)
            Exact samples.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> d.sample(5, seed=0).shape
        (5, 2)
        """
        n = check_positive_int(n, "n")
        rng = check_rng(seed)
        cdf = np.cumsum(self.probabilities)
        idx = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        idx = np.minimum(idx, self.n_states - 1)
        return _states_from_indices(idx.astype(np.int64), self.n_variables, self.support,
                                    np.float64)

    def empirical(self, samples) -> np.ndarray:
        """Empirical distribution of ``samples`` over the enumerated states.

        Parameters
        ----------
        samples : array_like, shape (m, n_variables)
            States in the support.

        Returns
        -------
        numpy.ndarray, shape (n_states,)
            The fraction of samples in each state.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> d.empirical(np.array([[1, 1], [1, 1], [-1, -1], [1, -1]])).tolist()
        [0.25, 0.25, 0.0, 0.5]
        """
        samples = check_array(samples, "samples", ndim=2)
        if samples.shape[1] != self.n_variables:
            raise ValueError(
                f"samples must have {self.n_variables} columns, got {samples.shape[1]}"
            )
        counts = np.bincount(state_index(samples, self.support), minlength=self.n_states)
        return counts / counts.sum()

    def total_variation(self, samples) -> float:
        """Total-variation distance between ``samples``' empirical law and the exact one.

        Parameters
        ----------
        samples : array_like, shape (m, n_variables)
            States in the support.

        Returns
        -------
        float
            ``1/2 sum_x |p(x) - p_hat(x)|``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltz.ising import PairwiseMRF
        >>> d = ExactDistribution(PairwiseMRF(np.zeros((2, 2))))
        >>> d.total_variation(d.states())
        0.0
        """
        return total_variation(self.empirical(samples), self.probabilities)


def total_variation(p, q) -> float:
    """``TV(p, q) = sum |p - q| / 2`` for two probability vectors.

    Parameters
    ----------
    p, q : array_like
        Probability vectors of the same length.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> total_variation([0.5, 0.5], [0.25, 0.75])
    0.25
    """
    p = check_array(p, "p", ndim=1)
    q = check_array(q, "q", ndim=1)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return float(0.5 * np.abs(p - q).sum())


def expected_total_variation(p, n_samples: float) -> float:
    """Mean TV distance between ``p`` and the histogram of ``n_samples`` iid draws from it.

    Normal approximation: each count's error has s.d. ``sqrt(p_i (1 - p_i) / n)`` and
    ``E|N(0, s^2)| = s sqrt(2 / pi)``. For correlated MCMC draws pass the effective
    sample size. Tests use a multiple of this as their tolerance.

    Parameters
    ----------
    p : array_like
        The probability vector.
    n_samples : float
        Number of (effective) draws.

    Returns
    -------
    float

    Examples
    --------
    >>> round(expected_total_variation([0.5, 0.5], 10000), 5)
    0.00399
    """
    p = check_array(p, "p", ndim=1)
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    return float(0.5 * np.sum(np.sqrt(2.0 * p * (1.0 - p) / (np.pi * n_samples))))


def chi_square_test(samples, exact: ExactDistribution, n_effective: float | None = None,
                    min_expected: float = 5.0) -> tuple[float, float]:
    """Pearson chi-square goodness-of-fit of ``samples`` against ``exact``.

    States whose expected count is below ``min_expected`` are pooled into one
    bin. For correlated draws, ``n_effective`` rescales the counts to the
    effective sample size (the statistic of ``n`` draws with autocorrelation
    time ``tau`` is inflated about ``2 tau`` times). Returns ``(chi2, p_value)``.

    Parameters
    ----------
    samples : array_like
        ``(n, n_variables)`` draws.
    exact : ExactDistribution
        The distribution they should follow.
    n_effective : float, optional
        Effective sample size (default: the number of rows).
    min_expected : float
        Pool states expected fewer times than this.

    Returns
    -------
    chi2 : float
    p_value : float
        Small when the samples do not follow ``exact``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.density import EnergyFunction
    >>> exact = ExactDistribution(EnergyFunction(lambda x: -x.sum(1), event_shape=(2,)), 2)
    >>> draws = exact.sample(4000, seed=0)
    >>> bool(chi_square_test(draws, exact)[1] > 1e-3)
    True
    """
    from scipy import stats

    freq = exact.empirical(samples)
    n = check_array(samples, "samples", ndim=2).shape[0] if n_effective is None else n_effective
    if n <= 0:
        raise ValueError(f"n_effective must be positive, got {n}")
    expected = exact.probabilities * n
    observed = freq * n
    big = expected >= min_expected
    obs = list(observed[big])
    exp = list(expected[big])
    if (~big).any():
        obs.append(observed[~big].sum())
        exp.append(expected[~big].sum())
    obs, exp = np.asarray(obs), np.asarray(exp)
    if obs.size < 2:
        raise ValueError("too few bins with enough expected counts for a chi-square test")
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    return chi2, float(stats.chi2.sf(chi2, obs.size - 1))
