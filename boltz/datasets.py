"""Data: MNIST from the canonical IDX files, and small procedural binary images.

MNIST lookup order: an explicit ``data_dir``, then the ``BOLTZ_DATA``
environment variable, then the cache ``$XDG_CACHE_HOME/boltz`` (by default
``~/.cache/boltz``); if the files are in none of them, they are downloaded
into the cache (with a progress bar) and their MD5s checked. A failed lookup
names every place it looked and how to point boltz at the files. In each
directory the files are looked for directly and in an ``mnist/``
subdirectory, gzipped (``*.gz``) or not.

Binarization: ``"stochastic"`` draws each pixel from a Bernoulli with the
intensity as its probability, with a fixed seed (the convention of
Salakhutdinov & Murray 2008 behind published RBM/DBM log-likelihoods);
``"threshold"`` keeps pixels with intensity > 0.5.

Examples
--------
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
    "mnist_search_dirs",
    "binarize",
    "draw_binary",
    "read_idx",
    "binary_image",
    "BINARY_IMAGES",
    "DataFileError",
    "mnist_not_found_message",
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
    """A data file is missing, truncated, corrupted or not what it claims to be.

    Examples
    --------
    >>> issubclass(DataFileError, ValueError)
    True
    """


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "boltz"


def _candidates(directory: Path, stem: str):
    for sub in (directory, directory / "mnist"):
        yield sub / (stem + ".gz")
        yield sub / stem


def _find_file(directory: Path, stem: str) -> Path | None:
    return next((p for p in _candidates(directory, stem) if p.is_file()), None)


def mnist_search_dirs(data_dir=None) -> list[tuple[str, Path]]:
    """The places :func:`load_mnist` looks for MNIST, in order, each with its origin.

    Parameters
    ----------
    data_dir : str or path-like, optional
        An explicit directory, looked in first.

    Returns
    -------
    list of (str, pathlib.Path)
        ``("data_dir", path)`` when given, ``("BOLTZ_DATA", path)`` when the
        environment variable is set, and always ``("cache", path)`` last.

    Examples
    --------
    >>> [origin for origin, _ in mnist_search_dirs("/tmp/mnist")][0]
    'data_dir'
    >>> mnist_search_dirs()[-1][0]
    'cache'
    """
    dirs = []
    if data_dir is not None:
        dirs.append(("data_dir", Path(data_dir)))
    if os.environ.get("BOLTZ_DATA"):
        dirs.append(("BOLTZ_DATA", Path(os.environ["BOLTZ_DATA"])))
    dirs.append(("cache", _cache_dir()))
    return dirs


def find_mnist_dir(data_dir=None) -> Path | None:
    """The first directory in the lookup order that holds all four MNIST files.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Looked in first; then ``$BOLTZ_DATA``, then the cache (see
        :func:`mnist_search_dirs`).

    Returns
    -------
    pathlib.Path or None
        The directory, or None when no place holds all four files.

    Examples
    --------
    >>> find_mnist_dir()  # doctest: +SKIP
    PosixPath('/work/shared/data')
    """
    stems = [s for pair in MNIST_FILES.values() for s in pair]
    for _, d in mnist_search_dirs(data_dir):
        if all(_find_file(d, s) is not None for s in stems):
            return d
    return None


def mnist_not_found_message(data_dir=None, reason: str = "") -> str:
    """The error text of a failed MNIST lookup: every place looked in and how to set each.

    Parameters
    ----------
    data_dir : str or path-like, optional
        The explicit directory that was searched first, if any.
    reason : str
        Appended after the list (for example why the download failed).

    Returns
    -------
    str
        A multi-line message.

    Examples
    --------
    >>> print(mnist_not_found_message("/nowhere").splitlines()[0])
    MNIST files not found. Looked in:
    """
    how = {"data_dir": "the data_dir argument", "BOLTZ_DATA": "the BOLTZ_DATA environment variable",
           "cache": "the download cache"}
    places = {origin: path for origin, path in mnist_search_dirs(data_dir)}
    lines = ["MNIST files not found. Looked in:"]
    for origin in ("data_dir", "BOLTZ_DATA", "cache"):
        if origin in places:
            lines.append(f"  {places[origin]}  ({how[origin]})")
        else:
            lines.append(f"  -  ({how[origin]}: not set)")
    lines.append(
        "Each needs the four files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (optionally .gz, optionally in an "
        "mnist/ subfolder). Point boltz at them with load_mnist(data_dir=DIR) or "
        "`export BOLTZ_DATA=DIR`, or let boltz download them into the cache "
        "(load_mnist(download=True); set XDG_CACHE_HOME to move the cache).")
    if reason:
        lines.append(reason)
    return "\n".join(lines)


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

    Parameters
    ----------
    path : str or path-like
        The file; a ``.gz`` suffix means gzip-compressed.
    expected_md5 : str, optional
        MD5 hex digest the decompressed bytes must have.

    Returns
    -------
    numpy.ndarray
        The array with the shape and dtype the header announces (native byte order).

    Raises
    ------
    DataFileError
        Naming the file, when the data are truncated, padded, have a bad magic
        number, or (with ``expected_md5``) a wrong checksum.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx1-ubyte"
    >>> _ = f.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    >>> read_idx(f)
    array([7, 8, 9], dtype=uint8)
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

    Parameters
    ----------
    images : array_like
        Intensities in [0, 1], any shape.
    method : {"stochastic", "threshold"}
        ``"stochastic"``: pixel ~ Bernoulli(intensity), reproducible for a
        given ``seed``; ``"threshold"``: intensity > 0.5.
    seed : int
        Seed of the stochastic draw.

    Returns
    -------
    numpy.ndarray
        float32 array of 0s and 1s, the shape of ``images``.

    Examples
    --------
    >>> binarize([[0.2, 0.7, 1.0]], "threshold")
    array([[0., 1., 1.]], dtype=float32)
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

    Parameters
    ----------
    P : numpy.ndarray
        Probabilities in [0, 1] (float32 or float64).
    rng : numpy.random.Generator
        Source of the uniforms.
    binarize : {"dynamic", None}
        None returns ``P`` unchanged.

    Returns
    -------
    numpy.ndarray
        0/1 array of ``P``'s shape and dtype.

    Examples
    --------
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

    Returns
    -------
    images : numpy.ndarray
        float32, ``(n, 784)`` (or ``(n, 28, 28)``), intensities in [0, 1] or 0/1.
    labels : numpy.ndarray
        int64 digit labels, ``(n,)``.

    Raises
    ------
    FileNotFoundError
        With ``download=False`` when no place holds the files; the message
        names each place looked in and how to set it.
    DataFileError
        When a file is corrupt, or the download fails (same message).

    Examples
    --------
    >>> x, y = load_mnist("test", binarize="stochastic")  # doctest: +SKIP
    >>> x.shape, y.shape  # doctest: +SKIP
    ((10000, 784), (10000,))
    """
    check_choice(split, "split", set(MNIST_FILES))
    if binarize is not None:
        check_choice(binarize, "binarize", {"stochastic", "threshold"})
    directory = find_mnist_dir(data_dir)
    if directory is None:
        if not download:
            raise FileNotFoundError(mnist_not_found_message(data_dir, "(download=False)"))
        directory = _cache_dir()
        try:
            for stem in (s for pair in MNIST_FILES.values() for s in pair):
                if _find_file(directory, stem) is None:
                    _download(stem, directory)
        except DataFileError as exc:
            raise DataFileError(mnist_not_found_message(data_dir, str(exc))) from None
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

    Parameters
    ----------
    name : {"shapes", "rings", "letters", "checker"}
        ``"shapes"`` (disc, square, triangle, ring), ``"rings"`` (concentric
        rings), ``"letters"`` (the letters EBM), ``"checker"`` (8x8 checkerboard).
    size : int
        Side in pixels, at least 8.
    values : (int, int)
        The background and foreground values.

    Returns
    -------
    numpy.ndarray
        int8 array of shape ``(size, size)``.

    Examples
    --------
    >>> binary_image("checker", 8, values=(0, 1))[0]
    array([1, 0, 1, 0, 1, 0, 1, 0], dtype=int8)
    """
    check_choice(name, "name", set(BINARY_IMAGES))
    size = check_positive_int(size, "size")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    lo, hi = values
    return np.where(BINARY_IMAGES[name](size), hi, lo).astype(np.int8)
