"""Input validation shared by every public entry point.

Each check raises ``ValueError`` or ``TypeError`` whose message names the
argument and says what was expected, so that bad input never turns into a
silent NaN deep inside a sampler.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_rng",
    "check_array",
    "check_binary",
    "check_spins",
    "check_positive_int",
    "check_nonnegative_int",
    "check_finite_scalar",
    "check_positive_scalar",
    "check_probability",
    "check_choice",
    "import_torch",
]


def check_rng(seed, name: str = "seed") -> np.random.Generator:
    """Turn ``None``, an int, a ``SeedSequence`` or a ``Generator`` into a ``Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {seed}")
        if isinstance(seed, bool):
            raise TypeError(f"{name} must be an int, a numpy Generator or None, got bool")
        return np.random.default_rng(seed)
    raise TypeError(
        f"{name} must be an int, a numpy Generator, a SeedSequence or None, "
        f"got {type(seed).__name__}"
    )


def check_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype=np.float64,
    shape: tuple | None = None,
    allow_empty: bool = False,
    finite: bool = True,
    copy: bool = False,
) -> np.ndarray:
    """Convert ``x`` to an array and check its rank, shape and finiteness.

    ``shape`` may contain ``None`` for axes of any length.
    """
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    if dtype is None or np.dtype(dtype).kind != "c":
        from ._checks import check_not_complex

        check_not_complex(x, name)  # not cast with only a ComplexWarning
    try:
        arr = np.array(x, dtype=dtype, copy=copy) if copy else np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must be {want}-dimensional, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name} must be finite, but it contains {bad}")
    return arr


def check_binary(x, name: str, *, values=(0, 1), dtype=np.float64, **kwargs) -> np.ndarray:
    """Check that every entry of ``x`` is one of the two ``values``."""
    arr = check_array(x, name, dtype=dtype, **kwargs)
    lo, hi = values
    if not np.all((arr == lo) | (arr == hi)):
        bad = arr[(arr != lo) & (arr != hi)].ravel()[:3]
        raise ValueError(
            f"{name} must be binary with values in {{{lo}, {hi}}}, got e.g. {bad.tolist()}"
        )
    return arr


def check_unit_interval(x, name: str, *, dtype=np.float64, **kwargs) -> np.ndarray:
    """Check that every entry of ``x`` is a probability in ``[0, 1]``."""
    arr = check_array(x, name, dtype=dtype, **kwargs)
    if not np.all((arr >= 0) & (arr <= 1)):
        bad = arr[(arr < 0) | (arr > 1)].ravel()[:3]
        raise ValueError(f"{name} must hold probabilities in [0, 1], got e.g. {bad.tolist()}")
    return arr


def check_spins(x, name: str, **kwargs) -> np.ndarray:
    """Check that ``x`` holds spins in {-1, +1}."""
    return check_binary(x, name, values=(-1, 1), **kwargs)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_positive_int(value, name: str) -> int:
    """Check ``value`` is an integer >= 1."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_nonnegative_int(value, name: str) -> int:
    """Check ``value`` is an integer >= 0."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


def check_finite_scalar(value, name: str) -> float:
    """Check ``value`` is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive_scalar(value, name: str, *, allow_zero: bool = False) -> float:
    """Check ``value`` is a finite number > 0 (or >= 0 with ``allow_zero``)."""
    value = check_finite_scalar(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        want = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {want}, got {value}")
    return value


def check_probability(value, name: str, *, low_open=False, high_open=False) -> float:
    """Check ``value`` lies in [0, 1] (ends optionally open)."""
    value = check_finite_scalar(value, name)
    lo_ok = value > 0 if low_open else value >= 0
    hi_ok = value < 1 if high_open else value <= 1
    if not (lo_ok and hi_ok):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {lo}0, 1{hi}, got {value}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Check ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def import_torch(purpose: str):
    """``import torch``, or an ``ImportError`` naming the extra that installs it.

    Parameters
    ----------
    purpose : str
        What needs torch, for the message (e.g. ``"boltz.deep"``).

    Returns
    -------
    module
        The ``torch`` module.

    Example
    -------
    >>> import_torch("boltz.deep").__name__
    'torch'
    """
    try:
        import torch
    except ImportError as exc:  # not installed, or blocked (sys.modules["torch"] = None)
        raise ImportError(f"{purpose} needs PyTorch, which is not installed; install it with "
                          f"pip install 'boltz[torch]'") from exc
    return torch


#: torch device types boltz runs on (tensors, generators and kernels)
RUNNABLE_DEVICE_TYPES = ("cpu", "cuda")
#: the device names accepted, for messages
ACCEPTED_DEVICES = "None or 'cpu' (NumPy), 'cpu-torch', 'cuda', 'cuda:N' or 'auto'"


def check_torch_device(device, name: str = "device"):
    """The ``torch.device`` named by ``device``, if boltz runs on it (torch imported here).

    ``"cpu-torch"`` is the CPU and ``"auto"`` CUDA when torch sees it; device types other
    than the CPU and CUDA (``"meta"``, ``"mps"``, ...) and CUDA devices torch does not see
    raise ``ValueError``; anything but a str or a ``torch.device`` raises ``TypeError``.

    Examples
    --------
    >>> check_torch_device("cpu-torch")
    device(type='cpu')
    """
    import torch

    if device == "cpu-torch":
        return torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"{name} must name a torch device, got {device!r}: {exc}") from None
    else:
        raise TypeError(f"{name} must be a str or a torch.device, got {type(device).__name__}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}={device!r} asks for CUDA, but torch sees no CUDA device")
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"{name}={device!r}: torch sees {torch.cuda.device_count()} CUDA "
                         f"devices (cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    if dev.type not in RUNNABLE_DEVICE_TYPES:
        raise ValueError(f"{name}={device!r} is not a device boltz runs on; expected "
                         f"{ACCEPTED_DEVICES}")
    return dev
