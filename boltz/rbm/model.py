"""Restricted Boltzmann machines built on the exponential-family units of :mod:`boltz.expfam`.

Every RBM here has Bernoulli hidden units ``h in {0,1}^H`` and visible units of
one exponential family with sufficient statistic ``T(v)`` and base measure
``h(v)``. The joint energy is::

    E(v, h) = -a . T(v) - log h(v) - c . h - T(v)^T W h

so each layer's conditional is its family with natural parameter
``bias + W . other``: ``p(h_j = 1 | v) = sigmoid(c_j + T(v) . W[:, j])`` and
``p(v_i | h)`` has natural parameter ``a_i + W[i] . h``. Summing out ``h`` gives
the free energy (Welling, Rosen-Zvi & Hinton 2005)::

    F(v) = -a . T(v) - log h(v) - sum_j softplus(c_j + T(v) . W[:, j])

and ``log_unnormalized(v) = -F(v)``. Summing out ``v`` instead gives
``log p~(h) = c . h + sum_i A_vis(a_i + W[i] . h)``, which is how
:meth:`RBMBase.log_partition` enumerates the smaller layer exactly.

Public API (stable)
-------------------
Classes: :class:`BernoulliRBM`, :class:`GaussianBernoulliRBM`,
:class:`CategoricalRBM` (all subclasses of :class:`RBMBase`, a
:class:`~boltz.density.Density`), and the error :class:`DivergenceError`.

Constructor (shared by all three; scikit-learn style, it only stores values)::

    BernoulliRBM(n_hidden=256, *, method="pcd", k=1, learning_rate=None,
                 n_epochs=10, batch_size=None, n_chains=None, momentum=None,
                 weight_decay=0.0, centering=False, binarize=None, sparsity_target=None,
                 sparsity_cost=0.0, lr_schedule="constant", final_lr_fraction=0.01,
                 max_seconds=None, n_temperatures=10, init_std=0.01, monitor_every=1,
                 monitor_size=256, ais_every=0, ais_runs=100, ais_betas=1000,
                 early_stopping=False, patience=5, max_weight=500.0,
                 n_threads=1, device=None, verbose=False, seed=None,
                 n_components=None, n_iter=None, random_state=None)
    GaussianBernoulliRBM(n_hidden, *, variance=1.0, learn_variance=False, ...)
    CategoricalRBM(n_hidden, *, n_categories=2, bin_edges=None, ...)

``BernoulliRBM``'s ``learning_rate``, ``batch_size`` and ``momentum`` left at None
are 0.05, 100 and 0.5, or scikit-learn's 0.1, 10 and 0 when the model is
configured with scikit-learn's names ``n_components``/``n_iter`` (a drop-in for
``sklearn.neural_network.BernoulliRBM``); the other kinds default to numbers.

``method`` is ``"cd"``, ``"pcd"`` or ``"pt"`` (parallel tempering), for every
visible family. ``n_threads`` caps BLAS threads in training, sampling and AIS
(default 1: most products are numba kernels, and multi-threaded BLAS thrashes
on these small products when the machine is busy; ``None``: BLAS default).
``device`` (every kind and method) trains on a torch
device instead: ``"cuda"``, ``"auto"`` (CUDA when available), any torch device
name, or ``"cpu-torch"`` (torch on the CPU, mostly for testing); ``None`` or
``"cpu"`` is the NumPy/numba path. Only then is torch imported
(:mod:`boltz.backend.torch_backend`; the formulas are the same,
:mod:`boltz.rbm.trainer`). ``binarize="dynamic"`` (``BernoulliRBM``) takes ``X``
as probabilities in ``[0, 1]``, e.g. MNIST grey levels, and trains on a fresh
Bernoulli draw of every minibatch (*dynamic binarization*; less overfitting
than one fixed binarization). Fitted
attributes: ``W_`` (float32, ``(n_visible, n_hidden)``),
``visible_bias_`` (``(n_visible,)``), ``hidden_bias_`` (``(n_hidden,)``),
``n_visible_``, ``history_`` (one dict of metrics per epoch), ``n_iter_``;
``GaussianBernoulliRBM`` adds ``log_variance_`` (``(n_visible,)``).
:meth:`RBMBase.from_params` builds a fitted model from given arrays;
``BernoulliRBM.from_preset("mnist-pcd", **overrides)`` a model with a named
recipe of :mod:`boltz.rbm.presets`. The classes live in :mod:`boltz.rbm.base`
(shared math) and :mod:`boltz.rbm.kinds` (one per visible family).

The classes are scikit-learn estimators (:mod:`boltz.rbm.estimator`:
``BaseEstimator``, ``TransformerMixin``, ``validate_data``, tags; they pass
``sklearn.utils.estimator_checks``). scikit-learn's names ``n_components``,
``n_iter`` and ``random_state`` are aliases of ``n_hidden``, ``n_epochs`` and
``seed`` (when given they win). ``BernoulliRBM`` takes ``X`` in ``[0, 1]``:
grey values are probabilities, used as given in the positive phase (as
scikit-learn's ``BernoulliRBM``) or drawn afresh with ``binarize="dynamic"``;
``binarize=t`` (a number) maps any real ``X`` to ``X > t``.
``CategoricalRBM(bin_edges=...)`` takes one real or integer-coded column per
group. scipy.sparse input is densified; float32 stays float32 in ``transform``.

Methods: ``fit(X, y=None, X_val=None, callbacks=None)``, ``partial_fit(X)``,
``transform(X)`` (= ``hidden_probabilities``, mean field for grey input),
``score_samples(X)`` (log-likelihood per row), ``score(X, y=None)`` (their
mean, a float: exact ``log Z`` when a layer has at most 20 units, else AIS),
``sample(n, seed, n_steps, init)``, ``get_params``/``set_params``,
``save(path)``/``load(path)``; model math: ``free_energy(v)``,
``energy(v, h=None)`` (joint energy, or the free energy without ``h``),
``log_unnormalized(v)``, ``hidden_input(v)``, ``hidden_probabilities(v)``,
``visible_natural(h)``, ``visible_mean(h)``, ``sample_hidden(v, seed)``,
``sample_visible(h, seed)``, ``gibbs(v, n_steps, seed)``, ``reconstruct(v)``,
``hidden_log_unnormalized(h)``, ``log_partition()`` (exact, smaller layer
<= 25 units), ``pseudo_log_likelihood(v)`` (Bernoulli visibles),
``grad_log_prob(v)`` (``GaussianBernoulliRBM``: the gradient in ``v``).

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> X = (np.random.default_rng(0).random((200, 6)) < 0.3).astype(float)
>>> rbm = BernoulliRBM(n_hidden=3, n_epochs=5, batch_size=20, seed=0).fit(X)
>>> rbm.W_.shape, rbm.transform(X[:2]).shape
((6, 3), (2, 3))
>>> bool(np.isfinite(rbm.log_partition()))
True
"""

from __future__ import annotations

from .base import RBMBase, one_hot
from .kinds import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM
from .limits import AUTO_EXACT_UNITS, MAX_EXACT_UNITS, DivergenceError

__all__ = [
    "RBMBase",
    "BernoulliRBM",
    "GaussianBernoulliRBM",
    "CategoricalRBM",
    "DivergenceError",
    "MAX_EXACT_UNITS",
    "AUTO_EXACT_UNITS",
    "one_hot",
    "load_rbm",
]


def load_rbm(path):
    """Load any RBM saved with ``save``, whichever class it is.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by ``save``.

    Returns
    -------
    RBMBase
        The model, of the class it was saved from.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> m = BernoulliRBM.from_params(np.zeros((2, 1)), np.zeros(2), np.zeros(1))
    >>> path = m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
    >>> type(load_rbm(path)).__name__
    'BernoulliRBM'
    """
    from ..io import load_model

    classes = {c.kind: c for c in (BernoulliRBM, GaussianBernoulliRBM, CategoricalRBM)}
    _, meta = load_model(path, tuple(classes))
    return classes[meta["kind"]].load(path)

