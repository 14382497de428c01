"""Going further: L-BFGS, TV, colour preservation, several styles, style scale, coarse-to-fine,
snapshots, GIF, Ctrl-C. Runs on a tiny synthetic VGG-19 (fast) unless marked slow."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nst_utils as nst
from nst_utils import colors, costs, engine, images, memory, speed, tf
from nst_utils.errors import Terminated
from nst_utils.settings import Settings, plan_levels


@pytest.fixture(scope="module")
def photos():
    from skimage import data

    content = np.asarray(Image.fromarray(data.chelsea()).resize((64, 48)))
    style_a = np.asarray(Image.fromarray(data.coffee()).resize((64, 48)))
    style_b = np.asarray(Image.fromarray(data.astronaut()).resize((48, 48)))
    return content, style_a, style_b


def settings(tiny_model, **changes):
    base = dict(width=64, height=48, iterations=12, model=tiny_model, precision="fp32")  # the same numbers on every CPU
    return Settings(**dict(base, **changes))


def test_colour_spaces_and_luminance_transfer():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (8, 9, 3)).astype(np.uint8)
    np.testing.assert_allclose(colors.yiq_to_rgb(colors.rgb_to_yiq(image)), image, atol=1e-9)
    stylised = rng.integers(0, 256, (8, 9, 3)).astype(np.uint8)
    out = colors.combine_luminance(stylised, image)
    yiq_out, yiq_c, yiq_s = (colors.rgb_to_yiq(x) for x in (out, image, stylised))
    inside = (out > 0).all(axis=2) & (out < 255).all(axis=2)  # clipping aside
    np.testing.assert_allclose(yiq_out[inside][:, 0], yiq_s[inside][:, 0], atol=1.5)
    np.testing.assert_allclose(yiq_out[inside][:, 1:], yiq_c[inside][:, 1:], atol=1.5)
    grey = colors.luminance(stylised, like=image)
    assert (grey[..., 0] == grey[..., 2]).all()
    assert abs(grey[..., 0].mean() - yiq_c[..., 0].mean()) < 1.0


def test_colour_histogram_matching_matches_mean_and_covariance(photos):
    content, style, _ = photos
    out = colors.match_color_histogram(style, content)
    c, o = content.reshape(-1, 3).astype(float), out.reshape(-1, 3).astype(float)
    np.testing.assert_allclose(o.mean(0), c.mean(0), atol=2.0)
    np.testing.assert_allclose(np.cov(o, rowvar=False), np.cov(c, rowvar=False), rtol=0.1, atol=20)
    assert np.abs(np.cov(style.reshape(-1, 3).astype(float), rowvar=False) - np.cov(c, rowvar=False)).max() > 100


def test_plan_levels():
    assert plan_levels(Settings()) == [(400, 300, 200)]
    assert plan_levels(Settings(width=1920, height=1080)) == [(480, 270, 200), (960, 540, 50), (1920, 1080, 12)]
    assert plan_levels(Settings(width=400, height=300, levels=2, iterations=20)) == [(200, 150, 20), (400, 300, 10)]
    assert plan_levels(Settings(width=512, height=384, coarsest_side=300, iterations=40)) == [(256, 192, 40),
                                                                                            (512, 384, 10)]


@pytest.mark.parametrize("changes, match", [
    (dict(optimizer="sgd"), "optimizer 'sgd'"),
    (dict(iterations=0), "iterations 0"),
    (dict(style_weight=-1), "style-weight -1"),
    (dict(preserve_colors="sepia"), "preserve-colors 'sepia'"),
    (dict(style_loss="histogram"), "style loss 'histogram': use 'gram' or 'sw'"),
    (dict(style_blend_weights=[1, 2]), "2 style blend weights for 1 style"),
    (dict(width=10**5, height=10**5), "needs about"),
    (dict(style_scale=0), "style_scale 0|style-scale 0"),
    # NaN passes every "< 0" test: each number is checked to be finite and in range (issue 11)
    (dict(content_weight=float("nan")), "content-weight nan is not a finite number"),
    (dict(style_weight=float("inf")), "style-weight inf is not a finite number"),
    (dict(tv_weight=float("nan")), "tv-weight nan is not a finite number"),
    (dict(style_blend_weights=[float("nan")]), "style blend weight nan is not a finite number"),
    (dict(optimizer="adam", learning_rate=float("inf")), "learning-rate inf is not a finite number"),
    (dict(style_scale=float("inf")), "style-scale inf is not a finite number"),
    (dict(noise_ratio=float("nan")), "noise-ratio nan is not a finite number"),
    (dict(seed=-1), "seed -1 is out of range"),
    (dict(iterations=2.5), "iterations 2.5 is not a whole number"),
    (dict(save_every=-1), "save-every -1 is out of range"),
    (dict(coarsest_side=8), "coarsest-side 8 is out of range"),
])
def test_bad_settings(changes, match):
    with pytest.raises(nst.NSTError, match=match):
        engine.check_settings(Settings(**changes), n_styles=1)


def test_style_cost_from_grams_equals_the_assignments_for_equal_sizes(tiny_model, photos, sess):
    content, style, _ = photos
    grams = engine.style_statistics(Settings(model=tiny_model), style, "fp32")
    model = nst.load_vgg_model(tiny_model, height=48, width=64, verbose=False)
    ours = costs.style_cost_from_grams(model, [(1.0, grams)], nst.STYLE_LAYERS)
    model["input"].load(nst.reshape_and_normalize_image(style), sess)
    theirs = nst.compute_style_cost(model, nst.STYLE_LAYERS, sess=sess)
    model["input"].load(nst.reshape_and_normalize_image(content), sess)
    a, b = sess.run([ours, theirs])
    assert b > 0 and a == pytest.approx(b, rel=1e-4)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_the_sliced_wasserstein_loss_lowers_its_cost_and_matches_the_styles_distribution(tiny_model, photos, optimizer):
    content, style, _ = photos
    chosen = settings(tiny_model, optimizer=optimizer, iterations=15, style_loss="sw", content_weight=0)
    image, history = engine.transfer(content, [style], chosen)
    assert len(history["total"]) == 15 and min(history["style"]) < 0.5 * history["style"][0]
    # measured on directions the run never saw: the whole distribution came closer, not only the projections
    other = Settings(**{**chosen.__dict__, "seed": 99})
    target = engine.style_statistics(other, style, "fp32")
    before, after = (engine.style_statistics(other, x, "fp32") for x in (content, image))

    def distance(ours):
        return sum(((np.sort(ours[layer][1], axis=1) - target[layer][1]) ** 2).mean() for layer in target)

    assert distance(after) < 0.7 * distance(before)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_optimizers_lower_the_cost_with_exact_pass_counts(tiny_model, photos, optimizer):
    content, style, _ = photos
    image, history = engine.transfer(content, [style], settings(tiny_model, optimizer=optimizer, iterations=15))
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert len(history["total"]) == 15 and not history["interrupted"]
    assert min(history["total"]) < 0.5 * history["total"][0]


def test_lbfgs_keeps_pixels_within_the_valid_range(tiny_model, sess):
    """A cost that rewards brightness without limit: L-BFGS-B must stop every pixel at 255."""
    network = nst.read_network(tiny_model)
    model = nst.load_vgg_model(tiny_model, height=8, width=8, verbose=False)
    J = -tf.reduce_sum(model["input"])
    start = network.preprocess(np.full((8, 8, 3), 128.0))
    best = engine.lbfgs(sess, {"total": J}, model["input"], start, 6, network.pixel_bounds(start.shape))
    high = network.preprocess(np.full((8, 8, 3), 255.0))
    assert (best <= high + 1e-3).all() and np.allclose(best, high, atol=1e-3)


def test_seed_reproducible(tiny_model, photos):
    content, style, _ = photos
    a, _ = engine.transfer(content, [style], settings(tiny_model, seed=1))
    b, _ = engine.transfer(content, [style], settings(tiny_model, seed=1))
    c, _ = engine.transfer(content, [style], settings(tiny_model, seed=2))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 0.5


def test_init_content_and_file(tiny_model, photos, tmp_path):
    content, style, other = photos
    _, from_content = engine.transfer(content, [style], settings(tiny_model, init="content", iterations=1))
    assert from_content["content"][0] == 0  # the first pass sees the photo itself
    _, from_noise = engine.transfer(content, [style], settings(tiny_model, iterations=1))
    assert from_noise["content"][0] > 0
    start = np.asarray(Image.fromarray(other).resize((64, 48)))
    _, from_file = engine.transfer(content, [style], settings(tiny_model, init=start, iterations=1))
    assert from_file["content"][0] > from_noise["content"][0]
    path = tmp_path / "start.png"
    Image.fromarray(start).save(path)
    _, from_path = engine.transfer(content, [style], settings(tiny_model, init=str(path), iterations=1))
    assert from_path["content"][0] == pytest.approx(from_file["content"][0], rel=1e-3)
    with pytest.raises(nst.NSTError, match="contnet: no such file"):
        engine.transfer(content, [style], settings(tiny_model, init="contnet", iterations=1))


def test_lbfgs_depends_on_the_weight_ratio_not_the_cost_scale(tiny_model, photos):
    """Same alpha/beta ratio, costs ten times larger: the same optimisation path."""
    content, style, _ = photos
    a, ha = engine.transfer(content, [style], settings(tiny_model, optimizer="lbfgs", content_weight=10, style_weight=4,
                                                         iterations=30))
    b, hb = engine.transfer(content, [style], settings(tiny_model, optimizer="lbfgs", content_weight=100,
                                                         style_weight=40, iterations=30))
    assert min(ha["total"]) < 0.1 * ha["total"][0]
    # the same path (later passes drift apart by float rounding)
    np.testing.assert_allclose(np.array(hb["total"][:12]) / 10, ha["total"][:12], rtol=1e-3)


def test_blend_weights(tiny_model, photos):
    content, style_a, style_b = photos
    single, _ = engine.transfer(content, [style_a], settings(tiny_model))
    only_a, _ = engine.transfer(content, [style_a, style_b], settings(tiny_model, style_blend_weights=[2, 0]))
    mixed, _ = engine.transfer(content, [style_a, style_b], settings(tiny_model, style_blend_weights=[1, 1]))
    np.testing.assert_allclose(only_a.astype(int), single.astype(int), atol=1)
    assert np.abs(mixed.astype(int) - single).mean() > 0.5


def test_style_scale_and_tv(tiny_model, photos):
    content, style, _ = photos
    base, _ = engine.transfer(content, [style], settings(tiny_model))
    scaled, _ = engine.transfer(content, [style], settings(tiny_model, style_scale=2.0))
    assert np.abs(scaled.astype(int) - base).mean() > 0.5
    _, rough = engine.transfer(content, [style], settings(tiny_model, optimizer="lbfgs"))
    _, smooth = engine.transfer(content, [style], settings(tiny_model, optimizer="lbfgs", tv_weight=1e4))
    assert smooth["tv"][-1] < 0.5 * rough["tv"][-1]


def test_preserve_colors_luminance_keeps_the_photos_colour(tiny_model, photos):
    content, style, _ = photos
    image, _ = engine.transfer(content, [style], settings(tiny_model, preserve_colors="luminance"))
    iq_out = colors.rgb_to_yiq(image)[..., 1:]
    iq_content = colors.rgb_to_yiq(content)[..., 1:]
    assert np.abs(iq_out - iq_content).mean() < 3.0
    plain, _ = engine.transfer(content, [style], settings(tiny_model))
    assert np.abs(colors.rgb_to_yiq(plain)[..., 1:] - iq_content).mean() > np.abs(iq_out - iq_content).mean()


def test_preserve_colors_histogram_runs(tiny_model, photos):
    content, style, _ = photos
    image, history = engine.transfer(content, [style], settings(tiny_model, preserve_colors="histogram"))
    assert image.shape == (48, 64, 3) and min(history["total"]) < history["total"][0]


def test_coarse_to_fine_snapshots_and_gif(tiny_model, photos, tmp_path):
    content, style, _ = photos
    s = settings(tiny_model, width=128, height=96, levels=2, iterations=12, optimizer="lbfgs", save_every=5)
    image, history = engine.transfer(content, [style], s, on_snapshot=images.Snapshots(tmp_path / "steps"))
    assert image.shape == (96, 128, 3)
    assert history["level"].count(0) == 12 and history["level"].count(1) == 10
    assert [i for i, _ in history["snapshots"]] == [0, 5, 10, 15, 20, 22]
    assert history["snapshots"][0][1].shape == (48, 64, 3) and history["snapshots"][-1][1].shape == (96, 128, 3)
    assert len(list((tmp_path / "steps").glob("*.png"))) == 6
    gif = images.write_gif(tmp_path / "run.gif", history["snapshots"], (128, 96))
    frames = Image.open(gif)
    assert frames.n_frames == 6 and frames.size == (128, 96)
    delays = []
    for k in range(frames.n_frames):
        frames.seek(k)
        delays.append(frames.info.get("duration"))
    assert delays == [250] * 6  # milliseconds: a quarter of a second per frame, as write_gif's default says


def test_ctrl_c_returns_best_image_so_far(tiny_model, photos, interrupt_at):
    content, style, _ = photos
    interrupt_at(6)
    image, history = engine.transfer(content, [style], settings(tiny_model, width=128, height=96, levels=2))
    assert history["interrupted"] and len(history["total"]) == 5
    assert image.shape == (96, 128, 3)  # upsampled to the size asked for


def test_estimate_grows_with_pixels(tiny_model):
    small_s, small_m = speed.estimate(settings(tiny_model, width=400, height=300))
    big_s, big_m = speed.estimate(settings(tiny_model, width=800, height=600, levels=1))
    assert 0 < small_s < big_s and small_m < big_m
    network = nst.read_network(tiny_model)
    layers = ["conv4_2", "conv5_1"]
    assert speed.gflop_per_iteration(network, 800, 600, layers) == pytest.approx(
        4 * speed.gflop_per_iteration(network, 400, 300, layers), rel=0.02)


def test_the_estimate_counts_the_sliced_wasserstein_sort(tiny_model, monkeypatch):
    monkeypatch.setattr(speed, "matmul_gflops", lambda **_: 100.0)  # the same rate for both estimates
    network = nst.read_network(tiny_model)
    channels = {name: kernel.shape[-1] for name, kernel, _ in network.layers}
    # conv1_1 at full size, conv2_1 at half (rounded up), avgpool2 after block 2: a quarter, conv2's channels
    expected = channels["conv1_1"] * 30 * 40 + channels["conv2_1"] * 15 * 20 + channels["conv2_2"] * 8 * 10
    assert speed.sorted_values_per_iteration(network, 40, 30, ["conv1_1", "conv2_1", "avgpool2"]) == expected
    chosen = {loss: settings(tiny_model, width=400, height=300, style_loss=loss) for loss in ("gram", "sw")}
    gram, sw = (speed.estimate(chosen[loss])[0] for loss in ("gram", "sw"))
    layers = [name for name, _ in chosen["sw"].style_layers]
    sorting = chosen["sw"].iterations * speed.sorted_values_per_iteration(network, 400, 300, layers)
    assert sw - gram == pytest.approx(sorting * speed.SORT_SECONDS_PER_VALUE) and sorting > 0


def test_a_huge_style_scale_is_refused_not_an_overflow(photos):
    _, style, _ = photos
    for scale in (1e308, 1000.0):
        with pytest.raises(nst.NSTError, match="needs about"):
            engine.scaled_style(style, 64, 48, scale)
    assert memory.style_size(style.shape, 64, 48, 0.5) == (32, 24)
    with pytest.raises(nst.NSTError, match=r"--style-scale 1000: the style image would be 64000x48000 pixels"):
        memory.check_styles(Settings(width=64, height=48, style_scale=1000), [style.shape], label="--style-scale")


def test_the_memory_estimate_counts_the_scaled_style(tiny_model):
    s = settings(tiny_model, width=100, height=75, style_scale=8)
    _, peak = speed.estimate(s, style_shapes=[(48, 64, 3)])
    assert peak == memory.estimate_peak_memory(800, 600) > memory.estimate_peak_memory(100, 75)
    # the sliced Wasserstein cost's projections and sort count for the optimised image, not the style's pass
    sliced = settings(tiny_model, width=1000, height=750, style_loss="sw")
    assert speed.estimate(sliced)[1] == memory.estimate_peak_memory(1000, 750, "sw") > memory.estimate_peak_memory(1000, 750)


def test_ctrl_c_or_sigterm_before_the_first_pass_leaves_an_empty_history(tiny_model, photos, monkeypatch):
    content, style, _ = photos
    for stop in (KeyboardInterrupt, Terminated):
        def stopped(*args, **kwargs):
            raise stop

        monkeypatch.setattr(engine.Recorder, "record", stopped)
        image, history = engine.transfer(content, [style], settings(tiny_model))
        assert history["interrupted"] and history["total"] == [] and history["snapshots"] == []
        assert history["terminated"] == (stop is Terminated)
        assert image.shape == (48, 64, 3)


def test_a_snapshot_that_cannot_be_written_does_not_stop_the_run(tiny_model, photos, tmp_path, monkeypatch):
    content, style, _ = photos
    save, calls = images.save_image, []

    def full_disk(path, *args):
        calls.append(path)
        if len(calls) > 2:
            raise OSError(28, "No space left on device")
        return save(path, *args)

    monkeypatch.setattr(images, "save_image", full_disk)
    snapshots = images.Snapshots(tmp_path / "s")
    image, history = engine.transfer(content, [style], settings(tiny_model, save_every=2), on_snapshot=snapshots)
    assert len(history["total"]) == 12 and not history["interrupted"]
    assert snapshots.error == f"{tmp_path / 's' / '0004.png'}: No space left on device"
    assert [p.name for p in snapshots.saved] == ["0000.png", "0002.png"] and len(calls) == 3
    assert len(history["snapshots"]) == 7  # 0, 2, ..., 10 and the last: all kept for the GIF


def gif_history(n=3):
    rng = np.random.default_rng(0)
    return [(i, rng.integers(0, 256, (12, 16, 3)).astype(np.uint8)) for i in range(n)]


def test_write_gif_leaves_no_part_file_when_interrupted_or_failing(tmp_path, monkeypatch):
    import imageio.v2 as imageio

    save = imageio.mimsave
    for failure in (KeyboardInterrupt, OSError(28, "No space left on device")):
        def half_written(path, *args, failure=failure, **kwargs):
            Path(path).write_bytes(b"GIF89a")
            raise failure

        monkeypatch.setattr(imageio, "mimsave", half_written)
        with pytest.raises(KeyboardInterrupt if failure is KeyboardInterrupt else nst.NSTError):
            images.write_gif(tmp_path / "run.gif", gif_history(), (16, 12))
        assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(imageio, "mimsave", save)
    with pytest.raises(nst.NSTError, match=r"run.gif: cannot write the GIF \(Is a directory\)"):
        (tmp_path / "run.gif").mkdir()
        images.write_gif(tmp_path / "run.gif", gif_history(), (16, 12))
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_write_gif_respects_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = images.write_gif(tmp_path / ("x" * 248 + ".gif"), gif_history(), (16, 12))  # the temp name is short
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert Image.open(path).n_frames == 3


@pytest.mark.parametrize("content, styles, match", [
    (np.zeros((20, 20, 3), np.uint8), [], "styles is empty"),
    (np.zeros((20, 20), np.uint8), [np.zeros((20, 20, 3), np.uint8)], r"content is an array of shape \(20, 20\)"),
    (np.zeros((20, 20, 3), np.uint8), [np.zeros((20, 20, 4), np.uint8)], r"styles\[0\] is an array of shape"),
    (np.zeros((20, 20, 3), np.float32), [np.zeros((20, 20, 3), np.uint8)], "dtype float32"),
])
def test_transfer_names_wrong_images(content, styles, match):
    with pytest.raises(nst.NSTError, match=match):
        engine.transfer(content, styles, Settings(width=32, height=24, iterations=1))


@pytest.mark.parametrize("levels", [1, 2])
def test_a_diverged_adam_run_returns_the_best_image_it_passed(tiny_model, photos, monkeypatch, levels):
    """Adam's image turned NaN: the lowest-cost image of that level is used, at the final size (coarse to fine:
    the next level starts from it, not from a black picture), and history says so."""
    content, style, _ = photos
    run_adam, best = engine.run_adam, []

    def diverging(sess, model, costs, start, iterations, learning_rate, monitor):
        image = run_adam(sess, model, costs, start, iterations, learning_rate, monitor)
        best.append(monitor.best_image)
        return np.full_like(image, np.nan)

    monkeypatch.setattr(engine, "run_adam", diverging)
    s = settings(tiny_model, optimizer="adam", levels=levels, width=128, height=96)
    image, history = engine.transfer(content, [style], s)
    assert history["diverged"] and len(best) == levels and np.isfinite(best[-1]).all()
    network = nst.read_network(tiny_model)
    np.testing.assert_array_equal(image, images.resize(network.deprocess(best[-1]), 128, 96))
    assert image.shape == (96, 128, 3) and image.std() > 10  # a picture, not a black one


def test_a_run_with_no_finite_cost_is_refused_with_one_line(tiny_model, photos, monkeypatch):
    content, style, _ = photos

    def nan_from_the_start(sess, model, costs, start, iterations, learning_rate, monitor):
        for _ in range(iterations):
            monitor.record(start, dict.fromkeys(("total", "content", "style", "tv"), float("nan")))
        return np.full_like(start, np.nan)

    monkeypatch.setattr(engine, "run_adam", nan_from_the_start)
    with pytest.raises(nst.NSTError, match=r"^the optimisation diverged \(the image became NaN\) before any cost "
                                           r"was finite; choose smaller weights or a smaller learning rate$"):
        engine.transfer(content, [style], settings(tiny_model, optimizer="adam"))


@pytest.mark.parametrize("tv_weight", [0.0, 1e-3])
def test_each_recorded_tv_cost_is_that_of_the_recorded_image(tiny_model, photos, monkeypatch, tv_weight):
    """With tv_weight 0 the TV cost is outside the step's cost: it must still be read before the step changes
    the image, like the other costs (Adam)."""
    content, style, _ = photos
    seen, record = [], engine.Recorder.record

    def keep(self, image, values, iteration=None):
        seen.append((image.astype(np.float64), values["tv"]))
        record(self, image, values, iteration)

    monkeypatch.setattr(engine.Recorder, "record", keep)
    engine.transfer(content, [style], settings(tiny_model, optimizer="adam", tv_weight=tv_weight))
    for image, tv in seen:
        dy, dx = np.diff(image, axis=1), np.diff(image, axis=2)
        np.testing.assert_allclose(tv, ((dy**2).sum() + (dx**2).sum()) / (48 * 64), rtol=1e-4)


def test_luminance_snapshots_have_the_photos_colours(tiny_model, photos):
    """With preserve_colors='luminance' the run optimises a grey picture; its snapshots (and so the GIF) must
    look like the result, in the photo's colours, not grey."""
    content, style, _ = photos
    image, history = engine.transfer(content, [style], settings(tiny_model, preserve_colors="luminance",
                                                                   save_every=4))

    def colourfulness(rgb):
        return np.abs(rgb.astype(float) - rgb.mean(axis=2, keepdims=True)).mean()

    assert colourfulness(content) > 10 and colourfulness(image) > 10
    assert [i for i, _ in history["snapshots"]] == [0, 4, 8, 12]
    assert all(colourfulness(rgb) > 0.5 * colourfulness(image) for _, rgb in history["snapshots"])


