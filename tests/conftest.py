"""Test configuration: data location and shared fixtures.

``BOLTZ_DATA`` defaults to ``../shared/data`` beside the checkout, as in CI;
the tests never use the network.
"""

import os
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("BOLTZ_DATA", str(_REPO.parent / "shared" / "data"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def mnist_available():
    from boltz.datasets import find_mnist_dir

    if find_mnist_dir() is None:
        pytest.skip(f"MNIST not found under BOLTZ_DATA={os.environ.get('BOLTZ_DATA')}")
    return True


@pytest.fixture
def one_blas_thread():
    """Run a test on one BLAS thread (small products are fastest so on a loaded machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture
def record_draws(monkeypatch):
    """``record_draws(module, name)`` wraps the sampling function ``module.name`` for this
    test so that every tensor it returns is also appended (as NumPy) to the list returned."""

    def wrap(module, name):
        draws = []
        real = getattr(module, name)

        def recording(*args, **kwargs):
            sample = real(*args, **kwargs)
            draws.append(sample.cpu().numpy().copy())
            return sample

        monkeypatch.setattr(module, name, recording)
        return draws

    return wrap
