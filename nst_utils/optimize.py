"""The assignment's own optimisation code, the lesson's reference: ``build_costs`` (the graded
``build_total_cost``), ``model_nn`` and :class:`Watch`, its monitor. Introduced in notebook 05.

Everything beyond the assignment's loop runs in the one engine, :mod:`nst_utils.engine`; :class:`Watch`
records through the engine's :class:`~nst_utils.engine.Recorder`.
"""
import sys
import time

import numpy as np
from tqdm import tqdm

from ._tf import outside_graph, tf
from .costs import compute_content_cost, compute_style_cost, delay_gram_gradients, total_cost
from .engine import Recorder
from .images import to_rgb
from .live import LiveView
from .settings import CONTENT_LAYER, RECIPE_WEIGHTS, STYLE_LAYERS, Settings


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
                style_layers=STYLE_LAYERS, alpha=Settings.content_weight, beta=Settings.style_weight):
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
    return {"total": J, "content": J_content, "style": J_style}


def model_nn(sess, model, train_step, input_image, num_iterations=Settings.iterations, monitor=None):
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
    image (one forward pass, the step's own work is not visible from outside) and records them in the
    engine's :class:`~nst_utils.engine.Recorder`; every ``print_every`` it also prints them and keeps
    the image, and with ``live=True`` in a notebook redraws the image and the cost curves in place
    (:class:`nst_utils.live.LiveView`). ``progress``: a progress bar (True), none (False) or one shown
    after 5 s (None). :meth:`finish` records the final image and returns the recorder's history
    (``'iteration'``, ``'total'``, ``'content'``, ``'style'``, ``'seconds'``, ``'snapshots'``...).
    ``costs``: ``{'total': J, 'content': ..., 'style': ...}``; ``weights``: (alpha, beta), for the live view.
    """

    def __init__(self, sess, model, costs, num_iterations, every=5, print_every=20, live=False, progress=False,
                 weights=RECIPE_WEIGHTS):
        delay_gram_gradients(costs["total"].graph)  # less memory in the steps, same numbers (nst_utils.costs)
        self.sess, self.model, self.costs, self.every = sess, model, costs, every
        self.recorder = Recorder(to_rgb, print_every, on_snapshot=self._show)
        self.history = self.recorder.history
        self.done = 0  # steps taken: model_nn calls us before step i, when i are done
        self.stepping = False  # True from the end of a call until the next: step ``done`` is under way
        self.view = LiveView.in_notebook(num_iterations, weights) if live else None
        self.bar = _Bar(total=num_iterations, disable=progress is False or self.view is not None,
                        delay=0 if progress else 5, file=sys.stderr, unit="it", dynamic_ncols=True)

    def __call__(self, i):
        self.done, self.stepping = i, False
        if i:
            self.bar.update()
        if self.every and i % self.every == 0 or self.recorder.save_every and i % self.recorder.save_every == 0:
            self._record(i)
        self.stepping = True

    def steps_taken(self):
        """Steps applied to the image: a step under way when Ctrl-C came is counted, as a session's run
        finishes before Python sees the interrupt."""
        return self.done + self.stepping

    def _record(self, i):
        values, self.image = self.sess.run([self.costs, self.model["input"]])
        self.values = values
        self.recorder.record(self.image, values, iteration=i)
        self.bar.set_postfix(cost=f"{values['total']:.3g}", refresh=False)

    def _show(self, i, rgb):
        """A snapshot: print the costs, and redraw the live view."""
        values = self.values
        self.bar.write(f"Iteration {i:4d}: total cost = {values['total']:.4g}, "
                       f"content cost = {values['content']:.4g}, style cost = {values['style']:.4g}")
        if self.view is not None:
            self.view.update(rgb, self.history, i)

    def finish(self):
        """Record the final image (after the last step taken) and return the history."""
        last = self.steps_taken()
        if not self.history["snapshots"] or self.history["snapshots"][-1][0] != last:
            self.bar.update(last - self.bar.n)
            if not self.history["iteration"] or self.history["iteration"][-1] != last:
                self._record(last)
            if self.history["snapshots"][-1:] == [] or self.history["snapshots"][-1][0] != last:
                self.recorder.snapshot(last, self.image)
        self.bar.close()
        return self.history
