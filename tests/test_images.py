"""Image loading, conversion and saving, including bad input."""
import errno
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nst_utils as nst
from nst_utils import NSTError, files, images, memory


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
    small, big = memory.estimate_peak_memory(400, 300), memory.estimate_peak_memory(800, 600)
    assert 1.1e9 < small < 1.5e9 and big - small == pytest.approx(3 * (small - memory.MEMORY_BASE_BYTES))
    assert memory.estimate_peak_memory(1920, 1080) > 7.07e9  # measured by make bench


# --- issue 11: transparency out, file permissions, bad images, the noise image's input ---------------

def test_save_image_with_alpha_writes_an_rgba_png(tmp_path, rgb_image):
    alpha = np.zeros((12, 16), np.uint8)
    alpha[:, 8:] = 255
    out = nst.save_image(tmp_path / "cut.png", rgb_image, alpha=alpha)
    with Image.open(out) as written:
        assert written.format == "PNG" and written.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(written)[..., :3], rgb_image)
    np.testing.assert_array_equal(images.read_alpha(out), alpha)
    assert nst.save_image(tmp_path / "plain.png", rgb_image, alpha=None) and \
        Image.open(tmp_path / "plain.png").mode == "RGB"


def test_save_image_resizes_the_alpha_of_the_full_size_photo(tmp_path, rgb_image):
    """The photo's alpha is read at the photo's size (here 4x), the result is smaller."""
    alpha = np.zeros((48, 64), np.uint8)
    alpha[:24] = 255  # top half opaque
    out = nst.save_image(tmp_path / "small.png", rgb_image, alpha=alpha)
    written = images.read_alpha(out)
    assert written.shape == (12, 16)
    assert (written[:5] == 255).all() and (written[7:] == 0).all()  # no overshoot: opaque stays opaque
    net = nst.Network("t", None, "BGR", (100.0, 110.0, 120.0), ())
    out = nst.save_image(tmp_path / "net.png", net.preprocess(rgb_image), network=net, alpha=alpha > 0)
    np.testing.assert_array_equal(images.read_alpha(out), written)


def test_save_image_refuses_alpha_in_a_jpeg_and_keeps_the_old_file(tmp_path, rgb_image):
    old = tmp_path / "out.jpg"
    old.write_bytes(b"previous result")
    with pytest.raises(NSTError) as info:
        nst.save_image(old, rgb_image, alpha=np.full((12, 16), 128, np.uint8))
    assert str(info.value) == (f"{old}: JPEG cannot hold transparency, and the image has some (its alpha channel); "
                               f"use a .png output")
    assert old.read_bytes() == b"previous result" and [p.name for p in tmp_path.iterdir()] == ["out.jpg"]
    for bad, match in [(np.zeros((12, 16), np.float32), r"alpha has shape \(12, 16\) and dtype float32"),
                       (np.zeros((12, 16, 2), np.uint8), r"alpha has shape \(12, 16, 2\)")]:
        with pytest.raises(NSTError, match=match):
            nst.save_image(tmp_path / "x.png", rgb_image, alpha=bad)
    with pytest.raises(TypeError, match="alpha="):
        nst.save_image(tmp_path / "x.png", rgb_image, np.zeros((12, 16), np.uint8))
    assert not (tmp_path / "x.png").exists()


