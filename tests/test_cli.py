"""The ``nst`` command: a real run on a tiny synthetic network, and bad input (one line, no file)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_utils import cli

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
    ([CONTENT, STYLE, "--style-blend-weights", "1", "2"], "2 style blend weights for 1 style images"),
    ([CONTENT, STYLE, "--width", "100000", "--height", "100000"], "needs about"),
    ([CONTENT, STYLE, "--init", "nowhere.png"], "nowhere.png: no such file"),
    ([CONTENT, STYLE, "--model", "nowhere.mat"], "nowhere.mat: no such weight file"),
    ([CONTENT, STYLE, "--gif", "anim.mp4"], "anim.mp4: the --gif file name must end with .gif"),
    ([CONTENT, STYLE, "--style-scale", "0"], "style-scale 0"),
])
def test_bad_values_one_line_no_output(argv, match, tmp_path, capsys):
    code, _, err = run(argv + ["-o", tmp_path / "out.png"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("nst: error:") and match in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, match", [
    ([CONTENT, STYLE, "--width", "0"], "--width: '0' is not a whole number greater than 0"),
    ([CONTENT, STYLE, "--height", "-3"], "--height: '-3' is not a whole number greater than 0"),
    ([CONTENT, STYLE, "--optimizer", "sgd"], "invalid choice: 'sgd'"),
    ([CONTENT, STYLE, "--preserve-colors", "sepia"], "invalid choice: 'sepia'"),
    ([CONTENT, STYLE, "--iterations", "many"], "--iterations: 'many'"),
    ([CONTENT], "required: STYLE"),
])
def test_bad_options_one_line_no_output(argv, match, tmp_path, capsys):
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
    _, _, settings = cli.prepare(cli.parser().parse_args([str(a) for a in argv] + ["-o", str(tmp_path / "o.png")]))
    return settings


def test_defaults_are_for_art_and_the_recipe_is_one_option_away(tmp_path):
    wide = tmp_path / "wide.png"
    Image.fromarray(np.zeros((100, 250, 3), np.uint8)).save(wide)
    art = settings_for(wide, STYLE, tmp_path=tmp_path)
    assert (art.width, art.height) == (cli.ART["size"], round(cli.ART["size"] * 100 / 250))  # the photo's aspect
    assert (art.optimizer, art.iterations, art.content_weight, art.style_weight) == \
        (cli.ART["optimizer"], cli.ART["iterations"], cli.ART["content_weight"], cli.ART["style_weight"])
    assert art.calibrated and art.optimizer == "lbfgs" and art.init == cli.ART["init"] == "content"
    recipe = settings_for(wide, STYLE, "--recipe", tmp_path=tmp_path)
    assert (recipe.width, recipe.height, recipe.optimizer, recipe.iterations, recipe.learning_rate,
            recipe.content_weight, recipe.style_weight, recipe.init, recipe.noise_ratio) == \
        (400, 300, "adam", 200, 2.0, 10.0, 40.0, "noise", 0.6)
    changed = settings_for(wide, STYLE, "--recipe", "--iterations", 7, "--style-weight", 1, "--width", 80,
                           tmp_path=tmp_path)
    assert (changed.iterations, changed.style_weight, changed.optimizer, changed.width, changed.height) == \
        (7, 1.0, "adam", 80, 32)
    assert not settings_for(wide, STYLE, "--raw-network", tmp_path=tmp_path).calibrated


def test_help_says_what_the_defaults_are_and_why(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"L-BFGS for {cli.ART['iterations']} passes" in text and f"longest side {cli.ART['size']}" in text
    assert "--recipe gives the assignment's recipe instead: 400x300, Adam with learning rate 2.0" in text
    assert "--raw-network" in text and "calibrated" in text


def test_plan_line_names_weights_and_network_state(tiny_model, tmp_path):
    for extra, state in (([], "(calibrated)"), (["--raw-network"], "(raw)")):
        settings = settings_for(CONTENT, STYLE, "--width", 64, "--model", tiny_model, *extra, tmp_path=tmp_path)
        line = cli.describe(settings)
        assert f"64x48 ({cli.ART['iterations']} it) with L-BFGS, alpha 10, beta {cli.ART['style_weight']:g}, on VGG-19 {state}" in line


def test_a_degenerate_aspect_is_refused_not_written(tmp_path, capsys):
    strip = tmp_path / "strip.png"
    Image.fromarray(np.zeros((10, 4000, 3), np.uint8)).save(strip)
    code, _, err = run([strip, STYLE, "-o", tmp_path / "out.png"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "strip.png: a 4000x10 photo gives a 512x1 picture at the default size" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strip.png"]
