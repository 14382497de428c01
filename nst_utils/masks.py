"""Masks for spatial control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer"):
a mask read from any image, a photo split into regions without a painting program, and the ``nst-regions``
command that writes those regions as masks for ``nst --region`` (or to edit).

A mask is float32 ``(H, W)`` in 0..1 at the photo's size: 1 in the region, 0 outside, in between at soft
edges. Photos are RGB uint8 ``(H, W, 3)``, as :func:`nst_utils.images.read_image` gives them.

Nothing here imports TensorFlow: ``nst-regions`` answers in about a second.
"""
import argparse
import re
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.color import rgb2lab

from .errors import NSTError, check_number, limit_text, number_problem
from .files import Outputs, check_replaceable, error_reason, moved_into_place, same_file, temp_beside
from .images import check_rgb, read_alpha, read_image
from .stops import signals_as_interrupt, stop_code, stopped

#: A mask with nothing brighter (grey level 1 of 255, a JPEG's black, rounded) is black: its region is empty.
EMPTY = 1.5 / 255

#: The smallest region, in pixels: 8x8, one unit of the network's conv4/conv5 layers (1/8 and 1/16 of the
#: photo's size); a smaller region barely reaches the deep style layers.
MIN_REGION_PIXELS = 64

#: The longest side of the copy :func:`split` clusters (a few thousand pixels: fast, and regions, not texture).
SPLIT_SIDE = 128

#: How much position counts in :func:`split`: CIELAB units (L runs 0..100) per the photo's longest side. Colour
#: decides, position keeps a region in one piece: two pixels of one colour at opposite corners are as far
#: apart as two pixels side by side that differ by this much in colour.
POSITION_WEIGHT = 20

#: Pieces of a region smaller than this share of the photo join the region around them (unless a piece is
#: all its region has): no speckles.
MIN_PIECE = 0.01

#: Names for :func:`describe`'s colours, by their sRGB values; the nearest in CIELAB names a colour.
COLOUR_NAMES = {
    "black": (0, 0, 0), "dark grey": (70, 70, 70), "grey": (128, 128, 128), "light grey": (190, 190, 190),
    "white": (255, 255, 255), "red": (200, 35, 35), "dark red": (110, 20, 20), "pink": (235, 150, 180),
    "orange": (235, 130, 35), "rust": (180, 85, 45), "tan": (175, 135, 95), "brown": (120, 75, 40),
    "dark brown": (65, 40, 25), "beige": (220, 200, 165), "yellow": (235, 215, 50), "olive": (120, 120, 40),
    "green": (50, 150, 50), "dark green": (25, 70, 35), "teal": (30, 125, 125), "light blue": (150, 190, 230),
    "blue": (40, 90, 200), "grey blue": (95, 110, 140), "dark blue": (35, 50, 95), "navy": (15, 20, 65),
    "purple": (115, 50, 145),
}


def read_mask(path, width, height):
    """The mask in the image file ``path`` (any size and mode) as float32 ``(height, width)`` in 0..1.

    White is the region, black outside it, grey partly in it: the luminance (Y = 0.299 R + 0.587 G +
    0.114 B) of an opaque image. An image with transparency is a cut-out: its opacity (alpha) is the mask
    and its colours do not count, so a photo with its background removed marks the part kept. Resized with
    antialiasing (bilinear: no overshoot at hard edges). Unreadable files get the photos' one-line
    NSTError (:func:`nst_utils.images.read_image`); so does a mask that is black (or transparent) everywhere
    (:data:`EMPTY`).
    """
    alpha = read_alpha(path)
    if alpha is not None:
        grey = alpha.astype(np.float32) / 255
    else:
        grey = read_image(path).astype(np.float32) @ np.float32([0.299, 0.587, 0.114]) / 255
    mask = resize_mask(grey, width, height)
    if mask.max() < EMPTY:
        raise NSTError(f"{path}: the mask is black (or transparent) everywhere, so its region is empty; paint the "
                       f"region white (grey for partly) on black")
    return mask