def test_jpeg_and_webp_keep_colour_detail(tmp_path):
    """JPEG: full-resolution colour at quality 95, not Pillow's default quality 75 with half-resolution colour;
    WebP: lossless (lossy WebP always halves the colour resolution)."""
    from PIL import JpegImagePlugin

    rng = np.random.default_rng(0)
    strokes = rng.integers(0, 256, (48, 64, 3)).astype(np.uint8)  # a worst case: colour changing per pixel
    jpeg = Image.open(nst.save_image(tmp_path / "art.jpg", strokes))
    assert JpegImagePlugin.get_sampling(jpeg) == 0 and jpeg.quantization[0][0] <= 3  # 4:4:4; quality 75's is 8
    assert np.abs(np.asarray(jpeg, float) - strokes).mean() < 5  # Pillow's defaults: 49 on this noise
    webp = Image.open(nst.save_image(tmp_path / "art.webp", strokes))
    np.testing.assert_array_equal(np.asarray(webp.convert("RGB")), strokes)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_saved_files_get_the_usual_permissions(tmp_path, rgb_image, umask):
    saved = os.umask(umask)
    try:
        assert files.current_umask() == umask
        out = nst.save_image(tmp_path / "out.png", rgb_image)
        again = nst.save_image(tmp_path / "out.png", rgb_image)  # replacing a file: the same
    finally:
        os.umask(saved)
    assert out == again and stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_save_image_refuses_images_it_would_write_wrong(tmp_path, rgb_image):
    diverged = np.full((1, 12, 16, 3), np.nan, np.float32)
    net = nst.Network("t", None, "RGB", (0.0, 0.0, 0.0), ())
    with pytest.raises(NSTError, match="save_image: the image holds NaN or infinite values"):
        nst.save_image(tmp_path / "nan.png", diverged, network=net)
    rgba = np.zeros((12, 16, 4), np.uint8)
    with pytest.raises(NSTError, match=r"save_image: image has shape \(12, 16, 4\) and dtype uint8; give a network "
                                       r"input \(1, H, W, 3\) or an RGB uint8 array \(H, W, 3\)"):
        nst.save_image(tmp_path / "rgba.png", rgba)
    with pytest.raises(NSTError, match=r"image has shape \(2, 12, 16, 3\)"):
        nst.save_image(tmp_path / "two.png", np.zeros((2, 12, 16, 3), np.float32), network=net)
    for not_uint8 in (rgb_image / 255.0, rgb_image.astype(np.int64)):  # plt.imread's 0..1 floats, say
        with pytest.raises(NSTError, match=rf"save_image: image is an RGB array \(12, 16, 3\) of {not_uint8.dtype}, "
                                           r"not uint8; convert it \(np.clip\(image, 0, 255\).astype\(np.uint8\)"):
            nst.save_image(tmp_path / "float.png", not_uint8, network=net)
    with pytest.raises(NSTError, match=r"unknown image type '.psd'"):  # PIL reads PSD but cannot write it
        nst.save_image(tmp_path / "out.psd", rgb_image)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_file_and_says_why(tmp_path, rgb_image, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"previous result")

    def full_disk(self, fp, format=None, **params):
        Path(fp).write_bytes(b"half an image")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(NSTError) as info:
        nst.save_image(target, rgb_image)
    assert str(info.value) == f"{target}: cannot write the image (No space left on device); choose another output"
    assert target.read_bytes() == b"previous result" and [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("content, ratio, match", [
    (np.zeros((30, 40, 3)), 0.6, r"content_image has shape \(30, 40, 3\); it must be a network input \(1, H, W, 3\) "
                                 r"\(an RGB image: use reshape_and_normalize_image\(image\) first\)"),
    (np.zeros((1, 30, 40, 4)), 0.6, r"content_image has shape \(1, 30, 40, 4\)"),
    (np.zeros((2, 30, 40, 3)), 0.6, r"content_image has shape \(2, 30, 40, 3\)"),
    ("photo.jpg", 0.6, "content_image is a str"),
    (np.zeros((1, 3, 4, 3)), 1.5, "noise_ratio 1.5 must be a number from 0 to 1"),
    (np.zeros((1, 3, 4, 3)), "0.6", "noise_ratio '0.6' must be a number from 0 to 1"),
])
def test_noise_image_of_a_wrong_input(content, ratio, match):
    with pytest.raises(NSTError, match="generate_noise_image: " + match):
        nst.generate_noise_image(content, ratio)
