"""The one optimisation engine: settings and images in, a picture out.

Used by notebooks 02, 04 (:func:`reconstruct`), 05 and 06 (:func:`transfer`), the ``nst`` command and the
demo (:func:`stylize`). One path, whatever the settings: check the inputs; plan the levels (coarse to
fine: :func:`nst_utils.settings.plan_levels`); for each level, the styles' Gram matrices in a graph of
their own, then the costs built from the lessons' cost functions (:mod:`nst_utils.costs`), then Adam
or L-BFGS on the pixels from the start image; every pass goes to a :class:`Recorder`, which keeps the
history, the snapshots and the best image and tells the caller through callbacks. The engine prints
nothing and writes no file: progress bars, live views and files belong to its callers.
Images are RGB uint8 ``(H, W, 3)`` outside this module.
"""
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, minimize

from . import colors
from ._tf import outside_graph, tf
from .costs import compute_content_cost, delay_gram_gradients, position_gram, region_gram, region_positions
from .costs import sliced_directions, sliced_style_cost, sorted_projections, style_cost_from_grams
from .costs import total_variation_cost
from .errors import NSTError, Terminated, check_number
from .images import check_rgb, read_image, resize
from .masks import layer_guide, resize_mask, uncovered
from .memory import check_image_size, check_styles, style_size
from .precision import resolve as resolve_precision
from .precision import session_config
from .settings import INITS, OPTIMIZERS, STYLE_LOSSES, Settings, plan_levels
from .vgg import load_vgg_model, read_network

#: L-BFGS works on the cost scaled so that its first step moves pixels by at most this much (0..255
#: scale): without it the result would depend on the cost's absolute size, not only on alpha/beta.
LBFGS_FIRST_STEP = 10.0
#: The colour a start without a photo is centred on (:func:`reconstruct`).
GREY = 127.5


# ----------------------------------------------------------------------------------------------------
# Checks: one line naming the argument, before anything is computed.

@dataclass
class Region:
    """A part of the photo painted with a painting of its own (spatial control, Gatys et al. 2017; notebook 07).

    ``mask``: float ``(H, W)`` in 0..1, 1 in the region (any size: brought to each level's; see
    :func:`nst_utils.masks.read_mask`); ``style``: the painting, RGB uint8; ``style_mask``: float ``(H_S, W_S)``
    in 0..1, the part of the painting whose statistics the region takes (None: all of it)."""

    mask: np.ndarray
    style: np.ndarray
    style_mask: np.ndarray = None


def check_regions(regions):
    """NSTError naming the region unless each is a :class:`Region` with a mask that is not 0 everywhere."""
    for i, region in enumerate(regions):
        if not isinstance(region, Region):
            raise NSTError(f"transfer: regions[{i}] is a {type(region).__name__}; give Region(mask, style)")
        check_rgb(f"regions[{i}].style", region.style)
        for name in ("mask", "style_mask"):
            mask = getattr(region, name)
            if mask is None and name == "style_mask":
                continue
            values = np.asarray(mask, np.float32)
            if values.ndim != 2 or 0 in values.shape or not np.isfinite(values).all():
                raise NSTError(f"transfer: regions[{i}].{name} has shape {values.shape}; give a 2-D array (H, W) "
                               f"of numbers in 0..1")
            if values.max() <= 0:
                raise NSTError(f"transfer: regions[{i}].{name} is 0 everywhere, so its region is empty; mark the "
                               f"region with 1 (or values in 0..1)")


