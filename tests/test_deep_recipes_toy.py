"""The 2D toy recipes: objective names, settings tables, multi-level DSM."""

import math

import pytest

torch = pytest.importorskip("torch")

from boltz.cli.ebm import OBJECTIVES as CLI_OBJECTIVES  # noqa: E402
from boltz.deep.metrics import grid_kl  # noqa: E402
from boltz.deep.networks import NoiseConditionalMLPEnergy  # noqa: E402
from boltz.deep.recipes import (  # noqa: E402
    DSM_MULTI_SIGMAS,
    TOY_OBJECTIVE_SETTINGS,
    TOY_OBJECTIVES,
    TOY_TRAINING,
    toy_objective,
    train_toy,
)
from boltz.deep.toy import make_toy  # noqa: E402


def test_every_toy_objective_has_settings_and_a_training_length_and_a_cli_choice():
    assert "dsm_multi" in TOY_OBJECTIVES
    assert set(TOY_OBJECTIVE_SETTINGS) == set(TOY_OBJECTIVES) == set(TOY_TRAINING)
    assert tuple(CLI_OBJECTIVES) == TOY_OBJECTIVES


def test_dsm_multi_is_dsm_at_several_levels_ending_at_the_single_level_sigma():
    obj = toy_objective("dsm_multi")
    assert type(obj).__name__ == "DenoisingScoreMatching"
    assert obj.sigmas == DSM_MULTI_SIGMAS and len(obj.sigmas) > 1
    assert min(obj.sigmas) == TOY_OBJECTIVE_SETTINGS["dsm"]["sigma"]
    assert max(obj.sigmas) == DSM_MULTI_SIGMAS[0]


def test_unknown_toy_objective_is_refused_by_name():
    with pytest.raises(ValueError, match="objective"):
        toy_objective("dsm_many")
    with pytest.raises(ValueError, match="objective"):
        train_toy("two_moons", "dsm_many", n_steps=1, progress=False)


def test_dsm_multi_trains_a_noise_conditional_model_scored_at_its_smallest_level():
    toy = make_toy("two_moons")
    model, res = train_toy("two_moons", "dsm_multi", n_steps=4, batch_size=32, seed=0,
                           progress=False, hidden=(16,))
    assert isinstance(model, NoiseConditionalMLPEnergy)
    assert res.n_steps == 4 and not res.diverged and all(map(math.isfinite, res.losses))
    x = torch.randn(5, 2)
    torch.testing.assert_close(model(x), model.energy_at(x, min(DSM_MULTI_SIGMAS)))
    # control: the largest level is another energy, so forward really picks the smallest
    assert not torch.allclose(model(x), model.energy_at(x, max(DSM_MULTI_SIGMAS)))
    kl = grid_kl(toy.log_density, model, toy.bounds, n=24)
    assert math.isfinite(kl) and kl > 0.0


def _negative_variance(metropolis, step_size, seed=0):
    from boltz.deep.energies import GaussianEnergy
    from boltz.deep.objectives import ContrastiveDivergence

    g = GaussianEnergy(torch.zeros(1), torch.eye(1))     # N(0, 1)
    x = torch.randn(4000, 1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    cd = ContrastiveDivergence(n_steps=10, step_size=step_size, metropolis=metropolis)
    xn = cd.negatives(g, x, torch.Generator().manual_seed(seed + 1))
    return float(xn.var())


def test_metropolis_cd_chains_keep_the_model_invariant_at_a_large_step():
    # chains started at exact N(0, 1) samples; unadjusted Langevin at step h tends to
    # variance 1 / (1 - h / 2) = 1.67 at h = 0.8, MALA keeps 1 (sd of the estimate ~0.03)
    assert abs(_negative_variance(True, 0.8) - 1.0) < 0.1
    assert _negative_variance(False, 0.8) > 1.3                # control: the biased chains


def test_metropolis_cd_boundaries():
    from boltz.deep.objectives import ContrastiveDivergence

    for bad in ({"noise_scale": 0.5}, {"clamp": (-1.0, 1.0)}, {"grad_clamp": 1.0}):
        with pytest.raises(ValueError, match="metropolis"):
            ContrastiveDivergence(metropolis=True, **bad)
    with pytest.raises(TypeError, match="metropolis"):
        ContrastiveDivergence(metropolis="yes")
    assert ContrastiveDivergence(metropolis=True, persistent=True).metropolis


def test_replay_buffer_restarts_from_given_states_and_checks_their_shape():
    from boltz.deep.buffers import ReplayBuffer

    buf = ReplayBuffer(50, (2,), low=-1.0, high=1.0, reinit_prob=1.0, seed=0)
    data = torch.full((8, 2), 7.0)                           # outside the noise box
    _, x = buf.draw(8, restarts=data)
    torch.testing.assert_close(x, data)
    _, x = buf.draw(8)                                       # control: noise restarts
    assert bool((x.abs() <= 1.0).all())
    with pytest.raises(ValueError, match="restarts"):
        buf.draw(8, restarts=torch.zeros(7, 2))


def test_pcd_restarts_from_data_start_chains_at_the_batch():
    from boltz.deep.energies import GaussianEnergy
    from boltz.deep.objectives import ContrastiveDivergence

    g = GaussianEnergy(torch.zeros(2), torch.eye(2))
    x = torch.full((16, 2), 3.0, dtype=torch.float64)       # far outside the noise box
    kw = dict(n_steps=1, step_size=1e-6, persistent=True, buffer_size=32, reinit_prob=1.0,
              init_range=(-1.0, 1.0))
    near = ContrastiveDivergence(reinit_from="data", **kw).negatives(
        g, x, torch.Generator().manual_seed(0))
    assert bool(((near - 3.0).abs() < 0.01).all())
    far = ContrastiveDivergence(**kw).negatives(g, x, torch.Generator().manual_seed(0))
    assert bool((far.abs() < 1.01).all())                   # control: the default, noise
    with pytest.raises(ValueError, match="reinit_from"):
        ContrastiveDivergence(reinit_from="buffer")
