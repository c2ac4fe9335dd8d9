"""DBM joint training, pretraining with weight doubling, divergence detection."""

import numpy as np
import pytest
from fuzzy_mixture import FUZZY, MIXTURE_ENTROPY, three_fits

from boltz.datasets import draw_binary
from boltz.dbm import DeepBoltzmannMachine, exact_log_likelihood
from boltz.dbm.training import TrainingDivergedError, doubling_factors, train_dbm


def prototype_data(n=1000, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    proto = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], float)
    x = proto[rng.integers(0, 3, n)]
    return np.abs(x - (rng.random(x.shape) < noise))


@pytest.mark.parametrize("centering", [False, True])
def test_joint_training_raises_exact_log_likelihood(centering):
    X = prototype_data()
    init = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0, seed=0,
                                dtype="float64").fit(X)
    before = exact_log_likelihood(init, X).mean()
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=30, pretrain_epochs=0, seed=0,
                               learning_rate=0.02, momentum=0.5, batch_size=20,
                               lr_decay_steps=None, centering=centering, dtype="float64").fit(X)
    after = exact_log_likelihood(dbm, X).mean()
    # base-rate model ~ -3.9 nats; the data's entropy is ~2.3 nats
    assert after > before + 1.0
    assert len(dbm.history_) == 30
    assert dbm.history_[-1]["train_bound_unnormalized"] > dbm.history_[0][
        "train_bound_unnormalized"]


def test_training_is_reproducible():
    X = prototype_data(200)
    kw = dict(n_epochs=2, pretrain_epochs=0, seed=3, dtype="float64", batch_size=20)
    a = DeepBoltzmannMachine((4, 3), **kw).fit(X)
    b = DeepBoltzmannMachine((4, 3), **kw).fit(X)
    for x, y in zip(a.weights_ + a.biases_, b.weights_ + b.biases_, strict=True):
        np.testing.assert_array_equal(x, y)


def test_divergence_is_reported():
    X = prototype_data(200)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0, seed=0).fit(X)
    dbm.weights_ = [w + 5.0 for w in dbm.weights_]
    with pytest.raises(TrainingDivergedError, match="diverged.*learning rate"):
        train_dbm(dbm, X, n_epochs=3, learning_rate=1e6, momentum=0.9, weight_decay=0.0,
                  batch_size=20, seed=0)


def test_training_bad_input():
    X = prototype_data(50)
    with pytest.raises(ValueError, match="X must be binary"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0).fit(X * 0.5)
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[0, 0] = np.nan
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0).fit(bad)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0).fit(X[0])
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0).fit(X)
    with pytest.raises(ValueError, match="shape"):
        train_dbm(dbm, X[:, :5])
    with pytest.raises(ValueError, match="learning_rate"):
        train_dbm(dbm, X, learning_rate=-1.0)
    with pytest.raises(ValueError, match="dtype"):
        DeepBoltzmannMachine((4, 3), dtype="int8").fit(X)


def test_doubling_factors():
    assert doubling_factors(2) == [(2.0, 1.0), (1.0, 2.0)]
    assert doubling_factors(3) == [(2.0, 1.0), (2.0, 2.0), (1.0, 2.0)]
    with pytest.raises(ValueError):
        doubling_factors(1)


@pytest.mark.slow
@pytest.mark.parametrize("n_hidden", [(4, 3), (4, 3, 3)])
def test_pretraining_with_weight_doubling_initialises_well(n_hidden):
    from boltz.dbm.training import pretrain_dbm

    X = prototype_data()
    weights, biases = pretrain_dbm(X, n_hidden, n_epochs=30, batch_size=20, seed=0,
                                   dtype="float64")
    dbm = DeepBoltzmannMachine.from_parameters(weights, biases)
    assert dbm.layer_sizes_ == (6, *n_hidden)
    # base-rate model ~ -3.9 nats, data entropy ~ -2.3 nats
    assert exact_log_likelihood(dbm, X).mean() > -2.6


def test_pretraining_with_dynamic_binarization_learns_the_draws():
    from boltz.dbm.training import pretrain_dbm

    # grey levels whose Bernoulli draws are prototype_data's distribution
    P = np.abs(prototype_data(noise=0.0, seed=1) - 0.05)
    with pytest.raises(ValueError, match="binary"):
        pretrain_dbm(P, (4, 3), n_epochs=1)
    with pytest.raises(ValueError, match="binarize"):
        pretrain_dbm(P, (4, 3), n_epochs=1, binarize="fixed")
    weights, biases = pretrain_dbm(P, (4, 3), n_epochs=30, batch_size=20, seed=0,
                                   dtype="float64", binarize="dynamic")
    dbm = DeepBoltzmannMachine.from_parameters(weights, biases)
    # base-rate model ~ -3.9 nats, entropy of the draws ~ -2.3 nats
    fresh = draw_binary(P, np.random.default_rng(5))
    assert exact_log_likelihood(dbm, fresh).mean() > -2.6


