"""RBM models held to exact enumeration: free energy, conditionals, Gibbs invariance, log Z."""

import numpy as np
import pytest
from scipy import special

from boltz.exact import ExactDistribution, all_states, chi_square_test, expected_total_variation
from boltz.rbm import (
    BernoulliRBM,
    CategoricalRBM,
    GaussianBernoulliRBM,
    one_hot,
)

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def random_rbm(n_vis=5, n_hid=3, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return BernoulliRBM.from_params(scale * rng.standard_normal((n_vis, n_hid)),
                                    rng.standard_normal(n_vis), rng.standard_normal(n_hid))


def joint_log_weights(model, V, H):
    """-E(v, h) for every pair: array (len(V), len(H))."""
    nv, nh = len(V), len(H)
    v = np.repeat(V, nh, axis=0)
    h = np.tile(H, (nv, 1))
    return -model.energy(v, h).reshape(nv, nh)


def test_free_energy_is_minus_log_sum_over_hidden():
    m = random_rbm(5, 4)
    V, H = all_states(5), all_states(4)
    lw = joint_log_weights(m, V, H)
    np.testing.assert_allclose(m.free_energy(V), -special.logsumexp(lw, axis=1), rtol=0, atol=1e-5)
    np.testing.assert_allclose(m.log_unnormalized(V), -m.energy(V), atol=0)
    # exact log Z by either layer, and by boltz.exact over the visible states
    assert m.log_partition() == pytest.approx(special.logsumexp(lw), abs=1e-5)
    assert ExactDistribution(m).log_z == pytest.approx(special.logsumexp(lw), abs=1e-5)
    np.testing.assert_allclose(m.hidden_log_unnormalized(H), special.logsumexp(lw, axis=0),
                               atol=1e-5)


def test_exact_log_partition_both_layers_agree():
    wide = random_rbm(3, 7, seed=1)      # enumerates visibles
    tall = random_rbm(7, 3, seed=2)      # enumerates hiddens
    assert wide.exact_layer() == "visible" and tall.exact_layer() == "hidden"
    for m in (wide, tall):
        V, H = all_states(m.n_visible_), all_states(m.n_hidden)
        assert m.log_partition() == pytest.approx(
            special.logsumexp(joint_log_weights(m, V, H)), abs=1e-5)
    big = BernoulliRBM.from_params(np.zeros((30, 30)), np.zeros(30), np.zeros(30))
    with pytest.raises(ValueError, match="at most 25 units"):
        big.log_partition()
    # W = 0: log Z = sum softplus(a) + sum softplus(c)
    indep = BernoulliRBM.from_params(np.zeros((40, 3)), np.full(40, 0.3), np.full(3, -1.0))
    assert indep.log_partition() == pytest.approx(
        40 * np.logaddexp(0, 0.3) + 3 * np.logaddexp(0, -1.0), abs=1e-4)


def test_conditionals_match_exact():
    m = random_rbm(4, 3, seed=3)
    V, H = all_states(4), all_states(3)
    p = np.exp(joint_log_weights(m, V, H))
    p_h_given_v = p / p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(m.hidden_probabilities(V), p_h_given_v @ H, atol=1e-6)
    p_v_given_h = p / p.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(m.visible_mean(H), p_v_given_h.T @ V, atol=1e-6)


def test_block_gibbs_leaves_joint_invariant():
    """Start at exact samples of p(v); one sweep must give (h, v') ~ p(v, h) exactly."""
    m = random_rbm(4, 3, scale=1.5, seed=4)
    exact_v = ExactDistribution(m)
    n = 40000
    v0 = exact_v.sample(n, seed=5)
    v1, h = m.gibbs(v0, n_steps=1, seed=6, return_hidden=True)
    # joint over 7 binary variables: (h, v1) with h drawn from p(h|v0), v1 from p(v|h)
    joint = ExactDistribution(lambda s: -m.energy(s[:, 3:], s[:, :3]), n_variables=7)
    samples = np.concatenate([h, v1], axis=1)
    tv = joint.total_variation(samples)
    assert tv < 4 * expected_total_variation(joint.probabilities, n)
    _, pval = chi_square_test(samples, joint)
    assert pval > 1e-4
    # the visible marginal after many sweeps from a bad start
    v_long = m.gibbs(np.zeros((20000, 4)), n_steps=30, seed=7)
    assert exact_v.total_variation(v_long) < 4 * expected_total_variation(
        exact_v.probabilities, 20000)


def test_sample_hidden_and_visible_are_unbiased(rng):
    m = random_rbm(4, 3, seed=8)
    v = np.tile([[1.0, 0.0, 1.0, 1.0]], (20000, 1))
    h = m.sample_hidden(v, seed=1)
    p = m.hidden_probabilities(v[:1])[0]
    se = np.sqrt(p * (1 - p) / 20000)
    assert np.all(np.abs(h.mean(axis=0) - p) < 5 * se)
    hh = np.tile([[1.0, 0.0, 1.0]], (20000, 1))
    vs = m.sample_visible(hh, seed=2)
    q = m.visible_mean(hh[:1])[0]
    se = np.sqrt(q * (1 - q) / 20000)
    assert np.all(np.abs(vs.mean(axis=0) - q) < 5 * se)


def test_pseudo_likelihood_matches_brute_force():
    m = random_rbm(5, 4, seed=9)
    V = all_states(5)
    lp = m.log_unnormalized(V)
    idx = {tuple(v): i for i, v in enumerate(V)}
    brute = []
    for v in V:
        tot = 0.0
        for i in range(5):
            w = v.copy()
            w[i] = 1 - w[i]
            a, b = lp[idx[tuple(v)]], lp[idx[tuple(w)]]
            tot += a - np.logaddexp(a, b)
        brute.append(tot)
    np.testing.assert_allclose(m.pseudo_log_likelihood(V), brute, atol=1e-6)


def test_gaussian_rbm_free_energy_and_log_z_by_quadrature():
    rng = np.random.default_rng(10)
    for learn in (False, True):
        m = GaussianBernoulliRBM.from_params(
            0.5 * rng.standard_normal((1, 2)), rng.standard_normal(1), rng.standard_normal(2),
            variance=0.7, learn_variance=learn, log_variance=np.log([0.7]))
        x = np.linspace(-12, 12, 40001)[:, None]
        H = all_states(2)
        lw = joint_log_weights(m, x, H)
        np.testing.assert_allclose(m.free_energy(x), -special.logsumexp(lw, axis=1), atol=1e-6)
        log_z_quad = special.logsumexp(-m.free_energy(x)) + np.log(x[1, 0] - x[0, 0])
        assert m.log_partition() == pytest.approx(log_z_quad, abs=1e-6)
        # conditional mean of v given h: var * (a + W h)
        np.testing.assert_allclose(
            m.visible_mean(H)[:, 0],
            0.7 * (m.visible_bias_[0] + H @ m.W_[0].astype(float)), rtol=1e-5)


def test_categorical_rbm_matches_enumeration():
    rng = np.random.default_rng(11)
    k, g, nh = 3, 2, 2
    m = CategoricalRBM.from_params(rng.standard_normal((g * k, nh)), rng.standard_normal(g * k),
                                   rng.standard_normal(nh), n_categories=k)
    codes = np.array([[i, j] for i in range(k) for j in range(k)])
    V = one_hot(codes, k)
    H = all_states(nh)
    lw = joint_log_weights(m, V, H)
    np.testing.assert_allclose(m.free_energy(V), -special.logsumexp(lw, axis=1), atol=1e-5)
    assert m.log_partition() == pytest.approx(special.logsumexp(lw), abs=1e-5)
    p = np.exp(lw - special.logsumexp(lw))
    pv_h = p / p.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(m.visible_mean(H), pv_h.T @ V, atol=1e-6)
    # sampling the visibles gives one-hot groups with the right frequencies
    hh = np.tile(H[1:2], (20000, 1))
    vs = m.sample_visible(hh, seed=3)
    assert np.all(vs.reshape(-1, g, k).sum(axis=2) == 1)
    q = m.visible_mean(H[1:2])[0]
    assert np.all(np.abs(vs.mean(axis=0) - q) < 5 * np.sqrt(q * (1 - q) / 20000) + 1e-9)
    with pytest.raises(ValueError, match="one-hot"):
        m.free_energy(np.ones((1, g * k)))


def test_from_params_and_density_interface():
    m = random_rbm(3, 2)
    assert m.event_shape == (3,) and m.n_variables == 3 and m.support == (0, 1)
    assert m.has("log_partition") and not m.has("sample")
    assert np.exp(m.log_prob(all_states(3))).sum() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="no parameters"):
        BernoulliRBM(3).free_energy(np.zeros((1, 3)))


def test_grad_log_prob_for_gaussian_visibles_only():
    rng = np.random.default_rng(4)
    W = rng.normal(0, 0.5, size=(3, 2))
    m = GaussianBernoulliRBM.from_params(W, rng.normal(size=3), rng.normal(size=2),
                                         log_variance=np.log([0.5, 1.0, 2.0]))
    v = rng.normal(size=(4, 3))
    eps = 1e-6
    numeric = np.stack([
        (-m.free_energy(v + eps * e) + m.free_energy(v - eps * e)) / (2 * eps)
        for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(m.grad_log_prob(v), numeric, rtol=1e-5, atol=1e-6)
    assert m.has("grad_log_prob")
    b = BernoulliRBM.from_params(W, np.zeros(3), np.zeros(2))
    assert not b.has("grad_log_prob")
    with pytest.raises(NotImplementedError):
        b.grad_log_prob(np.zeros((1, 3)))
    # score is the estimators' mean log-likelihood (a float), for every kind
    assert isinstance(m.score(v), float) and isinstance(b.score(np.zeros((2, 3))), float)
