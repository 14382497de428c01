"""``make bench``: speed and memory figures (printed; nothing passes or fails).

1. The assignment's Adam step at 400x300 and 800x600: seconds per iteration, achieved GFLOP/s
   (convolution FLOPs of the forward pass plus the gradient with respect to the input, i.e. twice the
   forward FLOPs; the Gram matrices' few GFLOP are not counted), that rate as a share of a 4096x4096
   float32 matmul timed in the same process, one matmul after each step so that both see the same
   machine (medians of both); peak RSS of the steps, read before the matmul's buffers exist.
2. Optimisers at 400x300 from the same start: wall-clock time for Adam's 200 iterations (the
   assignment's recipe) and for L-BFGS to reach the same cost, and their ratio (both from the first
   pass: the set-up before it, loading and Gram matrices, is the same code for both).
3. A 1920x1080 coarse-to-fine L-BFGS run: time and peak RSS.
Each measurement runs in its own process so that peak memory is its own.
``python benchmarks/bench.py [steps] [optimizers] [hires]`` runs a subset.
"""
import json
import resource
import subprocess
import sys
import time

SIZES = [(400, 300, 12), (800, 600, 5)]  # width, height, timed iterations
TARGETS = "targets: >= 85 % of the matmul rate, <= 2 GB peak at 400x300, time linear in pixels"
OPTIMIZER_TARGET = "target: L-BFGS reaches the 200-Adam cost >= 5x sooner"
HIRES_TARGET = "target: 1920x1080 in <= 15 minutes and <= 8 GB on 2 cores"


def time_size(width, height, iterations):
    import numpy as np

    import nst_utils as nst
    from nst_utils import tf
    from nst_utils.transfer import gflop_per_iteration, matmul_timer

    content = nst.load_image(nst.CONFIG.CONTENT_IMAGE, width, height)
    style = nst.load_image(nst.CONFIG.STYLE_IMAGE, width, height)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = nst.load_vgg_model(height=height, width=width, verbose=False)
        c, s = nst.reshape_and_normalize_image(content), nst.reshape_and_normalize_image(style)
        costs = nst.build_costs(sess, model, c, s)
        step = tf.compat.v1.train.AdamOptimizer(2.0).minimize(costs["total"])
        nst.costs.delay_gram_gradients()  # as nst.Watch does
        sess.run(tf.compat.v1.global_variables_initializer())
        model["input"].load(nst.generate_noise_image(c, rng=np.random.default_rng(0)), sess)
        for _ in range(3):  # warm-up: graph optimisation, memory pools; peak memory is reached here
            sess.run(step)
        peak = peak_bytes()  # before the matmul below adds its own buffers
        matmul = matmul_timer(n=4096)
        times, rates = [], []
        for _ in range(iterations):  # alternate, so that both see the same machine
            start = time.perf_counter()
            sess.run(step)
            times.append(time.perf_counter() - start)
            rates.append(matmul())
        seconds = float(np.median(times))
        layers = [nst.CONTENT_LAYER] + [name for name, _ in nst.STYLE_LAYERS]
        gflop = gflop_per_iteration(nst.current_network(), width, height, layers)
    return {"width": width, "height": height, "seconds": seconds, "gflop": gflop, "peak_bytes": peak,
            "matmul": float(np.median(rates)), "matmul_range": [min(rates), max(rates)]}


def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_transfer(optimizer, iterations, width, height):
    import nst_utils as nst
    from nst_utils.transfer import Settings, transfer

    content = nst.read_image(nst.CONFIG.CONTENT_IMAGE)
    style = nst.read_image(nst.CONFIG.STYLE_IMAGE)
    settings = Settings(width=width, height=height, optimizer=optimizer, iterations=iterations, progress=False)
    start = time.perf_counter()
    _, history = transfer(content, [style], settings)
    return {"total": history["total"], "seconds": history["seconds"], "level": history["level"],
            "wall": time.perf_counter() - start, "peak_bytes": peak_bytes()}


def child(*args):
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_steps():
    rows = [child("size", *size) for size in SIZES]
    for r in rows:
        rate = r["gflop"] / r["seconds"]
        low, high = r["matmul_range"]
        print(f"{r['width']}x{r['height']}: {r['seconds']:.3f} s/iteration, {rate:.0f} GFLOP/s = "
              f"{100 * rate / r['matmul']:.0f} % of the matmul's {r['matmul']:.0f} GFLOP/s "
              f"(range {low:.0f}-{high:.0f}), peak RSS {r['peak_bytes'] / 1e9:.2f} GB")
    small, big = rows[0], rows[-1]
    pixels = big["width"] * big["height"] / (small["width"] * small["height"])
    print(f"time ratio {big['seconds'] / small['seconds']:.2f} for {pixels:.0f}x the pixels")
    print(TARGETS)


def bench_optimizers():
    adam = child("transfer", "adam", 200, 400, 300)
    target = min(adam["total"])
    adam_time = adam["seconds"][-1] - adam["seconds"][0]  # from the first pass: set-up is the same for both
    print(f"Adam, 200 iterations at 400x300: cost {target:.4g} after {adam_time:.0f} s "
          f"(peak RSS {adam['peak_bytes'] / 1e9:.2f} GB)")
    lbfgs = child("transfer", "lbfgs", 120, 400, 300)
    reached = next((i for i, c in enumerate(lbfgs["total"]) if c <= target), None)
    if reached is None:
        print(f"L-BFGS did not reach {target:.4g} in 120 passes (best {min(lbfgs['total']):.4g})")
    else:
        t = lbfgs["seconds"][reached] - lbfgs["seconds"][0]
        print(f"L-BFGS reaches it after {reached + 1} passes, {t:.0f} s: {adam_time / t:.1f}x sooner; "
              f"after 120 passes its cost is {min(lbfgs['total']):.4g}")
    print(OPTIMIZER_TARGET)


def bench_hires():
    r = child("transfer", "lbfgs", 200, 1920, 1080)
    levels = sorted(set(r["level"]))
    per_level = [sum(1 for lv in r["level"] if lv == k) for k in levels]
    print(f"1920x1080 coarse-to-fine L-BFGS ({' + '.join(map(str, per_level))} passes): "
          f"{r['wall'] / 60:.1f} min, peak RSS {r['peak_bytes'] / 1e9:.2f} GB")
    print(HIRES_TARGET)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--child"]:
        kind, rest = args[1], args[2:]
        if kind == "size":
            result = time_size(*map(int, rest))
        else:
            result = run_transfer(rest[0], *map(int, rest[1:]))
        print(json.dumps(result))
        return
    chosen = args or ["steps", "optimizers", "hires"]
    for name in chosen:
        print(f"== {name}", flush=True)
        {"steps": bench_steps, "optimizers": bench_optimizers, "hires": bench_hires}[name]()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
