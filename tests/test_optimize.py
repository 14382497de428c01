"""End-to-end style transfer on the bundled network, the loop's bookkeeping, and the demo."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nst_utils as nst
from nst_utils import images, tf

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
    snapshots = images.Snapshots(tmp_path)
    image, history = nst.stylize(content, style, nst.Settings(width=128, height=96, iterations=60, save_every=20),
                                 on_snapshot=snapshots)
    assert image.shape == (96, 128, 3) and image.dtype == np.uint8
    assert history["result_cost"] <= 0.1 * history["total"][0]
    assert history["iteration"] == list(range(60))  # every pass's costs
    assert [i for i, _ in history["snapshots"]] == [0, 20, 40, 60]  # every save_every, and the result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0000.png", "0020.png", "0040.png", "0060.png"]
    start = np.asarray(Image.open(tmp_path / "0000.png"), np.float32)
    assert np.abs(image.astype(np.float32) - start).mean() > 5  # the pixels really moved


def tiny_problem():
    x = tf.compat.v1.Variable(np.zeros((1, 4, 4, 3), np.float32))
    J = tf.reduce_sum(tf.square(x))
    train_step = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(J)
    return {"input": x}, {"total": J, "content": J, "style": 2 * J}, train_step


def test_model_nn_runs_the_steps_from_the_start_image(sess):
    model, costs, train_step = tiny_problem()
    image = nst.model_nn(sess, model, train_step, np.full((1, 4, 4, 3), 5.0, np.float32), num_iterations=3)
    assert isinstance(image, np.ndarray)
    np.testing.assert_allclose(image, 5.0 * 0.8**3, rtol=1e-5)  # three steps of x -= 0.1 * 2x


def test_watch_records_costs_snapshots_and_the_final_state(sess, capsys):
    model, costs, train_step = tiny_problem()
    watch = nst.Watch(sess, model, costs, 10, every=2, print_every=4)
    nst.model_nn(sess, model, train_step, np.full((1, 4, 4, 3), 5.0, np.float32), 10, monitor=watch)
    history = watch.finish()
    assert history["iteration"] == [0, 2, 4, 6, 8, 10]
    np.testing.assert_allclose(history["total"], [48 * 25 * 0.64 ** (2 * k) for k in range(6)], rtol=1e-4)
    np.testing.assert_allclose(history["style"], 2 * np.asarray(history["total"]), rtol=1e-6)
    assert [i for i, _ in history["snapshots"]] == [0, 4, 8, 10]
    assert capsys.readouterr().out.count("Iteration") == 4


def test_watch_of_a_run_shorter_than_the_bar_delay_leaves_no_open_line(sess, capsys):
    model, costs, train_step = tiny_problem()
    watch = nst.Watch(sess, model, costs, 2, every=1, print_every=1, progress=None)  # the bar waits 5 s
    nst.model_nn(sess, model, train_step, np.full((1, 4, 4, 3), 5.0, np.float32), 2, monitor=watch)
    watch.finish()
    captured = capsys.readouterr()
    assert captured.out.count("Iteration") == 3
    assert captured.err == ""  # the bar was never shown: nothing to clear, nothing to close


def test_watch_after_ctrl_c_keeps_the_work_done(sess):
    model, costs, train_step = tiny_problem()
    watch = nst.Watch(sess, model, costs, 10, every=1, print_every=0)

    def interrupting(i):
        if i == 3:
            raise KeyboardInterrupt
        watch(i)

    with pytest.raises(KeyboardInterrupt):
        nst.model_nn(sess, model, train_step, np.full((1, 4, 4, 3), 5.0, np.float32), 10, monitor=interrupting)
    history = watch.finish()
    assert history["iteration"] == [0, 1, 2, 3]  # three steps done, and the image after them
    np.testing.assert_allclose(sess.run(model["input"]), 5.0 * 0.8**3, rtol=1e-5)


def test_watch_labels_the_final_image_with_the_steps_taken_without_any_recording(sess):
    model, costs, train_step = tiny_problem()
    watch = nst.Watch(sess, model, costs, 10, every=0, print_every=0)
    nst.model_nn(sess, model, train_step, np.full((1, 4, 4, 3), 5.0, np.float32), 10, monitor=watch)
    history = watch.finish()
    assert history["iteration"] == [10] and [i for i, _ in history["snapshots"]] == [10]


def test_snapshots_replace_an_earlier_runs(tmp_path, rgb_image):
    """A second run into the same folder leaves that run's snapshots only (make demo run again with fewer
    iterations left the first run's later ones beside them)."""
    (tmp_path / "notes.txt").write_text("not a snapshot: kept")
    for iterations, names in (([0, 4, 8, 10], ["0000.png", "0004.png", "0008.png", "0010.png", "notes.txt"]),
                              ([0, 1, 2, 3], ["0000.png", "0001.png", "0002.png", "0003.png", "notes.txt"])):
        snapshots = images.Snapshots(tmp_path)
        for i in iterations:
            snapshots(i, rgb_image)
        snapshots.finish()
        assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_snapshots_stop_at_the_first_failed_write(tmp_path, rgb_image):
    (tmp_path / "0001.png").mkdir()  # a folder in the way of the second snapshot
    snapshots = images.Snapshots(tmp_path)
    for i in range(3):
        snapshots(i, rgb_image)
    assert [p.name for p in snapshots.saved] == ["0000.png"]
    assert snapshots.error.startswith(f"{tmp_path / '0001.png'}: ") and "\n" not in snapshots.error
    assert not (tmp_path / "0002.png").exists()


