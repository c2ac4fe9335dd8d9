"""PyTorch conventions of boltz.deep: state in state_dict, resumable checkpoints, no global RNG."""

import pytest

torch = pytest.importorskip("torch")

from boltz.deep import ContrastiveDivergence, MLPEnergy, ReplayBuffer, fit  # noqa: E402
from boltz.deep.recipes import train_toy  # noqa: E402
from boltz.deep.training import load_checkpoint, save_checkpoint  # noqa: E402


def test_replay_buffer_state_dict_resumes_the_same_draws():
    buf = ReplayBuffer(50, (2,), low=-2.0, high=3.0, reinit_prob=0.5, seed=0)
    idx, x = buf.draw(8)
    buf.update(idx, x + 1.0)
    state = buf.state_dict()
    assert set(state) == {"states", "_extra_state"}
    fresh = ReplayBuffer(50, (2,), seed=123)                 # other box, other seed
    fresh.load_state_dict(state)
    assert (fresh.low, fresh.high, fresh.reinit_prob) == (-2.0, 3.0, 0.5)
    a, b = buf.draw(20), fresh.draw(20)
    torch.testing.assert_close(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])
    # control: without the loaded state the draws differ
    assert not torch.equal(ReplayBuffer(50, (2,), seed=123).draw(20)[1], a[1])


def test_persistent_chains_are_in_the_objectives_state_dict_and_load_into_a_fresh_one():
    model = MLPEnergy(2, hidden=(8,))
    pcd = ContrastiveDivergence(n_steps=2, persistent=True, buffer_size=64)
    assert "buffer.states" not in pcd.state_dict()           # created at the first batch
    fit(model, pcd, torch.randn(100, 2), n_steps=3, batch_size=16, seed=0, progress=False)
    state = pcd.state_dict()
    assert state["buffer.states"].shape == (64, 2)
    fresh = ContrastiveDivergence(n_steps=2, persistent=True, buffer_size=64)
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh.buffer.states, pcd.buffer.states)
    torch.testing.assert_close(fresh.buffer.draw(5)[1], pcd.buffer.draw(5)[1])


def test_fit_checkpoint_carries_optimizer_scheduler_and_buffer(tmp_path):
    path = tmp_path / "ckpt.pt"
    model = MLPEnergy(2, hidden=(8,))
    pcd = ContrastiveDivergence(n_steps=2, persistent=True, buffer_size=32)
    fit(model, pcd, torch.randn(100, 2), n_steps=4, batch_size=16, seed=0, progress=False,
        checkpoint=path, lr_schedule="cosine")
    state = torch.load(path, weights_only=True)
    assert {"model", "objective", "optimizer", "scheduler", "step"} <= set(state)
    assert state["step"] == 4 and state["scheduler"]["last_epoch"] == 4
    m2 = MLPEnergy(2, hidden=(8,))
    opt = torch.optim.Adam(m2.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    obj2 = ContrastiveDivergence(n_steps=2, persistent=True, buffer_size=32)
    load_checkpoint(path, m2, obj2, optimizer=opt, scheduler=sched)
    assert sched.last_epoch == 4
    steps = [s["step"] for s in opt.state_dict()["state"].values()]
    assert steps and all(float(s) == 4.0 for s in steps)        # Adam's moments came back
    torch.testing.assert_close(obj2.buffer.states, pcd.buffer.states)
    for p, q in zip(model.parameters(), m2.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_save_checkpoint_without_optimizer_stays_minimal(tmp_path):
    model = MLPEnergy(2, hidden=(4,))
    p = save_checkpoint(tmp_path / "m.pt", model)
    assert set(torch.load(p, weights_only=True)) == {"model"}


def test_recipes_leave_torchs_global_generator_alone():
    before = torch.get_rng_state()
    m1, _ = train_toy("eight_gaussians", "nce", n_steps=3, seed=5, progress=False,
                      hidden=(8,))
    assert torch.equal(torch.get_rng_state(), before)
    m2, _ = train_toy("eight_gaussians", "nce", n_steps=3, seed=5, progress=False,
                      hidden=(8,))
    for p, q in zip(m1.parameters(), m2.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    torch.rand(1)                                            # control: a global draw is seen
    assert not torch.equal(torch.get_rng_state(), before)
