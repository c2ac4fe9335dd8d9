"""RBM training (CD/PCD/PT), AIS against exact log Z, estimator interface, IO and errors."""

import numpy as np
import pytest
from fuzzy_mixture import FUZZY, MIXTURE_ENTROPY, three_fits

from boltz.exact import all_states
from boltz.io import ModelFileError
from boltz.rbm import (
    BernoulliRBM,
    CategoricalRBM,
    DivergenceError,
    GaussianBernoulliRBM,
    ais_log_partition,
    evaluate_log_likelihood,
    exact_log_likelihood,
    load_rbm,
    one_hot,
    reverse_ais_log_partition,
)
from boltz.rbm.kinds import OutOfRangeWarning

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def tiny_data(n=2000, seed=0):
    """Samples from a 6-pixel distribution with two modes plus noise."""
    rng = np.random.default_rng(seed)
    modes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=float)
    X = modes[rng.integers(0, 2, n)]
    flip = rng.random(X.shape) < 0.1
    return np.where(flip, 1 - X, X)


@pytest.mark.parametrize("method", ["cd", "pcd", "pt"])
def test_training_increases_exact_log_likelihood(method):
    X = tiny_data()
    rbm = BernoulliRBM(4, method=method, k=1, learning_rate=0.1, n_epochs=15, batch_size=50,
                       seed=1, n_temperatures=4, lr_schedule="linear", final_lr_fraction=0.05)
    rbm.init_params(6, X, seed=1)
    before = exact_log_likelihood(rbm, X)
    rbm.fit(X)
    after = exact_log_likelihood(rbm, X)
    # the independent-pixel model (which init_params starts from) gets 6 * H(0.5) nats
    assert before == pytest.approx(-6 * np.log(2), abs=0.1)
    assert after > before + 1.3, (before, after)   # optimum is about -2.65
    assert rbm.n_iter_ == 15 and len(rbm.history_) == 15
    assert "pseudo_loglik" in rbm.history_[-1]
    if method == "pt":
        assert 0 < rbm.history_[-1]["pt_swap_rate"] <= 1


def test_centering_momentum_sparsity_and_schedule_train():
    X = tiny_data(seed=2)
    rbm = BernoulliRBM(4, centering=True, momentum=lambda e: 0.5 if e < 3 else 0.9,
                       weight_decay=1e-4, sparsity_target=0.2, sparsity_cost=0.01,
                       lr_schedule="linear", learning_rate=0.05, n_epochs=10, batch_size=50,
                       seed=3).fit(X)
    assert exact_log_likelihood(rbm, X) > -6 * np.log(2) + 0.8
    assert rbm.history_[-1]["learning_rate"] < rbm.history_[0]["learning_rate"]
    assert rbm.history_[-1]["momentum"] == 0.9


def test_same_seed_same_result_and_partial_fit():
    X = tiny_data(500)
    a = BernoulliRBM(3, n_epochs=3, seed=7).fit(X)
    b = BernoulliRBM(3, n_epochs=3, seed=7).fit(X)
    np.testing.assert_array_equal(a.W_, b.W_)
    c = BernoulliRBM(3, seed=7)
    for _ in range(3):
        c.partial_fit(X)
    assert c.n_iter_ == 3 and np.all(np.isfinite(c.W_))


class SteppingClock:
    """A stand-in for the ``time`` module whose every reading advances by ``tick`` seconds."""

    def __init__(self, tick):
        self.t, self.tick = 0.0, tick

    def perf_counter(self):
        self.t += self.tick
        return self.t


@pytest.mark.parametrize("schedule", ["linear_time", "constant"])
def test_time_budget_ends_training_and_linear_time_decays_with_the_clock(schedule, monkeypatch):
    from boltz.rbm import training

    X = tiny_data(200)
    clock = SteppingClock(0.1)
    monkeypatch.setattr(training, "time", clock)
    rbm = BernoulliRBM(3, n_epochs=1000, batch_size=50, learning_rate=0.05,
                       lr_schedule=schedule, final_lr_fraction=0.1, max_seconds=2.0,
                       monitor_every=0, seed=0).fit(X)
    rates = [h["learning_rate"] for h in rbm.history_]
    # 4 clock readings per epoch (rate, epoch start and end, budget check): 0.4 s an
    # epoch, so the 2-second budget runs out during the 5th epoch
    assert rbm.n_iter_ == len(rates) == 5
    if schedule == "constant":
        assert rates == [0.05] * 5
    else:
        # epoch e reads the clock 0.4 e + 0.1 s after the start: rate 0.05 (1 - 0.9 t / 2)
        expected = [0.05 * (1 - 0.9 * (0.4 * e + 0.1) / 2.0) for e in range(5)]
        np.testing.assert_allclose(rates, expected, rtol=1e-12)
        assert rates[-1] < 0.05 * (1 - 0.9 * 0.8)   # the last epoch runs in the final fifth


