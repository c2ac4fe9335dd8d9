import numpy as np
import pytest

from boltz.io import ModelFileError, load_model, save_model


def test_round_trip(tmp_path):
    W = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    p = save_model(tmp_path / "m", "Thing", {"W": W}, {"n": np.int64(3), "lr": 0.5})
    assert p.suffix == ".npz"
    arrays, meta = load_model(p, "Thing")
    np.testing.assert_array_equal(arrays["W"], W)
    assert arrays["W"].dtype == np.float32
    assert meta["params"] == {"n": 3, "lr": 0.5}


def test_wrong_kind_and_corruption(tmp_path):
    p = save_model(tmp_path / "m.npz", "Thing", {"W": np.ones(2)})
    with pytest.raises(ModelFileError, match="holds a Thing model"):
        load_model(p, "Other")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(p.read_bytes()[:50])
    with pytest.raises(ModelFileError, match="bad.npz"):
        load_model(bad, "Thing")
    plain = tmp_path / "plain.npz"
    np.savez(plain, W=np.ones(2))
    with pytest.raises(ModelFileError, match="not a boltz model"):
        load_model(plain, "Thing")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz", "Thing")


def test_object_arrays_refused(tmp_path):
    with pytest.raises(TypeError, match="object"):
        save_model(tmp_path / "m", "Thing", {"W": np.array([{"a": 1}], dtype=object)})


def test_plain_npy_and_other_files_named_with_what_was_expected(tmp_path):
    np.save(tmp_path / "plain.npy", np.zeros((3, 4)))
    with pytest.raises(ModelFileError, match=r"plain\.npy: is a plain \.npy array of shape "
                                             r"\(3, 4\), not a boltz model file"):
        load_model(tmp_path / "plain.npy", "Thing")
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="notes.npz: cannot be read as a boltz model file"):
        load_model(text, "Thing")


def test_arrays_must_match_the_metadata_table(tmp_path):
    import json

    p = save_model(tmp_path / "m.npz", "Thing", {"W": np.ones((2, 3), np.float32)})
    data = dict(np.load(p))
    data["W"] = np.ones((2, 5), np.float32)  # arrays edited behind the metadata's back
    np.savez(tmp_path / "edited.npz", **data)
    with pytest.raises(ModelFileError, match=r"edited\.npz: array 'W' is float32 \(2, 5\)"):
        load_model(tmp_path / "edited.npz", "Thing")
    meta = json.loads(bytes(data.pop("__boltz__")).decode())
    data = {"__boltz__": np.frombuffer(json.dumps(meta).encode(), np.uint8)}  # W dropped
    np.savez(tmp_path / "short.npz", **data)
    with pytest.raises(ModelFileError, match=r"short\.npz: arrays do not match the metadata"):
        load_model(tmp_path / "short.npz", "Thing")


def _tamper(path, out, edit):
    import json

    data = dict(np.load(path))
    meta = json.loads(bytes(data["__boltz__"]).decode())
    edit(meta)
    data["__boltz__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(out, **data)
    return out


def test_rbm_and_dbm_metadata_must_agree_with_their_arrays(tmp_path):
    from boltz.dbm import DeepBoltzmannMachine
    from boltz.rbm import BernoulliRBM, load_rbm

    rbm = BernoulliRBM.from_params(np.zeros((4, 3)), np.zeros(4), np.zeros(3))
    good = rbm.save(tmp_path / "rbm.npz")
    assert load_rbm(good).n_hidden == 3
    bad = _tamper(good, tmp_path / "rbm_bad.npz", lambda m: m["params"].update(n_hidden=7))
    with pytest.raises(ModelFileError, match=r"rbm_bad\.npz: metadata params\.n_hidden = 7 "
                                             r"disagrees with the arrays \(3\)"):
        load_rbm(bad)
    dbm = DeepBoltzmannMachine.from_parameters([np.zeros((3, 2)), np.zeros((2, 2))])
    good = dbm.save(tmp_path / "dbm.npz")
    assert DeepBoltzmannMachine.load(good).layer_sizes_ == (3, 2, 2)
    bad = _tamper(good, tmp_path / "dbm_bad.npz",
                  lambda m: m["params"].update(n_hidden=[2, 5]))
    with pytest.raises(ModelFileError, match=r"dbm_bad\.npz: metadata params\.n_hidden"):
        DeepBoltzmannMachine.load(bad)

    def fewer_layers(meta):
        meta["extra"]["n_layers"] = 2
        meta["params"]["n_hidden"] = [2]
        meta.pop("arrays")  # as a file written before the array table
    bad = _tamper(good, tmp_path / "dbm_layers.npz", fewer_layers)
    with pytest.raises(ModelFileError, match=r"dbm_layers\.npz: .*n_layers = 2"):
        DeepBoltzmannMachine.load(bad)


def test_non_finite_metadata_is_strict_json_and_round_trips(tmp_path):
    import json

    p = save_model(tmp_path / "m.npz", "Thing", {"W": np.ones(2)},
                   extra={"history": [{"loss": float("nan"), "gap": float("-inf")}]})
    text = bytes(np.load(p)["__boltz__"]).decode()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON token {c}"))
    _, meta = load_model(p, "Thing")
    loss, gap = meta["extra"]["history"][0]["loss"], meta["extra"]["history"][0]["gap"]
    assert np.isnan(loss) and gap == -np.inf


def test_saves_are_fsynced_and_leave_no_temporary_file_on_failure(tmp_path, monkeypatch):
    import os

    import boltz.io as bio

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(bio.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    save_model(tmp_path / "ok.npz", "Thing", {"W": np.ones(2)})
    assert synced  # the data were flushed before the rename
    old = (tmp_path / "ok.npz").read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(bio.np, "savez", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_model(tmp_path / "ok.npz", "Thing", {"W": np.zeros(2)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.npz"]  # no *.tmp left
    assert (tmp_path / "ok.npz").read_bytes() == old  # the old file is intact
    # control: the failure really happened inside the write
    monkeypatch.undo()
    save_model(tmp_path / "ok.npz", "Thing", {"W": np.zeros(2)})
    assert (tmp_path / "ok.npz").read_bytes() != old
