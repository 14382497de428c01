"""The graph code against the original assignment's expected outputs and independent numpy."""
import numpy as np
import pytest

import nst_utils as nst
from nst_utils import costs, tf

ASSIGNMENT_GRAM = [[6.42230511, -4.42912197, -2.09668207],
                   [-4.42912197, 19.46583748, 19.56387138],
                   [-2.09668207, 19.56387138, 20.6864624]]


def assignment_activations(sess, shape=(1, 4, 4, 3)):
    """The assignment's test draws: graph seed 1, op seeds 3 and 9, evaluated in one run."""
    tf.compat.v1.set_random_seed(1)
    a = tf.random.normal(shape, mean=1, stddev=4, seed=3)
    b = tf.random.normal(shape, mean=1, stddev=4, seed=9)
    return a, b


def test_content_cost_assignment_value(sess):
    a_C, a_G = assignment_activations(sess)
    assert sess.run(nst.compute_content_cost(a_C, a_G)) == pytest.approx(6.76559, abs=1e-5)


def test_layer_style_cost_assignment_value(sess):
    a_S, a_G = assignment_activations(sess)
    assert sess.run(nst.compute_layer_style_cost(a_S, a_G)) == pytest.approx(9.19028, abs=1e-5)


def test_gram_matrix_assignment_value(sess):
    tf.compat.v1.set_random_seed(1)
    A = tf.random.normal([3, 2], mean=1, stddev=4, seed=3)
    np.testing.assert_allclose(sess.run(nst.gram_matrix(A)), ASSIGNMENT_GRAM, rtol=1e-6)


def test_total_cost_assignment_value():
    np.random.seed(3)
    J_content, J_style = np.random.randn(), np.random.randn()
    assert nst.total_cost(J_content, J_style) == pytest.approx(35.34667875478276, rel=1e-12)
    assert nst.total_cost(1.0, 2.0, alpha=3, beta=5) == 13.0


def test_costs_match_numpy_on_other_shapes(sess):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(1, 5, 7, 6)).astype(np.float32)
    b = rng.normal(size=(1, 5, 7, 6)).astype(np.float32)
    n_H, n_W, n_C = 5, 7, 6
    unrolled = sess.run(nst.unroll_volume(tf.constant(a)))
    assert unrolled.shape == (n_C, n_H * n_W)
    np.testing.assert_array_equal(unrolled[2], a[0, :, :, 2].ravel())  # row c is channel c
    content = sess.run(nst.compute_content_cost(tf.constant(a), tf.constant(b)))
    assert content == pytest.approx(((a - b) ** 2).sum() / (4 * n_H * n_W * n_C), rel=1e-5)
    gram = lambda x: x[0].reshape(-1, n_C).T @ x[0].reshape(-1, n_C).T.T  # noqa: E731
    style = sess.run(nst.compute_layer_style_cost(tf.constant(a), tf.constant(b)))
    want = ((gram(a) - gram(b)) ** 2).sum() / (4 * n_C**2 * (n_H * n_W) ** 2)
    assert style == pytest.approx(want, rel=1e-5)
    assert sess.run(nst.compute_content_cost(tf.constant(a), tf.constant(a))) == 0


def test_style_cost_is_weighted_sum_of_layers(sess):
    rng = np.random.default_rng(1)
    style = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    generated = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    x = tf.compat.v1.Variable(style)
    model = {"l1": tf.nn.relu(x), "l2": tf.square(x)}  # two "layers" that follow the input
    sess.run(x.initializer)
    J = nst.compute_style_cost(model, [("l1", 0.25), ("l2", 0.75)], sess=sess)
    x.load(generated, sess)
    per_layer = [sess.run(nst.compute_layer_style_cost(tf.constant(f(style)), tf.constant(f(generated))))
                 for f in (lambda v: np.maximum(v, 0), np.square)]
    assert sess.run(J) == pytest.approx(0.25 * per_layer[0] + 0.75 * per_layer[1], rel=1e-5)
    assert per_layer[0] > 0 and per_layer[1] > 0


def test_style_cost_needs_a_session():
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError, match="InteractiveSession"):
            nst.compute_style_cost({"conv1_1": tf.zeros([1, 2, 2, 1])}, [("conv1_1", 1.0)])


