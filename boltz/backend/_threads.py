"""Thread settings: cap BLAS threads, and run a computation so its bits do not depend on them.

Many small float32 products per second are where multi-threaded BLAS loses
most: on a loaded machine its worker threads wait at barriers for a core, and
one ``(100 x 784) (784 x 500)`` product can take 20x longer than on one thread.
:func:`blas_threads` caps the BLAS threads for the duration of a call
(``None`` leaves BLAS as configured). Uses ``threadpoolctl`` when installed (it
comes with scikit-learn); without it the setting is ignored.

:func:`deterministic_threads` is the one context under which every sampler and
trainer runs its hot loop, so that the same seed gives the same bits whatever
the machine's or the user's thread settings:

- NumPy backend: BLAS on one thread. OpenBLAS's float32 products round
  differently on 1 and 2 threads (measured: ``(100 x 500) (500 x 784)`` differs
  in the last bits), so a BLAS thread count that followed the cores would make
  the result depend on them. The NumPy backend's own kernels give threads their
  work instead (:meth:`~boltz.backend.numpy_backend.NumpyBackend.set_threads`,
  fixed row blocks, bit-identical), and AIS spreads its runs over workers.
- torch on the CPU: torch's intra-op pool on one thread (and BLAS on one). Its
  vectorised ``sigmoid`` rounds the scalar tail of each thread's chunk
  differently from the SIMD body (measured: one element of a ``(100, 500)``
  sigmoid differs by 1 ulp between 1 and 2 threads). The setting is restored
  afterwards.
- CUDA: nothing; results repeat on the same device and software, not across
  devices.

Examples
--------
>>> import numpy as np
>>> with deterministic_threads(None):
...     float(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
4.0
"""

from __future__ import annotations

import contextlib
from contextlib import contextmanager

from .._validation import check_positive_int

__all__ = ["blas_threads", "torch_threads", "deterministic_threads"]


@contextmanager
def blas_threads(n_threads):
    """Context manager: at most ``n_threads`` BLAS threads inside (``None``: unchanged).

    Parameters
    ----------
    n_threads : int or None
        The cap.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     float(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
    4.0
    """
    if n_threads is None:
        yield
        return
    n = check_positive_int(n_threads, "n_threads")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


@contextmanager
def torch_threads(n_threads: int):
    """Context manager: torch's intra-op CPU threads set to ``n_threads``, restored on exit.

    Parameters
    ----------
    n_threads : int
        Threads inside.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import torch

    n = check_positive_int(n_threads, "n_threads")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _device_type(backend) -> str:
    """``"numpy"``, or the torch device type (``"cpu"``, ``"cuda"``, ...) of ``backend``."""
    if backend is None or getattr(backend, "name", None) == "numpy":
        return "numpy"
    device = getattr(backend, "device", backend)
    kind = getattr(device, "type", None)
    if kind is None:
        raise TypeError(f"backend must be None, a boltz backend or a torch device, "
                        f"got {type(backend).__name__}")
    return kind


@contextmanager
def deterministic_threads(backend=None):
    """Context manager: thread settings under which ``backend`` gives the same bits on any
    thread count (see the module docstring).

    Parameters
    ----------
    backend : None, a boltz backend, or torch.device
        ``None`` or a backend named ``"numpy"``: BLAS on one thread. A torch
        backend (or device) on the CPU: torch's intra-op threads and BLAS on one
        thread. Any other torch device: unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> with deterministic_threads():
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    kind = _device_type(backend)
    if kind not in ("numpy", "cpu"):
        yield
        return
    with blas_threads(1), (torch_threads(1) if kind == "cpu" else contextlib.nullcontext()):
        yield
