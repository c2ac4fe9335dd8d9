"""Deep Boltzmann machine: exact checks on tiny models (energy, log Z, AIS, mean field, Gibbs)."""

import numpy as np
import pytest
from scipy import special
from sklearn.exceptions import NotFittedError

from boltz.dbm import (
    DeepBoltzmannMachine,
    ais_log_partition,
    exact_free_energy,
    exact_log_likelihood,
    exact_log_partition,
    variational_lower_bound,
)
from boltz.exact import (
    ExactDistribution,
    chi_square_test,
    expected_total_variation,
    state_index,
)
from boltz.io import ModelFileError, save_model


def random_dbm(sizes, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    weights = [scale * rng.standard_normal((a, b)) for a, b in pairs]
    biases = [0.5 * rng.standard_normal(k) for k in sizes]
    return DeepBoltzmannMachine.from_parameters(weights, biases)


@pytest.fixture(scope="module")
def tiny():
    return random_dbm((6, 4, 3), scale=1.0, seed=1)


@pytest.fixture(scope="module")
def tiny_exact(tiny):
    return ExactDistribution(tiny)


def test_energy_matches_definition(tiny):
    rng = np.random.default_rng(0)
    x = (rng.random((7, 13)) < 0.5).astype(float)
    v, h1, h2 = x[:, :6], x[:, 6:10], x[:, 10:]
    W0, W1 = tiny.weights_
    b0, b1, b2 = tiny.biases_
    want = -(v @ b0 + h1 @ b1 + h2 @ b2 + np.sum((v @ W0) * h1, 1) + np.sum((h1 @ W1) * h2, 1))
    np.testing.assert_allclose(tiny.energy(x), want, rtol=1e-12)
    assert tiny.n_variables == 13 and tiny.layer_sizes_ == (6, 4, 3)


@pytest.mark.parametrize("sizes", [(6, 4, 3), (4, 3, 3, 2), (3, 2, 3, 2, 2)])
def test_exact_log_partition_matches_joint_enumeration(sizes):
    dbm = random_dbm(sizes, seed=2)
    joint = ExactDistribution(dbm).log_z
    assert exact_log_partition(dbm) == pytest.approx(joint, abs=1e-10)


def test_exact_free_energy_and_log_likelihood(tiny, tiny_exact):
    states = tiny_exact.states()
    vs = np.unique((np.random.default_rng(3).random((10, 6)) < 0.5).astype(float), axis=0)
    vidx = state_index(states[:, :6])
    want = np.array([special.logsumexp(tiny_exact.log_probs[vidx == state_index(v[None])[0]])
                     for v in vs])
    np.testing.assert_allclose(exact_log_likelihood(tiny, vs), want, atol=1e-10)
    np.testing.assert_allclose(-exact_free_energy(tiny, vs) - tiny_exact.log_z, want, atol=1e-10)


def test_conditionals_match_exact_joint(tiny, tiny_exact):
    # p(h1_j = 1 | v, h2) from the enumerated joint equals the model's conditional
    rng = np.random.default_rng(4)
    states = tiny_exact.states()
    idx = state_index(states)
    for _ in range(3):
        x = (rng.random(13) < 0.5).astype(float)
        layers = tiny.split(x[None])
        p = tiny.conditional(layers, 1)[0]
        for j in range(4):
            on, off = x.copy(), x.copy()
            on[6 + j], off[6 + j] = 1, 0
            lp_on = tiny_exact.log_probs[idx[state_index(on[None])[0]]]
            lp_off = tiny_exact.log_probs[idx[state_index(off[None])[0]]]
            assert p[j] == pytest.approx(special.expit(lp_on - lp_off), rel=1e-10)


@pytest.mark.parametrize("sizes,seed", [((6, 4, 3), 1), ((4, 3, 3, 2), 5)])
def test_ais_matches_exact_log_z(sizes, seed):
    dbm = random_dbm(sizes, seed=seed)
    exact = exact_log_partition(dbm)
    res = ais_log_partition(dbm, n_chains=200, n_betas=1000, seed=0)
    assert abs(res.log_z - exact) < 0.2
    # the reported spread covers the error (5 standard errors)
    assert abs(res.log_z - exact) < 5 * res.log_z_std + 1e-3
    assert res.log_z_lower <= res.log_z <= res.log_z_upper
    assert 1 <= res.ess <= 200


def test_ais_with_data_base_rate_and_seed_reproducible(tiny):
    data = (np.random.default_rng(0).random((50, 6)) < 0.3).astype(float)
    r1 = ais_log_partition(tiny, n_chains=50, n_betas=300, data=data, seed=7)
    r2 = ais_log_partition(tiny, n_chains=50, n_betas=300, data=data, seed=7)
    assert r1.log_z == r2.log_z
    assert abs(r1.log_z - exact_log_partition(tiny)) < 0.3


def naive_mean_field(dbm, v, damping=0.5, n_iter=2000):
    """Direct per-unit Jacobi iteration of the fixed-point equations (reference)."""
    W, b = dbm.weights_, dbm.biases_
    mus = [np.full(k, 0.5) for k in dbm.layer_sizes_[1:]]
    for _ in range(n_iter):
        layers = [v] + mus
        new = []
        for l in range(1, len(layers)):
            m = np.empty_like(layers[l])
            for j in range(len(m)):
                s = b[l][j] + sum(layers[l - 1][i] * W[l - 1][i, j]
                                  for i in range(len(layers[l - 1])))
                if l + 1 < len(layers):
                    s += sum(W[l][j, k] * layers[l + 1][k] for k in range(len(layers[l + 1])))
                m[j] = 1 / (1 + np.exp(-s))
            new.append(damping * layers[l] + (1 - damping) * m)
        mus = new
    return mus


def test_mean_field_fixed_point_matches_direct_iteration():
    dbm = random_dbm((6, 4, 3), scale=0.3, seed=6)  # weak coupling: unique fixed point
    v = (np.random.default_rng(1).random((3, 6)) < 0.5).astype(float)
    mus, info = dbm.mean_field(v, n_iter=500, tol=1e-12, return_info=True)
    assert info["max_change"] <= 1e-12
    for i in range(3):
        ref = naive_mean_field(dbm, v[i], n_iter=300)
        for m, r in zip(mus, ref, strict=True):
            np.testing.assert_allclose(m[i], r, atol=1e-9)
    # fixed-point equations hold
    layers = [v, *mus]
    for l in (1, 2):
        np.testing.assert_allclose(dbm.conditional(layers, l), layers[l], atol=1e-10)
    # damping changes the path, not the fixed point
    damped = dbm.mean_field(v, n_iter=2000, tol=1e-13, damping=0.5, init="zeros")
    for m, d in zip(mus, damped, strict=True):
        np.testing.assert_allclose(m, d, atol=1e-9)


def test_mean_field_deeper_model_satisfies_fixed_point():
    dbm = random_dbm((5, 4, 3, 3), scale=0.5, seed=8)
    v = (np.random.default_rng(2).random((4, 5)) < 0.5).astype(float)
    mus = dbm.mean_field(v, n_iter=1000, tol=1e-12)
    layers = [v, *mus]
    for l in (1, 2, 3):
        np.testing.assert_allclose(dbm.conditional(layers, l), layers[l], atol=1e-10)


def test_variational_bound_below_exact_and_increasing(tiny, tiny_exact):
    v = (np.random.default_rng(9).random((8, 6)) < 0.5).astype(float)
    exact = exact_log_likelihood(tiny, v, log_z=tiny_exact.log_z)
    prev = -np.inf
    for n_iter in (1, 2, 5, 50):
        bound = variational_lower_bound(tiny, v, tiny_exact.log_z, n_iter=n_iter, tol=0.0)
        assert np.all(bound <= exact + 1e-12)
        assert np.all(bound >= prev - 1e-12)  # coordinate ascent never lowers the bound
        prev = bound
    assert np.all(exact - prev < 1.0)  # and it is not vacuous


def test_gibbs_leaves_exact_joint_invariant(tiny, tiny_exact):
    # Start from exact iid draws; after block-Gibbs sweeps they must still be
    # exact iid draws, so the effective sample size is the number of chains.
    n = 20000
    x0 = tiny_exact.sample(n, seed=11)
    states = tiny.split(x0)
    rng = np.random.default_rng(12)
    for _ in range(3):
        states = tiny.gibbs_step(states, rng)
    x = tiny.join(states)
    _, p_value = chi_square_test(x, tiny_exact)
    assert p_value > 1e-3
    # total variation at the level expected of n iid exact draws (it concentrates
    # tightly around its mean over 8192 states)
    tv_expected = expected_total_variation(tiny_exact.probabilities, n)
    assert tiny_exact.total_variation(x) < 1.2 * tv_expected
    # and a moved sample is not the starting one
    assert np.mean(np.all(x == x0, axis=1)) < 0.9


def test_gibbs_converges_from_random_start():
    dbm = random_dbm((6, 4, 3), scale=0.5, seed=13)
    exact = ExactDistribution(dbm)
    states = dbm.gibbs_sample(8000, n_steps=60, seed=14, return_states=True)
    x = dbm.join(states)
    # chains are independent, so n_eff = n once they have mixed
    _, p_value = chi_square_test(x, exact)
    assert p_value > 1e-3


def test_clamped_gibbs_keeps_visible(tiny):
    v = (np.random.default_rng(0).random((5, 6)) < 0.5).astype(float)
    states = [v, np.zeros((5, 4)), np.zeros((5, 3))]
    out = tiny.gibbs_step(states, seed=0, clamp_visible=True)
    np.testing.assert_array_equal(out[0], v)


# ----------------------------------------------------------------------
# validation and persistence
# ----------------------------------------------------------------------
def test_bad_input(tiny):
    with pytest.raises(ValueError, match="v must be binary"):
        tiny.mean_field(np.full((2, 6), 0.5))
    with pytest.raises(ValueError, match="shape"):
        tiny.mean_field(np.ones((2, 5)))
    with pytest.raises(ValueError, match="finite|binary"):
        tiny.mean_field(np.array([[np.nan, 0, 0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="damping"):
        tiny.mean_field(np.ones((1, 6)), damping=1.0)
    with pytest.raises(ValueError, match="rows"):
        DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((3, 2))])
    with pytest.raises(ValueError, match="at least 2"):
        DeepBoltzmannMachine.from_parameters([np.zeros((3, 2))])
    with pytest.raises(ValueError, match="finite"):
        DeepBoltzmannMachine.from_parameters([np.full((3, 2), np.nan), np.zeros((2, 2))])
    with pytest.raises(ValueError, match="biases"):
        DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))], [np.zeros(3)])
    with pytest.raises(ValueError, match="binary|values"):
        tiny.energy(np.full((1, 13), 0.5))
    with pytest.raises(ValueError, match="too large|2\\*\\*"):
        exact_log_partition(random_dbm((30, 30, 30)))
    with pytest.raises(TypeError, match="DeepBoltzmannMachine"):
        exact_log_partition("model")
    with pytest.raises(NotFittedError, match="not fitted"):
        DeepBoltzmannMachine((3, 2)).mean_field(np.ones((1, 3)))
    with pytest.raises(ValueError, match="n_betas"):
        ais_log_partition(tiny, n_betas=2)
    with pytest.raises(ValueError, match="betas"):
        ais_log_partition(tiny, betas=[0.0, 0.5])