def test_estimator_pretrains_on_fresh_draws_with_dynamic_binarization():
    from boltz.dbm.training import pretrain_dbm

    P = np.abs(prototype_data(200) - 0.1)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=3, batch_size=20, seed=7,
                               binarize="dynamic").fit(P)
    weights, _ = pretrain_dbm(P, (4, 3), n_epochs=3, batch_size=20, seed=7,
                              binarize="dynamic")
    np.testing.assert_allclose(dbm.weights_[0], weights[0], rtol=1e-6)


def test_doubled_trainer_scales_inputs():
    from boltz.rbm import BernoulliRBM
    from boltz.rbm.training import Trainer

    rng = np.random.default_rng(0)
    rbm = BernoulliRBM.from_params(rng.standard_normal((6, 4)), rng.standard_normal(6),
                                   rng.standard_normal(4), method="cd")
    X = prototype_data(50).astype(np.float32)
    trainer = Trainer(rbm, X, 0, up=2.0, down=1.0)
    prob, samp = trainer._hidden(X)
    want = 1 / (1 + np.exp(-(2 * X @ rbm.W_ + rbm.hidden_bias_)))
    np.testing.assert_allclose(prob, want, rtol=1e-5)
    np.testing.assert_allclose(trainer._hidden_probabilities(X), want, rtol=1e-5)
    assert set(np.unique(samp)) <= {0.0, 1.0}
    # top-down doubling: p(v | h) = sigmoid(2 W h + a), checked by the mean of many draws
    trainer = Trainer(rbm, X, 0, up=1.0, down=2.0)
    h = np.tile(samp[:1], (20000, 1)).astype(np.float32)
    trainer.k = 1
    v, _, _ = trainer._negative_phase(h)
    p_v = 1 / (1 + np.exp(-(2 * rbm.W_ @ h[0] + rbm.visible_bias_)))
    se = np.sqrt(p_v * (1 - p_v) / h.shape[0])
    assert np.all(np.abs(v.mean(axis=0) - p_v) < 5 * se + 1e-9)
    with pytest.raises(ValueError, match="up"):
        Trainer(rbm, X, 0, up=0.0)


def test_fit_with_pretraining_end_to_end(tmp_path):
    X = prototype_data(500)
    pre = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=20, batch_size=20,
                               seed=0).fit(X)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=3, pretrain_epochs=20, batch_size=20,
                               learning_rate=0.01, momentum=0.5, seed=0).fit(X)
    assert dbm.weights_[0].dtype == np.float32
    ll_pre = exact_log_likelihood(pre, X).mean()
    assert ll_pre > -2.7  # base rate ~ -3.9
    # joint training from the pretrained start keeps the likelihood (within noise)
    assert exact_log_likelihood(dbm, X).mean() > ll_pre - 0.1
    loaded = DeepBoltzmannMachine.load(dbm.save(tmp_path / "m.npz"))
    assert loaded.weights_[0].dtype == np.float32
    assert len(loaded.history_) == 3
    np.testing.assert_array_equal(loaded.weights_[1], dbm.weights_[1])


def test_chains_start_at_data_posterior():
    from boltz.dbm.training import init_chains_from_data

    X = prototype_data(100)
    dbm = DeepBoltzmannMachine.from_parameters(
        [np.full((6, 4), 3.0), np.full((4, 3), -3.0)], [np.zeros(6), np.zeros(4), np.zeros(3)])
    chains = init_chains_from_data(dbm, X, 50, seed=0)
    assert [c.shape for c in chains] == [(50, 6), (50, 4), (50, 3)]
    assert all(any(np.array_equal(row, x) for x in X) for row in chains[0])
    # data with several pixels on drive h1 on and, through W1 < 0, h2 off
    on = chains[0].sum(axis=1) >= 2
    assert chains[1][on].mean() > 0.9 and chains[2][on].mean() < 0.1


def test_linear_learning_rate_schedule_ends_at_the_final_fraction():
    X = prototype_data(200)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=3, pretrain_epochs=0, batch_size=20,
                               learning_rate=0.02, lr_schedule="linear", final_lr_fraction=0.1,
                               seed=0).fit(X)
    rates = [h["learning_rate"] for h in dbm.history_]
    assert rates[0] < 0.02 and np.isclose(rates[-1], 0.002) and rates == sorted(rates)[::-1]
    with pytest.raises(ValueError, match="lr_schedule"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0, lr_schedule="cosine").fit(X)


