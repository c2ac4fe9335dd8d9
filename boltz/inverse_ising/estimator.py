"""The scikit-learn style estimator :class:`InverseIsing`: fit a PairwiseMRF to binary data."""

from __future__ import annotations

import time

import numpy as np

try:  # a real scikit-learn estimator when scikit-learn is installed (the dev/bench extras)
    from sklearn.base import BaseEstimator
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    from ._base import BaseEstimator

from .._validation import (
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
)
from ..ising.models import PairwiseMRF
from . import objectives
from ._data import check_data, data_moments, pack, pair_index, unpack
from ._optimize import minimize_l1, minimize_smooth
from .closed_forms import CLOSED_FORMS, with_pseudocount
from .pcd import fit_pcd

__all__ = ["InverseIsing", "METHODS", "MAX_EXACT_ML_VARIABLES", "load_inverse_ising"]

METHODS = ("exact", "pl", "mpf", "pcd", "nmf", "tap", "sm")
#: Largest model :class:`InverseIsing` fits by exact enumeration (2**20 states an evaluation).
MAX_EXACT_ML_VARIABLES = 20
_KIND = "InverseIsing"


def _penalised(fun, alpha, alpha_h, n, l2):
    """``fun`` plus ``alpha sum_{i<j} J_ij^2`` (when ``l2``) and ``alpha_h sum_i h_i^2``."""
    def wrapped(theta):
        val, g = fun(theta)
        g = g.copy()
        if alpha_h:
            val += alpha_h * float(theta[:n] @ theta[:n])
            g[:n] += 2.0 * alpha_h * theta[:n]
        if l2 and alpha:
            val += alpha * float(theta[n:] @ theta[n:])
            g[n:] += 2.0 * alpha * theta[n:]
        return val, g
    return wrapped


def _smooth_objective(method, S, w, m, chi):
    if method == "exact":
        halves = objectives.state_halves(S.shape[1])
        return lambda theta: objectives.exact_nll(theta, m, chi, halves)
    return lambda theta: objectives.site_objective(theta, S, w, method)


def fit_theta(method, S, w, theta0, *, penalty="l2", alpha=0.0, alpha_h=0.0, tol=1e-6,
              max_iter=1000):
    """Minimise a smooth method's penalised objective from ``theta0``; returns scipy's result.

    ``method`` is ``"exact"``, ``"pl"`` or ``"mpf"``; ``penalty`` ``"l2"`` or ``"l1"``.

    Examples
    --------
    >>> S = np.array([[1.0, 1.0], [1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    >>> res = fit_theta("exact", S, np.full(4, 0.25), np.zeros(3), tol=1e-10)
    >>> bool(np.abs(res.jac).max() < 1e-8)             # moments matched
    True
    """
    n = S.shape[1]
    m, chi = data_moments(S, w)
    fun = _penalised(_smooth_objective(method, S, w, m, chi), alpha, alpha_h, n,
                     penalty == "l2")
    if penalty == "l1" and alpha > 0:
        return minimize_l1(fun, theta0, n, alpha, tol=tol, max_iter=max_iter)
    return minimize_smooth(fun, theta0, tol=tol, max_iter=max_iter)


def _starting_point(m, chi):
    """TAP's closed form (a few L-BFGS iterations fewer than ``J = 0``), else independent spins."""
    mc = np.clip(m, -0.999, 0.999)
    try:
        J, h = CLOSED_FORMS["tap"](mc, chi)
    except ValueError:  # singular correlations
        J, h = np.zeros((m.shape[0],) * 2), np.arctanh(mc)
    if not (np.all(np.isfinite(J)) and np.all(np.isfinite(h))):
        J, h = np.zeros((m.shape[0],) * 2), np.arctanh(mc)
    return pack(J, h)


