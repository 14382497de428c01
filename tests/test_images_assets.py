"""The images in img/: present, right size, credited, styles textured; the unrolling figure's layout.

Fast and TensorFlow-free. Regenerate the images with ``python scripts/make_images.py`` and
``python scripts/make_figures.py``.
"""
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "img"
CONTENT = ["content/astronaut.jpg", "content/coffee.jpg", "content/chelsea.jpg", "content/rocket.jpg"]
STYLES = ["style/brush_strokes.jpg", "style/mosaic.jpg", "style/colour_fields.jpg", "style/ink_waves.jpg"]
FIGURES = ["figures/unrolling.png", "figures/gram_matrix.png", "figures/content_cost.png",
           "figures/style_cost.png", "figures/nst_overview.png"]
STYLE_CREDIT = "drawn by scripts/make_images.py (this project), CC0"


def load_script(name):
    """Import ``scripts/<name>.py`` as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def readme():
    return (IMG / "README.md").read_text(encoding="utf-8")


def readme_row(readme, rel):
    """The README table row that names ``rel`` (in backticks)."""
    rows = [line for line in readme.splitlines() if line.startswith("|") and f"`{rel}`" in line]
    assert rows, f"{rel} is not credited in img/README.md"
    return rows[0]


@pytest.mark.parametrize("rel", CONTENT + STYLES + FIGURES)
def test_file_exists_and_is_credited(rel, readme):
    assert (IMG / rel).is_file(), f"img/{rel} missing: run scripts/make_images.py and scripts/make_figures.py"
    readme_row(readme, rel)


@pytest.mark.parametrize("rel", CONTENT + STYLES)
def test_photo_and_style_size(rel):
    with Image.open(IMG / rel) as im:
        assert im.size == (400, 300)
        assert im.mode == "RGB"
        assert im.format == "JPEG"


@pytest.mark.parametrize("rel", CONTENT)
def test_content_credit_names_sample_and_free_licence(rel, readme):
    row = readme_row(readme, rel)
    sample = Path(rel).stem
    assert f"`{sample}`" in row, "the skimage.data sample name"
    assert re.search(r"\bCC0\b|public domain", row), "a CC0 / public-domain licence"


@pytest.mark.parametrize("rel", STYLES)
def test_style_credit(rel, readme):
    assert STYLE_CREDIT in readme_row(readme, rel)


def test_figures_credit(readme):
    assert "drawn by scripts/make_figures.py (this project)" in readme


def band_energy(channel):
    """Std of a band-pass (detail between ~1 and ~4 px) of one channel: high for texture, ~0 for gradients."""
    g = ndimage.gaussian_filter(channel.astype(float), 1.0)  # drop per-pixel grain and JPEG noise
    return (g - ndimage.gaussian_filter(g, 4.0)).std()


@pytest.mark.parametrize("rel", STYLES)
def test_style_is_textured_not_flat(rel):
    a = np.asarray(Image.open(IMG / rel), dtype=float)
    assert a.std() > 30, "too little contrast"
    assert a.reshape(-1, 3).std(0).max() > 25, "too little variation in every colour channel"
    assert np.mean([band_energy(a[..., c]) for c in range(3)]) > 4.0, "too little fine texture"


def test_band_energy_rejects_a_smooth_gradient():
    yy, xx = np.mgrid[:300, :400]
    grain = np.random.default_rng(0).normal(0, 6, (300, 400))
    assert band_energy(xx / 400 * 255 + grain) < 2.5


def test_figure_sizes_are_readable():
    for rel in FIGURES:
        with Image.open(IMG / rel) as im:
            assert im.format == "PNG"
            assert im.size[0] >= 1000 and im.size[1] >= 500, rel


@pytest.fixture(scope="module")
def make_figures():
    return load_script("make_figures")


@pytest.mark.parametrize("shape", [(2, 3, 3), (4, 5, 3), (3, 2, 4)])
def test_unrolling_layouts(make_figures, shape):
    n_H, n_W, n_C = shape
    L = make_figures.unroll_layouts(n_H, n_W, n_C)
    vol = L["volume"]
    assert vol.shape == shape
    assert L["correct"].shape == L["scrambled"].shape == (n_C, n_H * n_W)
    # the right way: row c is channel c, all positions in row-major order
    for c in range(n_C):
        assert set(L["correct_channels"][c]) == {c}
        np.testing.assert_array_equal(L["correct"][c], vol[:, :, c].ravel())
    # a bare reshape: every row mixes channels
    for row in L["scrambled_channels"]:
        assert len(set(row)) > 1
    # the labels are notebook 01's (a[h, w, c] = 100*c + h*n_W + w), and the channel maps agree with them
    np.testing.assert_array_equal(vol[1, 0], 100 * np.arange(n_C) + n_W)
    np.testing.assert_array_equal(L["correct"] // 100, L["correct_channels"])
    np.testing.assert_array_equal(L["scrambled"] // 100, L["scrambled_channels"])
    np.testing.assert_array_equal(L["scrambled"], vol.reshape(n_C, n_H * n_W))
