"""DBM joint training, pretraining with weight doubling, divergence detection."""

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match="finite"):
        bad = X.copy()
        bad[0, 0] = np.nan
        DeepBoltzmannMachine((4, 3), n_epochs=1, pretrain_epochs=0).fit(bad)
    with pytest.raises(ValueError, match="2-dimensional"):
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
