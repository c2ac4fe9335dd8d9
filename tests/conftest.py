"""Test configuration: data location and shared fixtures.

``BOLTZ_DATA`` defaults to ``../shared/data`` beside the checkout, as in CI
(this default exists only in the tests; the library itself looks at
``data_dir``, ``$BOLTZ_DATA``, then its cache); the tests never use the
network. Tests that need MNIST take the ``mnist_available`` fixture; when the
files are missing they are skipped with the lookup's message, and the run ends
with a summary saying how many were skipped and how to make them run.
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
        pytest.skip(f"needs MNIST: not found under BOLTZ_DATA={os.environ.get('BOLTZ_DATA')} "
                    "or the cache (how to fix: see the MNIST summary at the end of the run)")
    return True


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    n = sum(1 for rep in skipped if "needs MNIST" in str(rep.longrepr))
    if n:
        from boltz.datasets import mnist_not_found_message

        terminalreporter.write_sep("=", f"{n} MNIST test(s) SKIPPED: MNIST files not found",
                                   yellow=True)
        terminalreporter.write_line(mnist_not_found_message())
        terminalreporter.write_line(
            "The tests default BOLTZ_DATA to ../shared/data beside the checkout.")


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
