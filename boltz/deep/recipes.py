"""Ready-made settings for training energies on the 2D toy densities.

Used by ``boltz ebm``, ``demos/ebm_2d.py`` and ``benchmarks/ebm.py`` so that all
three train the same way.

Examples
--------
>>> model, result = train_toy("eight_gaussians", "nce", n_steps=20, seed=0, progress=False)
>>> result.n_steps
20
"""

from __future__ import annotations

from .._validation import check_choice
from ._utils import seeded_global_rng
from .energies import MLPEnergy
from .networks import NoiseConditionalMLPEnergy
from .objectives import make_objective
from .toy import make_toy
from .training import fit

__all__ = ["TOY_OBJECTIVES", "TOY_OBJECTIVE_SETTINGS", "TOY_TRAINING", "toy_model",
           "toy_objective", "train_toy"]

#: Objective names the toy recipes know: those of :data:`boltz.deep.objectives.OBJECTIVES`
#: and ``dsm_multi``, denoising score matching at several noise levels with a
#: noise-conditional MLP (Song & Ermon 2019), scored at its smallest level.
TOY_OBJECTIVES = ("cd", "pcd", "sm", "dsm", "dsm_multi", "ssm", "nce")

#: Objectives trained with the noise-conditional MLP (:class:`NoiseConditionalMLPEnergy`).
_NOISE_CONDITIONAL = {"dsm_multi": "dsm"}

#: Noise levels of ``dsm_multi``: geometric from 2.0 (about the spread of the densities, so
#: the largest level covers the whole box) down to 0.05, the level of single-level ``dsm``.
DSM_MULTI_SIGMAS = (2.0, 1.26, 0.8, 0.5, 0.32, 0.2, 0.126, 0.08, 0.05)

#: Objective settings for 2D toy densities on ``[-4.5, 4.5]^2``. CD and PCD chains are
#: MALA (``metropolis=True``): unadjusted Langevin at step 0.01 samples a density wider
#: than the model's (the densities' width is 0.15), so CD learned a too-sharp model
#: (rings 0.113 nats); PCD restarts from the data batch, not from noise, whose fresh
#: chains left spurious mass in empty regions (swiss roll 1.311 nats).
TOY_OBJECTIVE_SETTINGS = {
    "cd": {"n_steps": 10, "step_size": 0.02, "reg": 0.01, "metropolis": True},
    "pcd": {"n_steps": 10, "step_size": 0.02, "reg": 0.01, "metropolis": True,
            "buffer_size": 10000, "init_range": (-4.5, 4.5), "reinit_prob": 0.05,
            "reinit_from": "data"},
    "sm": {},
    "dsm": {"sigma": 0.05},
    "dsm_multi": {"sigma": DSM_MULTI_SIGMAS},
    "ssm": {"n_projections": 1},
    "nce": {"noise_scale": 1.5, "noise_ratio": 2.0},
}


#: Training length per objective (CD/PCD: 10 MALA steps per update; 1500 updates of 20
#: steps left pinwheel at 0.070 nats, 3000 of 10 reach 0.016 for about 1.4x the time).
TOY_TRAINING = {
    "cd": {"n_steps": 3000, "batch_size": 256},
    "pcd": {"n_steps": 3000, "batch_size": 256},
    "sm": {"n_steps": 3000, "batch_size": 512},
    "dsm": {"n_steps": 3000, "batch_size": 512},
    "dsm_multi": {"n_steps": 3000, "batch_size": 512},
    "ssm": {"n_steps": 3000, "batch_size": 512},
    "nce": {"n_steps": 3000, "batch_size": 512},
}


def toy_model(hidden=(128, 128, 128), sigmas=None):
    """The MLP energy used for 2D densities.

    Parameters
    ----------
    hidden : tuple of int
        Widths of the hidden layers.
    sigmas : sequence of float, optional
        Noise levels: a noise-conditional MLP (:class:`NoiseConditionalMLPEnergy`,
        whose ``forward`` is the smallest level) instead of a plain one.

    Returns
    -------
    MLPEnergy or NoiseConditionalMLPEnergy
        A 2D MLP energy with SiLU activations.

    Examples
    --------
    >>> toy_model((8, 8)).event_shape
    (2,)
    >>> type(toy_model((8,), sigmas=[1.0, 0.1])).__name__
    'NoiseConditionalMLPEnergy'
    """
    if sigmas is not None:
        return NoiseConditionalMLPEnergy(2, sigmas=sigmas, hidden=hidden, activation="silu")
    return MLPEnergy(2, hidden=hidden, activation="silu")


