import gzip
import shutil

import numpy as np
import pytest

from boltz.datasets import DataFileError, binarize, binary_image, load_mnist, read_idx


def test_mnist_shapes_and_labels(mnist_available):
    x, y = load_mnist("train")
    assert x.shape == (60000, 784) and x.dtype == np.float32
    assert y.shape == (60000,) and set(np.unique(y)) == set(range(10))
    assert 0.0 <= x.min() and x.max() == 1.0
    xt, yt = load_mnist("test", flatten=False)
    assert xt.shape == (10000, 28, 28) and yt.shape == (10000,)


def test_binarization_is_reproducible(mnist_available):
    a, _ = load_mnist("test", binarize="stochastic", seed=7)
    b, _ = load_mnist("test", binarize="stochastic", seed=7)
    c, _ = load_mnist("test", binarize="stochastic", seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set(np.unique(a)) == {0.0, 1.0}
    raw, _ = load_mnist("test")
    # the stochastic draw has the intensities as its mean (s.e. over 7.8M pixels)
    assert abs(a.mean() - raw.mean()) < 5 * np.sqrt(0.25 / a.size)
    t, _ = load_mnist("test", binarize="threshold")
    np.testing.assert_array_equal(t, (raw > 0.5).astype(np.float32))


def _copy_mnist(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    from boltz.datasets import find_mnist_dir

    src = find_mnist_dir()
    dst = tmp_path / "mnist"
    dst.mkdir()
    for f in (src / "mnist").glob("*.gz") if (src / "mnist").is_dir() else src.glob("*.gz"):
        shutil.copy(f, dst / f.name)
    return tmp_path


def test_truncated_file_is_rejected(mnist_available, tmp_path):
    d = _copy_mnist(tmp_path)
    path = d / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(DataFileError, match="t10k-labels-idx1-ubyte"):
        load_mnist("test", data_dir=d, download=False)
    with pytest.raises(DataFileError, match="truncated"):
        read_idx(path)


def test_garbage_file_is_rejected(mnist_available, tmp_path):
    d = _copy_mnist(tmp_path)
    (d / "mnist" / "t10k-images-idx3-ubyte.gz").write_bytes(b"not a gzip file at all")
    with pytest.raises(DataFileError, match="t10k-images-idx3-ubyte"):
        load_mnist("test", data_dir=d, download=False)


def test_modified_byte_fails_md5(mnist_available, tmp_path):
    d = _copy_mnist(tmp_path)
    path = d / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[100] = (raw[100] + 1) % 10
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataFileError, match="MD5"):
        load_mnist("test", data_dir=d, download=False)


def test_missing_files_without_download(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZ_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError):
        load_mnist("test", download=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation", download=False)
    with pytest.raises(ValueError, match="binarize"):
        load_mnist("test", binarize="otsu", download=False)
    with pytest.raises(ValueError, match="intensities"):
        binarize(np.array([1.5]))


def test_binary_images():
    for name in ("shapes", "rings", "letters", "checker"):
        img = binary_image(name, size=64)
        assert img.shape == (64, 64)
        assert set(np.unique(img)) == {-1, 1}
    assert set(np.unique(binary_image("shapes", 32, values=(0, 1)))) == {0, 1}
    with pytest.raises(ValueError, match="name"):
        binary_image("cat")
    with pytest.raises(ValueError, match="size"):
        binary_image("shapes", size=4)


def test_download_path_verifies_md5(mnist_available, tmp_path, monkeypatch):
    """The download code path, served from a local file:// mirror (no network)."""
    import boltz.datasets as ds

    src = _copy_mnist(tmp_path / "src") / "mnist"
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in src.glob("*.gz"):
        (broken / f.name).write_bytes(gzip.compress(b"\x00" * 100))
    monkeypatch.setattr(ds, "MNIST_MIRRORS", (broken.as_uri() + "/", src.as_uri() + "/"))
    monkeypatch.setenv("BOLTZ_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    x, y = load_mnist("test", download=True)
    assert x.shape == (10000, 784)
    assert sorted(p.name for p in (tmp_path / "cache" / "boltz").iterdir()) == sorted(
        p.name for p in src.glob("*.gz"))
    # every mirror wrong: a clear error listing each attempt
    monkeypatch.setattr(ds, "MNIST_MIRRORS", (broken.as_uri() + "/",))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache2"))
    with pytest.raises(DataFileError, match="MD5"):
        load_mnist("test", download=True)


def test_failed_lookup_names_every_place_and_how_to_set_it(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLTZ_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist("test", data_dir=tmp_path / "arg", download=False)
    msg = str(info.value)
    for place in ("arg", "env", "cache"):
        assert str(tmp_path / place) in msg
    for how in ("data_dir", "BOLTZ_DATA", "cache"):
        assert how in msg
    monkeypatch.delenv("BOLTZ_DATA")
    with pytest.raises(FileNotFoundError, match="BOLTZ_DATA environment variable: not set"):
        load_mnist("test", download=False)


def test_lookup_falls_through_data_dir_to_boltz_data(mnist_available, tmp_path, monkeypatch):
    """An explicit data_dir without the files does not hide BOLTZ_DATA (the documented order)."""
    from boltz.datasets import find_mnist_dir, mnist_search_dirs

    env = find_mnist_dir()
    assert find_mnist_dir(tmp_path) == env
    assert [o for o, _ in mnist_search_dirs(tmp_path)][:2] == ["data_dir", "BOLTZ_DATA"]
    x, _ = load_mnist("test", data_dir=tmp_path, download=False)
    assert x.shape == (10000, 784)


def test_failed_download_names_the_lookup(tmp_path, monkeypatch):
    import boltz.datasets as ds

    monkeypatch.setattr(ds, "MNIST_MIRRORS", ((tmp_path / "no-mirror").as_uri() + "/",))
    monkeypatch.setenv("BOLTZ_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataFileError, match="BOLTZ_DATA") as info:
        load_mnist("test", download=True)
    assert "could not download" in str(info.value)
