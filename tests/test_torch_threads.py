"""The RBM's torch-CPU fit gives the same bits whatever torch's thread count.

torch's vectorised ``sigmoid``/``exp`` round the last elements of a thread's chunk
(the scalar tail) differently from the SIMD body, so a ``(100, 500)`` sigmoid on 2
threads differed from 1 thread in one element by 1 ulp (measured, torch 2.13, MKL);
the trainer therefore runs torch's CPU ops on one intra-op thread
(:meth:`boltz.rbm.trainer.Trainer._fixed_blas`).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boltz.rbm import BernoulliRBM  # noqa: E402


def _fit(n_threads_torch, **kw):
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads_torch)
    try:
        X = (np.random.default_rng(0).random((200, 64)) < 0.3).astype(np.float32)
        m = BernoulliRBM(500, method="pcd", n_epochs=2, batch_size=100, centering=True,
                         device="cpu-torch", seed=0, monitor_every=0, **kw).fit(X)
        assert torch.get_num_threads() == n_threads_torch  # restored after fit
        return m
    finally:
        torch.set_num_threads(before)


def test_torch_cpu_fit_same_bits_on_one_and_two_threads():
    a, b = _fit(1), _fit(2)
    for name, arr in a._param_arrays().items():
        np.testing.assert_array_equal(arr, b._param_arrays()[name], err_msg=name)
    c = _fit(2, n_threads=2)  # the model's n_threads does not change the torch-CPU result
    np.testing.assert_array_equal(a.W_, c.W_)


def test_torch_sigmoid_itself_depends_on_threads_control():
    """The control: the raw op the trainer pins does differ across thread counts."""
    rng = np.random.default_rng(1)
    W, _, lam, V = (torch.tensor(rng.standard_normal(s, dtype=np.float32))
                    for s in ((784, 500), (784,), (500,), (100, 784)))
    V = (V > 0.8).float()
    ones = torch.ones(100)[:, None]
    before = torch.get_num_threads()
    out = {}
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            out[n] = torch.sigmoid(torch.addcmul(lam, V @ W, ones)).numpy().copy()
    finally:
        torch.set_num_threads(before)
    if np.array_equal(out[1], out[2]):
        pytest.skip("this torch build's sigmoid happens to agree on 1 and 2 threads here")
    assert np.abs(out[1] - out[2]).max() < 1e-6