def test_linear_time_schedule_ends_at_the_final_fraction_when_the_budget_does(monkeypatch):
    from boltz.dbm import training

    class Clock:  # every reading of the clock advances it by 10 ms
        t = 0.0

        def perf_counter(self):
            self.t += 0.01
            return self.t

    X = prototype_data(200)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0, seed=0).fit(X)
    monkeypatch.setattr(training, "time", Clock())
    train_dbm(dbm, X, n_epochs=1000, batch_size=20, learning_rate=0.02,
              lr_schedule="linear_time", final_lr_fraction=0.1, max_seconds=1.0, seed=0)
    rates = [h["learning_rate"] for h in dbm.history_]
    # ~13 clock readings per epoch of 10 updates: the 1-second budget ends it
    # within 10 epochs, the learning rate falling with the clock to 0.002
    assert 3 < len(rates) < 10 and rates == sorted(rates)[::-1]
    assert 0.002 - 1e-12 <= rates[-1] < 0.002 + 0.018 * 0.15, rates
    with pytest.raises(ValueError, match="max_seconds"):
        train_dbm(dbm, X, n_epochs=1, lr_schedule="linear_time")


def test_estimator_takes_a_time_budget(monkeypatch, tmp_path):
    """``max_seconds`` on the estimator: the time-based decay and the stop, saved with it."""
    from boltz.dbm import training

    class Clock:
        t = 0.0

        def perf_counter(self):
            self.t += 0.01
            return self.t

    X = prototype_data(200)
    with pytest.raises(ValueError, match="max_seconds"):
        DeepBoltzmannMachine((4, 3), n_epochs=2, pretrain_epochs=0,
                             lr_schedule="linear_time").fit(X)
    with pytest.raises(ValueError, match="max_seconds"):
        DeepBoltzmannMachine((4, 3), n_epochs=2, pretrain_epochs=0, max_seconds=-1.0).fit(X)
    monkeypatch.setattr(training, "time", Clock())
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=1000, pretrain_epochs=0, batch_size=20,
                               learning_rate=0.02, lr_schedule="linear_time",
                               final_lr_fraction=0.1, max_seconds=1.0, seed=0).fit(X)
    rates = [h["learning_rate"] for h in dbm.history_]
    assert 3 < len(rates) < 10 and np.isclose(min(rates), 0.002, atol=0.018 * 0.15)
    assert DeepBoltzmannMachine.load(dbm.save(tmp_path / "d.npz")).max_seconds == 1.0


def test_blas_thread_cap_is_an_argument_of_joint_training():
    X = prototype_data(100)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0, seed=0).fit(X)
    train_dbm(dbm, X, n_epochs=1, batch_size=20, n_threads=1, seed=0)
    assert len(dbm.history_) == 1
    with pytest.raises(ValueError, match="n_threads"):
        train_dbm(dbm, X, n_epochs=1, n_threads=0)
    capped = DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0, batch_size=20,
                                  n_threads=1, seed=0).fit(X)
    assert capped.get_params()["n_threads"] == 1 and len(capped.history_) == 1


MIXTURE_FIT = dict(pretrain_epochs=0, learning_rate=0.05, batch_size=4, lr_schedule="linear",
                   centering=True, dtype="float64", seed=0)


def test_dynamic_binarization_fits_the_mixture_not_one_draw():
    dyn, fixed, big = three_fits(
        lambda n_epochs, binarize: DeepBoltzmannMachine(
            (4, 3), n_epochs=n_epochs, binarize=binarize, **MIXTURE_FIT),
        exact_log_likelihood)
    # seeds 0-3 gave dynamic -3.353..-3.361, large -3.354..-3.366 and one draw
    # -3.62..-3.80 (the mixture's entropy, the ceiling, is 3.203 nats)
    assert dyn < -MIXTURE_ENTROPY
    assert abs(dyn - big) < 0.03, (dyn, big)
    assert dyn > fixed + 0.15, (dyn, fixed)


def test_dynamic_binarization_draws_every_minibatch_afresh(monkeypatch):
    P = np.full((40, 6), 0.3)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=0, pretrain_epochs=0, seed=0).fit(
        draw_binary(P, np.random.default_rng(0)))
    from boltz.dbm import formulas

    seen = []
    original = formulas.mean_field_sweeps

    def recording(ops, W, b, v, *args, **kwargs):  # every mean field runs this formula
        seen.append(np.array(v))
        return original(ops, W, b, v, *args, **kwargs)

    monkeypatch.setattr(formulas, "mean_field_sweeps", recording)
    train_dbm(dbm, P, n_epochs=3, batch_size=40, binarize="dynamic", monitor_size=40, seed=0)
    batches = np.stack([v for v in seen if v.shape == (40, 6)])
    assert np.all((batches == 0) | (batches == 1))
    # per epoch: one minibatch (a fresh draw), then the bound on the monitoring
    # set (one draw, made once): 6 calls, 4 distinct draws
    assert len(batches) == 6 and len({b.tobytes() for b in batches}) == 4
    sd = np.sqrt(0.3 * 0.7 / batches.size)
    assert abs(batches.mean() - 0.3) < 4 * sd
    # binary rows come back unchanged from a draw
    B = draw_binary(P, np.random.default_rng(1))
    np.testing.assert_array_equal(draw_binary(B, np.random.default_rng(2)), B)


