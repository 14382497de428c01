"""The ``nst`` command: stylise a photo with one or more style images.

    nst CONTENT STYLE [STYLE ...] -o OUT [options]

The defaults make the best picture for the time on an ordinary computer (see ``ART``); ``--recipe`` runs
the assignment's recipe instead. Bad input prints one line to stderr, exits non-zero and writes nothing:
every number is checked as the options are read, every input before the run, and every output with its
real name (and the free space for it) before the run, so no work is lost to a write that fails at the end.
Ctrl-C (or SIGTERM) keeps the best image so far; the last line says exactly what was written.

This module imports only the standard library at first, so ``nst --help`` and option errors answer
at once; TensorFlow is imported when a run starts.
"""
import argparse
import errno
import os
import re
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from .errors import NSTError, Terminated, limit_text, number_problem

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}

#: The defaults, for art: L-BFGS reaches the recipe's cost 2.6x sooner (make bench; notebook 06),
#: so the same minutes buy a converged picture at a larger size; the style weight is raised because a
#: converged L-BFGS result follows alpha/beta closely, where 200 Adam steps stop short of the style; the
#: start is the photo itself, which keeps small faces recognisable where the recipe's faded start loses them.
ART = dict(size=512, optimizer="lbfgs", iterations=150, content_weight=10.0, style_weight=400.0, init="content")
#: A side derived from the photo's aspect below this is refused (a 4000x10 strip would give 512x1).
MIN_DERIVED_SIDE = 16
#: ``--recipe``: the assignment's recipe (notebook 05).
RECIPE = dict(width=400, height=300, optimizer="adam", iterations=200, content_weight=10.0, style_weight=40.0,
              init="noise")
RECIPE_TEXT = (f"{RECIPE['width']}x{RECIPE['height']}, Adam with learning rate 2.0, {RECIPE['iterations']} iterations, "
               f"content weight {RECIPE['content_weight']:g}, style weight {RECIPE['style_weight']:g}, a start of "
               f"60 % noise and 40 % photo")
#: Exit codes of a run stopped by Ctrl-C and by SIGTERM (128 + the signal's number, as shells report them).
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"nst: error: {message} (see nst --help)\n")


def positive_int(text):
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number greater than 0")
    return value


