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

import math

import numpy as np
import torch
from torch import nn
from torch.nn.functional import softplus

from .._validation import (
    check_array,
    check_choice,
    check_positive_int,
    check_positive_scalar,
    check_probability,
)
from ._utils import NonFiniteEnergyError, TrainingDivergedError, randn
from .buffers import ReplayBuffer
from .samplers import energy_and_grad

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


class Objective(nn.Module):
    """Base class: ``forward(model, x, generator=None) -> (loss, info)``.

    Parameters
    ----------
    max_energy : float
        Energies above this in magnitude raise ``TrainingDivergedError``.
    """

    name = "objective"

    def __init__(self, max_energy: float = 1e4):
        super().__init__()
        self.max_energy = check_positive_scalar(max_energy, "max_energy")

    def _check(self, loss, *energies):
        if not bool(torch.isfinite(loss)):
            raise TrainingDivergedError(
                f"{self.name}: the loss became {float(loss)}; training diverged "
                "(lower the learning rate or the sampler step size, or raise the regulariser)"
            )
        for e in energies:
            big = float(e.detach().abs().max())
            if not big <= self.max_energy:
                raise TrainingDivergedError(
                    f"{self.name}: |energy| reached {big:.3g} > max_energy={self.max_energy:g}; "
                    "training diverged (energies blow up; raise the regulariser or lower lr)"
                )


def _flat(v):
    return v.reshape(v.shape[0], -1)


def _energy_grad(model, x, create_graph=True, energy_fn=None):
    xg = x.detach().requires_grad_(True)
    e = model(xg) if energy_fn is None else energy_fn(xg)
    (g,) = torch.autograd.grad(e.sum(), xg, create_graph=create_graph)
    return xg, e, g


