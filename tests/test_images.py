"""Image loading, conversion and saving, including bad input."""
import numpy as np
import pytest
from PIL import Image

import nst_utils as nst
from nst_utils import NSTError, images


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "LA", "I;16"])
def test_load_any_mode_as_rgb(tmp_path, mode, rgb_image):
    path = tmp_path / f"img_{mode.replace(';', '')}.png"
    if mode == "I;16":
        Image.fromarray((rgb_image[..., 1].astype(np.uint16) * 257)).save(path)
    else:
        Image.fromarray(rgb_image).convert(mode).save(path)
    out = nst.load_image(path, width=16, height=12)
    assert out.shape == (12, 16, 3) and out.dtype == np.uint8
    if mode == "RGB":
        np.testing.assert_array_equal(out, rgb_image)
    if mode in ("L", "I;16"):
        assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    if mode == "I;16":
        np.testing.assert_array_equal(out[..., 0], rgb_image[..., 1])


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:2, :, 3] = 255  # top half opaque red-ish, bottom half transparent
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    out = nst.read_image(path)
    np.testing.assert_array_equal(out[0, 0], [200, 0, 0])
    np.testing.assert_array_equal(out[3, 3], [255, 255, 255])


def test_jpeg_and_resize(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.full((60, 80, 3), 90, np.uint8)).save(path, quality=95)
    out = nst.load_image(path)
    assert out.shape == (nst.CONFIG.IMAGE_HEIGHT, nst.CONFIG.IMAGE_WIDTH, 3)
    assert abs(int(out.mean()) - 90) <= 2


def test_bad_files(tmp_path):
    with pytest.raises(NSTError, match="missing.png: no such file"):
        nst.load_image(tmp_path / "missing.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(NSTError, match="empty.png: the file is empty"):
        nst.load_image(empty)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    with pytest.raises(NSTError, match="notes.jpg: not an image"):
        nst.load_image(text)
    with pytest.raises(NSTError, match="is a folder"):
        nst.load_image(tmp_path)
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((50, 50, 3), np.uint8) + 128).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(NSTError, match="cut.png"):
        nst.load_image(cut)


@pytest.mark.parametrize("width, height, match", [
    (0, 300, "width 0"), (400, -5, "height -5"), (40.5, 30, "width 40.5"), ("400", 300, "width '400'"),
    (10**6, 10**6, "1000000x1000000 needs about"),
])
def test_bad_sizes(tmp_path, width, height, match):
    with pytest.raises(NSTError, match=match):
        nst.load_image(tmp_path / "whatever.png", width=width, height=height)


def test_noise_image_is_the_assignments_blend():
    content = np.full((1, 30, 40, 3), 10.0, np.float32)
    out = nst.generate_noise_image(content, noise_ratio=0.6, rng=np.random.default_rng(0))
    assert out.shape == content.shape
    noise = (out - 0.4 * content) / 0.6
    assert noise.min() >= -20 and noise.max() <= 20 and noise.std() > 10
    same = nst.generate_noise_image(content, 0.6, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, same)
    np.testing.assert_allclose(nst.generate_noise_image(content, 0.0), content)


def test_save_image_round_trip_and_atomic(tmp_path, rgb_image):
    net = nst.Network("t", None, "BGR", (100.0, 110.0, 120.0), ())
    out = nst.save_image(tmp_path / "sub" / "x.png", net.preprocess(rgb_image), network=net)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), rgb_image)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["x.png"]  # no temporary left
    nst.save_image(tmp_path / "y.jpg", rgb_image)
    assert Image.open(tmp_path / "y.jpg").format == "JPEG"


def test_save_image_bad_targets(tmp_path, rgb_image):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NSTError, match="cannot write there"):
        nst.save_image(blocker / "out.png", rgb_image)
    with pytest.raises(NSTError, match="unknown image type '.xyz'"):
        nst.save_image(tmp_path / "out.xyz", rgb_image)
    assert not (tmp_path / "out.xyz").exists()


def test_memory_estimate_is_linear_in_pixels():
    small, big = images.estimate_peak_memory(400, 300), images.estimate_peak_memory(800, 600)
    assert 1.1e9 < small < 1.5e9 and big - small == pytest.approx(3 * (small - images.MEMORY_BASE_BYTES))
    assert images.estimate_peak_memory(1920, 1080) > 7.07e9  # measured by make bench
