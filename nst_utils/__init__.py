"""nst_utils: the helper package of the Neural Style Transfer notebook series.

Importing it first silences TensorFlow's start-up logs and switches TensorFlow to graph mode
(``tf.compat.v1``), which the notebooks' ``InteractiveSession`` needs. Each helper is introduced in
one notebook (named in its module's docstring); the notebooks import it from here.
"""
from ._tf import tf  # noqa: F401  (must come first: quiet import, graph mode)
from .config import CONFIG  # noqa: F401
from .costs import (  # noqa: F401
    CONTENT_LAYER,
    STYLE_LAYERS,
    compute_content_cost,
    compute_layer_style_cost,
    compute_style_cost,
    gram_matrix,
    total_cost,
    total_variation_cost,
    unroll_volume,
)
from .errors import NSTError  # noqa: F401
from .images import (  # noqa: F401
    generate_noise_image,
    load_image,
    read_image,
    reshape_and_normalize_image,
    save_image,
    to_rgb,
)
from .optimize import Watch, build_costs, model_nn, stylize  # noqa: F401
from .vgg import Network, current_network, load_vgg_model, read_network  # noqa: F401
