"""Sample quality of generated MNIST digits: Fréchet distance and class histogram.

A small CNN classifier (:class:`DigitClassifier`) is trained once on the MNIST
training set and cached (its state dict under ``<cache>/digit_classifier/<hash>.pt``,
the hash taken over the training configuration, loaded with
``weights_only=True``). Samples are then scored on its penultimate features:

- :func:`frechet_distance`: ``|mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2)``
  between the Gaussians fitted to two feature sets (Heusel et al. 2017, "FID",
  here on the features of an MNIST classifier rather than Inception), in
  float64 with an eigen-decomposition formula;
- :func:`class_histogram` and :func:`class_entropy`: the share of samples the
  classifier puts in each digit class and its entropy (``log 10`` nats when
  every digit is equally frequent).

The floor of the Fréchet distance is the test set scored against the
training set with the same number of images.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.normal(size=(2000, 3))
>>> round(frechet_distance(*feature_statistics(a), *feature_statistics(a)), 6)
0.0
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._validation import check_array, check_positive_int

__all__ = [
    "CLASSIFIER_CONFIG", "DigitClassifier", "classifier_features", "classifier_path",
    "class_entropy", "class_histogram", "feature_statistics", "frechet_distance",
    "load_or_train_classifier", "sample_quality",
]

#: Training configuration of the cached classifier (its hash names the cache file).
CLASSIFIER_CONFIG = {"width": 32, "features": 128, "epochs": 3, "batch_size": 128,
                     "lr": 2e-3, "seed": 0, "shift": 2}


class DigitClassifier(nn.Module):
    """A small CNN for 28x28 digits: three 3x3 convolutions, two max-pools, two linear layers.

    Parameters
    ----------
    width : int, default 32
        Channels of the first convolution (then ``2 * width``, ``2 * width``).
    features : int, default 128
        Width of the penultimate layer (the features the Fréchet distance uses).

    Examples
    --------
    >>> net = DigitClassifier(width=4, features=8)
    >>> net(torch.zeros(2, 1, 28, 28)).shape, net.features(torch.zeros(2, 1, 28, 28)).shape
    (torch.Size([2, 10]), torch.Size([2, 8]))
    """

    def __init__(self, width: int = 32, features: int = 128):
        super().__init__()
        w = check_positive_int(width, "width")
        f = check_positive_int(features, "features")
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),            # 14x14
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),        # 7x7
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(2 * w * 49, f), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(f, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``(n, features)`` of images ``(n, 1, 28, 28)``.

        Parameters
        ----------
        x : torch.Tensor, shape (n, 1, 28, 28)
            Images with intensities in [0, 1].

        Returns
        -------
        torch.Tensor
            The features.

        Examples
        --------
        >>> DigitClassifier(width=4, features=8).features(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1, 8])
        """
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(n, 10)``.

        Parameters
        ----------
        x : torch.Tensor, shape (n, 1, 28, 28)
            Images with intensities in [0, 1].

        Returns
        -------
        torch.Tensor
            Logits.

        Examples
        --------
        >>> DigitClassifier(width=4, features=8)(torch.zeros(1, 1, 28, 28)).shape
        torch.Size([1, 10])
        """
        return self.head(self.body(x))


def _as_images(images, name="images") -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)) if not isinstance(
        images, torch.Tensor) else images.detach().float().cpu()
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 28, 28)
    if x.ndim == 3:
        x = x.unsqueeze(1)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28) or x.shape[0] == 0:
        raise ValueError(f"{name} must be (n, 784), (n, 28, 28) or (n, 1, 28, 28) with n >= 1, "
                         f"got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite")
    return x


def _predict(model, images, fn, batch_size):
    x = _as_images(images)
    model.eval()
    dev = next(model.parameters()).device
    with torch.no_grad():
        out = [fn(x[i:i + batch_size].to(dev)).double().cpu()
               for i in range(0, x.shape[0], batch_size)]
    return torch.cat(out).numpy()


def classifier_features(model: DigitClassifier, images, batch_size: int = 1000) -> np.ndarray:
    """Penultimate features (float64) of ``images`` under ``model``.

    Parameters
    ----------
    model : DigitClassifier
        The classifier.
    images : array_like or torch.Tensor
        ``(n, 784)``, ``(n, 28, 28)`` or ``(n, 1, 28, 28)`` in [0, 1].
    batch_size : int, default 1000
        Images per forward pass.

    Returns
    -------
    numpy.ndarray, shape (n, features)
        The features in float64.

    Examples
    --------
    >>> classifier_features(DigitClassifier(4, 8), np.zeros((3, 784))).shape
    (3, 8)
    """
    return _predict(model, images, model.features, check_positive_int(batch_size, "batch_size"))


def class_histogram(model: DigitClassifier, images, batch_size: int = 1000) -> np.ndarray:
    """Share of ``images`` the classifier assigns to each digit (argmax), summing to 1.

    Parameters
    ----------
    model : DigitClassifier
        The classifier.
    images : array_like or torch.Tensor
        ``(n, 784)``, ``(n, 28, 28)`` or ``(n, 1, 28, 28)`` in [0, 1].
    batch_size : int, default 1000
        Images per forward pass.

    Returns
    -------
    numpy.ndarray, shape (10,)
        Fractions per class.

    Examples
    --------
    >>> class_histogram(DigitClassifier(4, 8), np.zeros((5, 784))).sum()
    np.float64(1.0)
    """
    logits = _predict(model, images, model, check_positive_int(batch_size, "batch_size"))
    counts = np.bincount(logits.argmax(1), minlength=10).astype(np.float64)
    return counts / counts.sum()


def class_entropy(histogram) -> float:
    """Entropy in nats of a class histogram (``log 10 = 2.303`` when uniform over digits).

    Parameters
    ----------
    histogram : array_like
        Non-negative class fractions (normalised here).

    Returns
    -------
    float
        ``-sum p log p``.

    Examples
    --------
    >>> round(class_entropy(np.full(10, 0.1)), 4)
    2.3026
    """
    p = check_array(histogram, "histogram", ndim=1).astype(np.float64)
    if np.any(p < 0) or not p.sum() > 0:
        raise ValueError("histogram must be non-negative with a positive sum")
    p = p / p.sum()
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def feature_statistics(features):
    """Mean and covariance (float64, ``ddof=1``) of a feature set ``(n, d)``.

    Parameters
    ----------
    features : array_like, shape (n, d)
        At least two rows.

    Returns
    -------
    mean : numpy.ndarray, shape (d,)
    cov : numpy.ndarray, shape (d, d)

    Examples
    --------
    >>> mu, cov = feature_statistics(np.eye(3))
    >>> mu.shape, cov.shape
    ((3,), (3, 3))
    """
    f = check_array(features, "features", ndim=2).astype(np.float64)
    if f.shape[0] < 2:
        raise ValueError(f"features needs at least 2 rows, got {f.shape[0]}")
    return f.mean(0), np.atleast_2d(np.cov(f, rowvar=False))


def _sqrt_psd(c):
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mean1, cov1, mean2, cov2) -> float:
    """Squared Fréchet (2-Wasserstein) distance between two Gaussians.

    ``|m1 - m2|^2 + tr C1 + tr C2 - 2 tr (C1^1/2 C2 C1^1/2)^1/2``; the trace
    of the matrix square root is the sum of the square roots of the
    eigenvalues of the symmetric PSD matrix ``C1^1/2 C2 C1^1/2`` (float64;
    round-off negatives clipped to 0), which needs no non-symmetric ``sqrtm``.

    Parameters
    ----------
    mean1, mean2 : array_like, shape (d,)
        Means.
    cov1, cov2 : array_like, shape (d, d)
        Symmetric positive semi-definite covariances.

    Returns
    -------
    float
        The distance (non-negative).

    Examples
    --------
    >>> frechet_distance([0.0], [[1.0]], [1.0], [[4.0]])  # 1 + (1 - 2)^2
    2.0
    """
    m1 = check_array(mean1, "mean1", ndim=1).astype(np.float64)
    m2 = check_array(mean2, "mean2", ndim=1).astype(np.float64)
    d = m1.shape[0]
    c1 = check_array(cov1, "cov1", shape=(d, d)).astype(np.float64)
    c2 = check_array(cov2, "cov2", shape=(d, d)).astype(np.float64)
    if m2.shape != (d,):
        raise ValueError(f"mean2 must have shape ({d},), got {m2.shape}")
    s1 = _sqrt_psd(0.5 * (c1 + c1.T))
    inner = s1 @ (0.5 * (c2 + c2.T)) @ s1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(0.5 * (inner + inner.T)), 0.0, None)).sum()
    fd = float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * tr_sqrt)
    return max(fd, 0.0)


def sample_quality(model: DigitClassifier, samples, reference) -> dict:
    """Fréchet distance to a reference set, class histogram and entropy of ``samples``.

    Parameters
    ----------
    model : DigitClassifier
        The (trained) classifier.
    samples : array_like or torch.Tensor
        Images ``(n, 784)``, ``(n, 28, 28)`` or ``(n, 1, 28, 28)`` in [0, 1].
    reference : tuple (mean, cov) or array_like of images
        Feature statistics of the reference set (e.g. the test set), or its images.

    Returns
    -------
    dict
        ``fid``, ``class_histogram`` (list of 10 fractions), ``class_entropy``
        (nats), ``min_class_fraction``, ``max_class_fraction``, ``n``.

    Examples
    --------
    >>> net = DigitClassifier(4, 8)
    >>> x = np.random.default_rng(0).random((50, 784))
    >>> sorted(sample_quality(net, x, x))[:2]
    ['class_entropy', 'class_histogram']
    """
    if isinstance(reference, tuple) and len(reference) == 2:
        ref = reference
    else:
        ref = feature_statistics(classifier_features(model, reference))
    feats = classifier_features(model, samples)
    hist = class_histogram(model, samples)
    return {"fid": frechet_distance(*feature_statistics(feats), *ref),
            "class_histogram": [float(h) for h in hist],
            "class_entropy": class_entropy(hist),
            "min_class_fraction": float(hist.min()), "max_class_fraction": float(hist.max()),
            "n": int(feats.shape[0])}


def _config_hash(config: dict) -> str:
    text = json.dumps(config, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def classifier_path(config: dict | None = None, cache_dir=None) -> Path:
    """Where the classifier of ``config`` is cached: ``<cache_dir>/digit_classifier/<hash>.pt``.

    Parameters
    ----------
    config : dict, optional
        Training configuration (default :data:`CLASSIFIER_CONFIG`).
    cache_dir : path, optional
        Default: boltz's download cache (``$XDG_CACHE_HOME/boltz``).

    Returns
    -------
    pathlib.Path
        The cache file (it may not exist yet).

    Examples
    --------
    >>> classifier_path(cache_dir="/tmp/c").parent.name
    'digit_classifier'
    """
    from ..datasets import _cache_dir

    base = Path(cache_dir) if cache_dir is not None else _cache_dir()
    return base / "digit_classifier" / f"{_config_hash(config or CLASSIFIER_CONFIG)}.pt"


def _shift(x, k, gen):
    """Random translations by up to ``k`` pixels (zero padded): simple augmentation."""
    if k == 0:
        return x
    pad = torch.nn.functional.pad(x, (k, k, k, k))
    dx, dy = torch.randint(0, 2 * k + 1, (2,), generator=gen).tolist()
    return pad[:, :, dy:dy + 28, dx:dx + 28]


def _accuracy(model, x, y):
    logits = _predict(model, x, model, 1000)
    return float((logits.argmax(1) == y).mean())


def _train(config, device, progress):
    from ._utils import seeded_global_rng

    with seeded_global_rng(int(config["seed"]), device):  # initial weights and dropout
        return _train_seeded(config, device, progress)


def _train_seeded(config, device, progress):
    from ..datasets import load_mnist

    gen = torch.Generator().manual_seed(int(config["seed"]))
    xtr, ytr = load_mnist("train", flatten=False)
    xte, yte = load_mnist("test", flatten=False)
    model = DigitClassifier(config["width"], config["features"]).to(device)
    x = torch.as_tensor(xtr).unsqueeze(1)
    y = torch.as_tensor(ytr)
    bs, epochs = int(config["batch_size"]), int(config["epochs"])
    steps = epochs * math.ceil(x.shape[0] / bs)
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config["lr"], total_steps=steps)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], bs):
            idx = perm[i:i + bs]
            xb = _shift(x[idx], int(config["shift"]), gen).to(device)
            loss = nn.functional.cross_entropy(model(xb), y[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if progress:
            print(f"classifier epoch {epoch + 1}/{epochs}: loss {float(loss):.4f} "
                  f"({time.perf_counter() - t0:.0f}s)", flush=True)
    return model.cpu(), _accuracy(model.cpu(), xte, yte), time.perf_counter() - t0


def load_or_train_classifier(config: dict | None = None, *, cache_dir=None, device="cpu",
                             retrain: bool = False, progress: bool = False):
    """The MNIST classifier of ``config``: loaded from the cache, or trained and cached.

    Parameters
    ----------
    config : dict, optional
        Training configuration (default :data:`CLASSIFIER_CONFIG`): ``width``,
        ``features``, ``epochs``, ``batch_size``, ``lr`` (one-cycle Adam),
        ``seed``, ``shift`` (random translations in pixels).
    cache_dir : path, optional
        Cache root (see :func:`classifier_path`).
    device : str or torch.device, default "cpu"
        Where to train.
    retrain : bool, default False
        Train even when a cached state dict exists (and overwrite it).
    progress : bool, default False
        Print one line per epoch.

    Returns
    -------
    model : DigitClassifier
        On the CPU, in eval mode.
    info : dict
        ``test_accuracy``, ``train_seconds`` (of the run that trained it),
        ``cached`` (loaded from the cache) and ``path``.

    Examples
    --------
    >>> net, info = load_or_train_classifier()  # doctest: +SKIP
    >>> info["test_accuracy"] >= 0.99  # doctest: +SKIP
    True
    """
    config = dict(CLASSIFIER_CONFIG if config is None else config)
    missing = set(CLASSIFIER_CONFIG) - set(config)
    if missing:
        raise ValueError(f"config is missing {sorted(missing)}")
    path = classifier_path(config, cache_dir)
    model = DigitClassifier(config["width"], config["features"])
    if path.exists() and not retrain:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        model.eval()
        return model, {"test_accuracy": float(state["test_accuracy"]),
                       "train_seconds": float(state["train_seconds"]), "cached": True,
                       "path": str(path)}
    model, acc, seconds = _train(config, torch.device(device), progress)
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    from ..io import atomic_write

    with atomic_write(path) as f:
        torch.save({"model": model.state_dict(), "test_accuracy": acc,
                    "train_seconds": seconds, "config": json.dumps(config, sort_keys=True)}, f)
    return model, {"test_accuracy": acc, "train_seconds": seconds, "cached": False,
                   "path": str(path)}
