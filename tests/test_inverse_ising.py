"""boltz.inverse_ising: every method against exact answers from enumeration."""

import numpy as np
import pytest

from boltz.exact import ExactDistribution, log_partition
from boltz.inverse_ising import InverseIsing, edge_auc, l1_path, load_inverse_ising
from boltz.inverse_ising._data import pack, pair_index, unpack
from boltz.inverse_ising.objectives import exact_nll, site_objective
from boltz.ising import PairwiseMRF

N_SMALL, N_LARGE = 2000, 32000          # errors should shrink 4x between them
BIAS_BOUNDS = {"nmf": (0.06, 0.15), "tap": (0.03, 0.02), "sm": (0.01, 0.1)}


def _random_model(n, j_scale, seed):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0.0, j_scale, (n, n)), 1)
    return PairwiseMRF(J + J.T, h=rng.normal(0.0, 0.2, n))


@pytest.fixture(scope="module")
def small():
    """A 5-spin model with weak couplings (|J| <= 0.5), its exact distribution and Cramer-Rao
    bars (the exact ML estimate's s.d. times sqrt(N), from the Fisher information)."""
    model = _random_model(5, 0.15, seed=3)
    dist = ExactDistribution(model)
    S, p = dist.states(), dist.probabilities
    iu = pair_index(5)
    T = np.hstack([S, S[:, iu[0]] * S[:, iu[1]]])       # sufficient statistics
    mean = p @ T
    fisher = T.T @ (p[:, None] * T) - np.outer(mean, mean)
    var = np.diag(np.linalg.inv(fisher))                  # N * Var of the ML estimate
    return {"model": model, "dist": dist, "S": S, "p": p,
            "J": model.couplings.toarray(), "h": model.field,
            "bar_h": np.sqrt(var[:5].mean()), "bar_J": np.sqrt(var[5:].mean())}


def _rmse(est, J, h):
    iu = pair_index(J.shape[0])
    return (np.sqrt(np.mean((est.coupling_ - J)[iu] ** 2)),
            np.sqrt(np.mean((est.field_ - h) ** 2)))


def _estimator(method):
    if method == "pcd":
        return InverseIsing(method="pcd", n_chains=1000, n_iter=1500, learning_rate=0.2, seed=0,
                            n_threads=1)
    return InverseIsing(method=method, alpha=0.0, tol=1e-9, n_threads=1)


# -- exact maximum likelihood ------------------------------------------------------------

def test_exact_gradient_is_finite_difference_of_exact_log_z(small):
    rng = np.random.default_rng(0)
    theta = pack(small["J"], small["h"]) + rng.normal(0, 0.1, 15)
    zero_data = np.zeros(5), np.zeros((5, 5))
    value, grad = exact_nll(theta, *zero_data)             # with no data: log Z and its gradient

    def log_z(t):
        J, h = unpack(t, 5)
        return log_partition(PairwiseMRF(J, h=h))

    assert value == pytest.approx(log_z(theta), abs=1e-12)
    eps = 1e-5
    fd = np.array([(log_z(theta + eps * e) - log_z(theta - eps * e)) / (2 * eps)
                   for e in np.eye(15)])
    np.testing.assert_allclose(grad, fd, atol=1e-8)
    assert np.abs(grad).max() > 0.05                       # not a vacuous comparison


def test_exact_ml_reaches_the_enumeration_optimum_n16():
    """Data = all 2**16 states weighted by a model: the optimum is that model, LL = -entropy."""
    model = _random_model(16, 0.15, seed=1)
    dist = ExactDistribution(model)
    est = InverseIsing(method="exact", alpha=0.0, tol=1e-9, n_threads=1).fit(
        dist.states(), sample_weight=dist.probabilities)
    ll = float(dist.probabilities @ est.log_likelihood(dist.states()))
    assert abs(ll - (-dist.entropy())) < 1e-6
    assert np.abs(est.coupling_ - model.couplings.toarray()).max() < 1e-4
    # control: the truth perturbed by 1e-2 is measurably worse than the optimum
    worse = PairwiseMRF(model.couplings.toarray() * 1.01, h=model.field)
    ll_worse = float(dist.probabilities @ (-worse.energy(dist.states()) - log_partition(worse)))
    assert ll - ll_worse > 1e-6


