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
