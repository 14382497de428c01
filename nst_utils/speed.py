"""How long a run will take on this machine: its matmul rate against the convolutions' work.

Beside :mod:`nst_utils.precision`, whose arithmetic it measures. Used by the ``nst`` command's plan line,
notebook 06 and ``make bench``. The rate is measured in about a second, in the run's precision.
"""
import time

import numpy as np

from ._tf import tf
from .memory import peak_memory
from .precision import resolve as resolve_precision
from .settings import plan_levels
from .vgg import read_network

#: Building and optimising a level's graph before its first pass (measured: 4 to 7 s on 2 cores).
SETUP_SECONDS = 6.0
#: The sliced Wasserstein style cost's sorting, per projected value and pass (measured: 0.38 s a pass for the
#: 22 million values of a 512x356 picture on 2 cores of an AMD EPYC, numpy's sort on both).
SORT_SECONDS_PER_VALUE = 1.7e-8
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


def sorted_values_per_iteration(network, width, height, layers):
    """Projected values the sliced Wasserstein cost sorts in one pass: ``channels x positions`` per style layer."""
    channels = {name: int(kernel.shape[-1]) for name, kernel, _ in network.layers}
    total = 0
    for name in layers:
        if name in channels:
            n_C, halvings = channels[name], int(name[4]) - 1
        else:  # a pooling layer, after its block: its last conv layer's channels
            block = name[-1]
            n_C, halvings = [c for conv, c in channels.items() if conv[4] == block][-1], int(block)
        total += n_C * -(-height // 2**halvings) * -(-width // 2**halvings)
    return total


def estimate(settings, efficiency=0.85, style_shapes=()):
    """``(seconds, peak bytes)`` estimated for a run, from this machine's matmul rate measured in the run's
    precision; the memory counts the style images (``style_shapes``, (H, W, ...) each) at their scaled
    size too."""
    network = read_network(settings.model)
    layers = [settings.content_layer] + [name for name, _ in settings.style_layers]
    rate = efficiency * matmul_gflops(precision=resolve_precision(settings.precision).name)
    styled = [name for name, _ in settings.style_layers]

    def per_pass(w, h):
        sorting = sorted_values_per_iteration(network, w, h, styled) * SORT_SECONDS_PER_VALUE
        return gflop_per_iteration(network, w, h, layers) / rate + (sorting if settings.style_loss == "sw" else 0)

    seconds = sum(SETUP_SECONDS + n * per_pass(w, h) for w, h, n in plan_levels(settings))
    return seconds, peak_memory(settings, style_shapes)