def check_settings(settings, n_styles=1):
    """Raise NSTError for values a run cannot use (before anything is computed or written).

    Every number is checked against :data:`nst_utils.errors.LIMITS` (finite, in range: NaN and
    infinities are refused), the same table the ``nst`` command's options use."""
    check_image_size(settings.width, settings.height, settings.style_loss)  # includes the memory estimate
    numbers = ["iterations", "content_weight", "style_weight", "tv_weight", "style_scale", "noise_ratio",
               "seed", "save_every", "coarsest_side"]
    if settings.optimizer == "adam":
        numbers.append("learning_rate")
    if settings.levels is not None:
        numbers.append("levels")
    for name in numbers:
        check_number(name, getattr(settings, name))
    resolve_precision(settings.precision)  # NSTError for an unknown name
    if settings.optimizer not in OPTIMIZERS:
        raise NSTError(f"optimizer {settings.optimizer!r}: use 'adam' or 'lbfgs'")
    if settings.style_loss not in STYLE_LOSSES:
        raise NSTError(f"style loss {settings.style_loss!r}: use {' or '.join(map(repr, STYLE_LOSSES))}")
    if settings.preserve_colors not in (None, "luminance", "histogram"):
        raise NSTError(f"preserve-colors {settings.preserve_colors!r}: use 'luminance' or 'histogram'")
    weights = settings.style_blend_weights
    if weights is not None:
        if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
            raise NSTError(f"style_blend_weights {weights!r}: give a list of numbers, one per style image")
        if len(weights) != n_styles:
            raise NSTError(f"{len(weights)} style blend weight{'s' * (len(weights) != 1)} for {n_styles} style "
                           f"image{'s' * (n_styles != 1)}: give one per style")
        for weight in weights:
            check_number("style_blend_weights", weight, label="style blend weight")
        if sum(weights) <= 0:
            raise NSTError(f"style blend weights {list(weights)}: must not all be 0")


def check_init(init):
    """Raise NSTError unless ``init`` is a start by name (:data:`nst_utils.settings.INITS`), an image file's
    path (read when the run starts) or an RGB uint8 array."""
    if isinstance(init, np.ndarray):
        check_rgb("settings.init", init)
    elif not isinstance(init, (str, Path)):
        raise NSTError(f"settings.init is of type {type(init).__name__}; give one of {', '.join(map(repr, INITS))}, an "
                       f"image file's path or an RGB image (H, W, 3) of uint8")


def check_layers(settings):
    """Raise NSTError unless ``settings.content_layer`` and ``settings.style_layers`` name layers of the
    network ``settings.model`` (its weights read, no graph built) and every style layer's weight is a
    finite number of at least 0."""
    network = read_network(settings.model)
    names = [name for name, _, _ in network.layers]
    known = names + [f"{settings.pooling}pool{block}" for block in sorted({name[4] for name in names})]

    def unknown(label, layer):
        return NSTError(f"{label} {layer!r} is not a layer of {network.name.split(' (')[0]}; choose from "
                        f"{', '.join(names)}")

    if not isinstance(settings.content_layer, str) or settings.content_layer not in known:
        raise unknown("content_layer", settings.content_layer)
    pairs = settings.style_layers
    example = "give a list of (layer name, weight) pairs, e.g. [('conv1_1', 0.2), ('conv2_1', 0.2)]"
    if isinstance(pairs, (str, bytes, dict)) or not hasattr(pairs, "__iter__"):
        raise NSTError(f"style_layers {pairs!r}: {example}")
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise NSTError(f"style_layers: {pair!r} is no (layer name, weight) pair; {example}")
        if not isinstance(pair[0], str) or pair[0] not in known:
            raise unknown("style_layers:", pair[0])
        check_number("style_layer_weight", pair[1], label=f"style_layers: the weight of {pair[0]},")


# ----------------------------------------------------------------------------------------------------
# The record of a run.

