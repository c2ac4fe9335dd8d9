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

from .._validation import check_positive_int, check_positive_scalar
from ._utils import seeded_global_rng
from .objectives import ContrastiveDivergence, DenoisingScoreMatching
from .score_models import NoiseConditionalScoreNet, geometric_sigmas
from .training import fit

__all__ = ["SCORE_SETTINGS", "EBM_SETTINGS", "fit_for", "train_score_model", "train_conv_ebm",
           "mnist_images", "resize"]

#: Noise-conditional score model: schedule, network and optimiser (Song & Ermon 2019 on MNIST
#: use 10 levels from 1 to 0.01; the step scale is for 10 Langevin steps per level: 6e-4
#: scored a Fréchet distance of 385 against 495 for 2e-4 after 700 updates). ``size``:
#: the models train on digits area-downsampled to ``size x size`` (14: a quarter of the
#: compute of 28, for the 2-core CPU budget); :func:`resize` brings samples back to 28.
SCORE_SETTINGS = {"size": 14, "sigma_max": 1.0, "sigma_min": 0.01, "n_levels": 10, "width": 16,
                  "batch_size": 64, "lr": 1e-3, "steps_per_level": 10, "step_scale": 6e-4}

#: Conv EBM with persistent short-run Langevin and a replay buffer (Du & Mordatch 2019):
#: pixel range [0, 1], chains clamped to it, 5% restarted from uniform noise per draw, the
#: step (10) and noise (std 0.005) of Du & Mordatch, energy penalty 1, gradient clip 1.
#: Width 8, batch 32, 10 steps per update and a 2000-chain buffer (each chain revisited
#: about every 60 updates) fit the CPU budget: width 16, batch 64, 20 steps ran > 5 s per
#: update on the busy 2-core machine, against 0.54 s for these settings.
EBM_SETTINGS = {"size": 14, "width": 8, "batch_size": 32, "lr": 3e-4, "langevin_steps": 10,
                "step_size": 10.0, "noise": 0.005, "reg": 1.0, "reinit_prob": 0.05,
                "buffer_size": 2000, "grad_clip": 1.0}


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
            progress: bool = False, **fit_kwargs) -> dict:
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
    opt = torch.optim.Adam(params, lr=lr) if optimizer is None else optimizer
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
    """Train a :class:`~boltz.deep.score_models.NoiseConditionalScoreNet` by multi-level DSM.

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
        The trained model (in eval mode).
    result : dict
        :func:`fit_for`'s result plus ``sigmas`` and ``settings``.

    Examples
    --------
    >>> m, r = train_score_model(torch.rand(16, 1, 28, 28), seconds=30, max_steps=1, size=8,
    ...                          width=4)
    >>> len(r["sigmas"])
    10
    """
    cfg = _settings(SCORE_SETTINGS, overrides)
    sigmas = geometric_sigmas(cfg["sigma_max"], cfg["sigma_min"], cfg["n_levels"])
    with seeded_global_rng(seed):                # the initial weights
        model = NoiseConditionalScoreNet(channels=1, size=cfg["size"], width=cfg["width"])
    res = fit_for(model, DenoisingScoreMatching(sigmas), resize(images, cfg["size"]),
                  seconds=seconds,
                  max_steps=max_steps, seed=seed, lr=cfg["lr"], progress=progress,
                  batch_size=cfg["batch_size"], device=device)
    model.eval()
    return model, {**res, "sigmas": sigmas, "settings": cfg}


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
        reinit_prob=cfg["reinit_prob"], init_range=(0.0, 1.0), clamp=(0.0, 1.0))
    res = fit_for(model, pcd, resize(images, cfg["size"]), seconds=seconds,
                  max_steps=max_steps, seed=seed, lr=cfg["lr"], progress=progress,
                  batch_size=cfg["batch_size"], grad_clip=cfg["grad_clip"], device=device,
                  on_divergence="stop")
    model.eval()
    return model, pcd, {**res, "settings": cfg}


def _settings(defaults, overrides):
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}; expected some of {sorted(defaults)}")
    return {**defaults, **overrides}
