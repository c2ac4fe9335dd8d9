"""Interrupt and resume: a run stopped at epoch k (or mid-epoch) and resumed equals the
uninterrupted run bit for bit (RBM CD/PCD/PT on NumPy, PCD on torch-CPU, DBM joint training)."""

import numpy as np
import pytest

from boltz.checkpoint import INTERRUPT, TrainingInterrupted, check_checkpoint_args
from boltz.rbm import BernoulliRBM
from boltz.rbm.checkpoint import read_position
from boltz.rbm.trainer import Trainer

X = (np.random.default_rng(1).random((90, 12)) < 0.3).astype(np.float32)


def _rbm(method, **kw):
    kw.setdefault("n_epochs", 4)
    return BernoulliRBM(5, method=method, batch_size=20, n_temperatures=3, momentum=0.5,
                        centering=True, seed=3, **kw)


def _interrupt_at(epoch):
    def cb(model, e, metrics):
        if e == epoch:
            raise KeyboardInterrupt
    return [cb]


def _params(m):
    return {k: v.copy() for k, v in m._param_arrays().items()}


def _same(a, b):
    pa, pb = _params(a), _params(b)
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in a.history_]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in b.history_]


@pytest.mark.parametrize("method", ["cd", "pcd", "pt"])
def test_rbm_interrupted_at_epoch_and_resumed_equals_uninterrupted(method, tmp_path):
    ref = _rbm(method).fit(X)
    path = tmp_path / "run.npz"
    with pytest.raises(TrainingInterrupted) as info:
        _rbm(method).fit(X, checkpoint=path, callbacks=_interrupt_at(2))
    assert info.value.checkpoint == path and info.value.epoch == 2
    assert read_position(path)["epoch"] == 2
    resumed = _rbm(method).fit(X, checkpoint=path, resume=True)
    _same(ref, resumed)
    assert resumed.n_iter_ == 4 and read_position(path)["epoch"] == 4
    # control: a fresh fit that only loaded the checkpoint's epoch-2 parameters differs
    other = _rbm(method, n_epochs=2).fit(X)
    assert not np.array_equal(other.W_, ref.W_)


def _stop_after_updates(monkeypatch, n):
    original = Trainer.step
    calls = {"n": 0}

    def step(self, *args, **kw):
        out = original(self, *args, **kw)
        calls["n"] += 1
        if calls["n"] == n:
            INTERRUPT.request()
        return out

    monkeypatch.setattr(Trainer, "step", step)
    return calls


@pytest.mark.parametrize("method", ["pcd", "pt"])
def test_rbm_interrupted_mid_epoch_resumes_bit_for_bit(method, tmp_path, monkeypatch):
    ref = _rbm(method).fit(X)
    path = tmp_path / "run"
    _stop_after_updates(monkeypatch, 7)  # epoch 2 (0-based 1), after its 2nd of 5 batches
    m = _rbm(method)
    with pytest.raises(TrainingInterrupted) as info:
        m.fit(X, checkpoint=path)
    assert (info.value.epoch, info.value.batch) == (1, 2)
    assert np.all(np.isfinite(m.W_)) and m.n_iter_ == 1  # consistent model after 7 updates
    monkeypatch.undo()
    pos = read_position(path)
    assert (pos["epoch"], pos["batch"], pos["n_updates"]) == (1, 2, 7)
    resumed = _rbm(method).fit(X, checkpoint=path, resume=True)
    _same(ref, resumed)


def test_checkpoint_every_and_resume_from_missing_file_starts_afresh(tmp_path):
    path = tmp_path / "run.npz"
    ref = _rbm("pcd").fit(X)
    m = _rbm("pcd").fit(X, checkpoint=path, checkpoint_every=3, resume=True)  # no file yet
    _same(ref, m)
    assert read_position(path)["epoch"] == 4


def test_resume_refuses_other_settings_or_data(tmp_path):
    path = tmp_path / "run.npz"
    with pytest.raises(TrainingInterrupted):
        _rbm("pcd").fit(X, checkpoint=path, callbacks=_interrupt_at(1))
    with pytest.raises(ValueError, match="method"):
        _rbm("cd").fit(X, checkpoint=path, resume=True)
    with pytest.raises(ValueError, match="training data"):
        _rbm("pcd").fit(1.0 - X, checkpoint=path, resume=True)
    with pytest.raises(ValueError, match="checkpoint=PATH"):
        _rbm("pcd").fit(X, resume=True)
    with pytest.raises(ValueError, match="checkpoint_every"):
        check_checkpoint_args(path, 0, False)
    # a checkpoint is not a model file
    from boltz.io import ModelFileError

    with pytest.raises(ModelFileError):
        BernoulliRBM.load(path)


