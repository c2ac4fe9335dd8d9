"""L-BFGS for smooth objectives, and L1 problems as bound-constrained L-BFGS-B.

An L1 penalty ``alpha sum |J_ij|`` is made smooth by splitting each coupling
into ``J = p - q`` with ``p, q >= 0`` and penalising ``alpha (p + q)``; at the
optimum one of ``p, q`` is zero, so the split problem has the same minimiser,
and L-BFGS-B's projection sets couplings exactly to zero, which gives the
sparsity pattern (Schmidt, Fung & Rosales 2007, "Fast optimization methods for
L1 regularization", section 2.3).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

__all__ = ["minimize_smooth", "minimize_l1"]


def _options(tol, max_iter):
    return {"maxiter": int(max_iter), "maxfun": 4 * int(max_iter), "ftol": tol * tol,
            "gtol": tol, "maxcor": 20}


def minimize_smooth(fun, x0, tol=1e-6, max_iter=1000):
    """Minimise ``fun(x) -> (value, grad)`` by L-BFGS; returns scipy's ``OptimizeResult``.

    Examples
    --------
    >>> res = minimize_smooth(lambda x: (float(((x - 1) ** 2).sum()), 2 * (x - 1)), np.zeros(3))
    >>> np.allclose(res.x, 1)
    True
    """
    return optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", options=_options(tol, max_iter))


def minimize_l1(fun, x0, n_free, alpha, tol=1e-6, max_iter=1000):
    """Minimise ``fun(x) + alpha * |x[n_free:]|_1`` with L-BFGS-B on the split ``x = p - q``.

    The first ``n_free`` entries (the fields) are not penalised. Returns scipy's
    ``OptimizeResult`` with ``x`` mapped back to the original variables.

    Examples
    --------
    >>> quad = lambda x: (float(((x - 1) ** 2).sum()), 2 * (x - 1))
    >>> res = minimize_l1(quad, np.zeros(3), n_free=1, alpha=4.0)   # soft threshold at 2
    >>> res.x.tolist()
    [1.0, 0.0, 0.0]
    """
    x0 = np.asarray(x0, dtype=np.float64)
    k = x0.shape[0] - n_free

    def split_fun(z):
        x = np.concatenate([z[:n_free], z[n_free:n_free + k] - z[n_free + k:]])
        val, g = fun(x)
        gc = g[n_free:]
        return (val + alpha * z[n_free:].sum(),
                np.concatenate([g[:n_free], gc + alpha, -gc + alpha]))

    z0 = np.concatenate([x0[:n_free], np.maximum(x0[n_free:], 0), np.maximum(-x0[n_free:], 0)])
    bounds = [(None, None)] * n_free + [(0.0, None)] * (2 * k)
    res = optimize.minimize(split_fun, z0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options=_options(tol, max_iter))
    z, gz = res.x, res.jac
    res.x = np.concatenate([z[:n_free], z[n_free:n_free + k] - z[n_free + k:]])
    res.jac = np.concatenate([gz[:n_free], gz[n_free:n_free + k] - alpha])  # smooth part
    return res
