"""The assignment's ``load_vgg_model``: the pretrained VGG (:mod:`nst_utils.network`) as a ``tf.compat.v1``
graph, raw or calibrated (:mod:`nst_utils.calibration`). Introduced in notebook 00.
"""
import functools

from . import calibration, network
from .config import CONFIG
from .errors import NSTError
from .memory import check_image_size

_announced = set()


def read_network(path=None, calibrated=False):
    """Read the weights at ``path`` (see :func:`nst_utils.network.find_weights`) into a
    :class:`~nst_utils.network.Network` (cached).

    ``calibrated``: every layer rescaled to the same mean activation (see :mod:`nst_utils.calibration`).
    """
    key = network.weights_key(path)
    if calibrated:
        return _calibrated_network(*key)
    return network.read_weights(*key)


@functools.lru_cache(maxsize=4)
def _calibrated_network(path, mtime_ns, size):
    raw = network.read_weights(path, mtime_ns, size)
    return calibration.apply_factors(raw, calibration.stored_factors(raw))


def load_vgg_model(path=None, height=None, width=None, pooling="avg", verbose=True, calibrated=True):
    """Build the VGG graph on a trainable input image; return the assignment's dict of tensors.

    ``calibrated``: every layer rescaled to the same mean activation, so that every style layer
    counts (see :mod:`nst_utils.calibration`); ``False`` gives the raw pretrained network. Keys: ``'input'``, a ``tf.Variable`` of shape ``(1, height, width, 3)`` (default from CONFIG);
    ``'conv1_1'``, ``'conv1_2'``, ``'avgpool1'``, ``'conv2_1'``, ... (conv keys hold the ReLU outputs;
    with ``pooling='max'`` the pooling keys are ``'maxpool1'``, ...). The weights are fixed tensors
    kept out of the GraphDef (see :func:`nst_utils._tf.outside_graph`): they work in any session
    and need no initialiser.
    """
    height = CONFIG.IMAGE_HEIGHT if height is None else height
    width = CONFIG.IMAGE_WIDTH if width is None else width
    check_image_size(width, height)
    if pooling not in ("avg", "max"):
        raise NSTError(f"pooling={pooling!r}: use 'avg' (the assignment's) or 'max'")
    net = read_network(path, calibrated=calibrated)
    network.set_current_network(net)
    if verbose and (net.path, calibrated, pooling) not in _announced:
        _announced.add((net.path, calibrated, pooling))
        print(f"Loaded {net.description}, {pooling} pooling.")
    return network.build_graph(net, height, width, pooling)


