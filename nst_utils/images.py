"""Loading, converting and saving images (the assignment's image helpers).

Introduced in notebook 02. Arrays outside the network are RGB ``(H, W, 3)`` uint8; the network
input is ``(1, H, W, 3)`` float32 in the loaded network's convention (see :mod:`nst_utils.network`).
"""
import os
import re
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import EpsImagePlugin, Image, ImageOps, UnidentifiedImageError

from .config import CONFIG
from .errors import NSTError
from .files import moved_into_place, remove_stale_snapshots, temp_beside
from .memory import check_image_size
from .stops import interrupts_deferred

def load_image(path, width=None, height=None):
    """Read a PNG/JPEG/... file as RGB uint8 ``(height, width, 3)``, resized to the given size.

    ``width``/``height`` default to ``CONFIG``'s 400x300 (:func:`read_image` keeps the file's size).
    Grayscale, RGBA (composited on white), palette and 16-bit images are accepted.
    """
    width = CONFIG.IMAGE_WIDTH if width is None else width
    height = CONFIG.IMAGE_HEIGHT if height is None else height
    check_image_size(width, height)
    return resize(read_image(path), width, height)


#: The largest image read, in pixels, refused from the file's header before anything is decoded (a
#: 100 KB PNG can claim 10 billion pixels). 80 megapixels takes the photos of today's phones and
#: cameras at full resolution: 48-64 MP phone photos (8000x6000, 9248x6936) and 45-61 MP full-frame
#: cameras (9504x6336), a 1920x1080 output far below. It refuses 100 MP medium-format files and the
#: 108-200 MP modes of some phones, which are better resized first anyway (a run is at most a few
#: megapixels). Reading an image at the limit takes about 0.75 GB for a moment (measured: an
#: EXIF-rotated 80 MP JPEG; 1.1 GB for an 80 MP RGBA PNG), where a 144 MP one took 2.2 GB. It stays
#: below Pillow's own DecompressionBombWarning threshold (89.5 MP), so an accepted image never warns.
MAX_IMAGE_PIXELS = 80_000_000

#: Pillow's save options by format: its defaults (JPEG quality 75 with half-resolution colour, lossy WebP,
#: whose colour is always half-resolution) blur fine, saturated brush strokes; these keep them.
SAVE_OPTIONS = {"JPEG": {"quality": 95, "subsampling": 0}, "WEBP": {"lossless": True}}

#: Formats that can store an alpha channel (``save_image(..., alpha=...)``).
ALPHA_FORMATS = ("PNG", "TIFF", "WEBP")


def can_hold_alpha(path):
    """Whether an image file named ``path`` (by its suffix) can keep an alpha channel."""
    return Image.registered_extensions().get(Path(path).suffix.lower()) in ALPHA_FORMATS


def read_image(path):
    """Read an image file as RGB uint8 ``(H, W, 3)`` at its own size; clear errors for bad files.

    The EXIF orientation of photos is applied (a portrait phone photo comes out upright), transparent
    pixels are composited on white (:func:`read_alpha` gives the alpha channel) and 16-bit images
    are scaled by their bit depth. Files above :data:`MAX_IMAGE_PIXELS` are refused unread, and so are
    files that are not regular ones (a pipe is read once only). ``path``: a str, a pathlib.Path or a
    bytes file name; damaged EXIF data is ignored (the picture is read as stored).
    """
    with _open_image(path) as im:
        try:
            return _to_rgb(im)
        except ValueError as exc:  # a mode Pillow cannot convert to RGB (e.g. LAB)
            raise NSTError(f"{path}: a {im.mode} image, which cannot be converted to RGB ({exc}); "
                           f"convert it to an RGB PNG or JPEG") from None


def read_alpha(path):
    """The alpha channel of an image file as uint8 ``(H, W)`` (EXIF orientation applied, as in
    :func:`read_image`), or ``None`` if the image has no transparent or translucent pixel.

    RGBA, LA and palette images with a transparent entry, and grayscale or RGB images with a
    transparent colour (PNG tRNS) have one; a fully opaque alpha channel gives ``None``.
    """
    with _open_image(path) as im:
        return _alpha(im)


