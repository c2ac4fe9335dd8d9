"""Binary image denoising with Ising MRFs.

The posterior of a clean image ``x`` given a noisy one ``y`` (flip noise) is
an Ising model in a per-pixel field (:class:`DenoisingPosterior`). This
package restores images from it by

- exact MAP with one s–t minimum cut (:func:`map_mincut`, Greig et al. 1989),
- iterated conditional modes (:func:`icm`, Besag 1986),
- simulated annealing with Gibbs sweeps (:func:`anneal`),
- posterior marginals by Gibbs sampling or mean field (:func:`gibbs_marginals`,
  :func:`mean_field_marginals`), whose thresholded map is the MPM estimate,

and estimates the noise rate and coupling from the image itself
(:func:`estimate_parameters`). Every method returns a :class:`DenoiseResult`
holding the labelling and its energy; :func:`denoise` picks one by name.

Examples
--------
>>> from boltz.datasets import binary_image
>>> from boltz.denoising import DenoisingPosterior, add_flip_noise, map_mincut
>>> clean = binary_image("shapes", 64)
>>> noisy = add_flip_noise(clean, 0.1, seed=0)
>>> res = map_mincut(DenoisingPosterior.from_noise_rate(noisy, 0.1, beta=1.0))
>>> res.error_rate(clean) < 0.02
True
"""

from .anneal import anneal, geometric_schedule
from .estimate import (
    NoiseEstimate,
    estimate_noise_rate,
    estimate_parameters,
    fit_pseudo_likelihood,
)
from .icm import icm
from .imageio import binarize, otsu_threshold, read_binary_image, write_binary_image
from .marginals import gibbs_marginals, mean_field_marginals
from .mincut import SOLVERS, grid_graph, map_mincut, maxflow_bk, maxflow_scipy
from .neighbourhood import NEIGHBOURHOODS
from .noise import add_flip_noise, eta_from_noise_rate, noise_rate_from_eta
from .pipeline import METHODS, build_posterior, denoise
from .posterior import DenoisingPosterior
from .result import DenoiseResult

__all__ = [
    "NEIGHBOURHOODS",
    "SOLVERS",
    "DenoisingPosterior",
    "DenoiseResult",
    "add_flip_noise",
    "eta_from_noise_rate",
    "noise_rate_from_eta",
    "grid_graph",
    "map_mincut",
    "maxflow_bk",
    "maxflow_scipy",
    "icm",
    "anneal",
    "geometric_schedule",
    "gibbs_marginals",
    "mean_field_marginals",
    "NoiseEstimate",
    "estimate_noise_rate",
    "estimate_parameters",
    "fit_pseudo_likelihood",
    "read_binary_image",
    "write_binary_image",
    "otsu_threshold",
    "binarize",
    "denoise",
    "build_posterior",
    "METHODS",
]
