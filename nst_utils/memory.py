"""How much memory a run needs, checked before anything is computed.

Used by :mod:`nst_utils.vgg` and :mod:`nst_utils.images` (sizes), the engine and the ``nst`` command
(the style images at their scaled size), and :mod:`nst_utils.speed`'s estimate. The model was measured
by ``make bench``.
"""
import math
import os

import numpy as np

from .errors import NSTError

#: Peak memory of a run on the bundled VGG-16 (make bench): about this many bytes plus this many per
#: pixel (measured peak RSS: 1.1 GB at 400x300 and 1.8 GB at 800x600 with Adam, 7.1 GB at 1920x1080
#: coarse to fine with L-BFGS, whose own history takes 0.6 KB per pixel).
MEMORY_BASE_BYTES = 0.75e9
MEMORY_BYTES_PER_PIXEL = 3.1e3
#: What the sliced Wasserstein style cost adds per pixel of the optimised image: its projections, the targets of
#: their ranks and the sort's order (measured: 4.7 GB instead of 2.5 at 1024x768 with L-BFGS).
MEMORY_SLICED_BYTES_PER_PIXEL = 2.8e3


def total_memory_bytes():
    """Physical memory of this machine in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def estimate_peak_memory(width, height, style_loss="gram"):
    """Estimated peak bytes of a style-transfer run at ``width`` x ``height`` with ``style_loss``."""
    per_pixel = MEMORY_BYTES_PER_PIXEL + (MEMORY_SLICED_BYTES_PER_PIXEL if style_loss == "sw" else 0)
    return MEMORY_BASE_BYTES + per_pixel * width * height


def check_image_size(width, height, style_loss="gram"):
    """Raise NSTError unless ``width`` and ``height`` are positive integers that fit in memory (an optimisation
    with ``style_loss``)."""
    for label, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise NSTError(f"image {label} {value!r} is not a positive whole number of pixels")
    need, have = estimate_peak_memory(width, height, style_loss), total_memory_bytes()
    if need > have:
        raise NSTError(f"image size {width}x{height} needs about {need / 2**30:.0f} GiB but this machine "
                       f"has {have / 2**30:.0f} GiB: choose a smaller width and height")


def style_size(shape, width, height, scale):
    """``(w, h)`` of a style image of ``shape`` (H, W, ...) scaled so its longest side is ``scale`` times
    the longest side of a ``width`` x ``height`` output (aspect kept, at least 16 pixels a side)."""
    factor = scale * max(width, height) / max(shape[:2])
    w, h = (side * factor if math.isfinite(side * factor) and side * factor < 1e9 else 1e9  # far too big
            for side in (shape[1], shape[0]))  # anyway (check_styles refuses it): no OverflowError from round
    return max(16, round(w)), max(16, round(h))


def oversized_style(settings, style_shapes):
    """``(w, h, need, have)`` of the first style image that, scaled by ``settings.style_scale`` (at the final
    size, its largest), would not fit in this machine's memory; None if every one fits."""
    for shape in style_shapes:
        w, h = style_size(shape, settings.width, settings.height, settings.style_scale)
        need, have = estimate_peak_memory(w, h), total_memory_bytes()
        if need > have:
            return w, h, need, have
    return None


def check_styles(settings, style_shapes, label="style_scale"):
    """Raise NSTError, naming ``label`` and its value, if a style image scaled by ``settings.style_scale``
    (at the final size, its largest) would not fit in this machine's memory. ``style_shapes``: (H, W, ...)."""
    found = oversized_style(settings, style_shapes)
    if found is not None:
        w, h, need, have = found
        raise NSTError(f"{label} {settings.style_scale:g}: the style image would be {w}x{h} pixels and need "
                       f"about {need / 2**30:.0f} GiB, but this machine has {have / 2**30:.0f} GiB; "
                       f"choose a smaller {label}")


def peak_memory(settings, style_shapes=()):
    """Estimated peak bytes of a run: the output's optimisation or a (scaled) style's own pass, whichever is
    larger (the style's Gram matrices are computed in a graph of their own, before the optimisation)."""
    styles = [style_size(shape, settings.width, settings.height, settings.style_scale) for shape in style_shapes]
    return max([estimate_peak_memory(settings.width, settings.height, settings.style_loss)]
               + [estimate_peak_memory(w, h) for w, h in styles])
