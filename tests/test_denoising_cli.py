"""PNG input/output, Otsu binarization and the ``boltz denoise`` command."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from boltz.cli import main
from boltz.datasets import binary_image
from boltz.denoising import (
    add_flip_noise,
    binarize,
    otsu_threshold,
    read_binary_image,
    write_binary_image,
)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def noisy_png(tmp_path):
    clean = binary_image("shapes", 64)
    path = tmp_path / "noisy.png"
    write_binary_image(path, add_flip_noise(clean, 0.1, seed=0))
    return path


def test_round_trip(tmp_path, rng):
    img = rng.choice([-1, 1], size=(7, 9)).astype(np.int8)
    write_binary_image(tmp_path / "a.png", img)
    np.testing.assert_array_equal(read_binary_image(tmp_path / "a.png"), img)
    with pytest.raises(FileExistsError):
        write_binary_image(tmp_path / "a.png", img, overwrite=False)


def test_otsu_binarizes_noisy_grey_image(tmp_path, rng):
    truth = binary_image("shapes", 64)
    grey = np.where(truth > 0, 0.7, 0.25) + rng.normal(0, 0.05, truth.shape)
    assert 0.3 < otsu_threshold(grey) < 0.65
    np.testing.assert_array_equal(binarize(grey), truth)
    png = np.clip(grey * 255, 0, 255).astype(np.uint8)
    Image.fromarray(png).convert("RGB").save(tmp_path / "grey.png")  # colour file too
    np.testing.assert_array_equal(read_binary_image(tmp_path / "grey.png"), truth)


def test_bad_image_inputs(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not a PNG")
    with pytest.raises(ValueError, match="not an image"):
        read_binary_image(text)
    with pytest.raises(FileNotFoundError):
        read_binary_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="empty"):
        binarize(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="finite|NaN"):
        binarize(np.array([[0.0, np.nan], [1.0, 0.5]]))
    nan_tiff = tmp_path / "nan.tif"
    Image.fromarray(np.array([[0.0, np.nan], [1.0, 0.5]], dtype=np.float32)).save(nan_tiff)
    with pytest.raises(ValueError, match="NaN"):
        read_binary_image(nan_tiff)
    with pytest.raises(ValueError, match="values in"):
        write_binary_image(tmp_path / "b.png", np.array([[0, 1], [1, 0]]))


def test_cli_denoises_and_never_touches_the_input(noisy_png, tmp_path, capsys):
    before = _digest(noisy_png)
    out = tmp_path / "clean.png"
    assert main(["denoise", str(noisy_png), "-o", str(out), "--noise", "0.1",
                 "--beta", "1.0"]) == 0
    assert _digest(noisy_png) == before
    restored = read_binary_image(out)
    clean = binary_image("shapes", 64)
    assert np.mean(restored != clean) < 0.03
    assert "energy" in capsys.readouterr().out
    # estimated parameters, other methods
    for method in ["icm", "anneal", "mpm"]:
        assert main(["denoise", str(noisy_png), "-o", str(out), "--method", method,
                     "--overwrite", "--neighbourhood", "8"]) == 0
    assert _digest(noisy_png) == before


def test_cli_refuses_to_overwrite(noisy_png, tmp_path, capsys):
    before = _digest(noisy_png)
    assert main(["denoise", str(noisy_png), "-o", str(noisy_png)]) == 2
    assert "input file" in capsys.readouterr().err
    assert _digest(noisy_png) == before
    other = tmp_path / "exists.png"
    other.write_bytes(b"keep me")
    assert main(["denoise", str(noisy_png), "-o", str(other)]) == 2
    assert other.read_bytes() == b"keep me"
    # not even with --overwrite: an input file is never replaced
    assert main(["denoise", str(noisy_png), "-o", str(noisy_png), "--overwrite",
                 "--noise", "0.1", "--beta", "1.0"]) == 2
    assert _digest(noisy_png) == before


@pytest.mark.parametrize("args, message", [
    (["--noise", "-0.1"], "noise"),
    (["--noise", "0.5"], "noise"),
    (["--beta", "-1"], "beta"),
])
def test_cli_bad_parameters(noisy_png, tmp_path, capsys, args, message):
    assert main(["denoise", str(noisy_png), "-o", str(tmp_path / "o.png"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()


def test_cli_bad_files(tmp_path, capsys):
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    assert main(["denoise", str(text), "-o", str(tmp_path / "o.png")]) == 2
    assert "not an image" in capsys.readouterr().err
    assert main(["denoise", str(tmp_path / "nope.png"), "-o", str(tmp_path / "o.png")]) == 2
    assert main(["denoise", str(text)]) == 2          # no -o
    assert "--output" in capsys.readouterr().err


def test_cli_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["denoise", "--demo", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "map" in printed and "error" in printed
    assert (out / "denoise_demo.png").stat().st_size > 1000
    assert read_binary_image(out / "restored_map.png").shape == (256, 256)
