"""Checks for the learner's graded functions (cs231n style: stored reference values, short verdicts).

Each ``check_*`` runs the learner's function in a private graph on several cases and prints one line
per case: passed, with the learner's value beside the expected one, or failed, with both and a hint
for the likely mistake. A closing line says what to do next. The functions of notebooks 04 and 05
that need a network run on a tiny random VGG (:func:`tiny_model`) in a second or two.

- A function that calls ``nst_utils``' own version of itself fails: the point is to write it.
- After the assignment's own test, the inputs come as the notebooks pass them (``a_C`` and ``a_S`` as
  the NumPy arrays of ``sess.run``, the costs as tensors), and a function given a tensor must return
  one: a value it evaluated itself passes a test, then breaks the later cells that run it.
- A wrong value is compared with the known mistakes' values (``MISTAKES``) for a precise hint; an
  error with ``ERROR_HINTS``.
- :func:`use` hands later cells the learner's function once it has passed, the reference until then,
  so a failed check never leaves later cells without a function.
- A check never raises: the notebook runs on. An nbgrader course's check cells (``scripts/make_course.py``)
  import the check themselves and assert its :class:`Verdict`, so a failed check scores no points.

Expected values live in ``check_data.json``, made by ``scripts/make_check_data.py`` from the reference
implementations (the first case of each of notebooks 01-05's cost functions is the original
assignment's test; notebook 07's guided Gram matrix takes a mask stored in its case). Introduced in notebook 01.
"""
import functools
import inspect
import json
import sys
from pathlib import Path

import numpy as np

from . import costs, engine, optimize
from ._tf import tf
from .masks import layer_guide

DATA = json.loads((Path(__file__).with_name("check_data.json")).read_text())
TOLERANCE = 1e-4  # error accepted, relative to each expected entry (absolute below 1)
RESULTS = {}  # function name -> the learner's function that passed its check (read by use())

#: The packaged reference of each graded function (what use() falls back to).
REFERENCES = {
    "unroll_volume": costs.unroll_volume,
    "compute_content_cost": costs.compute_content_cost,
    "gram_matrix": costs.gram_matrix,
    "compute_layer_style_cost": costs.compute_layer_style_cost,
    "compute_style_cost": costs.compute_style_cost,
    "total_cost": costs.total_cost,
    "build_total_cost": optimize.build_costs,
    "model_nn": optimize.model_nn,
    "compute_guided_gram": costs.region_gram,
}


#: The packaged code that computes each graded function's result, its private helpers included: a
#: learner's function that runs any of it fails (the README's "one that just calls nst_utils' own version").
OWN_CODE = {
    "gram_matrix": [costs._gram_matrix, costs._gram_of_positions, costs.activation_gram],
    "compute_layer_style_cost": [costs.activation_gram],
    "compute_style_cost": [costs.style_cost_from_grams, costs.position_gram],
    "model_nn": [engine.run_adam, engine.stylize, engine.transfer],
    "compute_guided_gram": [costs.guided_gram],
}


def _own_code(name):
    """The ids of the code objects of ``name``'s reference and of its helpers in OWN_CODE (unwrapped from
    decorators): ids, since equal code (a copy of the reference's) is the learner's own."""
    return {id(inspect.unwrap(fn).__code__) for fn in [REFERENCES[name], *OWN_CODE.get(name, [])]}


class CallsReference(Exception):
    """The learner's function ran the packaged reference of itself."""


class Misuse(Exception):
    """The learner's function ran but returned something later cells cannot use; the message says what."""


#: What the learner's function returned, when a later cell needs a tensor: it evaluated it itself.
EVALUATED = ("it returned a number, not a tensor: it evaluated the result itself (.eval(), sess.run or float()); "
             "return the tensor, which later cells run with other images in the input")


class Verdict:
    """The outcome of a check: true if every case passed; ``report``, the lines it printed. Shows nothing
    as a cell's last value. A graded cell of an nbgrader course asserts it: ``assert verdict, verdict.report``
    (``scripts/make_course.py``)."""

    def __init__(self, ok, report=""):
        self.ok, self.report = ok, report

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return "passed" if self.ok else "failed"

    def _ipython_display_(self):
        pass


# --- the inputs of each case, drawn as in the original assignment -------------------------------