def _open_image(path):
    """The image at ``path``, decoded and EXIF-transposed, or NSTError with one line naming the file.

    The size is checked from the header, before decoding. Use as ``with _open_image(path) as im:``.
    """
    path = _path_of(path)
    _check_file(path)
    try:
        f = open(path, "rb")
    except PermissionError:
        raise NSTError(f"{path}: permission denied; make the file readable (chmod +r) or give another "
                       f"file") from None
    except OSError as exc:
        raise NSTError(f"{path}: cannot read the file ({exc.strerror or exc}); give another file") from None
    with f:
        try:
            # Images above PIL's warning threshold are refused below, so its warning would be a second
            # line. (catch_warnings is process-wide before Python 3.14: another thread's filters set
            # meanwhile are undone; acceptable for a notebook or command-line helper.)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                warnings.simplefilter("ignore", UserWarning)  # PIL's notes on damaged metadata (EXIF)
                im = Image.open(f)
        except UnidentifiedImageError:
            raise NSTError(f"{path}: not an image PIL can read; give a PNG or JPEG image") from None
        except Image.DecompressionBombError as exc:  # far above our limit: PIL refuses even to open it
            raise NSTError(_too_big(path, _bomb_pixels(exc))) from None
        except OSError as exc:
            if exc.errno is not None:  # the disk, not the image (EIO...)
                raise NSTError(f"{path}: cannot read the file ({exc.strerror or exc}); give another file") from None
            raise NSTError(f"{path}: damaged image header ({_reason(exc)}); give another file") from None
        except Exception as exc:  # noqa: BLE001  (Pillow's format plugins raise many kinds for bad headers)
            raise NSTError(f"{path}: damaged image header ({_reason(exc)}); give another file") from None
        try:
            width, height = im.size
            if width * height > MAX_IMAGE_PIXELS:
                raise NSTError(_too_big(path, width * height, im.size))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": several raw lines
                    im.load()
                    _upright(im)
            except Image.DecompressionBombError as exc:  # e.g. a GIF frame larger than its header said
                raise NSTError(_too_big(path, _bomb_pixels(exc))) from None
            except MemoryError:
                raise NSTError(f"{path}: not enough memory to decode this {width}x{height} image; "
                               f"resize it and try again") from None
            except Exception as exc:  # noqa: BLE001
                raise NSTError(_unreadable(path, im, exc)) from None
        except BaseException:
            im.close()
            raise
    return im


def _check_file(path):
    """NSTError naming ``path`` unless it is a regular file that is not empty."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise NSTError(f"{path}: no such file; check the path of the image") from None
    except PermissionError:
        raise NSTError(f"{path}: permission denied (a folder on the way cannot be entered); "
                       f"give an image you can read") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise NSTError(f"{path}: cannot read the file ({getattr(exc, 'strerror', None) or exc}); give another "
                       f"file") from None
    if stat.S_ISDIR(info.st_mode):
        raise NSTError(f"{path}: is a folder, not an image file")
    if not stat.S_ISREG(info.st_mode):  # a pipe (<(cat c.png)), a FIFO, a device: read more than once, or endless
        raise NSTError(f"{path}: is {_kind(info.st_mode)}, not a regular file; save the image to a file and give "
                       f"its name")
    if info.st_size == 0:
        raise NSTError(f"{path}: the file is empty; give a PNG or JPEG image")


def _path_of(path):
    """``path`` as a Path: a str, a bytes file name or an os.PathLike; NSTError for anything else."""
    if isinstance(path, bytes) and b"\0" not in path:
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise NSTError(f"the image to read is of type {type(path).__name__}, not a file name; give its path as a "
                       f"str or pathlib.Path (e.g. 'photo.jpg')")
    return Path(path)


def _kind(mode):
    """What a file that is not a regular one is, for the messages."""
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _upright(im):
    """Apply ``im``'s EXIF orientation in place; damaged EXIF data leaves the picture as it is stored."""
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except Exception:  # noqa: BLE001  (damaged EXIF raises SyntaxError, struct.error, KeyError... in PIL)
        pass