def resize_mask(mask, width, height):
    """``mask`` ``(H, W)`` as float32 ``(height, width)`` in 0..1, resized bilinearly (no overshoot at hard
    edges; the engine brings a mask to each level's size with it)."""
    mask = np.asarray(mask, np.float32)
    if mask.shape != (height, width):
        mask = np.asarray(Image.fromarray(mask, "F").resize((width, height), Image.BILINEAR))
    return np.clip(mask, 0, 1)


def uncovered(masks):
    """Where no mask is: ``1 - sum(masks)``, clipped to 0..1 (the part the positional styles paint)."""
    return np.clip(1 - sum(masks), 0, 1)


def layer_guide(mask, n_H, n_W):
    """A region's guide at a layer of ``(n_H, n_W)`` positions: ``mask`` ``(H, W)`` averaged over the pixels each
    position covers, i.e. the share of its pixels in the region. Of the three guides of Gatys et al.'s reference
    (downsampled; every unit touching the region; only the units inside it), this is the downsampled one: a unit
    on an edge counts in part, as it sees both sides, and soft edges stay soft; the cost divides by the guide's
    mass, so a region's statistics do not depend on its size."""
    return np.asarray(Image.fromarray(np.asarray(mask, np.float32), "F").resize((n_W, n_H), Image.BOX))


def split(photo, k, seed=0):
    """``k`` float32 masks ``(H, W)`` that split ``photo`` into regions of similar colour, ordered top to
    bottom by their centres of mass (a landscape's sky first; left to right on a tie); at every pixel they
    sum to 1.

    k-means (k-means++ starts, the best of 4) on CIELAB colour and position (:data:`POSITION_WEIGHT`) on a
    copy of :data:`SPLIT_SIDE` pixels, slightly blurred; pieces below :data:`MIN_PIECE` of the photo join
    their surroundings; the edges are softened over about one pixel of that copy. The same ``seed`` gives
    the same masks.
    """
    check_rgb("photo", photo, "split")
    height, width = photo.shape[:2]
    k = _check_regions(k, height, width, f"split: the photo ({width}x{height} pixels)")
    scale = min(1.0, SPLIT_SIDE / max(height, width))
    small = Image.fromarray(photo).resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.BOX)
    lab = ndimage.gaussian_filter(rgb2lab(np.asarray(small)), sigma=(1, 1, 0))
    h, w = lab.shape[:2]
    rows, cols = np.mgrid[:h, :w] * (POSITION_WEIGHT / max(h, w))
    features = np.column_stack([lab.reshape(-1, 3), rows.ravel(), cols.ravel()])
    labels = _kmeans(features, k, np.random.default_rng(seed)).reshape(h, w)
    labels = _merge_pieces(labels, k, max(1, round(MIN_PIECE * h * w)))
    soft = [ndimage.gaussian_filter((labels == j).astype(np.float32), 0.7) for j in range(k)]
    masks = np.stack([np.asarray(Image.fromarray(m, "F").resize((width, height), Image.BILINEAR)) for m in soft])
    masks = np.clip(masks, 0, None)
    masks /= masks.sum(axis=0)
    centres = [ndimage.center_of_mass(m) for m in masks]
    return [masks[j] for j in sorted(range(k), key=lambda j: centres[j])]


def _kmeans(x, k, rng, starts=4, steps=100):
    """The labels ``(N,)`` of the best (least squared distance) of ``starts`` k-means runs on points ``x``."""
    best, best_cost = None, np.inf
    for _ in range(starts):
        centres = x[[rng.integers(len(x))]]
        for _ in range(k - 1):  # k-means++: far points are likelier starts
            d = ((x[:, None] - centres[None]) ** 2).sum(-1).min(1)
            centres = np.vstack([centres, x[rng.choice(len(x), p=d / d.sum())]])
        for _ in range(steps):
            d = ((x[:, None] - centres[None]) ** 2).sum(-1)
            labels = d.argmin(1)
            # a centre left without points moves to the point farthest from its own centre
            new = np.array([x[labels == j].mean(0) if (labels == j).any() else x[d.min(1).argmax()]
                            for j in range(k)])
            if np.array_equal(new, centres):
                break
            centres = new
        cost = d.min(1).sum()
        if cost < best_cost:
            best, best_cost = labels, cost
    return best