def test_time_budget_errors_and_round_trip(tmp_path):
    X = tiny_data(200)
    with pytest.raises(ValueError, match="max_seconds"):
        BernoulliRBM(3, n_epochs=1, lr_schedule="linear_time").fit(X)
    with pytest.raises(ValueError, match="max_seconds"):
        BernoulliRBM(3, n_epochs=1, max_seconds=-1.0).fit(X)
    with pytest.raises(ValueError, match="partial_fit"):
        BernoulliRBM(3, lr_schedule="linear_time", max_seconds=5.0).partial_fit(X)
    rbm = BernoulliRBM(3, n_epochs=2, lr_schedule="linear_time", max_seconds=60.0,
                       batch_size=50, seed=0).fit(X)
    assert rbm.n_iter_ == 2   # n_epochs still caps the training within the budget
    loaded = BernoulliRBM.load(rbm.save(tmp_path / "r.npz"))
    assert loaded.max_seconds == 60.0 and loaded.lr_schedule == "linear_time"


def test_divergence_is_reported():
    X = tiny_data(500)
    with pytest.raises(DivergenceError, match="diverged"):
        BernoulliRBM(4, learning_rate=1e6, n_epochs=5, seed=0).fit(X)
    with pytest.raises(DivergenceError, match=r"max \|W\|.*max_weight=0.05"):
        BernoulliRBM(4, learning_rate=0.5, n_epochs=5, max_weight=0.05, seed=0).fit(X)


def test_update_kernels_report_nan():
    from boltz.rbm import _kernels as K

    W = np.ones((4, 3), np.float32)
    u, w = np.zeros(4, np.float32), np.zeros(3, np.float32)
    t = np.eye(4, dtype=np.float32)[:2]
    y_nan = np.full((2, 3), np.nan, np.float32)
    zeros = np.zeros((2, 3), np.float32)
    assert np.isnan(K.fused_binary_update(t, y_nan, t, zeros, W.copy(), np.zeros_like(W), u, w,
                                          0.1, 0.0, 0.0))
    g = np.zeros_like(W)
    g[1, 1] = np.nan
    assert np.isnan(K.update_parameters_rank1(W.copy(), np.zeros_like(W), g, u, w, 0.1, 0, 0))
    assert not np.isfinite(K.update_parameters(W.copy(), np.zeros_like(W), g, 1.0, 0.1, 0, 0))


def test_callbacks_and_early_stopping():
    X = tiny_data(1000)
    seen = []

    def stop_at_two(model, epoch, metrics):
        seen.append(epoch)
        return epoch == 2

    BernoulliRBM(3, n_epochs=10, seed=0, batch_size=50).fit(X, callbacks=[stop_at_two])
    assert seen == [1, 2]
    rbm = BernoulliRBM(3, n_epochs=30, seed=0, early_stopping=True, patience=2,
                       learning_rate=0.5, batch_size=50).fit(X[:800], X_val=X[800:])
    assert hasattr(rbm, "best_score_") and rbm.n_iter_ <= 30
    with pytest.raises(ValueError, match="validation data"):
        BernoulliRBM(3, early_stopping=True).fit(X)


def test_gaussian_rbm_recovers_gaussian_mean_and_variance():
    """With one hidden unit and Gaussian data the best RBM is the Gaussian itself."""
    rng = np.random.default_rng(4)
    mean, std = np.array([2.0, -1.0]), np.array([0.5, 2.0])
    X = mean + std * rng.standard_normal((20000, 2))
    m = GaussianBernoulliRBM(1, learn_variance=True, learning_rate=0.01, n_epochs=8,
                             batch_size=100, seed=5, init_std=0.001).fit(X)
    # exact visible moments: mixture over the two hidden states
    H = all_states(1)
    logp_h = m.hidden_log_unnormalized(H)
    p_h = np.exp(logp_h - np.logaddexp.reduce(logp_h))
    mu_h = m.visible_mean(H)
    var = m.visible_variance_
    model_mean = p_h @ mu_h
    model_var = var + p_h @ (mu_h - model_mean) ** 2
    se_mean = std / np.sqrt(len(X))
    assert np.all(np.abs(model_mean - X.mean(0)) < 0.05 * std + 5 * se_mean)
    np.testing.assert_allclose(model_var, X.var(0), rtol=0.08)
    np.testing.assert_allclose(np.sqrt(model_var), std, rtol=0.08)