def test_exact_ml_on_samples_matches_moments_and_newton(small):
    X = small["dist"].sample(3000, seed=5)
    est = InverseIsing(method="exact", alpha=0.0, tol=1e-10).fit(X)
    S = X
    m, chi = S.mean(0), S.T @ S / S.shape[0]
    theta = pack(est.coupling_, est.field_)
    value, grad = exact_nll(theta, m, chi)
    assert np.abs(grad).max() < 1e-8                       # zero gradient: moments matched
    # one Newton step with the exact Hessian (covariance of the statistics) gains nothing
    dist = ExactDistribution(est.model_)
    St = dist.states()
    iu = pair_index(5)
    T = np.hstack([St, St[:, iu[0]] * St[:, iu[1]]])
    p = dist.probabilities
    H = T.T @ (p[:, None] * T) - np.outer(p @ T, p @ T)
    newton_value, _ = exact_nll(theta - np.linalg.solve(H, grad), m, chi)
    assert value - newton_value < 1e-12


# -- consistency and recovery -------------------------------------------------------------

@pytest.mark.parametrize("kind", ["pl", "mpf"])
def test_pseudo_likelihood_and_mpf_are_consistent(small, kind):
    """At the population (all states weighted by p) the true parameters are the optimum."""
    theta_true = pack(small["J"], small["h"])
    _, grad = site_objective(theta_true, small["S"], small["p"], kind)
    assert np.abs(grad).max() < 1e-12
    est = InverseIsing(method=kind, alpha=0.0, tol=1e-10).fit(small["S"],
                                                              sample_weight=small["p"])
    assert np.abs(est.coupling_ - small["J"]).max() < 1e-6
    assert np.abs(est.field_ - small["h"]).max() < 1e-6
    # control: at the parameters of another model the gradient is far from zero
    _, g_off = site_objective(theta_true * 1.2, small["S"], small["p"], kind)
    assert np.abs(g_off).max() > 1e-3


@pytest.mark.parametrize("method", ["exact", "pl", "mpf", "pcd", "nmf", "tap", "sm"])
def test_recovery_error_shrinks_as_one_over_sqrt_n(small, method):
    """Each method's error about its own infinite-data limit is within 3 Cramer-Rao bars at
    two N's 16x apart (so it shrinks ~4x), and that limit is the truth (consistent methods)
    or close to it (mean-field closed forms, biased by O(J^2))."""
    if method in ("exact", "pcd"):
        J_lim, h_lim = small["J"], small["h"]
    else:
        pop = InverseIsing(method=method, alpha=0.0, tol=1e-10).fit(
            small["S"], sample_weight=small["p"])
        J_lim, h_lim = pop.coupling_, pop.field_
    bias_J, bias_h = (np.sqrt(np.mean((J_lim - small["J"])[pair_index(5)] ** 2)),
                      np.sqrt(np.mean((h_lim - small["h"]) ** 2)))
    # population biases measured on this model: nmf (0.048, 0.113), tap (0.019, 0.007),
    # sm (0.002, 0.077) for (J, h); consistent methods: zero
    bound_J, bound_h = BIAS_BOUNDS.get(method, (1e-6, 1e-6))
    assert bias_J < bound_J and bias_h < bound_h, (bias_J, bias_h)
    errs = {}
    for N in (N_SMALL, N_LARGE):
        X = small["dist"].sample(N, seed=N)
        est = _estimator(method).fit(X)
        eJ, eh = _rmse(est, J_lim, h_lim)
        assert eJ < 3 * small["bar_J"] / np.sqrt(N), (N, eJ, small["bar_J"] / np.sqrt(N))
        assert eh < 3 * small["bar_h"] / np.sqrt(N), (N, eh, small["bar_h"] / np.sqrt(N))
        errs[N] = eJ
    assert 1.5 < errs[N_SMALL] / errs[N_LARGE] < 10.0         # ~4 expected
    # control: a limit off by 0.05 per coupling fails the large-N bar
    eJ_off, _ = _rmse(est, J_lim + 0.05 * (1 - np.eye(5)), h_lim)
    assert eJ_off > 3 * small["bar_J"] / np.sqrt(N_LARGE)


def test_pcd_same_seed_same_result(small):
    X = small["dist"].sample(500, seed=1)
    a = InverseIsing(method="pcd", n_chains=50, n_iter=50, seed=3).fit(X)
    b = InverseIsing(method="pcd", n_chains=50, n_iter=50, seed=3).fit(X)
    np.testing.assert_array_equal(a.coupling_, b.coupling_)