def _merge_pieces(labels, k, min_size):
    """``labels`` ``(h, w)`` with each region's pieces below ``min_size`` pixels given to the nearest region
    kept; a region's largest piece is always kept, so all ``k`` regions remain."""
    keep = np.zeros(labels.shape, bool)
    for j in range(k):
        pieces, _ = ndimage.label(labels == j)
        sizes = np.bincount(pieces.ravel())[1:]
        keep |= np.isin(pieces, 1 + np.flatnonzero((sizes >= min_size) | (sizes == sizes.max())))
    nearest = ndimage.distance_transform_edt(~keep, return_distances=False, return_indices=True)
    return labels[tuple(nearest)]


def describe(photo, masks):
    """One phrase per mask: its share of ``photo`` and its mean colour, named and in hex, e.g.
    ``'62 % of the photo, mean colour navy (#1d2b4f)'``."""
    check_rgb("photo", photo, "describe")
    names = list(COLOUR_NAMES)
    palette = rgb2lab(np.uint8([list(COLOUR_NAMES.values())]))[0]
    phrases = []
    for mask in masks:
        mass = float(np.sum(mask))
        mean = np.uint8(np.rint(np.tensordot(mask, photo, 2) / mass)) if mass else np.uint8([0, 0, 0])
        name = names[int(np.argmin(((palette - rgb2lab(mean[None, None])[0, 0]) ** 2).sum(1)))]
        phrases.append(f"{100 * mass / mask.size:.0f} % of the photo, mean colour {name} "
                       f"(#{mean[0]:02x}{mean[1]:02x}{mean[2]:02x})")
    return phrases


def save_mask(path, mask):
    """Write ``mask`` (``(H, W)`` in 0..1) as an 8-bit greyscale PNG, whole or not at all."""
    path = Path(path)
    grey = np.uint8(np.rint(np.clip(mask, 0, 1) * 255))
    try:
        with moved_into_place(temp_beside(path, ".png"), path) as tmp:
            Image.fromarray(grey, "L").save(tmp, format="PNG")
    except OSError as exc:
        raise NSTError(f"{path}: cannot write the mask ({error_reason(exc)}); choose another folder") from None
    return path


def _check_regions(k, height, width, name):
    """``k`` as an int, or NSTError naming ``name`` if it is no valid number of regions for a photo this size."""
    k = int(check_number("regions", k, "k"))
    most = height * width // MIN_REGION_PIXELS
    if k > most:
        fewer = f"at most {most} regions" if most >= 2 else "a larger photo"
        raise NSTError(f"{name} is too small for {k} regions, which need {MIN_REGION_PIXELS} pixels (8x8) each to "
                       f"count at the network's deep layers; give {fewer}")
    return k


# ----------------------------------------------------------------------------------------------------
# The nst-regions command.

class _Parser(argparse.ArgumentParser):
    """Bad options in one line, as the ``nst`` command's parser (:class:`nst_utils.cli.OneLineParser`, which
    names ``nst``; not imported: the ``nst`` run reads masks from here, and importing back would be a cycle)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _regions(text):
    """The argparse type of ``--k``: a whole number in :data:`nst_utils.errors.LIMITS`' ``'regions'`` range."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {limit_text('regions')}") from None
    problem = number_problem("regions", value)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text!r} {problem}")
    return int(value)


