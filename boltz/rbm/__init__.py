"""Restricted Boltzmann machines: models, CD/PCD/PT training, exact log Z and AIS.

Public API (stable; see :mod:`boltz.rbm.model` for the constructor arguments):

- :class:`BernoulliRBM`, :class:`GaussianBernoulliRBM`, :class:`CategoricalRBM`
  (base :class:`RBMBase`), fitted attributes ``W_`` ``(n_visible, n_hidden)``,
  ``visible_bias_``, ``hidden_bias_``; :func:`one_hot`; :class:`DivergenceError`.
- :func:`ais_log_partition`, :func:`reverse_ais_log_partition`,
  :class:`AISResult`, :func:`default_betas` (:mod:`boltz.rbm.ais`).
- :func:`exact_log_partition`, :func:`exact_log_likelihood`,
  :func:`pseudo_log_likelihood`, :func:`evaluate_log_likelihood`
  (:mod:`boltz.rbm.evaluation`).
- :func:`load_rbm` loads any saved RBM.
- :data:`RBM_PRESETS` (:mod:`boltz.rbm.presets`): named recipes, used by
  ``BernoulliRBM.from_preset(name)``, ``boltz rbm train --preset`` and the benchmark.

Every kind trains with ``method="cd"``, ``"pcd"`` or ``"pt"`` on the NumPy/numba
backend (``device=None``) or a torch device (``device="cuda"``, ``"cpu-torch"``);
the formulas are written once (:mod:`boltz.rbm.trainer`, :mod:`boltz.rbm.ais`)
against the primitives of :mod:`boltz.backend`.

Examples
--------
>>> import numpy as np
>>> from boltz.rbm import BernoulliRBM
>>> X = (np.random.default_rng(0).random((100, 8)) < 0.3).astype(float)
>>> rbm = BernoulliRBM(n_hidden=4, n_epochs=3, seed=0).fit(X)
>>> bool(rbm.mean_log_likelihood(X) < 0)   # exact average log-likelihood (4 hidden units)
True
"""

from .ais import AISResult, ais_log_partition, default_betas, reverse_ais_log_partition
from .evaluation import (
    evaluate_log_likelihood,
    exact_log_likelihood,
    exact_log_partition,
    pseudo_log_likelihood,
)
from .model import (
    AUTO_EXACT_UNITS,
    MAX_EXACT_UNITS,
    BernoulliRBM,
    CategoricalRBM,
    DivergenceError,
    GaussianBernoulliRBM,
    RBMBase,
    load_rbm,
    one_hot,
)
from .presets import RBM_PRESETS

__all__ = [
    "RBMBase",
    "BernoulliRBM",
    "GaussianBernoulliRBM",
    "CategoricalRBM",
    "DivergenceError",
    "MAX_EXACT_UNITS",
    "AUTO_EXACT_UNITS",
    "one_hot",
    "AISResult",
    "ais_log_partition",
    "reverse_ais_log_partition",
    "default_betas",
    "exact_log_partition",
    "exact_log_likelihood",
    "pseudo_log_likelihood",
    "evaluate_log_likelihood",
    "load_rbm",
    "RBM_PRESETS",
]
