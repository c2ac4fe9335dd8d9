import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scipy.stats import norm  # noqa: E402

from boltz.deep._utils import NonFiniteEnergyError  # noqa: E402
from boltz.deep.energies import FunctionEnergy, GaussianEnergy, GaussianMixtureEnergy  # noqa: E402
from boltz.deep.samplers import (  # noqa: E402
    AnnealedLangevinSampler,
    HMCSampler,
    LangevinSampler,
    MALASampler,
    SamplerState,
    hmc_log_acceptance,
    init,
    mala_log_acceptance,
)

torch.set_num_threads(1)
MEAN = np.array([1.0, -1.0])
COV = np.array([[1.0, 0.5], [0.5, 2.0]])
N = 4000  # independent chains, so standard errors are those of iid samples


def check_moments(x, mean, cov, n, z=5.0):
    x = x.double().numpy()
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(0) - mean) < z * se_mean), (x.mean(0), mean)
    emp = np.cov(x.T)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(emp - cov) < z * se_cov), (emp, cov)


def test_mala_acceptance_matches_hand_computation():
    # 1D standard normal, E = x^2/2, grad = x.  x=1, y=0.2, eps=0.1
    x, y, eps = 1.0, 0.2, 0.1
    t = torch.tensor
    f64 = torch.float64
    cur = SamplerState(t([[x]], dtype=f64), t([x * x / 2], dtype=f64), t([[x]], dtype=f64))
    prop = SamplerState(t([[y]], dtype=f64), t([y * y / 2], dtype=f64), t([[y]], dtype=f64))
    log_q_fwd = -((y - x + eps * x) ** 2) / (4 * eps)   # log q(y | x)
    log_q_bwd = -((x - y + eps * y) ** 2) / (4 * eps)   # log q(x | y)
    hand = (-y * y / 2 + x * x / 2) + log_q_bwd - log_q_fwd
    assert float(mala_log_acceptance(cur, prop, eps)[0]) == pytest.approx(hand, rel=1e-12)


def test_hmc_acceptance_matches_hand_computation():
    e0, p0, e1, p1 = 0.3, [0.5, -1.0], 1.1, [0.2, 0.4]
    hand = (e0 + 0.5 * (0.25 + 1.0)) - (e1 + 0.5 * (0.04 + 0.16))
    t = torch.tensor
    f64 = torch.float64
    got = hmc_log_acceptance(t([e0], dtype=f64), t([p0], dtype=f64), t([e1], dtype=f64),
                             t([p1], dtype=f64))
    assert float(got[0]) == pytest.approx(hand, rel=1e-12)


def test_langevin_gaussian_moments():
    g = GaussianEnergy(MEAN, COV)
    x = LangevinSampler(g, step_size=0.01).sample(torch.zeros(N, 2), 600, seed=0)
    # ULA's O(eps) variance bias (here < 1%) is far inside 5 standard errors
    check_moments(x, MEAN, COV, N)


def test_mala_gaussian_moments_and_adaptation():
    g = GaussianEnergy(MEAN, COV)
    res = MALASampler(g, step_size=2.0, adapt_steps=60).run(torch.zeros(N, 2), 100, seed=1)
    check_moments(res.samples, MEAN, COV, N)
    assert abs(res.acceptance_rate - 0.574) < 0.1
    assert res.step_size < 2.0


def test_hmc_gaussian_moments():
    g = GaussianEnergy(MEAN, COV)
    res = HMCSampler(g, step_size=0.3, n_leapfrog=5).run(torch.zeros(N, 2), 40, seed=2)
    check_moments(res.samples, MEAN, COV, N)
    assert 0.5 < res.acceptance_rate <= 1.0