class Recorder:
    """One run's record: the costs of every pass, snapshots, and the best image so far.

    ``history`` holds lists ``'iteration'``, ``'total'``, ``'content'``, ``'style'``, ``'tv'``,
    ``'seconds'``, ``'level'`` (one entry per recorded pass) and ``'snapshots'`` ``[(iteration, RGB)]``.
    ``on_pass(p)`` sees each recorded pass as a dict with those keys' values; ``on_snapshot(i, rgb)``
    each snapshot (every ``save_every`` iterations). ``to_rgb`` turns a network input into the RGB
    image it shows."""

    KEYS = ("total", "content", "style", "tv")

    def __init__(self, to_rgb, save_every=0, on_pass=None, on_snapshot=None):
        self.to_rgb, self.save_every = to_rgb, save_every
        self.on_pass, self.on_snapshot = on_pass, on_snapshot
        self.history = {"iteration": [], **{key: [] for key in self.KEYS}, "seconds": [], "level": [],
                        "snapshots": []}
        self.best_cost, self.best_image = float("inf"), None
        self.start = time.perf_counter()
        self.level = 0

    def record(self, image, values, iteration=None):
        """Log the costs ``values`` (a dict; a missing ``'tv'`` counts 0) of ``image`` (network input) at
        ``iteration`` (default: the next pass)."""
        history = self.history
        i = len(history["total"]) if iteration is None else iteration
        passed = {"iteration": i, **{key: float(values.get(key, 0.0)) for key in self.KEYS},
                  "seconds": time.perf_counter() - self.start, "level": self.level}
        for key, value in passed.items():
            history[key].append(value)
        self.consider(image, passed["total"])
        if self.save_every and i % self.save_every == 0:
            self.snapshot(i, image)
        if self.on_pass is not None:
            self.on_pass(passed)

    def consider(self, image, total):
        """Keep ``image`` as the best so far if its cost ``total`` is the lowest yet (NaN never is)."""
        if total < self.best_cost:
            self.best_cost, self.best_image = float(total), image

    def snapshot(self, i, image):
        """Keep ``image`` (network input) as iteration ``i``'s snapshot, and tell ``on_snapshot``."""
        rgb = self.to_rgb(image)
        self.history["snapshots"].append((i, rgb))
        if self.on_snapshot is not None:
            self.on_snapshot(i, rgb)


# ----------------------------------------------------------------------------------------------------
# The costs and the two optimisers.

def activations(settings, image, precision, fetch):
    """``sess.run(fetch(model))`` for an RGB image at its own size in the network ``settings`` names (model, pooling,
    calibration), from a private graph and session in ``precision``; ``fetch`` maps the model to tensors."""
    with tf.Graph().as_default(), tf.compat.v1.Session(config=session_config(precision)) as sess:
        model = load_vgg_model(settings.model, height=image.shape[0], width=image.shape[1],
                               pooling=settings.pooling, verbose=False, calibrated=settings.calibrated)
        model["input"].load(read_network(settings.model).preprocess(image), sess)
        return sess.run(fetch(model))


def style_statistics(settings, style, precision, mask=None):
    """The style statistics ``settings.style_loss`` compares, per style layer, of an RGB style image at its own
    size (:func:`activations`): ``{layer: position_gram}`` for ``'gram'``; for ``'sw'``, ``{layer: (directions,
    sorted projections)}`` (:func:`nst_utils.costs.sorted_projections`, one seed per layer). ``mask`` (float, the
    style's ``(H, W)``): of that part of the style only (guided Gram matrices, the positions of the region)."""
    layers = [layer for layer, _ in settings.style_layers]
    if settings.style_loss == "gram":
        gram = position_gram if mask is None else (lambda t: region_gram(t, mask))
        return activations(settings, style, precision, lambda model: {name: gram(model[name]) for name in layers})
    features = activations(settings, style, precision, lambda model: {name: model[name] for name in layers})
    statistics = {}
    for i, (layer, _) in enumerate(settings.style_layers):
        a = features[layer]
        F = a.reshape(-1, a.shape[-1])
        if mask is not None:
            F = F[region_positions(layer_guide(mask, *a.shape[1:3]))]
        directions = sliced_directions(F.shape[-1], seed=settings.seed + i)
        statistics[layer] = directions, sorted_projections(F, directions)
    return statistics


