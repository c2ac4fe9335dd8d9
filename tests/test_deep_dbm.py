"""The torch path of DBM joint training and AIS: CPU torch, and CUDA if present."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fuzzy_mixture import FUZZY, mixture_log_likelihood  # noqa: E402
from test_dbm_training import MIXTURE_FIT  # noqa: E402

from boltz.dbm import DeepBoltzmannMachine  # noqa: E402
from boltz.dbm.evaluation import (  # noqa: E402
    ais_log_partition,
    evaluate_lower_bound,
    exact_log_likelihood,
    exact_log_partition,
)
from boltz.dbm.training import _centred_biases, _uncentred_biases  # noqa: E402

torch.set_num_threads(1)

DEVICES = ["cpu-torch", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))]


def two_mode_data(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 10)) < 0.15).astype(np.float32)
    X[: n // 2, :5] = 1
    return X


@pytest.mark.parametrize("device", DEVICES)
def test_torch_ais_matches_exact_log_z_on_a_tiny_dbm(device):
    rng = np.random.default_rng(3)
    dbm = DeepBoltzmannMachine.from_parameters(
        [rng.standard_normal((6, 4)), rng.standard_normal((4, 3))],
        [0.5 * rng.standard_normal(k) for k in (6, 4, 3)])
    res = ais_log_partition(dbm, n_chains=200, n_betas=2000, seed=0, device=device)
    assert abs(res.log_z - exact_log_partition(dbm)) < 0.2, res.log_z
    assert res.ess > 20


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("centering", [False, True])
def test_torch_joint_training_matches_the_cpu_path(device, centering):
    X = two_mode_data()
    kw = dict(n_epochs=30, pretrain_epochs=0, learning_rate=0.1, batch_size=50,
              lr_schedule="linear", centering=centering, seed=0)
    start = DeepBoltzmannMachine((6, 4), **{**kw, "n_epochs": 0}).fit(X)
    before = exact_log_likelihood(start, X).mean()
    cpu = exact_log_likelihood(DeepBoltzmannMachine((6, 4), **kw).fit(X), X).mean()
    dbm = DeepBoltzmannMachine((6, 4), device=device, **kw).fit(X)
    after = exact_log_likelihood(dbm, X).mean()
    # start -5.51; the CPU path reaches about -4.05 (sd 0.025 over seeds) uncentred
    # and -3.97 (sd 0.005) centred: the device path must get as far
    assert after > before + 1.0, (before, after)
    assert abs(after - cpu) < 0.15, (after, cpu)
    assert len(dbm.history_) == 30 and dbm.weights_[0].dtype == np.float32


@pytest.mark.parametrize("device", DEVICES)
def test_torch_dynamic_binarization_matches_the_cpu_path(device, monkeypatch):
    from boltz.deep.dbm import JointTrainer

    seen = []
    original = JointTrainer.mean_field

    def recording(self, v, n_iter):
        seen.append(v.cpu().numpy())
        return original(self, v, n_iter)

    monkeypatch.setattr(JointTrainer, "mean_field", recording)
    kw = {**MIXTURE_FIT, "n_epochs": 600, "binarize": "dynamic"}
    cpu, dev = (mixture_log_likelihood(exact_log_likelihood,
                                       DeepBoltzmannMachine((4, 3), device=d, **kw).fit(FUZZY))
                for d in (None, device))
    batches = np.concatenate(seen)
    # every minibatch is a fresh binary draw (training on the probabilities
    # themselves would fit this mixture about as well, so the draws are checked)
    assert len(seen) == 1800 and np.all((batches == 0) | (batches == 1))
    sd = np.sqrt(np.mean(FUZZY * (1 - FUZZY)) / batches.size)
    assert abs(batches.mean() - FUZZY.mean()) < 4 * sd
    # the CPU path gives -3.353..-3.361 over seeds 0-3, a single draw of the rows
    # -3.62..-3.80 (tests/test_dbm_training.py): the device must fit the mixture too
    assert abs(dev - cpu) < 0.03, (dev, cpu)


def test_torch_mean_field_and_update_match_the_numpy_formulas(record_draws):
    """One joint update, the sampled chains recorded, against NumPy's own model math."""
    import boltz.deep.dbm as ddbm

    rng = np.random.default_rng(1)
    X = (rng.random((30, 7)) < 0.4).astype(np.float64)
    dbm = DeepBoltzmannMachine.from_parameters(
        [0.5 * rng.standard_normal((7, 5)), 0.5 * rng.standard_normal((5, 3))],
        [0.3 * rng.standard_normal(k) for k in (7, 5, 3)], dtype="float64")
    chains = [(rng.random((20, k)) < 0.5).astype(np.float64) for k in (7, 5, 3)]
    offsets = [rng.random(k) for k in (7, 5, 3)]
    jt = ddbm.JointTrainer(dbm, X, chains, offsets, 0, "cpu-torch")
    # mean field: the device's fixed sweeps equal NumPy's with tol = 0
    mus = dbm.mean_field(X, n_iter=7, tol=0.0)
    got = jt.mean_field(torch.from_numpy(X), 7)
    for m, g in zip(mus, got[1:], strict=True):
        np.testing.assert_allclose(g.numpy(), m, atol=1e-12)
    W0 = [w.copy() for w in dbm.weights_]
    b0 = [x.copy() for x in dbm.biases_]
    jt.vel_W[0] += 0.01
    vW0 = [v.numpy().copy() for v in jt.vel_W]
    draws = record_draws(ddbm, "_bernoulli")
    jt.run_epoch(1, 30, lambda step: 0.1, 0, momentum=0.6, weight_decay=0.01,
                 centering=True, offset_rate=0.05, mean_field_iters=7, gibbs_steps=1)
    jt.download()
    # recorded order: odd layer 1, then even layers 0 and 2 (one Gibbs sweep)
    h1, v_neg, h2 = draws
    neg = [v_neg, None, h2]
    neg[1] = 1 / (1 + np.exp(-(b0[1] + v_neg @ W0[0] + h2 @ W0[1].T)))
    # the minibatch is a permutation of X: its mean-field statistics are sums over rows
    data = [X, *mus]
    n = 30
    bc = _centred_biases(W0, b0, offsets)
    W_new, vW = [], []
    for l in range(2):
        g = ((data[l] - offsets[l]).T @ (data[l + 1] - offsets[l + 1]) / n
             - (neg[l] - offsets[l]).T @ (neg[l + 1] - offsets[l + 1]) / 20)
        v = 0.6 * vW0[l] + 0.1 * (g - 0.01 * W0[l])
        vW.append(v)
        W_new.append(W0[l] + v)
    for l in range(2):
        np.testing.assert_allclose(dbm.weights_[l], W_new[l], atol=1e-10)
    vb = [0.1 * (data[l].mean(0) - neg[l].mean(0)) for l in range(3)]
    want_b = _uncentred_biases(W_new, [x + d for x, d in zip(bc, vb, strict=True)], offsets)
    for l in range(3):
        np.testing.assert_allclose(dbm.biases_[l], want_b[l], atol=1e-10)
    np.testing.assert_allclose(jt.offsets[1].numpy(),
                               0.95 * offsets[1] + 0.05 * mus[0].mean(0), atol=1e-12)
    assert h1.shape == (20, 5)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_evaluate_lower_bound_is_below_the_exact_log_likelihood(device):
    X = two_mode_data(400)
    dbm = DeepBoltzmannMachine((6, 4), n_epochs=5, pretrain_epochs=2, learning_rate=0.02,
                               seed=0, device=device).fit(X)
    ev = evaluate_lower_bound(dbm, X, X_train=X, n_chains=100, n_betas=1000, seed=0)
    exact = exact_log_likelihood(dbm, X).mean()
    assert ev["lower_bound"] <= exact + 0.05
    assert abs(ev["log_z"] - exact_log_partition(dbm)) < 0.2