def test_binary_data_gives_the_spin_model(small):
    X = small["dist"].sample(3000, seed=2)
    spins = InverseIsing(method="pl").fit(X)
    bits = InverseIsing(method="pl").fit((X + 1) / 2)
    np.testing.assert_allclose(bits.coupling_, spins.coupling_, atol=1e-5)
    assert bits.data_support_ == (0, 1) and spins.data_support_ == (-1, 1)
    W, b = bits.boltzmann_parameters()
    back = PairwiseMRF.from_boltzmann(W, b)
    np.testing.assert_allclose(back.field, bits.field_, atol=1e-12)


def test_save_and_load_round_trip(small, tmp_path):
    est = InverseIsing(method="sm").fit(small["dist"].sample(2000, seed=4))
    path = est.save(tmp_path / "m.npz")
    back = load_inverse_ising(path)
    np.testing.assert_array_equal(back.coupling_, est.coupling_)
    np.testing.assert_array_equal(back.field_, est.field_)
    assert back.get_params() == est.get_params()


# -- structure learning ----------------------------------------------------------------------

def _chain_model():
    J = np.zeros((6, 6))
    for i in range(5):
        J[i, i + 1] = J[i + 1, i] = 0.5 if i % 2 else -0.5
    return PairwiseMRF(J, h=np.linspace(-0.2, 0.2, 6))


def test_l1_path_recovers_the_graph():
    model = _chain_model()
    X = ExactDistribution(model).sample(5000, seed=0)
    graph = model.couplings.toarray() != 0
    path = l1_path(X, n_alphas=8, graph=graph)
    assert path.n_edges[0] == 0 and path.n_edges[-1] > 5
    assert np.all(np.diff(path.n_edges) >= -1)              # edges enter as alpha falls
    assert path.auc[-1] == 1.0
    # somewhere on the path the sparsity pattern is exactly the chain
    iu = pair_index(6)
    assert any(np.array_equal(s[iu], graph[iu]) for s in path.support)
    # control: the AUC of a scrambled estimate is not perfect
    rng = np.random.default_rng(0)
    assert edge_auc(rng.permutation(path.couplings[-1].ravel()).reshape(6, 6), graph) < 1.0


def test_l1_estimator_sets_couplings_exactly_to_zero():
    model = _chain_model()
    X = ExactDistribution(model).sample(5000, seed=1)
    est = InverseIsing(method="pl", penalty="l1", alpha=0.05).fit(X)
    iu = pair_index(6)
    assert np.array_equal(est.coupling_[iu] != 0, model.couplings.toarray()[iu] != 0)


def test_edge_auc_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    G = rng.random((12, 12)) < 0.3
    G = np.triu(G, 1) | np.triu(G, 1).T
    S = np.round(rng.random((12, 12)), 1)                    # ties included
    iu = pair_index(12)
    assert edge_auc(S, G) == pytest.approx(metrics.roc_auc_score(G[iu], np.abs(S[iu])))


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("X, match", [
    ([[0, 1, 2], [1, 0, 1]], "X must be binary"),
    ([[-1, 0, 1], [1, 0, 1]], "X must be binary"),
    ([[0, 1, 1], [1, 0, 1], [0, 0, 1]], r"X has constant columns \[2\]"),
    ([[0, 1, np.nan], [1, 0, 1]], "X must be finite"),
    ([[0], [1]], "at least 2 variables"),
])
def test_bad_data_raises_naming_x(X, match):
    with pytest.raises(ValueError, match=match):
        InverseIsing().fit(X)


def test_too_many_variables_for_exact():
    X = np.random.default_rng(0).choice([-1.0, 1.0], (50, 21))
    with pytest.raises(ValueError, match="X has 21 variables; method='exact'"):
        InverseIsing(method="exact").fit(X)


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "magic"}, "method must be one of"),
    ({"penalty": "l3"}, "penalty must be one of"),
    ({"method": "nmf", "penalty": "l1"}, "penalty='l1' needs method"),
    ({"alpha": -1.0}, "alpha must be non-negative"),
    ({"method": "tap", "alpha": 1.0}, "alpha is a pseudocount"),
    ({"n_chains": 0, "method": "pcd"}, "n_chains must be a positive integer"),
])
def test_bad_parameters(kwargs, match):
    X = np.array([[1, -1], [-1, 1], [1, 1], [-1, -1]])
    with pytest.raises(ValueError, match=match):
        InverseIsing(**kwargs).fit(X)


def test_bad_sample_weight():
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        InverseIsing().fit([[1, -1], [-1, 1]], sample_weight=[1.0, -1.0])