def test_fixed_variance_gaussian_and_categorical_fit():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((1000, 3))
    m = GaussianBernoulliRBM(2, n_epochs=2, seed=0).fit(X)
    np.testing.assert_allclose(np.exp(m.log_variance_), 1.0)
    assert m.sample(5, seed=0, n_steps=5).shape == (5, 3)
    Xc = one_hot(rng.integers(0, 3, size=(500, 2)), 3)
    c = CategoricalRBM(3, n_categories=3, n_epochs=3, seed=0, batch_size=50).fit(Xc)
    s = c.sample(10, seed=1, n_steps=3)
    assert np.all(s.reshape(10, 2, 3).sum(axis=2) == 1)
    assert c.mean_log_likelihood(Xc) > 2 * -np.log(3) - 0.05


@pytest.fixture(scope="module")
def mnist_rbm(mnist_available):
    from boltz.datasets import load_mnist

    X, _ = load_mnist("train", binarize="stochastic", seed=0)
    X = X[:3000]
    rbm = BernoulliRBM(15, method="pcd", learning_rate=0.05, n_epochs=4, batch_size=50,
                       seed=0, monitor_every=0).fit(X)
    return rbm, X


def test_ais_matches_exact_log_z_on_mnist_trained_rbm(mnist_rbm):
    rbm, X = mnist_rbm
    assert np.abs(rbm.W_).max() > 0.5  # trained, not near-zero weights
    exact = rbm.log_partition()
    fwd = ais_log_partition(rbm, n_runs=100, n_betas=2000, data=X, seed=1)
    assert abs(fwd.log_z - exact) < 0.2, (fwd.log_z, exact)
    assert fwd.log_z_low <= fwd.log_z <= fwd.log_z_high
    rev = reverse_ais_log_partition(rbm, X[:100], n_betas=2000, data=X, n_gibbs=100, seed=2)
    assert abs(rev.log_z - exact) < 0.2, (rev.log_z, exact)
    res = evaluate_log_likelihood(rbm, X[:500], X, n_runs=50, n_betas=1000, n_gibbs=20, seed=3)
    assert abs(res["test_loglik_ais"] - res["test_loglik_exact"]) < 0.3
    assert abs(res["test_loglik_conservative"] - res["test_loglik_exact"]) < 0.3


def test_ais_on_random_wide_rbm_both_directions():
    rng = np.random.default_rng(8)
    rbm = BernoulliRBM.from_params(rng.standard_normal((12, 20)), 0.5 * rng.standard_normal(12),
                                   0.5 * rng.standard_normal(20))
    exact = rbm.log_partition()
    assert rbm.exact_layer() == "visible"
    fwd = ais_log_partition(rbm, n_runs=100, n_betas=2000, seed=0)
    assert abs(fwd.log_z - exact) < 0.2
    # the gaussian AIS path against the exact hidden enumeration
    g = GaussianBernoulliRBM.from_params(0.3 * rng.standard_normal((5, 4)),
                                         rng.standard_normal(5), rng.standard_normal(4))
    res = ais_log_partition(g, n_runs=100, n_betas=1000, seed=1)
    assert abs(res.log_z - g.log_partition()) < 0.1
    # and the softmax-visible path, base rates fitted to data
    c = CategoricalRBM.from_params(rng.standard_normal((12, 5)), rng.standard_normal(12),
                                   rng.standard_normal(5), n_categories=4)
    Xc = one_hot(rng.integers(0, 4, (300, 3)), 4)
    res = ais_log_partition(c, n_runs=100, n_betas=1000, data=Xc, seed=2)
    assert abs(res.log_z - c.log_partition()) < 0.1


