"""``make bench``: speed and memory figures (printed; nothing passes or fails).

0. The CPU: its model, the instructions that matter here (AVX2, AVX-512, AVX512-BF16, AMX-BF16) and
   the precision ``auto`` picks on it (see :mod:`nst_utils.precision`).
1. The assignment's Adam step at 400x300 and 800x600, in fp32 and in bf16: seconds per iteration,
   achieved GFLOP/s (convolution FLOPs of the forward pass plus the gradient with respect to the input,
   i.e. twice the forward FLOPs; the Gram matrices' few GFLOP are not counted), that rate as a share of
   a 4096x4096 matmul in the same precision timed in the same process, one matmul after each step so
   that both see the same machine (medians of both); peak RSS of the steps, read before the matmul's
   buffers exist. Then the PyTorch peer, when ``torch`` is importable: the same step on the same
   weights (fp32, channels_last, bf16 autocast) in the same run.
2. Where an fp32 step's time goes: oneDNN's own timings (ONEDNN_VERBOSE) by primitive, to compare CPUs
   (the convolutions' share against the Gram matrices' memory-bound MatMuls, and the implementations
   oneDNN picked).
3. The recipe (200 Adam iterations at 400x300) in fp32 and bf16: time and final cost.
4. Optimisers at 400x300 from the same start: wall-clock time for Adam's 200 iterations (the fp32
   recipe of 3) and for L-BFGS to reach the same cost, and their ratio (both from the first pass: the
   set-up before it, loading and Gram matrices, is the same code for both).
5. A 1920x1080 coarse-to-fine L-BFGS run: time and peak RSS.
6. The ``nst`` command's default run (``Settings.art()``, the photo's aspect at 512 pixels) on a bundled
   pair, in fp32 and as ``auto`` chooses: time, final cost, and the two pictures measured against each
   other in fp32: each one's style cost per style layer against the painting and its content cost
   against the photo (the pictures are kept for a look; the path is printed).
Each measurement runs in its own process so that peak memory is its own.
``python benchmarks/bench.py [cpu] [steps] [profile] [recipe] [optimizers] [hires] [defaults]`` runs a subset.
"""
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = [(400, 300, 12), (800, 600, 5)]  # width, height, timed iterations
PRECISIONS = ["fp32", "bf16"]
TARGETS = ("targets: fp32 >= 85 % of the fp32 matmul rate, <= 2 GB peak at 400x300, time linear in pixels; "
           "with AMX-BF16, bf16 >= 4x faster than fp32 and >= 1.5x faster than the best PyTorch setting")
RECIPE_TARGET = "target with AMX-BF16: bf16 >= 4x faster than fp32, final cost within 2 %"
OPTIMIZER_TARGET = "target: L-BFGS reaches the 200-Adam cost >= 5x sooner"
HIRES_TARGET = "target: 1920x1080 in <= 15 minutes and <= 8 GB on 2 cores"
DEFAULTS_TARGET = ("target where auto is bf16: <= 0.7x the fp32 time, each layer's style cost within 1.5x of "
                   "fp32's, the pictures indistinguishable by eye")
#: The pair of the default run, and where its pictures are kept.
DEFAULTS_PAIR = ("content/chelsea.jpg", "style/brush_strokes.jpg")
DEFAULTS_DIR = Path(tempfile.gettempdir()) / "nst-bench-defaults"
PROFILE_MARK = "--- profiled steps ---"


@contextlib.contextmanager
def recipe_step(width, height, precision):
    """``(sess, step, chosen precision, first cost)``: the assignment's Adam step at ``width`` x ``height``
    after three warm-up steps (graph optimisation, memory pools; peak memory is reached there)."""
    import numpy as np

    import nst_utils as nst
    from nst_utils import tf
    from nst_utils.precision import resolve, session_config

    content = nst.load_image(nst.CONFIG.CONTENT_IMAGE, width, height)
    style = nst.load_image(nst.CONFIG.STYLE_IMAGE, width, height)
    chosen = resolve(precision)
    with tf.Graph().as_default(), tf.compat.v1.Session(config=session_config(chosen)) as sess:
        model = nst.load_vgg_model(height=height, width=width, verbose=False)
        c, s = nst.reshape_and_normalize_image(content), nst.reshape_and_normalize_image(style)
        costs = nst.build_costs(sess, model, c, s)
        step = tf.compat.v1.train.AdamOptimizer(2.0).minimize(costs["total"])
        nst.costs.delay_gram_gradients()  # as nst.Watch does
        sess.run(tf.compat.v1.global_variables_initializer())
        model["input"].load(nst.generate_noise_image(c, rng=np.random.default_rng(0)), sess)
        first = float(sess.run(costs["total"]))
        for _ in range(3):
            sess.run(step)
        yield sess, step, chosen, first


