"""Reading images the way real files come (issue 11): huge headers, EXIF orientation, transparency,
16-bit data, unreadable files, and colour matching with degenerate styles. Every image is made here."""
import builtins
import errno
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, ImageFile

import nst_utils as nst
from nst_utils import NSTError, colors, images


def png_header(path, width, height):
    """A PNG whose header claims ``width`` x ``height`` (RGB, 8 bit) with almost no data: what a
    decompression bomb looks like, without making one."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Any decoding of pixels fails the test: a refusal must come from the header alone."""
    def load(self):
        raise AssertionError(f"decoded a {self.size} image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


# --- 1. pixel limit, from the header ----------------------------------------------------------------

def test_a_header_claiming_10_gigapixels_is_refused_in_one_line(tmp_path, no_decoding):
    path = png_header(tmp_path / "bomb.png", 100_000, 100_000)  # PIL itself raises DecompressionBombError
    with pytest.raises(NSTError) as info:
        nst.read_image(path)
    assert str(info.value) == (f"{path}: the image is 10000000000 pixels (10000 megapixels), above the limit of "
                               f"80 megapixels; resize it (e.g. to 4000 pixels on its longest side) and try again")
    with pytest.raises(NSTError, match="10000 megapixels"):
        nst.load_image(path, 40, 30)


def test_a_small_png_of_144_megapixels_is_refused_before_decoding(tmp_path, recwarn, no_decoding):
    path = tmp_path / "flat.png"
    Image.new("1", (12_000, 12_000)).save(path)  # 17 KB on disk, 144 megapixels
    assert path.stat().st_size < 200_000
    with pytest.raises(NSTError, match=r"flat.png: the image is 12000x12000 pixels \(144 megapixels\), above "
                                       r"the limit of 80 megapixels; resize it"):
        nst.read_image(path)
    with pytest.raises(NSTError, match="12000x12000 pixels"):
        images.read_alpha(path)
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_the_limit_is_generous_for_photos_and_applies_to_real_files(tmp_path, monkeypatch):
    assert 8000 * 6000 < 50e6 <= images.MAX_IMAGE_PIXELS < Image.MAX_IMAGE_PIXELS  # PIL never warns below it
    phone = tmp_path / "phone.png"
    Image.new("L", (8000, 6000), 40).save(phone)  # a 48 MP phone photo's size
    assert nst.read_image(phone).shape == (6000, 8000, 3)
    monkeypatch.setattr(images, "MAX_IMAGE_PIXELS", 2_000_000)
    small = tmp_path / "small.png"
    Image.new("RGB", (1500, 1500)).save(small)
    with pytest.raises(NSTError, match=r"small.png: the image is 1500x1500 pixels \(2.25 megapixels\), above the "
                                       r"limit of 2 megapixels; resize it"):
        nst.read_image(small)
    Image.new("RGB", (1000, 2000)).save(small)
    assert nst.read_image(small).shape == (2000, 1000, 3)


# --- 2. EXIF orientation ----------------------------------------------------------------------------

def exif(orientation):
    tags = Image.Exif()
    tags[0x0112] = orientation
    return tags


def test_exif_orientation_is_applied(tmp_path):
    """Orientation 6: the camera was turned a quarter; the stored 40x20 picture displays as 20x40 with
    the stored top-left corner at the top right."""
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:10, :10] = (255, 0, 0)  # a red block at the stored top left
    path = tmp_path / "portrait.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif(6))
    out = nst.read_image(path)
    assert out.shape == (40, 20, 3)
    assert out[2, -3, 0] > 200 and out[-3, 2, 0] < 50  # red at the top right now
    assert nst.load_image(path, width=10, height=20).shape == (20, 10, 3)
    plain = tmp_path / "plain.jpg"
    Image.fromarray(stored).save(plain, quality=95)
    assert nst.read_image(plain).shape == (20, 40, 3)


# --- 3. transparency: read_alpha ---------------------------------------------------------------------

