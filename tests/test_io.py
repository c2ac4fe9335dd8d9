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