def time_size(width, height, iterations, precision):
    import numpy as np

    import nst_utils as nst
    from nst_utils.speed import gflop_per_iteration, matmul_timer

    with recipe_step(width, height, precision) as (sess, step, chosen, first):
        peak = peak_bytes()  # before the matmul below adds its own buffers
        matmul = matmul_timer(n=4096, precision=chosen.name)
        times, rates = [], []
        for _ in range(iterations):  # alternate, so that both see the same machine
            start = time.perf_counter()
            sess.run(step)
            times.append(time.perf_counter() - start)
            rates.append(matmul())
        matmul.close()
        seconds = float(np.median(times))
        layers = [nst.CONTENT_LAYER] + [name for name, _ in nst.STYLE_LAYERS]
        gflop = gflop_per_iteration(nst.current_network(), width, height, layers)
    return {"width": width, "height": height, "precision": chosen.name, "seconds": seconds, "gflop": gflop,
            "first_cost": first, "peak_bytes": peak, "matmul": float(np.median(rates)),
            "matmul_range": [min(rates), max(rates)]}


def profile_steps(width, height, precision, steps=3):
    """Run ``steps`` recipe steps between two marker lines (stdout), for ONEDNN_VERBOSE's lines; returns
    their mean seconds."""
    with recipe_step(width, height, precision) as (sess, step, _, _):
        print(PROFILE_MARK, flush=True)
        start = time.perf_counter()
        for _ in range(steps):
            sess.run(step)
        seconds = (time.perf_counter() - start) / steps
        print(PROFILE_MARK, flush=True)
    return {"seconds": seconds}


def peak_bytes():
    """This process's peak RSS in bytes (``ru_maxrss`` counts KiB on Linux, bytes on macOS)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def run_transfer(optimizer, iterations, width, height, precision="fp32"):
    import nst_utils as nst
    from nst_utils import Settings, transfer

    content = nst.read_image(nst.CONFIG.CONTENT_IMAGE)
    style = nst.read_image(nst.CONFIG.STYLE_IMAGE)
    settings = Settings(width=width, height=height, optimizer=optimizer, iterations=iterations,
                        precision=precision)
    start = time.perf_counter()
    _, history = transfer(content, [style], settings)
    return {"total": history["total"], "seconds": history["seconds"], "level": history["level"],
            "wall": time.perf_counter() - start, "peak_bytes": peak_bytes()}


def run_default(precision):
    """The nst command's default run on :data:`DEFAULTS_PAIR` in ``precision``; the picture is saved."""
    import nst_utils as nst
    from nst_utils import Settings, transfer

    content, style = (nst.read_image(nst.CONFIG.IMG_DIR / name) for name in DEFAULTS_PAIR)
    settings = default_settings(content, precision)
    start = time.perf_counter()
    image, history = transfer(content, [style], settings)
    wall = time.perf_counter() - start
    DEFAULTS_DIR.mkdir(exist_ok=True)
    path = nst.save_image(DEFAULTS_DIR / f"{history['precision']}.png", image)
    return {"precision": history["precision"], "wall": wall, "result_cost": history["result_cost"],
            "path": str(path)}


def default_settings(content, precision):
    from nst_utils.settings import ART_LONGEST_SIDE, Settings

    scale = ART_LONGEST_SIDE / max(content.shape[:2])
    return Settings.art(width=round(content.shape[1] * scale), height=round(content.shape[0] * scale),
                        precision=precision)


def match(picture, content, style, settings):
    """In fp32: the picture's style cost at each style layer against the painting, and its content cost."""
    import numpy as np

    import nst_utils as nst
    from nst_utils import engine, tf

    target = engine.style_statistics(settings, engine.scaled_style(style, settings.width, settings.height, 1.0), "fp32")
    own = engine.style_statistics(settings, picture, "fp32")
    costs = {layer: float(((target[layer] - own[layer]) ** 2).sum() / (4 * own[layer].shape[0] ** 2))
             for layer, _ in settings.style_layers}
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = nst.load_vgg_model(height=settings.height, width=settings.width, verbose=False)
        out = model[settings.content_layer]
        acts = []
        for image in (nst.images.resize(content, settings.width, settings.height), picture):
            model["input"].load(nst.reshape_and_normalize_image(image), sess)
            acts.append(sess.run(out))
    costs["content"] = float(((acts[0] - acts[1]) ** 2).sum() / (4 * np.prod(acts[0].shape[1:])))
    return costs