def draw_pair(case):
    """Two activations drawn as in the assignment: graph seed, op seeds, one ``sess.run``."""
    tf.compat.v1.set_random_seed(case["graph_seed"])
    return [tf.random.normal(case["shape"], mean=1, stddev=4, seed=s) for s in case["seeds"]]


def draw_matrix(case):
    tf.compat.v1.set_random_seed(case["graph_seed"])
    return [tf.random.normal(case["shape"], mean=1, stddev=4, seed=case["seeds"][0])]


def draw_scalars(case):
    np.random.seed(case["np_seed"])
    return [np.random.randn(), np.random.randn()]


DRAW = {"unroll_volume": draw_matrix, "compute_content_cost": draw_pair, "gram_matrix": draw_matrix,
        "compute_layer_style_cost": draw_pair, "total_cost": draw_scalars, "compute_guided_gram": draw_matrix}


# --- a tiny VGG for the functions that need a network (notebooks 04 and 05) ---------------------

TINY_SIZE = (16, 24)  # height, width of the tiny network's input


def tiny_model(seed=0, channels=4):
    """A random VGG-16-shaped network (:func:`tiny_network`) in the current graph: the dict of
    :func:`nst_utils.load_vgg_model` (same layer names, input variable initialised to zeros) on a
    ``TINY_SIZE`` input."""
    from .network import build_graph

    return build_graph(tiny_network(seed, channels), *TINY_SIZE)


@functools.lru_cache(maxsize=None)
def tiny_network(seed, channels):
    """The :class:`~nst_utils.network.Network` of :func:`tiny_model`, ``channels`` filters per layer, calibrated
    like the real ones (:mod:`nst_utils.calibration`, on seeded images) so that every layer counts in the
    costs, as in the notebooks: raw, its deep layers' style costs were 10⁻⁶ of the first's, and a loop
    that skipped them passed. Kept: a failed check runs each known mistake on it."""
    from .calibration import apply_factors, factors_from_means, layer_means
    from .network import Network

    rng = np.random.default_rng(seed)
    layers, c_in = [], 3
    for block, depth in enumerate((2, 2, 3, 3, 3), start=1):
        for j in range(1, depth + 1):
            kernel = rng.normal(0, np.sqrt(2 / (9 * c_in)), (3, 3, c_in, channels)).astype(np.float32)
            layers.append((f"conv{block}_{j}", kernel, rng.normal(0.5, 0.1, channels).astype(np.float32)))
            c_in = channels
    net = Network("tiny check network", Path("tiny"), "RGB", (0.0, 0.0, 0.0), tuple(layers))
    means = layer_means(net, [x[0] for x in tiny_images(1000 + seed, 4)])
    return apply_factors(net, factors_from_means(means))


def tiny_images(seed, count):
    """``count`` seeded network inputs of the tiny network's size (pixel-like values, mean 0)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 60, (1, *TINY_SIZE, 3)).astype(np.float32) for _ in range(count)]


class _LearnerSession:
    """Run the learner's function with ``sess`` (the check's session) as its notebook's ``sess``.

    Notebook code uses the notebook's global ``sess``, as in the assignment; the check points that
    name at its own session for the duration of the call, then restores it.
    """

    def __init__(self, fn, sess):
        self.globals, self.sess = getattr(fn, "__globals__", {}), sess

    def __enter__(self):
        self.saved = self.globals.get("sess", _MISSING)
        self.globals["sess"] = self.sess
        self.default = self.sess.as_default()
        self.default.__enter__()

    def __exit__(self, *exc):
        self.default.__exit__(*exc)
        if self.saved is _MISSING:
            self.globals.pop("sess", None)
        else:
            self.globals["sess"] = self.saved


_MISSING = object()


def run_cost(fn, name, case):
    """The cost functions of notebooks 01-05: inputs drawn as in the assignment, one value out.

    ``case['as_used']``: the inputs as the notebooks pass them, a_C or a_S as the NumPy array that
    ``sess.run(out)`` gives, J_content and J_style as tensors. Given a tensor, the function must
    return one."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        inputs = DRAW[name](case)
        if name != "total_cost":
            inputs = [tf.constant(v) for v in sess.run(inputs)]  # one run: one draw of each tensor
            if case.get("as_used") and len(inputs) == 2:
                inputs[0] = sess.run(inputs[0])
        elif case.get("as_used"):
            inputs = [tf.constant(v, tf.float32) for v in inputs]
        out = fn(*inputs, **case.get("kwargs", {}))
        if out is None:
            return None
        if isinstance(out, (tf.Tensor, tf.Variable)):
            out = sess.run(out)
        elif any(isinstance(v, tf.Tensor) for v in inputs):
            raise Misuse(EVALUATED)
        return np.asarray(out, dtype=np.float64)