def test_save_load_round_trip_and_bad_files(tmp_path):
    X = tiny_data(300)
    rbm = BernoulliRBM(3, n_epochs=2, seed=0, learning_rate=0.07).fit(X)
    path = rbm.save(tmp_path / "rbm.npz")
    back = BernoulliRBM.load(path)
    np.testing.assert_array_equal(back.W_, rbm.W_)
    np.testing.assert_array_equal(back.visible_bias_, rbm.visible_bias_)
    np.testing.assert_array_equal(back.hidden_bias_, rbm.hidden_bias_)
    assert back.get_params() == rbm.get_params()
    assert back.history_ == rbm.history_
    assert isinstance(load_rbm(path), BernoulliRBM)
    g = GaussianBernoulliRBM(2, learn_variance=True, n_epochs=1, seed=0).fit(
        np.random.default_rng(0).standard_normal((200, 3)))
    gpath = g.save(tmp_path / "g")
    g2 = load_rbm(gpath)
    np.testing.assert_array_equal(g2.log_variance_, g.log_variance_)
    with pytest.raises(ModelFileError, match="GaussianBernoulliRBM"):
        BernoulliRBM.load(gpath)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelFileError):
        BernoulliRBM.load(bad)


def test_bad_input_gives_clear_errors():
    X = tiny_data(100)
    with pytest.raises(ValueError, match="n_hidden"):
        BernoulliRBM(0).fit(X)
    with pytest.raises(ValueError, match="n_hidden"):
        BernoulliRBM(-3).fit(X)
    with pytest.raises(TypeError, match="n_hidden"):
        BernoulliRBM(2.5).fit(X)
    # values outside [0, 1]: taken as given, as scikit-learn's BernoulliRBM does, with a warning
    with pytest.warns(OutOfRangeWarning, match=r"outside \[0, 1\]"):
        BernoulliRBM(2, n_epochs=1).fit(X * 1.5)
    with pytest.warns(OutOfRangeWarning, match=r"outside \[0, 1\]"):
        BernoulliRBM(2, n_epochs=1).fit(X - 0.5)
    with pytest.raises(ValueError, match="Negative values in data passed to BernoulliRBM"):
        BernoulliRBM(2, binarize="dynamic").fit(X - 0.5)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BernoulliRBM(2).fit(bad)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        BernoulliRBM(2).fit(X[0])
    rbm = BernoulliRBM(2, n_epochs=1, seed=0).fit(X)
    with pytest.raises(ValueError, match="X has 5 features, but BernoulliRBM is expecting 6"):
        rbm.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="method"):
        BernoulliRBM(2, method="bogus").fit(X)
    with pytest.raises(ValueError, match="learning_rate"):
        BernoulliRBM(2, learning_rate=-1.0).fit(X)
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        rbm.set_params(bogus=1)
    # PT runs for every visible family now (issue #17); its own arguments are still checked
    with pytest.raises(ValueError, match="n_temperatures"):
        GaussianBernoulliRBM(2, method="pt", n_temperatures=1).fit(np.zeros((10, 2)))


def test_sklearn_pipeline_and_clone():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(0)
    X = tiny_data(400)
    y = (X[:, :3].sum(axis=1) >= 2).astype(int)   # which mode a sample came from
    pipe = Pipeline([("rbm", BernoulliRBM(4, n_epochs=20, batch_size=20, learning_rate=0.1,
                                          seed=0)),
                     ("clf", LogisticRegression())]).fit(X, y)
    assert pipe.score(X, y) > 0.8
    c = clone(BernoulliRBM(5, learning_rate=0.2))
    assert c.get_params()["learning_rate"] == 0.2 and not c.is_fitted
    assert sklearn is not None and rng is not None


