"""A calibrated VGG: every layer's mean activation brought to the same value (Gatys et al. 2015).

Introduced in notebook 04. A pretrained network's layers work at very different scales: in the
bundled VGG-16 the mean ReLU output is 29 at ``conv1_2`` and 0.47 at ``conv5_1``. A layer's style
cost grows like the fourth power of that scale, so with equal layer weights the deep layers would
count a million times less than the shallow ones. Gatys et al. rescaled VGG so that the mean
activation of each filter over images and positions is the same; here each *layer* is rescaled
(per-filter factors blow up filters that almost never fire).

Multiplying layer ``l``'s kernel and bias by ``c_l / c_(l-1)`` multiplies its ReLU output by ``c_l``
(ReLU and pooling commute with positive factors), so the calibrated network computes the same
function as the raw one up to one factor per layer: ``calibrated[l] == c_l * raw[l]``. The factors
``c_l = TARGET_MEAN / mean_l`` come from :data:`CALIBRATION_IMAGES` with average pooling; those of
the bundled network are stored in ``calibration.json`` (``scripts/make_calibration.py``), keyed by
the weight file's SHA-256; any other weight file is calibrated on first use and its factors cached
in ``CONFIG.CALIBRATION_CACHE``.
"""
import dataclasses
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

from ._tf import tf
from .config import CONFIG
from .files import moved_into_place, temp_beside
from .images import load_image
from .network import build_graph

#: The mean ReLU activation of every calibrated layer over the calibration images. With it the
#: assignment's recipe (Adam 2.0, 200 iterations, alpha 10, beta 40) balances style and content.
TARGET_MEAN = 1.0
#: The fixed, documented image set the factors are measured on: the eight bundled images, 400x300.
CALIBRATION_IMAGES = tuple(f"content/{n}.jpg" for n in ("astronaut", "chelsea", "coffee", "rocket")) + \
    tuple(f"style/{n}.jpg" for n in ("brush_strokes", "colour_fields", "ink_waves", "mosaic"))
STORED = Path(__file__).with_name("calibration.json")


def file_checksum(path):
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def layer_means(network, images=None):
    """``{layer: mean ReLU output}`` of the raw ``network`` over RGB ``images`` (default: the
    calibration images), averaged over images, positions and filters; average pooling."""
    if images is None:
        images = [load_image(CONFIG.IMG_DIR / name) for name in CALIBRATION_IMAGES]
    names = [name for name, _, _ in network.layers]
    sums = dict.fromkeys(names, 0.0)
    graphs = {}  # one graph per image size
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        for image in images:
            size = np.shape(image)[:2]
            if size not in graphs:
                model = build_graph(network, *size, "avg")
                graphs[size] = model["input"], {name: tf.reduce_mean(model[name]) for name in names}
            x, mean_of = graphs[size]
            x.load(network.preprocess(image), sess)
            means = sess.run(mean_of)
            for name in names:
                sums[name] += float(means[name]) / len(images)
    return sums


def factors_from_means(means, target=TARGET_MEAN):
    """``{layer: c_l}`` that bring each layer's mean activation to ``target``."""
    return {name: target / max(mean, 1e-12) for name, mean in means.items()}


def apply_factors(network, factors):
    """The :class:`~nst_utils.network.Network` whose layer ``l`` outputs ``factors[l]`` times the raw one."""
    layers, previous = [], 1.0
    for name, kernel, bias in network.layers:
        c = factors[name]
        layers.append((name, (kernel * np.float32(c / previous)).astype(np.float32),
                       (bias * np.float32(c)).astype(np.float32)))
        previous = c
    return dataclasses.replace(network, layers=tuple(layers), factors=dict(factors))


#: The largest factor :func:`factors_from_means` makes (a layer that never fires); a cached one above it,
#: or one that is not a positive finite number, is damage.
MAX_FACTOR = TARGET_MEAN / 1e-12


def _read_json(path):
    """The JSON object (a dict) at ``path``; {} if it is missing, unreadable, no JSON or not an object."""
    return _load(path)[0]


