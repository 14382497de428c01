"""Style transfer beyond the assignment's recipe: L-BFGS, total variation, colour preservation,
several styles, style scale, coarse-to-fine high resolution, progress, snapshots and Ctrl-C.

Used by the ``nst`` command and notebook 06. Images are RGB uint8 ``(H, W, 3)`` outside this module.
The style cost compares Gram matrices divided by their number of positions, so that a style image
of another size (``style_scale``) can be compared with the generated image; for equal sizes this is
exactly the assignment's ``compute_layer_style_cost``.
"""
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from . import colors
from ._tf import outside_graph, tf
from .costs import CONTENT_LAYER, STYLE_LAYERS, activation_gram, compute_content_cost, delay_gram_gradients
from .costs import total_variation_cost
from .errors import NSTError, Terminated, check_number
from .files import moved_into_place, remove_stale_snapshots, temp_beside
from .images import check_image_size, estimate_peak_memory, read_image, save_image
from .images import total_memory_bytes
from .optimize import lbfgs
from .precision import resolve as resolve_precision
from .precision import session_config
from .vgg import load_vgg_model, read_network

#: Coarse-to-fine: halve the size while the longest side exceeds this.
COARSEST_SIDE = 700
#: Building and optimising a level's graph before its first pass (measured: 4 to 7 s on 2 cores).
SETUP_SECONDS = 6.0


@dataclass
class Settings:
    """Everything a run needs besides the images; defaults are the assignment's recipe."""

    width: int = 400
    height: int = 300
    iterations: int = 200  # forward+backward passes at the coarsest level
    optimizer: str = "adam"  # or "lbfgs"
    learning_rate: float = 2.0  # Adam only
    content_weight: float = 10.0  # alpha
    style_weight: float = 40.0  # beta
    tv_weight: float = 0.0
    style_blend_weights: list = None  # one weight per style image (normalised to sum 1)
    style_scale: float = 1.0  # style image's longest side relative to the output's
    preserve_colors: str = None  # None, "luminance" or "histogram"
    init: str = "noise"  # "noise", "content" or an image file
    noise_ratio: float = 0.6
    seed: int = 0
    content_layer: str = CONTENT_LAYER
    style_layers: list = field(default_factory=lambda: list(STYLE_LAYERS))
    pooling: str = "avg"
    levels: int = None  # coarse-to-fine levels; None: as many as needed to start at <= COARSEST_SIDE
    save_every: int = 0  # keep (and save, with save_dir) an image every N iterations
    save_dir: Path = None  # its NNNN.png from an earlier run are removed once this run saved its own
    model: str = None  # weight file; None: the usual search (see vgg.find_weights)
    calibrated: bool = True  # every layer at the same mean activation (see nst_utils.calibration)
    precision: str = "auto"  # "auto", "fp32" or "bf16" (see nst_utils.precision)
    progress: bool = True


