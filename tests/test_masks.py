"""Masks for spatial control (issue 21): reading a mask of any size and mode, splitting a photo into regions,
and the ``nst-regions`` command (bad input: one line, exit status 1, or 2 for a bad option; no file written).
Every mask is made here; the split runs on bundled photos and on a drawn landscape whose sky and ground are
known."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from nst_utils import masks
from nst_utils.errors import NSTError

ROOT = Path(__file__).resolve().parent.parent
ROCKET = ROOT / "img" / "content" / "rocket.jpg"
ASTRONAUT = ROOT / "img" / "content" / "astronaut.jpg"


def photo_of(path):
    return np.asarray(Image.open(path).convert("RGB"))


def landscape(height=90, width=120, sky_rows=36, seed=0):
    """A light blue sky over green ground, with noise: region 1 is the sky, region 2 the ground."""
    rng = np.random.default_rng(seed)
    photo = np.empty((height, width, 3), np.float64)
    photo[:sky_rows] = (150, 190, 230)
    photo[sky_rows:] = (60, 130, 50)
    return np.uint8(np.clip(photo + rng.normal(0, 8, photo.shape), 0, 255))


# --- read_mask --------------------------------------------------------------------------------------

def test_a_grey_mask_of_another_size_is_resized_to_the_photo(tmp_path):
    grey = np.zeros((20, 40), np.uint8)  # 40 wide, 20 high: white left half, mid-grey right half
    grey[:, :20] = 255
    grey[:, 20:] = 128
    Image.fromarray(grey, "L").save(tmp_path / "m.png")
    mask = masks.read_mask(tmp_path / "m.png", 10, 30)  # narrower and taller
    assert mask.shape == (30, 10) and mask.dtype == np.float32
    np.testing.assert_allclose(mask[:, :4], 1, atol=1e-6)
    np.testing.assert_allclose(mask[:, 6:], 128 / 255, atol=1e-6)
    assert 128 / 255 < mask[0, 5] < 1  # antialiased across the edge, never beyond 0..1


@pytest.mark.parametrize("mode, value, expected", [
    ("RGB", (255, 0, 0), 0.299), ("RGB", (0, 255, 0), 0.587), ("RGB", (0, 0, 255), 0.114),
    ("I;16", 32896, 128 / 255), ("P", (0, 255, 0), 0.587),
])
def test_the_mask_is_the_luminance(tmp_path, mode, value, expected):
    Image.new("RGB" if mode == "P" else mode, (8, 6), value).convert(mode).save(tmp_path / "m.png")
    mask = masks.read_mask(tmp_path / "m.png", 8, 6)
    np.testing.assert_allclose(mask, expected, atol=0.6 / 255)


def test_with_transparency_the_alpha_is_the_mask_whatever_the_colours(tmp_path):
    """A cut-out: the part kept (opaque, here a dark photo) is the region, the transparent part is not."""
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., :3] = (40, 20, 10)
    rgba[:4, :, 3] = 255
    rgba[4:6, :, 3] = 102
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cutout.png")
    mask = masks.read_mask(tmp_path / "cutout.png", 10, 10)
    np.testing.assert_allclose(mask[:4], 1)
    np.testing.assert_allclose(mask[4:6], 0.4)
    np.testing.assert_allclose(mask[6:], 0)


@pytest.mark.parametrize("make", [
    lambda p: Image.new("L", (30, 20), 0).save(p),
    lambda p: Image.new("RGBA", (30, 20), (255, 255, 255, 0)).save(p),  # white, but transparent everywhere
    lambda p: Image.new("L", (300, 200), 1).save(p),  # grey level 1, as a JPEG's black has
], ids=["black", "transparent", "almost-black"])
def test_a_mask_with_no_region_is_refused_naming_the_file(tmp_path, make):
    make(tmp_path / "empty.png")
    with pytest.raises(NSTError) as error:
        masks.read_mask(tmp_path / "empty.png", 30, 20)
    message = str(error.value)
    assert message == (f"{tmp_path / 'empty.png'}: the mask is black (or transparent) everywhere, so its region is "
                       f"empty; paint the region white (grey for partly) on black")


def test_one_white_pixel_is_a_region(tmp_path):
    grey = np.zeros((20, 30), np.uint8)
    grey[10, 15] = 255
    Image.fromarray(grey, "L").save(tmp_path / "dot.png")
    assert masks.read_mask(tmp_path / "dot.png", 30, 20).max() == 1


@pytest.mark.parametrize("name, make, match", [
    ("missing.png", None, "missing.png: no such file; check the path of the image"),
    ("notes.png", lambda p: p.write_text("not a picture"), "notes.png: not an image PIL can read"),
    ("folder.png", lambda p: p.mkdir(), "folder.png: is a folder, not an image file"),
    ("empty.png", lambda p: p.write_bytes(b""), "empty.png: the file is empty"),
])
def test_unreadable_masks_get_the_photos_one_line_error(tmp_path, name, make, match):
    if make:
        make(tmp_path / name)
    with pytest.raises(NSTError) as error:
        masks.read_mask(tmp_path / name, 30, 20)
    assert match in str(error.value) and "\n" not in str(error.value)


# --- split and describe ------------------------------------------------------------------------------

def test_a_landscape_splits_into_sky_then_ground():
    photo = landscape()
    sky, ground = masks.split(photo, 2)
    assert sky.shape == ground.shape == (90, 120) and sky.dtype == np.float32
    assert sky[:33].min() > 0.99 and sky[39:].max() < 0.01  # exact away from the soft edge at row 36
    np.testing.assert_allclose(sky + ground, 1, atol=1e-6)


@pytest.mark.parametrize("path, k", [(ASTRONAUT, 3), (ROCKET, 2)])
def test_split_a_bundled_photo(path, k):
    photo = photo_of(path)
    regions = masks.split(photo, k)
    assert len(regions) == k
    assert all(m.shape == photo.shape[:2] and m.dtype == np.float32 for m in regions)
    assert all(m.min() >= 0 and m.max() <= 1 for m in regions)
    np.testing.assert_allclose(np.sum(regions, axis=0), 1, atol=1e-5)  # a partition: every pixel in full
    assert all(m.mean() > 0.05 for m in regions)  # no region is a sliver
    rows = [ndimage.center_of_mass(m)[0] for m in regions]
    assert rows == sorted(rows)  # top to bottom
    for m in regions:  # no speckles: every piece of a region is at least half a percent of the photo
        pieces, n = ndimage.label(m > 0.5)
        assert n >= 1 and np.bincount(pieces.ravel())[1:].min() > 0.005 * m.size
    again = masks.split(photo, k)
    assert all(np.array_equal(a, b) for a, b in zip(regions, again))  # deterministic


@pytest.mark.parametrize("photo, k, match", [
    (landscape(), 1, "k 1 is out of range; give a whole number from 2 to 12"),
    (landscape(), 2.5, "k 2.5 is not a whole number"),
    (np.zeros((10, 12, 3), np.uint8), 2, "split: the photo (12x10 pixels) is too small for 2 regions, which need "
                                         "64 pixels (8x8) each to count at the network's deep layers; give a larger "
                                         "photo"),
    (np.zeros((16, 16, 3), np.uint8), 5, "give at most 4 regions"),
    (landscape().astype(np.float32), 2, "split: photo is an array of shape (90, 120, 3) and dtype float32; give "
                                        "an RGB image (H, W, 3) of uint8"),
])
def test_split_refuses_what_it_cannot_split(photo, k, match):
    with pytest.raises(NSTError) as error:
        masks.split(photo, k)
    assert match in str(error.value)


def test_describe_gives_each_regions_share_and_mean_colour():
    photo = np.zeros((10, 10, 3), np.uint8)
    photo[:4] = (150, 190, 230)
    photo[4:] = (60, 130, 50)
    top = np.zeros((10, 10), np.float32)
    top[:4] = 1
    assert masks.describe(photo, [top, 1 - top]) == [
        "40 % of the photo, mean colour light blue (#96bee6)",
        "60 % of the photo, mean colour green (#3c8232)",
    ]


# --- the nst-regions command ---------------------------------------------------------------------------

def run(argv, capsys):
    code = masks.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("k", [2, 3])
def test_the_command_writes_k_masks_and_says_how_to_use_them(tmp_path, capsys, k):
    folder = tmp_path / "new" / "masks"  # created
    code, out, err = run([ROCKET, "--k", k, "-o", folder], capsys)
    assert code == 0 and err == ""
    paths = [folder / f"rocket_region{j}.png" for j in range(1, k + 1)]
    assert sorted(folder.iterdir()) == paths  # and no temporary file left
    lines = out.splitlines()
    assert len(lines) == k + 1
    expected = masks.split(photo_of(ROCKET), k)
    for path, line, mask in zip(paths, lines, expected):
        assert line.startswith(f"{path}: ") and "% of the photo, mean colour " in line
        with Image.open(path) as im:
            assert im.mode == "L" and im.size == (400, 300)
        np.testing.assert_allclose(masks.read_mask(path, 400, 300), mask, atol=0.51 / 255)
    regions = " ".join(f"--region {p} STYLE{j}.jpg" for j, p in enumerate(paths, 1))
    assert lines[-1] == f"use them: nst {ROCKET} -o out.png {regions}"


@pytest.mark.parametrize("on_path", [False, True])
def test_the_usage_line_names_nst_as_it_can_be_typed(tmp_path, capsys, monkeypatch, on_path):
    bin_ = tmp_path / "venv" / "bin"  # nst-regions run by its path, as the README's .venv/bin/nst-regions
    bin_.mkdir(parents=True)
    (bin_ / "nst").write_text("#!/bin/sh\n")
    (bin_ / "nst").chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(bin_ / "nst-regions")])
    monkeypatch.setenv("PATH", str(bin_) if on_path else str(tmp_path / "elsewhere"))
    code, out, _ = run([ROCKET, "-o", tmp_path / "masks"], capsys)
    assert code == 0 and out.splitlines()[-1].startswith(f"use them: {'nst' if on_path else bin_ / 'nst'} {ROCKET} ")


def test_the_default_is_two_regions(tmp_path, capsys):
    code, out, _ = run([ROCKET, "-o", tmp_path], capsys)
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["rocket_region1.png", "rocket_region2.png"]


@pytest.mark.parametrize("k, match", [
    ("1", "'1' is out of range; give a whole number from 2 to 12"),
    ("13", "'13' is out of range; give a whole number from 2 to 12"),
    ("2.5", "'2.5' is not a whole number; give a whole number from 2 to 12"),
    ("two", "'two' is not a whole number from 2 to 12"),
    ("nan", "'nan' is not a finite number"),
])
def test_a_bad_k_is_one_line_and_exit_2(tmp_path, capsys, k, match):
    with pytest.raises(SystemExit) as exit_:
        masks.main([str(ROCKET), "--k", k, "-o", str(tmp_path / "masks")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("nst-regions: error: argument --k: ") and match in err
    assert list(tmp_path.iterdir()) == []


def test_bad_files_are_one_line_and_exit_1_with_nothing_written(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (12, 10)).save(tiny)
    cases = [
        ([tmp_path / "missing.jpg", "-o", tmp_path / "m"], f"{tmp_path / 'missing.jpg'}: no such file"),
        ([ROCKET, "-o", blocker], f"{blocker}: is a file, not a folder, so the masks cannot go there"),
        ([ROCKET, "-o", blocker / "sub"], f"{blocker}: is a file, not a folder, so the masks cannot go there"),
        ([tiny, "-o", tmp_path / "m"], f"{tiny}: the photo (12x10 pixels) is too small for 2 regions"),
        ([ROCKET, "-o", "/sys"], "/sys/rocket_region1.png: cannot create the mask"),  # even root may not write there
    ]
    for argv, match in cases:
        code, out, err = run(argv, capsys)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and err.startswith(f"nst-regions: error: {match}"), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "tiny.png"]


def test_a_read_only_mask_stops_the_command_before_any_mask_is_written(tmp_path, capsys):
    (tmp_path / "rocket_region1.png").write_bytes(b"earlier")
    locked = tmp_path / "rocket_region2.png"
    locked.write_bytes(b"mine")
    locked.chmod(0o444)
    code, _, err = run([ROCKET, "-o", tmp_path], capsys)
    assert code == 1 and err.count("\n") == 1 and f"{locked}: is read-only" in err
    assert (tmp_path / "rocket_region1.png").read_bytes() == b"earlier" and locked.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rocket_region1.png", "rocket_region2.png"]


def test_a_mask_name_linked_to_the_photo_never_overwrites_the_photo(tmp_path, capsys):
    photo = tmp_path / "rocket.jpg"
    photo.write_bytes(ROCKET.read_bytes())
    (tmp_path / "rocket_region1.png").symlink_to(photo)
    code, _, _ = run([photo, "-o", tmp_path], capsys)
    assert code == 0 and photo.read_bytes() == ROCKET.read_bytes()
    assert not (tmp_path / "rocket_region1.png").is_symlink()


def test_the_installed_command_answers_bad_options_at_once(tmp_path):
    """One line, no traceback, and no TensorFlow (seconds to import): the photo is not read for a bad --k."""
    script = Path(sys.executable).parent / "nst-regions"
    code = ("import runpy, sys\n"
            "sys.argv = sys.argv[1:]\n"
            "try:\n"
            "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
            "except SystemExit as e:\n"
            "    print('exit', e.code, 'tensorflow imported:', 'tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code, str(script), str(ROCKET), "--k", "0", "-o", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout == "exit 2 tensorflow imported: False\n"
    assert result.stderr == ("nst-regions: error: argument --k: '0' is out of range; give a whole number from 2 to 12 "
                             "(see nst-regions --help)\n")
    assert list(tmp_path.iterdir()) == []


def test_a_split_into_fewer_regions_removes_the_earlier_extra_masks(tmp_path, capsys):
    assert masks.main([str(ROCKET), "--k", "3", "-o", str(tmp_path)]) == 0
    (tmp_path / "rocket_region9.txt").write_text("not a mask")  # other files stay
    assert masks.main([str(ROCKET), "--k", "2", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'rocket_region3.png'}: removed, left from an earlier split into more regions" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rocket_region1.png", "rocket_region2.png",
                                                          "rocket_region9.txt"]
