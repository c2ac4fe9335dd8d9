"""Memory bounds checked up front: a request whose arrays cannot fit fails at once.

:func:`check_memory` compares the bytes an allocation needs with the memory the
machine has available (``MemAvailable`` of ``/proc/meminfo``, else ``sysconf``;
``BOLTZ_MEMORY_LIMIT`` in bytes overrides both) and raises a ValueError naming the
argument and the bytes needed, before anything is allocated.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["available_memory", "check_memory", "format_bytes", "GrowingSeries"]


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation, or None when unknown.

    Returns
    -------
    int or None
        ``BOLTZ_MEMORY_LIMIT`` when set, else ``MemAvailable`` from
        ``/proc/meminfo``, else ``SC_AVPHYS_PAGES * SC_PAGE_SIZE``.

    Examples
    --------
    >>> available_memory() is None or available_memory() > 0
    True
    """
    limit = os.environ.get("BOLTZ_MEMORY_LIMIT")
    if limit:
        try:
            return max(0, int(float(limit)))
        except ValueError:
            raise ValueError(f"BOLTZ_MEMORY_LIMIT must be a number of bytes, got {limit!r}") \
                from None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps it >= 1 (``"1.5 GiB"``).

    Parameters
    ----------
    n : float
        A byte count.

    Returns
    -------
    str

    Examples
    --------
    >>> format_bytes(1536 * 2**20)
    '1.5 GiB'
    """
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    value, unit = float(n), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    return f"{value:.3g} {units[unit]}"


def check_memory(n_bytes, name: str, what: str, fraction: float = 0.9) -> int:
    """Raise a ValueError when ``n_bytes`` exceed ``fraction`` of the available memory.

    Parameters
    ----------
    n_bytes : int or float
        Bytes the request needs (a Python int: products of sizes do not overflow).
    name : str
        The argument (with its value) that asks for them, e.g. ``"n_hidden=10**12"``.
    what : str
        What the bytes hold, e.g. ``"the weight matrix"``.
    fraction : float
        Share of the available memory one request may take.

    Returns
    -------
    int
        ``n_bytes`` as an int.

    Raises
    ------
    ValueError
        Naming ``name``, ``what`` and the bytes needed.

    Examples
    --------
    >>> check_memory(8 * 1000, "n=1000", "a float64 vector")
    8000
    >>> check_memory(10**30, "n=10**29", "a vector")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: n=10**29 needs ... bytes ...
    """
    n_bytes = int(n_bytes)
    avail = available_memory()
    if avail is not None and n_bytes > fraction * avail:
        raise ValueError(f"{name} needs {n_bytes} bytes ({format_bytes(n_bytes)}) for {what}, "
                         f"more than the {format_bytes(avail)} of memory available; "
                         "ask for less")
    return n_bytes


class GrowingSeries:
    """Named float64 arrays ``(rows, *width)`` that double (up to ``n_max`` rows) as
    they fill, so that a huge requested length costs memory only for what is written.

    Parameters
    ----------
    widths : dict
        ``name -> trailing shape`` of each array.
    n_max : int
        The most rows ever needed.
    name : str
        The argument behind ``n_max``, named when growing would not fit in memory.

    Examples
    --------
    >>> s = GrowingSeries({"e": (2,)}, 10**15, "n_sweeps")
    >>> s.capacity, s["e"].shape
    (4096, (4096, 2))
    >>> s.grow(); s.truncate(5); s["e"].shape
    (5, 2)
    """

    def __init__(self, widths: dict, n_max: int, name: str):
        self.n_max, self.name = int(n_max), name
        self.capacity = min(self.n_max, 1 << 12)
        self.arrays = {k: np.empty((self.capacity, *w)) for k, w in widths.items()}

    def __getitem__(self, key):
        return self.arrays[key]

    def get(self, key):
        """The array ``key``, or None."""
        return self.arrays.get(key)

    def grow(self):
        """Double the rows (up to ``n_max``), keeping the contents."""
        new = min(self.n_max, 2 * self.capacity)
        row = sum(int(np.prod(a.shape[1:])) * 8 for a in self.arrays.values())
        check_memory(new * row, f"{self.name}={self.n_max}", f"{new} rows of measurements")
        for k, a in self.arrays.items():
            grown = np.empty((new, *a.shape[1:]))
            grown[:self.capacity] = a
            self.arrays[k] = grown
        self.capacity = new

    def truncate(self, n: int):
        """Keep the first ``n`` rows."""
        self.arrays = {k: a[:n].copy() if n < a.shape[0] else a for k, a in self.arrays.items()}
