"""Checks shared by entry points beyond :mod:`boltz._validation`: complex input and
finite log-normalisers.

Each raises ``TypeError`` or ``ValueError`` naming the argument. They are
cheap: call them first, before any conversion (``np.asarray(z, float)`` of a
complex ``z`` drops the imaginary part with only a ``ComplexWarning``).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_not_complex", "check_optional_finite"]


def check_not_complex(x, name: str):
    """Raise ``TypeError`` when ``x`` holds complex numbers; return ``x`` unchanged.

    Parameters
    ----------
    x : object
        An array, a scalar, a nested list or a torch tensor.
    name : str
        The argument's name, for the message.

    Returns
    -------
    object
        ``x``.

    Examples
    --------
    >>> check_not_complex([1.0, 2.0], "X")
    [1.0, 2.0]
    >>> check_not_complex([1 + 2j], "X")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: X must be real, got complex values (complex128); pass X.real ...
    """
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        is_complex = getattr(dtype, "is_complex", None)  # torch dtypes
        complex_ = is_complex if isinstance(is_complex, bool) else (
            np.dtype(dtype).kind == "c" if isinstance(dtype, np.dtype) else False)
    elif isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        complex_, dtype = True, type(x).__name__
    elif isinstance(x, (list, tuple)):
        try:
            complex_ = np.iscomplexobj(np.asarray(x, dtype=object).ravel().tolist()) \
                if len(x) else False
        except (ValueError, TypeError):
            complex_ = False
        dtype = "complex128"
    else:
        complex_ = False
    if complex_:
        raise TypeError(f"{name} must be real, got complex values ({dtype}); pass {name}.real "
                        "to drop the imaginary part")
    return x


def check_optional_finite(value, name: str):
    """``None``, or a finite real number (returned as ``float``); else ``ValueError``/``TypeError``.

    Parameters
    ----------
    value : None or real
    name : str

    Returns
    -------
    None or float

    Examples
    --------
    >>> check_optional_finite(None, "log_z") is None
    True
    >>> check_optional_finite(float("nan"), "log_z")
    Traceback (most recent call last):
    ...
    ValueError: log_z must be a finite number or None, got nan
    """
    if value is None:
        return None
    check_not_complex(value, name)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)) or \
            np.ndim(value) != 0:
        raise TypeError(f"{name} must be a real number or None, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number or None, got {v}")
    return v
