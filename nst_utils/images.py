"""Loading, converting and saving images (the assignment's image helpers).

Introduced in notebook 02. Arrays outside the network are RGB ``(H, W, 3)`` uint8; the network
input is ``(1, H, W, 3)`` float32 in the loaded network's convention (see :mod:`nst_utils.vgg`).
"""
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .config import CONFIG
from .errors import NSTError

#: Peak memory of a run on the bundled VGG-16 (make bench): about this many bytes plus this many per
#: pixel (measured peak RSS: 1.1 GB at 400x300 and 1.8 GB at 800x600 with Adam, 7.1 GB at 1920x1080
#: coarse to fine with L-BFGS, whose own history takes 0.6 KB per pixel).
MEMORY_BASE_BYTES = 0.75e9
MEMORY_BYTES_PER_PIXEL = 3.1e3


def total_memory_bytes():
    """Physical memory of this machine in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def estimate_peak_memory(width, height):
    """Estimated peak bytes of a style-transfer run at ``width`` x ``height``."""
    return MEMORY_BASE_BYTES + MEMORY_BYTES_PER_PIXEL * width * height


def check_image_size(width, height):
    """Raise NSTError unless ``width`` and ``height`` are positive integers that fit in memory."""
    for label, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise NSTError(f"image {label} {value!r} is not a positive whole number of pixels")
    need, have = estimate_peak_memory(width, height), total_memory_bytes()
    if need > have:
        raise NSTError(f"image size {width}x{height} needs about {need / 2**30:.0f} GiB but this machine "
                       f"has {have / 2**30:.0f} GiB: choose a smaller width and height")


def load_image(path, width=None, height=None):
    """Read a PNG/JPEG/... file as RGB uint8 ``(height, width, 3)``, resized to the given size.

    ``width``/``height`` default to ``CONFIG``'s 400x300 (:func:`read_image` keeps the file's size).
    Grayscale, RGBA (composited on white), palette and 16-bit images are accepted.
    """
    width = CONFIG.IMAGE_WIDTH if width is None else width
    height = CONFIG.IMAGE_HEIGHT if height is None else height
    check_image_size(width, height)
    image = read_image(path)
    if image.shape[:2] != (height, width):
        image = np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))
    return image


def read_image(path):
    """Read an image file as RGB uint8 ``(H, W, 3)`` at its own size; clear errors for bad files."""
    path = Path(path)
    if not path.exists():
        raise NSTError(f"{path}: no such file; check the path of the image")
    if path.is_dir():
        raise NSTError(f"{path}: is a folder, not an image file")
    if path.stat().st_size == 0:
        raise NSTError(f"{path}: the file is empty; give a PNG or JPEG image")
    try:
        with Image.open(path) as im:
            im.load()
            return _to_rgb(im)
    except UnidentifiedImageError:
        raise NSTError(f"{path}: not an image PIL can read; give a PNG or JPEG image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise NSTError(f"{path}: damaged or truncated image ({exc}); give another file") from None


def _to_rgb(im):
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grayscale
        a = np.asarray(im, dtype=np.float64)
        a = 255.0 * a / (65535.0 if a.max() > 255 else 255.0)
        return np.repeat(np.clip(np.rint(a), 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "P", "PA") or "transparency" in im.info:
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    return np.asarray(im.convert("RGB"))


def reshape_and_normalize_image(image, network=None):
    """RGB ``(H, W, 3)`` -> network input ``(1, H, W, 3)`` for the loaded (or given) network."""
    from .vgg import current_network

    return (network or current_network()).preprocess(image)


def to_rgb(image, network=None):
    """Network input ``(1, H, W, 3)`` -> RGB uint8 ``(H, W, 3)``: the inverse of the above."""
    from .vgg import current_network

    return (network or current_network()).deprocess(image)


def generate_noise_image(content_image, noise_ratio=CONFIG.NOISE_RATIO, rng=None):
    """The assignment's starting image: ``noise_ratio * U(-20, 20) + (1 - noise_ratio) * content``.

    content_image: network input ``(1, H, W, 3)``. ``rng``: a numpy Generator (default: ``np.random``).
    """
    content_image = np.asarray(content_image, dtype=np.float32)
    uniform = (rng or np.random).uniform
    noise = uniform(-20, 20, content_image.shape).astype(np.float32)
    return noise * noise_ratio + content_image * (1 - noise_ratio)


def save_image(path, image, network=None):
    """Write a network input ``(1, H, W, 3)`` (or an RGB uint8 array) to ``path`` as PNG/JPEG.

    The file appears whole or not at all (written to a temporary file, then renamed).
    """
    path = Path(path)
    array = np.asarray(image)
    rgb = array if array.dtype == np.uint8 and array.ndim == 3 else to_rgb(array, network)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise NSTError(f"{path}: unknown image type {path.suffix!r}; end the file name with .png or .jpg")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    except OSError as exc:
        raise NSTError(f"{path.parent}: cannot write there ({exc.strerror}); choose another output folder") from None
    try:
        with os.fdopen(fd, "wb") as f:
            Image.fromarray(rgb).save(f, format=fmt)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
