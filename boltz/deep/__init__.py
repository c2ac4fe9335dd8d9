"""PyTorch energy-based models (the only part of boltz that imports torch).

- :mod:`boltz.deep.energies`   ``EnergyModule`` base, MLP/conv/noise-conditional energies,
  analytic energies (Gaussian, mixture, double well, rings), adapters for boltz models
- :mod:`boltz.deep.compose`    products of experts (``a + b``), tempering, conditioning
- :mod:`boltz.deep.samplers`   Langevin, MALA, HMC, annealed Langevin (batched, seeded)
- :mod:`boltz.deep.buffers`    replay buffer of persistent chains
- :mod:`boltz.deep.objectives` CD / persistent CD, score matching (exact, denoising,
  sliced), noise-contrastive estimation
- :mod:`boltz.deep.training`   ``fit`` loop, checkpoints (state dicts, ``weights_only``)
- :mod:`boltz.deep.toy`        2D toy densities with exact log-densities
- :mod:`boltz.deep.metrics`    grid KL, MMD
- :mod:`boltz.deep.recipes`    settings shared by the CLI, demos and benchmark
- :mod:`boltz.deep.score_models` noise-conditional score networks, annealed sampling,
  inpainting (Song & Ermon 2019)
- :mod:`boltz.deep.image_energies` conv energy for short-run Langevin EBMs on images
- :mod:`boltz.deep.image_recipes` MNIST training recipes with a wall-clock budget
- :mod:`boltz.deep.sample_quality` MNIST sample quality: classifier Fréchet distance,
  class histogram
- :mod:`boltz.deep.rbm`        alias of ``torch_device`` (RBM devices: :mod:`boltz.backend`)

Examples
--------
>>> import torch
>>> from boltz.deep import GaussianEnergy, MALASampler
>>> g = GaussianEnergy([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
>>> MALASampler(g, step_size=0.5).sample(torch.zeros(10, 2), 20, seed=0).shape
torch.Size([10, 2])
"""

from .._validation import import_torch

import_torch("boltz.deep")  # a clear message naming the extra when torch is missing

from ._utils import NonFiniteEnergyError, TrainingDivergedError, make_generator  # noqa: E402
from .buffers import ReplayBuffer  # noqa: E402
from .compose import ConditionedEnergy, SumEnergy, TemperedEnergy, product_of_experts  # noqa: E402
from .energies import (  # noqa: E402
    ConvEnergy,
    DensityEnergy,
    DoubleWellEnergy,
    EnergyModule,
    FunctionEnergy,
    GaussianEnergy,
    GaussianMixtureEnergy,
    MLPEnergy,
    NoiseConditionalMLPEnergy,
    RBMFreeEnergy,
    RingsEnergy,
    as_energy,
)
from .image_energies import ConvImageEnergy  # noqa: E402
from .objectives import (  # noqa: E402
    ContrastiveDivergence,
    DenoisingScoreMatching,
    NoiseContrastiveEstimation,
    ScoreMatching,
    SlicedScoreMatching,
    make_objective,
)
from .sample_quality import DigitClassifier, frechet_distance  # noqa: E402
from .samplers import AnnealedLangevinSampler, HMCSampler, LangevinSampler, MALASampler  # noqa: E402
from .score_models import NoiseConditionalScoreNet, ScoreModule  # noqa: E402
from .training import FitResult, fit, load_checkpoint, save_checkpoint  # noqa: E402

__all__ = [
    "AnnealedLangevinSampler", "ConditionedEnergy", "ContrastiveDivergence", "ConvEnergy",
    "DenoisingScoreMatching", "DensityEnergy", "DoubleWellEnergy", "EnergyModule", "FitResult",
    "FunctionEnergy", "GaussianEnergy", "GaussianMixtureEnergy", "HMCSampler", "LangevinSampler",
    "MALASampler", "MLPEnergy", "NoiseConditionalMLPEnergy", "NoiseContrastiveEstimation",
    "NonFiniteEnergyError", "RBMFreeEnergy", "ReplayBuffer", "RingsEnergy", "ScoreMatching",
    "SlicedScoreMatching",
    "SumEnergy", "TemperedEnergy", "TrainingDivergedError", "as_energy", "fit",
    "load_checkpoint", "make_generator", "make_objective", "product_of_experts",
    "save_checkpoint", "ConvImageEnergy", "NoiseConditionalScoreNet", "ScoreModule",
    "DigitClassifier", "frechet_distance",
]