def test_total_variation_cost(sess):
    image = np.zeros((1, 3, 4, 3), np.float32)
    assert sess.run(nst.total_variation_cost(tf.constant(image))) == 0
    image[0, 1, 1, 0] = 2.0  # one bright pixel: 4 neighbour differences of 2
    assert sess.run(nst.total_variation_cost(tf.constant(image))) == pytest.approx(4 * 4 / 12)


def test_default_layers_are_the_assignments():
    assert nst.STYLE_LAYERS == [(f"conv{b}_1", 0.2) for b in range(1, 6)]
    assert nst.CONTENT_LAYER == "conv4_2"


def test_numpy_activations_are_accepted(sess):
    """The assignment evaluates a_S = sess.run(out): a numpy array, not a tensor."""
    a_S, a_G = assignment_activations(sess)
    a_S_value = sess.run(a_S)
    J = nst.compute_layer_style_cost(a_S_value, tf.constant(sess.run(a_G)))
    assert sess.run(J) != 0 and sess.run(nst.compute_content_cost(a_S_value, a_S_value)) == 0


def test_gram_gradients_equal_tensorflows_own(sess):
    """gram_matrix's and activation_gram's written-out gradients against TensorFlow's gradient of the
    plain matmul, under a non-symmetric upstream gradient; and both Gram forms give the same values."""
    rng = np.random.default_rng(0)
    a = tf.constant(rng.normal(size=(1, 5, 4, 3)).astype(np.float32))
    weights = tf.constant(rng.normal(size=(3, 3)).astype(np.float32))  # dJ/dG, not symmetric
    A = nst.unroll_volume(a)
    plain = tf.matmul(A, tf.transpose(A))
    grams = [plain, nst.gram_matrix(A), nst.costs.activation_gram(a)]
    values = sess.run(grams)
    grads = sess.run([tf.gradients(tf.reduce_sum(weights * G), a)[0] for G in grams])
    for v, g in zip(values[1:], grads[1:]):
        np.testing.assert_allclose(v, values[0], rtol=1e-5)
        np.testing.assert_allclose(g, grads[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nst.costs.activation_gram(sess.run(a)), values[0], rtol=1e-5)



def test_delayed_gram_gradients_wait_for_the_deeper_layers_and_keep_the_numbers(tiny_model):
    """After delay_gram_gradients each style layer's F (dG + dGᵀ) but the deepest has the deeper
    layers' gradient as a control input (so it is not held through the step); same gradient."""
    rng = np.random.default_rng(2)
    style, start = (rng.normal(0, 50, (1, 16, 16, 3)).astype(np.float32) for _ in range(2))

    def gradient(delay):
        with tf.Graph().as_default() as graph, tf.compat.v1.Session() as sess:
            model = nst.load_vgg_model(tiny_model, height=16, width=16, verbose=False)
            model["input"].load(style, sess)
            J = nst.compute_style_cost(model, nst.STYLE_LAYERS, sess=sess)
            grad = tf.gradients(J, model["input"])[0]
            if delay:
                nst.costs.delay_gram_gradients()
            waiting = [op for op in graph.get_collection(nst.costs.GRAM_GRADIENTS) if op.control_inputs]
            model["input"].load(start, sess)
            return sess.run(grad), len(waiting)

    (plain, none), (delayed, waiting) = gradient(False), gradient(True)
    assert none == 0 and waiting == len(nst.STYLE_LAYERS) - 1  # conv5_1 has nothing deeper
    np.testing.assert_allclose(delayed, plain, rtol=1e-5, atol=1e-6 * np.abs(plain).max())


# --- issue 11: wrong shapes get one line naming the function, the argument and what it must be -------

A3, A5 = np.zeros((1, 4, 4, 3), np.float32), np.zeros((1, 4, 4, 5), np.float32)


@pytest.mark.parametrize("call, message", [
    (lambda: nst.compute_content_cost(tf.constant(A3), tf.constant(A5)),
     "compute_content_cost: a_C has shape (1, 4, 4, 3) and a_G (1, 4, 4, 5); both must be (1, n_H, n_W, n_C) of the "
     "same shape"),
    (lambda: nst.compute_content_cost(A3, tf.zeros([1, 4, 5, 3])),
     "compute_content_cost: a_C has shape (1, 4, 4, 3) and a_G (1, 4, 5, 3); both must be (1, n_H, n_W, n_C) of the "
     "same shape"),
    (lambda: nst.compute_content_cost(A3[0], A3[0]),
     "compute_content_cost: a_C has shape (4, 4, 3) and a_G (4, 4, 3); both must be (1, n_H, n_W, n_C) of the same "
     "shape"),
    (lambda: nst.compute_content_cost(None, A3), "compute_content_cost: a_C is None; give a tensor or numpy array"),
    (lambda: nst.compute_content_cost(np.zeros((1, 0, 4, 3)), np.zeros((1, 0, 4, 3))),
     "compute_content_cost: a_C has shape (1, 0, 4, 3), which holds no values; n_H, n_W and n_C must be at least 1"),
    (lambda: nst.compute_layer_style_cost(A3, tf.constant(A5)),
     "compute_layer_style_cost: a_S has shape (1, 4, 4, 3) and a_G (1, 4, 4, 5); both must be (1, n_H, n_W, n_C) of "
     "the same shape"),
    (lambda: nst.compute_layer_style_cost(np.zeros((1, 8, 8, 3), np.float32), tf.constant(A3)),  # silently wrong before
     "compute_layer_style_cost: a_S has shape (1, 8, 8, 3) and a_G (1, 4, 4, 3); both must be (1, n_H, n_W, n_C) of "
     "the same shape"),
    (lambda: nst.compute_layer_style_cost(np.array(["a"] * 48).reshape(1, 4, 4, 3), tf.constant(A3)),
     "compute_layer_style_cost: a_S holds no numbers (a ndarray of dtype <U1); give a tensor or numpy array of "
     "numbers"),
    (lambda: nst.unroll_volume(tf.zeros([2, 4, 4, 3])),
     "unroll_volume: a has shape (2, 4, 4, 3); it must be (1, n_H, n_W, n_C): one image"),
    (lambda: nst.unroll_volume(tf.zeros([4, 4, 3])),
     "unroll_volume: a has shape (4, 4, 3); it must be (1, n_H, n_W, n_C)"),
    (lambda: nst.gram_matrix(tf.zeros([1, 3, 4])),
     "gram_matrix: A has shape (1, 3, 4); it must be a matrix (n_C, n_H*n_W), e.g. unroll_volume(a) of an activation "
     "(1, n_H, n_W, n_C)"),
    (lambda: nst.gram_matrix(tf.zeros([3])), "gram_matrix: A has shape (3,); it must be a matrix (n_C, n_H*n_W)"),
    (lambda: nst.gram_matrix(None), "gram_matrix: A is None; give a tensor or numpy array"),
    (lambda: nst.total_variation_cost(tf.zeros([2, 4, 4, 3])),  # summed the batch silently before
     "total_variation_cost: image has shape (2, 4, 4, 3); it must be (1, n_H, n_W, n_C): one image"),
    (lambda: nst.total_variation_cost(tf.zeros([4, 4, 3])), "total_variation_cost: image has shape (4, 4, 3)"),
    (lambda: nst.compute_style_cost({"conv1_1": tf.zeros([1, 2, 2, 1])}, [("conv9_1", 1.0)],
                                    sess=tf.compat.v1.Session()),
     "compute_style_cost: the model has no layer 'conv9_1'; its layers are conv1_1"),
    (lambda: nst.compute_style_cost({"conv1_1": tf.zeros([1, 2, 2, 1])}, ["conv1_1"], sess=tf.compat.v1.Session()),
     "compute_style_cost: STYLE_LAYERS is ['conv1_1']; give a list of (layer_name, weight) pairs"),
])
def test_wrong_shapes_get_one_line(sess, call, message):
    with pytest.raises(nst.NSTError) as info:
        call()
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_shapes_known_only_at_run_time_are_accepted_and_checked_then(sess):
    """Placeholders with unknown sizes (or rank) could be valid: same numbers as with known shapes, and
    a run-time assertion (not a silently broadcast result) when the fed value does not fit."""
    rng = np.random.default_rng(3)
    a, b = (rng.normal(size=(1, 5, 7, 6)).astype(np.float32) for _ in range(2))
    functions = [lambda x: nst.compute_content_cost(a, x), lambda x: nst.compute_layer_style_cost(a, x),
                 nst.unroll_volume, nst.total_variation_cost, lambda x: nst.gram_matrix(nst.unroll_volume(x))]
    want = sess.run([f(tf.constant(b)) for f in functions])
    for shape in ([1, None, None, 6], [None, 5, 7, 6], [1, 5, 7, None], None):
        x = tf.compat.v1.placeholder(tf.float32, shape)
        got = sess.run([f(x) for f in functions], {x: b})
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6)
    x = tf.compat.v1.placeholder(tf.float32, [None, None, None, 6])
    for wrong in (np.zeros((1, 1, 1, 6), np.float32), np.zeros((2, 5, 7, 6), np.float32)):
        with pytest.raises(tf.errors.InvalidArgumentError, match="compute_content_cost: a_"):
            sess.run(nst.compute_content_cost(a, x), {x: wrong})


