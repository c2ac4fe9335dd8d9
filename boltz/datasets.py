"""Data: MNIST from the canonical IDX files, and small procedural binary images.

MNIST lookup order: an explicit ``data_dir``, then the ``BOLTZ_DATA``
environment variable, then ``~/.cache/boltz``; if the files are in none of
them, they are downloaded into the cache (with a progress bar) and their MD5s
checked. In each directory the files are looked for directly and in an
``mnist/`` subdirectory, gzipped (``*.gz``) or not.

Binarization: ``"stochastic"`` draws each pixel from a Bernoulli with the
intensity as its probability, with a fixed seed (the convention of
Salakhutdinov & Murray 2008 behind published RBM/DBM log-likelihoods);
``"threshold"`` keeps pixels with intensity > 0.5.

Example
-------
>>> from boltz.datasets import binary_image
>>> img = binary_image("shapes", size=64)
>>> img.shape, sorted(set(img.ravel().tolist()))
((64, 64), [-1, 1])
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from ._validation import check_choice, check_nonnegative_int, check_positive_int

__all__ = [
    "load_mnist",
    "find_mnist_dir",
    "binarize",
    "draw_binary",
    "read_idx",
    "binary_image",
    "BINARY_IMAGES",
    "DataFileError",
]

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: MD5 of each decompressed canonical file.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataFileError(ValueError):
    """A data file is missing, truncated, corrupted or not what it claims to be."""


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "boltz"


def _candidates(directory: Path, stem: str):
    for sub in (directory, directory / "mnist"):
        yield sub / (stem + ".gz")
        yield sub / stem


def _find_file(directory: Path, stem: str) -> Path | None:
    return next((p for p in _candidates(directory, stem) if p.is_file()), None)


def find_mnist_dir(data_dir=None) -> Path | None:
    """The first directory in the lookup order that holds all four MNIST files."""
    dirs = []
    if data_dir is not None:
        dirs.append(Path(data_dir))
    elif os.environ.get("BOLTZ_DATA"):
        dirs.append(Path(os.environ["BOLTZ_DATA"]))
    dirs.append(_cache_dir())
    stems = [s for pair in MNIST_FILES.values() for s in pair]
    for d in dirs:
        if all(_find_file(d, s) is not None for s in stems):
            return d
    return None


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"{path}: cannot be read as {'gzip' if path.suffix == '.gz' else 'IDX'}"
                            f" data ({exc}); delete it and load again") from None


def read_idx(path, expected_md5: str | None = None) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into an array, checking its header and size.

    Raises :class:`DataFileError` naming the file when the data are truncated,
    padded, have a bad magic number, or (with ``expected_md5``) a wrong checksum.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if expected_md5 is not None:
        got = hashlib.md5(raw).hexdigest()
        if got != expected_md5:
            raise DataFileError(
                f"{path}: MD5 of the decompressed data is {got}, expected {expected_md5}; "
                "the file is corrupted or not the canonical MNIST file"
            )
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataFileError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataFileError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataFileError(
            f"{path}: header announces {dims} ({expected} bytes of data) but the file holds "
            f"{len(raw) - header}; it is truncated or corrupted"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def _fetch(url: str, dest_dir: Path, desc: str) -> Path:
    """Stream ``url`` into a temporary file in ``dest_dir`` with a progress bar."""
    from tqdm.auto import tqdm

    with urllib.request.urlopen(url, timeout=60) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or None
        with tempfile.NamedTemporaryFile(dir=dest_dir, delete=False) as tmp, tqdm(
            total=total, unit="B", unit_scale=True, desc=desc
        ) as bar:
            try:
                while chunk := resp.read(1 << 16):
                    tmp.write(chunk)
                    bar.update(len(chunk))
            except BaseException:
                tmp.close()
                os.unlink(tmp.name)
                raise
    return Path(tmp.name)


def _download(stem: str, dest_dir: Path) -> Path:
    """Download ``stem.gz`` from the first mirror that serves it with the right MD5."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / (stem + ".gz")
    errors = []
    for mirror in MNIST_MIRRORS:
        url = mirror + stem + ".gz"
        try:
            tmp = _fetch(url, dest_dir, stem)
        except (OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        try:
            raw = gzip.decompress(tmp.read_bytes())
            if hashlib.md5(raw).hexdigest() != MNIST_MD5[stem]:
                raise DataFileError("MD5 of the decompressed download does not match")
        except (OSError, EOFError, zlib.error, DataFileError) as exc:
            tmp.unlink()
            errors.append(f"{url}: {exc}")
            continue
        shutil.move(tmp, dest)
        return dest
    raise DataFileError("could not download MNIST:\n  " + "\n  ".join(errors))


def binarize(images, method: str = "stochastic", seed: int = 0) -> np.ndarray:
    """Binarize intensities in [0, 1] to {0, 1} (float32).

    ``"stochastic"``: pixel ~ Bernoulli(intensity), reproducible for a given
    ``seed``; ``"threshold"``: intensity > 0.5.
    """
    check_choice(method, "method", {"stochastic", "threshold"})
    images = np.asarray(images, dtype=np.float32)
    if images.size and (images.min() < 0 or images.max() > 1 or not np.isfinite(images).all()):
        raise ValueError("images must hold intensities in [0, 1]")
    if method == "threshold":
        return (images > 0.5).astype(np.float32)
    rng = np.random.default_rng(check_nonnegative_int(seed, "seed"))
    return (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)


def draw_binary(P, rng, binarize="dynamic"):
    """A fresh Bernoulli draw of the probabilities ``P`` (``P`` itself when ``binarize`` is None).

    The step of *dynamic binarization*: training on a new draw of the grey
    levels at every minibatch instead of on one fixed binarization. Binary rows
    come back unchanged, since ``u < 1`` is certain and ``u < 0`` impossible for
    ``u`` uniform on ``[0, 1)``. ``P`` is not validated (callers check it once).

    Example
    -------
    >>> import numpy as np
    >>> draw_binary(np.array([[0.0, 1.0, 1.0]], np.float32), np.random.default_rng(0))
    array([[0., 1., 1.]], dtype=float32)
    """
    if binarize is None:
        return P
    return (rng.random(P.shape, dtype=P.dtype) < P).astype(P.dtype)


def load_mnist(
    split: str = "train",
    *,
    data_dir=None,
    binarize: str | None = None,
    seed: int = 0,
    flatten: bool = True,
    download: bool = True,
    verify: bool = True,
):
    """Load MNIST as ``(images, labels)``.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    data_dir : path, optional
        Directory to look in first (see the module docstring for the lookup order).
    binarize : {None, "stochastic", "threshold"}
        ``None`` returns float32 intensities in [0, 1].
    seed : int
        Seed of the stochastic binarization (the same seed gives the same data).
    flatten : bool
        Return images as ``(n, 784)`` rather than ``(n, 28, 28)``.
    download : bool
        Download into ``~/.cache/boltz`` when the files are found nowhere.
    verify : bool
        Check the MD5 of each decompressed file against the canonical one.

    Example
    -------
    >>> x, y = load_mnist("test", binarize="stochastic")  # doctest: +SKIP
    >>> x.shape, y.shape  # doctest: +SKIP
    ((10000, 784), (10000,))
    """
    check_choice(split, "split", set(MNIST_FILES))
    if binarize is not None:
        check_choice(binarize, "binarize", {"stochastic", "threshold"})
    directory = find_mnist_dir(data_dir)
    if directory is None:
        if data_dir is not None and not download:
            raise FileNotFoundError(f"MNIST files not found in {data_dir}")
        if not download:
            raise FileNotFoundError(
                "MNIST files not found in BOLTZ_DATA or ~/.cache/boltz and download=False"
            )
        directory = _cache_dir()
        for stem in (s for pair in MNIST_FILES.values() for s in pair):
            if _find_file(directory, stem) is None:
                _download(stem, directory)
    img_stem, lab_stem = MNIST_FILES[split]
    img_path, lab_path = _find_file(directory, img_stem), _find_file(directory, lab_stem)
    images = read_idx(img_path, MNIST_MD5[img_stem] if verify else None)
    labels = read_idx(lab_path, MNIST_MD5[lab_stem] if verify else None)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataFileError(f"{img_path}: expected images of 28x28, got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise DataFileError(f"{lab_path}: {labels.shape[0]} labels for {images.shape[0]} images")
    x = images.astype(np.float32) / np.float32(255.0)
    if binarize is not None:
        x = globals()["binarize"](x, binarize, seed)
    if flatten:
        x = x.reshape(x.shape[0], -1)
    return x, labels.astype(np.int64)


# --------------------------------------------------------------------------
# Small binary images for the denoising demos (generated, nothing shipped)
# --------------------------------------------------------------------------

def _grid(size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    return yy, xx


def _shapes(size):
    yy, xx = _grid(size)
    img = ((xx - 0.3) ** 2 + (yy - 0.3) ** 2 < 0.18**2)
    img |= (np.abs(xx - 0.72) < 0.17) & (np.abs(yy - 0.3) < 0.12)
    tri = (yy > 0.55) & (yy < 0.9) & (np.abs(xx - 0.3) < (yy - 0.55) * 0.7)
    img |= tri
    ring = np.hypot(xx - 0.72, yy - 0.72)
    img |= (ring > 0.1) & (ring < 0.19)
    return img


def _rings(size):
    yy, xx = _grid(size)
    r = np.hypot(xx - 0.5, yy - 0.5)
    return (np.floor(r * 10) % 2 == 0) & (r < 0.48)


def _letters(size):
    """A blocky 'EBM' on a bar, drawn from rectangles."""
    yy, xx = _grid(size)
    img = np.zeros((size, size), bool)

    def rect(x0, x1, y0, y1):
        nonlocal img
        img |= (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)

    # E
    rect(0.08, 0.13, 0.25, 0.75); rect(0.08, 0.28, 0.25, 0.3)   # noqa: E702
    rect(0.08, 0.25, 0.47, 0.53); rect(0.08, 0.28, 0.70, 0.75)   # noqa: E702
    # B
    rect(0.38, 0.43, 0.25, 0.75); rect(0.38, 0.56, 0.25, 0.3)   # noqa: E702
    rect(0.38, 0.56, 0.47, 0.53); rect(0.38, 0.58, 0.70, 0.75)   # noqa: E702
    rect(0.54, 0.59, 0.25, 0.5); rect(0.56, 0.61, 0.5, 0.75)     # noqa: E702
    # M
    rect(0.68, 0.73, 0.25, 0.75); rect(0.88, 0.93, 0.25, 0.75)   # noqa: E702
    for k in range(8):
        t = k / 8
        rect(0.72 + 0.09 * t, 0.76 + 0.09 * t, 0.25 + 0.25 * t, 0.3 + 0.25 * t)
        rect(0.85 - 0.09 * t, 0.89 - 0.09 * t, 0.25 + 0.25 * t, 0.3 + 0.25 * t)
    rect(0.05, 0.95, 0.85, 0.9)
    return img


def _checker(size):
    yy, xx = _grid(size)
    return (np.floor(xx * 8) + np.floor(yy * 8)) % 2 == 0


BINARY_IMAGES = {"shapes": _shapes, "rings": _rings, "letters": _letters, "checker": _checker}


def binary_image(name: str = "shapes", size: int = 128, values=(-1, 1)) -> np.ndarray:
    """A built-in binary test image, ``(size, size)`` int8 with the given ``values``.

    Names: ``"shapes"`` (disc, square, triangle, ring), ``"rings"`` (concentric
    rings), ``"letters"`` (the letters EBM), ``"checker"`` (8x8 checkerboard).
    """
    check_choice(name, "name", set(BINARY_IMAGES))
    size = check_positive_int(size, "size")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    lo, hi = values
    return np.where(BINARY_IMAGES[name](size), hi, lo).astype(np.int8)