def number(name):
    """The argparse type of option ``name``: a finite number in its range (:data:`nst_utils.errors.LIMITS`),
    so ``nan``, ``inf`` and out-of-range values are refused as the options are read, naming the option."""
    whole = name in ("iterations", "seed", "save_every", "levels")

    def parse(text):
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {limit_text(name)}") from None
        problem = number_problem(name, value)
        if problem is not None:
            raise argparse.ArgumentTypeError(f"{text!r} {problem}")
        return value

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def parser():
    p = OneLineParser(
        prog="nst", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Neural Style Transfer (Gatys et al.) on the command line.",
        epilog=f"Defaults, chosen for the best picture in a few minutes on two cores: the longest side "
               f"{ART['size']} pixels\n(the other follows the photo), L-BFGS for {ART['iterations']} passes (it "
               f"reaches the assignment's\nresult 2.6 times sooner than Adam), content weight "
               f"{ART['content_weight']:g}, style weight {ART['style_weight']:g}, starting from the photo\n"
               f"itself, on the calibrated network (every style layer counts).\n"
               f"--recipe gives the assignment's recipe instead: {RECIPE_TEXT}.\n"
               f"Options given explicitly override either. A photo with transparency keeps it in a .png output.\n"
               f"Ctrl-C (or SIGTERM) stops the run and keeps the best image so far.")
    p.add_argument("content", type=Path, help="content photo (PNG, JPEG, ...)")
    p.add_argument("styles", type=Path, nargs="+", metavar="STYLE", help="style image(s)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output image (.png or .jpg); an existing file is replaced once the new picture is complete")
    p.add_argument("--recipe", action="store_true",
                   help="the assignment's recipe: " + RECIPE_TEXT.replace("%", "%%"))
    p.add_argument("--width", type=positive_int,
                   help=f"output width (default: longest side {ART['size']}, or from --height and the photo's aspect)")
    p.add_argument("--height", type=positive_int, help="output height (default: from the width and the photo's aspect)")
    p.add_argument("--iterations", type=number("iterations"),
                   help=f"forward+backward passes, at the coarsest level when coarse-to-fine (default {ART['iterations']})")
    p.add_argument("--optimizer", choices=["adam", "lbfgs"], help="default lbfgs")
    p.add_argument("--learning-rate", type=number("learning_rate"),
                   help="Adam's learning rate (default 2.0; Adam only)")
    p.add_argument("--content-weight", type=number("content_weight"), help=f"alpha (default {ART['content_weight']:g})")
    p.add_argument("--style-weight", type=number("style_weight"), help=f"beta (default {ART['style_weight']:g})")
    p.add_argument("--tv-weight", type=number("tv_weight"), default=0.0,
                   help="total variation weight, smoothness (default 0)")
    p.add_argument("--style-blend-weights", type=number("style_blend_weights"), nargs="+", metavar="W",
                   help="one weight per style image")
    p.add_argument("--style-scale", type=number("style_scale"), default=1.0,
                   help="style image size relative to the output (default 1)")
    p.add_argument("--preserve-colors", nargs="?", const="luminance", choices=["luminance", "histogram"],
                   help="keep the photo's colours: luminance-only transfer (default) or colour matching of the style")
    p.add_argument("--init", help="start from 'content' (the photo; default), 'noise' (60 %% noise + photo, "
                                  "the recipe's) or an image file")
    p.add_argument("--noise-ratio", type=number("noise_ratio"),
                   help="share of noise in the 'noise' start (default 0.6; --init noise only)")
    p.add_argument("--seed", type=number("seed"), default=0, help="random seed: same seed, same result (default 0)")
    p.add_argument("--save-every", type=number("save_every"), default=0, metavar="K",
                   help="save every K-th iteration's image into OUT's folder, in OUTNAME_steps/ (an earlier "
                        "run's images there are replaced)")
    p.add_argument("--gif", type=Path, help="write an animated GIF of the optimisation")
    p.add_argument("--levels", type=number("levels"), help="coarse-to-fine levels (default: automatic above 700 px)")
    p.add_argument("--pooling", choices=["avg", "max"], default="avg", help="default avg")
    p.add_argument("--model", type=Path, help="VGG weight file (.mat or .h5); default: data/ or the bundled VGG-16")
    p.add_argument("--raw-network", action="store_true",
                   help="use the network's raw activations, not the calibrated ones (deep style layers then barely count)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="arithmetic: auto (default) is bf16 on CPUs with AMX-BF16 (4.6x faster on a 2-core Xeon), "
                        "float16 mixed precision on a GPU with tensor cores, fp32 elsewhere; bf16 also pays on CPUs with "
                        "AVX512-BF16 (AMD Zen 4), is slower with plain AVX-512 and runs fp32 without it (make "
                        "bench compares them)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


# ----------------------------------------------------------------------------------------------------
# Signals: SIGTERM stops a run as Ctrl-C does; the final image is written whole even if Ctrl-C is pressed
# again meanwhile.

def _raise_terminated(signum, frame):
    raise Terminated()


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) while the block runs."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def interrupts_deferred():
    """Ctrl-C and SIGTERM wait until the block is done (a write of a few milliseconds), then stop as usual."""
    if not _in_main_thread():
        yield
        return
    received = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Terminated() if received[0] == signal.SIGTERM else KeyboardInterrupt()


def stopped(exc):
    """``'interrupted'`` (Ctrl-C) or ``'stopped by SIGTERM'``."""
    return "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"


def stop_code(exc):
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


# ----------------------------------------------------------------------------------------------------
# Inputs and outputs, checked before the run.

def _reason(exc):
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)


def check_readable(path, what):
    """NSTError naming ``path`` if it exists but cannot be read (permissions); a missing file is left to the
    reader of that kind of file, whose message says what to give instead."""
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))  # a FIFO does not block here
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    except PermissionError:
        raise NSTError(f"{path}: permission denied; cannot read the {what}: check the permissions of the file "
                       f"and of its folders") from None
    except OSError as exc:
        raise NSTError(f"{path}: cannot read the {what} ({_reason(exc)}); give another file") from None


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file: the same inode when both exist, else the same resolved path."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_no_overwrite(inputs, outputs, steps=None):
    """NSTError if an output (``[(what, path)]``) is one of the inputs, or the snapshots would land on one."""
    for out_what, out in outputs:
        for in_what, source in inputs:
            if same_file(out, source):
                also = "" if str(out) == str(source) else f" ({source})"
                raise NSTError(f"{out}: the {out_what} would overwrite the {in_what}{also}; "
                               f"choose another name for the {out_what}")
    if steps is not None:
        for in_what, source in inputs:
            if re.fullmatch(r"\d{4}\.png", Path(source).name) and same_file(Path(source).parent, steps):
                raise NSTError(f"{source}: the --save-every snapshots in {steps} would overwrite the {in_what}; "
                               f"move it or choose another output name")


