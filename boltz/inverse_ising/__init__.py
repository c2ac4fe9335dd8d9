"""Learning pairwise MRFs (fully visible Boltzmann machines) from data: the inverse Ising problem.

- :class:`InverseIsing`: scikit-learn style estimator fitting a
  :class:`~boltz.ising.PairwiseMRF` to {-1, +1} or {0, 1} data by exact maximum
  likelihood (enumeration), symmetric pseudo-likelihood (L2 or L1), minimum
  probability flow, persistent contrastive divergence, or the closed forms
  naive mean field, TAP and Sessak-Monasson.
- :func:`l1_path`, :func:`edge_auc`: structure learning, an L1 path with its
  sparsity pattern and the AUC of recovered edges against a known graph.

Examples
--------
>>> import numpy as np
>>> from boltz.ising import PairwiseMRF
>>> from boltz.exact import ExactDistribution
>>> truth = PairwiseMRF(np.array([[0, .4, 0], [.4, 0, .4], [0, .4, 0]]))
>>> X = ExactDistribution(truth).sample(5000, seed=1)
>>> est = InverseIsing(method="exact").fit(X)
>>> float(np.round(est.coupling_[0, 1], 1))
0.4
"""

from .estimator import MAX_EXACT_ML_VARIABLES, METHODS, InverseIsing, load_inverse_ising
from .structure import L1Path, edge_auc, l1_path

__all__ = ["InverseIsing", "load_inverse_ising", "METHODS", "MAX_EXACT_ML_VARIABLES",
           "l1_path", "L1Path", "edge_auc"]
