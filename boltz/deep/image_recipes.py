"""Ready-made settings for training image models on MNIST within a time budget.

Used by ``demos/mnist_score.py``, ``demos/mnist_ebm.py`` and
``benchmarks/ebm_images.py`` so that all three train the same way. Training
runs :func:`boltz.deep.training.fit` in chunks with one optimizer until the
wall-clock budget (or a step limit) is reached.

Examples
--------
>>> import torch
>>> from boltz.deep.score_models import NoiseConditionalScoreNet
>>> x = torch.rand(32, 1, 8, 8)
>>> model, res = train_score_model(x, seconds=60, max_steps=2, size=8, width=4, seed=0)
>>> res["n_steps"]
2
"""

from __future__ import annotations

import time

import torch

from .._validation import check_array, check_positive_int, check_positive_scalar
from ._utils import resolve_device, seeded_global_rng
from .objectives import ContrastiveDivergence, DenoisingScoreMatching
from .score_models import NoiseConditionalScoreNet, geometric_sigmas
from .score_sampling import inpaint, sample_probability_flow
from .training import fit

__all__ = ["SCORE_SETTINGS", "EBM_SETTINGS", "fit_for", "train_score_model",
           "sample_score_model", "inpaint_score_model", "train_conv_ebm", "mnist_images", "resize"]

#: Noise-conditional score model on a continuum of levels (``log sigma`` normal with mean
#: ``level_log_mean`` and deviation ``level_log_std``, clipped to ``[sigma_min, sigma_max]``,
#: as Karras et al. 2022; ``level_log_std`` 0 draws ``log sigma`` uniformly), on 28x28
#: digits with 2x2 pixel blocks folded into channels (``patch``: the U-Net runs at 14x14,
#: a quarter of the compute, yet no pixel is lost) and the denoiser parameterised as
#: Karras et al. (``skip``, trained with their level weight). Sampled by Heun on the
#: probability-flow ODE (Karras et al. 2022) in ``sample_steps`` levels, weights averaged
#: with decay ``ema`` (Song & Ermon 2020). Measured (Frechet distance on the classifier's
#: features, 1 thread): at 14x14 after 4400 updates on 1000 samples, uniform levels scored
#: 313.3; normal levels (-1.2, 1.2) 238.5, with learning rate 2e-3 218.5; (-0.6, 1.0)
#: 204.8, with 2e-3 187.7; (-0.2, 0.8) with 2e-3 183.3; width 32 365.4 after the same CPU
#: time. On 2000 samples after 4400 updates: 14x14 186.15, with ``skip`` 177.53; 28x28
#: with ``patch`` 2 179.42, with ``skip`` too 152.01 (these settings; levels (-0.6, 1.0)
#: 162.21). Digits at 14x14 cannot score below 45.97, the floor of training digits sent
#: down to 14x14 and back. ``sigma_max`` 8 is above the largest distance between two 14x14
#: training digits (7.37 over 2000 digits). Ten discrete levels from 1 to 0.01 with
#: annealed Langevin (Song & Ermon 2019) scored 385-495 after 700 updates, where
#: uniform-noise starts never left the blob stage.
SCORE_SETTINGS = {"size": 28, "patch": 2, "skip": True, "sigma_max": 8.0, "sigma_min": 0.01,
                  "width": 16, "level_log_mean": -0.2, "level_log_std": 0.8,
                  "batch_size": 64, "lr": 2e-3, "ema": 0.999, "sample_steps": 18,
                  "inpaint_levels": 100, "inpaint_steps_per_level": 3,
                  "inpaint_step_ratio": 0.5}

#: Conv EBM with persistent short-run Langevin and a replay buffer (Du & Mordatch 2019; the
#: UvA deep-learning tutorial 8): pixel range [0, 1], chains clamped to it, 5% restarted
#: from uniform noise per draw; Langevin step 10 on the energy gradient with each
#: coordinate of the gradient clamped to [-0.03, 0.03] (at most 0.3 per step) and noise
#: std 0.005; data with N(0, 0.005^2) noise; energy penalty 0.1; Adam betas (0, 0.999),
#: no gradient clipping. Measured on the busy 2-core machine (Fréchet distance on the
#: classifier's features, 1000 samples): the old settings (no clamp) scored 358 after 12
#: minutes; with the clamp, 4-minute runs scored 363 for 10 Langevin steps per update
#: against 365 for 20 steps at twice the cost, 383 for lr 1e-3 and 384 for an 8192-chain
#: buffer; 20 minutes of these settings scored 224 (10000 samples, 10000-chain buffer) and
#: 194 with lr 1e-3 (1000 samples), with recognisable digits among the samples.
EBM_SETTINGS = {"size": 14, "width": 16, "batch_size": 64, "lr": 5e-4, "langevin_steps": 10,
                "step_size": 10.0, "noise": 0.005, "reg": 0.1, "reinit_prob": 0.05,
                "buffer_size": 2000, "grad_clip": None, "grad_clamp": 0.03, "data_noise": 0.005,
                "beta1": 0.0}