@pytest.mark.parametrize("make", [
    lambda g: MALASampler(g, step_size=0.8),
    lambda g: HMCSampler(g, step_size=0.4, n_leapfrog=6),
])
def test_mixture_mode_weights(make):
    # modes at -1.5 and +1.5 (std 1): MALA/HMC mix between them; compare P(x0 > 0)
    gm = GaussianMixtureEnergy([[-1.5, 0.0], [1.5, 0.0]], 1.0, [0.3, 0.7])
    exact = 0.3 * norm.sf(1.5) + 0.7 * norm.sf(-1.5)
    x = make(gm).sample(torch.zeros(N, 2, dtype=torch.float64), 150, seed=3)
    frac = float((x[:, 0] > 0).double().mean())
    assert abs(frac - exact) < 5 * math.sqrt(exact * (1 - exact) / N)


def test_annealed_langevin_recovers_mixture_weights():
    gm = GaussianMixtureEnergy([[-5.0, -5.0], [5.0, 5.0]], 1.0, [0.2, 0.8])
    n = 2000
    x0 = torch.rand((n, 2), generator=torch.Generator().manual_seed(0),
                    dtype=torch.float64) * 16 - 8
    sig = np.geomspace(20, 0.1, 10)
    x = AnnealedLangevinSampler(gm, sig, steps_per_level=60,
                                step_scale=0.3 * 0.1**2).sample(x0, seed=4)
    frac = float((x.sum(1) > 0).double().mean())
    # ULA discretisation of the annealing adds a small bias; 0.03 is the band
    assert abs(frac - 0.8) < 0.03 + 3 * math.sqrt(0.16 / n)
    plain = LangevinSampler(gm, step_size=0.1).sample(x0, 200, seed=5)
    assert abs(float((plain.sum(1) > 0).double().mean()) - 0.5) < 0.03 + 3 * math.sqrt(0.25 / n)


def test_same_seed_same_samples():
    g = GaussianEnergy(MEAN, COV)
    a = MALASampler(g, 0.5).sample(torch.zeros(10, 2), 5, seed=7)
    b = MALASampler(g, 0.5).sample(torch.zeros(10, 2), 5, seed=7)
    c = MALASampler(g, 0.5).sample(torch.zeros(10, 2), 5, seed=8)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_non_finite_energy_during_sampling_raises():
    # E = -|x|^4 is unbounded below: Langevin runs off to infinity
    runaway = FunctionEnergy(lambda x: -(x**4).sum(1), event_shape=(1,))
    with pytest.raises(NonFiniteEnergyError, match="non-finite .* at step"):
        LangevinSampler(runaway, step_size=0.5).sample(torch.ones(4, 1, dtype=torch.float64),
                                                      100, seed=0)
    nan_e = FunctionEnergy(lambda x: torch.where(x[:, 0] > 2, torch.nan, x[:, 0] ** 2),
                           event_shape=(1,))
    with pytest.raises(NonFiniteEnergyError):
        MALASampler(nan_e, 0.5).sample(torch.zeros(50, 1, dtype=torch.float64), 200, seed=0)


def test_sampler_bad_input():
    g = GaussianEnergy(MEAN, COV)
    with pytest.raises(ValueError, match=r"x0 must have shape \(n, 2\)"):
        LangevinSampler(g).sample(torch.zeros(5, 3), 2)
    with pytest.raises(ValueError, match="NaN"):
        MALASampler(g).sample(torch.full((2, 2), float("nan")), 2)
    with pytest.raises(ValueError, match="step_size must be positive"):
        HMCSampler(g, step_size=-1.0)
    with pytest.raises(TypeError, match="seed"):
        LangevinSampler(g).sample(torch.zeros(2, 2), 2, seed="x")
    with pytest.raises(ValueError, match="non-increasing"):
        AnnealedLangevinSampler(GaussianMixtureEnergy([[0.0]]), [0.1, 1.0])


def test_init_state_is_consistent():
    g = GaussianEnergy(MEAN, COV)
    x = torch.randn(3, 2, dtype=torch.float64)
    s = init(g, x)
    torch.testing.assert_close(s.grad, -g.grad_log_prob(x))
    torch.testing.assert_close(s.energy, g.energy(x))
