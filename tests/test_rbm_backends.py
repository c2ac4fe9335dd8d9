"""Every RBM kind x method on every backend passes the same exactness tests (issue #17).

Kinds: Bernoulli, Gaussian-Bernoulli (fixed and learned variance), categorical;
methods: CD, PCD, parallel tempering; backends: NumPy/numba and torch on the
CPU ("cpu-torch"). For each combination:

- the negative-phase chains leave the exact hidden marginal invariant
  (chains started at exact draws, chi-square and total variation against
  enumeration of the hidden layer, with a control model that must be rejected;
  for PT every temperature starts at its exact tempered distribution);
- one update equals the formula written out in NumPy float64 on the recorded
  draws (centring, momentum, weight decay, sparsity, learned variance);
- AIS on the backend is within 0.2 nats of the exact log Z;
- ``model.gibbs`` on the backend leaves the exact hidden marginal invariant.
"""

import numpy as np
import pytest

from boltz.exact import ExactDistribution, chi_square_test, expected_total_variation
from boltz.rbm import BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM, ais_log_partition
from boltz.rbm.trainer import Trainer

KINDS = ["bernoulli", "gaussian", "gaussian_learned", "categorical"]
METHODS = ["cd", "pcd", "pt"]
try:
    import torch

    torch.set_num_threads(1)
    DEVICES = [None, "cpu-torch"]
except ImportError:  # pragma: no cover - torch is optional
    DEVICES = [None]

N_HID = 4
BETAS = np.array([1.0, 0.5, 0.0], np.float32)  # n_temperatures=3


def random_model(kind, seed=0, **kw):
    """A small RBM with random parameters (4 hidden units: 16 hidden states)."""
    rng = np.random.default_rng(seed)
    if kind == "bernoulli":
        cls, n_vis, extra = BernoulliRBM, 6, {}
    elif kind == "categorical":
        cls, n_vis, extra = CategoricalRBM, 9, {"n_categories": 3}
    else:
        cls, n_vis = GaussianBernoulliRBM, 3
        extra = {"learn_variance": kind == "gaussian_learned"}
    W = 0.8 * rng.standard_normal((n_vis, N_HID))
    params = {}
    if kind == "gaussian_learned":
        params["log_variance"] = 0.3 * rng.standard_normal(n_vis)
    return cls.from_params(W, 0.5 * rng.standard_normal(n_vis), 0.5 * rng.standard_normal(N_HID),
                           **params, **extra, **kw)


def tempered_hidden(model, beta):
    """Exact ``p_beta(h)`` (hidden layer enumerated): ``beta c.h + A_vis(beta (a + W h))``,
    the visible base measure untempered, as in the trainer's parallel tempering."""
    W = model.W_.astype(np.float64)
    a, c = model.visible_bias_.astype(np.float64), model.hidden_bias_.astype(np.float64)

    def log_p(h):
        return beta * (h @ c) + model._visible_log_partition(beta * (h @ W.T + a))

    return ExactDistribution(log_p, n_variables=model.n_hidden)


def exact_chains(model, beta, n, seed):
    """``n`` exact draws ``(v, h)`` of the tempered joint: ``h ~ p_beta(h)``, then ``v|h``."""
    rng = np.random.default_rng(seed)
    h = tempered_hidden(model, beta).sample(n, seed=rng).astype(np.float32)
    scale = np.full(n, beta, np.float32)
    v, _ = model._sample_visible_from_pre(h @ model.W_.T, rng, row_scale=scale,
                                          bias=(beta * model.visible_bias_).astype(np.float32))
    return v.astype(np.float32), h