def run_guided(fn, name, case):
    """``compute_guided_gram(a, mask)``: ``a`` drawn as in the assignment (a tensor), ``mask`` the case's stored
    float32 array at the image's size (``case['mask']``), from which the function brings the guide down."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        a = tf.constant(sess.run(DRAW[name](case)[0]))
        out = fn(a, np.asarray(case["mask"], np.float32))
        if out is None:
            return None
        if not isinstance(out, (tf.Tensor, tf.Variable)):
            raise Misuse(EVALUATED)
        return np.asarray(sess.run(out), np.float64)


def run_style_cost(fn, name, case):
    """``compute_style_cost(model, STYLE_LAYERS)`` with S in the input; evaluated with G in the input."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = tiny_model(case["net_seed"])
        S, G = tiny_images(case["image_seed"], 2)
        layers = [tuple(pair) for pair in case["layers"]]
        model["input"].load(S, sess)
        with _LearnerSession(fn, sess):
            J = fn(model, layers)
        if J is None:
            return None
        if not isinstance(J, (tf.Tensor, tf.Variable)):
            if np.ndim(J) == 0 and J == 0:
                raise Misuse("J_style is still the 0 it started as: no layer's cost was added; loop over every "
                             "(layer_name, coeff) in STYLE_LAYERS")
            raise Misuse(EVALUATED)
        model["input"].load(G, sess)
        return np.asarray(sess.run(J), np.float64)


def run_build(fn, name, case):
    """``build_total_cost(sess, model, C, S, alpha, beta)``; its three costs evaluated with G in the input."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = tiny_model(case["net_seed"])
        C, S, G, before = tiny_images(case["image_seed"], 4)
        model["input"].load(before, sess)  # whatever the input held before: not C, not S
        with _LearnerSession(fn, sess):
            out = fn(sess, model, C, S, **case.get("kwargs", {}))
        if out is None or (isinstance(out, dict) and all(v is None for v in out.values())):
            return None
        if not isinstance(out, dict) or set(out) != {"total", "content", "style"}:
            raise Misuse("return the dict {'total': J, 'content': J_content, 'style': J_style} given")
        missing = [key for key, value in out.items() if value is None]
        if missing:
            raise Misuse(f"the cost {missing[0]!r} is None" + (": your total_cost returned None, finish it first"
                                                               if missing == ["total"] else ""))
        numbers = [key for key, value in out.items() if not isinstance(value, (tf.Tensor, tf.Variable))]
        if numbers:
            raise Misuse(f"the cost {numbers[0]!r} is a number, not a tensor: build the costs as tensors (no .eval(), "
                         f"sess.run or float() on them), which the optimiser differentiates with G in the input")
        model["input"].load(G, sess)
        return np.asarray(sess.run([out["total"], out["content"], out["style"]]), np.float64)


def run_loop(fn, name, case):
    """``model_nn(sess, model, train_step, input_image, num_iterations)`` on a tiny content cost."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = tiny_model(case["net_seed"])
        target, start = tiny_images(case["image_seed"], 2)
        model["input"].load(target, sess)
        out = model["conv2_1"]
        J = costs.compute_content_cost(sess.run(out), out)
        train_step = tf.compat.v1.train.AdamOptimizer(case["learning_rate"]).minimize(J)
        with _LearnerSession(fn, sess):
            image = fn(sess, model, train_step, start, case["iterations"])
        if isinstance(image, (tf.Tensor, tf.Variable)):
            raise Misuse("it returned a tensor: return the image as an array, sess.run(model['input'])")
        final = sess.run(model["input"])
        stepped = not (np.array_equal(final, start) or np.array_equal(final, target))  # the steps ran
        if image is None and stepped:
            raise Misuse("it returned None after running the steps (sess.run(train_step) itself returns None): "
                         "return the image, sess.run(model['input'])")
        if image is not None and stepped and np.array_equal(np.asarray(image, np.float32), start):
            raise Misuse("it returned input_image, the start: return the image after the steps, "
                         "sess.run(model['input'])")
        return None if image is None else np.asarray(image, np.float64)


