import numpy as np
import pytest

import nst_utils  # noqa: F401
from nst_utils import engine, tf  # first: TensorFlow imported quietly, in graph mode
from nst_utils import network
from weights_fixtures import (RGB_MEAN, VGG16_BLOCKS, VGG19_BLOCKS, random_layers, write_hed, write_keras,
                              write_matconvnet)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end-to-end runs (skipped by make test-fast)")


@pytest.fixture(autouse=True, scope="session")
def calibration_cache(tmp_path_factory):
    """Calibrations of the tests' weight files go to a temporary cache, not to data/."""
    path = tmp_path_factory.mktemp("calibration") / "calibration.json"
    saved, nst_utils.CONFIG.CALIBRATION_CACHE = nst_utils.CONFIG.CALIBRATION_CACHE, path
    yield path
    nst_utils.CONFIG.CALIBRATION_CACHE = saved


@pytest.fixture
def sess():
    """A session on a fresh private graph."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        yield session


@pytest.fixture
def rgb_image():
    """A deterministic 12x16 RGB uint8 image whose three channels differ."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (12, 16, 3)).astype(np.uint8)
    image[..., 0] //= 2  # make R, G, B statistically different too
    return image


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny random VGG-19 (8 channels per layer) as a MatConvNet file: fast transfer runs."""
    path = tmp_path_factory.mktemp("weights") / "tiny-vgg19.mat"
    write_matconvnet(path, random_layers(VGG19_BLOCKS, channels=8, seed=3), (123.68, 116.779, 103.939))
    return str(path)


@pytest.fixture
def interrupt_at(monkeypatch):
    """``interrupt_at(n)``: the n-th pass of a transfer run raises KeyboardInterrupt (a Ctrl-C)."""
    def arm(n):
        calls = []
        record = engine.Recorder.record

        def interrupting(self, *args):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            record(self, *args)

        monkeypatch.setattr(engine.Recorder, "record", interrupting)
    return arm


@pytest.fixture
def vgg19_layers():
    return random_layers(VGG19_BLOCKS)


@pytest.fixture(params=["mat-old", "mat-new", "keras", "hed"])
def weight_file(request, tmp_path, vgg19_layers):
    """(path, layers, expected channel order, expected mean in that order) for each layout."""
    kind = request.param
    if kind.startswith("mat"):
        path = tmp_path / "imagenet-vgg-verydeep-19.mat"
        write_matconvnet(path, vgg19_layers, RGB_MEAN, layout=kind[4:])
        return path, vgg19_layers, "RGB", RGB_MEAN
    if kind == "keras":
        path = tmp_path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
        write_keras(path, vgg19_layers)
        return path, vgg19_layers, "BGR", network.KERAS_BGR_MEAN
    layers = random_layers(VGG16_BLOCKS)
    path = tmp_path / "hed.weights.h5"
    write_hed(path, layers)
    return path, layers, "BGR", network.HED_BGR_MEAN