@pytest.mark.parametrize("n_hidden,exc", [((0, 3), ValueError), ((4,), ValueError),
                                           ((4, -1), ValueError), (5, TypeError),
                                           ((4, 2.5), TypeError)])
def test_bad_hidden_sizes(n_hidden, exc):
    x = (np.random.default_rng(0).random((20, 6)) < 0.5).astype(float)
    with pytest.raises(exc, match="n_hidden"):
        DeepBoltzmannMachine(n_hidden, n_epochs=1, pretrain_epochs=0).fit(x)


def test_save_load_roundtrip(tmp_path, tiny):
    path = tiny.save(tmp_path / "dbm")
    assert path.suffix == ".npz"
    loaded = DeepBoltzmannMachine.load(path)
    assert loaded.layer_sizes_ == tiny.layer_sizes_
    for a, b in zip(loaded.weights_ + loaded.biases_, tiny.weights_ + tiny.biases_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert exact_log_partition(loaded) == exact_log_partition(tiny)


def test_load_rejects_other_kind_and_corrupted(tmp_path, tiny):
    other = save_model(tmp_path / "rbm.npz", "BernoulliRBM", {"W": np.zeros((2, 2))})
    with pytest.raises(ModelFileError, match="BernoulliRBM"):
        DeepBoltzmannMachine.load(other)
    path = tiny.save(tmp_path / "dbm.npz")
    data = path.read_bytes()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        DeepBoltzmannMachine.load(bad)
    missing = save_model(tmp_path / "m.npz", "DeepBoltzmannMachine", {"W0": np.zeros((2, 2))},
                         extra={"n_layers": 3})
    with pytest.raises(ModelFileError, match="malformed"):
        DeepBoltzmannMachine.load(missing)
    with pytest.raises(FileNotFoundError):
        DeepBoltzmannMachine.load(tmp_path / "nope.npz")


def test_certified_log_z_lower_bound_and_evaluation(tiny, tiny_exact):
    from boltz.dbm.evaluation import certified_log_z_lower_bound, evaluate_lower_bound

    v = (np.random.default_rng(5).random((40, 6)) < 0.5).astype(float)
    cert = certified_log_z_lower_bound(tiny, v, n_iter=100)
    assert cert <= tiny_exact.log_z
    # with every visible vector the certificate is within the mean-field gap of log Z
    all_v = tiny_exact.states(0, 64)[:, :6]  # variable 0 is the lowest bit
    assert np.unique(all_v, axis=0).shape[0] == 64
    assert tiny_exact.log_z - certified_log_z_lower_bound(tiny, all_v, n_iter=100) < 1.0
    ev = evaluate_lower_bound(tiny, v, n_chains=100, n_betas=1000, seed=0)
    want = variational_lower_bound(tiny, v, tiny_exact.log_z, n_iter=50).mean()
    assert ev["ais_consistent"]
    assert abs(ev["lower_bound"] - want) < 0.2
    assert ev["lower_bound"] <= ev["lower_bound_at_most"] + 0.2


def test_progress_bars_are_opt_in(tiny, capsys):
    from boltz.dbm.evaluation import evaluate_lower_bound

    X = (np.random.default_rng(0).random((8, 6)) < 0.5).astype(float)
    evaluate_lower_bound(tiny, X, n_chains=5, n_betas=20, seed=0)
    tiny.gibbs_sample(3, n_steps=5, seed=0)
    ais_log_partition(tiny, n_chains=5, n_betas=20, seed=0)
    assert capsys.readouterr().err == ""
    evaluate_lower_bound(tiny, X, n_chains=5, n_betas=20, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "DBM AIS" in err and "DBM mean field" in err
    tiny.gibbs_sample(3, n_steps=5, seed=0, progress=True)
    assert "DBM Gibbs" in capsys.readouterr().err