def _reason(exc):
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _bomb_pixels(exc):
    """The pixel count in PIL's DecompressionBombError (which keeps no size), or None."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    return int(found.group(1)) if found else None


def _megapixels(pixels):
    return f"{pixels / 1e6:.2f}".rstrip("0").rstrip(".") + " megapixels"


def _too_big(path, pixels, size=None):
    where = f"{size[0]}x{size[1]} pixels ({_megapixels(pixels)})" if size else (
        f"{pixels} pixels ({_megapixels(pixels)})" if pixels else "far too many pixels")
    return (f"{path}: the image is {where}, above the limit of {_megapixels(MAX_IMAGE_PIXELS)}; "
            f"resize it (e.g. to 4000 pixels on its longest side) and try again")


def _unreadable(path, im, exc):
    """The line for a file whose header was read but whose pixels could not be decoded."""
    reason = _reason(exc)
    if im.format == "EPS" and not EpsImagePlugin.has_ghostscript():
        return (f"{path}: an EPS (PostScript) image, which needs Ghostscript to read and it is not "
                f"installed; convert the file to PNG or JPEG (or install Ghostscript)")
    if isinstance(exc, NotImplementedError) or any(
            word in reason.lower() for word in ("unsupported", "not supported", "not available", "unknown")):
        return (f"{path}: a kind of {im.format or 'image'} file this program cannot read ({reason}); "
                f"convert it to PNG or JPEG")
    if isinstance(exc, OSError) and exc.errno is not None:  # the disk, not the image (EIO...)
        return f"{path}: cannot read the file ({exc.strerror or reason}); give another file"
    return f"{path}: damaged or truncated image ({reason}); give another file"


#: 16-bit grayscale modes, whose white is 65535.
_16BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


def _full_scale(im):
    """The value of white in a high-bit-depth grayscale image, from its bit depth, never from its data."""
    if im.mode == "F":
        return 1.0  # 32-bit float images hold 0..1
    if im.mode in _16BIT_MODES:
        return 65535.0
    # Mode "I" (32-bit integers): Pillow reads 16-bit PNG/PGM data into it as 0..65535; a TIFF says its depth.
    tags = getattr(im, "tag_v2", None)
    bits = tags.get(258) if tags is not None else None
    if bits:
        bits = bits[0] if isinstance(bits, tuple) else bits
        signed = tags.get(339, 1) in (2, (2,))
        return float(2 ** (int(bits) - signed) - 1)
    return 65535.0


def _to_rgb(im):
    if im.mode in _16BIT_MODES + ("I", "F"):  # 16-bit, 32-bit or float grayscale
        grey = np.asarray(im)
        scale = _full_scale(im)
        if scale == 65535.0:  # exact: round(v / 257), in integers
            grey = ((np.clip(grey, 0, 65535).astype(np.uint32) + 128) // 257).astype(np.uint8)
        else:
            grey = np.clip(np.rint(np.nan_to_num(grey, nan=0.0) * (255.0 / scale)), 0, 255).astype(np.uint8)
        alpha = _alpha(im)
        if alpha is not None:  # a transparent grey value (PNG tRNS): white there
            grey = np.where(alpha == 0, np.uint8(255), grey)
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "P", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")
        white = Image.new("RGB", im.size, (255, 255, 255))
        white.paste(rgba, mask=rgba)  # composited on white, without a full-size copy per step
        return np.asarray(white)
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"))


def _alpha(im):
    """``im``'s alpha as uint8 ``(H, W)``, or None if every pixel is opaque."""
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.asarray(im.getchannel(im.getbands()[-1]))  # "A" (or "a", premultiplied)
    elif "transparency" in im.info and im.mode in _16BIT_MODES + ("I",):
        alpha = np.where(np.asarray(im) == im.info["transparency"], 0, 255).astype(np.uint8)
    elif "transparency" in im.info:
        alpha = np.asarray(im.convert("RGBA").getchannel("A"))
    else:
        return None
    return None if alpha.size == 0 or alpha.min() == 255 else np.ascontiguousarray(alpha, np.uint8)


def check_rgb(name, image, who="transfer"):
    """Raise NSTError, naming the function ``who`` and its argument ``name``, unless ``image`` is an RGB uint8
    array ``(H, W, 3)``, as :func:`read_image` returns."""
    shape, dtype = np.shape(image), getattr(image, "dtype", None)
    if len(shape) != 3 or shape[2] != 3 or 0 in shape or dtype != np.uint8:
        raise NSTError(f"{who}: {name} is an array of shape {shape} and dtype {dtype}; give an RGB image "
                       f"(H, W, 3) of uint8, e.g. nst.read_image(path)")


def _current_network():
    """The loaded network (:func:`nst_utils.network.current_network`), imported only now: it brings TensorFlow,
    which reading and writing images (``nst-regions``) do without."""
    from .network import current_network

    return current_network()


