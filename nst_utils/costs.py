"""The costs of Neural Style Transfer, as `tf.compat.v1` graph code.

Introduced in notebooks 01 (unrolling), 02 (content cost), 03 (Gram matrix),
04 (style cost) and 05 (total cost). Activations have shape ``(1, n_H, n_W, n_C)``.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._tf import tf
from .errors import NSTError
from .masks import layer_guide
from .settings import CONTENT_LAYER, STYLE_LAYERS, Settings


def _dims(a):
    """``(m, n_H, n_W, n_C)`` of an activation tensor (or numpy array): Python ints where the static
    shape knows them (always, in this package's graphs), scalar int32 tensors for dimensions known
    only at run time."""
    if not hasattr(a, "get_shape"):
        return [int(d) for d in np.shape(a)]
    static = a.get_shape()
    if static.is_fully_defined():
        return [int(d) for d in static.as_list()]
    dynamic = tf.shape(a)
    known = static.as_list() if static.rank is not None else [None] * 4
    return [dynamic[i] if d is None else int(d) for i, d in enumerate(known)]


def _numbers(dims, like):
    """``dims`` as they are if all are Python ints, else each as a scalar tensor of ``like``'s float
    dtype (for the normalising constants of activations whose size is known only at run time)."""
    if all(isinstance(d, int) for d in dims):
        return dims
    return [tf.cast(d, like.dtype.base_dtype) for d in dims]


# --- input checks: one line naming the function, the argument, its shape and what it must be -----

def _shape_of(fn, name, x):
    """Static shape of a tensor or array as a list (None for a dimension known only at run time), or
    None if even its rank is unknown; NSTError if ``x`` is not a numeric tensor or array."""
    if x is None:
        raise NSTError(f"{fn}: {name} is None; give a tensor or numpy array")
    if hasattr(x, "get_shape"):
        shape = x.get_shape()
        if not (x.dtype.is_floating or x.dtype.is_integer):
            raise NSTError(f"{fn}: {name} is a {x.dtype.name} tensor; give a float tensor")
        return None if shape.rank is None else shape.as_list()
    try:
        array = np.asarray(x)
    except ValueError:  # a ragged list
        raise NSTError(f"{fn}: {name} is a {type(x).__name__} that is no array; give a tensor or numpy array") from None
    if array.dtype.kind not in "biuf":
        raise NSTError(f"{fn}: {name} holds no numbers (a {type(x).__name__} of dtype {array.dtype}); give a tensor "
                       f"or numpy array of numbers")
    return list(array.shape)


def _text(shape):
    return "(unknown rank)" if shape is None else str(tuple(shape))


def _check_activations(fn, **arrays):
    """Check one or two activations ``(1, n_H, n_W, n_C)`` (two: of the same shape), raising NSTError in
    one line if they cannot be. Dimensions unknown until run time are accepted and checked then: the
    activations come back wrapped in run-time assertions (fully known ones come back unchanged)."""
    names = list(arrays)
    shapes = {name: _shape_of(fn, name, x) for name, x in arrays.items()}
    for name, shape in shapes.items():
        if shape is not None and (len(shape) != 4 or shape[0] not in (1, None)):
            what = "both must be (1, n_H, n_W, n_C) of the same shape" if len(names) == 2 else \
                "it must be (1, n_H, n_W, n_C): one image"
            raise NSTError(f"{fn}: {_pair_text(shapes)}; {what}")
        if shape is not None and 0 in shape:
            raise NSTError(f"{fn}: {name} has shape {_text(shape)}, which holds no values; n_H, n_W and n_C "
                           f"must be at least 1")
    if len(names) == 2:
        first, second = (shapes[n] for n in names)
        if first is not None and second is not None and any(
                d is not None and e is not None and d != e for d, e in zip(first, second)):
            raise NSTError(f"{fn}: {_pair_text(shapes)}; both must be (1, n_H, n_W, n_C) of the same shape")
    if all(shape is not None and None not in shape for shape in shapes.values()):
        return list(arrays.values())
    return _checked_at_run_time(fn, arrays, shapes)


def _pair_text(shapes):
    (n1, s1), *rest = shapes.items()
    return f"{n1} has shape {_text(s1)}" + "".join(f" and {n} {_text(s)}" for n, s in rest)


def _checked_at_run_time(fn, arrays, shapes):
    """``arrays``' values, each tensor whose static shape is partly unknown made to assert first (at run
    time) what its static shape could not tell: rank 4, one image, and the other argument's shape.
    Numpy arrays and fully known tensors come back unchanged."""
    names, checked = list(arrays), []
    for name, x in arrays.items():
        shape = shapes[name]
        if shape is not None and None not in shape:
            checked.append(x)
            continue
        run_shape = tf.shape(x)
        must = f"{fn}: {name} must be (1, n_H, n_W, n_C)"
        asserts = [tf.debugging.assert_equal(tf.size(run_shape), 4, message=must),
                   tf.debugging.assert_equal(run_shape[0], 1, message=must + ", one image")]
        for other in names:
            if other != name:
                y = arrays[other]
                other_shape = tf.shape(y) if hasattr(y, "get_shape") else tf.constant(np.shape(y), tf.int32)
                asserts.append(tf.debugging.assert_equal(
                    run_shape, other_shape, message=f"{fn}: {names[0]} and {names[1]} must have the same shape"))
        with tf.control_dependencies(asserts):
            checked.append(tf.identity(x))
    return checked


def _check_matrix(fn, name, A):
    shape = _shape_of(fn, name, A)
    if shape is not None and len(shape) != 2:
        raise NSTError(f"{fn}: {name} has shape {_text(shape)}; it must be a matrix (n_C, n_H*n_W), e.g. "
                       f"unroll_volume(a) of an activation (1, n_H, n_W, n_C)")


def unroll_volume(a):
    """Unroll an activation volume ``(1, n_H, n_W, n_C)`` into a matrix ``(n_C, n_H*n_W)``.

    Row ``c`` holds channel ``c`` at every position. Reshape to ``(n_H*n_W, n_C)`` first, then
    transpose: reshaping straight to ``(n_C, n_H*n_W)`` mixes values of different channels.
    """
    a, = _check_activations("unroll_volume", a=a)
    _, n_H, n_W, n_C = _dims(a)
    return tf.transpose(tf.reshape(a, [n_H * n_W, n_C]))


def compute_content_cost(a_C, a_G):
    """Content cost ``1/(4 n_H n_W n_C) * sum((a_C - a_G)**2)``, a scalar tensor.

    a_C, a_G: activations ``(1, n_H, n_W, n_C)`` of the content and generated images.
    """
    a_C, a_G = _check_activations("compute_content_cost", a_C=a_C, a_G=a_G)
    _, n_H, n_W, n_C = _numbers(_dims(a_G), a_G)
    return tf.reduce_sum(tf.square(a_C - a_G)) / (4.0 * n_H * n_W * n_C)


def gram_matrix(A):
    """Gram matrix ``G = A Aᵀ`` of an unrolled matrix ``A`` of shape ``(n_C, n_H*n_W)``: ``(n_C, n_C)``.

    Its gradient is written out (:func:`_gram_matrix`): ``dA = (dG + dGᵀ) A`` is one matmul, where
    TensorFlow's own gradient of ``matmul(A, A)`` takes two (one per operand) and a sum; the Gram
    matrices are the only matmuls in a style transfer step.
    """
    _check_matrix("gram_matrix", "A", A)
    return _gram_matrix(A)


@tf.custom_gradient
def _gram_matrix(A):
    """``A Aᵀ`` with the gradient ``(dG + dGᵀ) A`` (see :func:`gram_matrix`)."""
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
    a, = _check_activations("activation_gram", a=a)
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
    a_S, a_G = _check_activations("compute_layer_style_cost", a_S=a_S, a_G=a_G)
    _, n_H, n_W, n_C = _numbers(_dims(a_G), a_G)
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
    try:
        layers = [(layer_name, coeff) for layer_name, coeff in STYLE_LAYERS]
    except (TypeError, ValueError):
        raise NSTError(f"compute_style_cost: STYLE_LAYERS is {STYLE_LAYERS!r}; give a list of (layer_name, "
                       f"weight) pairs such as [('conv1_1', 0.2), ...]") from None
    J_style = 0
    for layer_name, coeff in layers:
        try:
            out = model[layer_name]
        except (KeyError, IndexError, TypeError):
            known = ", ".join(str(k) for k in model) if isinstance(model, dict) else "?"
            raise NSTError(f"compute_style_cost: the model has no layer {layer_name!r}; its layers are "
                           f"{known}") from None
        a_S = sess.run(out)
        J_style += coeff * compute_layer_style_cost(a_S, out)
    return J_style


def total_cost(J_content, J_style, alpha=Settings.content_weight, beta=Settings.style_weight):
    """Total cost ``alpha * J_content + beta * J_style``."""
    return alpha * J_content + beta * J_style


def position_gram(a):
    """The Gram matrix of an activation ``(1, n_H, n_W, n_C)`` divided by its number of positions
    ``n_H n_W``: ``(n_C, n_C)``. Images of different sizes compare by it (the engine's style scale and
    coarse to fine)."""
    _, n_H, n_W, _ = _dims(a)
    return activation_gram(a) / (n_H * n_W)


def style_cost_from_grams(model, targets, layers, guides=None):
    """The engine's style cost of ``model['input']`` against stored :func:`position_gram` matrices:
    per layer ``1/(4 n_C²) * sum((G_S/(n_H n_W)_S - G_G/(n_H n_W))²)``, summed with the layer weights
    ``layers`` ``[(name, weight)]`` and, for several styles, the blend weights: ``targets`` is
    ``[(blend weight, {layer: Gram})]``. For a style image of the generated image's size this is
    :func:`compute_style_cost` (notebook 04) with the Gram matrices computed once. ``guides``: one
    region's ``{layer: guide (n_H, n_W)}`` (:func:`guided_gram`; a layer where it is all 0 is left out);
    None: the whole image."""
    J_style = 0.0
    for layer, coeff in layers:
        out = model[layer]
        _, n_H, n_W, n_C = out.get_shape().as_list()
        if guides is None:
            GG = activation_gram(out) / float(n_H * n_W)
        elif guides[layer].any():
            GG = guided_gram(out, guides[layer])
        else:
            continue
        for b, grams in targets:
            J_style += b * coeff * tf.reduce_sum(tf.square(tf.constant(grams[layer]) - GG)) / (4.0 * n_C**2)
    return J_style


def total_variation_cost(image):
    """Total variation ``sum of squared differences of neighbouring pixels / number of pixels``.

    image: ``(1, n_H, n_W, 3)``. Penalising it smooths high-frequency noise in the generated image.
    """
    image, = _check_activations("total_variation_cost", image=image)
    _, n_H, n_W, _ = _numbers(_dims(image), image)
    n_pixels = float(n_H * n_W) if isinstance(n_H, int) else n_H * n_W
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return (tf.reduce_sum(tf.square(dy)) + tf.reduce_sum(tf.square(dx))) / n_pixels


# --- a distribution style loss beside the Gram matrix (notebook 06) -------------------------------

def sliced_directions(n_C, seed=0):
    """``(n_C, n_C)`` random unit directions (columns) for :func:`sliced_wasserstein_cost`: as many as the layer
    has channels, fixed by ``seed`` so that L-BFGS sees the same cost at every pass."""
    directions = np.random.default_rng(seed).normal(size=(n_C, n_C))
    return (directions / np.linalg.norm(directions, axis=0)).astype(np.float32)


#: The style's sorted projections keep at most this many quantiles per direction (the graph holds them as a
#: constant: 16 MB for conv1_1's 64 directions, whatever the image's size).
SLICED_QUANTILES = 65536


def sorted_projections(a, directions):
    """The style's statistics for the sliced Wasserstein cost: the activation ``a`` (numpy, ``(1, n_H, n_W,
    n_C)``, or the rows ``(n, n_C)`` of some positions) projected on ``directions`` ``(n_C, K)``, each
    projection sorted: ``(K, n)`` with ``n`` the positions, or :data:`SLICED_QUANTILES` evenly spaced
    quantiles of them if there are more."""
    F = np.asarray(a, np.float32).reshape(-1, a.shape[-1])
    ordered = np.sort((F @ directions).T, axis=1)
    n = ordered.shape[1]
    if n <= SLICED_QUANTILES:
        return ordered
    return np.ascontiguousarray(ordered[:, _quantile_index(SLICED_QUANTILES, n)])


def _quantile_index(n, n_S):
    """For each of ``n`` evenly spaced quantiles, the index among ``n_S`` sorted values nearest it."""
    return ((np.arange(n) + 0.5) * n_S / n).astype(np.int64)


def _rank_matcher(target):
    """A function of projections ``(K, n)`` that returns, for each, the ``target`` value ``(K, n)`` (sorted per
    row) of the same rank: numpy's sort (several times faster than TensorFlow's), its rows shared among
    threads, one per core (numpy sorts without the GIL)."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)  # macOS
    cores = min(len(usable), len(target))

    def match(projected):
        matched = np.empty_like(projected)

        def rows(i):  # matched[k, order[k, r]] = target[k, r]: the r-th smallest gets the target's r-th
            np.put_along_axis(matched[i::cores], np.argsort(projected[i::cores], axis=1), target[i::cores], axis=1)

        with ThreadPoolExecutor(cores) as pool:
            list(pool.map(rows, range(cores)))
        return matched

    return match


