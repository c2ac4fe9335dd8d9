"""2D toy densities with exact (quadrature) log-densities: 8 Gaussians, two moons,
rings, checkerboard, swiss roll, pinwheel.

Each density is a generative recipe (a point on a curve or in a square,
plus isotropic Gaussian noise), so it has both an exact sampler and a
log-density that is exact up to the quadrature over the curve parameter
(midpoint rule with node spacing far below the noise scale). That makes the
grid KL of :mod:`boltz.deep.metrics` a true KL to the data density.

Examples
--------
>>> from boltz.deep.toy import make_toy
>>> toy = make_toy("two_moons")
>>> x = toy.sample(1000, seed=0)
>>> x.shape, bool(np.isfinite(toy.log_density(x)).all())
((1000, 2), True)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr, logsumexp

from .._validation import check_array, check_choice, check_positive_int, check_rng

__all__ = ["ToyDensity", "TOY_DENSITIES", "make_toy"]

BOUND = 4.5


class ToyDensity:
    """A 2D density: ``sample(n, seed)`` and exact ``log_density(x)``.

    Subclasses describe it as a mixture over ``components``: each component is
    a set of quadrature ``nodes`` (points of a curve, ``(m, 2)``) with log
    weights, blurred by ``N(0, noise^2 I)``; or override both methods.
    """

    name = "toy"
    bounds = (-BOUND, BOUND)

    def __init__(self, noise: float):
        self.noise = float(noise)

    # Curve mixtures ---------------------------------------------------------
    def _nodes(self):
        """Quadrature nodes ``(m, 2)`` and log weights ``(m,)`` (summing to 1)."""
        raise NotImplementedError

    def _draw_points(self, n, rng):
        """``n`` noise-free points drawn from the continuous curve measure."""
        raise NotImplementedError

    def sample(self, n: int, seed=None) -> np.ndarray:
        """``n`` exact samples, float64 ``(n, 2)``."""
        n = check_positive_int(n, "n")
        rng = check_rng(seed)
        return self._draw_points(n, rng) + self.noise * rng.standard_normal((n, 2))

    def log_density(self, x) -> np.ndarray:
        """Exact normalised log-density at ``x`` ``(n, 2)``."""
        x = check_array(x, "x", shape=(None, 2))
        nodes, logw = self._cache_nodes()
        s2 = self.noise**2
        out = np.empty(x.shape[0])
        chunk = max(1, 2_000_000 // len(nodes))
        for i in range(0, x.shape[0], chunk):
            xc = x[i:i + chunk]
            sq = ((xc[:, None, :] - nodes[None]) ** 2).sum(-1)
            out[i:i + chunk] = logsumexp(logw[None] - 0.5 * sq / s2, axis=1)
        return out - math.log(2 * math.pi * s2)

    def _cache_nodes(self):
        if not hasattr(self, "_node_cache"):
            self._node_cache = self._nodes()
        return self._node_cache

    def sampler(self, dtype=None):
        """A ``(n, torch.Generator) -> tensor`` data function for :func:`~boltz.deep.fit`."""
        import torch

        def draw(n, generator=None):
            seed = None if generator is None else int(
                torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
            return torch.as_tensor(self.sample(n, seed), dtype=dtype or torch.float32)
        return draw


def _uniform_nodes(fn, lo, hi, m):
    t = lo + (np.arange(m) + 0.5) * (hi - lo) / m
    return fn(t), np.full(m, -math.log(m))


def _stack(parts):
    nodes = np.concatenate([p[0] for p in parts])
    logw = np.concatenate([p[1] for p in parts])
    return nodes, logw - logsumexp(logw)


class EightGaussians(ToyDensity):
    """Eight Gaussians on a circle of radius 2.5, std ``noise``."""

    name = "eight_gaussians"

    def __init__(self, radius=2.5, noise=0.25):
        super().__init__(noise)
        ang = np.arange(8) * np.pi / 4
        self.centers = radius * np.stack([np.cos(ang), np.sin(ang)], 1)

    def _nodes(self):
        return self.centers, np.full(8, -math.log(8))

    def _draw_points(self, n, rng):
        return self.centers[rng.integers(0, 8, n)]


def _moon_upper(t):
    return np.stack([np.cos(t), np.sin(t)], 1)


def _moon_lower(t):
    return np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)


class TwoMoons(ToyDensity):
    """Two interleaving half circles (as in scikit-learn), scaled by 2, centred."""

    name = "two_moons"

    def __init__(self, scale=2.0, noise=0.2, m=1500):
        super().__init__(noise)
        self.scale, self.m = scale, m
        self.shift = np.array([0.5, 0.25])

    def _map(self, pts):
        return self.scale * (pts - self.shift)

    def _nodes(self):
        up = _uniform_nodes(lambda t: self._map(_moon_upper(t)), 0, np.pi, self.m)
        lo = _uniform_nodes(lambda t: self._map(_moon_lower(t)), 0, np.pi, self.m)
        return _stack([up, lo])

    def _draw_points(self, n, rng):
        t = rng.uniform(0, np.pi, n)
        which = rng.integers(0, 2, n).astype(bool)
        pts = np.where(which[:, None], _moon_upper(t), _moon_lower(t))
        return self._map(pts)


class Rings(ToyDensity):
    """Three concentric circles (radii 1, 2, 3, equal weights)."""

    name = "rings"

    def __init__(self, radii=(1.0, 2.0, 3.0), noise=0.15, m=1500):
        super().__init__(noise)
        self.radii, self.m = tuple(radii), m

    def _nodes(self):
        parts = [_uniform_nodes(lambda t, r=r: r * np.stack([np.cos(t), np.sin(t)], 1),
                                0, 2 * np.pi, self.m) for r in self.radii]
        return _stack(parts)

    def _draw_points(self, n, rng):
        r = np.asarray(self.radii)[rng.integers(0, len(self.radii), n)]
        t = rng.uniform(0, 2 * np.pi, n)
        return r[:, None] * np.stack([np.cos(t), np.sin(t)], 1)


class Checkerboard(ToyDensity):
    """Uniform on the 8 dark squares of a 4x4 board on ``[-3, 3]^2``, plus noise.

    The log-density is closed form: each square contributes a product of
    normal-CDF differences.
    """

    name = "checkerboard"

    def __init__(self, half=3.0, noise=0.15):
        super().__init__(noise)
        self.edges = np.linspace(-half, half, 5)
        self.cells = [(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == 0]
        self.side = self.edges[1] - self.edges[0]

    def _draw_points(self, n, rng):
        k = rng.integers(0, len(self.cells), n)
        ij = np.asarray(self.cells)[k]
        u = rng.uniform(0, 1, (n, 2))
        return self.edges[ij] + self.side * u

    def log_density(self, x):
        x = check_array(x, "x", shape=(None, 2))
        s = self.noise
        terms = []
        for i, j in self.cells:
            lp = 0.0
            for axis, c in ((0, i), (1, j)):
                a = (x[:, axis] - self.edges[c + 1]) / s
                b = (x[:, axis] - self.edges[c]) / s
                lp = lp + _log_ndtr_diff(a, b)
            terms.append(lp)
        log_mass = logsumexp(np.stack(terms, 1), axis=1)
        return log_mass - math.log(len(self.cells)) - 2 * math.log(self.side)


def _log_ndtr_diff(a, b):
    """``log(Phi(b) - Phi(a))`` for ``b > a`` (= side / noise > 0), stable in both tails."""
    upper = a > 0  # both in the upper tail: use Phi(-a) - Phi(-b)
    hi = np.where(upper, log_ndtr(-a), log_ndtr(b))
    lo = np.where(upper, log_ndtr(-b), log_ndtr(a))
    return hi + np.log1p(-np.exp(lo - hi))


class SwissRoll(ToyDensity):
    """2D swiss roll ``t (cos t, sin t) / 4.04``, ``t ~ U[1.5 pi, 4.5 pi]``."""

    name = "swiss_roll"

    def __init__(self, noise=0.15, m=3000):
        super().__init__(noise)
        self.m = m
        self.div = 4.5 * np.pi / 3.5

    def _curve(self, t):
        return t[:, None] * np.stack([np.cos(t), np.sin(t)], 1) / self.div

    def _nodes(self):
        return _uniform_nodes(self._curve, 1.5 * np.pi, 4.5 * np.pi, self.m)

    def _draw_points(self, n, rng):
        return self._curve(rng.uniform(1.5 * np.pi, 4.5 * np.pi, n))


class Pinwheel(ToyDensity):
    """Five curved arms: ``r (cos(a_k + 0.5 r), sin(a_k + 0.5 r))`` with ``r ~ U[0.5, 3.5]``."""

    name = "pinwheel"

    def __init__(self, arms=5, twist=0.5, noise=0.15, m=1000):
        super().__init__(noise)
        self.angles = 2 * np.pi * np.arange(arms) / arms
        self.twist, self.m = twist, m

    def _arm(self, r, a):
        phi = a + self.twist * r
        return r[:, None] * np.stack([np.cos(phi), np.sin(phi)], 1)

    def _nodes(self):
        return _stack([_uniform_nodes(lambda r, a=a: self._arm(r, a), 0.5, 3.5, self.m)
                       for a in self.angles])

    def _draw_points(self, n, rng):
        r = rng.uniform(0.5, 3.5, n)
        a = self.angles[rng.integers(0, len(self.angles), n)]
        phi = a + self.twist * r
        return r[:, None] * np.stack([np.cos(phi), np.sin(phi)], 1)


TOY_DENSITIES = {
    cls.name: cls
    for cls in (EightGaussians, TwoMoons, Rings, Checkerboard, SwissRoll, Pinwheel)
}


def make_toy(name: str, **kwargs) -> ToyDensity:
    """A toy density by name (one of :data:`TOY_DENSITIES`).

    Parameters
    ----------
    name : str
        One of ``eight_gaussians``, ``two_moons``, ``rings``, ``checkerboard``,
        ``swiss_roll``, ``pinwheel``.
    **kwargs
        Passed to the density's constructor.

    Returns
    -------
    ToyDensity
        With ``sample``, ``sampler()``, an exact ``log_density`` and ``bounds``.

    Examples
    --------
    >>> toy = make_toy("two_moons")
    >>> tuple(toy.sample(5, seed=0).shape)
    (5, 2)
    """
    check_choice(name, "density", TOY_DENSITIES)
    return TOY_DENSITIES[name](**kwargs)


def score_pitfall(n_chains: int = 10000, seed=0, langevin_steps: int = 1000,
                  langevin_step_size: float = 0.1, sigmas=None, steps_per_level: int = 100,
                  relative_step: float = 0.3, progress: bool = False):
    """The known failure of score-driven Langevin on a mixture with unequal weights.

    Target ``0.2 N((-5,-5), I) + 0.8 N((5,5), I)``; chains start uniform on
    ``[-8, 8]^2``. Plain Langevin with the exact score keeps each chain in the
    basin it starts in, so about half the samples land in each mode; annealed
    Langevin through the exactly perturbed mixtures (noise ``sigmas`` from 20
    down) mixes at high noise and recovers the 0.2/0.8 weights (Song & Ermon
    2019, Sec. 3.2). Returns the fraction of samples in the heavier mode for
    both samplers. ``relative_step`` is ``alpha_i / sigma_i^2`` of the annealed run.

    Parameters
    ----------
    n_chains : int
        Independent chains per sampler.
    seed : int or torch.Generator
        Seed of the start points and the noise.
    langevin_steps, langevin_step_size : int, float
        Length and step size of the plain Langevin run.
    sigmas : array_like, optional
        Noise levels of the annealed run (default: 12 from 20 down to 0.1).
    steps_per_level : int
        Annealed Langevin steps per noise level.
    relative_step : float
        ``alpha_i / sigma_i^2`` of the annealed run.
    progress : bool
        Show a progress bar for each sampler.

    Returns
    -------
    dict
        ``langevin_fraction`` and ``annealed_fraction``: the fraction of
        samples in the heavier mode (the exact answer is 0.8).

    Examples
    --------
    >>> out = score_pitfall(n_chains=200, langevin_steps=50, steps_per_level=10)
    >>> sorted(out)
    ['annealed_fraction', 'langevin_fraction']
    """
    import torch

    from ._utils import make_generator
    from .energies import GaussianMixtureEnergy
    from .samplers import AnnealedLangevinSampler, LangevinSampler

    mix = GaussianMixtureEnergy([[-5.0, -5.0], [5.0, 5.0]], scales=1.0, weights=[0.2, 0.8])
    gen = make_generator(seed)
    x0 = torch.rand((n_chains, 2), generator=gen, dtype=torch.float64) * 16.0 - 8.0
    x_lang = LangevinSampler(mix, step_size=langevin_step_size).sample(
        x0, langevin_steps, seed=gen, progress=progress)
    if sigmas is None:
        sigmas = np.geomspace(20.0, 0.1, 12)
    x_ann = AnnealedLangevinSampler(mix, sigmas, steps_per_level=steps_per_level,
                                    step_scale=relative_step * float(sigmas[-1]) ** 2,
                                    ).sample(x0, seed=gen, progress=progress)

    def heavy(x):  # nearer to (5, 5) than to (-5, -5)
        return float((x.sum(1) > 0).double().mean())

    return {"langevin_fraction": heavy(x_lang), "annealed_fraction": heavy(x_ann)}
