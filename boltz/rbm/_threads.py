"""Compatibility alias: :func:`blas_threads` lives in :mod:`boltz.backend._threads`."""

from ..backend._threads import blas_threads  # noqa: F401
