import numpy as np
import pytest

import nst_utils  # noqa: F401  (quiet TensorFlow import, graph mode)
from nst_utils import tf, transfer
from weights_fixtures import VGG19_BLOCKS, random_layers, write_matconvnet


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: end-to-end runs (skipped by make test-fast)")


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
        record = transfer.Monitor.record

        def interrupting(self, *args):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            record(self, *args)

        monkeypatch.setattr(transfer.Monitor, "record", interrupting)
    return arm