def _load(path):
    """``(object, problem)``: the JSON object at ``path`` ({} if there is none) and why the file, which is
    there, could not be used (None if it could, or is missing)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, f"it cannot be read ({getattr(exc, 'strerror', None) or exc})"
    try:
        data = json.loads(text)
    except ValueError:
        return {}, "it is not JSON"
    if not isinstance(data, dict):
        return {}, f"it holds a JSON {type(data).__name__}, not an object"
    return data, None


def entry_problem(entry, network):
    """Why a stored calibration ``entry`` cannot be used for ``network`` (one phrase), or None if it can:
    an object with this target and one positive, finite, plausible factor for each of the network's layers."""
    if not isinstance(entry, dict):
        return f"the entry is a {type(entry).__name__}, not an object"
    if entry.get("target") != TARGET_MEAN:
        return f"its target is {entry.get('target')!r}, not {TARGET_MEAN}"
    factors, means = entry.get("factors"), entry.get("means")
    for key, value in (("factors", factors), ("means", means)):
        if not isinstance(value, dict):
            return f"its {key} are a {type(value).__name__}, not an object"
    names = [name for name, _, _ in network.layers]
    for name in names:
        value, mean = factors.get(name), means.get(name)
        for what, number in (("factor", value), ("mean", mean)):
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                return f"no {what} for {name}" if number is None else f"the {what} of {name} is {number!r}"
        if not (0 < value <= MAX_FACTOR):  # NaN fails this too
            return f"the factor of {name} is {value!r}, not a positive number up to {MAX_FACTOR:g}"
        if not math.isclose(value, factors_from_means({name: mean})[name], rel_tol=1e-6):  # NaN: not close
            return f"the factor of {name}, {value!r}, is not the one its mean {mean!r} gives"
    extra = sorted(set(factors) - set(names))
    return f"it has factors for layers the network does not have ({', '.join(map(str, extra))})" if extra else None


def stored_factors(network):
    """The calibration factors of ``network``'s weight file: stored, cached, or measured now (then cached).
    A stored or cached entry that does not validate (:func:`entry_problem`) is ignored, and said so."""
    checksum = file_checksum(network.path)
    why = "once"
    for source in (STORED, CONFIG.CALIBRATION_CACHE):
        data, problem = _load(source)
        entry = data.get(checksum)
        if entry is not None:
            problem = entry_problem(entry, network)
            if problem is None:
                return {name: float(entry["factors"][name]) for name, _, _ in network.layers}
            problem = f"its entry for this network is not valid: {problem}"
        if problem is not None:
            why = f"again: {source} was ignored, {problem}"
    print(f"Calibrating {network.name} on the {len(CALIBRATION_IMAGES)} bundled images ({why}; cached in "
          f"{CONFIG.CALIBRATION_CACHE}) ...", file=sys.stderr, flush=True)
    entry = record(network, checksum)
    _write_cache(CONFIG.CALIBRATION_CACHE, checksum, entry)
    return entry["factors"]


def record(network, checksum=None):
    """The stored form of ``network``'s calibration: ``{'source', 'images', 'target', 'means', 'factors'}``."""
    means = layer_means(network)
    return {"source": network.name, "file": network.path.name, "sha256": checksum or file_checksum(network.path),
            "images": list(CALIBRATION_IMAGES), "pooling": "avg", "target": TARGET_MEAN,
            "means": means, "factors": factors_from_means(means)}


def _write_cache(path, checksum, entry):
    """Add ``entry`` to the JSON cache at ``path`` atomically; a cache that cannot be written is skipped."""
    path = Path(path)
    data = _read_json(path)
    data[checksum] = entry
    try:  # a full disk, say: no half-written cache is left behind (nst_utils.files)
        path.parent.mkdir(parents=True, exist_ok=True)
        with moved_into_place(temp_beside(path, ".part"), path) as tmp, open(tmp, "w") as f:
            json.dump(data, f, indent=1)
    except OSError:
        pass  # the factors are still used for this run; the next run measures them again