def reshape_and_normalize_image(image, network=None):
    """RGB ``(H, W, 3)`` -> network input ``(1, H, W, 3)`` for the loaded (or given) network."""
    return (network or _current_network()).preprocess(image)


def to_rgb(image, network=None):
    """Network input ``(1, H, W, 3)`` -> RGB uint8 ``(H, W, 3)``: the inverse of the above."""
    return (network or _current_network()).deprocess(image)


def generate_noise_image(content_image, noise_ratio=CONFIG.NOISE_RATIO, rng=None):
    """The assignment's starting image: ``noise_ratio * U(-20, 20) + (1 - noise_ratio) * content``.

    content_image: network input ``(1, H, W, 3)``. ``rng``: a numpy Generator (default: ``np.random``).
    """
    try:
        content_image = np.asarray(content_image, dtype=np.float32)
    except (TypeError, ValueError, NotImplementedError):
        raise NSTError(f"generate_noise_image: content_image is a {type(content_image).__name__}; give the network "
                       f"input (1, H, W, 3) as a numpy array (reshape_and_normalize_image(image))") from None
    shape = content_image.shape
    if len(shape) != 4 or shape[0] != 1 or shape[3] != 3 or 0 in shape:
        hint = " (an RGB image: use reshape_and_normalize_image(image) first)" if len(shape) == 3 else ""
        raise NSTError(f"generate_noise_image: content_image has shape {shape}; it must be a network input "
                       f"(1, H, W, 3){hint}")
    if isinstance(noise_ratio, bool) or not isinstance(noise_ratio, (int, float, np.integer, np.floating)) \
            or not 0 <= noise_ratio <= 1:
        raise NSTError(f"generate_noise_image: noise_ratio {noise_ratio!r} must be a number from 0 to 1")
    uniform = getattr(np.random if rng is None else rng, "uniform", None)
    if not callable(uniform):
        raise NSTError(f"generate_noise_image: rng is of type {type(rng).__name__}; give a numpy Generator, e.g. "
                       f"rng=np.random.default_rng({rng if isinstance(rng, int) else 0}), or leave it out")
    noise = uniform(-20, 20, content_image.shape).astype(np.float32)
    return noise * noise_ratio + content_image * (1 - noise_ratio)


def save_image(path, image, network=None, *, alpha=None):
    """Write a network input ``(1, H, W, 3)`` (or an RGB uint8 array ``(H, W, 3)``) to ``path`` as
    PNG/JPEG/... (the format follows the file name's ending).

    ``alpha``: an alpha channel, uint8 ``(h, w)`` as :func:`read_alpha` gives it (resized to the
    image's size if it differs); the file is then RGBA, so it must be a PNG (or TIFF, WebP): a JPEG
    cannot hold transparency. The file appears whole or not at all (written to a temporary file,
    then renamed), with the permissions any new file gets (``0o666`` minus the umask).
    """
    path = Path(path)
    if isinstance(network, np.ndarray):
        raise TypeError("save_image: the third argument is the network; pass the alpha channel as alpha=...")
    rgb = _rgb_to_save(image, network)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise NSTError(f"{path}: unknown image type {path.suffix!r}; end the file name with .png or .jpg")
    if alpha is not None:
        alpha = _alpha_to_save(alpha, rgb.shape[:2])
        if not can_hold_alpha(path):
            raise NSTError(f"{path}: {fmt} cannot hold transparency, and the image has some (its alpha "
                           f"channel); use a .png output")
        picture = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    else:
        picture = Image.fromarray(rgb)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_beside(path, path.suffix)
    except OSError as exc:
        raise NSTError(f"{path.parent}: cannot write there ({exc.strerror}); choose another output folder") from None
    try:
        with moved_into_place(tmp, path):
            picture.save(tmp, format=fmt, **SAVE_OPTIONS.get(fmt, {}))
    except OSError as exc:
        raise NSTError(f"{path}: cannot write the image ({exc.strerror or exc}); choose another output") from None
    return path