@pytest.mark.parametrize("centering", [False, True])
def test_sparse_binary_gradient_equals_dense_centred_formula(centering):
    """One update through the sparse 0/1 path equals the textbook (centred) CD-1 update."""
    from boltz.rbm.training import Trainer

    X = tiny_data(200).astype(np.float32)
    results = []
    for binary in (True, False):
        rbm = BernoulliRBM(4, method="cd", centering=centering, momentum=0.0,
                           sparsity_target=0.1, sparsity_cost=0.5, seed=0)
        rbm.init_params(6, X, seed=0)
        tr = Trainer(rbm, X, seed=1)
        tr.binary = binary
        tr.step(X[:50], 0.1, 0.0)
        results.append((rbm.W_.copy(), rbm.visible_bias_.copy(), rbm.hidden_bias_.copy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # and the dense path against the formula <(v - mu)(h - lam)^T> written out
    rbm = BernoulliRBM(4, method="cd", centering=centering, momentum=0.0, seed=0)
    rbm.init_params(6, X, seed=0)
    W0 = rbm.W_.astype(np.float64).copy()
    tr = Trainer(rbm, X, seed=1)
    rng_copy = np.random.default_rng(1)
    rng_copy.bit_generator.state = tr.rng.bit_generator.state
    v = X[:50]
    ph, h = tr._hidden(v)
    v_neg, ph_neg, _ = tr._negative_phase(h)
    lam = tr.lam + 0.01 * (ph.mean(0) - tr.lam) if centering else 0 * tr.lam
    mu = X.mean(0) if centering else 0 * X[0]
    grad = ((v - mu).T @ (ph - lam)) / 50 - ((v_neg - mu).T @ (ph_neg - lam)) / 50
    tr.rng.bit_generator.state = rng_copy.bit_generator.state
    tr.step(v, 0.1, 0.0)
    np.testing.assert_allclose(rbm.W_, W0 + 0.1 * grad, atol=1e-5)


def test_validation_ais_metric_matches_exact():
    X = tiny_data(600)
    rbm = BernoulliRBM(3, n_epochs=2, seed=0, ais_every=1, ais_runs=50, ais_betas=500,
                       batch_size=50).fit(X[:500], X_val=X[500:])
    row = rbm.history_[-1]
    exact = exact_log_likelihood(rbm, X[500:])
    assert abs(row["val_loglik_ais"] - exact) < 0.1
    assert {"recon_error", "pseudo_loglik", "val_recon_error", "val_pseudo_loglik"} <= set(row)


def test_no_automatic_enumeration_beyond_20_units():
    rng = np.random.default_rng(0)
    rbm = BernoulliRBM.from_params(0.01 * rng.standard_normal((21, 22)), np.zeros(21),
                                   np.zeros(22))
    X = (rng.random((50, 21)) < 0.5).astype(float)
    assert not rbm.has("log_partition")
    # without log_z, score_samples estimates log Z by AIS with the model's ais_runs/ais_betas
    rbm.set_params(ais_runs=10, ais_betas=50, seed=0)
    ais = ais_log_partition(rbm, n_runs=10, n_betas=50, seed=np.random.default_rng(0))
    np.testing.assert_allclose(rbm.score_samples(X), rbm.score_samples(X, log_z=ais.log_z))
    res = evaluate_log_likelihood(rbm, X, X, n_runs=10, n_betas=50, n_gibbs=1, seed=0)
    assert "test_loglik_exact" not in res
    assert res["test_loglik_conservative"] <= res["test_loglik_ais"]
    assert np.isfinite(rbm.score_samples(X, log_z=res["log_z_ais"])).all()


@pytest.mark.parametrize("cls", [BernoulliRBM, GaussianBernoulliRBM])
def test_sparse_top_down_products_track_the_weights(cls, monkeypatch):
    """The cached W^T of the sparse ``h W^T`` path equals the current W after every update."""
    from boltz.backend import _kernels as K
    from boltz.rbm.training import Trainer, run_epoch

    monkeypatch.setattr(K, "SPARSE_BELOW", 1.01)  # always take the sparse path
    X = tiny_data(300).astype(np.float32)
    rbm = cls(37, method="pcd", momentum=0.5, batch_size=20, seed=0)  # 37: not a tile multiple
    rbm.init_params(6, X, seed=0)
    tr = Trainer(rbm, X, seed=1)
    h = (np.random.default_rng(2).random((5, 37)) < 0.3).astype(np.float32)
    for step in range(3):
        tr.step(X[20 * step:20 * (step + 1)], 0.05, 0.5)
        np.testing.assert_allclose(tr.bk.visible_input(h, rbm.W_), h @ rbm.W_.T, rtol=1e-5,
                                   atol=1e-6)
    rbm.W_ += 1.0  # changed outside the trainer: the next epoch re-syncs W^T
    run_epoch(tr, X, 0.05, 0.5, 0)
    np.testing.assert_allclose(tr.bk.visible_input(h, rbm.W_), h @ rbm.W_.T, rtol=1e-5, atol=1e-6)


def test_ais_result_does_not_depend_on_worker_threads():
    rng = np.random.default_rng(0)
    rbm = BernoulliRBM.from_params(0.3 * rng.standard_normal((8, 5)), rng.standard_normal(8),
                                   rng.standard_normal(5))
    runs = [ais_log_partition(rbm, n_runs=120, n_betas=50, seed=3, n_workers=w)
            for w in (1, 3)]
    np.testing.assert_array_equal(runs[0].log_weights, runs[1].log_weights)
    init = (rng.random((60, 8)) < 0.5).astype(float)
    rev = [reverse_ais_log_partition(rbm, init, n_betas=50, seed=3, n_workers=w)
           for w in (1, 2)]
    assert rev[0].log_z == rev[1].log_z
    assert abs(runs[0].log_z - rbm.log_partition()) < 0.2
    with pytest.raises(ValueError, match="n_workers"):
        ais_log_partition(rbm, n_runs=10, n_betas=5, n_workers=0)


@pytest.mark.parametrize("method", ["pcd", "pt"])
def test_positive_phase_worker_thread_gives_the_same_model(method):
    """n_threads=2 overlaps the positive phase with the chains; the result is unchanged."""
    X = tiny_data(400)
    fits = [BernoulliRBM(5, method=method, n_epochs=3, batch_size=20, n_threads=t,
                         n_temperatures=3, seed=0).fit(X) for t in (1, 2)]
    np.testing.assert_array_equal(fits[0].W_, fits[1].W_)
    np.testing.assert_array_equal(fits[0].hidden_bias_, fits[1].hidden_bias_)


# -- dynamic binarization -----------------------------------------------------
MIXTURE_FIT = dict(method="pcd", learning_rate=0.05, batch_size=4, lr_schedule="linear",
                   final_lr_fraction=0.01, centering=True, monitor_every=0, seed=0)


def exact_per_sample(rbm, V):
    return -rbm.free_energy(V) - rbm.log_partition()


def test_dynamic_binarization_fits_the_mixture_not_one_draw():
    dyn, fixed, big = three_fits(
        lambda n_epochs, binarize: BernoulliRBM(4, n_epochs=n_epochs, binarize=binarize,
                                                **MIXTURE_FIT),
        exact_per_sample)
    # seeds 0-3 gave dynamic -3.355..-3.373, large -3.359..-3.388 and one draw
    # -3.65..-3.85 (the mixture's entropy, the ceiling, is 3.203 nats)
    assert dyn < -MIXTURE_ENTROPY
    assert abs(dyn - big) < 0.05, (dyn, big)
    assert dyn > fixed + 0.15, (dyn, fixed)


@pytest.mark.parametrize("method", ["cd", "pcd", "pt"])
def test_dynamic_binarization_draws_every_minibatch_afresh(method, monkeypatch):
    from boltz.rbm.training import Trainer

    seen = []
    original = Trainer.step

    def recording(self, v_pos, lr, momentum):
        seen.append(np.array(v_pos))
        return original(self, v_pos, lr, momentum)

    monkeypatch.setattr(Trainer, "step", recording)
    P = np.full((40, 6), 0.3)
    rbm = BernoulliRBM(3, method=method, n_epochs=3, batch_size=40, binarize="dynamic",
                       n_temperatures=3, seed=0).fit(P)
    batches = np.stack(seen)
    assert batches.shape == (3, 40, 6) and np.all((batches == 0) | (batches == 1))
    assert len({b.tobytes() for b in batches}) == 3
    sd = np.sqrt(0.3 * 0.7 / batches.size)
    assert abs(batches.mean() - 0.3) < 4 * sd
    assert np.isfinite(rbm.history_[-1]["pseudo_loglik"])  # monitored on a binary draw
    # partial_fit draws too
    seen.clear()
    rbm.partial_fit(P)
    assert len(seen) == 1 and np.all((seen[0] == 0) | (seen[0] == 1))


def test_dynamic_binarization_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"X must hold probabilities in \[0, 1\]"):
        BernoulliRBM(3, n_epochs=1, binarize="dynamic").fit(FUZZY * 2)
    bad = FUZZY.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BernoulliRBM(3, n_epochs=1, binarize="dynamic").fit(bad)
    with pytest.raises(ValueError, match="binarize"):
        BernoulliRBM(3, n_epochs=1, binarize="fresh").fit(FUZZY)
    with pytest.raises(ValueError, match="Bernoulli visible units"):
        GaussianBernoulliRBM(3, n_epochs=1, binarize="dynamic").fit(FUZZY)
    with pytest.raises(ValueError, match=r"X_val must hold probabilities in \[0, 1\]"):
        BernoulliRBM(3, n_epochs=1, binarize="dynamic").fit(FUZZY, X_val=FUZZY * 2)
    rbm = BernoulliRBM(3, n_epochs=1, binarize="dynamic", seed=0).fit(FUZZY)
    with pytest.raises(ValueError, match="X has 5 features, but BernoulliRBM is expecting"):
        rbm.partial_fit(FUZZY[:, :5])
    assert BernoulliRBM.load(rbm.save(tmp_path / "r.npz")).binarize == "dynamic"
