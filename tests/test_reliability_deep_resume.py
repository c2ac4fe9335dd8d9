"""Deep-EBM ``fit``: a run stopped by Ctrl-C and resumed equals the uninterrupted run bit for bit.

Ctrl-C is a real ``SIGINT`` sent from inside the data function at update ``k``;
``fit`` finishes that update, writes the checkpoint and raises
``TrainingInterrupted``. The resumed run is made afresh (new model, objective and
generator) after the global torch RNG has been moved on, so any use of the
global RNG, or any state the checkpoint misses, would show as a difference.
"""

import os
import signal

import pytest

torch = pytest.importorskip("torch")

from boltz.checkpoint import TrainingInterrupted  # noqa: E402
from boltz.deep import MLPEnergy, fit  # noqa: E402
from boltz.deep.checkpoint import read_position  # noqa: E402
from boltz.deep.objectives import (  # noqa: E402
    ContrastiveDivergence,
    NoiseContrastiveEstimation,
)

DATA = torch.randn(200, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float32) + 1.0


def _model():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return MLPEnergy(2, hidden=(16,))


class _StoppingCD(ContrastiveDivergence):
    """PCD that sends itself Ctrl-C during update ``stop_at`` (``None``: never)."""

    def __init__(self, stop_at=None):
        super().__init__(persistent=True, n_steps=3, step_size=0.05, buffer_size=64)
        self.stop_at, self.calls = stop_at, 0

    def forward(self, model, x, generator=None):
        self.calls += 1
        if self.calls == self.stop_at:
            os.kill(os.getpid(), signal.SIGINT)
        return super().forward(model, x, generator)


def _objective(kind, stop_at=None):
    if kind == "pcd":
        return _StoppingCD(stop_at)
    return NoiseContrastiveEstimation()


def _sampler(stop_at=None):
    calls = [0]

    def draw(n, gen):
        calls[0] += 1
        if calls[0] == stop_at:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C during update stop_at
        idx = torch.randint(0, DATA.shape[0], (n,), generator=gen)
        return DATA[idx]
    return draw


def _fit(model, obj, data, **kw):
    kw = dict(n_steps=12, batch_size=32, lr=0.01, seed=0, progress=False,
              lr_schedule="cosine") | kw
    return fit(model, obj, data, **kw)


def _assert_same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        if isinstance(sa[k], torch.Tensor):
            assert torch.equal(sa[k], sb[k]), k


def _interrupt_at(path, kind, k):
    """Run until Ctrl-C at update ``k``: through the objective (pcd, tensor data) or the
    data function (nce)."""
    model = _model()
    obj = _objective(kind, stop_at=k if kind == "pcd" else None)
    data = DATA if kind == "pcd" else _sampler(stop_at=k)
    with pytest.raises(TrainingInterrupted) as info:
        _fit(model, obj, data, checkpoint=path, checkpoint_every=2)
    return info.value


@pytest.mark.parametrize("kind", ["pcd", "nce"])
def test_interrupted_and_resumed_fit_is_bit_identical(tmp_path, kind):
    path = tmp_path / "run.pt"
    ref_model, ref_obj = _model(), _objective(kind)
    ref = _fit(ref_model, ref_obj, DATA if kind == "pcd" else _sampler())

    exc = _interrupt_at(path, kind, 5)
    assert exc.updates == 5 and exc.checkpoint == path and len(exc.result.losses) == 5
    assert read_position(path)["step"] == 5
    torch.manual_seed(12345)  # the global RNG moves on; the fit must not use it
    model, obj = _model(), _objective(kind)
    res = _fit(model, obj, DATA if kind == "pcd" else _sampler(), checkpoint=path, resume=True)
    assert res.n_steps == 12 and res.losses == ref.losses
    _assert_same(ref_model, model)
    _assert_same(ref_obj, obj)  # the replay buffer (pcd) and the learned log Z (nce)
    if kind == "pcd":
        assert torch.equal(ref_obj.buffer.states, obj.buffer.states)
    else:
        _assert_same(ref_obj.noise, obj.noise)
    assert torch.load(path, weights_only=True)["step"] == 12


def test_resume_control_other_generator_state_differs(tmp_path):
    """Control: the same checkpoint with another generator state resumes to other bits."""
    path = tmp_path / "run.pt"
    ref_model = _model()
    _fit(ref_model, _objective("pcd"), DATA)
    _interrupt_at(path, "pcd", 5)
    state = torch.load(path, weights_only=True)
    state["run"]["generators"]["main"] = torch.Generator().manual_seed(1).get_state()
    torch.save(state, path)
    model = _model()
    _fit(model, _objective("pcd"), DATA, checkpoint=path, resume=True)
    assert not torch.equal(model.state_dict()["net.0.weight"],
                           ref_model.state_dict()["net.0.weight"])


def test_resume_with_other_settings_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    _fit(_model(), _objective("pcd"), DATA, n_steps=3, checkpoint=path)
    with pytest.raises(ValueError, match="another lr"):
        _fit(_model(), _objective("pcd"), DATA, n_steps=3, checkpoint=path, resume=True,
             lr=0.02)
    with pytest.raises(ValueError, match="training data"):
        _fit(_model(), _objective("pcd"), DATA + 1, n_steps=3, checkpoint=path, resume=True)


@pytest.mark.parametrize("kw, match", [
    ({"resume": True}, "resume=True needs checkpoint"),
    ({"checkpoint": 3}, "checkpoint must be a path"),
    ({"checkpoint": "c.pt", "checkpoint_every": 0}, "checkpoint_every"),
    ({"max_seconds": -1.0}, "max_seconds"),
])
def test_checkpoint_arguments_are_checked(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _fit(_model(), _objective("nce"), DATA, n_steps=2, **kw)


def test_save_checkpoint_file_is_not_resumable(tmp_path):
    from boltz.deep.training import save_checkpoint

    path = save_checkpoint(tmp_path / "w.pt", _model())
    with pytest.raises(ValueError, match="no resumable fit run"):
        _fit(_model(), _objective("nce"), DATA, n_steps=2, checkpoint=path, resume=True)