def toy_objective(name: str, **overrides):
    """The objective ``name`` with the toy settings (``overrides`` replace them).

    Parameters
    ----------
    name : {"cd", "pcd", "sm", "dsm", "dsm_multi", "ssm", "nce"}
        The objective (``dsm_multi``: :class:`DenoisingScoreMatching` at the levels
        :data:`DSM_MULTI_SIGMAS`, for a noise-conditional model).
    **overrides
        Settings replacing the toy ones.

    Returns
    -------
    Objective

    Examples
    --------
    >>> type(toy_objective("nce")).__name__
    'NoiseContrastiveEstimation'
    >>> len(toy_objective("dsm_multi").sigmas)
    9
    """
    check_choice(name, "objective", TOY_OBJECTIVES)
    return make_objective(_NOISE_CONDITIONAL.get(name, name),
                          **{**TOY_OBJECTIVE_SETTINGS[name], **overrides})


def train_toy(density: str, objective: str, *, n_steps: int | None = None,
              batch_size: int | None = None, lr: float = 2e-3, seed=0, progress: bool = True,
              device=None, on_divergence: str = "stop", hidden=(128, 128, 128),
              checkpoint=None, checkpoint_every=None, resume: bool = False):
    """Train an MLP energy on a toy density; returns ``(model, FitResult)``.

    ``n_steps`` and ``batch_size`` default to :data:`TOY_TRAINING`. ``dsm_multi``
    trains a noise-conditional MLP whose ``forward`` (what samplers and
    :func:`~boltz.deep.metrics.grid_kl` see) is its smallest noise level.

    Parameters
    ----------
    density : str
        A toy density name (:data:`boltz.deep.toy.TOY_DENSITIES`).
    objective : {"cd", "pcd", "sm", "dsm", "dsm_multi", "ssm", "nce"}
        The objective.
    n_steps, batch_size : int, optional
        Updates and batch size (default: :data:`TOY_TRAINING`).
    lr : float
        Adam learning rate (cosine schedule).
    seed : int
        Seed of the initial weights, the data and the objective's noise.
    progress : bool
        Show a progress bar.
    device : str, optional
        torch device.
    on_divergence : {"stop", "raise"}
        What a divergence does (see :func:`boltz.deep.fit`).
    hidden : tuple of int
        Widths of the MLP.
    checkpoint, checkpoint_every, resume
        Checkpoint and resume the run (see :func:`boltz.deep.fit`).

    Returns
    -------
    model : MLPEnergy or NoiseConditionalMLPEnergy
    result : FitResult

    Examples
    --------
    >>> model, res = train_toy("two_moons", "nce", n_steps=5, batch_size=32, progress=False,
    ...                        hidden=(8,))
    >>> res.n_steps
    5
    """

    check_choice(objective, "objective", TOY_OBJECTIVES)
    n_steps = n_steps or TOY_TRAINING[objective]["n_steps"]
    batch_size = batch_size or TOY_TRAINING[objective]["batch_size"]
    toy = make_toy(density)
    obj = toy_objective(objective)
    sigmas = obj.sigmas if objective in _NOISE_CONDITIONAL else None
    with seeded_global_rng(seed if isinstance(seed, int) else 0):  # the initial weights
        model = toy_model(hidden, sigmas=sigmas)
    result = fit(model, obj, toy.sampler(), n_steps=n_steps, batch_size=batch_size, lr=lr,
                 seed=seed, progress=progress, device=device, lr_schedule="cosine",
                 on_divergence=on_divergence, checkpoint=checkpoint,
                 checkpoint_every=checkpoint_every, resume=resume)
    return model, result
