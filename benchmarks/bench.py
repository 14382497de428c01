"""``make bench``: speed and memory of the assignment's Adam step, against this machine's matmul rate.

Prints, for 400x300 and 800x600: seconds per iteration, achieved GFLOP/s (convolution FLOPs of the
forward pass plus the gradient with respect to the input, i.e. twice the forward FLOPs), that rate
as a share of a large float32 matmul measured in the same run, and peak RSS. Each size runs in its
own process so that peak memory is that size's alone. Figures only: nothing passes or fails.
"""
import json
import resource
import subprocess
import sys
import time

SIZES = [(400, 300, 8), (800, 600, 4)]  # width, height, timed iterations
TARGETS = "targets: >= 85 % of the matmul rate, <= 2 GB peak at 400x300, time linear in pixels"


def matmul_gflops(n=4096, repeats=6):
    from nst_utils import tf

    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        a = tf.Variable(tf.random.normal([n, n], seed=1))
        b = tf.Variable(tf.random.normal([n, n], seed=2))
        product = tf.reduce_sum(tf.matmul(a, b))
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(product)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            sess.run(product)
            best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def conv_gflop_per_iteration(model, layers):
    """Forward conv FLOPs up to the deepest layer used, times two (forward + input gradient)."""
    deepest = max(layers)
    total = 0
    for name, tensor in model.items():
        if name.startswith("conv") and name <= deepest:
            conv = tensor.op.inputs[0].op.inputs[0].op  # relu <- add(bias) <- conv2d
            kernel = conv.inputs[1].shape.as_list()
            _, h, w, _ = tensor.shape.as_list()
            total += 2 * h * w * kernel[0] * kernel[1] * kernel[2] * kernel[3]
    return 2 * total / 1e9


def time_size(width, height, iterations):
    import numpy as np

    import nst_utils as nst
    from nst_utils import tf

    content = nst.load_image(nst.CONFIG.CONTENT_IMAGE, width, height)
    style = nst.load_image(nst.CONFIG.STYLE_IMAGE, width, height)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = nst.load_vgg_model(height=height, width=width, verbose=False)
        c, s = nst.reshape_and_normalize_image(content), nst.reshape_and_normalize_image(style)
        costs = nst.build_costs(sess, model, c, s)
        step = tf.compat.v1.train.AdamOptimizer(2.0).minimize(costs["total"])
        sess.run(tf.compat.v1.global_variables_initializer())
        model["input"].load(nst.generate_noise_image(c, rng=np.random.default_rng(0)), sess)
        for _ in range(2):  # warm-up: graph optimisation, memory pools
            sess.run(step)
        start = time.perf_counter()
        for _ in range(iterations):
            sess.run(step)
        seconds = (time.perf_counter() - start) / iterations
        layers = [nst.CONTENT_LAYER] + [name for name, _ in nst.STYLE_LAYERS]
        gflop = conv_gflop_per_iteration(model, layers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"width": width, "height": height, "seconds": seconds, "gflop": gflop, "peak_bytes": peak}


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--matmul":
        print(json.dumps({"gflops": matmul_gflops()}))
        return
    if len(sys.argv) == 4:
        print(json.dumps(time_size(*map(int, sys.argv[1:]))))
        return

    def child(*args):
        out = subprocess.run([sys.executable, __file__, *map(str, args)], check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    matmul = child("--matmul")["gflops"]
    print(f"float32 matmul 4096x4096: {matmul:.0f} GFLOP/s")
    rows = [child(*size) for size in SIZES]
    for r in rows:
        rate = r["gflop"] / r["seconds"]
        print(f"{r['width']}x{r['height']}: {r['seconds']:.2f} s/iteration, {rate:.0f} GFLOP/s "
              f"({100 * rate / matmul:.0f} % of matmul), peak RSS {r['peak_bytes'] / 1e9:.2f} GB")
    small, big = rows[0], rows[-1]
    pixels = big["width"] * big["height"] / (small["width"] * small["height"])
    print(f"time ratio {big['seconds'] / small['seconds']:.2f} for {pixels:.0f}x the pixels")
    print(TARGETS)


if __name__ == "__main__":
    main()