class InterruptedSession:
    """A session whose ``run`` raises KeyboardInterrupt on the ``at``-th call that ``hit(fetches)`` picks, after
    running it (``after=True``: as a Ctrl-C during a step surfaces once the step is done) or instead of it."""

    def __init__(self, sess, hit, at, after):
        self.sess, self.hit, self.at, self.after, self.calls = sess, hit, at, after, 0

    def run(self, fetches, *args, **kwargs):
        if self.hit(fetches):
            self.calls += 1
        stop = self.hit(fetches) and self.calls == self.at
        if stop and not self.after:
            raise KeyboardInterrupt
        value = self.sess.run(fetches, *args, **kwargs)
        if stop:
            raise KeyboardInterrupt
        return value


@pytest.mark.parametrize("where, steps", [("during a step", 4), ("while recording", 3)])
def test_watch_counts_the_steps_a_ctrl_c_left(sess, where, steps):
    """Ctrl-C in step 3 (the 4th) counts it, since a session's run completes before Python raises the
    interrupt; Ctrl-C while the costs before step 3 are read does not. The final image is labelled to match."""
    model, costs, train_step = tiny_problem()
    if where == "during a step":
        proxy = InterruptedSession(sess, lambda fetches: fetches is train_step, at=4, after=True)
    else:  # Watch reads [costs, image] before each step: the 4th read is before step 3
        proxy = InterruptedSession(sess, lambda fetches: isinstance(fetches, list), at=4, after=False)
    watch = nst.Watch(proxy, model, costs, 10, every=1, print_every=0)
    with pytest.raises(KeyboardInterrupt):
        nst.model_nn(proxy, model, train_step, np.full((1, 4, 4, 3), 5.0, np.float32), 10, monitor=watch)
    assert watch.steps_taken() == steps
    history = watch.finish()
    assert history["snapshots"][-1][0] == steps and history["iteration"] == list(range(steps + 1))
    np.testing.assert_allclose(history["snapshots"][-1][1], nst.to_rgb(sess.run(model["input"])))
    np.testing.assert_allclose(sess.run(model["input"]), 5.0 * 0.8**steps, rtol=1e-5)


def test_live_view_is_off_outside_a_notebook():
    from nst_utils.live import LiveView

    assert LiveView.in_notebook(10) is None


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


@pytest.mark.slow
def test_demo_interrupted_says_what_is_on_disk(tmp_path, monkeypatch, capsys):
    """Ctrl-C outside the optimisation (stylize keeps the one inside it): before it, nothing is written; while
    the result is saved, the intermediate images already written are named."""
    from nst_utils import demo, engine

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    save_image = images.save_image

    def stop_at_the_result(path, *args, **kwargs):  # the snapshots are written, the result is not
        if Path(path).name == "chelsea_brush_strokes.png":
            raise KeyboardInterrupt
        return save_image(path, *args, **kwargs)

    monkeypatch.setattr(engine, "stylize", stop)
    assert demo.main(["--iterations", "2", "--output", str(tmp_path / "a")]) == 130
    assert capsys.readouterr().err == "demo: interrupted; the result was not written; nothing written\n"
    monkeypatch.undo()
    monkeypatch.setattr(images, "save_image", stop_at_the_result)
    assert demo.main(["--iterations", "2", "--output", str(tmp_path / "b")]) == 130
    steps = tmp_path / "b" / "chelsea_brush_strokes"
    assert capsys.readouterr().err.endswith(  # after the progress bar's last state
        f"demo: interrupted; the result was not written; 2 intermediate images are in {steps}/\n")
    assert sorted(p.name for p in steps.iterdir()) == ["0000.png", "0002.png"]
    assert not (tmp_path / "b" / "chelsea_brush_strokes.png").exists()
