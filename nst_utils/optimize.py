"""The assignment's optimisation: build the total cost in a session and run Adam on the pixels.

Introduced in notebook 05.
"""
import sys
import time

import numpy as np
from tqdm import tqdm

from ._tf import outside_graph, tf
from .config import CONFIG
from .costs import CONTENT_LAYER, STYLE_LAYERS, compute_content_cost, compute_style_cost, total_cost
from .costs import delay_gram_gradients, total_variation_cost
from .files import remove_stale_snapshots
from .images import generate_noise_image, load_image, reshape_and_normalize_image, save_image, to_rgb
from .precision import resolve as resolve_precision
from .precision import session_config
from .vgg import current_network, load_vgg_model


class _Bar(tqdm):
    """A progress bar whose ``write`` keeps a delayed bar hidden until its ``delay`` has passed. tqdm's own
    shows it (its ``refresh`` ignores the delay), and its ``close`` then leaves that line without a newline,
    so a run shorter than the delay ended with the next line of output joined to the bar."""

    def hidden(self):
        return not self.disable and self.last_print_t < self.start_t + self.delay  # tqdm's own test in close

    def refresh(self, nolock=False, lock_args=None):
        return False if self.hidden() else super().refresh(nolock, lock_args)

    def clear(self, nolock=False):
        if not self.hidden():
            super().clear(nolock)


def build_costs(sess, model, content_image, style_image, content_layer=CONTENT_LAYER,
                style_layers=STYLE_LAYERS, alpha=10, beta=40, tv_weight=0.0):
    """Build ``J_content``, ``J_style`` and the total ``J`` for the given images (network inputs).

    As in the assignment, the content and style activations are evaluated once (fixed tensors) with the
    image assigned to ``model['input']``. Returns ``{'total': J, 'content': ..., 'style': ...}``.
    """
    model["input"].load(content_image, sess)
    out = model[content_layer]
    J_content = compute_content_cost(outside_graph(sess.run(out)), out)
    model["input"].load(style_image, sess)
    J_style = compute_style_cost(model, style_layers, sess=sess)
    J = total_cost(J_content, J_style, alpha=alpha, beta=beta)
    if tv_weight:
        J += tv_weight * total_variation_cost(model["input"])
    return {"total": J, "content": J_content, "style": J_style}


def model_nn(sess, model, train_step, input_image, num_iterations=200, monitor=None):
    """The assignment's loop (the exercise of notebook 05): ``num_iterations`` steps from ``input_image``.

    Initialises the variables, assigns ``input_image`` ``(1, H, W, 3)`` to ``model['input']``, runs
    ``train_step`` ``num_iterations`` times and returns the final image, a numpy array of the same shape.
    ``monitor(i)``, if given (e.g. a :class:`Watch`), is called before step ``i``.
    """
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(model["input"].assign(input_image))
    for i in range(num_iterations):
        if monitor is not None:
            monitor(i)
        sess.run(train_step)
    return sess.run(model["input"])