def build_costs(sess, model, settings, content_input, targets, regions=()):
    """``{'total', 'content', 'style', 'tv'}`` scalar tensors of ``model['input']``: the content cost at
    ``settings.content_layer`` against ``content_input`` (a network input; None: no content term), the
    style cost against ``targets`` ``[(blend weight, {layer: statistics})]`` (:func:`style_statistics`; see
    :func:`nst_utils.costs.style_cost_from_grams` and :func:`nst_utils.costs.sliced_style_cost`), the total
    variation, and their weighted sum. ``regions``: ``[(mask (h, w) at the input's size, targets)]``, each
    region's style cost on its own positions (guided), weighted by its share of the image; the positional
    ``targets`` then count where no region does (weighted by that share)."""
    zero = tf.constant(0.0)
    J_content = J_style = zero
    if content_input is not None:
        model["input"].load(content_input, sess)
        out = model[settings.content_layer]
        J_content = compute_content_cost(outside_graph(sess.run(out)), out)
    cost = style_cost_from_grams if settings.style_loss == "gram" else sliced_style_cost
    parts = [(None, targets)] if not regions else list(regions)
    if regions and targets:
        parts.append((uncovered([mask for mask, _ in regions]), targets))
    terms = []
    for mask, part_targets in parts:
        if not part_targets or (mask is not None and not mask.any()):
            continue
        if mask is None:
            terms.append(cost(model, part_targets, settings.style_layers))
            continue
        guides = {layer: layer_guide(mask, *model[layer].get_shape().as_list()[1:3])
                  for layer, _ in settings.style_layers}
        terms.append(float(mask.mean()) * cost(model, part_targets, settings.style_layers, guides))
    if terms:
        J_style = sum(terms[1:], terms[0])
    J_tv = total_variation_cost(model["input"])
    J = settings.content_weight * J_content + settings.style_weight * J_style
    if settings.tv_weight:
        J += settings.tv_weight * J_tv
    return {"total": J, "content": J_content, "style": J_style, "tv": J_tv}


def run_adam(sess, model, costs, start, iterations, learning_rate, recorder):
    """Adam on the pixels; every pass's costs go to ``recorder`` with the image they belong to. Returns the
    last step's image, which ``recorder`` also considers as its best (its cost is measured, not recorded as a
    pass): Adam's last image is not always its lowest-cost one."""
    x = model["input"]
    step = tf.compat.v1.train.AdamOptimizer(learning_rate).minimize(costs["total"], var_list=[x])
    delay_gram_gradients()
    sess.run(tf.compat.v1.variables_initializer([v for v in tf.compat.v1.global_variables() if v is not x]))
    x.load(start, sess)
    fetches = {key: costs[key] for key in ("total", "content", "style")}
    for _ in range(iterations):
        # TV with the image: with tv_weight 0 it is outside the step's cost, so nothing would order its
        # read of x before the update in the step's run
        image, tv = sess.run([x, costs["tv"]])
        _, values = sess.run([step, fetches])
        recorder.record(image, {**values, "tv": tv})
    final, total = sess.run([x, costs["total"]])
    recorder.consider(final, total)
    return final


def lbfgs(sess, costs, variable, start, passes, bounds=None, on_pass=None):
    """scipy's L-BFGS-B on the pixels of ``variable`` from ``start``, for ``passes`` forward+backward passes.

    ``costs``: a dict of scalar tensors whose ``'total'`` is minimised; its gradient comes from the same
    ``sess.run`` as the costs. ``bounds``: ``(low, high)`` arrays of the variable's shape (e.g.
    :meth:`Network.pixel_bounds`). ``on_pass(image, values)`` sees every evaluated image with its costs.
    Returns the lowest-cost image evaluated (the line search may end on a worse one).
    """
    grad = tf.gradients(costs["total"], variable)[0]
    delay_gram_gradients(grad.graph)
    shape = start.shape
    count, best, scale = [0], [np.inf, start], []
    if bounds is not None:
        low, high = (np.broadcast_to(b, shape) for b in bounds)
        start = np.clip(start, low, high)
        bounds = Bounds(low.ravel(), high.ravel())  # arrays: a list of pairs takes ~120 bytes per pixel

    def f(flat):
        if count[0] == passes:  # scipy may ask for a few passes more than maxfun
            raise _BudgetSpent
        count[0] += 1
        image = flat.reshape(shape).astype(np.float32)
        variable.load(image, sess)
        values, g = sess.run([costs, grad])
        total = float(values["total"])
        if total < best[0]:
            best[:] = total, image
        if on_pass is not None:
            on_pass(image, values)
        if not scale:  # L-BFGS-B's first step is the raw gradient: make it LBFGS_FIRST_STEP pixel levels
            scale.append(LBFGS_FIRST_STEP / max(float(np.abs(g).max()), 1e-12))
        return scale[0] * total, scale[0] * g.astype(np.float64).ravel()

    try:
        minimize(f, np.asarray(start, np.float64).ravel(), jac=True, method="L-BFGS-B", bounds=bounds,
                 options={"maxfun": passes, "maxiter": passes, "ftol": 0, "gtol": 0})
    except _BudgetSpent:
        pass
    return best[1]


