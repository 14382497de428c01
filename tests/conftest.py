import numpy as np
import pytest

import nst_utils  # noqa: F401  (quiet TensorFlow import, graph mode)
from nst_utils import tf


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
