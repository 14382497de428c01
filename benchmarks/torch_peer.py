"""The assignment's Adam step in PyTorch on the same weights, for ``make bench`` (PyTorch is optional).

The same network (the calibrated VGG stack of :func:`nst_utils.read_network`, average pooling), the
same costs (content at conv4_2, the five style layers at 0.2, alpha 10, beta 40) and the same start
as the TensorFlow step it is compared with, read from a file that :func:`export` writes (this process
never imports TensorFlow: its thread pools beside PyTorch's make PyTorch about 3x slower, measured).
``python benchmarks/torch_peer.py FILE.npz ITERATIONS`` prints one JSON line: the first cost (to show
that both compute the same thing) and the median seconds per iteration of each setting: fp32, fp32
channels_last, bf16 autocast, bf16 autocast + channels_last.
"""
import json
import os
import sys
import time

import numpy as np

HOW_TO_ADD = ("PyTorch peer: torch is not installed; to compare with it, install the CPU build into the "
              "environment (.venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu) "
              "and run make bench again")
SETTINGS = [("fp32", False, False), ("fp32 channels_last", False, True), ("bf16 autocast", True, False),
            ("bf16 autocast + channels_last", True, True)]


def export(path, width, height):
    """Write the calibrated network's layers and the bench's images as NCHW network input (content,
    style, and the start: the assignment's noise image, seed 0) to ``path`` (.npz)."""
    import nst_utils as nst

    network = nst.read_network(calibrated=True)
    content = network.preprocess(nst.load_image(nst.CONFIG.CONTENT_IMAGE, width, height))
    style = network.preprocess(nst.load_image(nst.CONFIG.STYLE_IMAGE, width, height))
    start = nst.generate_noise_image(content, rng=np.random.default_rng(0))
    arrays = {f"{kind}:{name}": value for name, k, b in network.layers
              for kind, value in (("kernel", k.transpose(3, 2, 0, 1)), ("bias", b))}  # kernel as (out, in, kh, kw)
    arrays.update({name: x.transpose(0, 3, 1, 2) for name, x in (("content", content), ("style", style),
                                                                   ("start", start))})
    np.savez(path, **arrays)


CONTENT_LAYER = "conv4_2"  # as nst_utils.costs (not imported: it would import TensorFlow)
STYLE_LAYERS = [("conv1_1", 0.2), ("conv2_1", 0.2), ("conv3_1", 0.2), ("conv4_1", 0.2), ("conv5_1", 0.2)]


def step_times(path, iterations):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(os.cpu_count())
    torch.set_flush_denormal(True)  # as TensorFlow does: subnormal numbers are slow on x86
    data = np.load(path)
    content, style, start = data["content"], data["style"], data["start"]
    names = [key.partition(":")[2] for key in data.files if key.startswith("kernel:")]
    weights = [(name, torch.from_numpy(np.ascontiguousarray(data[f"kernel:{name}"])),
                torch.from_numpy(data[f"bias:{name}"])) for name in names]
    wanted = {CONTENT_LAYER, *(name for name, _ in STYLE_LAYERS)}
    deepest = max(wanted)

    def features(x, layers):
        out, block = {}, 1
        for name, kernel, bias in layers:
            if name > deepest:
                break
            if int(name[4]) != block:
                x, block = F.avg_pool2d(x, 2, ceil_mode=True), int(name[4])
            x = F.relu(F.conv2d(x, kernel, bias, padding=1))
            if name in wanted:
                out[name] = x
        return out

    def gram(a):
        f = a.float().reshape(a.shape[1], -1)  # Gram matrices in fp32, as in TensorFlow's bf16 run
        return f @ f.T

    def costs(image, layers, targets):
        out = features(image, layers)
        _, n_C, n_H, n_W = out[CONTENT_LAYER].shape
        J_content = ((targets[CONTENT_LAYER] - out[CONTENT_LAYER].float()) ** 2).sum() / (4 * n_H * n_W * n_C)
        J_style = 0
        for name, coeff in STYLE_LAYERS:
            _, n_C, n_H, n_W = out[name].shape
            J_style = J_style + coeff * ((targets[name] - gram(out[name])) ** 2).sum() / (4 * n_C**2 * (n_H * n_W) ** 2)
        return 10 * J_content + 40 * J_style

    results, first_cost = {}, None
    for label, bf16, channels_last in SETTINGS:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        layers = [(n, k.to(memory_format=fmt), b) for n, k, b in weights]
        with torch.no_grad():
            targets = {CONTENT_LAYER: features(torch.from_numpy(content), weights)[CONTENT_LAYER]}
            style_out = features(torch.from_numpy(style), weights)
            targets.update({name: gram(style_out[name]) for name, _ in STYLE_LAYERS})
        image = torch.from_numpy(start.copy()).to(memory_format=fmt).requires_grad_()
        optimizer = torch.optim.Adam([image], lr=2.0)
        times = []
        for i in range(iterations + 2):  # two warm-up steps
            begin = time.perf_counter()
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                J = costs(image, layers, targets)
            J.backward()
            optimizer.step()
            times.append(time.perf_counter() - begin)
            if first_cost is None:
                first_cost = J.item()
        results[label] = float(np.median(times[2:]))
    return {"version": torch.__version__, "first_cost": first_cost, "seconds": results}


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        print(json.dumps({"missing": HOW_TO_ADD}))
        return
    print(json.dumps(step_times(sys.argv[1], int(sys.argv[2]))))


if __name__ == "__main__":
    main()
