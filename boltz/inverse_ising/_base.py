"""A stand-in for ``sklearn.base.BaseEstimator`` when scikit-learn is not installed.

Only ``get_params``/``set_params`` from the constructor's signature, which is all
:class:`~boltz.inverse_ising.InverseIsing` uses.
"""

from __future__ import annotations

import inspect

__all__ = ["BaseEstimator"]


class BaseEstimator:
    """``get_params`` and ``set_params`` read from ``__init__``'s keyword arguments."""

    def get_params(self, deep=True):
        """Constructor arguments and their current values.

        Examples
        --------
        >>> class E(BaseEstimator):
        ...     def __init__(self, a=1):
        ...         self.a = a
        >>> E(a=3).get_params()
        {'a': 3}
        """
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params):
        """Set constructor arguments; unknown names raise ``ValueError``."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}")
            setattr(self, name, value)
        return self