class Watch:
    """The monitor of :func:`model_nn`: costs, snapshots and a live view of the run.

    Called before each step ``i``: every ``every`` iterations it evaluates the costs of the current
    image (one forward pass, the step's own work is not visible from outside); every ``print_every``
    it also prints them, keeps the image (saved in ``save_dir`` if given, where :meth:`finish` removes an
    earlier run's images) and, with ``live=True`` in a notebook, redraws the image and the cost curves in place (:class:`nst_utils.live.LiveView`).
    :meth:`finish` records the final image and returns the history: lists ``'iteration'``,
    ``'total'``, ``'content'``, ``'style'``, ``'seconds'`` and ``'snapshots'``, a list of
    ``(iteration, RGB uint8 image)``. ``costs``: ``{'total': J, 'content': ..., 'style': ...}``.
    """

    def __init__(self, sess, model, costs, num_iterations, every=5, print_every=20, live=False, save_dir=None,
                 progress=False, weights=(10, 40)):
        delay_gram_gradients(costs["total"].graph)  # less memory in the steps, same numbers (nst_utils.costs)
        self.sess, self.model, self.costs = sess, model, costs
        self.num_iterations, self.every, self.print_every, self.save_dir = num_iterations, every, print_every, save_dir
        self.history = {"iteration": [], "total": [], "content": [], "style": [], "seconds": [], "snapshots": []}
        self.saved = []  # the snapshots written into save_dir
        self.done = 0  # steps taken: model_nn calls us before step i, when i are done
        self.stepping = False  # True from the end of a call until the next: step ``done`` is under way
        self.view = None
        if live:
            from .live import LiveView
            self.view = LiveView.in_notebook(num_iterations, weights)
        self.bar = _Bar(total=num_iterations, disable=progress is False or self.view is not None,
                        delay=0 if progress else 5, file=sys.stderr, unit="it", dynamic_ncols=True)
        self.start = time.perf_counter()

    def __call__(self, i):
        self.done, self.stepping = i, False
        if i:
            self.bar.update()
        shown = bool(self.print_every) and i % self.print_every == 0
        if shown or (self.every and i % self.every == 0):
            self._record(i, shown)
        self.stepping = True

    def steps_taken(self):
        """Steps applied to the image: a step under way when Ctrl-C came is counted, as a session's run
        finishes before Python sees the interrupt."""
        return self.done + self.stepping

    def _record(self, i, shown):
        values, image = self.sess.run([self.costs, self.model["input"]])
        history = self.history
        if not history["iteration"] or history["iteration"][-1] != i:
            history["iteration"].append(i)
            for key in ("total", "content", "style"):
                history[key].append(float(values[key]))
            history["seconds"].append(time.perf_counter() - self.start)
        self.bar.set_postfix(cost=f"{values['total']:.3g}", refresh=False)
        if shown:
            rgb = to_rgb(image)
            history["snapshots"].append((i, rgb))
            if self.save_dir is not None:
                self.saved.append(save_image(f"{self.save_dir}/{i:04d}.png", rgb))
            self.bar.write(f"Iteration {i:4d}: total cost = {values['total']:.4g}, "
                           f"content cost = {values['content']:.4g}, style cost = {values['style']:.4g}")
            if self.view is not None:
                self.view.update(rgb, history, i)

    def finish(self):
        """Record the final image (after the last step taken) and return the history."""
        last = self.steps_taken()
        snapshots = self.history["snapshots"]
        if not snapshots or snapshots[-1][0] != last:
            self.bar.update(last - self.bar.n)
            self._record(last, shown=True)
        self.bar.close()
        if self.saved:
            remove_stale_snapshots(self.save_dir, self.saved)
        return self.history


def stylize(content_path=CONFIG.CONTENT_IMAGE, style_path=CONFIG.STYLE_IMAGE, width=None, height=None,
            num_iterations=200, learning_rate=2.0, alpha=10, beta=40, noise_ratio=CONFIG.NOISE_RATIO,
            seed=0, model_path=None, print_every=20, save_dir=None, progress=None, calibrated=True,
            precision="auto"):
    """The assignment's whole recipe in a private graph: returns ``(RGB uint8 image, history)``.

    The costs are recorded every ``print_every`` iterations (see :class:`Watch`); Ctrl-C stops early
    and keeps the image so far. ``calibrated=False`` uses the raw network (see ``load_vgg_model``);
    ``precision``: ``'auto'``, ``'fp32'`` or ``'bf16'`` (see :mod:`nst_utils.precision`), said in one
    line; ``history['precision']`` is the one used.
    """
    width = CONFIG.IMAGE_WIDTH if width is None else width
    height = CONFIG.IMAGE_HEIGHT if height is None else height
    content = load_image(content_path, width, height)
    style = load_image(style_path, width, height)
    chosen = resolve_precision(precision)
    print(chosen)
    with tf.Graph().as_default(), tf.compat.v1.Session(config=session_config(chosen)) as sess:
        tf.compat.v1.set_random_seed(seed)
        model = load_vgg_model(model_path, height=height, width=width, calibrated=calibrated)
        content_image = reshape_and_normalize_image(content)
        style_image = reshape_and_normalize_image(style)
        costs = build_costs(sess, model, content_image, style_image, alpha=alpha, beta=beta)
        train_step = tf.compat.v1.train.AdamOptimizer(learning_rate).minimize(costs["total"])
        start = generate_noise_image(content_image, noise_ratio, rng=np.random.default_rng(seed))
        watch = Watch(sess, model, costs, num_iterations, every=print_every, print_every=print_every,
                      save_dir=save_dir, progress=progress, weights=(alpha, beta))
        try:
            model_nn(sess, model, train_step, start, num_iterations, monitor=watch)
        except KeyboardInterrupt:
            watch.bar.write(f"Interrupted after {watch.steps_taken()} iterations: keeping the image so far.")
        history = watch.finish()
        history["precision"] = chosen.name
        return history["snapshots"][-1][1], history


