"""boltz: energy-based probabilistic models.

Every model is an unnormalized log-density ``log p~(x) = -E(x)``. The package
is organised one module per idea:

- :mod:`boltz.density`   the shared interface, products of experts, tempering
- :mod:`boltz.expfam`    exponential-family unit types (Bernoulli, spin, ...)
- :mod:`boltz.exact`     exact enumeration of small discrete models
- :mod:`boltz.gaussian`  multivariate Gaussian reference density
- :mod:`boltz.datasets`  MNIST and small binary images
- :mod:`boltz.samplers`  numba-jitted MCMC samplers
- :mod:`boltz.ising`     Ising lattices, pairwise MRFs, exact references
- :mod:`boltz.denoising` binary image denoising (exact MAP by min-cut)
- :mod:`boltz.rbm`       restricted Boltzmann machines
- :mod:`boltz.dbm`       deep belief nets and deep Boltzmann machines
- :mod:`boltz.deep`      PyTorch energy-based models (imports torch)
- :mod:`boltz.plotting`  matplotlib figures
- :mod:`boltz.distributed` torch.distributed communicators and Dask jobs

Submodules and the names below are imported lazily on first use, so
``import boltz`` stays fast and never imports torch or numba.
"""

from __future__ import annotations

import importlib

from ._version import __version__

_SUBMODULES = {
    "density", "expfam", "exact", "datasets", "samplers", "ising", "denoising",
    "rbm", "dbm", "deep", "plotting", "cli", "gaussian", "io", "diagnostics", "distributed",
}

# public name -> submodule that defines it
_LAZY = {
    "Density": "density",
    "DiscreteDensity": "density",
    "EnergyFunction": "density",
    "ProductOfExperts": "density",
    "Tempered": "density",
    "ExactDistribution": "exact",
    "MultivariateGaussian": "gaussian",
    "load_mnist": "datasets",
    "binary_image": "datasets",
    "IsingLattice": "ising",
    "PairwiseMRF": "ising",
    "BernoulliRBM": "rbm",
    "GaussianBernoulliRBM": "rbm",
    "CategoricalRBM": "rbm",
    "ais_log_partition": "rbm",
    "DenoisingPosterior": "denoising",
    "map_mincut": "denoising",
    "denoise": "denoising",
    "DeepBoltzmannMachine": "dbm",
    "DeepBeliefNet": "dbm",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'boltz' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_LAZY))
