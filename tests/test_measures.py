"""The measures of style match (nst_utils.measures: make gallery, notebook 06): what they say of identical, close
and different features, and of the photo and the painting themselves."""
import numpy as np
import pytest
from PIL import Image

from nst_utils import measures as gallery
from nst_utils.settings import Settings


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


def test_the_photo_scores_one_and_the_painting_zero(tiny_model):
    from skimage import data

    photo = np.asarray(Image.fromarray(data.chelsea()).resize((40, 30)))
    painting = np.asarray(Image.fromarray(data.coffee()).resize((40, 30)))
    settings = Settings(width=40, height=30, model=tiny_model)
    for picture, style, content in ((photo, 1, 0), (painting, 0, None)):
        figures = gallery.style_match(settings, photo, painting, picture)
        for key in ("gram", "sliced_wasserstein"):
            assert list(figures[key]) == [name for name, _ in settings.style_layers]
            assert all(value == pytest.approx(style, abs=1e-6) for value in figures[key].values())
        assert content is None and figures["content"] > 0 or figures["content"] == content


def test_quantiles_from_one_sort_are_numpys():
    rng = np.random.default_rng(2)
    for values, count in ((rng.normal(size=(500, 3)), 64), (rng.normal(size=(7, 2)), 5), (rng.normal(size=(1, 4)), 1)):
        quantiles = np.linspace(0, 1, count)
        np.testing.assert_allclose(gallery._quantiles(values, quantiles), np.quantile(values, quantiles, axis=0),
                                   rtol=0, atol=1e-12)