def sliced_wasserstein_cost(a_G, directions, style_sorted, positions=None):
    """Sliced Wasserstein-2 style cost of one layer (Heitz et al., CVPR 2021): the activation ``a_G`` ``(1, n_H,
    n_W, n_C)`` projected on ``directions`` ``(n_C, K)``, each projection sorted and compared with the style's
    sorted projections ``style_sorted`` ``(K, n_S)`` at the same quantiles: ``mean((sort(θᵀFᵀ) - target)²)``.
    It matches whole distributions of features (their means, spreads and shapes), not only their
    correlations as the Gram matrix does. ``positions``: the indices (row-major) of one region's positions,
    whose distribution alone is compared (:func:`region_positions`); None: all.

    Computed without sorting in the graph: each projected value is compared with the target value of its
    rank (found by numpy, a constant for the gradient), which is the same sum, and the same gradient."""
    _, n_H, n_W, n_C = _dims(a_G)
    projected = tf.matmul(tf.constant(directions), tf.reshape(a_G, [n_H * n_W, n_C]), transpose_a=True,
                          transpose_b=True)
    projected = tf.cast(projected, tf.float32)
    if positions is not None:
        projected = tf.gather(projected, np.asarray(positions, np.int32), axis=1)
    n = n_H * n_W if positions is None else len(positions)
    target = np.ascontiguousarray(style_sorted[:, _quantile_index(n, style_sorted.shape[1])], np.float32)
    matched = tf.numpy_function(_rank_matcher(target), [projected], tf.float32, stateful=False)
    matched.set_shape(projected.shape)
    return tf.reduce_mean(tf.square(projected - tf.stop_gradient(matched)))