def test_torch_dbm_training_is_seeded():
    X = two_mode_data(300)
    kw = dict(n_epochs=2, pretrain_epochs=1, seed=4, device="cpu-torch")
    a = DeepBoltzmannMachine((5, 3), **kw).fit(X)
    b = DeepBoltzmannMachine((5, 3), **kw).fit(X)
    for x, y in zip(a.weights_, b.weights_, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("device", DEVICES)
def test_device_chains_leave_the_exact_joint_invariant(device):
    """The persistent chains' block Gibbs on the device, started at exact iid draws,
    must still give exact iid draws (chi-square and TV against enumeration)."""
    import boltz.deep.dbm as ddbm
    from boltz.exact import ExactDistribution, chi_square_test, expected_total_variation

    rng = np.random.default_rng(1)
    dbm = DeepBoltzmannMachine.from_parameters(
        [rng.standard_normal((6, 4)), rng.standard_normal((4, 3))],
        [0.5 * rng.standard_normal(k) for k in (6, 4, 3)])
    exact = ExactDistribution(dbm)
    n = 20000
    x0 = exact.sample(n, seed=11)
    jt = ddbm.JointTrainer(dbm, x0[:1], dbm.split(x0), [np.zeros(k) for k in (6, 4, 3)], 12,
                           device)
    for _ in range(3):
        jt._model_statistics(1)
    x = np.concatenate([c.cpu().numpy() for c in jt.chains], axis=1).astype(np.float64)
    _, p_value = chi_square_test(x, exact)
    assert p_value > 1e-3
    assert exact.total_variation(x) < 1.2 * expected_total_variation(exact.probabilities, n)
    assert np.mean(np.all(x == x0, axis=1)) < 0.9   # the chains moved
    # control: the same draws judged against another model are rejected
    other = DeepBoltzmannMachine.from_parameters(
        [0.8 * w for w in dbm.weights_], [b for b in dbm.biases_])
    assert chi_square_test(x, ExactDistribution(other))[1] < 1e-6


@pytest.mark.parametrize("device", DEVICES)
def test_torch_persistent_mean_field_continues_where_the_last_visit_stopped(device,
                                                                             monkeypatch):
    from test_dbm_training import persistent_means_after

    means, frozen, X = persistent_means_after(6, "persistent", monkeypatch, device=device)
    for got, want in zip(means, frozen.mean_field(X, n_iter=6, tol=0), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