def plan_levels(settings):
    """``[(width, height, iterations), ...]``, coarsest first: each level doubles the size and gets a
    quarter of the previous level's iterations (at least 10), since it starts from a good image."""
    w, h = settings.width, settings.height
    sizes = [(w, h)]
    count = settings.levels
    while (count is None and max(sizes[0]) > COARSEST_SIDE) or (count is not None and len(sizes) < count):
        w, h = sizes[0]
        if min(w, h) < 64:
            break
        sizes.insert(0, (max(1, round(w / 2)), max(1, round(h / 2))))
    iterations = [settings.iterations]
    for _ in sizes[1:]:
        iterations.append(max(10, iterations[-1] // 4))
    return [(w, h, n) for (w, h), n in zip(sizes, iterations)]


#: TensorFlow's type for each precision's arithmetic (see nst_utils.precision).
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def matmul_timer(n=1024, precision="fp32"):
    """A function that runs one ``n x n`` matmul in ``precision`` (``fp32``, ``bf16`` or ``fp16``; own
    graph and session) and returns its GFLOP/s; its ``close()`` closes the session."""
    graph = tf.Graph()
    with graph.as_default():
        a = tf.Variable(tf.cast(tf.random.normal([n, n], seed=1), DTYPES[precision]))
        product = tf.reduce_sum(tf.cast(tf.matmul(a, a), tf.float32))
    sess = tf.compat.v1.Session(graph=graph)
    sess.run(a.initializer)
    sess.run(product)

    def run():
        start = time.perf_counter()
        sess.run(product)
        return 2 * n**3 / (time.perf_counter() - start) / 1e9

    run.close = sess.close
    return run


def matmul_gflops(n=1024, repeats=3, precision="fp32"):
    """This machine's matmul rate in ``precision`` (the best of ``repeats``), measured in about a second."""
    timer = matmul_timer(n, precision)
    try:
        return max(timer() for _ in range(repeats))
    finally:
        timer.close()


def gflop_per_iteration(network, width, height, layers):
    """Convolution GFLOP of one forward + input-gradient pass up to the deepest of ``layers``."""
    deepest, total, h, w, block = max(layers), 0, height, width, 1
    for name, kernel, _ in network.layers:
        if name > deepest:
            break
        if int(name[4]) != block:
            block, h, w = int(name[4]), -(-h // 2), -(-w // 2)
        total += 2 * h * w * int(np.prod(kernel.shape))
    return 2 * total / 1e9


def estimate(settings, efficiency=0.85, style_shapes=()):
    """``(seconds, peak bytes)`` estimated for a run, from this machine's matmul rate measured in the run's
    precision; the memory counts the style images (``style_shapes``, (H, W, ...) each) at their scaled
    size too."""
    network = read_network(settings.model)
    layers = [settings.content_layer] + [name for name, _ in settings.style_layers]
    rate = efficiency * matmul_gflops(precision=resolve_precision(settings.precision).name)
    seconds = sum(SETUP_SECONDS + n * gflop_per_iteration(network, w, h, layers) / rate
                  for w, h, n in plan_levels(settings))
    return seconds, peak_memory(settings, style_shapes)


def check_settings(settings, n_styles=1):
    """Raise NSTError for values a run cannot use (before anything is computed or written).

    Every number is checked against :data:`nst_utils.errors.LIMITS` (finite, in range: NaN and
    infinities are refused), the same table the ``nst`` command's options use."""
    check_image_size(settings.width, settings.height)  # includes the memory estimate
    numbers = ["iterations", "content_weight", "style_weight", "tv_weight", "style_scale", "noise_ratio",
               "seed", "save_every"]
    if settings.optimizer == "adam":
        numbers.append("learning_rate")
    if settings.levels is not None:
        numbers.append("levels")
    for name in numbers:
        check_number(name, getattr(settings, name))
    resolve_precision(settings.precision)  # NSTError for an unknown name
    if settings.optimizer not in ("adam", "lbfgs"):
        raise NSTError(f"optimizer {settings.optimizer!r}: use 'adam' or 'lbfgs'")
    if settings.preserve_colors not in (None, "luminance", "histogram"):
        raise NSTError(f"preserve-colors {settings.preserve_colors!r}: use 'luminance' or 'histogram'")
    weights = settings.style_blend_weights
    if weights is not None:
        if len(weights) != n_styles:
            raise NSTError(f"{len(weights)} style blend weight{'s' * (len(weights) != 1)} for {n_styles} style "
                           f"image{'s' * (n_styles != 1)}: give one per style")
        for weight in weights:
            check_number("style_blend_weights", weight, label="style blend weight")
        if sum(weights) <= 0:
            raise NSTError(f"style blend weights {list(weights)}: must not all be 0")


def style_size(shape, width, height, scale):
    """``(w, h)`` of a style image of ``shape`` (H, W, ...) scaled so its longest side is ``scale`` times
    the longest side of a ``width`` x ``height`` output (aspect kept, at least 16 pixels a side)."""
    factor = scale * max(width, height) / max(shape[:2])
    w, h = (side * factor if math.isfinite(side * factor) and side * factor < 1e9 else 1e9  # far too big
            for side in (shape[1], shape[0]))  # anyway (check_styles refuses it): no OverflowError from round
    return max(16, round(w)), max(16, round(h))


def check_rgb(name, image):
    """Raise NSTError unless ``image`` is an RGB uint8 array ``(H, W, 3)``, as ``read_image`` returns."""
    shape, dtype = np.shape(image), getattr(image, "dtype", None)
    if len(shape) != 3 or shape[2] != 3 or 0 in shape or dtype != np.uint8:
        raise NSTError(f"transfer: {name} is an array of shape {shape} and dtype {dtype}; give an RGB image "
                       f"(H, W, 3) of uint8, e.g. nst.read_image(path)")


def check_styles(settings, style_shapes, label="style_scale"):
    """Raise NSTError, naming ``label`` and its value, if a style image scaled by ``settings.style_scale``
    (at the final size, its largest) would not fit in this machine's memory. ``style_shapes``: (H, W, ...)."""
    for shape in style_shapes:
        w, h = style_size(shape, settings.width, settings.height, settings.style_scale)
        need, have = estimate_peak_memory(w, h), total_memory_bytes()
        if need > have:
            raise NSTError(f"{label} {settings.style_scale:g}: the style image would be {w}x{h} pixels and need "
                           f"about {need / 2**30:.0f} GiB, but this machine has {have / 2**30:.0f} GiB; "
                           f"choose a smaller {label}")


def peak_memory(settings, style_shapes=()):
    """Estimated peak bytes of a run: the output's optimisation or a (scaled) style's own pass, whichever is
    larger (the style's Gram matrices are computed in a graph of their own, before the optimisation)."""
    sizes = [(settings.width, settings.height)]
    sizes += [style_size(shape, settings.width, settings.height, settings.style_scale) for shape in style_shapes]
    return max(estimate_peak_memory(w, h) for w, h in sizes)


def resize(image, width, height):
    """RGB uint8 image resized to ``width`` x ``height`` (Lanczos)."""
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


def scaled_style(style, width, height, scale):
    """The style image resized so its longest side is ``scale`` times the output's (aspect kept)."""
    w, h = style_size(style.shape, width, height, scale)
    check_image_size(w, h)
    return resize(style, w, h)


def style_grams(network_path, style, layers, pooling="avg", calibrated=True, precision="fp32"):
    """``{layer: G / (n_H n_W)}`` of an RGB style image at its own size, from a private graph."""
    with tf.Graph().as_default(), tf.compat.v1.Session(config=session_config(precision)) as sess:
        model = load_vgg_model(network_path, height=style.shape[0], width=style.shape[1], pooling=pooling,
                               verbose=False, calibrated=calibrated)
        from .images import reshape_and_normalize_image

        model["input"].load(reshape_and_normalize_image(style), sess)
        grams = {}
        for layer, _ in layers:  # one forward pass for all layers
            _, n_H, n_W, _ = model[layer].get_shape().as_list()
            grams[layer] = activation_gram(model[layer]) / (n_H * n_W)
        return sess.run(grams)


def style_cost_from_grams(model, grams_per_style, blend, layers):
    """Blend-weighted, layer-weighted style cost of ``model['input']`` against stored Gram matrices:
    ``1/(4 n_C²) * sum((G_S/(n_H n_W)_S - G_G/(n_H n_W))²)`` per layer."""
    J_style = 0.0
    for layer, coeff in layers:
        out = model[layer]
        _, n_H, n_W, n_C = out.get_shape().as_list()
        GG = activation_gram(out) / float(n_H * n_W)
        for grams, b in zip(grams_per_style, blend):
            J_style += b * coeff * tf.reduce_sum(tf.square(tf.constant(grams[layer]) - GG)) / (4.0 * n_C**2)
    return J_style


class Monitor:
    """Costs history, progress bar (ETA, costs), snapshots every N iterations, best image so far."""

    def __init__(self, total_iterations, settings, to_rgb):
        self.settings, self.to_rgb = settings, to_rgb
        self.history = {"iteration": [], "total": [], "content": [], "style": [], "tv": [], "seconds": [],
                        "level": [], "snapshots": [], "saved_snapshots": []}
        self.best_cost, self.best_image = float("inf"), None
        self.bar = tqdm(total=total_iterations, disable=not settings.progress, file=sys.stderr,
                        unit="it", dynamic_ncols=True, desc="style transfer")
        self.start = time.perf_counter()
        self.level = 0

    def record(self, image, total, content, style, tv):
        """Log one forward+backward pass of ``image`` (network input) and its costs."""
        i = len(self.history["total"])
        for key, value in (("total", total), ("content", content), ("style", style), ("tv", tv)):
            self.history[key].append(float(value))
        self.history["iteration"].append(i)
        self.history["level"].append(self.level)
        self.history["seconds"].append(time.perf_counter() - self.start)
        self.consider(image, total)
        every = self.settings.save_every
        if every and i % every == 0:
            self.snapshot(i, image)
        self.bar.set_postfix_str(f"cost {total:.3g} (content {content:.3g}, style {style:.3g})", refresh=False)
        self.bar.update()

    def consider(self, image, total):
        """Keep ``image`` as the best so far if its cost ``total`` is the lowest yet (NaN never is)."""
        if total < self.best_cost:
            self.best_cost, self.best_image = float(total), image

    def snapshot(self, i, image):
        """Keep ``image`` for the GIF and, with ``save_dir``, save it as ``NNNN.png``. A snapshot that cannot
        be written (a full disk) does not stop the run: saving stops, and ``history['snapshot_error']`` says why."""
        rgb = self.to_rgb(image)
        self.history["snapshots"].append((i, rgb))
        if self.settings.save_dir is not None and "snapshot_error" not in self.history:
            path = Path(self.settings.save_dir) / f"{i:04d}.png"
            try:
                save_image(path, rgb)
            except (NSTError, OSError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                reason = reason.split(f"{path}: ", 1)[-1].split("; ")[0]  # save_image's line names the file
                self.history["snapshot_error"] = f"{path}: {reason}"
            else:
                self.history["saved_snapshots"].append(path)

    def close(self):
        self.bar.close()


def run_adam(sess, model, costs, start, iterations, learning_rate, monitor):
    """Adam on the pixels; every pass's costs go to ``monitor`` with the image they belong to. Returns the
    last step's image, which ``monitor`` also considers as its best (its cost is measured, not recorded as a
    pass): Adam's last image is not always its lowest-cost one."""
    x = model["input"]
    step = tf.compat.v1.train.AdamOptimizer(learning_rate).minimize(costs["total"], var_list=[x])
    delay_gram_gradients()
    sess.run(tf.compat.v1.variables_initializer([v for v in tf.compat.v1.global_variables() if v is not x]))
    x.load(start, sess)
    fetches = [step, costs["total"], costs["content"], costs["style"]]
    for _ in range(iterations):
        # TV with the image: with tv_weight 0 it is outside the step's cost, so nothing would order its
        # read of x before the update in the step's run
        image, tv = sess.run([x, costs["tv"]])
        _, total, content, style = sess.run(fetches)
        monitor.record(image, total, content, style, tv)
    final, total = sess.run([x, costs["total"]])
    monitor.consider(final, total)
    return final


def run_lbfgs(sess, model, costs, start, iterations, monitor, network):
    """:func:`nst_utils.optimize.lbfgs` on the pixels, kept within the valid pixel range; every pass's
    costs go to ``monitor``. Returns the best image."""
    def record(image, values):
        monitor.record(image, values["total"], values["content"], values["style"], values["tv"])

    best, _ = lbfgs(sess, costs, model["input"], start, iterations, network.pixel_bounds(start.shape), record)
    return best


def transfer(content, styles, settings=None):
    """Stylise RGB ``content`` with one or more RGB ``styles``; returns ``(RGB image, history)``.

    ``history`` has per-pass ``'total'``, ``'content'``, ``'style'``, ``'tv'``, ``'seconds'``, ``'level'``
    and ``'snapshots'`` ``[(iteration, RGB)]``, the files saved (``'saved_snapshots'``), plus
    ``'interrupted'``, ``'terminated'`` (stopped by SIGTERM: :class:`nst_utils.errors.Terminated`),
    ``'diverged'`` (Adam's image became NaN: the lowest-cost image it passed is used instead),
    ``'result_cost'`` (the total cost of the image returned, at its level; None if stopped before a pass) and
    ``'precision'``, the one the run used (``'fp32'``, ``'bf16'`` or ``'fp16'``).
    Adam's result is the lowest-cost image it passed, its last step's included; L-BFGS's its best.
    Ctrl-C stops the run and returns the best image so far (at the final size); stopped before the
    first pass, it returns the photo, and ``history['total']`` is empty.
    """
    settings = settings or Settings()
    styles = list(styles)
    check_rgb("content", content)
    if not styles:
        raise NSTError("transfer: styles is empty; give a list of one or more RGB style images (H, W, 3)")
    for i, style in enumerate(styles):
        check_rgb(f"styles[{i}]", style)
    check_settings(settings, len(styles))
    check_styles(settings, [np.shape(s) for s in styles])
    network = read_network(settings.model)
    precision = resolve_precision(settings.precision)
    blend = np.asarray(settings.style_blend_weights or [1.0] * len(styles), np.float64)
    blend = blend / blend.sum()
    levels = plan_levels(settings)
    final_size = (settings.width, settings.height)
    content_full = resize(content, *final_size)
    if settings.preserve_colors == "histogram":
        styles = [colors.match_color_histogram(s, content_full) for s in styles]
    elif settings.preserve_colors == "luminance":
        styles = [colors.luminance(s, like=content_full) for s in styles]
        content_full = colors.luminance(content_full)
    init = settings.init
    if isinstance(init, (str, Path)) and str(init) not in ("noise", "content"):
        init = read_image(init)  # NSTError naming the file if it is not a readable image
    if isinstance(init, np.ndarray) and settings.preserve_colors == "luminance":
        init = colors.luminance(init)
    rng = np.random.default_rng(settings.seed)
    def shown(image):  # a snapshot as the result will look: with luminance transfer, in the photo's colours
        rgb = network.deprocess(image)
        if settings.preserve_colors == "luminance":
            rgb = colors.combine_luminance(rgb, resize(content, rgb.shape[1], rgb.shape[0]))
        return rgb

    monitor = Monitor(sum(n for _, _, n in levels), settings, shown)
    image = None
    interrupted = terminated = diverged = False
    try:
        for level, (w, h, n) in enumerate(levels):
            monitor.level = level
            if image is not None:  # a finer level starts afresh, from the coarser level's result
                monitor.best_cost, monitor.best_image = float("inf"), image
            content_rgb = resize(content_full, w, h)
            content_input = network.preprocess(content_rgb)
            grams = [style_grams(settings.model, scaled_style(s, w, h, settings.style_scale),
                                 settings.style_layers, settings.pooling, settings.calibrated, precision)
                     for s in styles]
            if image is not None:  # refine the previous level's result, upsampled
                start = network.preprocess(resize(network.deprocess(image), w, h))
            elif isinstance(init, np.ndarray):
                start = network.preprocess(resize(init, w, h))
            elif init == "content":
                start = content_input
            else:
                noise = rng.uniform(-20, 20, content_input.shape).astype(np.float32)
                start = settings.noise_ratio * noise + (1 - settings.noise_ratio) * content_input
            with tf.Graph().as_default(), tf.compat.v1.Session(config=session_config(precision)) as sess:
                tf.compat.v1.set_random_seed(settings.seed)
                model = load_vgg_model(settings.model, height=h, width=w, pooling=settings.pooling, verbose=False,
                                       calibrated=settings.calibrated)
                model["input"].load(content_input, sess)
                out = model[settings.content_layer]
                J_content = compute_content_cost(outside_graph(sess.run(out)), out)
                J_style = style_cost_from_grams(model, grams, blend, settings.style_layers)
                J_tv = total_variation_cost(model["input"])
                J = settings.content_weight * J_content + settings.style_weight * J_style
                if settings.tv_weight:
                    J += settings.tv_weight * J_tv
                costs = {"total": J, "content": J_content, "style": J_style, "tv": J_tv}
                if settings.optimizer == "lbfgs":
                    image = run_lbfgs(sess, model, costs, start, n, monitor, network)
                else:
                    final = run_adam(sess, model, costs, start, n, settings.learning_rate, monitor)
                    diverged = diverged or not np.isfinite(final).all()
                    if monitor.best_image is None:
                        raise NSTError("the optimisation diverged (the image became NaN) before any cost was "
                                       "finite; choose smaller weights or a smaller learning rate")
                    image = monitor.best_image  # its lowest-cost image, the last one included
    except KeyboardInterrupt as exc:
        interrupted, terminated = True, isinstance(exc, Terminated)
    finally:
        monitor.close()
    picked = monitor.best_image if interrupted else image
    # at the final size: an interrupted or diverged finer level's best may be a coarser level's result
    result = content_full if picked is None else resize(network.deprocess(picked), *final_size)
    if not interrupted and settings.save_every:
        monitor.snapshot(len(monitor.history["total"]), image)
    if monitor.history["saved_snapshots"]:
        remove_stale_snapshots(settings.save_dir, monitor.history["saved_snapshots"])
    if settings.preserve_colors == "luminance":
        result = colors.combine_luminance(result, resize(content, *final_size))
    history = monitor.history
    history["interrupted"] = interrupted
    history["terminated"] = terminated
    history["diverged"] = diverged
    history["result_cost"] = monitor.best_cost if np.isfinite(monitor.best_cost) else None
    history["precision"] = precision.name
    return result, history


def write_gif(path, history, size, seconds_per_frame=0.25):
    """An animated GIF of the snapshots (all resized to ``size``), written whole or not at all
    (:mod:`nst_utils.files`)."""
    import imageio.v2 as imageio

    frames = [resize(rgb, *size) for _, rgb in history["snapshots"]]
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