CHECKS = {  # name -> how to run a function on one case
    "unroll_volume": run_cost,
    "compute_content_cost": run_cost,
    "gram_matrix": run_cost,
    "compute_layer_style_cost": run_cost,
    "compute_style_cost": run_style_cost,
    "total_cost": run_cost,
    "build_total_cost": run_build,
    "model_nn": run_loop,
    "compute_guided_gram": run_guided,
}


def evaluate(fn, name, case):
    """Run ``fn`` as graded function ``name`` on one case; a numpy array (or None)."""
    return CHECKS[name](fn, name, case)


# --- wrong implementations: recognised in a learner's output to give a precise hint -------------

def _bare_unroll(a):
    _, n_H, n_W, n_C = a.get_shape().as_list()
    return tf.reshape(a, [n_C, n_H * n_W])


def _spatially_transposed_unroll(a):
    n_C = a.get_shape().as_list()[-1]
    return tf.reshape(tf.transpose(a, [0, 3, 2, 1]), [n_C, -1])


def _layer_style_with(unroll, norm, total=tf.reduce_sum):
    def cost(a_S, a_G):
        _, n_H, n_W, n_C = a_G.get_shape().as_list()
        diff = costs.gram_matrix(unroll(a_S)) - costs.gram_matrix(unroll(a_G))
        return total(tf.square(diff)) * norm(n_H, n_W, n_C)
    return cost


def _content_with(norm):
    def cost(a_C, a_G):
        _, n_H, n_W, n_C = a_G.get_shape().as_list()
        return tf.reduce_sum(tf.square(a_C - a_G)) * norm(n_H, n_W, n_C)
    return cost


def _style_cost_with(weigh=lambda coeff, J: coeff * J, evaluate_S=True, evaluate_G=False, last_only=False,
                     layers=None, select=lambda layers: layers, first_only=False, finish=lambda J, n: J):
    def cost(model, STYLE_LAYERS):
        sess = tf.compat.v1.get_default_session()
        J_style = 0
        chosen = select(layers or STYLE_LAYERS)
        for layer_name, coeff in chosen:
            out = model[layer_name]
            a_S = sess.run(out) if evaluate_S else out
            a_G = sess.run(out) if evaluate_G else out
            J = weigh(coeff, costs.compute_layer_style_cost(a_S, a_G))
            J_style = J if last_only else J_style + J
            if first_only:
                return J_style
        return finish(J_style, len(chosen))
    return cost


def _build_with(assign_content=True, assign_style=True, a_C_with_style=False, evaluate_G=False,
                combine=lambda c, s, alpha, beta: alpha * c + beta * s):
    def build(sess, model, content_image, style_image, alpha=10, beta=40):
        if assign_content:
            sess.run(model["input"].assign(content_image))
        if a_C_with_style:
            sess.run(model["input"].assign(style_image))
        out = model[costs.CONTENT_LAYER]
        a_C = sess.run(out)
        J_content = costs.compute_content_cost(a_C, sess.run(out) if evaluate_G else out)
        if assign_style:
            sess.run(model["input"].assign(style_image))
        J_style = costs.compute_style_cost(model, costs.STYLE_LAYERS, sess=sess)
        return {"total": combine(J_content, J_style, alpha, beta), "content": J_content, "style": J_style}
    return build


def _loop_with(initialise_last=False, steps=lambda n: n, initialise_each=False):
    def loop(sess, model, train_step, input_image, num_iterations=200, monitor=None):
        if not initialise_last:
            sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(model["input"].assign(input_image))
        if initialise_last:
            sess.run(tf.compat.v1.global_variables_initializer())
        for _ in range(steps(num_iterations)):
            if initialise_each:
                sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(train_step)
        return sess.run(model["input"])
    return loop


STYLE_NORM = lambda h, w, c: 1.0 / (4 * c**2 * (h * w) ** 2)  # noqa: E731
INT32_STYLE_NORM = lambda h, w, c: 1.0 / float(np.int64(4 * c**2 * (h * w) ** 2 % 2**32).astype(np.int32))  # noqa: E731
FIVE_LAYERS = [(f"conv{b}_1", 0.2) for b in range(1, 6)]
ZERO_STYLE = ("the cost is 0 for an image G unlike S: evaluate a_S = sess.run(out) now, while S is in the "
              "input, and keep a_G = out, the tensor")