def test_rbm_torch_cpu_pcd_interrupted_and_resumed(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    ref = _rbm("pcd", device="cpu-torch").fit(X)
    path = tmp_path / "run.npz"
    with pytest.raises(TrainingInterrupted):
        _rbm("pcd", device="cpu-torch").fit(X, checkpoint=path, callbacks=_interrupt_at(2))
    _same(ref, _rbm("pcd", device="cpu-torch").fit(X, checkpoint=path, resume=True))
    _stop_after_updates(monkeypatch, 12)
    with pytest.raises(TrainingInterrupted):
        _rbm("pcd", device="cpu-torch").fit(X, checkpoint=path)
    monkeypatch.undo()
    assert read_position(path)["batch"] == 2
    _same(ref, _rbm("pcd", device="cpu-torch").fit(X, checkpoint=path, resume=True))


# -- DBM joint training (NumPy) ---------------------------------------------------------------
XD = (np.random.default_rng(2).random((60, 8)) < 0.4).astype(np.float32)


def _dbm(**kw):
    from boltz.dbm import DeepBoltzmannMachine

    kw.setdefault("n_chains", 10)
    return DeepBoltzmannMachine((5, 3), n_epochs=4, pretrain_epochs=1, batch_size=20,
                                mean_field_iters=3, centering=True, seed=4, **kw)


def _stop_dbm_after(monkeypatch, n):
    from boltz.dbm.joint import JointState

    original = JointState.update
    calls = {"n": 0}

    def update(self, *args, **kw):
        out = original(self, *args, **kw)
        calls["n"] += 1
        if calls["n"] == n:
            INTERRUPT.request()
        return out

    monkeypatch.setattr(JointState, "update", update)


def _same_dbm(a, b):
    for x, y in zip(a.weights_ + a.biases_, b.weights_ + b.biases_, strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a.chains_, b.chains_, strict=True):
        np.testing.assert_array_equal(x, y)
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in a.history_]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in b.history_]


@pytest.mark.parametrize("n_updates, position", [(6, (2, 0)), (7, (2, 1))])
@pytest.mark.parametrize("init", ["bottom_up", "persistent"])
def test_dbm_interrupted_and_resumed_equals_uninterrupted(n_updates, position, init, tmp_path,
                                                          monkeypatch):
    from boltz.dbm.checkpoint import read_position

    ref = _dbm(mean_field_init=init).fit(XD)
    path = tmp_path / "dbm.npz"
    _stop_dbm_after(monkeypatch, n_updates)  # 3 updates per epoch
    m = _dbm(mean_field_init=init)
    with pytest.raises(TrainingInterrupted) as info:
        m.fit(XD, checkpoint=path)
    monkeypatch.undo()
    assert (info.value.epoch, info.value.batch) == position
    assert len(m.history_) == 2 and all(np.all(np.isfinite(w)) for w in m.weights_)
    pos = read_position(path)
    assert (pos["epoch"], pos["batch"], pos["step"]) == (*position, n_updates)
    resumed = _dbm(mean_field_init=init).fit(XD, checkpoint=path, resume=True)
    _same_dbm(ref, resumed)
    assert read_position(path)["epoch"] == 4
    with pytest.raises(ValueError, match="n_chains"):
        _dbm(mean_field_init=init, n_chains=12).fit(XD, checkpoint=path, resume=True)


def test_dbm_torch_cpu_interrupted_mid_epoch_and_resumed(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    ref = _dbm(device="cpu-torch").fit(XD)
    path = tmp_path / "dbm.npz"
    _stop_dbm_after(monkeypatch, 7)
    with pytest.raises(TrainingInterrupted):
        _dbm(device="cpu-torch").fit(XD, checkpoint=path)
    monkeypatch.undo()
    _same_dbm(ref, _dbm(device="cpu-torch").fit(XD, checkpoint=path, resume=True))


def test_partial_fit_still_one_epoch_per_call():
    m = _rbm("pcd")
    for i in range(1, 4):
        m.partial_fit(X)
        assert m.n_iter_ == i and len(m.history_) == i