def test_dynamic_binarization_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"X must hold probabilities in \[0, 1\]"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0,
                             binarize="dynamic").fit(FUZZY * 2)
    bad = FUZZY.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0, binarize="dynamic").fit(bad)
    with pytest.raises(ValueError, match="binarize"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0, binarize="fresh").fit(FUZZY)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=1, binarize="dynamic",
                               seed=0).fit(FUZZY)
    assert DeepBoltzmannMachine.load(dbm.save(tmp_path / "d.npz")).binarize == "dynamic"


def persistent_means_after(n_epochs, mean_field_init, monkeypatch, device=None):
    """Train a strongly coupled DBM for ``n_epochs`` at a vanishing learning rate
    (the model stays put) with one mean-field sweep per visit; return the means
    stored for every example, and the model."""
    from boltz.dbm import training

    X = prototype_data(40)
    rng = np.random.default_rng(1)
    dbm = DeepBoltzmannMachine.from_parameters(
        [2.0 * rng.standard_normal((6, 5)), 2.0 * rng.standard_normal((5, 4))],
        [rng.standard_normal(k) for k in (6, 5, 4)], seed=0)
    frozen = DeepBoltzmannMachine.from_parameters([w.copy() for w in dbm.weights_],
                                                  [b.copy() for b in dbm.biases_])
    instances = []

    class Recording(training.WarmStarts):
        def __init__(self, *args):
            super().__init__(*args)
            instances.append(self)

    monkeypatch.setattr(training, "WarmStarts", Recording)
    train_dbm(dbm, X, n_epochs=n_epochs, learning_rate=1e-12, momentum=0.0, weight_decay=0.0,
              batch_size=10, mean_field_iters=1, mean_field_init=mean_field_init,
              monitor_size=10, seed=0, device=device)
    if not instances:
        return None, frozen, X
    means = [np.asarray(m.cpu() if hasattr(m, "cpu") else m) for m in instances[0].means]
    return means, frozen, X


def test_persistent_mean_field_continues_where_the_last_visit_stopped(monkeypatch):
    # one sweep per visit over 6 epochs of a static model = 6 sweeps from the
    # bottom-up pass; with bottom-up starts nothing is stored
    means, frozen, X = persistent_means_after(6, "persistent", monkeypatch)
    six = frozen.mean_field(X, n_iter=6, tol=0)
    one = frozen.mean_field(X, n_iter=1, tol=0)
    assert max(np.abs(a - b).max() for a, b in zip(six, one, strict=True)) > 0.05
    for got, want in zip(means, six, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert persistent_means_after(2, "bottom_up", monkeypatch)[0] is None


def test_warm_starts_fill_unseen_examples_from_the_cold_start():
    from boltz.dbm.training import WarmStarts

    warm = WarmStarts([np.zeros((5, 2)), np.zeros((5, 3))], np.zeros(5, dtype=bool))
    cold_calls = []

    def cold():
        cold_calls.append(1)
        return [np.full((2, 2), -1.0), np.full((2, 3), -1.0)]

    idx = np.array([1, 3])
    assert all((m == -1).all() for m in warm.start(idx, cold))
    warm.store(idx, [np.array([[1.0, 1], [3, 3]]), np.array([[1.0, 1, 1], [3, 3, 3]])])
    got = warm.start(np.array([3, 1]), cold)  # all seen: no cold start
    assert len(cold_calls) == 1
    np.testing.assert_array_equal(got[0], [[3, 3], [1, 1]])
    got = warm.start(np.array([0, 1]), cold)  # mixed: the seen row is warm
    np.testing.assert_array_equal(got[1], [[-1, -1, -1], [1, 1, 1]])
    assert len(cold_calls) == 2


def test_mean_field_init_bad_input_and_persistence(tmp_path):
    X = prototype_data(40)
    with pytest.raises(ValueError, match="mean_field_init"):
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0,
                             mean_field_init="warm").fit(X)
    dbm = DeepBoltzmannMachine((4, 3), n_epochs=2, pretrain_epochs=0, batch_size=10,
                               mean_field_init="persistent", mean_field_iters=2, seed=0).fit(X)
    assert len(dbm.history_) == 2
    assert DeepBoltzmannMachine.load(dbm.save(tmp_path / "d.npz")).mean_field_init == "persistent"