class InverseIsing(BaseEstimator):
    """Fit a pairwise MRF ``p(s) ∝ exp(1/2 s^T J s + h^T s)`` to binary data.

    Parameters
    ----------
    method : {"pl", "exact", "mpf", "pcd", "nmf", "tap", "sm"}
        ``"pl"``: symmetric pseudo-likelihood (all conditionals jointly, L-BFGS);
        ``"exact"``: maximum likelihood by enumeration (n <= 20);
        ``"mpf"``: minimum probability flow, single-flip connectivity;
        ``"pcd"``: maximum likelihood by persistent contrastive divergence;
        ``"nmf"``, ``"tap"``, ``"sm"``: closed forms (naive mean field, TAP,
        Sessak-Monasson). Default ``"pl"``.
    penalty : {"l2", "l1"}
        Penalty on the couplings: ``alpha sum_{i<j} J_ij^2`` or ``alpha sum_{i<j} |J_ij|``
        (``"l1"`` for pl, mpf and exact only). Default ``"l2"``.
    alpha : float or None
        Penalty strength. ``None`` (default) means ``1 / n_samples`` for pl and mpf
        and 0 for exact and pcd. For the closed forms, a pseudocount: the data's
        moments are mixed with the uniform distribution's in proportion ``alpha``
        (``None`` means 0).
    alpha_h : float
        L2 penalty ``alpha_h sum_i h_i^2`` on the fields (default 0).
    tol : float
        Gradient tolerance of L-BFGS (default 1e-6).
    max_iter : int
        Most L-BFGS iterations (default 1000).
    n_chains, n_iter, n_sweeps, learning_rate :
        Persistent contrastive divergence: chains (default 500), updates (default 1000),
        Gibbs sweeps per update (default 1), initial step (default 0.1).
    seed : int or None
        Seed of the pcd chains (default None).
    n_threads : int or None
        Cap on BLAS threads during ``fit`` (default None: BLAS as configured). On a
        loaded machine 1 is often much faster than many (threads wait at barriers).

    Attributes
    ----------
    coupling_ : ndarray, shape (n, n)
        Symmetric couplings ``J`` with zero diagonal.
    field_ : ndarray, shape (n,)
        Fields ``h``.
    model_ : PairwiseMRF
        The fitted model (spins, ``beta = 1``).
    data_support_ : tuple
        ``(-1, 1)`` or ``(0, 1)``: the values the training data came in.
    n_iter_ : int
        Optimiser iterations (pcd: updates; closed forms: 0).
    fit_seconds_ : float
        Wall time of ``fit``.

    Examples
    --------
    >>> from boltz.exact import ExactDistribution
    >>> truth = PairwiseMRF(np.array([[0, .5, 0], [.5, 0, -.3], [0, -.3, 0]]), h=[.2, 0, -.1])
    >>> X = ExactDistribution(truth).sample(20000, seed=0)
    >>> est = InverseIsing(method="pl").fit(X)
    >>> bool(np.abs(est.coupling_ - truth.couplings.toarray()).max() < 0.05)
    True
    """

    def __init__(self, method="pl", penalty="l2", alpha=None, alpha_h=0.0, tol=1e-6,
                 max_iter=1000, n_chains=500, n_iter=1000, n_sweeps=1, learning_rate=0.1,
                 seed=None, n_threads=None):
        self.method = method
        self.penalty = penalty
        self.alpha = alpha
        self.alpha_h = alpha_h
        self.tol = tol
        self.max_iter = max_iter
        self.n_chains = n_chains
        self.n_iter = n_iter
        self.n_sweeps = n_sweeps
        self.learning_rate = learning_rate
        self.seed = seed
        self.n_threads = n_threads

    # -- checks ------------------------------------------------------------------
    def _check_params(self):
        check_choice(self.method, "method", METHODS)
        check_choice(self.penalty, "penalty", ("l2", "l1"))
        if self.penalty == "l1" and self.method not in ("pl", "mpf", "exact"):
            raise ValueError(f"penalty='l1' needs method 'pl', 'mpf' or 'exact', "
                             f"got method={self.method!r}")
        if self.alpha is not None:
            check_positive_scalar(self.alpha, "alpha", allow_zero=True)
            if self.method in CLOSED_FORMS and self.alpha >= 1:
                raise ValueError(f"alpha is a pseudocount for method={self.method!r} and "
                                 f"must lie in [0, 1), got {self.alpha}")
        check_positive_scalar(self.alpha_h, "alpha_h", allow_zero=True)
        check_positive_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        check_positive_int(self.n_chains, "n_chains")
        check_positive_int(self.n_iter, "n_iter")
        check_nonnegative_int(self.n_sweeps, "n_sweeps")
        check_positive_scalar(self.learning_rate, "learning_rate")
        if self.n_threads is not None:
            check_positive_int(self.n_threads, "n_threads")

    def _alpha(self, n_samples):
        if self.alpha is not None:
            return float(self.alpha)
        return 1.0 / n_samples if self.method in ("pl", "mpf") else 0.0

    # -- fitting -----------------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Fit couplings and fields to ``X``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_variables)
            Spins in {-1, +1} or variables in {0, 1}; no NaN, no constant column.
        y : ignored
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weights of the samples.

        Returns
        -------
        self : InverseIsing

        Examples
        --------
        >>> X = np.array([[0, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [1, 1, 1]])
        >>> InverseIsing(method="nmf", alpha=0.1).fit(X).coupling_.shape
        (3, 3)
        """
        self._check_params()
        S, w, support = check_data(X, sample_weight)
        n_samples, n = S.shape
        if self.method == "exact" and n > MAX_EXACT_ML_VARIABLES:
            raise ValueError(f"X has {n} variables; method='exact' enumerates 2**n states and "
                             f"allows at most {MAX_EXACT_ML_VARIABLES} (use 'pl' or 'pcd')")
        alpha = self._alpha(n_samples)
        started = time.perf_counter()
        if self.n_threads is None:
            J, h = self._fit_params(S, w, alpha)
        else:
            from ..backend._threads import blas_threads

            with blas_threads(self.n_threads):
                J, h = self._fit_params(S, w, alpha)
        if not (np.all(np.isfinite(J)) and np.all(np.isfinite(h))):
            raise FloatingPointError(f"method={self.method!r} gave non-finite parameters; "
                                     "increase alpha")
        self._set_model(J, h, support, alpha)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _fit_params(self, S, w, alpha):
        n = S.shape[1]
        m, chi = data_moments(S, w)
        if self.method in CLOSED_FORMS:
            J, h = CLOSED_FORMS[self.method](*with_pseudocount(m, chi, alpha))
            self.n_iter_, self.converged_ = 0, True
        elif self.method == "pcd":
            h0 = np.arctanh(np.clip(m, -0.999, 0.999))
            J, h = fit_pcd(m, chi, S, w, np.zeros((n, n)), h0, alpha=alpha,
                           n_chains=self.n_chains, n_iter=self.n_iter, n_sweeps=self.n_sweeps,
                           learning_rate=self.learning_rate, seed=self.seed)
            self.n_iter_, self.converged_ = self.n_iter, True
        else:
            res = fit_theta(self.method, S, w, _starting_point(m, chi), penalty=self.penalty,
                            alpha=alpha, alpha_h=self.alpha_h, tol=self.tol,
                            max_iter=self.max_iter)
            J, h = unpack(res.x, n)
            self.n_iter_, self.converged_ = int(res.nit), bool(res.success)
            self.objective_ = float(res.fun)
        return J, h

    def _set_model(self, J, h, support, alpha):
        self.coupling_ = J
        self.field_ = h
        self.model_ = PairwiseMRF(J, h=h)
        self.data_support_ = tuple(int(v) for v in support)
        self.n_features_in_ = h.shape[0]
        self.alpha_ = float(alpha)

    # -- evaluation --------------------------------------------------------------
    def _spins(self, X):
        if not hasattr(self, "model_"):
            raise ValueError("this InverseIsing is not fitted yet; call fit first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n_samples, {self.n_features_in_}), "
                             f"got {X.shape}")
        if np.all(np.isin(X, (-1.0, 1.0))):
            return X
        if np.all(np.isin(X, (0.0, 1.0))):
            return 2.0 * X - 1.0
        raise ValueError("X must be binary, all values in {-1, +1} or all in {0, 1}")

    def pseudo_log_likelihood(self, X) -> np.ndarray:
        """``sum_i log p(s_i | s_-i)`` of each sample, shape ``(n_samples,)``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n)
            Spins in {-1, +1} (or binary {0, 1}).

        Returns
        -------
        numpy.ndarray, shape (n_samples,)
            The log pseudo-likelihood of each sample.

        Examples
        --------
        >>> est = InverseIsing(method="nmf", alpha=0.5).fit([[1, -1], [-1, 1], [1, 1]])
        >>> est.pseudo_log_likelihood([[1, -1]]).shape
        (1,)
        """
        S = self._spins(X)
        M = S * (S @ self.coupling_ + self.field_)
        return -np.logaddexp(0.0, -2.0 * M).sum(axis=1)

    def score(self, X, y=None) -> float:
        """Mean pseudo-log-likelihood of ``X`` (higher is better; any ``n``).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_variables)
        y : ignored

        Returns
        -------
        float

        Examples
        --------
        >>> est = InverseIsing(method="nmf", alpha=0.5).fit([[1, -1], [-1, 1], [1, 1]])
        >>> est.score([[1, -1], [1, 1]]) < 0
        True
        """
        return float(self.pseudo_log_likelihood(X).mean())

    def log_likelihood(self, X) -> np.ndarray:
        """Exact ``log p(s)`` of each sample by enumeration (``n <= 20``).

        Parameters
        ----------
        X : array_like, shape (n_samples, n)
            Spins in {-1, +1} (or binary {0, 1}).

        Returns
        -------
        numpy.ndarray, shape (n_samples,)
            The exact log-likelihood of each sample.

        Examples
        --------
        >>> est = InverseIsing(method="nmf", alpha=0.5).fit([[1, -1], [-1, 1], [1, 1]])
        >>> round(float(np.exp(est.log_likelihood([[1, 1], [1, -1], [-1, 1], [-1, -1]])).sum()), 12)
        1.0
        """
        S = self._spins(X)
        if S.shape[1] > MAX_EXACT_ML_VARIABLES:
            raise ValueError(f"exact log-likelihoods need n <= {MAX_EXACT_ML_VARIABLES}, "
                             f"got {S.shape[1]}")
        log_z, _, _ = objectives.model_moments(self.coupling_, self.field_)
        return -self.model_.hamiltonian(S) - log_z

    def boltzmann_parameters(self):
        """``(W, b)`` of the same model on ``x = (s + 1) / 2`` in {0, 1}, dense arrays.

        Returns
        -------
        W : numpy.ndarray, shape (n, n)
            Symmetric couplings on ``x`` in {0, 1}.
        b : numpy.ndarray, shape (n,)
            Biases.

        Examples
        --------
        >>> est = InverseIsing(method="nmf", alpha=0.5).fit([[1, 0], [0, 1], [1, 1]])
        >>> W, b = est.boltzmann_parameters()
        >>> W.shape, b.shape
        ((2, 2), (2,))
        """
        W, b, _ = self.model_.to_boltzmann()
        return W.toarray(), b

    # -- saving ------------------------------------------------------------------
    def save(self, path):
        """Write the fitted model to ``path`` (.npz + JSON metadata, no pickle).

        Parameters
        ----------
        path : str or os.PathLike
            Target file.

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import os, tempfile
        >>> est = InverseIsing(method="nmf", alpha=0.5).fit([[1, -1], [-1, 1], [1, 1]])
        >>> p = est.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
        >>> np.allclose(load_inverse_ising(p).coupling_, est.coupling_)
        True
        """
        from ..io import save_model

        if not hasattr(self, "model_"):
            raise ValueError("this InverseIsing is not fitted yet; call fit first")
        params = {k: v for k, v in self.get_params().items()}
        extra = {"data_support": list(self.data_support_), "alpha_used": self.alpha_,
                 "n_iter": self.n_iter_, "fit_seconds": self.fit_seconds_}
        return save_model(path, _KIND, {"J": self.coupling_, "h": self.field_}, params, extra)


def load_inverse_ising(path) -> InverseIsing:
    """Load a model written by :meth:`InverseIsing.save`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    InverseIsing
        Fitted estimator with ``coupling_``, ``field_`` and ``model_``.

    Examples
    --------
    See :meth:`InverseIsing.save`.
    """
    from ..io import load_model

    arrays, meta = load_model(path, _KIND)
    est = InverseIsing(**meta["params"])
    extra = meta["extra"]
    J, h = np.asarray(arrays["J"], dtype=np.float64), np.asarray(arrays["h"], dtype=np.float64)
    iu = pair_index(h.shape[0])
    if J.shape != (h.shape[0],) * 2 or not np.allclose(J[iu], J.T[iu]):
        raise ValueError(f"{path}: J must be a symmetric ({h.shape[0]}, {h.shape[0]}) matrix")
    est._set_model(J, h, tuple(extra["data_support"]), extra["alpha_used"])
    est.n_iter_, est.fit_seconds_ = extra["n_iter"], extra["fit_seconds"]
    return est
