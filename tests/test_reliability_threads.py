"""Same seed, same bits on any thread count: :func:`boltz.backend.deterministic_threads`
is the one context the RBM trainer, RBM Gibbs sampling and AIS, and the DBM trainer, Gibbs
sampling and AIS run under (BLAS on one thread; torch's CPU intra-op pool on one thread)."""

import contextlib
import os

import numpy as np
import pytest

from boltz.backend import deterministic_threads

threadpoolctl = pytest.importorskip("threadpoolctl")
two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores")


@contextlib.contextmanager
def _torch_threads(n):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _dbm_fit(device, **kw):
    from boltz.dbm import DeepBoltzmannMachine

    X = (np.random.default_rng(0).random((200, 64)) < 0.3).astype(np.float32)
    return DeepBoltzmannMachine((500, 20), n_epochs=1, pretrain_epochs=0, batch_size=100,
                                n_chains=100, seed=0, device=device, verbose=False,
                                **kw).fit(X)


@two_cores
def test_dbm_torch_cpu_fit_same_bits_on_one_and_two_torch_threads():
    torch = pytest.importorskip("torch")
    fits = {}
    for n in (1, 2):
        with _torch_threads(n):
            fits[n] = _dbm_fit("cpu-torch")
            assert torch.get_num_threads() == n  # restored after fit
    for a, b in zip(fits[1].weights_ + fits[1].biases_, fits[2].weights_ + fits[2].biases_,
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_dbm_torch_cpu_fit_runs_on_one_torch_thread(monkeypatch):
    """The guard itself: inside the DBM's torch-CPU fit torch uses one intra-op thread.

    (On the machine this was written on, the fit above happened to give the same bits
    without the pinning too, while a bare ``(100, 784) @ (784, 500)`` product differed
    between 1 and 2 threads; this test fails if the pinning is removed.)"""
    torch = pytest.importorskip("torch")
    from boltz.dbm.torch_backend import TorchBackend

    seen, original = set(), TorchBackend.sigmoid

    def sigmoid(x):
        seen.add(torch.get_num_threads())
        return original(x)

    monkeypatch.setattr(TorchBackend, "sigmoid", staticmethod(sigmoid))
    with _torch_threads(2):
        _dbm_fit("cpu-torch")
    assert seen == {1}


@two_cores
def test_dbm_numpy_fit_same_bits_whatever_blas_threads():
    fits = {}
    for n in (1, 2):
        with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
            fits[n] = _dbm_fit(None)
    for a, b in zip(fits[1].weights_, fits[2].weights_, strict=True):
        np.testing.assert_array_equal(a, b)


def _dbm():
    from boltz.dbm import DeepBoltzmannMachine

    rng = np.random.default_rng(0)
    return DeepBoltzmannMachine.from_parameters(
        [rng.normal(0, 0.1, (784, 500)).astype(np.float32),
         rng.normal(0, 0.1, (500, 100)).astype(np.float32)])


def _blas_threads_now() -> set:
    return {i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}


@two_cores
def test_dbm_gibbs_and_ais_same_bits_whatever_threads():
    from boltz.dbm import ais_log_partition

    m = _dbm()
    out, z = {}, {}
    for n in (1, 2):
        with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
            out[n] = m.gibbs_sample(100, n_steps=3, seed=0)
            z[n] = ais_log_partition(m, n_chains=8, n_betas=30, seed=0, device=None).log_z
    np.testing.assert_array_equal(out[1], out[2])
    assert z[1] == z[2]


@two_cores
def test_dbm_torch_cpu_ais_same_bits_on_one_and_two_torch_threads():
    pytest.importorskip("torch")
    from boltz.dbm import ais_log_partition

    m, z = _dbm(), {}
    for n in (1, 2):
        with _torch_threads(n):
            z[n] = ais_log_partition(m, n_chains=8, n_betas=30, seed=0, device="cpu-torch")
    np.testing.assert_array_equal(z[1].log_weights, z[2].log_weights)


def test_dbm_gibbs_and_ais_run_on_one_thread(monkeypatch):
    """The guard itself: inside DBM Gibbs sampling and NumPy AIS, BLAS runs on one thread;
    inside torch-CPU AIS, torch's intra-op pool does (fails if the pinning is removed)."""
    torch = pytest.importorskip("torch")
    from boltz.dbm import ais_log_partition
    from boltz.dbm.backend import NumpyBackend
    from boltz.dbm.torch_backend import TorchBackend

    blas, torch_seen = set(), set()
    numpy_sigmoid, torch_sigmoid = NumpyBackend.sigmoid, TorchBackend.sigmoid

    def numpy_spy(x):
        blas.update(_blas_threads_now())
        return numpy_sigmoid(x)

    def torch_spy(x):
        torch_seen.add(torch.get_num_threads())
        return torch_sigmoid(x)

    monkeypatch.setattr(NumpyBackend, "sigmoid", staticmethod(numpy_spy))
    monkeypatch.setattr(TorchBackend, "sigmoid", staticmethod(torch_spy))
    m = _dbm()
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"), _torch_threads(2):
        m.gibbs_sample(4, n_steps=2, seed=0)
        ais_log_partition(m, n_chains=4, n_betas=5, seed=0, device=None)
        assert blas == {1}
        ais_log_partition(m, n_chains=4, n_betas=5, seed=0, device="cpu-torch")
        assert torch_seen == {1}
        # control: the spies see the two threads set outside the samplers
        numpy_spy(np.zeros(1)), torch_spy(torch.zeros(1))
        assert torch_seen == {1, 2} and blas == {1, 2}


def _rbm():
    from boltz.rbm import BernoulliRBM

    rng = np.random.default_rng(0)
    return BernoulliRBM.from_params(rng.normal(0, 0.1, (784, 500)).astype(np.float32),
                                    np.zeros(784), np.zeros(500))


@two_cores
def test_rbm_gibbs_and_ais_same_bits_whatever_threads():
    from boltz.rbm.ais import ais_log_partition

    m = _rbm()
    v0 = (np.random.default_rng(1).random((100, 784)) < 0.3).astype(np.float64)
    out, z = {}, {}
    for n in (1, 2):
        m.n_threads = n
        with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
            out[n] = m.gibbs(v0, n_steps=3, seed=0)
            z[n] = ais_log_partition(m, n_runs=8, n_betas=30, seed=0, n_workers=1).log_z
    np.testing.assert_array_equal(out[1], out[2])
    assert z[1] == z[2]


def test_deterministic_threads_pins_torch_and_restores():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with deterministic_threads(torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with deterministic_threads(None):
        blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert all(i["num_threads"] == 1 for i in blas)
    with pytest.raises(TypeError, match="backend"):
        with deterministic_threads(3.5):
            pass
