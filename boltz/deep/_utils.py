"""Small torch helpers shared by :mod:`boltz.deep`: input checks, generators, devices."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch

from .._validation import check_array
from ..backend.torch_backend import torch_device

__all__ = [
    "NonFiniteEnergyError",
    "TrainingDivergedError",
    "as_batch",
    "make_generator",
    "resolve_device",
    "randn",
    "rand",
]


class NonFiniteEnergyError(FloatingPointError):
    """An energy (or its gradient) became NaN/inf while sampling or training.

    Examples
    --------
    >>> issubclass(NonFiniteEnergyError, FloatingPointError)
    True
    """


class TrainingDivergedError(RuntimeError):
    """Training produced a non-finite loss or exploding energies.

    Examples
    --------
    >>> issubclass(TrainingDivergedError, RuntimeError)
    True
    """


def resolve_device(device) -> torch.device | None:
    """The torch device named by ``device``; ``None`` keeps tensors where they are.

    The check is :func:`boltz.backend.torch_backend.torch_device`'s, the one the
    command line's ``--device`` goes through: only devices boltz computes on (the
    CPU and CUDA) pass; ``"meta"``, ``"mps"`` and the like raise.

    Parameters
    ----------
    device : None, str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"auto"`` (CUDA when available) or
        ``"cpu-torch"`` (the CPU).

    Returns
    -------
    torch.device or None

    Raises
    ------
    ValueError
        ``device`` names no torch device, a device type boltz does not run on, or a
        CUDA device torch does not see; the message lists the accepted names.
    TypeError
        ``device`` is neither None, a str nor a torch.device.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("meta")
    Traceback (most recent call last):
    ...
    ValueError: device='meta' is not a device boltz runs on; expected ... 'cuda:N' or 'auto'
    """
    if device is None:
        return None
    return torch_device(device)


def make_generator(seed=None, device=None) -> torch.Generator:
    """A ``torch.Generator`` from ``None``, an int, a numpy ``Generator`` or a torch one.

    Parameters
    ----------
    seed : None, int, numpy.random.Generator or torch.Generator
        The seed.
    device : str or torch.device, optional
        Device of the generator.

    Returns
    -------
    torch.Generator
        A seeded generator.

    Examples
    --------
    >>> g = make_generator(0)
    >>> torch.randn(2, generator=g).shape
    torch.Size([2])
    """
    if isinstance(seed, torch.Generator):
        return seed
    device = torch.device("cpu") if device is None else torch.device(device)
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
        return gen
    if isinstance(seed, np.random.Generator):
        gen.manual_seed(int(seed.integers(0, 2**63 - 1)))
        return gen
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        gen.manual_seed(int(seed))
        return gen
    raise TypeError(
        f"seed must be an int, a torch.Generator, a numpy Generator or None, "
        f"got {type(seed).__name__}"
    )


def randn(shape, generator, like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise with ``like``'s dtype and device from ``generator``."""
    return torch.randn(shape, generator=generator, dtype=like.dtype, device=like.device)


def rand(shape, generator, like: torch.Tensor) -> torch.Tensor:
    """Uniform(0, 1) noise with ``like``'s dtype and device from ``generator``."""
    return torch.rand(shape, generator=generator, dtype=like.dtype, device=like.device)


def as_batch(x, event_shape, *, dtype=None, device=None, name: str = "x") -> torch.Tensor:
    """Check a batch ``(n, *event_shape)`` and return it as a tensor.

    Accepts torch tensors and anything numpy can convert. Raises ``ValueError``
    for wrong shapes or NaN/inf and ``TypeError`` for non-numeric input.
    """
    event_shape = tuple(event_shape)
    want = "(n, " + ", ".join(str(s) for s in event_shape) + ")"
    if isinstance(x, torch.Tensor):
        if not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64, torch.uint8)):
            raise TypeError(f"{name} must be a real-valued tensor, got dtype {x.dtype}")
        if x.ndim != 1 + len(event_shape) or tuple(x.shape[1:]) != event_shape:
            raise ValueError(f"{name} must have shape {want}, got {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
        if x.is_floating_point() and not bool(torch.isfinite(x).all()):
            bad = "NaN" if bool(torch.isnan(x).any()) else "inf"
            raise ValueError(f"{name} must be finite, but it contains {bad}")
        out = x
    else:
        arr = check_array(x, name)
        if arr.ndim != 1 + len(event_shape) or tuple(arr.shape[1:]) != event_shape:
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
        out = torch.from_numpy(np.ascontiguousarray(arr))
    if dtype is None and not out.is_floating_point():
        dtype = torch.get_default_dtype()
    return out.to(dtype=dtype or out.dtype, device=device or out.device)


@contextlib.contextmanager
def seeded_global_rng(seed, device=None):
    """Seed torch's global generator for the block, then restore the caller's state.

    Module constructors (``nn.Linear``, ``nn.Conv2d``) draw their initial weights
    from the global generator and take no generator argument; this seeds them
    without leaving the caller's random state changed.

    Parameters
    ----------
    seed : int or None
        The seed (None: 0).
    device : torch.device, optional
        A CUDA device whose global generator is seeded (and restored) too, for
        random layers (dropout) that run there; the CPU generator always is.

    Yields
    ------
    None

    Examples
    --------
    >>> before = torch.random.get_rng_state()
    >>> with seeded_global_rng(3):
    ...     a = torch.rand(2)
    >>> with seeded_global_rng(3):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b)), bool(torch.equal(before, torch.random.get_rng_state()))
    (True, True)
    """
    seed = 0 if seed is None else int(seed)
    cuda = device is not None and torch.device(device).type == "cuda"
    index = (torch.device(device).index or 0) if cuda else None
    with torch.random.fork_rng(devices=[index] if cuda else []):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield
