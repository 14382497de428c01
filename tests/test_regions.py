"""Spatial control (issue 21): guided Gram matrices and region costs against direct NumPy computations, a
region of ones against the plain costs, two regions each following its own painting, and the ``--region``
option of the ``nst`` command."""
import numpy as np
import pytest
from PIL import Image

from nst_utils import cli, costs, engine
from nst_utils._tf import tf
from nst_utils.engine import Region
from nst_utils.errors import NSTError
from nst_utils.masks import layer_guide
from nst_utils.measures import features, sliced_wasserstein
from nst_utils.settings import Settings

RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def photos():
    """A photo 64x48 and a painting of another size (the tests' network is tiny: fast)."""
    from skimage import data

    return (np.asarray(Image.fromarray(data.chelsea()).resize((64, 48))),
            np.asarray(Image.fromarray(data.coffee()).resize((60, 40))))


@pytest.fixture
def photos_on_disk(photos, tmp_path):
    paths = tmp_path / "photo.png", tmp_path / "painting.png"
    for path, image in zip(paths, photos):
        Image.fromarray(image).save(path)
    return paths


def test_guided_gram_is_the_region_mean_of_feature_products():
    a = RNG.normal(size=(1, 5, 6, 4)).astype(np.float32)
    guide = RNG.uniform(size=(5, 6)).astype(np.float32)
    F = a.reshape(30, 4).astype(np.float64)
    t = guide.reshape(30, 1).astype(np.float64)
    expected = (t * F).T @ (t * F) / (t ** 2).sum()
    np.testing.assert_allclose(costs.guided_gram(a, guide), expected, rtol=1e-5)
    with tf.compat.v1.Session() as sess:  # the graph version (the engine's) gives the same
        np.testing.assert_allclose(sess.run(costs.guided_gram(tf.constant(a), guide)), expected, rtol=1e-5)
    np.testing.assert_allclose(costs.guided_gram(a, np.ones((5, 6))), costs.position_gram(a), rtol=1e-6)
    hard = (guide > 0.5).astype(np.float32)  # a hard guide: the plain Gram matrix of the region's positions
    inside = F[hard.ravel() > 0]
    np.testing.assert_allclose(costs.guided_gram(a, hard), inside.T @ inside / len(inside), rtol=1e-5)
    with pytest.raises(NSTError, match="the guide is 0 everywhere"):
        costs.guided_gram(a, np.zeros((5, 6)))


def test_layer_guide_is_the_share_of_each_units_pixels():
    mask = np.zeros((8, 8), np.float32)
    mask[:, :3] = 1  # 3 of each 4-pixel-wide unit's columns on the left
    np.testing.assert_allclose(layer_guide(mask, 2, 2), [[0.75, 0], [0.75, 0]])
    np.testing.assert_allclose(layer_guide(mask, 8, 8), mask)


def test_region_positions_take_the_larger_half_or_the_top():
    assert list(costs.region_positions(np.array([[0.2, 0.5], [0.9, 0.0]]))) == [1, 2]
    assert list(costs.region_positions(np.array([[0.1, 0.3], [0.0, 0.3]]))) == [1, 3]  # small region: its top
    assert len(costs.region_positions(np.zeros((2, 2)))) == 0


def _costs(tiny_model, style_loss, photo, style, regions=(), styles=True):
    """The engine's style cost of ``photo`` (fp32, tiny network) with the plain targets and ``regions``."""
    settings = Settings(width=photo.shape[1], height=photo.shape[0], model=tiny_model, style_loss=style_loss)
    targets = [(1.0, engine.style_statistics(settings, style, "fp32"))] if styles else []
    parts = [(mask, [(1.0, engine.style_statistics(settings, style, "fp32", style_mask))])
             for mask, style_mask in regions]
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = engine.load_vgg_model(tiny_model, height=photo.shape[0], width=photo.shape[1], verbose=False)
        built = engine.build_costs(sess, model, settings, None, targets, parts)
        model["input"].load(engine.read_network(tiny_model).preprocess(photo), sess)
        return float(sess.run(built["style"]))


@pytest.mark.parametrize("style_loss", ["gram", "sw"])
def test_a_region_of_ones_is_the_plain_cost(tiny_model, photos, style_loss):
    content, style = photos
    plain = _costs(tiny_model, style_loss, content, style)
    ones = np.ones(content.shape[:2], np.float32)
    assert plain > 0
    alone = _costs(tiny_model, style_loss, content, style, [(ones, None)], styles=False)
    assert alone == pytest.approx(plain, rel=1e-5)
    # the positional style where no region is: nowhere, with a region of ones
    assert _costs(tiny_model, style_loss, content, style, [(ones, None)]) == pytest.approx(plain, rel=1e-5)
    # a style mask of ones is the whole painting
    assert _costs(tiny_model, style_loss, content, style, [(ones, np.ones(style.shape[:2]))],
                  styles=False) == pytest.approx(plain, rel=1e-5)


@pytest.mark.parametrize("style_loss", ["gram", "sw"])
def test_a_region_counts_its_own_positions_only(tiny_model, photos, style_loss):
    """Half the photo replaced by the painting: a region over that half costs ~nothing, over the other half not."""
    content, style = photos
    h, w = content.shape[:2]
    mixed = content.copy()
    mixed[:, : w // 2] = np.asarray(Image.fromarray(style).resize((w, h)))[:, : w // 2]
    left = np.zeros((h, w), np.float32)
    left[:, : w // 4] = 1  # well inside the replaced half, away from the border the deep units straddle
    style_half = np.zeros(style.shape[:2], np.float32)
    style_half[:, : style.shape[1] // 4] = 1
    inside = _costs(tiny_model, style_loss, mixed, style, [(left, style_half)], styles=False)
    outside = _costs(tiny_model, style_loss, mixed, style, [(left[:, ::-1].copy(), style_half)], styles=False)
    assert inside < 0.3 * outside


def test_two_regions_each_follow_their_own_painting(tiny_model, photos):
    """The issue's measure: each half's features are closer to its own painting than to the other."""
    content, style = photos
    other = np.ascontiguousarray(style[:, ::-1, ::-1])  # the same strokes, other colours
    h, w = 48, 64
    left = np.zeros((h, w), np.float32)
    left[:, : w // 2] = 1
    settings = Settings.art(width=w, height=h, iterations=30, model=tiny_model, precision="fp32")
    image, _ = engine.transfer(content, [], settings, regions=[Region(left, style), Region(1 - left, other)])
    layer = settings.style_layers[0][0]
    ours = features(settings, image, [layer])[layer].reshape(h, w, -1)
    paintings = [features(settings, np.asarray(Image.fromarray(p).resize((w, h))), [layer])[layer]
                 for p in (style, other)]
    halves = [ours[:, : w // 2].reshape(-1, ours.shape[-1]), ours[:, w // 2:].reshape(-1, ours.shape[-1])]
    for mine, half in enumerate(halves):
        distances = [sliced_wasserstein(half, p) for p in paintings]
        assert distances[mine] < 0.7 * distances[1 - mine], (mine, distances)


def test_transfer_refuses_bad_regions(photos):
    content, style = photos
    with pytest.raises(NSTError, match=r"regions\[0\]\.mask is 0 everywhere"):
        engine.transfer(content, [], regions=[Region(np.zeros((4, 4)), style)])
    with pytest.raises(NSTError, match=r"regions\[0\]\.mask has shape \(4, 4, 3\)"):
        engine.transfer(content, [], regions=[Region(np.ones((4, 4, 3)), style)])
    with pytest.raises(NSTError, match=r"regions\[1\] is a tuple; give Region\(mask, style\)"):
        engine.transfer(content, [], regions=[Region(np.ones((4, 4)), style), (np.ones((4, 4)), style)])
    with pytest.raises(NSTError, match="styles is empty; give a list of one or more RGB style images"):
        engine.transfer(content, [])


def test_the_command_paints_two_regions(tiny_model, photos_on_disk, tmp_path, capsys):
    content, style = photos_on_disk
    sky = tmp_path / "sky.png"
    Image.fromarray(np.repeat(np.uint8([255, 0]), [30, 30])[:, None].repeat(40, 1)).save(sky)  # any size
    ground = tmp_path / "ground.png"
    Image.fromarray(255 - np.asarray(Image.open(sky))).save(ground)
    out = tmp_path / "out.png"
    code = cli.main([str(content), "-o", str(out), "--width", "64", "--height", "48", "--iterations", "4",
                     "--model", str(tiny_model), "--quiet", "--region", str(sky), str(style),
                     "--region", str(ground), f"{style}:{sky}"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert Image.open(out).size == (64, 48)
    assert f"regions: {sky} (50 % of the picture) in {style}; {ground} (50 % of the picture) in {style} (its part " \
           f"in {sky}); elsewhere (0 %): the photo only (no style)" in " ".join(err.split())


def test_a_black_mask_is_refused_in_one_line(photos_on_disk, tmp_path, capsys):
    content, style = photos_on_disk
    black = tmp_path / "black.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(black)
    code = cli.main([str(content), "-o", str(tmp_path / "out.png"), "--region", str(black), str(style)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and f"{black}: the mask is black" in err
    assert not (tmp_path / "out.png").exists()


def test_the_plan_line_says_where_regions_overlap(tiny_model, photos_on_disk, tmp_path, capsys):
    content, style = photos_on_disk
    top = tmp_path / "top.png"
    Image.fromarray(np.repeat(np.uint8([255, 0]), [24, 24])[:, None].repeat(64, 1)).save(top)
    again = tmp_path / "again.png"
    again.write_bytes(top.read_bytes())  # another file, the same region
    code = cli.main([str(content), "-o", str(tmp_path / "out.png"), "--width", "64", "--height", "48",
                     "--iterations", "2", "--model", str(tiny_model), "--quiet", "--region", str(top), str(style),
                     "--region", str(again), str(style)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0, err
    assert "the regions overlap on 50 % of the picture, where their paintings mix" in err