def bench_defaults():
    import nst_utils as nst
    from nst_utils.precision import resolve

    runs = {p: child("--child", "default", p) for p in ("fp32", "auto")}
    auto = runs["auto"]
    print(f"auto is {resolve('auto')}")
    content, style = (nst.read_image(nst.CONFIG.IMG_DIR / name) for name in DEFAULTS_PAIR)
    settings = default_settings(content, "fp32")
    matches = {p: match(nst.read_image(r["path"]), content, style, settings) for p, r in runs.items()}
    for p, r in runs.items():
        print(f"nst's defaults on {' + '.join(Path(n).name for n in DEFAULTS_PAIR)}, {settings.width}x{settings.height}, "
              f"{r['precision']}: {r['wall']:.0f} s, final cost {r['result_cost']:.4g} ({r['path']})")
    print(f"{auto['precision']} against fp32: {auto['wall'] / runs['fp32']['wall']:.2f}x the time, final cost "
          f"{100 * (auto['result_cost'] / runs['fp32']['result_cost'] - 1):+.1f} %")
    print("each picture's cost against the painting per style layer, and against the photo (content), in fp32:")
    for key in matches["fp32"]:
        a, b = matches["fp32"][key], matches["auto"][key]
        print(f"  {key:8s} fp32 {a:.4g}  {auto['precision']} {b:.4g}  ratio {b / a:.2f}")
    print(DEFAULTS_TARGET)


def child(*args, script=__file__, env=None, lines=False):
    """Run this script (or ``script``) with ``args`` in a new process: its last stdout line as JSON, or
    (``lines``) all its stdout lines."""
    out = subprocess.run([sys.executable, script, *map(str, args)], check=True, capture_output=True, text=True,
                         env=None if env is None else {**os.environ, **env}).stdout.splitlines()
    return out if lines else json.loads(out[-1])


def bench_profile():
    """Where an fp32 step's time goes, from oneDNN's own timings (ONEDNN_VERBOSE): per primitive kind,
    implementation and direction, against the step's wall-clock time."""
    steps = 3
    out = child("--child", "profile", 400, 300, "fp32", steps, env={"ONEDNN_VERBOSE": "1"}, lines=True)
    first, last = (i for i, line in enumerate(out) if line == PROFILE_MARK)
    spent = {}
    for line in out[first:last]:
        fields = line.split(",")
        if line.startswith("onednn_verbose") and "exec" in fields:
            at = fields.index("exec")
            key = f"{fields[at + 2]} {fields[at + 4]} ({fields[at + 3]})"  # kind, direction, implementation
            spent[key] = spent.get(key, 0.0) + float(fields[-1]) / 1000 / steps
    with_verbose, total = json.loads(out[-1]), sum(spent.values())
    print(f"fp32 step at 400x300 ({with_verbose['seconds']:.3f} s with the logging on), oneDNN's time by primitive "
          f"(ONEDNN_VERBOSE; {total:.3f} s in all: more than the step where TensorFlow runs two side by side):")
    for key, t in sorted(spent.items(), key=lambda kv: -kv[1])[:6]:
        what = " (the Gram matrices' MatMul)" if key.startswith("gemm") else ""
        print(f"  {t:.3f} s = {100 * t / total:4.1f} %  {key}{what}")


def bench_cpu():
    from nst_utils.precision import cpu_flags, resolve

    flags = cpu_flags()
    model = "unknown CPU (no /proc/cpuinfo)"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as info:
            model = next((line.partition(":")[2].strip() for line in info if line.startswith("model name")),
                         "unknown CPU")
    isa = [name for flag, name in (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_bf16", "AVX512-BF16"),
                                   ("amx_bf16", "AMX-BF16")) if flag in flags]
    print(f"CPU: {model}, {os.cpu_count()} cores; {', '.join(isa) or 'none of AVX2, AVX-512, AMX'}; "
          f"AMX-BF16: {'yes' if 'amx_bf16' in flags else 'no'}")
    print(f"auto here: {resolve('auto')}")