def refuse_folder(path, what):
    """NSTError if ``path`` is an existing folder: the ``what`` needs a file name. A path that cannot be looked
    at passes: the checks that write there say why."""
    try:
        folder = path.is_dir()
    except OSError:
        return
    if folder:
        example = path / ("out" + (path.suffix or ".png"))
        raise NSTError(f"{path}: is a folder; give the {what} a file name, e.g. {example}")


class Outputs:
    """What a run writes, checked with the real names before it starts, and the folders it made (removed
    again if they are still empty when the run ends, e.g. after an error or a Ctrl-C before any snapshot)."""

    def __init__(self):
        self.created = []  # folders made by this run, parents first
        self.needs = {}  # folder -> [(what, bytes)] for the free-space check

    def folder(self, folder, what, steps=False):
        """Make sure ``folder`` exists (creating what is missing) and is a folder; NSTError naming it if not."""
        advice = "remove or rename it, or choose another output name" if steps else \
            f"choose another place for the {what}"
        missing, current = [], Path(folder)
        while True:
            try:
                if current.is_dir():
                    break
                if current.exists() or current.is_symlink():
                    raise NSTError(f"{current}: is a file, not a folder, so the {what} cannot go there; {advice}")
            except OSError as exc:
                raise NSTError(f"{current}: {_reason(exc).lower()}; cannot write the {what} there: "
                               f"{advice}") from None
            if current.parent == current:
                break
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError:
                if not path.is_dir():
                    raise NSTError(f"{path}: is a file, not a folder, so the {what} cannot go there; {advice}") from None
                continue
            except OSError as exc:
                raise NSTError(f"{path}: cannot create the folder for the {what} ({_reason(exc)}); "
                               f"{advice}") from None
            self.created.append(path)

    def file(self, path, what, nbytes):
        """Check that ``path`` itself can be written: its folder exists (or is made) and takes that very name
        (an empty file is created and removed again); an existing file stays untouched."""
        path = Path(path)
        self.folder(path.parent, what)
        advice = f"choose another place for the {what}"
        refuse_folder(path, what)
        try:
            if path.exists() or path.is_symlink():  # replaced by a rename: the folder must take new files
                fd, probe = tempfile.mkstemp(dir=path.parent, prefix=".nst-probe-")
                os.close(fd)
                os.unlink(probe)
            else:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                os.unlink(path)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                advice = "choose a shorter name"
            elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                advice = f"choose a folder you can write to for the {what}"
            raise NSTError(f"{path}: cannot create the {what} ({_reason(exc)}); {advice}") from None
        self.needs.setdefault(path.parent, []).append((what, nbytes))

    def check_space(self):
        """NSTError naming the folder if its disk has less free space than the files planned there need."""
        by_disk = {}
        for folder, items in self.needs.items():
            try:
                device = os.stat(folder).st_dev
            except OSError:
                continue
            entry = by_disk.setdefault(device, [folder, []])
            entry[1].extend(items)
        for folder, items in by_disk.values():
            try:
                info = os.statvfs(folder)
            except (OSError, AttributeError):
                continue
            free, need = info.f_bavail * info.f_frsize, sum(n for _, n in items)
            if need > free:
                names = list(dict.fromkeys(w for w, _ in items))
                what = " and ".join(names) + (" need" if len(names) > 1 or names[0].endswith("snapshots") else " needs")
                raise NSTError(f"{folder}: only {_size(free)} free on its disk, and the {what} up to "
                               f"{_size(need)}; free some space or choose another folder")

    def remove_empty_folders(self):
        for path in reversed(self.created):
            try:
                path.rmdir()  # only if empty: anything written stays
            except OSError:
                pass
        self.created = []


def _size(nbytes):
    return f"{nbytes / 1e6:.1f} MB" if nbytes < 1e9 else f"{nbytes / 1e9:.1f} GB"


def image_bytes(width, height, channels=4):
    """An upper bound of a PNG's size: the raw pixels (compression only makes it smaller) and its header."""
    return width * height * channels + 4096


