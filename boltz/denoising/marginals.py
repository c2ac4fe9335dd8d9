"""Posterior marginals ``p(x_i = +1 | y)`` and the MPM restoration.

Two estimators:

- :func:`gibbs_marginals`: the Gibbs sampler at temperature 1, averaging
  each pixel's indicator over sweeps after a burn-in; the standard error of
  every pixel comes from batch means.
- :func:`mean_field_marginals`: naive mean field, ``m_i = tanh(β Σ_{j~i} m_j
  + η y_i + h)`` iterated colour class by colour class to a fixed point, with
  ``p_i = (1 + m_i) / 2``. Deterministic and fast, but overconfident.

The thresholded map ``x_i = +1 iff p_i > 1/2`` is the maximiser of the
posterior marginals (MPM), which minimises the expected number of wrong
pixels; ``result.uncertainty = min(p, 1 - p)`` is the per-pixel error
probability.

Examples
--------
>>> import numpy as np
>>> from boltz.denoising import DenoisingPosterior
>>> y = np.ones((6, 6), dtype=np.int8); y[0, 0] = -1
>>> res = mean_field_marginals(DenoisingPosterior.from_noise_rate(y, 0.1, beta=1.0))
>>> bool((res.probability > 0.5).all()), res.method
(True, 'mpm-mean-field')
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_rng,
)
from .icm import _check_model, _initial_state
from .result import DenoiseResult

__all__ = ["gibbs_marginals", "mean_field_marginals"]


def _mpm_result(model, prob, method, info) -> DenoiseResult:
    # ties (p exactly 1/2) keep the observed pixel
    labels = np.where(prob > 0.5, 1, np.where(prob < 0.5, -1, model.noisy)).astype(np.int8)
    return DenoiseResult(labels, model.energy_image(labels), method, probability=prob,
                         info=info)


def gibbs_marginals(model, n_sweeps: int = 500, n_burn: int = 100, n_batches: int = 20,
                    init=None, seed=None, progress: bool = False) -> DenoiseResult:
    """Posterior marginals by Gibbs sampling (``n_sweeps`` after ``n_burn`` burn-in sweeps).

    Colour-class heat-bath sweeps at temperature 1
    (:func:`boltz.samplers.grid.gibbs_sweeps`), each image row with its own
    counter-based stream: a seed gives the same result on any number of threads.

    Parameters
    ----------
    model : DenoisingPosterior
        The posterior.
    n_sweeps : int
        Sweeps averaged over; a multiple of ``n_batches``.
    n_burn : int
        Sweeps discarded first.
    n_batches : int
        Batches for the batch-means standard errors.
    init : array_like of shape (H, W), optional
        Starting image with values ±1; default the noisy image.
    seed : int, numpy Generator or None
        Seeds the random streams.
    progress : bool
        Show a progress bar over batches.

    Returns
    -------
    DenoiseResult
        The MPM labelling (``method="mpm-gibbs"``) with ``probability`` set;
        ``info["stderr"]`` is the batch-means standard error of each pixel's
        probability (valid when a batch is much longer than the autocorrelation
        time), ``info["last_state"]`` the chain's final image.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.denoising import DenoisingPosterior
    >>> y = np.ones((5, 5), dtype=np.int8)
    >>> res = gibbs_marginals(DenoisingPosterior.from_noise_rate(y, 0.1, beta=0.5),
    ...                       n_sweeps=100, n_burn=10, n_batches=10, seed=0)
    >>> bool((res.probability > 0.5).all()), res.info["stderr"].shape
    (True, (5, 5))
    """
    from tqdm.auto import tqdm

    from ..samplers._rng import make_streams
    from ..samplers.grid import gibbs_sweeps

    model = _check_model(model)
    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    n_burn = check_nonnegative_int(n_burn, "n_burn")
    n_batches = check_positive_int(n_batches, "n_batches")
    if n_sweeps % n_batches:
        raise ValueError(
            f"n_sweeps ({n_sweeps}) must be a multiple of n_batches ({n_batches})"
        )
    rng = check_rng(seed)
    x = _initial_state(model, init)
    chains = x[None]  # one chain; a view, updated in place
    streams = make_streams(rng, (1, model.shape[0]))  # one counter-based stream per row
    field = model.external_field()
    beta = float(model.beta)
    nb = model.neighbourhood
    gibbs_sweeps(chains, streams, field, beta, nb, np.ones(n_burn))
    per_batch = n_sweeps // n_batches
    counts = np.zeros((1, *model.shape))
    # running first and second moments of the batch means (Welford)
    prob = np.zeros(model.shape)
    m2 = np.zeros(model.shape)
    for b in tqdm(range(n_batches), desc="Gibbs marginals", disable=not progress):
        counts[:] = 0.0
        gibbs_sweeps(chains, streams, field, beta, nb, np.ones(per_batch), counts)
        batch = counts[0] / per_batch
        delta = batch - prob
        prob += delta / (b + 1)
        m2 += delta * (batch - prob)
    stderr = (np.sqrt(m2 / (n_batches - 1) / n_batches) if n_batches > 1
              else np.full(model.shape, np.inf))
    return _mpm_result(model, prob, "mpm-gibbs",
                       {"stderr": stderr, "sweeps": n_sweeps, "burn_in": n_burn,
                        "last_state": x})


def mean_field_marginals(model, tol: float = 1e-6, max_sweeps: int = 1000,
                         init=None) -> DenoiseResult:
    """Posterior marginals by naive mean field, iterated to a fixed point.

    Colour-class sweeps of :func:`boltz.samplers.grid.mean_field_sweep`.
    Deterministic.

    Parameters
    ----------
    model : DenoisingPosterior
        The posterior.
    tol : float
        Stop when no magnetisation ``m_i`` moves by more than this in a sweep.
    max_sweeps : int
        Most sweeps; ``RuntimeError`` if ``tol`` is not reached by then.
    init : array_like of shape (H, W), optional
        Image with values ±1 whose half is the starting ``m``; default the noisy image.

    Returns
    -------
    DenoiseResult
        The MPM labelling (``method="mpm-mean-field"``) with ``probability =
        (1 + m) / 2``; ``info["sweeps"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.denoising import DenoisingPosterior
    >>> y = np.ones((3, 3), dtype=np.int8)
    >>> res = mean_field_marginals(DenoisingPosterior.from_noise_rate(y, 0.1, beta=0.0))
    >>> round(float(res.probability[0, 0]), 4)
    0.9
    """
    from ..samplers.grid import mean_field_sweep

    model = _check_model(model)
    tol = check_positive_scalar(tol, "tol")
    max_sweeps = check_positive_int(max_sweeps, "max_sweeps")
    m = 0.5 * _initial_state(model, init).astype(np.float64)
    field = model.external_field()
    for sweep in range(1, max_sweeps + 1):  # noqa: B007
        if mean_field_sweep(m[None], field, float(model.beta), model.neighbourhood) <= tol:
            break
    else:
        raise RuntimeError(
            f"mean field did not converge to tol={tol} in {max_sweeps} sweeps; "
            "raise max_sweeps or use gibbs_marginals"
        )
    prob = 0.5 * (1.0 + m)
    return _mpm_result(model, prob, "mpm-mean-field", {"sweeps": sweep})