def host(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def tv_bound(p, n, seed=0):
    """Mean + 4 sd of the total variation of ``n`` exact draws from ``p`` (from 400
    simulated multinomial samples): the error bar of the TV check."""
    rng = np.random.default_rng(seed)
    tv = 0.5 * np.abs(rng.multinomial(n, p, size=400) / n - p).sum(axis=1)
    return tv.mean() + 4 * tv.std()


def check_exact(samples, exact, control):
    """chi-square and TV within their error bars, and the control rejected by both."""
    samples = samples.astype(np.float64)
    assert chi_square_test(samples, exact)[1] > 1e-3
    bound = tv_bound(exact.probabilities, len(samples))
    assert bound < 2 * expected_total_variation(exact.probabilities, len(samples))
    assert exact.total_variation(samples) < bound
    assert chi_square_test(samples, control)[1] < 1e-6
    assert control.total_variation(samples) > bound


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_negative_phase_leaves_the_exact_hidden_marginal_invariant(kind, method, device):
    n = 20000
    model = random_model(kind, method=method, k=2, n_chains=n, batch_size=n, n_temperatures=3,
                         device=device)
    v0, h0 = exact_chains(model, 1.0, n, seed=1)
    tr = Trainer(model, v0, seed=2)
    bk = tr.bk
    if method == "pt":
        states = [exact_chains(model, float(b), n, seed=10 + t) for t, b in enumerate(BETAS)]
        tr.chain_v = bk.asarray(np.concatenate([s[0] for s in states]))
        tr.chain_h = bk.asarray(np.concatenate([s[1] for s in states]))
        tr._pt_phase()
        h_all = host(tr.chain_h).reshape(len(BETAS), n, N_HID)
        assert tr.swap_accepts > 0
        for t, b in enumerate(BETAS):
            control = tempered_hidden(model, float(b) + 0.25)
            check_exact(h_all[t], tempered_hidden(model, float(b)), control)
    else:
        _, _, h = tr._negative_phase(bk.asarray(h0))
        check_exact(host(h), tempered_hidden(model, 1.0), tempered_hidden(model, 1.25))


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_one_update_is_the_centred_momentum_formula(kind, method, device):
    """The update from recorded ``(p(h|v_pos), v_neg, p(h|v_neg))`` against NumPy float64."""
    lr, mom, wd, target, cost = 0.3, 0.7, 0.01, 0.2, 0.5
    model = random_model(kind, method=method, learning_rate=lr, batch_size=40, n_chains=30,
                         momentum=mom, weight_decay=wd, centering=True,
                         sparsity_target=target, sparsity_cost=cost, n_temperatures=3,
                         device=device)
    X, _ = exact_chains(model, 1.0, 40, seed=3)
    tr = Trainer(model, X, seed=4)
    for vel in tr.vel.values():
        vel += 0.01   # a non-zero velocity, as after earlier updates
    recorded = []
    phases = tr._phases
    tr._phases = lambda v: recorded.append(phases(v)) or recorded[-1]
    f64 = lambda x: host(x).astype(np.float64)  # noqa: E731
    P0 = {k: v.astype(np.float64) for k, v in model._param_arrays().items()}
    V0 = {k: f64(v) for k, v in tr.vel.items()}
    lam0, mu, q0 = f64(tr.lam), f64(tr.mu), f64(tr.q)
    tr.step(tr.bk.asarray(X), lr, mom)
    tr._download()
    ph_pos, v_neg, ph_neg = (f64(x) for x in recorded[0])
    Xb = X.astype(np.float64)
    W0, a0, c0 = P0["W"], P0["visible_bias"], P0["hidden_bias"]
    np.testing.assert_allclose(ph_pos, _sig(Xb @ W0 + c0), atol=2e-6)
    np.testing.assert_allclose(ph_neg, _sig(v_neg @ W0 + c0), atol=2e-6)
    lam = lam0 + 0.01 * (ph_pos.mean(0) - lam0)
    q = 0.9 * q0 + 0.1 * ph_pos.mean(0)
    pen = cost * (q - target)
    gW = ((Xb - mu).T @ (ph_pos - lam) / len(Xb) - (v_neg - mu).T @ (ph_neg - lam) / len(v_neg)
          - np.outer(Xb.mean(0), pen))
    vW = mom * V0["W"] + lr * (gW - wd * W0)
    va = mom * V0["visible_bias"] + lr * (Xb.mean(0) - v_neg.mean(0))
    vc = mom * V0["hidden_bias"] + lr * (ph_pos.mean(0) - ph_neg.mean(0) - pen)
    np.testing.assert_allclose(model.W_, W0 + vW, atol=2e-5)
    np.testing.assert_allclose(model.visible_bias_, a0 + va - vW @ lam, atol=2e-5)
    np.testing.assert_allclose(model.hidden_bias_, c0 + vc - mu @ vW, atol=2e-5)
    if kind == "gaussian_learned":
        lv0 = P0["log_variance"]
        g = 0.5 * np.exp(-lv0) * ((Xb**2).mean(0) - (v_neg**2).mean(0))
        np.testing.assert_allclose(model.log_variance_,
                                   lv0 + mom * V0["log_variance"] + lr * g, atol=2e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_ais_on_the_backend_matches_exact_log_z(kind, method, device):
    model = random_model(kind, method=method, learning_rate=0.05, batch_size=50,
                         n_temperatures=3, device=device)
    X, _ = exact_chains(model, 1.0, 300, seed=5)
    model.partial_fit(X)   # a trained model of this method on this backend
    exact = model.log_partition()
    res = ais_log_partition(model, n_runs=100, n_betas=1000, data=X, seed=6)
    assert abs(res.log_z - exact) < 0.2, (res.log_z, exact)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", KINDS)
def test_model_gibbs_on_the_backend_leaves_the_exact_hidden_marginal_invariant(kind, device):
    n = 20000
    model = random_model(kind, device=device)
    v0, _ = exact_chains(model, 1.0, n, seed=7)
    v, h = model.gibbs(v0, n_steps=2, seed=8, return_hidden=True)
    assert v.shape == v0.shape and v.dtype == np.float64
    check_exact(h, tempered_hidden(model, 1.0), tempered_hidden(model, 1.25))
