"""Paths shared by the notebooks, the demo and the tests, and the assignment's ``CONFIG`` (its image size and
noise ratio are the recipe's, read from :class:`nst_utils.settings.Settings`)."""
import os
from pathlib import Path

from .settings import Settings

ROOT = Path(__file__).resolve().parent.parent


class CONFIG:
    IMAGE_WIDTH = Settings.width
    IMAGE_HEIGHT = Settings.height
    COLOR_CHANNELS = 3
    NOISE_RATIO = Settings.noise_ratio
    DATA_DIR = ROOT / "data"
    IMG_DIR = ROOT / "img"
    #: Where the notebooks and the demo save results; ``NST_OUTPUT_DIR`` moves it (the tests do, so that
    #: ``make test`` never overwrites a learner's saved pictures).
    OUTPUT_DIR = Path(os.environ.get("NST_OUTPUT_DIR") or ROOT / "output")
    CONTENT_IMAGE = IMG_DIR / "content" / "chelsea.jpg"
    STYLE_IMAGE = IMG_DIR / "style" / "brush_strokes.jpg"
    #: Where the real VGG-19 goes (``nst-weights download`` puts it there).
    VGG_MODEL = DATA_DIR / "imagenet-vgg-verydeep-19.mat"
    KERAS_VGG19 = DATA_DIR / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    #: Calibration factors of weight files other than the bundled one, measured on first use.
    CALIBRATION_CACHE = DATA_DIR / "calibration.json"