def sliced_style_cost(model, targets, layers, guides=None):
    """The engine's sliced Wasserstein style cost of ``model['input']``: :func:`sliced_wasserstein_cost` per
    layer, summed with the layer weights ``layers`` ``[(name, weight)]`` and the blend weights: ``targets`` is
    ``[(blend weight, {layer: (directions, sorted projections)})]`` (:func:`sorted_projections`). ``guides``:
    one region's ``{layer: guide (n_H, n_W)}``, whose :func:`region_positions` alone count; None: all."""
    J_style = 0.0
    for layer, coeff in layers:
        positions = None if guides is None else region_positions(guides[layer])
        if positions is not None and not len(positions):
            continue
        for b, statistics in targets:
            J_style += b * coeff * sliced_wasserstein_cost(model[layer], *statistics[layer], positions)
    return J_style


# --- spatial control: a style per region (Gatys et al., CVPR 2017; notebook 07) ------------------------

def guided_gram(a, guide):
    """The guided Gram matrix of one region (Gatys et al., "Controlling Perceptual Factors in Neural Style
    Transfer"): the activation ``a`` ``(1, n_H, n_W, n_C)`` (numpy, or a tensor) weighted at each position by
    the region's guide ``(n_H, n_W)`` at that layer, ``(T∘F)ᵀ(T∘F) / sum(T²)``: ``(n_C, n_C)``. Divided by the
    guide's mass, it is the region's mean of the products of features, whatever its size, as
    :func:`position_gram` is the whole image's (a guide of ones gives exactly that)."""
    _, n_H, n_W, _ = _dims(a)
    guide = np.asarray(guide, np.float32).reshape(1, n_H, n_W, 1)
    mass = float(np.sum(np.square(guide)))
    if mass == 0:
        raise NSTError("guided_gram: the guide is 0 everywhere, so the region has no positions at this layer")
    return activation_gram(a * guide) / mass


def region_gram(a, mask):
    """The guided Gram matrix of the region ``mask`` ``(H, W)`` (at the image's size, or any) at the layer of
    the activation ``a`` ``(1, n_H, n_W, n_C)``: the mask brought down to the layer (:func:`nst_utils.masks.
    layer_guide`), then :func:`guided_gram`; ``(n_C, n_C)``. Notebook 07's exercise ``compute_guided_gram``."""
    _, n_H, n_W, _ = _dims(a)
    return guided_gram(a, layer_guide(mask, n_H, n_W))


def region_positions(guide):
    """The positions (row-major indices) the sliced Wasserstein cost gives to a region with ``guide`` ``(n_H,
    n_W)`` at a layer: where the guide is at least half, or, for a region too small for that at a deep layer,
    where it is largest (empty only for a guide that is 0 everywhere)."""
    values = np.asarray(guide, np.float32).ravel()
    top = float(values.max(initial=0))
    return np.flatnonzero(values >= min(0.5, top)) if top > 0 else np.zeros(0, np.int64)
