"""The ``nst`` command: a real run on a tiny synthetic network, and bad input (one line, no file)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_utils import cli, engine, images
from nst_utils import run as nst_run
from nst_utils.errors import NSTError
from nst_utils.memory import estimate_peak_memory
from nst_utils.settings import ART, ART_LONGEST_SIDE, Settings

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "img" / "content" / "rocket.jpg"
STYLE = ROOT / "img" / "style" / "ink_waves.jpg"
STYLE2 = ROOT / "img" / "style" / "mosaic.jpg"


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_full_run_with_every_option(tiny_model, tmp_path, capsys):
    out_file = tmp_path / "out" / "art.jpg"
    code, out, err = run([CONTENT, STYLE, STYLE2, "-o", out_file, "--width", 64, "--iterations", 10,
                          "--optimizer", "lbfgs", "--content-weight", 5, "--style-weight", 100, "--tv-weight", 1,
                          "--style-blend-weights", 3, 1, "--style-scale", 0.5, "--preserve-colors", "histogram",
                          "--init", "content", "--seed", 4, "--save-every", 4, "--gif", tmp_path / "run.gif",
                          "--model", tiny_model, "--quiet"], capsys)
    assert code == 0, err
    assert out.strip() == str(out_file)
    assert Image.open(out_file).size == (64, 48)  # height from the photo's 4:3 aspect
    assert sorted(p.name for p in (tmp_path / "out" / "art_steps").iterdir()) == \
        ["0000.png", "0004.png", "0008.png", "0010.png"]
    assert Image.open(tmp_path / "run.gif").n_frames == 4
    assert "64x48 (10 it) with L-BFGS" in err and "estimated" in err


@pytest.mark.parametrize("argv, match", [
    (["missing.jpg", STYLE], "missing.jpg: no such file"),
    ([CONTENT, ROOT / "README.md"], "README.md: not an image"),
    ([CONTENT, STYLE, "--style-blend-weights", "1", "2"], "2 style blend weights for 1 style image: give one per"),
    ([CONTENT, STYLE, "--width", "100000", "--height", "100000"], "needs about"),
    ([CONTENT, STYLE, "--init", "nowhere.png"], "nowhere.png: no such file"),
    ([CONTENT, STYLE, "--model", "nowhere.mat"], "nowhere.mat: no such weight file; give the path of a VGG .mat "
                                                 "or .h5 file, or leave out the model to use the bundled network"),
    ([CONTENT, STYLE, "--gif", "anim.mp4"], "anim.mp4: the --gif file name must end with .gif"),
    ([CONTENT], "no style image: give one after the photo, or paint regions with --region MASK STYLE"),
    ([CONTENT, "--region", ROOT / "README.md", STYLE], "README.md: not an image"),
    ([CONTENT, "--region", "nowhere.png", STYLE], "nowhere.png: no such file"),
    ([CONTENT, "--region", STYLE2, STYLE, "--region", STYLE2, STYLE], "given to two --region options"),
    ([CONTENT, "--region", STYLE2, f"{STYLE}:nowhere.png"], "nowhere.png: no such file"),
    ([CONTENT, "--region", STYLE2, "x:y.jpg"], "x:y.jpg: no such file"),  # not read as STYLE:STYLE_MASK
    ([CONTENT, "--region", STYLE2, STYLE, "--style-blend-weights", 1],
     "--style-blend-weights weighs the style images given after the photo, and there are none"),
    ([CONTENT, STYLE, *sum((["--region", ROOT / "img" / "content" / f"{i}.png", STYLE] for i in range(13)), [])],
     "13 --region options: give at most 12"),
])
def test_bad_values_one_line_no_output(argv, match, tmp_path, capsys):
    """Also: an output that names a folder."""
    code, _, err = run(argv + ["-o", tmp_path / "out.png"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("nst: error:") and match in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, match", [
    ([CONTENT, STYLE, "--width", "0"], "--width: '0' is not a whole number greater than 0"),
    ([CONTENT, STYLE, "--height", "-3"], "--height: '-3' is not a whole number greater than 0"),
    ([CONTENT, STYLE, "--optimizer", "sgd"], "invalid choice: 'sgd'"),
    ([CONTENT, STYLE, "--preserve-colors", "sepia"], "invalid choice: 'sepia'"),
    ([CONTENT, STYLE, "--style-loss", "wasserstein"], "invalid choice: 'wasserstein'"),
    ([CONTENT, STYLE, "--iterations", "many"], "--iterations: 'many'"),
    ([CONTENT, STYLE, "--style-scale", "0"], "--style-scale: '0' is out of range; give a number above 0"),
    ([CONTENT, "--region", STYLE2, STYLE, STYLE], "unrecognized arguments: {STYLE} (the photo and the style images "
                                                 "come first, then the options)"),
])
def test_bad_options_one_line_no_output(argv, match, tmp_path, capsys):
    match = match.replace("{STYLE}", str(STYLE))
    with pytest.raises(SystemExit) as exit_:
        cli.main([str(a) for a in argv + ["-o", tmp_path / "out.png"]])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("nst: error:") and match in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run([CONTENT, STYLE, "-o", blocker / "out.png"], capsys)
    assert code == 1 and "is a file, not a folder" in err and err.count("\n") == 1
    code, _, err = run([CONTENT, STYLE, "-o", tmp_path / "out.txt"], capsys)
    assert code == 1 and "end the output name with .png or .jpg" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_ctrl_c_saves_best_image_so_far(tiny_model, tmp_path, capsys, interrupt_at):
    interrupt_at(4)
    out_file = tmp_path / "best.png"
    code, _, err = run([CONTENT, STYLE, "-o", out_file, "--width", 64, "--iterations", 20, "--model",
                        tiny_model, "--quiet"], capsys)
    assert code == 130 and "interrupted after 3 iterations; saved the best image so far" in err
    assert Image.open(out_file).size == (64, 48)


def test_console_script_no_traceback(tmp_path):
    nst = Path(sys.executable).parent / "nst"
    for argv in (["missing.jpg", str(STYLE), "-o", str(tmp_path / "o.png")], ["--bogus"]):
        result = subprocess.run([str(nst), *argv], capture_output=True, text=True, timeout=300)
        assert result.returncode in (1, 2)
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_real_network_run(tmp_path):
    """The bundled network through the installed console script, small and short."""
    nst = Path(sys.executable).parent / "nst"
    out_file = tmp_path / "r.png"
    result = subprocess.run([str(nst), str(CONTENT), str(STYLE), "-o", str(out_file), "--width", "96",
                             "--iterations", "30", "--optimizer", "lbfgs", "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "VGG-16" in result.stderr
    costs = result.stderr.strip().splitlines()[-1]  # "nst: total cost A -> B"
    first, last = (float(v) for v in costs.split("total cost ")[1].split(" -> "))
    assert last < 0.2 * first
    image = np.asarray(Image.open(out_file))
    assert image.shape == (72, 96, 3) and image.std() > 10


def settings_for(*argv, tmp_path):
    args = cli.parser().parse_args([str(a) for a in argv] + ["-o", str(tmp_path / "o.png")])
    _, _, settings, _, _ = nst_run.prepare(args)
    return settings


def test_defaults_are_for_art_and_the_recipe_is_one_option_away(tmp_path):
    wide = tmp_path / "wide.png"
    Image.fromarray(np.zeros((100, 250, 3), np.uint8)).save(wide)
    art = settings_for(wide, STYLE, tmp_path=tmp_path)
    assert (art.width, art.height) == (ART_LONGEST_SIDE, round(ART_LONGEST_SIDE * 100 / 250))  # the photo's aspect
    defaults = Settings.art()
    assert (art.optimizer, art.iterations, art.content_weight, art.style_weight) == \
        (defaults.optimizer, defaults.iterations, defaults.content_weight, defaults.style_weight)
    assert art.calibrated and art.optimizer == "lbfgs" and art.init == ART["init"] == "content"
    recipe = settings_for(wide, STYLE, "--recipe", tmp_path=tmp_path)
    assert (recipe.width, recipe.height, recipe.optimizer, recipe.iterations, recipe.learning_rate,
            recipe.content_weight, recipe.style_weight, recipe.init, recipe.noise_ratio) == \
        (400, 300, "adam", 200, 2.0, 10.0, 40.0, "noise", 0.6)
    changed = settings_for(wide, STYLE, "--recipe", "--iterations", 7, "--style-weight", 1, "--width", 80,
                           tmp_path=tmp_path)
    assert (changed.iterations, changed.style_weight, changed.optimizer, changed.width, changed.height) == \
        (7, 1.0, "adam", 80, 32)
    assert not settings_for(wide, STYLE, "--raw-network", tmp_path=tmp_path).calibrated
    # the style cost: the command's own, the recipe's, or the one asked for
    assert settings_for(wide, STYLE, tmp_path=tmp_path).style_loss == ART["style_loss"] == "sw"
    assert settings_for(wide, STYLE, "--recipe", tmp_path=tmp_path).style_loss == "gram"
    assert settings_for(wide, STYLE, "--style-loss", "gram", tmp_path=tmp_path).style_loss == "gram"


def test_help_says_what_the_defaults_are_and_why(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"L-BFGS for {ART['iterations']} passes at {ART_LONGEST_SIDE // 2} pixels" in text
    assert f"longest side {ART_LONGEST_SIDE}" in text and "sliced Wasserstein style cost" in text
    assert "--recipe gives the assignment's recipe instead: 400x300, Adam with learning rate 2.0" in text
    assert "--raw-network" in text and "calibrated" in text


def test_plan_line_names_weights_and_network_state(tiny_model, tmp_path):
    for extra, state in (([], "(calibrated)"), (["--raw-network"], "(raw)")):
        settings = settings_for(CONTENT, STYLE, "--width", 64, "--model", tiny_model, *extra, tmp_path=tmp_path)
        line = nst_run.describe(settings)
        assert f"64x48 ({ART['iterations']} it) with L-BFGS, alpha 10, beta {ART['style_weight']:g}, sliced " \
               f"Wasserstein, on VGG-19 {state}" in line


def test_a_degenerate_aspect_is_refused_not_written(tmp_path, capsys):
    strip = tmp_path / "strip.png"
    Image.fromarray(np.zeros((10, 4000, 3), np.uint8)).save(strip)
    code, _, err = run([strip, STYLE, "-o", tmp_path / "out.png"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "strip.png: a 4000x10 photo gives a 512x1 picture at the default size" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strip.png"]
    tall = tmp_path / "tall.png"
    Image.fromarray(np.zeros((4000, 10, 3), np.uint8)).save(tall)
    for photo, side, value, picture in ((strip, "--width", 512, "512x1"), (tall, "--height", 512, "1x512")):
        code, _, err = run([photo, STYLE, "-o", tmp_path / "out.png", side, value], capsys)
        assert code == 1 and err.splitlines() == [
            f"nst: error: {photo}: a {Image.open(photo).width}x{Image.open(photo).height} photo gives a {picture} "
            f"picture with {side} {value}; give both --width and --height (or crop the photo)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strip.png", "tall.png"]


# ---------------------------------------------------------------------------------------------------
# Issue 11: every way a run could lose work, overwrite an input or answer with a traceback.


def tiny(tiny_model, *extra):
    """Options for a run of a few seconds on the tiny network."""
    return ["--model", tiny_model, "--width", 32, "--iterations", 3, "--quiet", *extra]


def one_error_line(err, match):
    """The whole of stderr is one line (nothing was started) with ``match``."""
    assert err.count("\n") == 1 and err.startswith("nst: error:") and "Traceback" not in err, err
    assert match in err, err


def final_line(err):
    """The last line of a run that started (the plan line first; a calibration may be announced between)."""
    lines = err.splitlines()
    assert lines[0].startswith("nst: ") and "estimated" in lines[0] and "Traceback" not in err, err
    assert all(line.startswith("Calibrating ") for line in lines[1:-1]), err
    return lines[-1]


@pytest.fixture
def photo(tmp_path):
    """A copy of the content photo in its own folder (a test that goes wrong cannot touch img/)."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CONTENT, folder / "photo.jpg")
    shutil.copy(STYLE, folder / "style.jpg")
    return folder / "photo.jpg"


