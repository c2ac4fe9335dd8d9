"""Reading and writing binary images as PNG (via Pillow).

Grey or colour images are converted to grey levels and binarized with
Otsu's threshold (Otsu 1979: the threshold that maximises the between-class
variance of the grey-level histogram). Bright pixels become ``+1`` and dark
ones ``-1``; :func:`write_binary_image` writes ``+1`` as white and ``-1`` as black,
so a round trip returns the same spins.

Examples
--------
>>> import tempfile, os
>>> import numpy as np
>>> img = np.array([[1, -1], [-1, 1]], dtype=np.int8)
>>> path = os.path.join(tempfile.mkdtemp(), "x.png")
>>> write_binary_image(path, img)
>>> np.array_equal(read_binary_image(path), img)
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._validation import check_array
from ..io import atomic_write
from .noise import check_noisy_image

__all__ = ["read_binary_image", "write_binary_image", "otsu_threshold", "binarize"]


def otsu_threshold(grey, n_bins: int = 256) -> float:
    """Otsu's threshold of a grey image (values in any finite range).

    Pixels ``> threshold`` are the bright class. For an image with one grey
    level the threshold lies just below it (everything is bright) unless
    the level is below the middle of [0, 1], where everything is dark.

    Parameters
    ----------
    grey : array_like
        Grey levels.
    n_bins : int, default 256
        Histogram bins.

    Returns
    -------
    float
        The threshold.

    Examples
    --------
    >>> otsu_threshold(np.array([[0.1, 0.2], [0.8, 0.9]]))  # doctest: +ELLIPSIS
    0.2...
    """
    g = check_array(grey, "grey", dtype=np.float64).ravel()
    lo, hi = float(g.min()), float(g.max())
    if lo == hi:
        return lo - 1.0 if lo >= 0.5 else lo
    counts, edges = np.histogram(g, bins=n_bins, range=(lo, hi))
    w = counts.astype(np.float64) / g.size
    centres = 0.5 * (edges[:-1] + edges[1:])
    omega = np.cumsum(w)                # weight of the dark class (bins 0..k)
    mu = np.cumsum(w * centres)         # its first moment
    mu_t = mu[-1]
    denom = omega * (1.0 - omega)
    between = np.zeros_like(omega)
    ok = denom > 1e-15
    between[ok] = (mu_t * omega[ok] - mu[ok]) ** 2 / denom[ok]
    k = int(np.argmax(between))
    return float(edges[k + 1]) if k + 1 < n_bins else float(edges[k])


def binarize(grey) -> np.ndarray:
    """Spin image (int8 ±1) of a 2D grey image, bright -> +1, by Otsu's threshold.

    Raises ``ValueError`` for empty images and NaN/inf pixels.

    Parameters
    ----------
    grey : array_like, shape (H, W)
        Grey image.

    Returns
    -------
    numpy.ndarray of int8, shape (H, W)
        The spin image.

    Examples
    --------
    >>> import numpy as np
    >>> binarize(np.array([[0.1, 0.9]])).tolist()
    [[-1, 1]]
    """
    g = check_array(grey, "image", dtype=np.float64, ndim=2)
    if g.shape[0] == 0 or g.shape[1] == 0:
        raise ValueError(f"image must not be empty, got shape {g.shape}")
    t = otsu_threshold(g)
    return np.where(g > t, 1, -1).astype(np.int8)


def _grey_levels(path: Path) -> np.ndarray:
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # a "decompression bomb" (a small file that decodes to a huge image) is refused
            # before its pixels are decoded, also between Pillow's warning and error sizes
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"{path}: refused as a possible decompression bomb ({exc}); raise "
                         "PIL.Image.MAX_IMAGE_PIXELS to read it anyway") from None
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image file Pillow can read (expected e.g. PNG)") \
            from None
    except OSError as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from None
    try:
        with im:
            im.load()
            if im.mode in ("F", "I", "I;16", "I;16B", "I;16L"):
                arr = np.asarray(im, dtype=np.float64)
            else:
                if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency"
                                                         in im.info):
                    # composite transparent pixels onto white
                    rgba = im.convert("RGBA")
                    bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    im = Image.alpha_composite(bg, rgba)
                arr = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image file Pillow can read (expected e.g. PNG)") \
            from None
    except OSError as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from None
    if arr.ndim != 2:
        raise ValueError(f"{path}: expected a 2D image, got shape {arr.shape}")
    return arr


def read_binary_image(path) -> np.ndarray:
    """Read an image file as a spin image (int8, ±1); grey levels binarized by Otsu.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a
    file that is not an image, an empty image or one with NaN pixels.

    Parameters
    ----------
    path : str or os.PathLike
        Image file.

    Returns
    -------
    numpy.ndarray of int8, shape (H, W)
        The spin image.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> write_binary_image(path, np.array([[1, -1]]))
    >>> read_binary_image(path).tolist()
    [[1, -1]]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such image file: {path}")
    grey = _grey_levels(path)
    if grey.size == 0:
        raise ValueError(f"{path}: the image is empty (shape {grey.shape})")
    if not np.all(np.isfinite(grey)):
        raise ValueError(f"{path}: the image contains NaN or infinite pixel values")
    return binarize(grey)


def write_binary_image(path, image, overwrite: bool = True) -> None:
    """Write a spin image (±1) as a black/white 8-bit PNG (+1 white, -1 black).

    With ``overwrite=False`` an existing file raises ``FileExistsError``.

    Parameters
    ----------
    path : str or os.PathLike
        Target PNG file.
    image : array_like, shape (H, W)
        Spin image.
    overwrite : bool, default True
        Replace an existing file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> write_binary_image(path, np.ones((2, 3)))
    >>> os.path.exists(path)
    True
    """
    from PIL import Image

    img = check_noisy_image(image, "image")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    if path.parent and not path.parent.exists():
        raise FileNotFoundError(f"directory {path.parent} does not exist")
    data = np.where(img > 0, 255, 0).astype(np.uint8)
    fmt = Image.registered_extensions().get(path.suffix.lower(), "PNG")
    with atomic_write(path) as f:  # never leaves a half-written file at path, nor a temp file
        Image.fromarray(data).save(f, format=fmt)
