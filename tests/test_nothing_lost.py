"""Nothing lost, nothing misleading, round two (issue 24): hostile input that used to lose a file, report a
success that was none, fail silently, answer with a traceback, or say something unclear. Every test here
failed on the code before the fix; the weight downloader's cases are in test_weights.py.

Runs on the tiny synthetic VGG-19 (``tiny_model``); the ones that need a real process or real signals
run the command in a subprocess with every wait bounded."""
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_utils import calibration, cli, engine, files, images, memory, vgg
from nst_utils import run as nst_run
from nst_utils.errors import NSTError
from nst_utils.settings import Settings
from weights_fixtures import VGG16_BLOCKS, random_layers, write_hed

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "img" / "content" / "rocket.jpg"
STYLE = ROOT / "img" / "style" / "ink_waves.jpg"


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def tiny(tiny_model, *extra):
    """Options for a run of a few seconds on the tiny network."""
    return ["--model", tiny_model, "--width", 32, "--iterations", 3, "--quiet", *extra]


def one_error_line(err, match):
    assert err.count("\n") == 1 and err.startswith("nst: error:") and "Traceback" not in err, err
    assert match in err, err


@pytest.fixture
def photo(tmp_path):
    """Copies of the content photo and the style image in a folder of their own."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CONTENT, folder / "photo.jpg")
    shutil.copy(STYLE, folder / "style.jpg")
    return folder / "photo.jpg"


def command(*argv):
    """The real command, as `python -m nst_utils.cli`."""
    return [sys.executable, "-m", "nst_utils.cli", *map(str, argv)]


# ---------------------------------------------------------------------------------------------------
# 1. Data loss: an input reached through a symbolic link into the run's own steps folder.

@pytest.mark.parametrize("role", ["--init", "style"])
def test_an_input_linked_into_the_steps_folder_is_refused_and_kept(role, photo, tiny_model, tmp_path, capsys):
    out = tmp_path / "o" / "art.png"
    (out.parent / "art_steps").mkdir(parents=True)
    frame = out.parent / "art_steps" / "0150.png"
    shutil.copy(photo, frame)
    link = out.parent / "best.png"
    link.symlink_to("art_steps/0150.png")
    extra = ["--init", link] if role == "--init" else []
    styles = [photo.parent / "style.jpg"] + ([link] if role == "style" else [])
    code, _, err = run([photo, *styles, "-o", out, *tiny(tiny_model, "--save-every", 1, *extra)], capsys)
    assert code == 1
    what = "--init image" if role == "--init" else "style image"
    one_error_line(err, f"{link}: the --save-every snapshots in {out.parent / 'art_steps'} would overwrite the "
                        f"{what} (through a link: {frame.resolve()})")
    assert frame.read_bytes() == photo.read_bytes() and not out.exists()


def test_removing_an_earlier_runs_snapshots_never_removes_an_input(tmp_path):
    """The mechanism behind the refusal: even if a run got there, the stale-snapshot removal spares inputs."""
    steps = tmp_path / "art_steps"
    steps.mkdir()
    for name in ("0000.png", "0007.png", "0008.png"):
        (steps / name).write_bytes(name.encode())
    (tmp_path / "best.png").symlink_to("art_steps/0007.png")
    files.remove_stale_snapshots(steps, [steps / "0000.png"], inputs=[tmp_path / "best.png"])
    assert sorted(p.name for p in steps.iterdir()) == ["0000.png", "0007.png"]


# ---------------------------------------------------------------------------------------------------
# 2. Ctrl-C while the last snapshot is written: the finished picture is written all the same.

def test_ctrl_c_while_the_last_snapshot_is_written_keeps_the_finished_result(photo, tiny_model, tmp_path, capsys,
                                                                              monkeypatch):
    save, out = images.save_image, tmp_path / "art.png"
    steps = tmp_path / "art_steps"

    def ctrl_c_during_the_last_snapshot(path, *args, **kwargs):
        if Path(path) == steps / "0003.png":  # the snapshot of the finished run (3 passes)
            os.kill(os.getpid(), signal.SIGINT)
        return save(path, *args, **kwargs)

    monkeypatch.setattr(images, "save_image", ctrl_c_during_the_last_snapshot)
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model, "--save-every", 1)], capsys)
    assert code == 130
    assert err.splitlines()[-1] == (f"nst: interrupted while writing; saved the image to {out} and 4 snapshots in "
                                    f"{steps}")
    assert Image.open(out).size == (32, 24)
    assert sorted(p.name for p in steps.iterdir()) == ["0000.png", "0001.png", "0002.png", "0003.png"]


def test_a_stop_that_escapes_the_engine_still_names_the_snapshots_on_disk(photo, tiny_model, tmp_path, capsys,
                                                                          monkeypatch):
    """Whatever ends a run without a picture, the line never says "nothing written" over snapshots on disk."""
    def snapshots_then_ctrl_c(content, styles, settings, on_pass=None, on_snapshot=None, regions=()):
        for i in range(3):
            on_snapshot(i, np.full((24, 32, 3), 90, np.uint8))
        raise KeyboardInterrupt

    monkeypatch.setattr(nst_run, "transfer", snapshots_then_ctrl_c)
    out, steps = tmp_path / "art.png", tmp_path / "art_steps"
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model, "--save-every", 1)], capsys)
    assert code == 130
    assert err.splitlines()[-1] == f"nst: interrupted before the picture was made; saved 3 snapshots in {steps} only"
    assert len(list(steps.iterdir())) == 3 and not out.exists()


# ---------------------------------------------------------------------------------------------------
# 3. A calibration cache that does not validate is ignored, with one line, and made again.

@pytest.mark.parametrize("damage", ["a list", "a string", "not JSON", "no factors", "NaN factors", "string factors",
                                    "zero factors", "huge factors", "the entry a list"])
def test_a_damaged_calibration_cache_is_ignored_in_one_line(damage, tiny_model, tmp_path, monkeypatch, capsys):
    cache = tmp_path / "calibration.json"
    monkeypatch.setattr(calibration.CONFIG, "CALIBRATION_CACHE", cache)
    raw = vgg.read_network(tiny_model)
    checksum = calibration.file_checksum(raw.path)
    vgg._calibrated_network.cache_clear()
    good = vgg.read_network(tiny_model, calibrated=True).factors  # measured, and cached
    entry = json.loads(cache.read_text())[checksum]
    every = lambda value: {checksum: dict(entry, factors=dict.fromkeys(entry["factors"], value))}  # noqa: E731
    damaged = {"a list": [], "a string": "x", "not JSON": "{nope", "no factors": {checksum: {"target": 1.0}},
               "NaN factors": every(float("nan")), "string factors": every("0.5"), "zero factors": every(0),
               "huge factors": every(1e300), "the entry a list": {checksum: []}}[damage]
    cache.write_text(damaged if damage == "not JSON" else json.dumps(damaged))
    capsys.readouterr()
    vgg._calibrated_network.cache_clear()
    factors = vgg.read_network(tiny_model, calibrated=True).factors
    err = capsys.readouterr().err
    assert factors == pytest.approx(good) and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("Calibrating ") and f"again: {cache} was ignored, " in err, err
    assert calibration.entry_problem(json.loads(cache.read_text())[checksum], raw) is None  # made good again
    vgg._calibrated_network.cache_clear()


# ---------------------------------------------------------------------------------------------------
# 4 and decision 2. An existing output the run would not or could not replace is refused before the run.

def test_a_read_only_output_is_refused_not_replaced(photo, tiny_model, tmp_path, capsys):
    out = tmp_path / "art.png"
    out.write_bytes(b"a picture someone protected")
    out.chmod(0o444)
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    assert code == 1
    one_error_line(err, f"{out}: is read-only (mode 0444), so the output image will not replace it; make it "
                        f"writable (chmod u+w) to replace it, or choose another name")
    assert out.read_bytes() == b"a picture someone protected"


ANOTHER_USER = 65533

STICKY_RUNS = """
import json, sys
from nst_utils import cli
print(json.dumps([cli.main(argv) for argv in json.loads(sys.argv[1])]))
"""


@pytest.mark.slow  # the whole command in a process of its own
@pytest.mark.skipif(os.geteuid() != 0, reason="making a file of another user needs root")
def test_another_users_file_in_a_sticky_folder_is_refused_before_the_run(photo, tiny_model, tmp_path):
    """/tmp's rule: only a file's owner (or the folder's) may replace it there. Run as root without the
    capability that overrides the rule (CAP_FOWNER), on files of two other users."""
    cases = []
    for target in ("out.png", "run.gif", "art_steps/0000.png"):
        folder = tmp_path / target.replace("/", "-").replace(".", "-")
        shared = folder / Path(target).parent
        shared.mkdir(parents=True)
        theirs = folder / target
        theirs.write_bytes(b"theirs")
        theirs.chmod(0o666)
        os.chown(theirs, ANOTHER_USER, ANOTHER_USER)
        shared.chmod(0o1777)
        os.chown(shared, ANOTHER_USER + 1, ANOTHER_USER + 1)
        out = theirs if target == "out.png" else folder / "art.png"
        extra = {"run.gif": ["--gif", theirs], "art_steps/0000.png": ["--save-every", 1]}.get(target, [])
        what = {"out.png": "output image", "run.gif": "GIF"}.get(target, "--save-every snapshots")
        cases.append(([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model, *extra)], theirs, what))
    argvs = [[str(a) for a in argv] for argv, _, _ in cases]
    result = subprocess.run(["setpriv", "--inh-caps=-fowner", "--bounding-set=-fowner", "--", sys.executable, "-c",
                             STICKY_RUNS, json.dumps(argvs)], capture_output=True, text=True, timeout=300,
                            cwd=ROOT / "tests")
    assert json.loads(result.stdout.splitlines()[-1]) == [1] * len(cases), result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(cases) and "Traceback" not in result.stderr, result.stderr
    for line, (_, theirs, what) in zip(lines, cases):
        assert line == (f"nst: error: {theirs}: belongs to another user in {theirs.parent}, a folder where only a "
                        f"file's owner may replace it (sticky, like /tmp); choose another name for the {what}")
        assert theirs.read_bytes() == b"theirs"


# ---------------------------------------------------------------------------------------------------
# 5. Ctrl-C between creating and removing the output probe leaves nothing.

@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_during_the_output_probe_leaves_nothing(existing, photo, tiny_model, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out" / "art.png"
    out.parent.mkdir()
    if existing:
        out.write_bytes(b"an earlier result")
    unlink = os.unlink

    def ctrl_c_first(path, *args, **kwargs):  # the probe exists now; Ctrl-C comes before it is removed
        if Path(path) == out or Path(path).name.startswith(".nst-probe-"):
            os.kill(os.getpid(), signal.SIGINT)
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", ctrl_c_first)
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model)], capsys)
    monkeypatch.undo()
    assert code == 130 and err.splitlines() == ["nst: interrupted while starting; nothing written"]
    assert [p.name for p in out.parent.iterdir()] == (["art.png"] if existing else [])
    assert not existing or out.read_bytes() == b"an earlier result"


# ---------------------------------------------------------------------------------------------------
# 6 and 8. A full or closed stdout or stderr never costs the picture, nor says it failed.

@pytest.mark.slow  # the whole command in a process of its own
@pytest.mark.parametrize("streams", ["stdout /dev/full", "stderr /dev/full", "stderr closed"])
def test_a_full_or_closed_standard_stream_still_writes_the_picture(streams, tiny_model, tmp_path):
    out = tmp_path / "art.png"
    name, how = streams.split()
    with open("/dev/full", "w") as full, open(tmp_path / "stderr.txt", "w") as log:
        kwargs = {"stdout": full if name == "stdout" else subprocess.DEVNULL,
                  "stderr": full if streams == "stderr /dev/full" else log}
        if how == "closed":
            kwargs["preexec_fn"] = lambda: os.close(2)
        options = [o for o in tiny(tiny_model, "--raw-network") if o != "--quiet" or name == "stdout"]  # stderr:
        # its progress bar too; raw network: the subprocess would calibrate into data/, not the tests' cache
        result = subprocess.run(command(CONTENT, STYLE, "-o", out, *options), timeout=300, **kwargs)
    err = (tmp_path / "stderr.txt").read_text()
    assert result.returncode == 0, err
    assert Image.open(out).size == (32, 24)
    if name == "stdout":
        assert err.splitlines()[-1].endswith(f"; saved the image to {out}, but its name could not be printed on "
                                             f"stdout (No space left on device)"), err
        assert "Traceback" not in err and "Exception ignored" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.png", "stderr.txt"]


# ---------------------------------------------------------------------------------------------------
# 7. Ctrl-C just as the GIF is renamed into place: the line says the GIF is there, since it is.

def test_ctrl_c_on_the_gifs_rename_reports_the_gif(photo, tiny_model, tmp_path, capsys, monkeypatch):
    replace, out, gif = os.replace, tmp_path / "art.png", tmp_path / "run.gif"

    def ctrl_c_after(src, dst, *args, **kwargs):
        replace(src, dst, *args, **kwargs)
        if Path(dst) == gif:
            os.kill(os.getpid(), signal.SIGINT)  # the GIF is in place; the Ctrl-C comes before anyone notes it

    monkeypatch.setattr(os, "replace", ctrl_c_after)
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", gif, *tiny(tiny_model)], capsys)
    monkeypatch.undo()
    assert code == 130
    assert err.splitlines()[-1] == f"nst: interrupted while writing; saved the image to {out} and the GIF to {gif}"
    assert Image.open(gif).n_frames >= 2 and Image.open(out).size == (32, 24)


# ---------------------------------------------------------------------------------------------------
# 10. The Python API: one NSTError line naming the argument, never a raw exception or a NaN result.

@pytest.fixture(scope="module")
def pictures():
    content = np.asarray(Image.open(CONTENT).convert("RGB").resize((32, 24)))
    style = np.asarray(Image.open(STYLE).convert("RGB").resize((32, 24)))
    return content, style


@pytest.mark.parametrize("changes, match", [
    (dict(init=[[1, 2, 3]]), "settings.init is of type list; give one of 'noise', 'content', 'grey', an image "
                             "file's path"),
    (dict(init=5), "settings.init is of type int; give one of"),
    (dict(style_layers=[("conv9_1", 1.0)]), "style_layers: 'conv9_1' is not a layer of VGG-19; choose from conv1_1, "),
    (dict(content_layer="conv9_9"), "content_layer 'conv9_9' is not a layer of VGG-19; choose from conv1_1, "),
    (dict(style_layers=["conv1_1"]), "style_layers: 'conv1_1' is no (layer name, weight) pair"),
    (dict(style_layers=[("conv1_1", float("nan"))]), "style_layers: the weight of conv1_1, nan is not a finite number"),
    (dict(style_layers=[("conv1_1", -1)]), "style_layers: the weight of conv1_1, -1 is out of range"),
    (dict(style_blend_weights="1"), "style_blend_weights '1': give a list of numbers, one per style image"),
    (dict(iterations="10"), "iterations '10' is not a whole number"),
])
def test_bad_settings_in_the_api_give_one_line(changes, match, pictures, tiny_model, monkeypatch):
    monkeypatch.setattr(engine, "_transfer", lambda *a, **k: pytest.fail("a run started"))
    content, style = pictures
    with pytest.raises(NSTError) as err:
        engine.transfer(content, [style], Settings(**{**dict(width=32, height=24, iterations=2, model=tiny_model),
                                                      **changes}))
    assert match in str(err.value) and "\n" not in str(err.value)


def test_bad_layers_in_reconstruct_give_one_line(tiny_model):
    with pytest.raises(NSTError, match="content_layer 'fc7' is not a layer of VGG-19"):
        engine.reconstruct(content=np.zeros((24, 32, 3), np.uint8), content_layer="fc7", model=tiny_model)


def test_one_style_image_not_in_a_list_is_named(pictures):
    content, style = pictures
    with pytest.raises(NSTError, match=r"transfer: styles is one image \(24, 32, 3\); give a list of style images, "
                                       r"e.g. \[style\]"):
        engine.transfer(content, style)


def test_generate_noise_image_with_a_seed_for_rng():
    with pytest.raises(NSTError, match=r"generate_noise_image: rng is of type int; give a numpy Generator, e.g. "
                                       r"rng=np.random.default_rng\(3\), or leave it out"):
        images.generate_noise_image(np.zeros((1, 4, 4, 3)), 0.5, rng=3)


def test_read_image_takes_a_bytes_path_and_names_other_arguments(tmp_path):
    assert np.array_equal(images.read_image(os.fsencode(CONTENT)), images.read_image(CONTENT))
    with open(CONTENT, "rb") as f:
        for wrong, kind in ((f, "BufferedReader"), (io.BytesIO(b"\x89PNG"), "BytesIO"), (b"\x89PNG\0", "bytes"),
                            (None, "NoneType")):
            with pytest.raises(NSTError, match=f"the image to read is of type {kind}, not a file name; give its path"):
                images.read_image(wrong)


# ---------------------------------------------------------------------------------------------------
# 11. A style image too large for memory because of a size taken from the photo's aspect says so.

def test_a_style_too_large_because_of_a_derived_height_names_the_cause(tiny_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(memory, "total_memory_bytes", lambda: 35 * 2**30)  # the 512x10240 output itself fits (30 GiB)
    tall, square = tmp_path / "tall.png", tmp_path / "square.png"
    Image.fromarray(np.zeros((1000, 50, 3), np.uint8)).save(tall)
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(square)
    code, _, err = run([tall, square, "-o", tmp_path / "o.png", "--model", tiny_model, "--width", 512], capsys)
    assert code == 1
    one_error_line(err, "--style-scale 1 (the default): the style image would be 10240x10240 pixels, its longest side "
                        "as long as the 512x10240 output's (its height from --width 512 and the 50x1000 photo's "
                        "aspect), and need about ")
    assert err.rstrip().endswith("but this machine has 35 GiB; give both --width and --height, or choose a smaller "
                                 "--style-scale")


# ---------------------------------------------------------------------------------------------------
# 12. A pipe or a device as an input: a regular file is needed, and the line says so.

def test_a_pipe_as_input_asks_for_a_regular_file(tmp_path, capsys):
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)
    with pytest.raises(NSTError, match=r"photo.png: is a pipe \(FIFO\), not a regular file; save the image to a "
                                       r"file and give its name"):
        images.read_image(fifo)
    with pytest.raises(NSTError, match="/dev/zero: is a device, not a regular file"):
        images.read_image("/dev/zero")
    code, _, err = run([fifo, STYLE, "-o", tmp_path / "o.png"], capsys)
    assert code == 1
    one_error_line(err, f"{fifo}: is a pipe (FIFO), not a regular file")


# ---------------------------------------------------------------------------------------------------
# 14. Minor: corrupt EXIF, coarse to fine's costs, an output name that is only an ending, a custom HED file.

def test_corrupt_exif_is_read_without_pils_warnings(tmp_path, recwarn):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 12, 3), 90, np.uint8)).save(buffer, "JPEG", exif=exif.tobytes())
    data = bytearray(buffer.getvalue())
    start = data.find(b"Exif\0\0") + 6
    data[start + 8:start + 10] = b"\xff\xff"  # the first directory claims 65535 entries
    path = tmp_path / "bad-exif.jpg"
    path.write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        image = images.read_image(path)
    assert image.shape[2] == 3 and [str(w.message) for w in recwarn] == []


def test_coarse_to_fine_compares_costs_within_each_level(photo, tiny_model, tmp_path, capsys, monkeypatch):
    history = {"total": [1.015e4, 9e3, 8e3, 3.9e4, 3.5e4], "level": [0, 0, 0, 1, 1], "snapshots": [],
               "interrupted": False, "result_cost": 3.323e4}
    monkeypatch.setattr(nst_run, "transfer", lambda *a, **k: (np.full((150, 200, 3), 90, np.uint8), history))
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", tmp_path / "art.png", "--model", tiny_model,
                        "--width", 200, "--height", 150, "--levels", 2, "--quiet"], capsys)
    assert code == 0
    assert err.splitlines()[-1] == ("nst: total cost 1.015e+04 -> 8000 at 100x75, then 3.9e+04 -> 3.323e+04 at "
                                    "200x150 (costs at different sizes do not compare)")


@pytest.mark.parametrize("option, name, line", [
    ("-o", ".png", "the name is only an ending; give the output image a name before it, e.g. {folder}/art.png"),
    ("--gif", ".gif", "the name is only an ending; give the GIF a name before it, e.g. {folder}/run.gif"),
])
def test_an_output_name_that_is_only_an_ending(option, name, line, tmp_path, capsys):
    argv = [CONTENT, STYLE, "-o", tmp_path / "art.png"] + ([] if option == "-o" else ["--gif", tmp_path / name])
    if option == "-o":
        argv[3] = tmp_path / name
    code, _, err = run(argv, capsys)
    assert code == 1
    one_error_line(err, f"{tmp_path / name}: " + line.format(folder=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_custom_hed_file_is_not_fixed_by_reinstalling(tmp_path):
    layers = random_layers(VGG16_BLOCKS)
    layers[3] = (layers[3][0], layers[3][1] * np.nan, layers[3][2])
    path = tmp_path / "my-hed.weights.h5"
    write_hed(path, layers)
    with pytest.raises(NSTError) as err:
        vgg.read_network(path)
    assert "layer conv2_2 holds NaN or infinite weights; the file is damaged: use another weight file, or leave " \
           "out --model (and NST_VGG_MODEL) to use the bundled network" in str(err.value)
    assert "reinstall" not in str(err.value)


# ---------------------------------------------------------------------------------------------------
# Decided: an interrupted run keeps an existing output (its picture goes beside it); SIGHUP is a stop.

def test_an_interrupted_run_keeps_an_earlier_output(photo, tiny_model, tmp_path, capsys, interrupt_at):
    interrupt_at(4)
    out, gif = tmp_path / "art.png", tmp_path / "run.gif"
    out.write_bytes(b"a finished picture")
    gif.write_bytes(b"GIF89a a finished animation")
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, "--gif", gif,
                        *tiny(tiny_model, "--iterations", 20)], capsys)
    beside, gif_beside = tmp_path / "art-interrupted.png", tmp_path / "run-interrupted.gif"
    assert code == 130
    assert err.splitlines()[-1] == (f"nst: interrupted after 3 iterations; saved the best image so far to {beside} "
                                    f"and the GIF to {gif_beside}; the existing {out} is kept; the existing {gif} "
                                    f"is kept")
    assert out.read_bytes() == b"a finished picture" and gif.read_bytes() == b"GIF89a a finished animation"
    assert Image.open(beside).size == (32, 24)
    interrupt_at(4)
    code, _, err = run([photo, photo.parent / "style.jpg", "-o", out, *tiny(tiny_model, "--iterations", 20)], capsys)
    assert code == 130 and f"saved the best image so far to {tmp_path / 'art-interrupted-2.png'}" in err


HANGUP_RUN = ["--model", None, "--width", 32, "--optimizer", "adam", "--iterations", 100000, "--save-every", 1000,
              "--quiet", "--raw-network"]  # Adam makes every pass it is given (L-BFGS may stop early on the tiny
# network); the raw network: a subprocess would calibrate into data/, not into the tests' cache


@pytest.mark.slow  # the whole command in a process of its own
@pytest.mark.parametrize("nohup", [False, True])
def test_sighup_keeps_the_best_image_so_far_unless_ignored(nohup, tiny_model, tmp_path):
    """A closed terminal (SIGHUP) stops the run as SIGTERM does: exit 129, the best image so far kept. Under
    `nohup` (SIGHUP ignored from the start) the run goes on; SIGTERM then stops it."""
    out, first = tmp_path / "art.png", tmp_path / "art_steps" / "0000.png"
    argv = [CONTENT, STYLE, "-o", out] + [tiny_model if a is None else a for a in HANGUP_RUN]

    def child_signals():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_IGN if nohup else signal.SIG_DFL)

    process = subprocess.Popen(command(*argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=child_signals)
    try:
        deadline = time.monotonic() + 240
        while not first.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.exists(), "the run never started"
        process.send_signal(signal.SIGHUP)
        if nohup:
            time.sleep(0.5)
            assert process.poll() is None, "SIGHUP stopped a run that ignores it"
            process.send_signal(signal.SIGTERM)
        err = process.communicate(timeout=120)[1]
    finally:
        process.kill()
    name, code = ("SIGTERM", 143) if nohup else ("SIGHUP", 129)
    assert process.returncode == code, err
    last = err.splitlines()[-1]
    assert last.startswith(f"nst: stopped by {name} after ") and f"saved the best image so far to {out}" in last, err
    assert Image.open(out).size == (32, 24)
