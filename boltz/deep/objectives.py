"""Training objectives that never compute the partition function.

Each objective is a ``torch.nn.Module`` called as ``objective(model, x, generator)``
and returning ``(loss, info)``; ``loss`` is a scalar to minimise and ``info`` a
dict of floats for logging. Objectives with parameters of their own (NCE's
learned ``log Z``) expose them through ``objective.parameters()``, which
:func:`boltz.deep.training.fit` optimises together with the model.

- :class:`ContrastiveDivergence`: CD-k / persistent CD with short-run Langevin
  negatives and an energy-magnitude regulariser ``reg * (E(x+)^2 + E(x-)^2)``
  (Du & Mordatch 2019).
- :class:`ScoreMatching`: exact Hyvärinen (2005) score matching,
  ``E[|grad E|^2 / 2 - tr Hess E]``, Hessian trace by autograd (low dimension).
- :class:`DenoisingScoreMatching`: Vincent (2011), one or several noise levels
  (Song & Ermon 2019 weighting ``sigma^2``).
- :class:`SlicedScoreMatching`: Song et al. (2019), with the variance-reduced form.
- :class:`NoiseContrastiveEstimation`: Gutmann & Hyvärinen (2010), learned ``log Z``.

Divergence (a non-finite loss, energies beyond ``max_energy``, or non-finite
negative samples) raises :class:`~boltz.deep._utils.TrainingDivergedError`; it is
never silently replaced by a substitute value.

Examples
--------
>>> import torch
>>> from boltz.deep.energies import GaussianEnergy
>>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
>>> loss, info = ScoreMatching()(model, torch.randn(64, 1, dtype=torch.float64))
>>> loss.shape
torch.Size([])
"""

from __future__ import annotations

from .._validation import check_choice
from ._utils import TrainingDivergedError
from .contrastive_divergence import ContrastiveDivergence
from .noise_contrastive import NoiseContrastiveEstimation
from .objective_base import Objective
from .score_matching import DenoisingScoreMatching, ScoreMatching, SlicedScoreMatching

__all__ = [
    "Objective",
    "ContrastiveDivergence",
    "ScoreMatching",
    "DenoisingScoreMatching",
    "SlicedScoreMatching",
    "NoiseContrastiveEstimation",
    "OBJECTIVES",
    "make_objective",
    "TrainingDivergedError",
]


OBJECTIVES = {
    "cd": lambda **kw: ContrastiveDivergence(**kw),
    "pcd": lambda **kw: ContrastiveDivergence(persistent=True, **kw),
    "sm": lambda **kw: ScoreMatching(**kw),
    "dsm": lambda **kw: DenoisingScoreMatching(**kw),
    "ssm": lambda **kw: SlicedScoreMatching(**kw),
    "nce": lambda **kw: NoiseContrastiveEstimation(**kw),
}


def make_objective(name: str, **kwargs) -> Objective:
    """Build an objective by name: ``cd``, ``pcd``, ``sm``, ``dsm``, ``ssm``, ``nce``.

    Parameters
    ----------
    name : {"cd", "pcd", "sm", "dsm", "ssm", "nce"}
        ``pcd`` is ``ContrastiveDivergence(persistent=True)``.
    **kwargs
        Passed to the objective's constructor.

    Returns
    -------
    Objective

    Examples
    --------
    >>> make_objective("pcd", n_steps=5).persistent
    True
    """
    check_choice(name, "objective", OBJECTIVES)
    return OBJECTIVES[name](**kwargs)
