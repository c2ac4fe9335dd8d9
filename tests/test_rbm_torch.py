"""The torch backend of RBM training and AIS (boltz.backend), on the CPU and, when present, CUDA.

The exactness tests of every kind x method on both backends are in test_rbm_backends.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fuzzy_mixture import FUZZY, mixture_log_likelihood  # noqa: E402
from test_rbm_training import MIXTURE_FIT, exact_per_sample  # noqa: E402

from boltz.rbm import (  # noqa: E402
    BernoulliRBM,
    GaussianBernoulliRBM,
    ais_log_partition,
    evaluate_log_likelihood,
    exact_log_likelihood,
    reverse_ais_log_partition,
)

torch.set_num_threads(1)

DEVICES = ["cpu-torch", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))]


def tiny_data(n=2000, seed=0):
    """Samples from a 6-pixel distribution with two modes plus noise."""
    rng = np.random.default_rng(seed)
    modes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=float)
    X = modes[rng.integers(0, 2, n)]
    return np.where(rng.random(X.shape) < 0.1, 1 - X, X)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", ["cd", "pcd", "pt"])
def test_torch_training_increases_exact_log_likelihood(device, method):
    X = tiny_data()
    rbm = BernoulliRBM(4, method=method, learning_rate=0.1, n_epochs=15, batch_size=50,
                       seed=1, lr_schedule="linear", final_lr_fraction=0.05, device=device)
    rbm.init_params(6, X, seed=1)
    before = exact_log_likelihood(rbm, X)
    rbm.fit(X)
    after = exact_log_likelihood(rbm, X)
    # same bar as the CPU path's test: the optimum is about -2.65, the start -6 log 2
    assert after > before + 1.3, (before, after)
    assert rbm.W_.dtype == np.float32 and rbm.n_iter_ == 15
    assert "pseudo_loglik" in rbm.history_[-1]


@pytest.mark.parametrize("device", DEVICES)
def test_torch_dynamic_binarization_matches_the_cpu_path(device, monkeypatch):
    from boltz.rbm.trainer import Trainer

    seen = []
    original = Trainer.step

    def recording(self, v, *args):
        if self.bk.name == "torch":
            seen.append(v.cpu().numpy())
        return original(self, v, *args)

    monkeypatch.setattr(Trainer, "step", recording)
    kw = {**MIXTURE_FIT, "n_epochs": 600, "binarize": "dynamic"}
    cpu, dev = (mixture_log_likelihood(exact_per_sample,
                                       BernoulliRBM(4, device=d, **kw).fit(FUZZY))
                for d in (None, device))
    # the CPU path gives -3.355..-3.373 over seeds 0-3 (torch-CPU -3.354..-3.365), one
    # fixed draw of the rows -3.65..-3.85 (tests/test_rbm_training.py)
    assert abs(dev - cpu) < 0.05, (dev, cpu)
    batches = np.concatenate(seen)
    assert len(seen) == 1800 and np.all((batches == 0) | (batches == 1))
    sd = np.sqrt(np.mean(FUZZY * (1 - FUZZY)) / batches.size)
    assert abs(batches.mean() - FUZZY.mean()) < 4 * sd


@pytest.mark.parametrize("device", DEVICES)
def test_torch_ais_matches_exact_log_z_on_mnist_trained_rbm(device, mnist_available):
    from boltz.datasets import load_mnist

    X, _ = load_mnist("train", binarize="stochastic", seed=0)
    X = X[:3000]
    rbm = BernoulliRBM(15, learning_rate=0.05, n_epochs=4, batch_size=50, seed=0,
                       monitor_every=0, device=device).fit(X)
    assert np.abs(rbm.W_).max() > 0.5  # trained, not near-zero weights
    exact = rbm.log_partition()
    fwd = ais_log_partition(rbm, n_runs=100, n_betas=2000, data=X, seed=1)
    assert abs(fwd.log_z - exact) < 0.2, (fwd.log_z, exact)
    rev = reverse_ais_log_partition(rbm, X[:100], n_betas=2000, data=X, n_gibbs=100, seed=2)
    assert abs(rev.log_z - exact) < 0.2, (rev.log_z, exact)
    res = evaluate_log_likelihood(rbm, X[:500], X, n_runs=50, n_betas=1000, n_gibbs=20, seed=3)
    assert abs(res["test_loglik_ais"] - res["test_loglik_exact"]) < 0.3


def test_torch_ais_is_unbiased_on_a_random_wide_rbm():
    """Forward AIS weights average to Z: log Z within 0.2 nats over 200 runs."""
    rng = np.random.default_rng(8)
    rbm = BernoulliRBM.from_params(rng.standard_normal((12, 20)), 0.5 * rng.standard_normal(12),
                                   0.5 * rng.standard_normal(20))
    fwd = ais_log_partition(rbm, n_runs=200, n_betas=2000, seed=0, device="cpu-torch")
    assert abs(fwd.log_z - rbm.log_partition()) < 0.2


def test_torch_path_is_seeded():
    X = tiny_data(500)
    a = BernoulliRBM(4, n_epochs=2, seed=5, device="cpu-torch").fit(X)
    b = BernoulliRBM(4, n_epochs=2, seed=5, device="cpu-torch").fit(X)
    c = BernoulliRBM(4, n_epochs=2, seed=6, device="cpu-torch").fit(X)
    np.testing.assert_array_equal(a.W_, b.W_)
    assert not np.array_equal(a.W_, c.W_)
    r1 = ais_log_partition(a, n_runs=10, n_betas=50, seed=1, device="cpu-torch")
    r2 = ais_log_partition(a, n_runs=10, n_betas=50, seed=1, device="cpu-torch")
    np.testing.assert_array_equal(r1.log_weights, r2.log_weights)


def test_partial_fit_on_torch_keeps_its_chains():
    X = tiny_data(500)
    rbm = BernoulliRBM(4, seed=0, device="cpu-torch", learning_rate=0.1)
    rbm.partial_fit(X)
    trainer = rbm._trainer
    rbm.partial_fit(X)
    assert rbm._trainer is trainer and rbm.n_iter_ == 2
    assert rbm._trainer.bk.name == "torch"
    rbm.set_params(device=None)
    rbm.partial_fit(X)   # switching back to the CPU gets a CPU trainer
    assert rbm._trainer.bk.name == "numpy"


def test_torch_path_rejects_bad_devices():
    X = tiny_data(200)
    with pytest.raises(ValueError, match="device"):
        BernoulliRBM(3, n_epochs=1, device="no-such-device").fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            BernoulliRBM(3, n_epochs=1, device="cuda").fit(X)


def test_gaussian_and_pt_train_on_torch():
    """What the torch path used to reject (issue #17): Gaussian visibles, PT."""
    rng = np.random.default_rng(0)
    Xg = rng.normal(1.0, 0.5, size=(300, 3)).astype(np.float32)
    m = GaussianBernoulliRBM(3, method="pt", learn_variance=True, n_epochs=2, seed=0,
                             device="cpu-torch").fit(Xg)
    assert np.isfinite(m.W_).all() and m.history_[-1]["pt_swap_rate"] > 0


def test_torch_training_divergence_is_reported():
    from boltz.rbm import DivergenceError

    X = tiny_data(500)
    with pytest.raises(DivergenceError, match="diverged"):
        BernoulliRBM(4, learning_rate=1e4, max_weight=50.0, n_epochs=3, seed=0,
                     device="cpu-torch").fit(X)


def test_saved_models_do_not_carry_the_device(tmp_path):
    from boltz.dbm import DeepBoltzmannMachine

    X = tiny_data(300)
    rbm = BernoulliRBM(3, n_epochs=1, seed=0, device="cpu-torch").fit(X)
    back = BernoulliRBM.load(rbm.save(tmp_path / "rbm.npz"))
    assert back.device is None
    np.testing.assert_array_equal(back.W_, rbm.W_)
    dbm = DeepBoltzmannMachine((3, 2), n_epochs=1, pretrain_epochs=1, seed=0,
                               device="cpu-torch").fit(X)
    assert DeepBoltzmannMachine.load(dbm.save(tmp_path / "dbm.npz")).device is None


def test_cli_trains_and_evaluates_on_a_torch_device(tmp_path, capsys):
    import json

    from boltz.cli import main

    X = tiny_data(400).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    out = tmp_path / "m.npz"
    assert main(["rbm", "train", "--data", str(tmp_path / "x.npy"), "--hidden", "4",
                 "--epochs", "2", "--device", "cpu-torch", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["rbm", "eval", str(out), "--data", str(tmp_path / "x.npy"), "--runs", "20",
                 "--betas", "100", "--device", "cpu-torch", "--quiet"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "test_loglik_exact" in res   # 4 hidden units: the exact value


@pytest.mark.parametrize("device", DEVICES)
def test_device_negative_phase_leaves_the_exact_marginal_invariant(device):
    """Persistent chains started at exact draws stay exact: after PCD steps with a zero
    learning rate the device's negative-phase visibles pass chi-square and TV tests
    against enumeration, and a control model is rejected."""
    from boltz.exact import ExactDistribution, chi_square_test, expected_total_variation
    from boltz.rbm.trainer import Trainer

    rng = np.random.default_rng(4)
    rbm = BernoulliRBM.from_params(rng.standard_normal((8, 5)), 0.5 * rng.standard_normal(8),
                                   0.5 * rng.standard_normal(5), method="pcd",
                                   batch_size=20000, n_chains=20000, device=device)
    exact = ExactDistribution(rbm)
    X = exact.sample(20000, seed=5).astype(np.float32)   # chain h ~ p(h | exact v) ~ p(h)
    tr = Trainer(rbm, X, seed=6)
    Xd = tr.bk.asarray(X)
    for _ in range(3):
        v, _, tr.chain_h = tr._negative_phase(tr.chain_h)
        tr.step(Xd, 0.0, 0.0)
    v = v.cpu().numpy().astype(np.float64)
    assert chi_square_test(v, exact)[1] > 1e-3
    assert exact.total_variation(v) < 1.2 * expected_total_variation(exact.probabilities, len(v))
    tr._download()
    np.testing.assert_array_equal(tr.params["W"].cpu().numpy(), rbm.W_)   # lr 0: unchanged
    other = BernoulliRBM.from_params(0.7 * rbm.W_, rbm.visible_bias_, rbm.hidden_bias_)
    assert chi_square_test(v, ExactDistribution(other))[1] < 1e-6