def test_read_alpha_of_each_kind_of_transparency(tmp_path):
    rgba = np.zeros((6, 8, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = np.arange(8, dtype=np.uint8) * 30  # a ramp from transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(images.read_alpha(tmp_path / "rgba.png"), rgba[..., 3])
    assert images.read_alpha(tmp_path / "rgba.png").dtype == np.uint8

    Image.fromarray(rgba, "RGBA").convert("LA").save(tmp_path / "la.png")
    np.testing.assert_array_equal(images.read_alpha(tmp_path / "la.png"), rgba[..., 3])

    palette = Image.fromarray(np.tile(np.arange(4, dtype=np.uint8), (3, 1)), "P")
    palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    palette.save(tmp_path / "p.png", transparency=1)  # palette entry 1 is transparent
    alpha = images.read_alpha(tmp_path / "p.png")
    np.testing.assert_array_equal(alpha, np.tile([255, 0, 255, 255], (3, 1)))

    key = np.full((3, 4, 3), 10, np.uint8)
    key[0, 0] = (1, 2, 3)
    Image.fromarray(key).save(tmp_path / "trns.png", transparency=(1, 2, 3))  # a transparent colour
    assert images.read_alpha(tmp_path / "trns.png")[0, 0] == 0 and images.read_alpha(tmp_path / "trns.png")[1, 1] == 255

    Image.fromarray(rgba[..., :3]).save(tmp_path / "rgb.png")
    assert images.read_alpha(tmp_path / "rgb.png") is None
    opaque = rgba.copy()
    opaque[..., 3] = 255
    Image.fromarray(opaque, "RGBA").save(tmp_path / "opaque.png")
    assert images.read_alpha(tmp_path / "opaque.png") is None


def test_read_alpha_follows_the_exif_orientation(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[0, 0, 3] = 255  # one opaque pixel, stored top left
    Image.fromarray(rgba, "RGBA").save(tmp_path / "turned.png", exif=exif(6))
    alpha = images.read_alpha(tmp_path / "turned.png")
    assert alpha.shape == (6, 4) == nst.read_image(tmp_path / "turned.png").shape[:2]
    assert alpha[0, -1] == 255 and alpha.sum() == 255


# --- 4. 16-bit and float images: scaled by their bit depth -------------------------------------------

def test_16_bit_images_are_scaled_by_their_depth_not_their_data(tmp_path):
    dark = np.full((4, 5), 100, np.uint16)  # 100 of 65535: black
    Image.fromarray(dark).save(tmp_path / "dark.png")
    assert Image.open(tmp_path / "dark.png").mode == "I;16"
    np.testing.assert_array_equal(nst.read_image(tmp_path / "dark.png"), 0)
    dark[0, 0] = 300  # one pixel more: still black, not rescaled to bright
    Image.fromarray(dark).save(tmp_path / "dark2.png")
    out = nst.read_image(tmp_path / "dark2.png")
    assert out[0, 0, 0] == 1 and (out[1:] == 0).all()
    ramp = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)  # every 8-bit level, exactly
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    np.testing.assert_array_equal(nst.read_image(tmp_path / "ramp.png")[..., 1], ramp // 257)
    Image.fromarray(np.array([[0, 0, 25700]], np.uint16)).save(tmp_path / "key.png", transparency=0)
    np.testing.assert_array_equal(nst.read_image(tmp_path / "key.png")[0, :, 0], [255, 255, 100])  # white where clear
    np.testing.assert_array_equal(images.read_alpha(tmp_path / "key.png"), [[0, 0, 255]])


def test_16_bit_pgm_and_float_tiff(tmp_path):
    pgm = tmp_path / "dark.pgm"  # mode "I" in PIL: 16-bit data in 32-bit integers
    pgm.write_bytes(b"P5\n3 1\n65535\n" + struct.pack(">3H", 200, 32768, 65535))
    assert Image.open(pgm).mode == "I"
    np.testing.assert_array_equal(nst.read_image(pgm)[0, :, 0], [1, 128, 255])
    grey = np.array([[0.0, 0.5, 1.0, 2.0]], np.float32)  # float images hold 0..1 (above: clipped)
    Image.fromarray(grey, "F").save(tmp_path / "grey.tif")
    np.testing.assert_array_equal(nst.read_image(tmp_path / "grey.tif")[0, :, 0], [0, 128, 255, 255])


# --- 6. colour matching with a one-pixel or one-colour style -------------------------------------------

@pytest.mark.parametrize("style_shape", [(1, 1, 3), (5, 7, 3)])
def test_colour_matching_with_a_flat_style_does_not_crash(style_shape):
    rng = np.random.default_rng(0)
    content = rng.integers(0, 256, (8, 9, 3)).astype(np.uint8)
    style = np.full(style_shape, (200, 30, 90), np.uint8)  # one colour: a singular covariance
    with np.errstate(all="raise"):
        out = colors.match_color_histogram(style, content)
    assert out.shape == style_shape and out.dtype == np.uint8
    np.testing.assert_allclose(out.reshape(-1, 3)[0], content.reshape(-1, 3).mean(axis=0), atol=0.51)


def test_colour_matching_with_a_one_pixel_photo_and_bad_shapes():
    rng = np.random.default_rng(1)
    style = rng.integers(0, 256, (6, 6, 3)).astype(np.uint8)
    out = colors.match_color_histogram(style, np.full((1, 1, 3), 77, np.uint8))
    assert (np.abs(out.astype(int) - 77) <= 1).all()
    with pytest.raises(NSTError, match=r"match_color_histogram: style has shape \(0, 4, 3\)"):
        colors.match_color_histogram(np.zeros((0, 4, 3), np.uint8), style)
    with pytest.raises(NSTError, match=r"content has shape \(6, 6\)"):
        colors.match_color_histogram(style, style[..., 0])


def test_colour_matching_still_matches_a_real_style():
    rng = np.random.default_rng(2)
    content = rng.normal((120, 100, 80), (40, 30, 20), (30, 40, 3)).clip(0, 255)
    style = rng.normal((60, 160, 200), (10, 50, 25), (20, 30, 3)).clip(0, 255)
    out = colors.match_color_histogram(style, content).reshape(-1, 3).astype(float)
    np.testing.assert_allclose(out.mean(0), content.reshape(-1, 3).mean(0), atol=1.0)
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.cov(content.reshape(-1, 3), rowvar=False), rtol=0.05,
                               atol=15)


# --- 7. unreadable files: the right reason ----------------------------------------------------------

def test_permission_denied_is_not_called_damaged(tmp_path, monkeypatch):
    path = tmp_path / "locked.png"
    Image.new("RGB", (4, 4)).save(path)
    real_open = builtins.open

    def no_read(file, *args, **kwargs):  # what a file without read permission does (even for root)
        if os.fspath(file) == os.fspath(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_read)
    for read in (nst.read_image, images.read_alpha):
        with pytest.raises(NSTError) as info:
            read(path)
        assert str(info.value) == f"{path}: permission denied; make the file readable (chmod +r) or give another file"


def test_permission_denied_for_real(tmp_path):
    """A real unreadable file. Root ignores permissions, so as root the read runs without the capabilities
    that let it (setpriv, util-linux), as test_cli's permission test does."""
    import subprocess
    import sys

    path = tmp_path / "locked.png"
    Image.new("RGB", (4, 4)).save(path)
    path.chmod(0)
    code = ("import sys, nst_utils as nst\ntry:\n    nst.read_image(sys.argv[1])\n"
            "except nst.NSTError as e:\n    print(e)\n")
    command = [sys.executable, "-c", code, str(path)]
    if os.geteuid() == 0:
        command = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search", "--"] + command
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == f"{path}: permission denied; make the file readable (chmod +r) or give another file"


def test_eps_without_ghostscript_is_an_unsupported_format(tmp_path, monkeypatch):
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", False)  # as on a machine without Ghostscript
    path = tmp_path / "drawing.eps"
    path.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n"
                    "showpage\n%%EOF\n")
    with pytest.raises(NSTError) as info:
        nst.read_image(path)
    assert str(info.value) == (f"{path}: an EPS (PostScript) image, which needs Ghostscript to read and it is not "
                               f"installed; convert the file to PNG or JPEG (or install Ghostscript)")


def test_a_missing_decoder_is_an_unsupported_format(tmp_path, monkeypatch):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (4, 4)).save(path)

    def load(self):  # what a Pillow built without libjpeg says
        raise OSError("decoder jpeg not available")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    with pytest.raises(NSTError) as info:
        nst.read_image(path)
    assert str(info.value) == (f"{path}: a kind of JPEG file this program cannot read (decoder jpeg not available); "
                               f"convert it to PNG or JPEG")


def test_truncated_and_garbled_files_are_still_damaged(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (50, 50, 3)).astype(np.uint8)).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:400])
    with pytest.raises(NSTError, match=r"cut.png: damaged or truncated image \(.+\); give another file"):
        nst.read_image(cut)
    garbled = tmp_path / "garbled.png"
    garbled.write_bytes(good.read_bytes()[:16] + b"\xff" * 40)  # the IHDR chunk overwritten
    with pytest.raises(NSTError, match=r"garbled.png: not an image PIL can read"):
        nst.read_image(garbled)


def test_a_folder_on_the_way_that_cannot_be_entered(tmp_path, monkeypatch):
    path = tmp_path / "closed" / "photo.png"
    real_stat = type(path).stat

    def stat(self, *args, **kwargs):
        if self == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(type(path), "stat", stat)
    with pytest.raises(NSTError, match=r"photo.png: permission denied \(a folder on the way cannot be entered\)"):
        nst.read_image(path)
