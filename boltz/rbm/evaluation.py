"""Evaluating RBMs: exact log Z, log-likelihoods, pseudo-likelihood, AIS with both bounds.

Which way each estimator is biased:

- :func:`exact_log_partition` / :func:`exact_log_likelihood`: exact (float64),
  by enumerating the smaller layer (at most 25 units).
- :func:`evaluate_log_likelihood` with forward AIS: ``log Z`` tends to be
  underestimated, so the log-likelihood tends to be *too high* (optimistic);
  with reverse AIS from exact model samples the log-likelihood tends to be
  *too low* (conservative). Big RBMs have no exact samples, so the reverse
  runs start from data-seeded Gibbs chains and the reported conservative value
  also never exceeds the forward estimate's lower ``3 sigma`` end. Both sides
  are reported, with their ``±3 sigma`` ranges.
- :func:`pseudo_log_likelihood`: exact, no bias, but it measures the
  conditionals ``p(v_i | v_-i)`` only, not the likelihood; it can look good
  for a model whose samples are poor.
- Reconstruction error (``model.reconstruct``) is a training diagnostic, not
  a likelihood.

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> from boltz.rbm.evaluation import exact_log_likelihood
>>> X = (np.random.default_rng(0).random((50, 6)) < 0.3).astype(float)
>>> rbm = BernoulliRBM(3, n_epochs=3, seed=0).fit(X)
>>> bool(exact_log_likelihood(rbm, X) < 0)
True
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int, check_rng

__all__ = [
    "exact_log_partition",
    "exact_log_likelihood",
    "pseudo_log_likelihood",
    "average_log_likelihood",
    "evaluate_log_likelihood",
]


def exact_log_partition(model, max_units: int = 25) -> float:
    """Exact ``log Z`` (float64) by enumerating the smaller layer; see ``RBMBase.log_partition``.

    Parameters
    ----------
    model : RBMBase
        A fitted RBM.
    max_units : int, default 25
        The largest layer that may be enumerated.

    Returns
    -------
    float
        ``log Z``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> round(exact_log_partition(m), 4)
    3.4657
    """
    return model.log_partition(max_units=max_units)


def exact_log_likelihood(model, X, max_units: int = 25) -> float:
    """Average exact log-likelihood ``mean(-F(x)) - log Z`` of the rows of ``X``.

    Parameters
    ----------
    model : RBMBase
        A fitted RBM.
    X : array_like, shape (n, n_visible)
        Data.
    max_units : int, default 25
        The largest layer that may be enumerated.

    Returns
    -------
    float
        The mean log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> round(exact_log_likelihood(m, np.ones((2, 3))), 4)  # 3 log(1/2)
    -2.0794
    """
    return average_log_likelihood(model, X, exact_log_partition(model, max_units))


def average_log_likelihood(model, X, log_z: float) -> float:
    """``mean(-F(x)) - log_z`` for a given (exact or estimated) ``log_z``.

    Parameters
    ----------
    model : RBMBase
        A fitted RBM.
    X : array_like, shape (n, n_visible)
        Data.
    log_z : float
        ``log Z``.

    Returns
    -------
    float
        The mean log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> round(average_log_likelihood(m, np.ones((2, 3)), 5 * np.log(2)), 4)
    -2.0794
    """
    return float(np.mean(-model.free_energy(X)) - float(log_z))


def pseudo_log_likelihood(model, X) -> float:
    """Average exact log pseudo-likelihood ``sum_i log p(x_i | x_-i)`` (Bernoulli visibles).

    Parameters
    ----------
    model : RBMBase
        A fitted RBM. (Bernoulli visibles)
    X : array_like, shape (n, n_visible)
        Binary data.

    Returns
    -------
    float
        The mean log pseudo-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> round(pseudo_log_likelihood(m, np.ones((2, 3))), 4)
    -2.0794
    """
    return float(np.mean(model.pseudo_log_likelihood(X)))


def evaluate_log_likelihood(model, X_test, data=None, *, n_runs: int = 100,
                            n_betas: int = 14500, reverse: bool = True, n_gibbs: int = 1000,
                            seed=None, progress: bool = False, n_workers=None,
                            device="model") -> dict:
    """Test log-likelihood by forward AIS and (optionally) the conservative reverse AIS.

    ``data`` (the training set) fits the base-rate model and supplies the
    start states of the reverse runs (``n_runs`` rows, each run through
    ``n_gibbs`` block-Gibbs sweeps). Returns a dict with ``test_loglik_ais``
    (optimistic side), ``test_loglik_conservative`` (pessimistic side, reverse
    AIS), the exact value when a layer is small, the ``log Z`` estimates, their
    ``±3 sigma`` ranges, the forward weights' effective sample size (out of
    ``n_runs``: a few means the estimate rests on a few runs) and the seconds
    spent. ``n_workers`` threads advance the AIS runs (see :func:`ais_log_partition`);
    ``device`` runs them on a torch device instead (default: the model's ``device``).

    ``test_loglik_conservative`` uses ``max(log Z_reverse, log Z_forward + 3 sigma)``,
    so it never exceeds either point estimate: reverse AIS bounds ``log Z`` from
    above only when started at exact model samples, and Gibbs chains seeded at
    data may miss modes (``reverse_below_forward`` flags that case, a sign the
    chains did not mix). ``test_loglik_reverse`` is the plain reverse-AIS value.

    Parameters
    ----------
    model : RBMBase
        A fitted RBM.
    X_test : array_like, shape (n, n_visible)
        Test data.
    data : array_like, shape (n_train, n_visible), optional
        Training data (base model and reverse start states; needed with ``reverse``).
    n_runs : int, default 100
        AIS runs per direction.
    n_betas : int, default 14500
        Annealing steps.
    reverse : bool, default True
        Also run reverse AIS.
    n_gibbs : int, default 1000
        Gibbs sweeps before the reverse runs.
    seed : int, numpy.random.Generator or None
        Random seed.
    progress : bool, default False
        Show tqdm bars.
    n_workers : int or None
        Threads advancing the AIS runs.
    device : str, torch.device or None, default "model"
        Where to anneal.

    Returns
    -------
    dict
        The keys described above (floats, ranges as pairs, seconds).

    Examples
    --------
    >>> import numpy as np
    >>> from boltz.rbm import BernoulliRBM
    >>> m = BernoulliRBM.from_params(np.zeros((3, 2)), np.zeros(3), np.zeros(2))
    >>> r = evaluate_log_likelihood(m, np.ones((4, 3)), n_runs=8, n_betas=20, reverse=False,
    ...                             seed=0)
    >>> round(r["test_loglik_ais"], 4), round(r["test_loglik_exact"], 4)
    (-2.0794, -2.0794)
    """
    rng = check_rng(seed)
    n_runs = check_positive_int(n_runs, "n_runs")
    from .ais import ais_log_partition, reverse_ais_log_partition

    mean_neg_f = float(np.mean(-model.free_energy(X_test)))
    fwd = ais_log_partition(model, n_runs=n_runs, n_betas=n_betas, data=data, seed=rng,
                            progress=progress, n_workers=n_workers, device=device)
    out = {
        "mean_neg_free_energy": mean_neg_f,
        "log_z_ais": fwd.log_z,
        "log_z_ais_range": (fwd.log_z_low, fwd.log_z_high),
        "test_loglik_ais": mean_neg_f - fwd.log_z,
        "ais_seconds": fwd.seconds,
        "ais_effective_sample_size": fwd.effective_sample_size,
        "n_runs": n_runs,
        "n_betas": fwd.n_betas,
    }
    if fwd.interrupted:  # Ctrl-C: a flagged partial estimate, and no reverse AIS after it
        out["interrupted"] = f"forward AIS: {fwd.log_weights.size} of {n_runs} runs finished"
        reverse = False
    if reverse:
        if data is None:
            raise ValueError("reverse AIS needs data= to start its chains from")
        data = model._check_visible(data, "data", dtype=np.float32)
        idx = rng.choice(data.shape[0], size=n_runs, replace=data.shape[0] < n_runs)
        rev = reverse_ais_log_partition(model, data[idx], n_betas=n_betas, data=data,
                                        n_gibbs=n_gibbs, seed=rng, progress=progress,
                                        n_workers=n_workers, device=device)
        # Reverse AIS is a stochastic upper bound on log Z only from exact model samples;
        # its runs start from Gibbs chains seeded at data, which can miss modes and land
        # below the forward estimate. The conservative figure therefore uses the larger
        # of the reverse estimate and the forward estimate's +3 sigma end.
        log_z_cons = max(rev.log_z, fwd.log_z_high)
        out.update({
            "log_z_reverse": rev.log_z,
            "log_z_reverse_range": (rev.log_z_low, rev.log_z_high),
            "test_loglik_reverse": mean_neg_f - rev.log_z,
            "test_loglik_conservative": mean_neg_f - log_z_cons,
            "reverse_below_forward": bool(rev.log_z < fwd.log_z),
            "reverse_ais_seconds": rev.seconds,
        })
        if rev.interrupted:
            out["interrupted"] = (f"reverse AIS: {rev.log_weights.size} of {n_runs} runs "
                                  "finished")
    from .limits import AUTO_EXACT_UNITS

    if model.exact_layer(AUTO_EXACT_UNITS) is not None:
        out["test_loglik_exact"] = mean_neg_f - model.log_partition()
    return out