def bench_steps():
    rows = {(w, h, p): child("--child", "size", w, h, n, p) for w, h, n in SIZES for p in PRECISIONS}
    for (w, h, p), r in rows.items():
        rate = r["gflop"] / r["seconds"]
        low, high = r["matmul_range"]
        print(f"{w}x{h} {r['precision']}: {r['seconds']:.3f} s/iteration, {rate:.0f} GFLOP/s = "
              f"{100 * rate / r['matmul']:.0f} % of the {r['precision']} matmul's {r['matmul']:.0f} GFLOP/s "
              f"(range {low:.0f}-{high:.0f}), peak RSS {r['peak_bytes'] / 1e9:.2f} GB")
    (w0, h0, _), (w1, h1, _) = SIZES[0], SIZES[-1]
    for p in PRECISIONS:
        small, big = rows[w0, h0, p], rows[w1, h1, p]
        print(f"{p}: time ratio {big['seconds'] / small['seconds']:.2f} for {w1 * h1 / (w0 * h0):.0f}x the pixels")
    for w, h, _ in SIZES:
        print(f"{w}x{h}: bf16 is {rows[w, h, 'fp32']['seconds'] / rows[w, h, 'bf16']['seconds']:.2f}x as fast as fp32")
    with tempfile.TemporaryDirectory() as folder:
        arrays = Path(folder) / "inputs.npz"
        child("--child", "export", w0, h0, arrays)
        peer = child(arrays, 5, script=str(Path(__file__).with_name("torch_peer.py")))
    if "missing" in peer:
        print(peer["missing"])
    else:
        ours = min(rows[w0, h0, p]["seconds"] for p in PRECISIONS)
        best = min(peer["seconds"].values())
        print(f"PyTorch {peer['version']} peer at {w0}x{h0}, same weights and costs (first cost "
              f"{peer['first_cost']:.5g}, ours {rows[w0, h0, 'fp32']['first_cost']:.5g}): "
              + ", ".join(f"{k} {v:.3f}" for k, v in peer["seconds"].items())
              + f" s/iteration; our faster precision is {best / ours:.2f}x as fast as its best")
    print(TARGETS)


def bench_recipe():
    runs = {p: recipe(p) for p in PRECISIONS}
    for p, r in runs.items():
        print(f"recipe (200 Adam iterations, 400x300) in {p}: {r['wall']:.0f} s in all, "
              f"{r['seconds'][-1] - r['seconds'][0]:.0f} s from the first pass; final cost {r['total'][-1]:.5g}")
    fp32, bf16 = runs["fp32"], runs["bf16"]
    speed = (fp32["seconds"][-1] - fp32["seconds"][0]) / (bf16["seconds"][-1] - bf16["seconds"][0])
    print(f"bf16: {speed:.2f}x as fast, final cost {100 * (bf16['total'][-1] / fp32['total'][-1] - 1):+.1f} %")
    print(RECIPE_TARGET)


_recipes = {}


def recipe(precision):
    """The 200-iteration Adam recipe at 400x300 in ``precision`` (run once per bench)."""
    if precision not in _recipes:
        _recipes[precision] = child("--child", "transfer", "adam", 200, 400, 300, precision)
    return _recipes[precision]


def bench_optimizers():
    adam = recipe("fp32")
    target = min(adam["total"])
    adam_time = adam["seconds"][-1] - adam["seconds"][0]  # from the first pass: set-up is the same for both
    print(f"Adam, 200 iterations at 400x300: cost {target:.4g} after {adam_time:.0f} s "
          f"(peak RSS {adam['peak_bytes'] / 1e9:.2f} GB)")
    lbfgs = child("--child", "transfer", "lbfgs", 120, 400, 300)
    reached = next((i for i, c in enumerate(lbfgs["total"]) if c <= target), None)
    if reached is None:
        print(f"L-BFGS did not reach {target:.4g} in 120 passes (best {min(lbfgs['total']):.4g})")
    else:
        t = lbfgs["seconds"][reached] - lbfgs["seconds"][0]
        print(f"L-BFGS reaches it after {reached + 1} passes, {t:.0f} s: {adam_time / t:.1f}x sooner; "
              f"after 120 passes its cost is {min(lbfgs['total']):.4g}")
    print(OPTIMIZER_TARGET)


def bench_hires():
    r = child("--child", "transfer", "lbfgs", 200, 1920, 1080)
    levels = sorted(set(r["level"]))
    per_level = [sum(1 for lv in r["level"] if lv == k) for k in levels]
    print(f"1920x1080 coarse-to-fine L-BFGS ({' + '.join(map(str, per_level))} passes): "
          f"{r['wall'] / 60:.1f} min, peak RSS {r['peak_bytes'] / 1e9:.2f} GB")
    print(HIRES_TARGET)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--child"]:
        kind, rest = args[1], args[2:]
        if kind == "profile":
            result = profile_steps(*map(int, rest[:2]), rest[2], int(rest[3]))
        elif kind == "export":
            import torch_peer

            result = torch_peer.export(rest[2], *map(int, rest[:2]))
        elif kind == "default":
            result = run_default(rest[0])
        elif kind == "size":
            result = time_size(*map(int, rest[:3]), rest[3])
        else:
            result = run_transfer(rest[0], *map(int, rest[1:4]), *rest[4:])
        print(json.dumps(result))
        return
    sections = {"cpu": bench_cpu, "steps": bench_steps, "profile": bench_profile, "recipe": bench_recipe,
                "optimizers": bench_optimizers, "hires": bench_hires, "defaults": bench_defaults}
    for name in args or list(sections):
        print(f"== {name}", flush=True)
        sections[name]()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
