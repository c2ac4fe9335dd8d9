"""Deep belief nets: greedy stacking, exact variational bound, sampling, persistence."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from boltz.dbm import DeepBeliefNet
from boltz.io import ModelFileError, save_model


def prototype_data(n=1000, n_visible=10, n_protos=5, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    protos = (rng.random((n_protos, n_visible)) < 0.5).astype(float)
    x = protos[rng.integers(0, n_protos, n)]
    return np.abs(x - (rng.random(x.shape) < noise))


@pytest.fixture(scope="module")
def data():
    return prototype_data()


def test_one_layer_bound_is_exact_rbm_log_likelihood(data):
    dbn = DeepBeliefNet((8,), n_epochs=3, batch_size=20, seed=0).fit(data)
    rbm = dbn.rbms_[0]
    want = -rbm.free_energy(data[:50]) - rbm.log_partition()
    np.testing.assert_allclose(dbn.variational_bound(data[:50]), want, rtol=1e-10)
    np.testing.assert_allclose(dbn.exact_log_likelihood(data[:50]), want, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adding_a_layer_never_lowers_the_bound(data, seed):
    dbn = DeepBeliefNet((8,), n_epochs=20, batch_size=20, learning_rate=0.1, seed=seed).fit(data)
    one_layer = dbn.variational_bound(data).mean()
    # transposed initialisation: the prior over h1 is unchanged, so is the bound
    start = DeepBeliefNet((8,), n_epochs=20, batch_size=20, learning_rate=0.1, seed=seed).fit(data)
    start.add_layer(data, init="transpose", n_epochs=0)
    assert start.variational_bound(data).mean() == pytest.approx(one_layer, abs=1e-9)
    # training the new top RBM on samples of q(h1 | v) raises E_q[log p(h1)]
    dbn.k, dbn.learning_rate = 5, 0.02
    dbn.add_layer(data, init="transpose", n_epochs=10, seed=seed + 100)
    assert dbn.layer_sizes_ == (10, 8, 10)
    bound = dbn.variational_bound(data)
    assert bound.mean() > one_layer
    # and it is a bound: below the exact log-likelihood of the two-layer net
    assert np.all(bound <= dbn.exact_log_likelihood(data) + 1e-9)


def test_transform_sample_and_three_layers(data):
    dbn = DeepBeliefNet((6, 5, 4), n_epochs=2, batch_size=50, seed=3).fit(data[:300])
    assert dbn.layer_sizes_ == (10, 6, 5, 4)
    feats = dbn.transform(data[:7])
    assert feats.shape == (7, 4) and np.all((feats > 0) & (feats < 1))
    samples = dbn.sample(9, n_steps=20, seed=0)
    assert samples.shape == (9, 10) and np.all((samples >= 0) & (samples <= 1))
    np.testing.assert_array_equal(samples, dbn.sample(9, n_steps=20, seed=0))
    b = dbn.variational_bound(data[:20])
    assert np.all(b <= dbn.exact_log_likelihood(data[:20]) + 1e-9)


def test_dbn_bad_input_and_persistence(tmp_path, data):
    with pytest.raises(ValueError, match="n_hidden"):
        DeepBeliefNet((4, 0)).fit(data)
    with pytest.raises(TypeError, match="n_hidden"):
        DeepBeliefNet(4).fit(data)
    with pytest.raises(ValueError, match="X must be binary"):
        DeepBeliefNet((4,)).fit(data * 0.5)
    dbn = DeepBeliefNet((4, 3), n_epochs=1, batch_size=50, seed=0).fit(data[:200])
    with pytest.raises(ValueError, match="X has 5 features, but DeepBeliefNet is expecting 10"):
        dbn.transform(data[:, :5])
    with pytest.raises(ValueError, match="NaN"):
        dbn.transform(np.full((1, 10), np.nan))
    with pytest.raises(ValueError, match="transpose"):
        dbn.add_layer(data[:20], n_hidden=7, init="transpose")
    with pytest.raises(NotFittedError, match="not fitted"):
        DeepBeliefNet((3,)).transform(data)
    loaded = DeepBeliefNet.load(dbn.save(tmp_path / "dbn"))
    np.testing.assert_array_equal(loaded.transform(data[:5]), dbn.transform(data[:5]))
    other = save_model(tmp_path / "x.npz", "DeepBoltzmannMachine", {"W0": np.zeros((2, 2))})
    with pytest.raises(ModelFileError, match="DeepBoltzmannMachine"):
        DeepBeliefNet.load(other)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ModelFileError):
        DeepBeliefNet.load(bad)
