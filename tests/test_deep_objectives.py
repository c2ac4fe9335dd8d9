import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from boltz.deep._utils import TrainingDivergedError  # noqa: E402
from boltz.deep.energies import EnergyModule, GaussianEnergy, MLPEnergy  # noqa: E402
from boltz.deep.objectives import (  # noqa: E402
    ContrastiveDivergence,
    DenoisingScoreMatching,
    NoiseContrastiveEstimation,
    ScoreMatching,
    SlicedScoreMatching,
    make_objective,
)
from boltz.deep.training import fit, load_checkpoint, save_checkpoint  # noqa: E402

torch.set_num_threads(1)
MEAN = np.array([1.0, -1.0])
COV = np.array([[1.0, 0.5], [0.5, 2.0]])
N = 2000


@pytest.fixture(scope="module")
def data():
    return GaussianEnergy(MEAN, COV).sample(N, seed=0)


def assert_recovers(model, mean, cov, n, z=5.0):
    """Within z standard errors of the MLE of a Gaussian fitted to n samples."""
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(model.mean - mean) < z * se_mean), (model.mean, mean)
    d = np.diag(cov)
    se_cov = np.sqrt((np.outer(d, d) + cov**2) / n)
    assert np.all(np.abs(model.cov - cov) < z * se_cov), (model.cov, cov)


def fresh():
    return GaussianEnergy([0.0, 0.0], np.eye(2), learnable=True)


SIGMA = 0.1
CASES = {
    # name: (objective, batch size, steps, expected covariance)
    "sm": (lambda: ScoreMatching(), N, 150, COV),
    "ssm": (lambda: SlicedScoreMatching(n_projections=2), N, 250, COV),
    "ssm_plain": (lambda: SlicedScoreMatching(n_projections=2, variance_reduced=False), N, 300,
                  COV),
    # DSM learns the data convolved with the noise: N(m, C + sigma^2 I) (exact for Gaussians)
    "dsm": (lambda: DenoisingScoreMatching(SIGMA), N, 400, COV + SIGMA**2 * np.eye(2)),
    # ULA with step eps has stationary covariance ~ C + eps/2 I, so CD's fixed point is
    # ~ C - eps/2 I (eps = 0.05 -> 0.025, inside the tolerance)
    "cd": (lambda: ContrastiveDivergence(n_steps=10, step_size=0.05, reg=0.0), 500, 300, COV),
    "pcd": (lambda: ContrastiveDivergence(n_steps=5, step_size=0.05, reg=0.0, persistent=True,
                                          buffer_size=1000, reinit_prob=0.0), 500, 300, COV),
    "nce": (lambda: NoiseContrastiveEstimation(noise_ratio=2.0), N, 300, COV),
}


@pytest.mark.parametrize("name", list(CASES))
def test_objective_recovers_gaussian_parameters(name, data):
    make, batch, steps, cov = CASES[name]
    model = fresh()
    obj = make()
    res = fit(model, obj, data, n_steps=steps, batch_size=batch, lr=0.05, seed=1,
              progress=False, lr_schedule="cosine")
    assert not res.diverged and np.all(np.isfinite(res.losses))
    assert_recovers(model, MEAN, cov, N)


def test_nce_learned_log_z_converges_to_true_log_z(data):
    model = fresh()
    obj = NoiseContrastiveEstimation(noise_ratio=2.0)
    fit(model, obj, data, n_steps=300, batch_size=N, lr=0.05, seed=2, progress=False,
        lr_schedule="cosine")
    true_log_z = GaussianEnergy(MEAN, COV).log_partition()
    # log Z = log(2 pi) + log det(C)/2; its estimate from N samples has standard error
    # ~ sqrt(d / (2N)) (the log-det of a sample covariance), so 5 SE = 0.079
    tol = 5 * np.sqrt(2 / (2 * N))
    log_z = float(obj.log_z.detach())
    assert log_z == pytest.approx(model.log_partition(), abs=tol)
    assert log_z == pytest.approx(true_log_z, abs=tol)