def test_adam_returns_the_lowest_cost_image_it_passed_its_last_included(tiny_model, photos, monkeypatch):
    """Adam's last step need not be its best (a large learning rate oscillates): the result is the image of
    the lowest cost among every pass and the last step's image, and result_cost is that cost."""
    content, style, _ = photos
    considered, consider = [], engine.Recorder.consider

    def keep(self, image, total):
        considered.append((float(total), image))
        consider(self, image, total)

    monkeypatch.setattr(engine.Recorder, "consider", keep)
    s = settings(tiny_model, optimizer="adam", learning_rate=60, iterations=3)
    image, history = engine.transfer(content, [style], s)
    assert len(considered) == 4  # 3 passes and the last step's image
    cost, best = min(considered, key=lambda pair: pair[0])
    assert cost < considered[-1][0]  # here the last step overshot (the 2nd pass's image is the best)
    assert history["result_cost"] == cost and not history["diverged"]
    np.testing.assert_array_equal(image, nst.read_network(tiny_model).deprocess(best))


def test_a_run_replaces_an_earlier_runs_snapshots(tiny_model, photos, tmp_path):
    content, style, _ = photos
    for iterations, every in ((12, 4), (2, 1)):
        snapshots = images.Snapshots(tmp_path)
        engine.transfer(content, [style], settings(tiny_model, iterations=iterations, save_every=every),
                        on_snapshot=snapshots)
        snapshots.finish()
        if iterations == 12:
            assert sorted(p.name for p in tmp_path.iterdir()) == ["0000.png", "0004.png", "0008.png", "0012.png"]
            (tmp_path / "notes.txt").write_text("not a snapshot: kept")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0000.png", "0001.png", "0002.png", "notes.txt"]