def parser():
    """The command's options: the photo, ``--k`` and the output folder."""
    p = _Parser(prog="nst-regions", description="Split a photo into regions of similar colour (k-means on colour and "
                "position) and write one mask per region: white is the region. Give each a painting with nst "
                "--region, or edit them in any painting program first.")
    p.add_argument("photo", type=Path, metavar="PHOTO", help="the photo (PNG, JPEG, ...)")
    p.add_argument("--k", type=_regions, default=2, help=f"how many regions: {limit_text('regions')} (default "
                                                         f"%(default)s)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FOLDER",
                   help="the folder for the masks, PHOTONAME_region1.png ... (created if missing; masks of the same "
                        "names there are replaced, and those of an earlier split into more regions removed)")
    return p


def main(argv=None):
    """The ``nst-regions`` command; returns its exit code: 0, or 1 with one line on stderr for a bad file or
    value, as ``nst`` (bad options exit with 2 at once, as argparse does)."""
    args = parser().parse_args(argv)
    outputs = Outputs()
    try:
        with signals_as_interrupt():
            usage = _write_regions(args.photo, args.k, args.output, outputs)
    except NSTError as exc:
        print(f"nst-regions: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # anything the checks did not foresee: still one line
        name = f"{exc.filename}: " if exc.filename else ""
        print(f"nst-regions: error: {name}{error_reason(exc)}; check the path and its permissions", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print(f"nst-regions: {stopped(exc)}; the masks listed above are whole, no other was written", file=sys.stderr)
        return stop_code(exc)
    finally:
        outputs.remove_empty_folders()
    print(usage)
    return 0


def _write_regions(photo_path, k, folder, outputs):
    """Check the photo and the masks' names, split, write each mask and print its line; returns the usage line."""
    photo = read_image(photo_path)
    height, width = photo.shape[:2]
    k = _check_regions(k, height, width, f"{photo_path}: the photo ({width}x{height} pixels)")
    # never the photo: the masks' names add _regionN to its name, and a rename replaces a link, not its target
    paths = [folder / f"{photo_path.stem}_region{j}.png" for j in range(1, k + 1)]
    outputs.folder(folder, "masks")
    for path in paths:
        outputs.file(path, "mask", width * height + 4096)
    stale = _earlier_masks(folder, photo_path, k)  # an earlier split's regions k+1, ...: they would mislead
    for path in stale:
        check_replaceable(path, "masks")
    outputs.check_space()
    masks = split(photo, k)
    for path, mask, phrase in zip(paths, masks, describe(photo, masks)):
        save_mask(path, mask)
        print(f"{path}: {phrase}", flush=True)
    for path in stale:
        path.unlink()
        print(f"{path}: removed, left from an earlier split into more regions", flush=True)
    regions = " ".join(f"--region {shlex.quote(str(path))} STYLE{j}.jpg" for j, path in enumerate(paths, 1))
    return f"use them: {_nst_command()} {shlex.quote(str(photo_path))} -o out.png {regions}"


def _nst_command():
    """``nst`` as the user can type it: the name if the shell finds it, else the path of the ``nst`` beside this
    command as it was run (``.venv/bin/nst`` after ``.venv/bin/nst-regions``)."""
    beside = Path(sys.argv[0]).with_name("nst")
    found = shutil.which("nst")
    if beside.is_file() and not (found and Path(found).resolve() == beside.resolve()):
        return shlex.quote(str(beside))
    return "nst"


def _earlier_masks(folder, photo_path, k):
    """The masks ``PHOTONAME_regionN.png`` in ``folder`` with N above ``k`` (never the photo itself)."""
    pattern = re.compile(re.escape(photo_path.stem) + r"_region(\d+)\.png")
    found = [] if not folder.is_dir() else [path for path in folder.iterdir()
                                            if (m := pattern.fullmatch(path.name)) and int(m.group(1)) > k]
    return sorted((path for path in found if not same_file(path, photo_path)), key=lambda path: path.name)


if __name__ == "__main__":
    sys.exit(main())
