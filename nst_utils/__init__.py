"""nst_utils: the helper package of the Neural Style Transfer notebook series.

Names are loaded on first use (PEP 562), so that the command-line tools start fast and
``nst --help`` or ``nst-weights`` never import TensorFlow. The first name that needs TensorFlow
(``from nst_utils import tf``, ``nst.load_vgg_model``, ...) imports it quietly and switches it to
graph mode (``tf.compat.v1``), which the notebooks' ``InteractiveSession`` needs: see
:mod:`nst_utils._tf`. Each helper is introduced in one notebook (named in its module's
docstring); the notebooks import it from here.
"""
import importlib

#: Public name -> the submodule that defines it.
_EXPORTS = {
    "tf": "_tf",
    "CONFIG": "config",
    "NSTError": "errors",
    **dict.fromkeys(["CONTENT_LAYER", "STYLE_LAYERS"], "settings"),
    **dict.fromkeys(["compute_content_cost", "compute_layer_style_cost",
                     "compute_style_cost", "gram_matrix", "total_cost", "total_variation_cost", "unroll_volume"],
                    "costs"),
    **dict.fromkeys(["generate_noise_image", "load_image", "read_image", "reshape_and_normalize_image",
                     "save_image", "to_rgb", "read_alpha"], "images"),
    **dict.fromkeys(["Watch", "build_costs", "model_nn"], "optimize"),
    **dict.fromkeys(["reconstruct", "stylize", "transfer"], "engine"),
    "Settings": "settings",
    "session_config": "precision",
    **dict.fromkeys(["Network", "current_network"], "network"),
    **dict.fromkeys(["load_vgg_model", "read_network"], "vgg"),
}
_SUBMODULES = {"calibration", "checks", "cli", "colors", "config", "costs", "demo", "engine", "errors", "files", "images",
               "live", "memory", "network", "optimize", "plots", "precision", "run", "settings", "short_run", "speed",
               "stops", "vgg", "weights"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'nst_utils' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
