"""End-to-end style transfer on the bundled network, the loop's bookkeeping, and the demo."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nst_utils as nst
from nst_utils import tf

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from skimage import data

    folder = tmp_path_factory.mktemp("photos")
    Image.fromarray(data.chelsea()).save(folder / "content.png")
    Image.fromarray(data.coffee()).save(folder / "style.png")
    return folder / "content.png", folder / "style.png"


@pytest.mark.slow
def test_stylize_end_to_end_cost_falls_90_percent(photos, tmp_path):
    content, style = photos
    image, history = nst.stylize(content, style, width=128, height=96, num_iterations=60, print_every=20,
                                 save_dir=tmp_path, progress=False)
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert history["total"][-1] <= 0.1 * history["total"][0]
    assert len(history["total"]) == 60 and history["iteration"][-1] == 59
    assert [i for i, _ in history["snapshots"]] == [0, 20, 40, 60]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0000.png", "0020.png", "0040.png", "0060.png"]
    start = np.asarray(Image.open(tmp_path / "0000.png"), np.float32)
    assert np.abs(image.astype(np.float32) - start).mean() > 5  # the pixels really moved


class InterruptingSession:
    """Delegates to a real session but raises KeyboardInterrupt on the n-th training step."""

    def __init__(self, sess, fail_at):
        self.sess, self.fail_at, self.steps = sess, fail_at, 0

    def run(self, fetches, *args, **kwargs):
        if isinstance(fetches, list) and len(fetches) == 4:
            self.steps += 1
            if self.steps == self.fail_at:
                raise KeyboardInterrupt
        return self.sess.run(fetches, *args, **kwargs)


def test_ctrl_c_keeps_the_work_done(sess, capsys):
    x = tf.compat.v1.Variable(np.full((1, 4, 4, 3), 5.0, np.float32))
    model = {"input": x}
    J = tf.reduce_sum(tf.square(x))
    costs = {"total": J, "content": J, "style": J}
    train_step = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(J)
    start = np.full((1, 4, 4, 3), 5.0, np.float32)
    image, history = nst.model_nn(InterruptingSession(sess, 4), model, train_step, costs, start,
                                  num_iterations=10, print_every=2, progress=False)
    assert len(history["total"]) == 3
    assert history["total"][0] > history["total"][1] > history["total"][2]
    np.testing.assert_allclose(image, 5.0 * 0.8**3, rtol=1e-5)  # three steps of x -= 0.1 * 2x
    assert history["snapshots"][-1][0] == 3
    assert "Interrupted after 3 iterations" in capsys.readouterr().out


def run_demo(*args):
    return subprocess.run([sys.executable, "-m", "nst_utils.demo", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("args, match", [
    (["--content", "no/such.jpg"], "no/such.jpg: no such file"),
    (["--iterations", "0"], "--iterations 0"),
])
def test_demo_bad_input_one_line(tmp_path, args, match):
    result = run_demo(*args, "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and match in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.png"))


@pytest.mark.slow
def test_demo_writes_result(tmp_path):
    result = run_demo("--iterations", "3", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(written) == 1 and written[0] in result.stdout
    assert Image.open(tmp_path / written[0]).size == (nst.CONFIG.IMAGE_WIDTH, nst.CONFIG.IMAGE_HEIGHT)
    assert len(list(tmp_path.glob("*/0*.png"))) == 2  # iterations 0 and 3