def test_checks_leave_the_graph_of_known_shapes_unchanged(sess):
    """Fully known shapes (all of this package's graphs) get no extra op."""
    a = tf.constant(np.ones((1, 3, 4, 2), np.float32))
    before = len(sess.graph.get_operations())
    nst.compute_content_cost(np.ones((1, 3, 4, 2), np.float32), a)
    nst.compute_layer_style_cost(np.ones((1, 3, 4, 2), np.float32), a)
    nst.total_variation_cost(a)
    nst.gram_matrix(nst.unroll_volume(a))
    added = {op.type for op in sess.graph.get_operations()[before:]}
    assert not added & {"Assert", "Shape", "Cast"}, added


def sliced(sess, a_G, a_S, seed=0):
    directions = costs.sliced_directions(a_S.shape[-1], seed)
    return sess.run(costs.sliced_wasserstein_cost(tf.constant(a_G), directions, costs.sorted_projections(a_S, directions)))


def test_sliced_wasserstein_sees_distributions_that_the_gram_matrix_cannot(sess):
    rng = np.random.default_rng(0)
    a_S = rng.gamma(2.0, size=(1, 6, 8, 5)).astype(np.float32)
    shuffled = rng.permutation(a_S.reshape(-1, 5)).reshape(1, 6, 8, 5)  # the same features elsewhere
    assert sliced(sess, a_S, a_S) == pytest.approx(0, abs=1e-10)
    assert sliced(sess, shuffled, a_S) == pytest.approx(0, abs=1e-10)
    # -a_S has the very same Gram matrix, but its features are distributed otherwise: only SW sees it
    gram = sess.run(nst.compute_layer_style_cost(a_S, tf.constant(-a_S)))
    assert gram == pytest.approx(0, abs=1e-6) and sliced(sess, -a_S, a_S) > 1
    # a style image of another size: its sorted projections are resampled to this image's positions
    half = a_S[:, :3, :4, :]
    assert sliced(sess, np.repeat(np.repeat(half, 2, axis=1), 2, axis=2), half) == pytest.approx(0, abs=1e-10)


def test_sliced_wasserstein_gradient_matches_finite_differences(sess):
    rng = np.random.default_rng(1)
    a_S = rng.normal(size=(1, 3, 4, 3)).astype(np.float32)
    a_G = rng.normal(size=(1, 3, 4, 3))
    directions = costs.sliced_directions(3)
    x = tf.compat.v1.placeholder(tf.float32, a_G.shape)
    J = costs.sliced_wasserstein_cost(x, directions, costs.sorted_projections(a_S, directions))
    grad = sess.run(tf.gradients(J, x)[0], {x: a_G})
    for index in [(0, 0, 0, 0), (0, 1, 2, 1), (0, 2, 3, 2)]:
        step = np.zeros_like(a_G)
        step[index] = 1e-3
        numeric = (sess.run(J, {x: a_G + step}) - sess.run(J, {x: a_G - step})) / 2e-3
        assert grad[index] == pytest.approx(numeric, rel=1e-2, abs=1e-4)