def snapshot_of(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("target", ["content", "content-spelled-otherwise", "hard-link", "symlink", "style",
                                    "init", "gif-is-a-style"])
def test_an_output_that_is_an_input_is_refused(target, photo, tiny_model, tmp_path, capsys):
    folder = photo.parent
    style = folder / "style.jpg"
    extra, what = [], "content photo"
    if target == "content":
        out = photo
    elif target == "content-spelled-otherwise":
        out = folder / ".." / "in" / "photo.jpg"
    elif target == "hard-link":
        out = folder / "link.jpg"
        os.link(photo, out)
    elif target == "symlink":
        out = tmp_path / "elsewhere.jpg"
        out.symlink_to(photo)
    elif target == "style":
        out, what = style, "style image"
    elif target == "init":
        out, what = folder / "start.png", "--init image"
        Image.open(photo).save(out)
        extra = ["--init", out]
    else:  # --gif names a style image that is a GIF
        Image.open(style).save(folder / "style.gif")
        style, out, what = folder / "style.gif", tmp_path / "out.png", "style image"
        extra = ["--gif", folder / "style.gif"]
    before = snapshot_of(tmp_path)
    code, _, err = run([photo, style, "-o", out, *tiny(tiny_model, *extra)], capsys)
    assert code == 1
    one_error_line(err, f"would overwrite the {what}")
    assert snapshot_of(tmp_path) == before


def test_ctrl_c_before_the_first_iteration_writes_nothing(photo, tiny_model, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):  # Ctrl-C after the plan line, while the style is analysed
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "style_statistics", interrupted)
    out = tmp_path / "out" / "art.png"
    out.parent.mkdir()
    out.write_bytes(b"an earlier result")
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", tmp_path / "run.gif",
                        *tiny(tiny_model, "--save-every", 1)], capsys)
    assert code == 130
    assert err.splitlines()[-1] == "nst: interrupted before the first iteration; nothing written"
    assert out.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in out.parent.iterdir()) == ["art.png"]  # no empty art_steps/ left
    assert not (tmp_path / "run.gif").exists()


