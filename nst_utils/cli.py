"""The ``nst`` command: stylise a photo with one or more style images.

    nst CONTENT STYLE [STYLE ...] -o OUT [options]

The defaults make the best picture for the time on an ordinary computer (:data:`nst_utils.settings.ART`);
``--recipe`` runs the assignment's recipe (:class:`nst_utils.settings.Settings`) instead. Bad input prints one
line to stderr, exits non-zero and writes nothing: every number is checked as the options are read, every
input before the run, and every output with its real name (and the free space for it) before the run, so no
work is lost to a write that fails at the end. Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes) keeps
the best image so far, beside an existing output rather than over it; the last line says exactly what was
written. A closed or full stderr or stdout never costs the picture.

This module reads the options; :mod:`nst_utils.run` runs them. It imports only light modules (no TensorFlow,
no numpy), so ``nst --help`` and option errors answer at once; :mod:`nst_utils.run` is imported when a run
starts.
"""
import argparse
import os
import sys
import textwrap
from pathlib import Path

from .errors import NSTError, limit_text, number_problem
from .files import Outputs, error_reason
from .settings import ART_LONGEST_SIDE, OPTIMIZERS, STYLE_LOSSES, Settings, plan_levels
from .stops import signals_as_interrupt, stop_code, stopped

#: The command's defaults (:meth:`Settings.art`); the recipe is :class:`Settings`' own defaults.
ART_SETTINGS = Settings.art()


def _percent(share):
    return f"{100 * share:g} %"


RECIPE_TEXT = (f"{Settings.width}x{Settings.height}, {OPTIMIZERS[Settings.optimizer]} with learning rate "
               f"{Settings.learning_rate}, {Settings.iterations} iterations, content weight "
               f"{Settings.content_weight:g}, style weight {Settings.style_weight:g}, a start of "
               f"{_percent(Settings.noise_ratio)} noise and {_percent(1 - Settings.noise_ratio)} photo")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        if message.startswith("unrecognized arguments"):  # e.g. a style image after the options
            message += " (the photo and the style images come first, then the options)"
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


def _init_help():
    """``--init``'s help, marking the default start and the recipe's."""
    def start(name, what, sep):
        marks = ["default"] * (ART_SETTINGS.init == name) + ["the recipe's"] * (Settings.init == name)
        return f"'{name}' ({what}{''.join(sep + mark for mark in marks)})"

    noise = _percent(Settings.noise_ratio).replace("%", "%%")  # argparse's help is a %-format
    return (f"start from {start('content', 'the photo', '; ')}, {start('noise', noise + ' noise + photo', ', ')} "
            f"or an image file")


def _epilog():
    """The help's last paragraph: the defaults and why."""
    art = ART_SETTINGS
    (w0, _, n0), (w1, _, n1) = plan_levels(Settings.art(width=ART_LONGEST_SIDE, height=ART_LONGEST_SIDE))
    defaults = (f"Defaults, chosen for the best picture in a few minutes on two cores: the longest side "
                f"{ART_LONGEST_SIDE} pixels (the other follows the photo); coarse to fine, "
                f"{OPTIMIZERS[art.optimizer]} for {n0} passes at {w0} pixels, then {n1} at {w1} (L-BFGS reaches "
                f"the assignment's result 2.6 times sooner than Adam; at half the size a pass costs a quarter, so the "
                f"composition settles cheaply and the full size adds the detail); content weight "
                f"{art.content_weight:g}, style weight {art.style_weight:g}; the {STYLE_LOSSES[art.style_loss]} "
                f"style cost (it matches the painting's colours and strokes, where Gram matrices leave pale tints "
                f"and an embossed ripple); "
                f"starting from the photo itself, on the calibrated network (every style layer counts). Larger "
                f"pictures halve their size until the longest side is at most {art.coarsest_side} pixels.")
    return (textwrap.fill(defaults, 100) + "\n"
            f"--recipe gives the assignment's recipe instead: {RECIPE_TEXT}.\n"
            f"Options given explicitly override either. A photo with transparency keeps it in a .png output.\n"
            f"Ctrl-C (or SIGTERM, or SIGHUP) stops the run and keeps the best image so far.")


