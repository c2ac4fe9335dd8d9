"""Strict JSON for results and metadata: no ``NaN`` or ``Infinity`` tokens.

Python's :mod:`json` writes non-finite floats as ``NaN``/``Infinity``, which
is not JSON (RFC 8259) and breaks other readers. :func:`finite_json` maps
each non-finite float to ``null`` and lists where it was, so a result such
as ``{"log_z_reverse_range": [42.31, inf]}`` is printed as
``{"log_z_reverse_range": [42.31, null], "non_finite": ["log_z_reverse_range"]}``.
"""

from __future__ import annotations

import json
import math
import numbers

import numpy as np

__all__ = ["finite_json", "dumps"]


def _walk(value, where: str, found: dict):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)) or (
            isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)):
        x = float(value)
        if math.isfinite(x):
            return x
        found[where or "."] = "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _walk(v, f"{where}.{k}" if where else str(k), found)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(v, f"{where}.{i}" if where else str(i), found)
                for i, v in enumerate(value)]
    return value


def finite_json(value) -> tuple[object, dict]:
    """Copy ``value`` with every NaN/inf float replaced by ``None``.

    Parameters
    ----------
    value : object
        Nested dicts, lists, tuples, NumPy scalars and arrays, numbers, strings.

    Returns
    -------
    clean : object
        The same structure of plain Python types, non-finite floats as ``None``.
    non_finite : dict of str to str
        Dotted path of each replaced value (``"a.1"``: key ``a``, index 1) to
        ``"nan"``, ``"inf"`` or ``"-inf"``.

    Examples
    --------
    >>> finite_json({"range": [42.31, float("inf")], "n": 3})
    ({'range': [42.31, None], 'n': 3}, {'range.1': 'inf'})
    """
    found: dict = {}
    return _walk(value, "", found), found


def dumps(result) -> str:
    """One line of strict JSON; a dict with non-finite values gains a ``non_finite`` list.

    ``non_finite`` names the top-level keys whose value (or a value inside it)
    was NaN or infinite and is printed as ``null``.

    Parameters
    ----------
    result : object
        Usually a dict of results.

    Returns
    -------
    str

    Examples
    --------
    >>> dumps({"log_z_reverse_range": [42.31, float("inf")]})
    '{"log_z_reverse_range": [42.31, null], "non_finite": ["log_z_reverse_range"]}'
    >>> dumps({"a": 1.5})
    '{"a": 1.5}'
    """
    clean, found = finite_json(result)
    if found and isinstance(clean, dict):
        keys = []
        for path in found:
            top = path.split(".", 1)[0]
            if top not in keys:
                keys.append(top)
        clean["non_finite"] = keys
    return json.dumps(clean, allow_nan=False)