def test_a_second_ctrl_c_while_the_gif_is_written(photo, tiny_model, tmp_path, capsys, interrupt_at, monkeypatch):
    import imageio.v2 as imageio

    def half_written(path, *args, **kwargs):
        Path(path).write_bytes(b"GIF89a")
        raise KeyboardInterrupt

    interrupt_at(3)
    monkeypatch.setattr(imageio, "mimsave", half_written)
    out = tmp_path / "art.png"
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", tmp_path / "run.gif",
                        *tiny(tiny_model)], capsys)
    assert code == 130
    assert err.splitlines()[-1] == (f"nst: interrupted after 2 iterations, then interrupted while writing; saved the "
                                    f"best image so far to {out}; no GIF written")
    assert Image.open(out).size == (32, 24)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.png", "in"]  # no .run.gif.part


def test_ctrl_c_while_the_image_is_written_still_writes_it_whole(photo, tiny_model, tmp_path, capsys, monkeypatch):
    save = images.save_image

    def impatient(path, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again, just as the result is saved
        return save(path, *args, **kwargs)

    monkeypatch.setattr(images, "save_image", impatient)
    out = tmp_path / "art.png"
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", tmp_path / "run.gif",
                        *tiny(tiny_model)], capsys)
    assert code == 130
    assert err.splitlines()[-1] == f"nst: interrupted while writing; saved the image to {out}; no GIF written"
    assert Image.open(out).size == (32, 24)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.png", "in"]


