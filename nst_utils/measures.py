"""How close a picture's style is to the painting's, measured on the network: the art benchmark's figures
(``make gallery``, ``scripts/gallery.py``) and notebook 06's comparison of style losses (section 8).

Per style layer, two distances between the features of the picture and those of the painting (both at the
picture's size, as the run saw them), each relative to the photo's own distance to the painting (1: no closer
than the photo; 0: the painting's): the Gram distance (the style cost's own measure) and the sliced
Wasserstein distance (a distribution measure: Heitz et al., CVPR 2021); and the content cost against the photo.
Measured in fp32 with fixed random directions, so the same pictures always give the same figures.
"""
import numpy as np

from .engine import activations, scaled_style
from .images import resize

#: Random directions per layer for the sliced Wasserstein distance (fixed seed: the same directions each time).
PROJECTIONS = 64
#: At most this many quantiles of each projection are compared.
QUANTILES = 4096


def features(settings, image, layers):
    """``{layer: (positions, channels)}`` float64 activations of an RGB image at its own size, in fp32."""
    values = activations(settings, image, "fp32", lambda model: {layer: model[layer] for layer in layers})
    return {layer: v.reshape(-1, v.shape[-1]).astype(np.float64) for layer, v in values.items()}


def gram_distance(a, b):
    """The style cost's measure between two feature sets ``(positions, channels)``: Grams per position."""
    ga, gb = a.T @ a / len(a), b.T @ b / len(b)
    return float(((ga - gb) ** 2).sum() / (4 * a.shape[1] ** 2))


def sliced_wasserstein(a, b, projections=PROJECTIONS, seed=0):
    """Sliced Wasserstein-2 distance between two feature sets ``(positions, channels)``: the mean squared
    difference of their sorted projections on random unit directions, compared at common quantiles."""
    directions = np.random.default_rng(seed).normal(size=(a.shape[1], projections))
    directions /= np.linalg.norm(directions, axis=0)
    quantiles = np.linspace(0, 1, min(len(a), len(b), QUANTILES))
    pa, pb = (_quantiles(x @ directions, quantiles) for x in (a, b))
    return float(((pa - pb) ** 2).mean())


def _quantiles(values, quantiles):
    """``np.quantile(values, quantiles, axis=0)`` (linear interpolation) from one sort of each column: numpy's
    own partitions once per quantile, seconds for 4,096 quantiles of a large layer."""
    ordered = np.sort(values, axis=0)
    position = quantiles * (len(ordered) - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, len(ordered) - 1)
    weight = (position - low)[:, None]
    return ordered[low] + weight * (ordered[high] - ordered[low])


def style_match(settings, photo, painting, picture):
    """``{'gram': {layer: d}, 'sliced_wasserstein': {layer: d}, 'content': c}`` of ``picture`` (RGB, made by
    ``settings``) against the painting and the photo, as the module's text says."""
    layers = [name for name, _ in settings.style_layers]
    size = (settings.width, settings.height)
    everything = layers + [settings.content_layer]
    target = features(settings, scaled_style(painting, *size, settings.style_scale), everything)
    ours = features(settings, resize(picture, *size), everything)
    own = features(settings, resize(photo, *size), everything)
    result = {"gram": {}, "sliced_wasserstein": {}}
    for layer in layers:
        for key, measure in (("gram", gram_distance), ("sliced_wasserstein", sliced_wasserstein)):
            result[key][layer] = measure(ours[layer], target[layer]) / max(measure(own[layer], target[layer]), 1e-12)
    c_ours, c_own = ours[settings.content_layer], own[settings.content_layer]
    result["content"] = float(((c_ours - c_own) ** 2).sum() / (4 * c_own.size))
    return result
