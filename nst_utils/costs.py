"""The costs of Neural Style Transfer, as `tf.compat.v1` graph code.

Introduced in notebooks 01 (unrolling), 02 (content cost), 03 (Gram matrix),
04 (style cost) and 05 (total cost). Activations have shape ``(1, n_H, n_W, n_C)``.
"""
import numpy as np
import tensorflow as tf

#: The assignment's style layers: the first conv layer of each block, weighted equally.
STYLE_LAYERS = [
    ("conv1_1", 0.2),
    ("conv2_1", 0.2),
    ("conv3_1", 0.2),
    ("conv4_1", 0.2),
    ("conv5_1", 0.2),
]

#: The assignment's content layer, in the middle of the network.
CONTENT_LAYER = "conv4_2"


def _dims(a):
    """Static ``(m, n_H, n_W, n_C)`` of an activation tensor (or numpy array), as Python ints."""
    return [int(d) for d in (a.get_shape().as_list() if hasattr(a, "get_shape") else np.shape(a))]


def unroll_volume(a):
    """Unroll an activation volume ``(1, n_H, n_W, n_C)`` into a matrix ``(n_C, n_H*n_W)``.

    Row ``c`` holds channel ``c`` at every position. Reshape to ``(n_H*n_W, n_C)`` first, then
    transpose: reshaping straight to ``(n_C, n_H*n_W)`` mixes values of different channels.
    """
    _, n_H, n_W, n_C = _dims(a)
    return tf.transpose(tf.reshape(a, [n_H * n_W, n_C]))


def compute_content_cost(a_C, a_G):
    """Content cost ``1/(4 n_H n_W n_C) * sum((a_C - a_G)**2)``, a scalar tensor.

    a_C, a_G: activations ``(1, n_H, n_W, n_C)`` of the content and generated images.
    """
    _, n_H, n_W, n_C = _dims(a_G)
    return tf.reduce_sum(tf.square(a_C - a_G)) / (4.0 * n_H * n_W * n_C)


@tf.custom_gradient
def gram_matrix(A):
    """Gram matrix ``G = A Aᵀ`` of an unrolled matrix ``A`` of shape ``(n_C, n_H*n_W)``: ``(n_C, n_C)``.

    Its gradient is written out: ``dA = (dG + dGᵀ) A`` is one matmul, where TensorFlow's own
    gradient of ``matmul(A, A)`` takes two (one per operand) and a sum; the Gram matrices are the
    only matmuls in a style transfer step.
    """
    return tf.matmul(A, A, transpose_b=True), lambda dG: tf.matmul(dG + tf.transpose(dG), A)


#: Graph collection of the ops computing ``F (dG + dGᵀ)``, for :func:`delay_gram_gradients`.
GRAM_GRADIENTS = "nst_gram_gradients"


@tf.custom_gradient
def _gram_of_positions(F):
    """``Fᵀ F`` of ``F`` shaped ``(n_H*n_W, n_C)``, gradient ``F (dG + dGᵀ)``: no transposed copy of F."""
    def grad(dG):
        dF = tf.matmul(F, dG + tf.transpose(dG))
        tf.compat.v1.add_to_collection(GRAM_GRADIENTS, dF.op)
        return dF

    return tf.matmul(F, F, transpose_a=True), grad


def delay_gram_gradients(graph=None):
    """Make each Gram gradient ``F (dG + dGᵀ)`` wait for the layer's other gradients.

    It depends only on the forward pass, so TensorFlow computes it as soon as the forward pass has
    passed the layer and holds it, activation-sized, until the backward pass comes back to be added
    to it: for the five style layers of a 1920x1080 image that is about 1 GB held through the
    whole step. Call once the gradients are built (after ``tf.gradients`` or ``minimize``).
    """
    graph = graph or tf.compat.v1.get_default_graph()
    for op in graph.get_collection(GRAM_GRADIENTS):
        for later in _summed_with(op.outputs[0]):
            if later not in op.control_inputs:
                op._add_control_input(later)


def _summed_with(tensor):
    """The ops producing the other terms of the sums (AddN) that ``tensor`` flows into, via reshapes."""
    partners = []
    for consumer in tensor.consumers():
        if consumer.type == "Reshape":
            partners += _summed_with(consumer.outputs[0])
        elif consumer.type in ("AddN", "AddV2", "Add"):
            partners += [t.op for t in consumer.inputs if t is not tensor]
    return partners


def activation_gram(a):
    """``gram_matrix(unroll_volume(a))`` of an activation ``(1, n_H, n_W, n_C)``, as ``(n_C, n_C)``.

    The same numbers computed from the ``(n_H*n_W, n_C)`` reshape, which needs no transposed copy
    of the activation (half a gigabyte for conv1_1 of a 1920x1080 image). A numpy activation (as
    ``sess.run`` returns it) gets its Gram matrix computed once, now, as a numpy array.
    """
    _, n_H, n_W, n_C = _dims(a)
    if isinstance(a, np.ndarray):
        F = a.reshape(n_H * n_W, n_C).astype(np.float64)
        return (F.T @ F).astype(np.float32)
    return _gram_of_positions(tf.reshape(a, [n_H * n_W, n_C]))


def compute_layer_style_cost(a_S, a_G):
    """Style cost of one layer ``1/(4 n_C² (n_H n_W)²) * sum((G_S - G_G)**2)``, a scalar tensor.

    a_S, a_G: activations ``(1, n_H, n_W, n_C)`` of the style and generated images (a_S may be the
    numpy array ``sess.run`` returned, as in the assignment).
    """
    _, n_H, n_W, n_C = _dims(a_G)
    GS = activation_gram(a_S)
    GG = activation_gram(a_G)
    return tf.reduce_sum(tf.square(GS - GG)) / (4.0 * n_C**2 * (n_H * n_W) ** 2)


def compute_style_cost(model, STYLE_LAYERS=STYLE_LAYERS, sess=None):
    """Weighted sum of the layer style costs over ``(layer_name, weight)`` pairs.

    The style image must already be assigned to ``model['input']``: as in the assignment, each
    layer's style activation ``a_S`` is evaluated now (a numpy array, so its Gram matrix is a
    constant) while ``a_G`` stays a tensor that follows the input. ``sess`` defaults to the default
    (e.g. interactive) session.
    """
    sess = sess or tf.compat.v1.get_default_session()
    if sess is None:
        raise RuntimeError("compute_style_cost needs a session: open tf.compat.v1.InteractiveSession() first")
    J_style = 0
    for layer_name, coeff in STYLE_LAYERS:
        out = model[layer_name]
        a_S = sess.run(out)
        J_style += coeff * compute_layer_style_cost(a_S, out)
    return J_style


def total_cost(J_content, J_style, alpha=10, beta=40):
    """Total cost ``alpha * J_content + beta * J_style``."""
    return alpha * J_content + beta * J_style


def total_variation_cost(image):
    """Total variation ``sum of squared differences of neighbouring pixels / number of pixels``.

    image: ``(1, n_H, n_W, 3)``. Penalising it smooths high-frequency noise in the generated image.
    """
    _, n_H, n_W, _ = _dims(image)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return (tf.reduce_sum(tf.square(dy)) + tf.reduce_sum(tf.square(dx))) / float(n_H * n_W)