def test_sigterm_is_a_ctrl_c(photo, tiny_model, tmp_path, capsys, monkeypatch):
    record, calls = engine.Recorder.record, []

    def terminated_at_third_pass(self, *args):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` or a scheduler's time limit does
        record(self, *args)

    monkeypatch.setattr(engine.Recorder, "record", terminated_at_third_pass)
    out = tmp_path / "art.png"
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model, "--iterations", 20)], capsys)
    assert code == 143
    assert err.splitlines()[-1] == f"nst: stopped by SIGTERM after 2 iterations; saved the best image so far to {out}"
    assert Image.open(out).size == (32, 24)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the command's handler is gone again


SLOW_TENSORFLOW_IMPORT = """
import builtins, os, time
_import = builtins.__import__


def slow_import(name, *args, **kwargs):
    if name == "tensorflow" and not os.path.exists(os.environ["NST_TEST_MARKER"]):
        open(os.environ["NST_TEST_MARKER"], "w").close()  # the command is now importing TensorFlow
        time.sleep(60)
    return _import(name, *args, **kwargs)


builtins.__import__ = slow_import
"""


def test_ctrl_c_while_python_and_tensorflow_start(tiny_model, tmp_path):
    """The real command, interrupted while it imports TensorFlow: one line, exit 130 (needs a lazy
    nst_utils/__init__). A sitecustomize holds the import until the test has sent SIGINT: no timing."""
    nst = Path(sys.executable).parent / "nst"
    out, marker, site = tmp_path / "o.png", tmp_path / "importing", tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_TENSORFLOW_IMPORT)
    env = dict(os.environ, PYTHONPATH=str(site), NST_TEST_MARKER=str(marker))
    process = subprocess.Popen([str(nst), str(CONTENT), str(STYLE), "-o", str(out), *map(str, tiny(tiny_model))],
                               stderr=subprocess.PIPE, text=True, env=env,
                               # a shell's background job (make test &, CI) starts with SIGINT ignored
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the command never imported TensorFlow"
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=120)[1]
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.count("\n") == 1 and "nothing written" in err
    assert not out.exists()


@pytest.mark.parametrize("option, value", [
    ("--style-weight", "nan"), ("--content-weight", "inf"), ("--tv-weight", "nan"), ("--tv-weight", "-1"),
    ("--style-blend-weights", "nan"), ("--learning-rate", "inf"), ("--learning-rate", "0"),
    ("--style-scale", "inf"), ("--style-scale", "nan"), ("--seed", "-1"), ("--seed", "1e3"),
    ("--noise-ratio", "nan"), ("--noise-ratio", "1.5"), ("--iterations", "0"), ("--save-every", "-1"),
    ("--levels", "0"), ("--content-weight", "1e300"),
])
def test_every_number_is_checked_up_front(option, value, tiny_model, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([str(a) for a in [CONTENT, STYLE, "-o", tmp_path / "o.png", *tiny(tiny_model), option, value]])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith(f"nst: error: argument {option}: '{value}' is ")
    assert list(tmp_path.iterdir()) == []


def test_a_result_of_the_wrong_size_or_nan_is_not_written(photo, tiny_model, tmp_path, capsys, monkeypatch):
    out = tmp_path / "art.png"
    history = {"total": [1.0, 0.5], "snapshots": [], "interrupted": False}
    monkeypatch.setattr(nst_run, "transfer", lambda *args, **kwargs: (np.zeros((1, 3, 3), np.uint8), history))
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    assert code == 1 and "the result is 3x1 pixels, not the 32x24 asked for, so it was not written" in err
    assert not out.exists()
    nan_history = dict(history, total=[float("nan")] * 2)
    monkeypatch.setattr(nst_run, "transfer", lambda *args, **kwargs: (np.zeros((24, 32, 3), np.uint8),
                                                                      nan_history))
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    assert code == 1 and "every cost was nan" in err and "choose smaller weights" in err
    assert not out.exists()


def test_a_diverged_run_says_which_image_was_written(photo, tiny_model, tmp_path, capsys, monkeypatch):
    out = tmp_path / "art.png"
    history = {"total": [4.0, 2.0, float("nan")], "snapshots": [], "interrupted": False, "diverged": True,
               "result_cost": 2.0}
    monkeypatch.setattr(nst_run, "transfer", lambda *args, **kwargs: (np.full((24, 32, 3), 90, np.uint8), history))
    code, printed, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    assert code == 0 and printed.strip() == str(out) and out.exists()
    assert err.strip().splitlines()[-1] == (
        "nst: total cost 4 -> 2 (Adam diverged: its image became NaN, so the lowest-cost image it passed was "
        "written; a smaller --learning-rate avoids it)")


def test_a_closed_stdout_is_no_error_once_the_picture_is_written(tiny_model, tmp_path):
    """``nst ... | head -0``: the picture is written; that nobody reads its name is not a failure."""
    out = tmp_path / "piped.png"
    with subprocess.Popen([sys.executable, "-m", "nst_utils.cli", str(CONTENT), str(STYLE), "-o", str(out),
                           *map(str, tiny(tiny_model))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        child.stdout.close()
        err = child.stderr.read()
    assert child.returncode == 0 and "error" not in err and "Traceback" not in err, err
    assert Image.open(out).size == (32, 24)


@pytest.mark.parametrize("extra, line", [
    (["--learning-rate", "5"], "--learning-rate 5 is for Adam; L-BFGS chooses its own steps: add --optimizer adam, "
                               "or leave the learning rate out"),
    (["--noise-ratio", "0.9"], "--noise-ratio 0.9 is for the noise start; add --init noise, or leave the noise "
                               "ratio out"),
])
def test_an_option_that_would_have_no_effect_is_refused(tiny_model, tmp_path, capsys, extra, line):
    code, _, err = run([CONTENT, STYLE, "-o", tmp_path / "o.png", *tiny(tiny_model), *extra], capsys)
    assert code == 1 and err.splitlines() == [f"nst: error: {line}"] and list(tmp_path.iterdir()) == []
    settings = settings_for(CONTENT, STYLE, "--recipe", *extra, tmp_path=tmp_path)  # Adam from noise: both apply
    assert (settings.learning_rate, settings.noise_ratio) == ((5.0, 0.6) if "--learning-rate" in extra else (2.0, 0.9))


def test_a_new_run_replaces_an_earlier_runs_snapshots(tiny_model, tmp_path, capsys):
    out, steps = tmp_path / "o.png", tmp_path / "o_steps"
    assert run([CONTENT, STYLE, "-o", out, *tiny(tiny_model), "--iterations", 7, "--save-every", 3], capsys)[0] == 0
    assert sorted(p.name for p in steps.iterdir()) == ["0000.png", "0003.png", "0006.png", "0007.png"]
    (steps / "notes.txt").write_text("mine")
    assert run([CONTENT, STYLE, "-o", out, *tiny(tiny_model), "--iterations", 2, "--save-every", 1], capsys)[0] == 0
    assert sorted(p.name for p in steps.iterdir()) == ["0000.png", "0001.png", "0002.png", "notes.txt"]


def test_an_output_folder_is_refused_with_a_file_name_to_use(tmp_path, capsys):
    code, _, err = run([CONTENT, STYLE, "-o", f"{tmp_path}/"], capsys)
    assert code == 1 and err.splitlines() == [
        f"nst: error: {tmp_path}: is a folder; give the output image a file name, e.g. {tmp_path / 'out.png'}"]
    assert list(tmp_path.iterdir()) == []


def test_style_scale_too_large_is_refused_before_the_plan(photo, tiny_model, tmp_path, capsys):
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", tmp_path / "o.png",
                        *tiny(tiny_model, "--style-scale", 1000)], capsys)
    assert code == 1
    one_error_line(err, "--style-scale 1000: the style image would be 32000x")
    assert "choose a smaller --style-scale" in err


def test_the_plan_counts_the_scaled_style_in_the_memory(tiny_model, tmp_path):
    big_style = tmp_path / "big.png"
    Image.fromarray(np.zeros((400, 400, 3), np.uint8)).save(big_style)
    args = cli.parser().parse_args([str(CONTENT), str(big_style), "-o", str(tmp_path / "o.png"), "--model",
                                    tiny_model, "--width", "64", "--style-scale", "40"])
    _, styles, settings, _, _ = nst_run.prepare(args)
    line = nst_run.describe(settings, [s.shape for s in styles])
    memory = float(line.split(" and ")[-1].split(" GB")[0])
    assert memory == pytest.approx(estimate_peak_memory(2560, 2560) / 1e9, abs=0.05)  # not the 64x48's 0.8


def test_write_problems_are_found_before_the_run(photo, tiny_model, tmp_path, capsys):
    style = photo.parent / "style.jpg"
    cases = []
    long_name = tmp_path / ("x" * 300 + ".png")
    cases.append(([photo, style, "-o", long_name], f"{long_name}: cannot create the output image (File name too "
                                                    f"long); choose a shorter name"))
    (tmp_path / "folder.png").mkdir()
    cases.append(([photo, style, "-o", tmp_path / "folder.png"],
                  f"{tmp_path / 'folder.png'}: is a folder; give the output image a file name"))
    (tmp_path / "art_steps").write_text("in the way")
    cases.append(([photo, style, "-o", tmp_path / "art.png", "--save-every", 1],
                  f"{tmp_path / 'art_steps'}: is a file, not a folder, so the --save-every snapshots cannot go there; "
                  f"remove or rename it, or choose another output name"))
    (tmp_path / "anim.gif").mkdir()
    cases.append(([photo, style, "-o", tmp_path / "ok.png", "--gif", tmp_path / "anim.gif"],
                  f"{tmp_path / 'anim.gif'}: is a folder; give the GIF a file name"))
    before = snapshot_of(tmp_path)
    for argv, match in cases:
        code, _, err = run(argv + tiny(tiny_model), capsys)
        assert code == 1
        one_error_line(err, match)  # one line: refused before the plan line, so before the run
        assert "choose another output folder" not in err
    assert snapshot_of(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", "art_steps", "folder.png", "in"]


def test_a_full_disk_is_found_before_the_run(photo, tiny_model, tmp_path, capsys, monkeypatch):
    real = os.statvfs

    class Full:
        f_bavail, f_frsize = 2, 4096  # 8 KB free

    monkeypatch.setattr(os, "statvfs", lambda path: Full() if str(path).startswith(str(tmp_path / "disk")) else real(path))
    (tmp_path / "disk").mkdir()
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", tmp_path / "disk" / "art.png", "--gif",
                        tmp_path / "disk" / "run.gif", *tiny(tiny_model)], capsys)
    assert code == 1
    one_error_line(err, f"{tmp_path / 'disk'}: only 0.0 MB free on its disk, and the output image and GIF need up to")
    assert list((tmp_path / "disk").iterdir()) == []


def test_a_write_that_fails_at_the_end_keeps_the_result(photo, tiny_model, tmp_path, capsys, monkeypatch):
    """The disk fills during the run: the image goes to a new file beside the output, else to $TMPDIR."""
    save, out = images.save_image, tmp_path / "out" / "art.png"

    def disk_full_for(*blocked):
        def writer(path, *args, **kwargs):
            if Path(path) == out or Path(path).parent in blocked:
                raise NSTError(f"{path}: cannot write the image (No space left on device); choose another output")
            return save(path, *args, **kwargs)
        return writer

    monkeypatch.setattr(images, "save_image", disk_full_for())
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    kept = [p for p in out.parent.iterdir()]
    assert code == 1 and len(kept) == 1 and kept[0].name.startswith("nst-art-") and kept[0].suffix == ".png"
    assert final_line(err) == (f"nst: error: cannot write the image to {out} (No space left on device); it is kept "
                               f"at {kept[0]} instead")
    assert Image.open(kept[0]).size == (32, 24)
    kept[0].unlink()

    spare = tmp_path / "tmpdir"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    monkeypatch.setattr(images, "save_image", disk_full_for(out.parent))
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    kept = list(spare.iterdir())
    assert code == 1 and len(kept) == 1 and f"it is kept at {kept[0]} instead" in err
    assert list(out.parent.iterdir()) == []  # no empty spare file left beside the output


def test_a_gif_that_fails_at_the_end_is_kept_too(photo, tiny_model, tmp_path, capsys, monkeypatch):
    write_gif, gif = images.write_gif, tmp_path / "run.gif"

    def full(path, *args):
        if Path(path) == gif:
            raise NSTError(f"{path}: cannot write the GIF (No space left on device)")
        return write_gif(path, *args)

    monkeypatch.setattr(images, "write_gif", full)
    out = tmp_path / "art.png"
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", gif, *tiny(tiny_model)], capsys)
    kept = next(tmp_path.glob("nst-run-*.gif"))
    assert code == 1
    assert final_line(err) == (f"nst: error: cannot write the GIF to {gif} (No space left on device); it is kept "
                               f"at {kept} instead; saved the image to {out}")
    assert Image.open(kept).n_frames >= 2 and Image.open(out).size == (32, 24)


def test_snapshots_that_cannot_be_written_name_the_steps_folder(photo, tiny_model, tmp_path, capsys, monkeypatch):
    save, saved, steps = images.save_image, [], tmp_path / "art_steps"

    def fills_up(path, *args, **kwargs):  # the disk is full for the third snapshot, not for the image
        if Path(path).parent == steps:
            if len(saved) == 2:
                raise NSTError(f"{path}: cannot write the image (No space left on device); choose another output")
            saved.append(path)
        return save(path, *args, **kwargs)

    monkeypatch.setattr(images, "save_image", fills_up)
    out = tmp_path / "art.png"
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model, "--save-every", 1)], capsys)
    assert code == 1
    assert final_line(err) == (f"nst: error: the snapshots stopped at {steps / '0002.png'}: cannot write the image "
                               f"(No space left on device); saved the image to {out} and 2 snapshots in {steps}")
    assert Image.open(out).size == (32, 24)


def test_folders_a_failed_run_made_are_removed(photo, tiny_model, tmp_path, capsys, monkeypatch):
    (tmp_path / "blocker").write_text("a file")
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", tmp_path / "new" / "deeper" / "art.png",
                        "--save-every", 1, "--gif", tmp_path / "blocker" / "run.gif", *tiny(tiny_model)], capsys)
    assert code == 1 and "blocker: is a file, not a folder, so the GIF cannot go there" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "in"]

    def broken(*args, **kwargs):  # a failure after every check: e.g. the weight file turns out damaged
        raise NSTError("tiny.mat: damaged weight file")

    monkeypatch.setattr(nst_run, "describe", broken)
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", tmp_path / "new" / "art.png", "--save-every", 1,
                        *tiny(tiny_model)], capsys)
    assert code == 1 and "damaged weight file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "in"]


UNPRIVILEGED = """
import json, sys
from nst_utils import cli
results = []
for argv in json.loads(sys.argv[1]):
    try:
        code = cli.main(argv)
    except BaseException as exc:
        code = repr(exc)
    results.append(code)
print(json.dumps(results))
"""


def test_folders_without_permission_give_one_line(photo, tiny_model, tmp_path):
    """Real permissions: a folder nobody may enter. Root ignores permissions, so as root the check runs
    without the capabilities that let it (setpriv, util-linux); anyone else needs nothing."""
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(photo, locked / "photo.jpg")
    locked.chmod(0)
    style = photo.parent / "style.jpg"
    out = str(tmp_path / "o.png")
    cases = [
        ([locked / "photo.jpg", style, "-o", out], f"{locked / 'photo.jpg'}: permission denied"),
        ([photo, locked / "style.jpg", "-o", out], f"{locked / 'style.jpg'}: permission denied"),
        ([photo, style, "-o", out, "--init", locked / "start.png"], f"{locked / 'start.png'}: permission denied"),
        ([photo, style, "-o", out, "--model", locked / "vgg.mat"], f"{locked / 'vgg.mat'}: permission denied"),
        ([photo, style, "-o", locked / "o.png"], f"{locked / 'o.png'}: cannot create the output image "
                                                 f"(Permission denied)"),
        ([photo, style, "-o", locked / "sub" / "o.png"], f"{locked / 'sub'}: permission denied; cannot write the output image there"),
        ([photo, style, "-o", out, "--gif", locked / "a.gif"], f"{locked / 'a.gif'}: cannot create the GIF "
                                                               f"(Permission denied)"),
    ]
    argvs = [[str(a) for a in tiny(tiny_model) + argv] for argv, _ in cases]  # the case's --model comes last: it wins
    command = [sys.executable, "-c", UNPRIVILEGED, json.dumps(argvs)]
    if os.geteuid() == 0:
        command = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search", "--"] + command
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT / "tests")
    finally:
        locked.chmod(0o755)
    assert result.returncode == 0, result.stderr
    codes = json.loads(result.stdout.splitlines()[-1])
    lines = [line for line in result.stderr.splitlines() if line.startswith("nst: error:")]
    assert codes == [1] * len(cases) and len(lines) == len(cases), result.stderr
    assert "Traceback" not in result.stderr
    for line, (_, match) in zip(lines, cases):
        assert match in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "locked"]


LAZY = """
import sys
from nst_utils import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
print(sorted(m for m in ("tensorflow", "numpy", "PIL") if m in sys.modules))
"""


@pytest.mark.parametrize("argv", [["--help"], ["photo.jpg", "style.jpg", "-o", "o.png", "--style-weight", "nan"]])
def test_help_and_option_errors_do_not_import_tensorflow(argv):
    """``nst --help`` answers at once (needs nst_utils/__init__.py to import its helpers lazily)."""
    result = subprocess.run([sys.executable, "-c", LAZY, *argv], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_the_photos_transparency_is_kept(tiny_model, tmp_path, capsys):
    rgba = np.dstack([np.asarray(Image.open(CONTENT).resize((64, 48))),
                      np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))])
    photo = tmp_path / "cut-out.png"
    Image.fromarray(rgba, "RGBA").save(photo)
    out = tmp_path / "art.png"
    code, _, err = run([photo, STYLE, "-o", out, *tiny(tiny_model)], capsys)
    assert code == 0 and "; keeps the photo's transparency" in err.splitlines()[0]
    result = Image.open(out)
    assert result.mode == "RGBA" and result.size == (32, 24)
    alpha = np.asarray(result.getchannel("A")).astype(int)
    expected = np.asarray(Image.fromarray(rgba[..., 3]).resize((32, 24), Image.BILINEAR)).astype(int)
    assert np.abs(alpha - expected).max() <= 2
    jpeg = tmp_path / "art.jpg"
    code, _, err = run([photo, STYLE, "-o", jpeg, *tiny(tiny_model)], capsys)
    assert code == 0 and "the photo's transparency is dropped (.jpg cannot hold it: use .png to keep it)" in err
    assert Image.open(jpeg).mode == "RGB"


def test_files_written_respect_the_umask(photo, tiny_model, tmp_path, capsys):
    old = os.umask(0o027)
    try:
        out = tmp_path / "art.png"
        code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", tmp_path / "run.gif",
                            *tiny(tiny_model, "--save-every", 2)], capsys)
    finally:
        os.umask(old)
    assert code == 0, err
    written = [out, tmp_path / "run.gif", *(tmp_path / "art_steps").iterdir()]
    assert {oct(p.stat().st_mode & 0o777) for p in written} == {oct(0o640)}