def test_multi_level_dsm_needs_noise_conditional_model():
    obj = DenoisingScoreMatching([1.0, 0.1])
    with pytest.raises(TypeError, match="noise-conditional"):
        obj(fresh(), torch.zeros(4, 2, dtype=torch.float64))
    from boltz.deep.energies import NoiseConditionalMLPEnergy

    m = NoiseConditionalMLPEnergy(2, sigmas=[1.0, 0.1], hidden=(8,))
    loss, _ = obj(m, torch.zeros(4, 2), torch.Generator().manual_seed(0))
    loss.backward()
    first = m.net[0].weight   # the score does not depend on the output bias, but on this
    assert first.grad is not None and float(first.grad.abs().sum()) > 0


class Unbounded(EnergyModule):
    """E = -a |x|^2: unbounded below, so CD's Langevin negatives run away."""

    def __init__(self):
        super().__init__()
        self.event_shape = (1,)
        self.a = nn.Parameter(torch.tensor(1.0, dtype=torch.float64))

    def forward(self, x):
        return -self.a * (x**2).sum(1)


def test_divergence_is_reported_not_hidden():
    data = torch.randn(64, 1, dtype=torch.float64)
    cd = ContrastiveDivergence(n_steps=50, step_size=0.5, reg=0.0)
    with pytest.raises(TrainingDivergedError, match="diverged"):
        fit(Unbounded(), cd, data, n_steps=5, progress=False, seed=0)
    res = fit(Unbounded(), cd, data, n_steps=5, progress=False, seed=0, on_divergence="stop")
    assert res.diverged and "diverged" in res.message
    assert all(np.isfinite(res.losses))


def test_fit_is_seeded_and_checkpoints_round_trip(tmp_path, data):
    def run():
        torch.manual_seed(0)
        m = MLPEnergy(2, hidden=(8,)).double()
        fit(m, make_objective("dsm", sigma=0.2), data, n_steps=20, batch_size=64, seed=3,
            progress=False, checkpoint=tmp_path / "ck.pt", checkpoint_every=10)
        return m

    a, b = run(), run()
    x = torch.randn(5, 2, dtype=torch.float64)
    torch.testing.assert_close(a(x), b(x))
    torch.manual_seed(1)
    c = MLPEnergy(2, hidden=(8,)).double()
    load_checkpoint(tmp_path / "ck.pt", c)
    torch.testing.assert_close(a(x), c(x))
    nce = NoiseContrastiveEstimation()
    nce(fresh(), data[:50])                  # builds its noise from the batch
    with torch.no_grad():
        nce.log_z.fill_(1.5)
    save_checkpoint(tmp_path / "g.pt", fresh(), nce)
    again = NoiseContrastiveEstimation()
    load_checkpoint(tmp_path / "g.pt", fresh(), again)
    assert float(again.log_z.detach()) == 1.5
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable"):
        load_checkpoint(tmp_path / "bad.pt", c)
    torch.save({"model": object()}, tmp_path / "pickle.pt")   # weights_only refuses objects
    with pytest.raises(ValueError, match="not a readable"):
        load_checkpoint(tmp_path / "pickle.pt", c)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt", c)


def test_fit_bad_input(data):
    with pytest.raises(ValueError, match=r"data must have shape \(n, 2\)"):
        fit(fresh(), ScoreMatching(), np.zeros((10, 3)), n_steps=1, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        fit(fresh(), ScoreMatching(), np.full((10, 2), np.nan), n_steps=1, progress=False)
    with pytest.raises(ValueError, match="on_divergence"):
        fit(fresh(), ScoreMatching(), data, n_steps=1, progress=False, on_divergence="ignore")
    with pytest.raises(ValueError, match="objective"):
        make_objective("ml")