def prepare(args, outputs=None):
    """Check every input and output and build the settings; nothing is written (output folders that are
    missing are made, and listed in ``outputs.created``). Returns (content, styles, settings, alpha)."""
    from .images import read_alpha, read_image
    from .transfer import Settings, check_settings, check_styles, plan_levels
    from .vgg import find_weights

    outputs = outputs if outputs is not None else Outputs()
    refuse_folder(args.output, "output image")
    if args.output.suffix.lower() not in IMAGE_SUFFIXES:
        raise NSTError(f"{args.output}: end the output name with .png or .jpg")
    if args.gif is not None and args.gif.suffix.lower() != ".gif":
        raise NSTError(f"{args.gif}: the --gif file name must end with .gif")
    defaults = RECIPE if args.recipe else ART
    init = defaults["init"] if args.init is None else args.init
    inputs = [("content photo", args.content)] + [("style image", s) for s in args.styles]
    if init not in ("noise", "content"):
        inputs.append(("--init image", Path(init)))
    if args.model is not None:
        inputs.append(("weight file", args.model))
    steps = args.output.with_name(f"{args.output.stem}_steps") if args.save_every else None
    targets = [("output image", args.output)] + ([("GIF", args.gif)] if args.gif is not None else [])
    check_no_overwrite(inputs, targets, steps)
    for what, path in inputs:
        check_readable(path, what)

    content = read_image(args.content)
    alpha = read_alpha(args.content)
    styles = [read_image(s) for s in args.styles]
    if init not in ("noise", "content"):
        init = read_image(init)
    width, height = args.width, args.height
    derived = None  # (the smallest side taken from the photo's aspect, how the size was given)
    if width is None and height is None and args.recipe:
        width, height = RECIPE["width"], RECIPE["height"]
    elif width is None and height is None:  # the longest side ART["size"], the photo's aspect
        scale = ART["size"] / max(content.shape[:2])
        width, height = max(1, round(content.shape[1] * scale)), max(1, round(content.shape[0] * scale))
        derived = (min(width, height), "at the default size")
    elif width is None:
        width = max(1, round(height * content.shape[1] / content.shape[0]))
        derived = (width, f"with --height {height}")
    elif height is None:
        height = max(1, round(width * content.shape[0] / content.shape[1]))
        derived = (height, f"with --width {width}")
    if derived is not None and derived[0] < MIN_DERIVED_SIDE:
        raise NSTError(f"{args.content}: a {content.shape[1]}x{content.shape[0]} photo gives a {width}x{height} "
                       f"picture {derived[1]}; give both --width and --height (or crop the photo)")
    if args.model is not None:
        find_weights(args.model)
    chosen = {key: defaults[key] if getattr(args, key) is None else getattr(args, key)
              for key in ("optimizer", "iterations", "content_weight", "style_weight")}
    if args.learning_rate is not None and chosen["optimizer"] != "adam":  # else silently without effect
        raise NSTError(f"--learning-rate {args.learning_rate:g} is for Adam; L-BFGS chooses its own steps: add "
                       f"--optimizer adam, or leave the learning rate out")
    if args.noise_ratio is not None and not (isinstance(init, str) and init == "noise"):
        raise NSTError(f"--noise-ratio {args.noise_ratio:g} is for the noise start; add --init noise, or leave "
                       f"the noise ratio out")
    save_every = args.save_every
    if args.gif is not None and not save_every:
        save_every = max(1, chosen["iterations"] // 25)
    given = {key: getattr(args, key) for key in ("learning_rate", "noise_ratio") if getattr(args, key) is not None}
    settings = Settings(width=width, height=height, **chosen, **given, tv_weight=args.tv_weight,
                        style_blend_weights=args.style_blend_weights, style_scale=args.style_scale,
                        preserve_colors=args.preserve_colors, init=init, seed=args.seed, levels=args.levels,
                        save_every=save_every, save_dir=steps,
                        model=str(args.model) if args.model else None, pooling=args.pooling,
                        calibrated=not args.raw_network, precision=args.precision, progress=not args.quiet)
    check_settings(settings, len(styles))
    check_styles(settings, [s.shape for s in styles], label="--style-scale")

    # The outputs, with their real names, and the space they take at most.
    passes = sum(n for _, _, n in plan_levels(settings))
    frames = passes // save_every + 2 if save_every else 0
    outputs.file(args.output, "output image", image_bytes(width, height))
    if steps is not None:
        outputs.folder(steps, "--save-every snapshots", steps=True)
        outputs.file(steps / "0000.png", "--save-every snapshots", frames * image_bytes(width, height, 3))
    if args.gif is not None:
        outputs.file(args.gif, "GIF", frames * image_bytes(width, height, 1))
    outputs.check_space()
    return content, styles, settings, alpha


def alpha_note(args, alpha):
    """What the plan line says about the photo's transparency ('' if it has none)."""
    if alpha is None:
        return ""
    from .images import can_hold_alpha

    if can_hold_alpha(args.output):
        return "; keeps the photo's transparency"
    return f"; the photo's transparency is dropped ({args.output.suffix} cannot hold it: use .png to keep it)"


def describe(settings, style_shapes=(), note=""):
    """The plan line: sizes, passes, optimiser, weights, network, precision, estimated time and memory (the
    larger of the optimisation and the scaled style images' own pass)."""
    from .precision import resolve
    from .transfer import estimate, plan_levels
    from .vgg import read_network

    levels = plan_levels(settings)
    seconds, memory = estimate(settings, style_shapes=style_shapes)
    steps = " -> ".join(f"{w}x{h} ({n} it)" for w, h, n in levels)
    kind = "L-BFGS" if settings.optimizer == "lbfgs" else "Adam"
    network = read_network(settings.model).name.split(" (")[0]
    precision = resolve(settings.precision)
    state = "calibrated" if settings.calibrated else "raw"
    return (f"nst: {steps} with {kind}, alpha {settings.content_weight:g}, beta {settings.style_weight:g}, "
            f"on {network} ({state}) in {precision.name} ({precision.reason}); estimated {seconds / 60:.1f} min "
            f"and {memory / 1e9:.1f} GB peak memory{note}")


# ----------------------------------------------------------------------------------------------------
# Writing the results.

def check_result(image, settings, history):
    """NSTError (nothing is written) unless ``image`` is RGB at the size asked for and some cost was finite."""
    import numpy as np

    shape = None if image is None else np.shape(image)
    if shape != (settings.height, settings.width, 3):
        got = "no image" if shape is None else (f"{shape[1]}x{shape[0]} pixels" if len(shape) >= 2 else f"shape {shape}")
        raise NSTError(f"the result is {got}, not the {settings.width}x{settings.height} asked for, so it was not "
                       f"written; please report this with the command you ran")
    totals = history["total"]
    if totals and not np.isfinite(totals).any():
        raise NSTError(f"every cost was {totals[0]} (the costs overflow with alpha {settings.content_weight:g}, "
                       f"beta {settings.style_weight:g}, TV weight {settings.tv_weight:g}), so no image was "
                       f"written; choose smaller weights")


def keep_safe(path, write):
    """After ``write(path)`` failed: write to a new file beside ``path``, else in the temporary folder.
    Returns the path written, or None."""
    path = Path(path)
    for folder in (path.parent, Path(tempfile.gettempdir())):
        try:
            fd, spare = tempfile.mkstemp(dir=folder, prefix=f"nst-{path.stem[:40]}-", suffix=path.suffix)
            os.close(fd)
        except OSError:
            continue
        try:
            write(Path(spare))
            return Path(spare)
        except (NSTError, OSError):
            Path(spare).unlink(missing_ok=True)
        except BaseException:
            Path(spare).unlink(missing_ok=True)
            raise
    return None


def write_or_keep(path, write, what, done, problems):
    """``write(path)``, adding ``'the WHAT to PATH'`` to ``done``; if that fails, keep the result elsewhere
    (:func:`keep_safe`) and add one sentence saying where to ``problems``."""
    try:
        write(Path(path))
        done.append(f"the {what} to {path}")
        return
    except (NSTError, OSError) as exc:
        reason = _reason(exc)
    for prefix in (f"{path}: ", f"{Path(path).parent}: "):  # the writers' lines name the file...
        reason = reason[len(prefix):] if reason.startswith(prefix) else reason
    reason = reason.split("; ")[0]  # ... and give advice ("choose another folder"), replaced here by ours
    bare = re.fullmatch(r"cannot write [^(]*\((.*)\)", reason)
    reason = bare.group(1) if bare else reason
    kept = keep_safe(path, write)
    where = f"it is kept at {kept} instead" if kept else "and no copy could be written anywhere"
    problems.append(f"cannot write the {what} to {path} ({reason}); {where}")


def finish(args, settings, image, alpha, history):
    """Write the image (and GIF) of a run that made at least one pass; print one final line; the exit code."""
    from .images import can_hold_alpha, save_image
    from .transfer import write_gif

    interrupted = history["interrupted"]
    done, problems, late_stop = [], [], None
    if "snapshot_error" in history:
        problems.append(f"the snapshots stopped at {history['snapshot_error']}")
    saved = history.get("saved_snapshots", [])
    snapshots = f"{len(saved)} snapshot{'s' if len(saved) > 1 else ''} in {settings.save_dir}" if saved else None
    keep_alpha = alpha if can_hold_alpha(args.output) else None
    what = "best image so far" if interrupted else "image"
    try:
        check_result(image, settings, history)
        with interrupts_deferred():  # a second Ctrl-C now waits: the image is written whole first
            write_or_keep(args.output, lambda p: save_image(p, image, alpha=keep_alpha), what, done, problems)
        if args.gif is not None:
            if history["snapshots"]:
                size = (settings.width, settings.height)
                write_or_keep(args.gif, lambda p: write_gif(p, history, size), "GIF", done, problems)
            else:
                problems.append("no snapshot was taken, so no GIF was written")
    except KeyboardInterrupt as exc:
        late_stop = exc
    except NSTError as exc:
        problems.append(str(exc))

    done += [snapshots] if snapshots else []
    kept = any(" is kept at " in p for p in problems)
    said = problems + ([f"saved {_join(done)}"] if done else [] if kept else ["nothing written"])
    first = Terminated() if history.get("terminated") else KeyboardInterrupt()
    if late_stop is not None:  # Ctrl-C while writing: say what is on disk and what is not
        gif_told = any(d.startswith("the GIF") for d in done) or any("the GIF" in p for p in problems)
        if args.gif is not None and not gif_told:
            said.append("no GIF written")
        head = f"{stopped(first)} after {len(history['total'])} iterations, then " if interrupted else ""
        print(f"nst: {head}{stopped(late_stop)} while writing; {'; '.join(said)}", file=sys.stderr)
        return stop_code(late_stop)
    if interrupted:
        print(f"nst: {stopped(first)} after {len(history['total'])} iterations; {'; '.join(said)}", file=sys.stderr)
        return stop_code(first)
    if problems:
        print(f"nst: error: {'; '.join(said)}", file=sys.stderr)
        return 1
    costs = f"total cost {history['total'][0]:.4g} -> {history['result_cost']:.4g}"  # of the image written
    if history.get("diverged"):
        costs += (" (Adam diverged: its image became NaN, so the lowest-cost image it passed was written; "
                  "a smaller --learning-rate avoids it)")
    print(f"nst: {costs}", file=sys.stderr)
    try:
        print(args.output, flush=True)
    except BrokenPipeError:  # `nst ... | head -0`: the picture is written; nobody reads its name
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that Python's exit flush is quiet
    return 0


def _join(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------------------------------

def run(args, outputs):
    """One run: checks, plan line, optimisation, results. Returns the exit code."""
    stage = "while starting"
    try:
        content, styles, settings, alpha = prepare(args, outputs)
        from .transfer import transfer

        print(describe(settings, [s.shape for s in styles], alpha_note(args, alpha)), file=sys.stderr)
        stage = "before any image was made"
        image, history = transfer(content, styles, settings)
    except KeyboardInterrupt as exc:
        print(f"nst: {stopped(exc)} {stage}; nothing written", file=sys.stderr)
        return stop_code(exc)
    if history["interrupted"] and not history["total"]:
        stop = Terminated() if history.get("terminated") else KeyboardInterrupt()
        print(f"nst: {stopped(stop)} before the first iteration; nothing written", file=sys.stderr)
        return stop_code(stop)
    return finish(args, settings, image, alpha, history)


def main(argv=None):
    try:
        with sigterm_as_interrupt():
            args = parser().parse_args(argv)
            outputs = Outputs()
            try:
                return run(args, outputs)
            except NSTError as exc:
                print(f"nst: error: {exc}", file=sys.stderr)
                return 1
            except OSError as exc:  # anything the checks above did not foresee: still one line
                name = f"{exc.filename}: " if exc.filename else ""
                print(f"nst: error: {name}{_reason(exc)}; check the path and its permissions", file=sys.stderr)
                return 1
            finally:
                outputs.remove_empty_folders()
    except KeyboardInterrupt as exc:  # Ctrl-C while Python and TensorFlow start
        print(f"nst: {stopped(exc)} while starting; nothing written", file=sys.stderr)
        return stop_code(exc)


if __name__ == "__main__":
    sys.exit(main())