def _guided_with(guide=layer_guide, one_side=False, mass=lambda t: np.sum(t**2)):
    def guided(a, mask):
        _, n_H, n_W, n_C = a.get_shape().as_list()
        t = np.asarray(guide(mask, n_H, n_W), np.float32).reshape(1, n_H * n_W)
        F = costs.unroll_volume(a)
        weighted = F * t
        return tf.matmul(weighted, F if one_side else weighted, transpose_b=True) / mass(t)
    return guided


def _subsampled(mask, n_H, n_W):
    return np.asarray(mask)[::mask.shape[0] // n_H, ::mask.shape[1] // n_W][:n_H, :n_W]


MISTAKES = {
    "unroll_volume": [
        (_bare_unroll, "a bare reshape to (n_C, n_H*n_W) mixes channels: reshape to (n_H*n_W, n_C), then transpose"),
        (lambda a: tf.reshape(a, [-1, a.get_shape().as_list()[-1]]),
         "this is (n_H*n_W, n_C): transpose it so that each row is one channel"),
        (_spatially_transposed_unroll,
         "each row lists the positions column by column (w before h): transposing all four axes also swaps n_H "
         "and n_W; reshape to (n_H*n_W, n_C), then transpose, or tf.transpose(a, [0, 3, 1, 2]) before reshaping"),
    ],
    "compute_content_cost": [
        (_content_with(lambda h, w, c: 1.0), "the normalisation 1/(4*n_H*n_W*n_C) is missing"),
        (_content_with(lambda h, w, c: 1.0 / (h * w * c)), "the factor 4 in 1/(4*n_H*n_W*n_C) is missing"),
        (_content_with(lambda h, w, c: 1.0 / (2 * h * w * c)), "the normalisation is 1/(4*n_H*n_W*n_C), not 1/(2*...)"),
        (lambda a, b: tf.reduce_sum(a - b) / (4.0 * np.prod(b.get_shape().as_list())),
         "square the differences before summing them"),
    ],
    "gram_matrix": [
        (lambda A: tf.matmul(A, A, transpose_a=True), "this is AᵀA: the Gram matrix is A Aᵀ (n_C x n_C)"),
        (lambda A: A * A, "use a matrix product (tf.matmul), not an element-wise product"),
    ],
    "compute_layer_style_cost": [
        (_layer_style_with(_bare_unroll, STYLE_NORM),
         "a bare reshape to (n_C, n_H*n_W) mixes channels: reshape to (n_H*n_W, n_C), then transpose"),
        (_layer_style_with(costs.unroll_volume, lambda h, w, c: 1.0),
         "the normalisation 1/(4*n_C**2*(n_H*n_W)**2) is missing"),
        (_layer_style_with(costs.unroll_volume, lambda h, w, c: 1.0 / (4 * c**2 * h * w)),
         "square (n_H*n_W) in the normalisation 1/(4*n_C**2*(n_H*n_W)**2)"),
        (_layer_style_with(costs.unroll_volume, lambda h, w, c: 1.0 / (4 * c * h * w) ** 2),
         "the normalisation is 1/(4*n_C**2*(n_H*n_W)**2): the 4 is not squared"),
        (_layer_style_with(lambda a: tf.reshape(a, [-1, a.get_shape().as_list()[-1]]), STYLE_NORM),
         "after reshaping to (n_H*n_W, n_C), transpose to (n_C, n_H*n_W) before taking the Gram matrix"),
        (_layer_style_with(costs.unroll_volume, lambda h, w, c: 1.0 / (4 * h * w * c)),
         "1/(4*n_H*n_W*n_C) is the content cost's normalisation: the style cost's is 1/(4*n_C**2*(n_H*n_W)**2)"),
        (_layer_style_with(costs.unroll_volume, lambda h, w, c: 1.0 / (c**2 * (h * w) ** 2)),
         "the factor 4 in 1/(4*n_C**2*(n_H*n_W)**2) is missing"),
        (_layer_style_with(costs.unroll_volume, INT32_STYLE_NORM),
         "(n_H*n_W)**2 overflowed 32-bit integers, as sizes from tf.shape are: take the sizes from "
         "a_G.get_shape().as_list() (Python numbers), or cast them to float before multiplying"),
        (_layer_style_with(costs.unroll_volume, lambda h, w, c: 1.0, total=tf.reduce_mean),
         "reduce_mean divides by n_C**2 only: sum the squared differences (reduce_sum) and multiply by "
         "1/(4*n_C**2*(n_H*n_W)**2)"),
    ],
    "compute_style_cost": [
        (_style_cost_with(evaluate_G=True), ZERO_STYLE),
        (_style_cost_with(evaluate_S=False), ZERO_STYLE),
        (_style_cost_with(weigh=lambda coeff, J: J), "multiply each layer's cost by its coefficient coeff"),
        (_style_cost_with(last_only=True), "add every layer's weighted cost to J_style (+=), not only the last"),
        (_style_cost_with(layers=FIVE_LAYERS),
         "loop over the STYLE_LAYERS argument, not the five layers defined in the notebook"),
        (_style_cost_with(select=lambda layers: layers[:-1]),
         "the last layer is missing: loop over every (layer_name, coeff) in STYLE_LAYERS"),
        (_style_cost_with(first_only=True),
         "only the first layer counts: return J_style after the loop, not inside it"),
        (_style_cost_with(finish=lambda J, n: J / n),
         "the coefficients already weigh the layers: do not divide J_style by the number of layers"),
        (_style_cost_with(weigh=lambda coeff, J: J / coeff), "multiply each layer's cost by its coefficient, "
                                                              "do not divide by it"),
    ],
    "total_cost": [
        (lambda c, s, alpha=10, beta=40: beta * c + alpha * s, "alpha weighs J_content and beta weighs J_style: swapped?"),
        (lambda c, s, alpha=10, beta=40: c + s, "multiply J_content by alpha and J_style by beta"),
        (lambda c, s, alpha=40, beta=10: alpha * c + beta * s, "the defaults are alpha = 10, beta = 40"),
        (lambda c, s, alpha=10, beta=40: 10 * c + 40 * s, "use the alpha and beta given, not the numbers 10 and 40"),
    ],
    "build_total_cost": [
        (_build_with(assign_content=False),
         "a_C came from whatever image was in the input: assign content_image to model['input'] first"),
        (_build_with(assign_style=False),
         "the style cost compares G with the content image: assign style_image to model['input'] before "
         "compute_style_cost"),
        (_build_with(a_C_with_style=True),
         "a_C was taken with the style image in the input: evaluate a_C while the content image is in it, "
         "then assign the style image"),
        (_build_with(evaluate_G=True),
         "J_content is 0 whatever G is: keep a_G = out, the tensor (only a_C is evaluated with sess.run)"),
        (_build_with(assign_content=False, assign_style=False),
         "the input never changed: model['input'].assign(image) only builds an operation; run it, "
         "sess.run(model['input'].assign(image))"),
        (_build_with(combine=lambda c, s, alpha, beta: beta * c + alpha * s),
         "alpha weighs J_content and beta weighs J_style: swapped?"),
        (_build_with(combine=lambda c, s, alpha, beta: 10 * c + 40 * s),
         "pass alpha and beta on: total_cost(J_content, J_style, alpha=alpha, beta=beta)"),
        (_build_with(combine=lambda c, s, alpha, beta: beta * s),
         "J leaves out the content cost: J = alpha * J_content + beta * J_style (your total_cost)"),
        (_build_with(combine=lambda c, s, alpha, beta: alpha * c),
         "J leaves out the style cost: J = alpha * J_content + beta * J_style (your total_cost)"),
    ],
    "model_nn": [
        (_loop_with(initialise_last=True),
         "the image started from zeros, not from input_image: run the initialiser first, then assign "
         "input_image to model['input'] (the initialiser resets every variable, the input too)"),
        (_loop_with(steps=lambda n: 0), "the image did not change: run train_step num_iterations times"),
        (_loop_with(steps=lambda n: n - 1), "one step too few: run train_step num_iterations times"),
        (_loop_with(steps=lambda n: n + 1), "one step too many: run train_step num_iterations times"),
        (_loop_with(steps=lambda n: 1), "the image moved by one step only: run train_step num_iterations times in "
                                        "a loop, after running the initialiser and assigning input_image once"),
        (_loop_with(initialise_each=True),
         "the initialiser runs in the loop, and each run resets the image to zeros and Adam's state: run it "
         "once, before assigning input_image"),
    ],
    "compute_guided_gram": [
        (_guided_with(mass=lambda t: 1.0), "divide by the guide's mass, np.sum(t**2): without it a large region has "
                                           "large entries and a small one small entries, whatever their texture"),
        (_guided_with(mass=lambda t: t.size), "divide by the guide's mass, np.sum(t**2), not by all n_H*n_W "
                                              "positions: a small region would look faint"),
        (_guided_with(one_side=True), "weight the features on both sides: with F = A * t, F Fᵀ weights each product "
                                      "of two features by t², as the mass np.sum(t**2) does; F Aᵀ weights it by t"),
        (_guided_with(one_side=True, mass=np.sum), "weight the features on both sides: F = A * t, then F Fᵀ, divided "
                                                   "by np.sum(t**2)"),
        (_guided_with(mass=np.sum), "the mass is np.sum(t**2): each product of two features is weighted by t twice"),
        (_guided_with(guide=_subsampled), "bring the mask down with layer_guide(mask, n_H, n_W), which averages the "
                                          "pixels each position covers: every k-th pixel misses the soft edges"),
    ],
}

#: Errors of one graded function, recognised by words in their message: name -> [(words, hint)].
NAMED_ERROR_HINTS = {
    "compute_guided_gram": [
        (("reshape",), "the mask has the image's size: bring it down to the layer's n_H x n_W with "
                       "layer_guide(mask, n_H, n_W) before unrolling it"),
        (("shape",), "the mask has the image's size: bring it down to the layer's n_H x n_W with "
                     "layer_guide(mask, n_H, n_W), then unroll it to (1, n_H*n_W)"),
    ],
}


# --- running a check -----------------------------------------------------------------------------

def _run_learner(fn, name, case):
    """``evaluate`` for the learner's function; CallsReference if it runs the packaged reference."""
    own = _own_code(name)
    called = []

    def spy(frame, event, arg):
        if event == "call" and id(frame.f_code) in own:
            called.append(True)

    previous = sys.getprofile()
    sys.setprofile(spy)
    try:
        got = evaluate(fn, name, case)
    finally:
        sys.setprofile(previous)
    if called:
        raise CallsReference
    return got


def _matches(got, want):
    if got is None or np.shape(got) != np.shape(want):
        return False
    want = np.asarray(want, np.float64)
    return bool(np.all(np.abs(got - want) <= TOLERANCE * np.maximum(1.0, np.abs(want))))


def _show(x, name):
    """A value as printed in a verdict: 5 significant digits, arrays by their shape and first entries."""
    if x is None:
        return "None"
    x = np.asarray(x, np.float64)
    if name == "build_total_cost" and x.shape == (3,):
        return f"J {x[0]:.5g}, J_content {x[1]:.5g}, J_style {x[2]:.5g}"
    if x.ndim == 0:
        return f"{float(x):.5g}"
    flat = x.ravel()
    head = ", ".join(f"{v:.4g}" for v in flat[:3]) + (", ..." if flat.size > 3 else "")
    return f"shape {x.shape}, entries [{head}]"


def _verdict(label, ok, yours, expected, hint):
    """One line for short values, else the values on their own indented lines; then the hint."""
    status = "passed" if ok else "FAILED"
    if len(yours) + len(expected) < 60:
        text = f"{label}: {status} — yours {yours}, expected {expected}"
        return text + (f" — hint: {hint}" if hint else "")
    text = f"{label}: {status}\n    yours:    {yours}\n    expected: {expected}"
    return text + (f"\n    hint: {hint}" if hint else "")


#: Errors a learner's code raises, recognised by words in their message: (words, hint).
ERROR_HINTS = [
    (("uninitialized",), "run tf.compat.v1.global_variables_initializer() before the first step"),
    (("numpy.ndarray", "get_shape"), "the first argument can be a NumPy array (a_C = sess.run(out) and a_S = "
                                     "sess.run(out) give one): read the sizes from a_G, the tensor"),
    (("symbolic", "numpy"), "NumPy cannot compute with tensors: use * and + or TensorFlow's operations (tf.add, "
                            "tf.matmul, tf.reduce_sum...) on them"),
    (("int32", "'Mul'"), "alpha and beta are Python numbers: write alpha * J_content, or put the tensor first, "
                       "tf.multiply(J_content, alpha); tf.multiply(alpha, ...) makes an integer tensor of alpha"),
]


def _error_hint(exc, name):
    text = f"{type(exc).__name__} {exc}".lower()
    hints = NAMED_ERROR_HINTS.get(name, []) + ERROR_HINTS
    return next((hint for words, hint in hints if all(w.lower() in text for w in words)), None)


@functools.lru_cache(maxsize=None)
def _mistake_value(name, mistake, case):
    """What known mistake number ``mistake`` of ``name`` gives on case number ``case``; None if it cannot
    run there. Kept, so that a learner's second failure gets its hint at once."""
    try:
        return evaluate(MISTAKES[name][mistake][0], name, DATA[name][case])
    except Exception:
        return None


def _hint(name, got, case):
    """The hint for the learner's value ``got`` on case number ``case`` of ``name``."""
    if got is None:
        return "your function returned None: fill in the code between START CODE HERE and END CODE HERE"
    for mistake, (_, hint) in enumerate(MISTAKES[name]):
        if _matches(got, _mistake_value(name, mistake, case)):
            return hint
    want = np.asarray(DATA[name][case]["expected"])
    if np.shape(got) != want.shape:
        return f"the shape should be {want.shape}"
    return "compare your code with the formula and the steps above"


def check(name, fn):
    """Run every stored case of graded function ``name`` on ``fn``; print a verdict; return a Verdict."""
    cases = DATA[name]
    passed, lines = 0, []

    def say(text):  # printed as each case ends (a slow case shows progress), kept for the Verdict
        print(text)
        lines.append(text)

    for i, case in enumerate(cases, start=1):  # i - 1: the case's number in DATA[name]
        label = f"{name} case {i} ({case['label']})"
        try:
            got = _run_learner(fn, name, case)
        except CallsReference:
            say(f"{label}: FAILED, your function runs nst_utils' own {name}: write it yourself")
            continue
        except Misuse as exc:
            say(f"{label}: FAILED — hint: {exc}")
            continue
        except Exception as exc:  # the learner's code failed: say how, never raise
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            hint = _error_hint(exc, name)
            hint = f" — hint: {hint}" if hint else ""
            say(f"{label}: FAILED, raised {type(exc).__name__}: {message[:160]}{hint}")
            continue
        want = np.asarray(case["expected"], np.float64)
        ok = _matches(got, want)
        say(_verdict(label, ok, _show(got, name), _show(want, name), None if ok else _hint(name, got, i - 1)))
        passed += ok
    ok = passed == len(cases)
    RESULTS.pop(name, None)
    if ok:
        RESULTS[name] = fn
        say(f"All {len(cases)} cases passed: the cells below use your {name}.")
    else:
        say(f"{passed} of {len(cases)} cases passed. Fix {name}, run its cell again, then this cell; "
            f"until it passes, the cells below use the reference {name} from nst_utils.")
    return Verdict(ok, "\n".join(lines))


def check_unroll_volume(fn):
    """Check ``unroll_volume(a)``: ``(1, n_H, n_W, n_C)`` -> ``(n_C, n_H*n_W)``."""
    return check("unroll_volume", fn)


def check_compute_content_cost(fn):
    """Check ``compute_content_cost(a_C, a_G)``."""
    return check("compute_content_cost", fn)


def check_gram_matrix(fn):
    """Check ``gram_matrix(A)``."""
    return check("gram_matrix", fn)


def check_compute_layer_style_cost(fn):
    """Check ``compute_layer_style_cost(a_S, a_G)``."""
    return check("compute_layer_style_cost", fn)


def check_compute_style_cost(fn):
    """Check ``compute_style_cost(model, STYLE_LAYERS)`` on a tiny network (uses the notebook's ``sess``)."""
    return check("compute_style_cost", fn)


def check_total_cost(fn):
    """Check ``total_cost(J_content, J_style, alpha=10, beta=40)``."""
    return check("total_cost", fn)


def check_build_total_cost(fn):
    """Check ``build_total_cost(sess, model, content_image, style_image, alpha=10, beta=40)`` on a tiny network."""
    return check("build_total_cost", fn)


def check_model_nn(fn):
    """Check ``model_nn(sess, model, train_step, input_image, num_iterations)`` on a tiny network."""
    return check("model_nn", fn)


def check_compute_guided_gram(fn):
    """Check ``compute_guided_gram(a, mask)``: ``(1, n_H, n_W, n_C)`` and a mask ``(H, W)`` -> ``(n_C, n_C)``."""
    return check("compute_guided_gram", fn)


def use(name):
    """The learner's ``name`` if it passed its check, else nst_utils' reference (said once per call)."""
    name = getattr(name, "__name__", name)
    if name in RESULTS:
        return RESULTS[name]
    print(f"Using the reference {name} from nst_utils until yours passes its check.")
    return REFERENCES[name]