class _BudgetSpent(Exception):
    """Raised inside the L-BFGS objective once the pass budget is used up."""


# ----------------------------------------------------------------------------------------------------
# A run: the images prepared once, then one optimisation per level.

@dataclass
class _Run:
    """What every level of a run uses: the settings, the network, the images at the final size."""

    settings: Settings
    network: object
    precision: object
    content: np.ndarray  # the photo as given (None: no content term)
    content_full: np.ndarray  # at the final size, as the run sees it (luminance only, with that transfer)
    styles: list
    blend: np.ndarray
    init: object  # "noise", "content" or an RGB image
    regions: list  # Region, their styles with the colour preservation applied

    def shown(self, image):
        """A network input as the result will look: with luminance transfer, in the photo's colours."""
        rgb = self.network.deprocess(image)
        if self.settings.preserve_colors == "luminance":
            rgb = colors.combine_luminance(rgb, resize(self.content, rgb.shape[1], rgb.shape[0]))
        return rgb


def _prepare(content, styles, settings, regions=()):
    """The :class:`_Run` of checked inputs: colour preservation applied, the start image read."""
    final_size = (settings.width, settings.height)
    content_full = None if content is None else resize(content, *final_size)
    photo = content_full  # in its own colours: what the styles are recoloured to

    def recolour(style):
        if settings.preserve_colors == "histogram":
            return colors.match_color_histogram(style, photo)
        if settings.preserve_colors == "luminance":
            return colors.luminance(style, like=photo)
        return style

    styles = [recolour(s) for s in styles]
    regions = [Region(r.mask, recolour(r.style), r.style_mask) for r in regions]
    if settings.preserve_colors == "luminance":
        content_full = colors.luminance(content_full)
    init = settings.init
    if isinstance(init, (str, Path)) and str(init) not in INITS:
        init = read_image(init)  # NSTError naming the file if it is not a readable image
    if isinstance(init, np.ndarray):
        check_rgb("settings.init", init)
        if settings.preserve_colors == "luminance":
            init = colors.luminance(init)
    blend = np.asarray(settings.style_blend_weights or [1.0] * len(styles), np.float64)
    return _Run(settings, read_network(settings.model), resolve_precision(settings.precision), content,
                content_full, styles, blend / blend.sum() if len(blend) else blend, init, regions)


def _start(run, w, h, previous, rng):
    """The network input a level starts from: the coarser level's result upsampled, else the start image,
    the photo, noise around mid-grey, or noise mixed with the photo (see :data:`nst_utils.settings.INITS`)."""
    network, settings = run.network, run.settings
    if previous is not None:
        return network.preprocess(resize(network.deprocess(previous), w, h))
    if isinstance(run.init, np.ndarray):
        return network.preprocess(resize(run.init, w, h))
    if run.init == "grey" or run.content_full is None:
        grey = network.preprocess(np.full((h, w, 3), GREY))
        return grey + settings.noise_ratio * rng.uniform(-20, 20, grey.shape).astype(np.float32)
    content_input = network.preprocess(resize(run.content_full, w, h))
    if run.init == "content":
        return content_input
    noise = rng.uniform(-20, 20, content_input.shape).astype(np.float32)
    return settings.noise_ratio * noise + (1 - settings.noise_ratio) * content_input