def _rgb_to_save(image, network):
    """RGB uint8 ``(H, W, 3)`` of what save_image was given; NSTError for other shapes or NaN."""
    array = np.asarray(image)
    if array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] == 3 and 0 not in array.shape:
        return array
    if array.dtype.kind not in "biuf" or array.ndim not in (3, 4) or array.shape[-1] != 3 or 0 in array.shape \
            or (array.ndim == 4 and array.shape[0] != 1) or (array.ndim == 3 and array.dtype == np.uint8):
        raise NSTError(f"save_image: image has shape {array.shape} and dtype {array.dtype}; give a network input "
                       f"(1, H, W, 3) or an RGB uint8 array (H, W, 3) (transparency goes in alpha=)")
    if array.ndim == 3:  # 0..1 or 0..255? Only the caller knows: guessing would save a wrong picture
        raise NSTError(f"save_image: image is an RGB array {array.shape} of {array.dtype}, not uint8; convert it "
                       f"(np.clip(image, 0, 255).astype(np.uint8) for values 0..255, times 255 first for 0..1) or "
                       f"give a network input (1, H, W, 3)")
    if not np.isfinite(array).all():
        raise NSTError("save_image: the image holds NaN or infinite values (the optimisation diverged?); "
                       "nothing was written: lower the learning rate or the weights")
    return to_rgb(array, network)


def _alpha_to_save(alpha, size):
    """``alpha`` as uint8 ``size`` (height, width): resized if needed; NSTError if it is no alpha channel."""
    alpha = np.asarray(alpha)
    if alpha.ndim == 3 and alpha.shape[2] == 1:
        alpha = alpha[..., 0]
    if alpha.ndim != 2 or 0 in alpha.shape or alpha.dtype not in (np.uint8, np.bool_):
        raise NSTError(f"save_image: alpha has shape {alpha.shape} and dtype {alpha.dtype}; give a uint8 (H, W) "
                       f"array of 0 (transparent) to 255 (opaque), as read_alpha returns")
    if alpha.dtype == np.bool_:
        alpha = alpha.astype(np.uint8) * np.uint8(255)
    if alpha.shape != tuple(size):
        # Bilinear, not Lanczos: no overshoot, so opaque areas stay fully opaque near the edges.
        alpha = np.asarray(Image.fromarray(alpha, "L").resize((size[1], size[0]), Image.BILINEAR))
    return alpha


def resize(image, width, height):
    """RGB uint8 ``image`` resized to ``width`` x ``height`` (Lanczos); returned as it is if it has that size."""
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


class Snapshots:
    """A run's folder of snapshots: called with ``(i, rgb)``, it saves ``folder/NNNN.png``.

    The first write that fails (a full disk) stops the saving without stopping the run: ``error`` then
    holds one line, ``'PATH: reason'``. ``saved`` lists the files written; a Ctrl-C (or SIGTERM...) during a
    write waits for it, so that a file on disk is a file listed. :meth:`finish` removes an earlier run's
    other ``NNNN.png`` there, so that the folder holds this run's frames only, but never one of ``inputs``
    (paths of the files the run reads)."""

    def __init__(self, folder, inputs=()):
        self.folder, self.inputs, self.saved, self.error = Path(folder), list(inputs), [], None

    def __call__(self, i, rgb):
        if self.error is not None:
            return
        path = self.folder / f"{i:04d}.png"
        with interrupts_deferred():
            try:
                save_image(path, rgb)
            except (NSTError, OSError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.error = f"{path}: {reason.split(f'{path}: ', 1)[-1].split('; ')[0]}"  # save_image names the file
            else:
                self.saved.append(path)

    def finish(self):
        if self.saved:
            remove_stale_snapshots(self.folder, self.saved, self.inputs)


def write_gif(path, snapshots, size, seconds_per_frame=0.25):
    """An animated GIF of ``snapshots`` (``[(i, RGB uint8)]``, each resized to ``size`` (width, height)),
    written whole or not at all (:mod:`nst_utils.files`)."""
    import imageio.v2 as imageio

    frames = [resize(rgb, *size) for _, rgb in snapshots]
    if not frames:
        raise NSTError(f"{path}: no snapshots to animate; use --save-every N")
    path = Path(path)
    try:
        with moved_into_place(temp_beside(path, ".gif.part"), path) as tmp:
            # imageio's GIF writer (Pillow) takes the duration in milliseconds: 0.25 gave frames without delay
            imageio.mimsave(tmp, frames, format="GIF", duration=round(1000 * seconds_per_frame), loop=0)
    except OSError as exc:
        raise NSTError(f"{path}: cannot write the GIF ({exc.strerror or exc})") from None
    return path
