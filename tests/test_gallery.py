"""The art benchmark's measures (scripts/gallery.py): what they say of identical, close and different features."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import gallery  # noqa: E402


def test_distances_are_zero_for_the_same_features_and_grow_with_the_difference():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 8))
    shuffled = a[rng.permutation(len(a))]  # the same distribution, other positions
    near, far = a + 0.1 * rng.normal(size=a.shape), 3 * a + 1
    for measure in (gallery.gram_distance, gallery.sliced_wasserstein):
        assert measure(a, a) < 1e-12 and measure(a, shuffled) < 1e-12
        assert 0 < measure(a, near) < measure(a, far)


def test_sliced_wasserstein_sees_what_the_gram_matrix_cannot():
    """Two feature sets with the same Gram matrix (second moments) but different distributions: the sliced
    Wasserstein distance tells them apart."""
    rng = np.random.default_rng(1)
    signs = rng.choice([-1.0, 1.0], size=(4000, 4))
    gaussian = rng.normal(size=(4000, 4))  # E[x xᵀ] = I for both
    assert gallery.gram_distance(signs, gaussian) < 1e-3
    assert gallery.sliced_wasserstein(signs, gaussian) > 20 * gallery.sliced_wasserstein(gaussian, rng.normal(size=(4000, 4)))