def mnist_images(split: str = "train", n: int | None = None) -> torch.Tensor:
    """MNIST images as a float32 tensor ``(n, 1, 28, 28)`` in [0, 1].

    Parameters
    ----------
    split : {"train", "test"}
        Which set.
    n : int, optional
        Keep the first ``n`` images.

    Returns
    -------
    torch.Tensor
        The images.

    Examples
    --------
    >>> mnist_images("test", 5).shape  # doctest: +SKIP
    torch.Size([5, 1, 28, 28])
    """
    from ..datasets import load_mnist

    x, _ = load_mnist(split, flatten=False)
    x = torch.as_tensor(x).unsqueeze(1)
    return x if n is None else x[: check_positive_int(n, "n")]


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Images ``(n, c, h, w)`` resized to ``size x size``: area averaging down, nearest up.

    Nearest-neighbour upsampling (each pixel repeated) was chosen by measurement:
    1000 training digits taken to 14x14 and back scored a Fréchet distance of
    52.5 to the test set with it, 79.0 with bicubic and 184.8 with bilinear
    upsampling (11.1 untouched), on the features of
    :mod:`boltz.deep.sample_quality`.

    Parameters
    ----------
    images : torch.Tensor, shape (n, c, h, w)
        Images.
    size : int
        New side.

    Returns
    -------
    torch.Tensor
        ``(n, c, size, size)``; ``images`` itself when the size already matches.

    Examples
    --------
    >>> resize(torch.ones(2, 1, 28, 28), 14).shape
    torch.Size([2, 1, 14, 14])
    """
    size = check_positive_int(size, "size")
    if images.ndim != 4:
        raise ValueError(f"images must be (n, c, h, w), got {tuple(images.shape)}")
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    mode = "area" if size < images.shape[-1] else "nearest"
    return torch.nn.functional.interpolate(images, size=(size, size), mode=mode)


def fit_for(model, objective, data, *, seconds: float, max_steps: int | None = None,
            chunk: int = 50, seed: int = 0, lr: float = 1e-3, optimizer=None,
            progress: bool = False, betas=(0.9, 0.999), **fit_kwargs) -> dict:
    """Run :func:`~boltz.deep.training.fit` in chunks until ``seconds`` of wall time pass.

    Parameters
    ----------
    model : torch.nn.Module
        The model (energy or score model).
    objective : Objective
        The training objective.
    data : torch.Tensor
        Training data.
    seconds : float
        Wall-clock budget; the chunk running when it runs out is finished.
    max_steps : int, optional
        Stop after this many updates at the latest.
    chunk : int, default 50
        Updates per call of ``fit`` (the budget is checked between chunks).
    seed : int, default 0
        Chunk ``k`` is seeded with ``seed + k`` (different minibatches each chunk).
    lr : float, default 1e-3
        Adam learning rate (one optimizer for all chunks).
    optimizer : torch.optim.Optimizer, optional
        Use this optimizer instead (``lr`` is then ignored).
    progress : bool, default False
        Print one line per chunk.
    betas : (float, float), default (0.9, 0.999)
        Adam's moment decay rates (the EBM recipe uses ``(0, 0.999)``).
    **fit_kwargs
        Passed to ``fit`` (``batch_size``, ``grad_clip``, ``on_divergence``, ...).

    Returns
    -------
    dict
        ``n_steps``, ``seconds``, ``losses`` (list), ``diverged`` and ``message``.

    Examples
    --------
    >>> from boltz.deep import DenoisingScoreMatching, MLPEnergy
    >>> r = fit_for(MLPEnergy(1, hidden=(4,)), DenoisingScoreMatching(0.5), torch.randn(64, 1),
    ...             seconds=10, max_steps=5, chunk=2)
    >>> r["n_steps"]
    5
    """
    seconds = check_positive_scalar(seconds, "seconds")
    chunk = check_positive_int(chunk, "chunk")
    if max_steps is not None:
        max_steps = check_positive_int(max_steps, "max_steps")
    params = [p for p in list(model.parameters()) + list(objective.parameters())
              if p.requires_grad]
    betas = _check_betas(betas)
    opt = torch.optim.Adam(params, lr=lr, betas=betas) if optimizer is None else optimizer
    t0 = time.perf_counter()
    out = {"n_steps": 0, "seconds": 0.0, "losses": [], "diverged": False, "message": ""}
    k = 0
    while time.perf_counter() - t0 < seconds:
        n = chunk if max_steps is None else min(chunk, max_steps - out["n_steps"])
        if n <= 0:
            break
        res = fit(model, objective, data, n_steps=n, lr=lr, optimizer=opt, seed=seed + k,
                  progress=False, **fit_kwargs)
        k += 1
        out["n_steps"] += res.n_steps
        out["losses"] += res.losses
        out["seconds"] = time.perf_counter() - t0
        if progress:
            recent = res.losses[-min(len(res.losses), chunk):]
            print(f"  {out['n_steps']} updates, {out['seconds']:.0f}s, "
                  f"loss {sum(recent) / max(len(recent), 1):.4g}", flush=True)
        if res.diverged:
            out["diverged"], out["message"] = True, res.message
            break
    return out


def train_score_model(images, *, seconds: float = 1200.0, max_steps: int | None = None,
                      seed: int = 0, device=None, progress: bool = False, **overrides):
    """Train a :class:`~boltz.deep.score_models.NoiseConditionalScoreNet` by DSM on a continuum.

    Parameters
    ----------
    images : torch.Tensor, shape (n, 1, h, w)
        Training images in [0, 1] (resized to the setting's ``size``).
    seconds : float, default 1200
        Wall-clock training budget.
    max_steps : int, optional
        Update limit.
    seed : int, default 0
        Seed of the initial weights and of training.
    device : str or torch.device, optional
        Where to train.
    progress : bool, default False
        Print progress lines.
    **overrides
        Entries of :data:`SCORE_SETTINGS` to change.

    Returns
    -------
    model : NoiseConditionalScoreNet
        The exponential moving average of the trained weights (in eval mode).
    result : dict
        :func:`fit_for`'s result plus ``settings``.

    Examples
    --------
    >>> m, r = train_score_model(torch.rand(16, 1, 28, 28), seconds=30, max_steps=1, size=8,
    ...                          width=4)
    >>> r["n_steps"], m.event_shape
    (1, (1, 8, 8))
    """
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    cfg = _settings(SCORE_SETTINGS, overrides)
    with seeded_global_rng(seed):                # the initial weights
        model = NoiseConditionalScoreNet(channels=1, size=cfg["size"], width=cfg["width"],
                                         skip=bool(cfg["skip"]), patch=cfg["patch"])
    if device is not None:
        model = model.to(resolve_device(device))
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg["ema"]))
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    opt.register_step_post_hook(lambda *_: ema.update_parameters(model))
    log_normal = ((cfg["level_log_mean"], cfg["level_log_std"]) if cfg["level_log_std"] > 0
                  else None)
    dsm = DenoisingScoreMatching([cfg["sigma_max"], cfg["sigma_min"]], continuous=True,
                                 log_normal=log_normal,
                                 sigma_data=model.sigma_data if cfg["skip"] else None)
    res = fit_for(model, dsm, resize(images, cfg["size"]), seconds=seconds,
                  max_steps=max_steps, seed=seed, optimizer=opt, progress=progress,
                  batch_size=cfg["batch_size"], device=device)
    return ema.module.eval(), {**res, "settings": cfg}


def sample_score_model(model, n: int, settings: dict | None = None, *, seed=None,
                       batch_size: int = 500) -> torch.Tensor:
    """``n`` samples of a score model trained by :func:`train_score_model`, in [0, 1].

    Heun on the probability-flow ODE from ``sigma_max`` down to 0 in the
    settings' ``sample_steps`` levels (:func:`~boltz.deep.score_sampling.sample_probability_flow`).

    Parameters
    ----------
    model : ScoreModule
        The trained model.
    n : int
        Samples.
    settings : dict, optional
        The recipe's settings (default :data:`SCORE_SETTINGS`).
    seed : int, torch.Generator or None
        Random seed.
    batch_size : int, default 500
        Chains integrated together.

    Returns
    -------
    torch.Tensor, shape (n, 1, size, size)
        The samples, on the model's device.

    Examples
    --------
    >>> m, r = train_score_model(torch.rand(16, 1, 28, 28), seconds=30, max_steps=1, size=8,
    ...                          width=4)
    >>> sample_score_model(m, 3, r["settings"], seed=0).shape
    torch.Size([3, 1, 8, 8])
    """
    cfg = {**SCORE_SETTINGS, **(settings or {})}
    return sample_probability_flow(model, n, sigma_max=cfg["sigma_max"],
                                   sigma_min=cfg["sigma_min"], n_steps=cfg["sample_steps"],
                                   seed=seed, batch_size=batch_size)


def inpaint_score_model(model, images, mask, settings: dict | None = None, *, seed=None):
    """Fill in the pixels outside ``mask`` with a score model trained by :func:`train_score_model`.

    Annealed Langevin over the settings' ``inpaint_levels`` geometric levels
    (:func:`~boltz.deep.score_sampling.inpaint`) with the step
    ``inpaint_step_ratio sigma_i^2`` at level ``sigma_i`` (0.5: inside the
    stability bound ``2 sigma_i^2`` of Langevin in the noise directions, where the
    perturbed density is about ``N(x, sigma_i^2)``).

    Parameters
    ----------
    model : ScoreModule
        The trained model.
    images : torch.Tensor, shape (n, 1, size, size)
        Images whose pixels in ``mask`` are known.
    mask : torch.Tensor of bool
        True where the pixel is known.
    settings : dict, optional
        The recipe's settings (default :data:`SCORE_SETTINGS`).
    seed : int, torch.Generator or None
        Random seed.

    Returns
    -------
    torch.Tensor
        The completed images in [0, 1].

    Examples
    --------
    >>> m, r = train_score_model(torch.rand(16, 1, 28, 28), seconds=30, max_steps=1, size=8,
    ...                          width=4)
    >>> mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool); mask[..., :4, :] = True
    >>> inpaint_score_model(m, torch.rand(2, 1, 8, 8), mask, {**r["settings"],
    ...                     "inpaint_levels": 3, "inpaint_steps_per_level": 1}, seed=0).shape
    torch.Size([2, 1, 8, 8])
    """
    cfg = {**SCORE_SETTINGS, **(settings or {})}
    sigmas = geometric_sigmas(cfg["sigma_max"], cfg["sigma_min"], cfg["inpaint_levels"])
    # the sampler's step is step_scale sigma_i^2 / sigma_min^2 = inpaint_step_ratio sigma_i^2
    return inpaint(model, images, mask, sigmas, steps_per_level=cfg["inpaint_steps_per_level"],
                   step_scale=cfg["inpaint_step_ratio"] * cfg["sigma_min"] ** 2, seed=seed)


def train_conv_ebm(images, *, seconds: float = 1200.0, max_steps: int | None = None,
                   seed: int = 0, device=None, progress: bool = False, **overrides):
    """Train a conv energy by persistent short-run Langevin with a replay buffer.

    Parameters
    ----------
    images : torch.Tensor, shape (n, 1, h, w)
        Training images in [0, 1] (resized to the setting's ``size``).
    seconds : float, default 1200
        Wall-clock training budget.
    max_steps : int, optional
        Update limit.
    seed : int, default 0
        Seed of the initial weights and of training.
    device : str or torch.device, optional
        Where to train.
    progress : bool, default False
        Print progress lines.
    **overrides
        Entries of :data:`EBM_SETTINGS` to change.

    Returns
    -------
    model : EnergyModule
        The trained energy (in eval mode).
    objective : ContrastiveDivergence
        The persistent objective (its ``buffer`` holds the chains).
    result : dict
        :func:`fit_for`'s result plus ``settings``.

    Examples
    --------
    >>> m, pcd, r = train_conv_ebm(torch.rand(16, 1, 28, 28), seconds=30, max_steps=1,
    ...                            width=4, langevin_steps=2, buffer_size=32)
    >>> pcd.buffer.states.shape
    torch.Size([32, 1, 14, 14])
    """
    from .image_energies import ConvImageEnergy

    cfg = _settings(EBM_SETTINGS, overrides)
    with seeded_global_rng(seed):                # the initial weights
        model = ConvImageEnergy(size=cfg["size"], width=cfg["width"])
    step = cfg["step_size"]
    pcd = ContrastiveDivergence(
        n_steps=cfg["langevin_steps"], step_size=step,
        noise_scale=cfg["noise"] / (2.0 * step) ** 0.5,  # noise std per step = cfg["noise"]
        reg=cfg["reg"], persistent=True, buffer_size=cfg["buffer_size"],
        reinit_prob=cfg["reinit_prob"], init_range=(0.0, 1.0), clamp=(0.0, 1.0),
        grad_clamp=cfg["grad_clamp"], data_noise=cfg["data_noise"])
    res = fit_for(model, pcd, resize(images, cfg["size"]), seconds=seconds,
                  max_steps=max_steps, seed=seed, lr=cfg["lr"], progress=progress,
                  betas=(cfg["beta1"], 0.999),
                  batch_size=cfg["batch_size"], grad_clip=cfg["grad_clip"], device=device,
                  on_divergence="stop")
    model.eval()
    return model, pcd, {**res, "settings": cfg}


def _check_betas(betas) -> tuple:
    b = tuple(float(v) for v in check_array(betas, "betas", shape=(2,)))
    if not all(0.0 <= v < 1.0 for v in b):
        raise ValueError(f"betas must be two numbers in [0, 1), got {list(b)}")
    return b


def _settings(defaults, overrides):
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}; expected some of {sorted(defaults)}")
    return {**defaults, **overrides}
