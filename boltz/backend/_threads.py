"""Limit BLAS threads around the RBM hot loops.

Many small float32 products per second are where multi-threaded BLAS loses
most: on a loaded machine its worker threads wait at barriers for a core, and
one ``(100 x 784) (784 x 500)`` product can take 20x longer than on one thread.
``n_threads`` (a model argument, also accepted by the AIS functions) caps the
BLAS threads for the duration of a call; ``None`` leaves BLAS as configured.
Uses ``threadpoolctl`` when installed (it comes with scikit-learn); without it
the setting is ignored.
"""

from __future__ import annotations

from contextlib import contextmanager

from .._validation import check_positive_int


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