class RegionOption(argparse.Action):
    """``--region MASK STYLE``, repeatable, kept as ``[(mask, style, style mask or None)]``: ``STYLE:STYLE_MASK``
    splits at its last colon if the part before it is a file and the whole name is not (else the error names
    the whole)."""

    def __call__(self, parser, namespace, values, option_string=None):
        mask, style = values
        style_mask = None
        if ":" in style and not Path(style).exists():
            head, _, tail = style.rpartition(":")
            if head and tail and Path(head).exists():
                style, style_mask = head, Path(tail)
        setattr(namespace, self.dest, getattr(namespace, self.dest) + [(Path(mask), Path(style), style_mask)])


def parser():
    """The options; every default shown or used is read from :mod:`nst_utils.settings`."""
    art = ART_SETTINGS
    p = OneLineParser(prog="nst", formatter_class=argparse.RawDescriptionHelpFormatter,
                      description="Neural Style Transfer (Gatys et al.) on the command line.", epilog=_epilog())
    _inputs_and_outputs(p)
    p.add_argument("--width", type=positive_int,
                   help=f"output width (default: longest side {ART_LONGEST_SIDE}, or from --height and the photo's "
                        f"aspect)")
    p.add_argument("--height", type=positive_int, help="output height (default: from the width and the photo's aspect)")
    p.add_argument("--iterations", type=number("iterations"),
                   help=f"forward+backward passes, at the coarsest level when coarse-to-fine (default "
                        f"{art.iterations})")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"default {art.optimizer}")
    p.add_argument("--learning-rate", type=number("learning_rate"),
                   help=f"Adam's learning rate (default {Settings.learning_rate}; Adam only)")
    p.add_argument("--content-weight", type=number("content_weight"), help=f"alpha (default {art.content_weight:g})")
    p.add_argument("--style-weight", type=number("style_weight"), help=f"beta (default {art.style_weight:g})")
    p.add_argument("--style-loss", choices=list(STYLE_LOSSES),
                   help=f"how style is compared: {', '.join(f'{k} ({v})' for k, v in STYLE_LOSSES.items())}; "
                        f"default {art.style_loss}, the recipe's {Settings.style_loss}")
    p.add_argument("--tv-weight", type=number("tv_weight"), default=Settings.tv_weight,
                   help=f"total variation weight, smoothness (default {Settings.tv_weight:g})")
    p.add_argument("--style-blend-weights", type=number("style_blend_weights"), nargs="+", metavar="W",
                   help="one weight per style image")
    p.add_argument("--style-scale", type=number("style_scale"),
                   help=f"style image size relative to the output (default {Settings.style_scale:g})")
    p.add_argument("--region", nargs=2, action=RegionOption, default=[], metavar=("MASK", "STYLE"),
                   help="paint the part of the photo that the image MASK marks (white; grey for partly; any size) "
                        "with the painting STYLE; STYLE:STYLE_MASK takes the painting's statistics from the part "
                        "STYLE_MASK marks. Repeat for each region; nst-regions makes masks from the photo")
    p.add_argument("--preserve-colors", nargs="?", const="luminance", choices=["luminance", "histogram"],
                   help="keep the photo's colours: luminance-only transfer (default) or colour matching of the style")
    p.add_argument("--init", help=_init_help())
    p.add_argument("--noise-ratio", type=number("noise_ratio"),
                   help=f"share of noise in the 'noise' start (default {Settings.noise_ratio:g}; --init noise only)")
    p.add_argument("--seed", type=number("seed"), default=Settings.seed,
                   help=f"random seed: same seed, same result (default {Settings.seed})")
    p.add_argument("--save-every", type=number("save_every"), default=Settings.save_every, metavar="K",
                   help="save every K-th iteration's image into OUT's folder, in OUTNAME_steps/ (an earlier "
                        "run's images there are replaced)")
    p.add_argument("--gif", type=Path, help="write an animated GIF of the optimisation")
    p.add_argument("--levels", type=number("levels"),
                   help=f"coarse-to-fine levels (default: halve the size while the longest side exceeds "
                        f"{art.coarsest_side} px; the recipe's {Settings.coarsest_side})")
    _network_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _inputs_and_outputs(p):
    """The files and --recipe."""
    p.add_argument("content", type=Path, help="content photo (PNG, JPEG, ...)")
    p.add_argument("styles", type=Path, nargs="*", metavar="STYLE",
                   help="style image(s); with --region, where no region is (none: the photo stays there)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output image (.png or .jpg); an existing file is replaced once the new picture is complete "
                        "(an interrupted run's picture goes beside it; a read-only file is never replaced)")
    p.add_argument("--recipe", action="store_true",
                   help="the assignment's recipe: " + RECIPE_TEXT.replace("%", "%%"))