def _level(run, recorder, w, h, n, start):
    """One level's optimisation at ``w`` x ``h`` for ``n`` passes from ``start``: ``(image, diverged)``."""
    settings = run.settings
    targets = [(b, style_statistics(settings, scaled_style(s, w, h, settings.style_scale), run.precision))
               for s, b in zip(run.styles, run.blend)]
    regions = [(resize_mask(r.mask, w, h), [(1.0, _region_statistics(run, r, w, h))]) for r in run.regions]
    content_input = None if run.content_full is None else run.network.preprocess(resize(run.content_full, w, h))
    with tf.Graph().as_default(), tf.compat.v1.Session(config=session_config(run.precision)) as sess:
        tf.compat.v1.set_random_seed(settings.seed)
        model = load_vgg_model(settings.model, height=h, width=w, pooling=settings.pooling, verbose=False,
                               calibrated=settings.calibrated)
        costs = build_costs(sess, model, settings, content_input, targets, regions)
        if settings.optimizer == "lbfgs":
            bounds = run.network.pixel_bounds(start.shape)
            return lbfgs(sess, costs, model["input"], start, n, bounds, recorder.record), False
        final = run_adam(sess, model, costs, start, n, settings.learning_rate, recorder)
        if recorder.best_image is None:
            raise NSTError("the optimisation diverged (the image became NaN) before any cost was "
                           "finite; choose smaller weights or a smaller learning rate")
        return recorder.best_image, not np.isfinite(final).all()  # its lowest-cost image, the last included


def _region_statistics(run, region, w, h):
    """:func:`style_statistics` of a region's painting at a level of ``w`` x ``h`` (of its part in its mask)."""
    style = scaled_style(region.style, w, h, run.settings.style_scale)
    mask = None if region.style_mask is None else resize_mask(region.style_mask, style.shape[1], style.shape[0])
    return style_statistics(run.settings, style, run.precision, mask)


def scaled_style(style, width, height, scale):
    """The style image resized so its longest side is ``scale`` times the output's (aspect kept)."""
    w, h = style_size(style.shape, width, height, scale)
    check_image_size(w, h)
    return resize(style, w, h)


def _optimise(run, recorder):
    """Every level in turn: ``(image, stop, diverged)``; Ctrl-C (or SIGTERM...) stops it, and ``stop`` is
    that KeyboardInterrupt (None if the run went to its end)."""
    image, diverged = None, False
    rng = np.random.default_rng(run.settings.seed)
    try:
        for level, (w, h, n) in enumerate(plan_levels(run.settings)):
            recorder.level = level
            if image is not None:  # a finer level starts afresh, from the coarser level's result
                recorder.best_cost, recorder.best_image = float("inf"), image
            image, level_diverged = _level(run, recorder, w, h, n, _start(run, w, h, image, rng))
            diverged = diverged or level_diverged
    except KeyboardInterrupt as exc:
        return image, exc, diverged
    return image, None, diverged


def _finish(run, recorder, image, stop, diverged):
    """The result at the final size and the history (see :func:`transfer`). A stop that comes now (while the
    last snapshot is taken) is recorded, not raised: the picture is finished and must not be lost."""
    settings = run.settings
    interrupted = stop is not None
    picked = recorder.best_image if interrupted else image
    if not interrupted and settings.save_every:
        try:
            recorder.snapshot(len(recorder.history["total"]), image)
        except KeyboardInterrupt as exc:
            stop = exc
    while True:  # a few milliseconds of resizing: made again if a stop interrupts it
        try:
            result = _result(run, picked)
            break
        except KeyboardInterrupt as exc:
            stop = stop or exc
    history = recorder.history
    history.update(interrupted=interrupted, terminated=isinstance(stop, Terminated), diverged=diverged,
                   signal=None if stop is None else getattr(stop, "signum", int(signal.SIGINT)),
                   result_cost=recorder.best_cost if np.isfinite(recorder.best_cost) else None,
                   precision=run.precision.name)
    return result, history


def _result(run, picked):
    """RGB at the final size of the network input ``picked`` (None: the photo, or grey without one)."""
    settings = run.settings
    final_size = (settings.width, settings.height)
    # at the final size: an interrupted or diverged finer level's best may be a coarser level's result
    if picked is not None:
        result = resize(run.network.deprocess(picked), *final_size)
    else:
        result = run.content_full if run.content_full is not None else np.full((*final_size[::-1], 3), 128, np.uint8)
    if settings.preserve_colors == "luminance":
        result = colors.combine_luminance(result, resize(run.content, *final_size))
    return result


