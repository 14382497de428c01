"""Colour preservation (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer").

Two ways to keep the content photo's colours: transfer style on luminance only and put the photo's
colour channels back, or first recolour the style image to the photo's colour statistics.
Introduced in notebook 06. Images are RGB arrays ``(H, W, 3)`` with values in 0..255.
"""
import numpy as np

from .errors import NSTError

# RGB <-> YIQ (NTSC): Y is luminance, I and Q carry colour.
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                       [0.595716, -0.274453, -0.321263],
                       [0.211456, -0.522591, 0.311135]])
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)


def rgb_to_yiq(image):
    return np.asarray(image, np.float64) @ RGB_TO_YIQ.T


def yiq_to_rgb(image):
    return image @ YIQ_TO_RGB.T


def _uint8(image):
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def luminance(image, like=None):
    """The luminance of ``image`` as a grey RGB image; with ``like``, its mean and spread matched to
    ``like``'s luminance (so that a style's brightness does not overrule the photo's)."""
    y = rgb_to_yiq(image)[..., 0]
    if like is not None:
        y_like = rgb_to_yiq(like)[..., 0]
        y = (y - y.mean()) / (y.std() + 1e-8) * y_like.std() + y_like.mean()
    return _uint8(np.repeat(y[..., None], 3, axis=2))


def combine_luminance(stylised, content):
    """The luminance of ``stylised`` with the colour (I, Q) of ``content``: luminance-only transfer."""
    yiq = rgb_to_yiq(content)
    yiq[..., 0] = rgb_to_yiq(stylised)[..., 0]
    return _uint8(yiq_to_rgb(yiq))


def _sqrtm(cov, inverse=False):
    values, vectors = np.linalg.eigh(cov)
    values = np.maximum(values, 1e-6)
    return (vectors * (values ** (-0.5 if inverse else 0.5))) @ vectors.T


#: Added to the style's colour covariance (units: grey levels squared) before it is inverted. A style of
#: one colour, or of one pixel, has a singular covariance; a nearly flat one (a faint gradient, JPEG
#: noise) has tiny variances whose inverse would blow its noise up to the photo's full contrast. Real
#: images have channel variances in the hundreds to thousands, which this leaves unchanged.
COVARIANCE_EPSILON = 1.0


def _pixels(image, name):
    """``image`` as float64 pixels ``(N, 3)``; NSTError unless it is an RGB image with at least one pixel."""
    x = np.asarray(image, np.float64)
    if x.ndim < 2 or x.shape[-1] != 3 or x.size == 0:
        raise NSTError(f"match_color_histogram: {name} has shape {np.shape(image)}; give an RGB image (H, W, 3)")
    return x.reshape(-1, 3)


def _covariance(x):
    """The covariance of pixels ``(N, 3)`` over all N (defined for a single pixel too)."""
    d = x - x.mean(axis=0)
    return d.T @ d / len(x)


def match_color_histogram(style, content):
    """Recolour ``style`` so that its pixels' mean and covariance equal ``content``'s (a linear map
    ``x -> A (x - mu_S) + mu_C`` with ``A = Cov_C^1/2 (Cov_S + eps I)^-1/2``, eps = COVARIANCE_EPSILON).

    A style of one colour becomes the photo's mean colour; a one-pixel photo gives its colour.
    """
    s = _pixels(style, "style")
    c = _pixels(content, "content")
    A = _sqrtm(_covariance(c)) @ _sqrtm(_covariance(s) + COVARIANCE_EPSILON * np.eye(3), inverse=True)
    out = (s - s.mean(axis=0)) @ A.T + c.mean(axis=0)
    return _uint8(out.reshape(np.shape(style)))