def _network_options(p):
    """The network and its arithmetic."""
    p.add_argument("--pooling", choices=["avg", "max"], default=Settings.pooling, help=f"default {Settings.pooling}")
    p.add_argument("--model", type=Path, help="VGG weight file (.mat or .h5); default: data/ or the bundled VGG-16")
    p.add_argument("--raw-network", action="store_true",
                   help="use the network's raw activations, not the calibrated ones (deep style layers then "
                        "barely count)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=Settings.precision,
                   help=f"arithmetic: {Settings.precision} (default) is bf16 where the CPU runs it natively: "
                        f"AMX-BF16 (4.6x faster on a 2-core Xeon) or AVX512-BF16 (AMD Zen 4 and 5: the default run "
                        f"in 0.63x the time on a 2-core EPYC, the same picture); float16 mixed precision on a GPU "
                        f"with tensor cores; fp32 elsewhere, where it is faster (plain AVX-512 only emulates bf16). "
                        f"The plan line says which and why; make bench compares them")


class SafeStream:
    """stderr for a run: a write that fails (``2>&-``, ``2>/dev/full``, the terminal closed) is dropped instead
    of stopping the run; the picture matters more than the messages about it."""

    def __init__(self, stream):
        self.stream, self.failed = stream, False

    def write(self, text):
        try:
            return self.stream.write(text)
        except (OSError, ValueError, AttributeError):  # AttributeError: no stderr at all (None)
            self.failed = True
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except (OSError, ValueError, AttributeError):
            self.failed = True

    def __getattr__(self, name):
        return getattr(self.stream, name)


def open_standard_files():
    """Put /dev/null on file descriptors 0, 1 and 2 where they are closed (``nst ... 2>&-``): else the first
    files the run opens would get those numbers, and TensorFlow's log lines would go into them."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def main(argv=None):
    """The ``nst`` command; returns its exit code."""
    open_standard_files()
    real = sys.stderr
    sys.stderr = safe = SafeStream(real)
    try:
        return _main(argv)
    finally:
        sys.stderr = real
        if safe.failed and real is not None:  # what stays in its buffer goes nowhere: Python's exit is quiet
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), real.fileno())
            except (OSError, ValueError):
                pass


def _main(argv):
    try:
        with signals_as_interrupt():
            args = parser().parse_args(argv)
            outputs = Outputs()
            try:
                from .run import run  # TensorFlow and numpy: only now

                return run(args, outputs)
            except NSTError as exc:
                print(f"nst: error: {exc}", file=sys.stderr)
                return 1
            except OSError as exc:  # anything the checks above did not foresee: still one line
                name = f"{exc.filename}: " if exc.filename else ""
                print(f"nst: error: {name}{error_reason(exc)}; check the path and its permissions", file=sys.stderr)
                return 1
            finally:
                outputs.remove_empty_folders()
    except KeyboardInterrupt as exc:  # Ctrl-C while Python and TensorFlow start
        print(f"nst: {stopped(exc)} while starting; nothing written", file=sys.stderr)
        return stop_code(exc)


if __name__ == "__main__":
    sys.exit(main())