#: L-BFGS works on the cost scaled so that its first step moves pixels by at most this much (0..255
#: scale): without it the result would depend on the cost's absolute size, not only on alpha/beta.
LBFGS_FIRST_STEP = 10.0


def lbfgs(sess, costs, variable, start, passes, bounds=None, on_pass=None):
    """scipy's L-BFGS-B on the pixels of ``variable`` from ``start``, for ``passes`` forward+backward passes.

    The one L-BFGS driver of the package (notebooks 02, 04, 05, 06 and the ``nst`` command). ``costs``:
    a dict of scalar tensors whose ``'total'`` is minimised; its gradient comes from the same
    ``sess.run`` as the costs. ``bounds``: ``(low, high)`` arrays of the variable's shape (e.g.
    :meth:`Network.pixel_bounds`). ``on_pass(image, values)`` sees every evaluated image with its costs.
    Returns ``(best image, totals)``: the lowest-cost image evaluated (the line search may end on a
    worse one) and the total cost of every pass.
    """
    from scipy.optimize import Bounds, minimize

    grad = tf.gradients(costs["total"], variable)[0]
    delay_gram_gradients(grad.graph)
    shape = start.shape
    totals, best, scale = [], [np.inf, start], []
    if bounds is not None:
        low, high = (np.broadcast_to(b, shape) for b in bounds)
        start = np.clip(start, low, high)
        bounds = Bounds(low.ravel(), high.ravel())  # arrays: a list of pairs takes ~120 bytes per pixel

    def f(flat):
        if len(totals) == passes:  # scipy may ask for a few passes more than maxfun
            raise _BudgetSpent
        image = flat.reshape(shape).astype(np.float32)
        variable.load(image, sess)
        values, g = sess.run([costs, grad])
        total = float(values["total"])
        totals.append(total)
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
    return best[1], totals


class _BudgetSpent(Exception):
    """Raised inside the L-BFGS objective once the pass budget is used up."""


def reconstruct(content=None, style=None, content_layer=CONTENT_LAYER, style_layers=STYLE_LAYERS,
                width=200, height=150, max_evaluations=100, seed=0, model_path=None, calibrated=True):
    """Synthesise an image from white noise that matches only the content and/or the style of images.

    ``content``/``style``: RGB arrays (resized to ``width`` x ``height``) or None. Optimises the content
    cost at ``content_layer`` plus the style cost over ``style_layers`` with L-BFGS (Gatys et al.,
    Fig. 1) on the calibrated (or, ``calibrated=False``, the raw) network. Returns
    ``(RGB uint8 image, list of costs)``. Introduced in notebooks 02 and 04.
    """
    from PIL import Image

    def fit(image):
        return np.asarray(Image.fromarray(np.asarray(image, np.uint8)).resize((width, height), Image.LANCZOS))

    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = load_vgg_model(model_path, height=height, width=width, verbose=False, calibrated=calibrated)
        J = 0.0
        if content is not None:
            model["input"].load(reshape_and_normalize_image(fit(content)), sess)
            out = model[content_layer]
            J += compute_content_cost(outside_graph(sess.run(out)), out)
        if style is not None:
            model["input"].load(reshape_and_normalize_image(fit(style)), sess)
            J += compute_style_cost(model, style_layers, sess=sess)
        grey = reshape_and_normalize_image(np.full((height, width, 3), 127.5))
        start = generate_noise_image(grey, noise_ratio=1.0, rng=np.random.default_rng(seed)) + grey
        bounds = current_network().pixel_bounds(start.shape)
        image, totals = lbfgs(sess, {"total": J}, model["input"], start, max_evaluations, bounds)
        return to_rgb(image), totals