def _transfer(content, styles, settings, on_pass=None, on_snapshot=None, regions=()):
    """:func:`transfer` of checked inputs; ``content`` may be None (no content term) and ``styles`` empty."""
    run = _prepare(content, styles, settings, regions)
    recorder = Recorder(run.shown, settings.save_every, on_pass, on_snapshot)
    return _finish(run, recorder, *_optimise(run, recorder))


def transfer(content, styles, settings=None, on_pass=None, on_snapshot=None, regions=()):
    """Stylise RGB ``content`` with one or more RGB ``styles``; returns ``(RGB image, history)``.

    ``regions``: :class:`Region` s, each painted with its own style (spatial control, notebook 07); the
    ``styles`` then apply where no region does (``styles`` may be empty: there, the photo only).

    ``history`` is the :class:`Recorder`'s (per-pass costs, seconds, levels, snapshots) plus
    ``'interrupted'`` (stopped before its last pass), ``'terminated'`` (stopped by SIGTERM or SIGHUP:
    :class:`nst_utils.errors.Terminated`), ``'signal'`` (the number of the signal that stopped it, SIGINT for
    Ctrl-C; None if nothing did: a stop while the last snapshot is taken is recorded here, the run being
    complete),
    ``'diverged'`` (Adam's image became NaN: the lowest-cost image it passed is used instead),
    ``'result_cost'`` (the total cost of the image returned, at its level; None if stopped before a pass) and
    ``'precision'``, the one the run used (``'fp32'``, ``'bf16'`` or ``'fp16'``). ``on_pass`` and
    ``on_snapshot`` are the :class:`Recorder`'s callbacks (a progress bar, a live view, files).
    Adam's result is the lowest-cost image it passed, its last step's included; L-BFGS's its best.
    Ctrl-C stops the run and returns the best image so far (at the final size); stopped before the
    first pass, it returns the photo, and ``history['total']`` is empty.
    """
    settings = settings or Settings()
    if isinstance(styles, np.ndarray) and styles.ndim == 3:
        raise NSTError(f"transfer: styles is one image {styles.shape}; give a list of style images, e.g. [style]")
    styles, regions = list(styles), list(regions)
    check_rgb("content", content)
    if not styles and not regions:
        raise NSTError("transfer: styles is empty; give a list of one or more RGB style images (H, W, 3), or "
                       "regions")
    for i, style in enumerate(styles):
        check_rgb(f"styles[{i}]", style)
    check_regions(regions)
    check_settings(settings, len(styles))
    check_init(settings.init)
    check_layers(settings)
    check_styles(settings, [np.shape(s) for s in styles + [r.style for r in regions]])
    return _transfer(content, styles, settings, on_pass, on_snapshot, regions)


def stylize(content_path, style_path, settings=None, on_pass=None, on_snapshot=None):
    """:func:`transfer` of two image files (the demo's): ``(RGB image, history)``; ``settings`` default to
    the assignment's recipe at its size, 400x300."""
    return transfer(read_image(content_path), [read_image(style_path)], settings, on_pass, on_snapshot)


def reconstruct(content=None, style=None, width=200, height=150, max_evaluations=100, **settings):
    """Synthesise an image from white noise that matches only the content and/or the style of images.

    ``content``/``style``: RGB arrays (resized to ``width`` x ``height``) or None. L-BFGS for
    ``max_evaluations`` passes on the content cost at ``content_layer`` plus the style cost over
    ``style_layers`` (Gatys et al., Fig. 1), from noise around mid-grey; ``settings``: any other
    :class:`Settings` field (``content_layer``, ``style_layers``, ``calibrated``, ``seed``, ``model``).
    Returns ``(RGB uint8 image, list of costs)``. Introduced in notebooks 02 and 04.
    """
    chosen = Settings(width=width, height=height, optimizer="lbfgs", iterations=max_evaluations,
                      content_weight=1.0, style_weight=1.0, init="grey", noise_ratio=1.0, **settings)
    styles = [] if style is None else [resize(np.asarray(style, np.uint8), width, height)]
    check_settings(chosen, len(styles))
    check_layers(chosen)
    image, history = _transfer(None if content is None else np.asarray(content, np.uint8), styles, chosen)
    return image, history["total"]