class ContrastiveDivergence(Objective):
    """Contrastive divergence (CD-k) or persistent CD with short-run Langevin chains.

    Loss ``mean E(x+) - mean E(x-) + reg * mean(E(x+)^2 + E(x-)^2)``; negatives
    ``x-`` come from ``n_steps`` unadjusted Langevin steps started at the data
    (CD) or at replay-buffer states (``persistent=True``, 5% restarted from
    uniform noise on ``init_range``). ``clamp=(low, high)`` keeps the chains in a
    box (e.g. pixel range), ``grad_clamp=c`` limits each coordinate of the energy
    gradient in a Langevin step to ``[-c, c]`` and ``data_noise=s`` adds
    ``N(0, s^2)`` noise to the data batch (clamped to ``clamp`` too), as in the
    image-EBM recipes (Du & Mordatch 2019).

    Parameters
    ----------
    n_steps : int
        Langevin steps of the negative chains per update.
    step_size, noise_scale : float
        Langevin step and noise multiplier of the chains.
    reg : float
        Weight of the energy-magnitude regulariser ``E(x+)^2 + E(x-)^2``.
    persistent : bool
        Keep the chains in a replay buffer between updates (PCD).
    buffer_size : int
        Chains kept in the buffer.
    reinit_prob : float
        Fraction of chains restarted from noise at each draw.
    init_range : (float, float), optional
        Range of the uniform noise chains start from (default: the data's).
    clamp : (float, float), optional
        Clamp the chains to this range after each step.
    max_energy : float
        Divergence threshold on the energies.
    grad_clamp : float, optional
        Clamp every coordinate of ``grad E`` to ``[-grad_clamp, grad_clamp]`` in each
        Langevin step (default: no clamp), so one step moves a coordinate by at most
        ``step_size * grad_clamp`` plus the noise.
    data_noise : float, default 0
        Standard deviation of Gaussian noise added to each data batch before its
        energy is taken (smooths the data distribution of binary-like images).

    Examples
    --------
    >>> from boltz.deep.energies import MLPEnergy
    >>> cd = ContrastiveDivergence(n_steps=5, step_size=0.01, persistent=True)
    >>> loss, info = cd(MLPEnergy(2, hidden=(8,)), torch.randn(16, 2))
    >>> sorted(info)
    ['energy_neg', 'energy_pos']
    """

    name = "cd"

    def __init__(self, n_steps: int = 20, step_size: float = 0.01, noise_scale: float = 1.0,
                 reg: float = 0.1, persistent: bool = False, buffer_size: int = 10000,
                 reinit_prob: float = 0.05, init_range=None, clamp=None,
                 max_energy: float = 1e4, grad_clamp: float | None = None,
                 data_noise: float = 0.0):
        super().__init__(max_energy)
        self.n_steps = check_positive_int(n_steps, "n_steps")
        self.grad_clamp = None if grad_clamp is None else check_positive_scalar(
            grad_clamp, "grad_clamp")
        self.data_noise = check_positive_scalar(data_noise, "data_noise", allow_zero=True)
        self.clamp = None if clamp is None else tuple(
            float(v) for v in check_array(clamp, "clamp", shape=(2,)))
        self.step_size = check_positive_scalar(step_size, "step_size")
        self.noise_scale = check_positive_scalar(noise_scale, "noise_scale", allow_zero=True)
        self.reg = check_positive_scalar(reg, "reg", allow_zero=True)
        self.persistent = bool(persistent)
        self.buffer_size = check_positive_int(buffer_size, "buffer_size")
        self.reinit_prob = check_probability(reinit_prob, "reinit_prob")
        self.init_range = None if init_range is None else tuple(
            float(v) for v in check_array(init_range, "init_range", shape=(2,)))
        self.buffer: ReplayBuffer | None = None
        if self.persistent:
            self.name = "pcd"

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """A fresh persistent objective loads the replay buffer of a checkpoint: the
        buffer (a submodule, created lazily at the first batch) is created here first."""
        key = prefix + "buffer.states"
        if self.persistent and self.buffer is None and key in state_dict:
            states = state_dict[key]
            self.buffer = ReplayBuffer(states.shape[0], tuple(states.shape[1:]),
                                       reinit_prob=self.reinit_prob, dtype=states.dtype,
                                       device=states.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _start(self, x, generator):
        if not self.persistent:
            return None, x
        if self.buffer is None:
            lo, hi = self.init_range or (float(x.min()) - 0.5, float(x.max()) + 0.5)
            seed = None if generator is None else int(
                torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
            self.buffer = ReplayBuffer(self.buffer_size, tuple(x.shape[1:]), low=lo, high=hi,
                                       reinit_prob=self.reinit_prob, seed=seed,
                                       dtype=x.dtype, device=x.device)
        return self.buffer.draw(x.shape[0])

    def negatives(self, model, x, generator=None) -> torch.Tensor:
        """Negative samples for the batch ``x`` (updates the buffer when persistent).

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the chains' noise and, when persistent, the buffer's first states
            (default: torch's global generator).

        Returns
        -------
        torch.Tensor, shape (n, *event_shape)
            The chains' states after ``n_steps`` Langevin steps.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(2), torch.eye(2))
        >>> cd = ContrastiveDivergence(n_steps=3, step_size=0.1, persistent=True, buffer_size=50)
        >>> x_neg = cd.negatives(g, torch.zeros(8, 2, dtype=torch.float64),
        ...                      torch.Generator().manual_seed(0))
        >>> x_neg.shape, len(cd.buffer)
        (torch.Size([8, 2]), 50)
        """
        idx, xn = self._start(x, generator)
        noise = self.noise_scale * math.sqrt(2.0 * self.step_size)
        try:
            # k gradient evaluations for k steps: the final state's energy is checked by
            # the loss itself, so its gradient is never computed
            for t in range(self.n_steps):
                _, g = energy_and_grad(model, xn, step=t + 1)
                if self.grad_clamp is not None:
                    g = g.clamp_(-self.grad_clamp, self.grad_clamp)
                xn = xn - self.step_size * g + noise * randn(xn.shape, generator, xn)
                if self.clamp is not None:
                    xn = xn.clamp_(*self.clamp)
        except NonFiniteEnergyError as exc:
            raise TrainingDivergedError(f"{self.name}: negative-sample chains diverged: {exc}") \
                from exc
        if not bool(torch.isfinite(xn).all()):
            raise TrainingDivergedError(f"{self.name}: negative samples became non-finite")
        if idx is not None:
            self.buffer.update(idx, xn)
        return xn

    def forward(self, model, x, generator=None):
        """The CD loss of one batch (draws the negatives with :meth:`negatives`).

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the negative chains (default: torch's global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            ``energy_pos`` and ``energy_neg``: the mean energies of data and negatives.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> g = GaussianEnergy(torch.zeros(1), torch.eye(1), learnable=True)
        >>> cd = ContrastiveDivergence(n_steps=5, step_size=0.05, reg=0.0)
        >>> x = torch.ones(4, 1, dtype=torch.float64)
        >>> loss, info = cd(g, x, torch.Generator().manual_seed(0))
        >>> info["energy_pos"]
        0.5
        >>> bool(loss == info["energy_pos"] - info["energy_neg"])
        True
        """
        x_neg = self.negatives(model, x, generator)
        if self.data_noise:
            x = x + self.data_noise * randn(x.shape, generator, x)
            if self.clamp is not None:
                x = x.clamp(*self.clamp)
        e = model(torch.cat([x, x_neg], dim=0))
        e_pos, e_neg = e[: x.shape[0]], e[x.shape[0]:]
        loss = e_pos.mean() - e_neg.mean()
        if self.reg:
            loss = loss + self.reg * (e_pos.square().mean() + e_neg.square().mean())
        self._check(loss, e_pos, e_neg)
        return loss, {"energy_pos": float(e_pos.detach().mean()),
                      "energy_neg": float(e_neg.detach().mean())}


class ScoreMatching(Objective):
    """Exact (Hyvärinen 2005) score matching: ``mean(|grad E|^2 / 2 - tr Hess E)``.

    The Hessian trace costs one extra backward pass per input dimension, so
    this is meant for low-dimensional data.

    Parameters
    ----------
    max_energy : float
        Divergence threshold on the energies.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
    >>> x = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    >>> loss, _ = ScoreMatching()(model, x)   # mean(x^2 / 2 - 1) for N(0, 1)
    >>> loss.item()
    -0.5
    """

    name = "sm"

    def forward(self, model, x, generator=None):
        """The exact score-matching loss of one batch.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Unused (the loss is deterministic); accepted for the common signature.

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            Empty.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> model = GaussianEnergy([0.0], [[0.25]], learnable=True)   # precision 4
        >>> x = torch.tensor([[0.5]], dtype=torch.float64)
        >>> loss, info = ScoreMatching()(model, x)   # (4 * 0.5)^2 / 2 - 4
        >>> loss.item(), info
        (-2.0, {})
        >>> loss.backward()   # gradients for the optimiser
        >>> model.loc.grad is not None
        True
        """
        xg, e, g = _energy_grad(model, x)
        gf = _flat(g)
        trace = torch.zeros_like(e)
        for i in range(gf.shape[1]):
            (h,) = torch.autograd.grad(gf[:, i].sum(), xg, create_graph=True)
            trace = trace + _flat(h)[:, i]
        loss = (0.5 * gf.square().sum(1) - trace).mean()
        self._check(loss, e)
        return loss, {}


class DenoisingScoreMatching(Objective):
    """Denoising score matching (Vincent 2011) at one or several noise levels.

    With one ``sigma`` the model learns the score of the data convolved with
    ``N(0, sigma^2 I)``: loss ``mean |sigma s(x~) + z|^2 / 2`` with
    ``x~ = x + sigma z``. With several ``sigmas`` each sample gets a random
    level and the model must be noise-conditional (have ``energy_at(x, sigma)``,
    e.g. :class:`~boltz.deep.energies.NoiseConditionalMLPEnergy`); the loss is
    weighted by ``sigma^2`` (Song & Ermon 2019). With ``continuous=True`` the
    level is drawn log-uniformly between the smallest and largest ``sigma``
    (a continuum of levels, as the samplers of Song et al. 2021 and Karras et
    al. 2022 need).

    Parameters
    ----------
    sigma : float or array_like
        Noise level(s); several levels train a noise-conditional energy.
    max_energy : float
        Divergence threshold on the energies.
    continuous : bool, default False
        Draw ``log sigma`` uniformly on ``[log min(sigma), log max(sigma)]``
        instead of picking one of the listed levels (needs two distinct levels).
    log_normal : (float, float), optional
        With ``continuous``: draw ``log sigma`` from a normal with this mean and
        standard deviation instead, clipped to the range (the level distribution
        of Karras et al. 2022, which concentrates training where denoising is hard).

    Examples
    --------
    >>> from boltz.deep.energies import NoiseConditionalMLPEnergy
    >>> torch.manual_seed(0) and None
    >>> model = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.3, 0.1], hidden=(16,))
    >>> dsm = DenoisingScoreMatching(sigma=[1.0, 0.3, 0.1])
    >>> loss, _ = dsm(model, torch.randn(32, 2), torch.Generator().manual_seed(0))
    >>> dsm.sigmas, loss.shape
    ((1.0, 0.3, 0.1), torch.Size([]))
    """

    name = "dsm"

    def __init__(self, sigma=0.1, max_energy: float = 1e4, continuous: bool = False,
                 log_normal=None):
        super().__init__(max_energy)
        sig = np.atleast_1d(check_array(sigma, "sigma", ndim=(0, 1)))
        if np.any(sig <= 0):
            raise ValueError(f"sigma must be positive, got {sig.tolist()}")
        if not isinstance(continuous, (bool, np.bool_)):
            raise TypeError(f"continuous must be a bool, got {type(continuous).__name__}")
        if continuous and not sig.max() > sig.min():
            raise ValueError(f"continuous=True needs two distinct sigma levels, got {sig.tolist()}")
        self.sigmas = tuple(float(s) for s in sig)
        self.continuous = bool(continuous)
        self.log_normal = None
        if log_normal is not None:
            mean, std = (float(v) for v in check_array(log_normal, "log_normal", shape=(2,)))
            if not continuous or not std > 0:
                raise ValueError(f"log_normal needs continuous=True and a positive standard "
                                 f"deviation, got {log_normal!r}")
            self.log_normal = (mean, std)

    def forward(self, model, x, generator=None):
        """The denoising score-matching loss of one batch.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the noise added to the data and the levels drawn (default: torch's
            global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            Empty.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
        >>> x = torch.zeros(1000, 1, dtype=torch.float64)
        >>> dsm = DenoisingScoreMatching(sigma=0.5)
        >>> a, _ = dsm(model, x, torch.Generator().manual_seed(0))
        >>> b, _ = dsm(model, x, torch.Generator().manual_seed(0))
        >>> bool(a == b)   # same seed, same noise, same loss
        True
        >>> round(a.item(), 1)   # E|z - 0.25 z|^2 / 2 = 0.75^2 / 2
        0.3
        """
        n = x.shape[0]
        if len(self.sigmas) == 1:
            sigma = torch.full((n,), self.sigmas[0], dtype=x.dtype, device=x.device)
            energy_fn = None
        else:
            if not hasattr(model, "energy_at") and not hasattr(model, "score_at"):
                raise TypeError(
                    "several noise levels need a noise-conditional model with "
                    "energy_at(x, sigma), e.g. NoiseConditionalMLPEnergy, or a score "
                    "model with score_at(x, sigma)"
                )
            if self.continuous:
                lo, hi = np.log(min(self.sigmas)), np.log(max(self.sigmas))
                if self.log_normal is None:
                    u = torch.rand((n,), generator=generator, dtype=x.dtype, device=x.device)
                    sigma = torch.exp(lo + (hi - lo) * u)
                else:
                    g = randn((n,), generator, x)
                    mean, std = self.log_normal
                    sigma = torch.exp((mean + std * g).clamp(lo, hi))
            else:
                levels = torch.tensor(self.sigmas, dtype=x.dtype, device=x.device)
                pick = torch.randint(0, len(self.sigmas), (n,), generator=generator,
                                     device=x.device)
                sigma = levels[pick]

            def energy_fn(xx):
                return model.energy_at(xx, sigma)
        z = randn(x.shape, generator, x)
        s_shape = (n, *([1] * (x.ndim - 1)))
        x_noisy = x + sigma.reshape(s_shape) * z
        if hasattr(model, "score_at"):  # a score model (boltz.deep.score_models): no energy
            e, g = None, -model.score_at(x_noisy, sigma)
        else:
            _, e, g = _energy_grad(model, x_noisy, energy_fn=energy_fn)
        # score s = -g; residual sigma * s + z
        r = _flat(z - sigma.reshape(s_shape) * g)
        loss = 0.5 * r.square().sum(1).mean()
        self._check(loss, *(() if e is None else (e,)))
        return loss, {}


class SlicedScoreMatching(Objective):
    """Sliced score matching (Song et al. 2019) with random projections ``v``.

    ``variance_reduced=True`` (default) uses ``|s|^2 / 2 + v^T (grad s) v`` with
    Gaussian ``v`` (the SSM-VR form, exact expectation of the first term);
    otherwise ``(v^T s)^2 / 2 + v^T (grad s) v``.

    Parameters
    ----------
    n_projections : int
        Random projections per data point.
    variance_reduced : bool
        Use the variance-reduced estimator (the Gaussian projections' second
        moment computed exactly).
    max_energy : float
        Divergence threshold on the energies.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
    >>> x = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    >>> ssm = SlicedScoreMatching(n_projections=4000)
    >>> loss, _ = ssm(model, x, torch.Generator().manual_seed(0))
    >>> round(loss.item(), 1)   # exact score matching gives -0.5
    -0.5
    """

    name = "ssm"

    def __init__(self, n_projections: int = 1, variance_reduced: bool = True,
                 max_energy: float = 1e4):
        super().__init__(max_energy)
        self.n_projections = check_positive_int(n_projections, "n_projections")
        self.variance_reduced = bool(variance_reduced)

    def forward(self, model, x, generator=None):
        """The sliced score-matching loss of one batch.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the random projections (default: torch's global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            Empty.

        Examples
        --------
        >>> from boltz.deep.energies import MLPEnergy
        >>> torch.manual_seed(0) and None
        >>> loss, info = SlicedScoreMatching()(MLPEnergy(2, hidden=(8,)), torch.randn(16, 2))
        >>> loss.shape, info
        (torch.Size([]), {})
        """
        xg, e, g = _energy_grad(model, x)
        s = -g
        total = 0.0
        for _ in range(self.n_projections):
            v = randn(x.shape, generator, x)
            (hv,) = torch.autograd.grad((s * v).sum(), xg, create_graph=True)
            vhv = _flat(hv * v).sum(1)
            if self.variance_reduced:
                first = 0.5 * _flat(s).square().sum(1)
            else:
                first = 0.5 * _flat(s * v).sum(1).square()
            total = total + (first + vhv).mean()
        loss = total / self.n_projections
        self._check(loss, e)
        return loss, {}


class NoiseContrastiveEstimation(Objective):
    """Noise-contrastive estimation with a learned ``log Z`` (Gutmann & Hyvärinen 2010).

    The model's normalised log-density is ``-E(x) - log_z``; a logistic
    classifier with logit ``-E(x) - log_z - log p_n(x) - log nu`` separates the
    data from ``nu`` times as many noise samples. ``noise`` must be normalised
    (have ``log_partition`` and ``sample``); by default it is a Gaussian with the
    mean and ``noise_scale^2`` times the covariance of the first batch.

    Parameters
    ----------
    noise : Density or EnergyModule, optional
        The noise distribution (default: a Gaussian fitted to each batch, widened
        by ``noise_scale``).
    noise_ratio : float
        Noise samples per data sample.
    noise_scale : float
        Widening of the default noise.
    max_energy : float
        Divergence threshold on the energies.

    Examples
    --------
    >>> from boltz.deep.energies import GaussianEnergy
    >>> nce = NoiseContrastiveEstimation(noise=GaussianEnergy([0.0], [[4.0]]))
    >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
    >>> x = torch.randn(64, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> loss, info = nce(model, x, torch.Generator().manual_seed(1))
    >>> info   # the learned log Z starts at 0
    {'log_z': 0.0}
    >>> [name for name, _ in nce.named_parameters()]
    ['log_z']
    """

    name = "nce"

    def __init__(self, noise=None, noise_ratio: float = 1.0, noise_scale: float = 1.2,
                 max_energy: float = 1e4):
        super().__init__(max_energy)
        self.noise_ratio = check_positive_scalar(noise_ratio, "noise_ratio")
        self.noise_scale = check_positive_scalar(noise_scale, "noise_scale")
        if noise is not None and not (noise.has("sample") and noise.has("log_partition")):
            raise TypeError("noise must be a normalised energy with sample() and log_partition()")
        # kept out of the module tree: the state dict holds only the learned log Z
        self.__dict__["noise"] = noise
        self.log_z = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def _make_noise(self, x):
        from .energies import GaussianEnergy

        flat = _flat(x).detach().double().cpu().numpy()
        if flat.shape[0] < 2:
            raise ValueError("NCE needs at least two samples in the first batch to fit the noise")
        cov = np.atleast_2d(np.cov(flat.T)) * self.noise_scale**2
        cov = cov + 1e-6 * np.trace(cov) / len(cov) * np.eye(len(cov))
        return GaussianEnergy(flat.mean(0), cov)

    def forward(self, model, x, generator=None):
        """The NCE (logistic) loss of one batch against fresh noise samples.

        The first call without ``noise`` fits the default Gaussian noise to ``x``.

        Parameters
        ----------
        model : EnergyModule
            The energy being trained.
        x : torch.Tensor, shape (n, *event_shape)
            A batch of data, on the model's dtype and device.
        generator : torch.Generator, optional
            Seeds the noise samples (default: torch's global generator).

        Returns
        -------
        loss : torch.Tensor, shape ()
            The loss to minimise (differentiable in the model's parameters).
        info : dict of str to float
            ``log_z``: the current learned ``log Z``.

        Examples
        --------
        >>> from boltz.deep.energies import GaussianEnergy
        >>> model = GaussianEnergy([0.0], [[1.0]], learnable=True)
        >>> x = torch.randn(64, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        >>> nce = NoiseContrastiveEstimation()
        >>> loss, info = nce(model, x, torch.Generator().manual_seed(1))
        >>> round(float(nce.noise.cov[0, 0]) / x.var().item(), 2)   # noise_scale^2 = 1.44
        1.44
        >>> loss.item() > 0
        True
        """
        if self.noise is None:
            if x.ndim != 2:
                raise ValueError("the default NCE noise needs flat data (n, d); pass noise=")
            self.__dict__["noise"] = self._make_noise(x)
        n = x.shape[0]
        m = max(1, int(round(self.noise_ratio * n)))
        seed = None if generator is None else int(
            torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
        y = self.noise.sample(m, seed=seed).to(dtype=x.dtype, device=x.device)
        both = torch.cat([x, y], dim=0)
        log_noise = (-self.noise(both.to(self.noise.dtype).to(self.noise.device))
                     - self.noise.log_partition()).to(x.device)
        e = model(both)
        logit = (-e - self.log_z - math.log(self.noise_ratio)).double() - log_noise.double()
        loss = softplus(-logit[:n]).mean() + self.noise_ratio * softplus(logit[n:]).mean()
        self._check(loss, e)
        return loss, {"log_z": float(self.log_z.detach())}


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


