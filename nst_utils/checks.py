"""Checks for the learner's graded functions (cs231n style: stored reference values, short verdicts).

Each ``check_*`` runs the learner's function in a private graph on several cases, prints one line per
case — passed, or expected vs got with a hint for the likely mistake — and returns True or False.
It never raises, except under nbgrader's autograder (``NBGRADER_EXECUTION=autograde``), where a
failed check raises AssertionError so that the cell scores no points. Expected values live in
``check_data.json`` (made by the reference implementation; the first case of each is the original
assignment's test). Introduced in notebook 01.
"""
import json
import os
from pathlib import Path

import numpy as np

from . import costs
from ._tf import tf

DATA = json.loads((Path(__file__).with_name("check_data.json")).read_text())
TOLERANCE = 1e-4  # relative error accepted


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


# --- wrong implementations: recognised in a learner's output to give a precise hint -------------

def _bare_unroll(a):
    _, n_H, n_W, n_C = a.get_shape().as_list()
    return tf.reshape(a, [n_C, n_H * n_W])


def _layer_style_with(unroll, norm):
    def cost(a_S, a_G):
        _, n_H, n_W, n_C = a_G.get_shape().as_list()
        diff = costs.gram_matrix(unroll(a_S)) - costs.gram_matrix(unroll(a_G))
        return tf.reduce_sum(tf.square(diff)) * norm(n_H, n_W, n_C)
    return cost


def _content_with(norm):
    def cost(a_C, a_G):
        _, n_H, n_W, n_C = a_G.get_shape().as_list()
        return tf.reduce_sum(tf.square(a_C - a_G)) * norm(n_H, n_W, n_C)
    return cost


STYLE_NORM = lambda h, w, c: 1.0 / (4 * c**2 * (h * w) ** 2)  # noqa: E731

MISTAKES = {
    "unroll_volume": [
        (_bare_unroll, "a bare reshape to (n_C, n_H*n_W) mixes channels: reshape to (n_H*n_W, n_C), then transpose"),
        (lambda a: tf.reshape(a, [-1, a.get_shape().as_list()[-1]]),
         "this is (n_H*n_W, n_C): transpose it so that each row is one channel"),
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
    ],
    "total_cost": [
        (lambda c, s, alpha=10, beta=40: beta * c + alpha * s, "alpha weighs J_content and beta weighs J_style: swapped?"),
        (lambda c, s, alpha=10, beta=40: c + s, "multiply J_content by alpha and J_style by beta"),
        (lambda c, s, alpha=40, beta=10: alpha * c + beta * s, "the defaults are alpha = 10, beta = 40"),
    ],
}

CHECKS = {
    "unroll_volume": draw_matrix,
    "compute_content_cost": draw_pair,
    "gram_matrix": draw_matrix,
    "compute_layer_style_cost": draw_pair,
    "total_cost": draw_scalars,
}


def evaluate(fn, name, case):
    """Run ``fn`` on the case's inputs in a private graph; return a numpy array (or None)."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        inputs = CHECKS[name](case)
        if name != "total_cost":
            inputs = [tf.constant(v) for v in sess.run(inputs)]  # one run: one draw of each tensor
        out = fn(*inputs, **case.get("kwargs", {}))
        if out is None:
            return None
        if isinstance(out, (tf.Tensor, tf.Variable)):
            out = sess.run(out)
        return np.asarray(out, dtype=np.float64)


def _matches(got, want):
    if got is None or np.shape(got) != np.shape(want):
        return False
    want = np.asarray(want, np.float64)
    return bool(np.abs(got - want).max() <= TOLERANCE * max(1.0, np.abs(want).max()))


def _show(x):
    x = np.asarray(x)
    if x.ndim == 0:
        return f"{float(x):.8g}"
    if x.size <= 9:
        return np.array2string(np.round(x, 5), separator=", ").replace("\n", "")
    return f"array of shape {x.shape}"


def _hint(fn_name, got, case):
    if got is None:
        return "your function returned None: fill in the code between START CODE HERE and END CODE HERE"
    for wrong, hint in MISTAKES[fn_name]:
        try:
            if _matches(got, evaluate(wrong, fn_name, case)):
                return hint
        except Exception:  # a wrong implementation that cannot run on this case
            continue
    return f"the shape should be {tuple(np.shape(case['expected']))}" if np.shape(got) != np.shape(case["expected"]) \
        else "compare your code with the formula above"


def check(fn_name, fn):
    """Run every stored case of ``fn_name`` against ``fn``; print a line per case; return True or False."""
    cases = DATA[fn_name]
    passed = 0
    for i, case in enumerate(cases, start=1):
        label = f"{fn_name} case {i} ({case['label']})"
        try:
            got = evaluate(fn, fn_name, case)
        except Exception as exc:  # the learner's code failed: say how, never raise
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            print(f"{label}: FAILED, raised {type(exc).__name__}: {message[:160]}")
            continue
        want = np.asarray(case["expected"], np.float64)
        if _matches(got, want):
            error = np.abs(got - want).max() / max(1.0, np.abs(want).max())
            print(f"{label}: passed (relative error {error:.1e})")
            passed += 1
        else:
            if got is not None and got.shape == want.shape and want.size > 9:
                seen = f"values off by up to {np.abs(got - want).max():.3g}"
            else:
                seen = f"expected {_show(want)}, got {_show(got) if got is not None else 'None'}"
            print(f"{label}: FAILED, {seen} — hint: {_hint(fn_name, got, case)}")
    ok = passed == len(cases)
    print(f"All {len(cases)} cases passed." if ok else
          f"{passed} of {len(cases)} cases passed: fix {fn_name} before you go on.")
    if not ok and os.environ.get("NBGRADER_EXECUTION") == "autograde":
        raise AssertionError(f"{fn_name} failed its check")
    return ok


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


def check_total_cost(fn):
    """Check ``total_cost(J_content, J_style, alpha=10, beta=40)``."""
    return check("total_cost", fn)


def use(fn, passed):
    """``fn`` if it passed its check, else nst_utils' reference implementation (said once)."""
    if passed:
        return fn
    print(f"Using the reference {fn.__name__} from nst_utils until yours passes its check.")
    return getattr(costs, fn.__name__)
