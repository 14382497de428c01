"""Running the ``nst`` command once its options are read (:mod:`nst_utils.cli`): every input and output
checked and the settings built (:func:`prepare`), the plan line (:func:`describe`), the engine's run with
its progress bar and snapshot files, then the results written and one final line (:func:`finish`).

Imports TensorFlow: :func:`nst_utils.cli.main` imports this module only when a run starts.
"""
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import images
from .engine import Region, check_settings, transfer
from .errors import LIMITS, NSTError
from .files import Outputs, check_no_overwrite, check_readable, check_replaceable, image_bytes, interrupted_name
from .files import refuse_folder, same_file, write_or_keep
from .masks import read_mask, uncovered
from .memory import check_styles, oversized_style
from .network import find_weights, read_network
from .precision import resolve
from .settings import ART_LONGEST_SIDE, OPTIMIZERS, STYLE_LOSSES, Settings, plan_levels
from .speed import estimate
from .stops import interrupts_deferred, stop_code, stop_of, stopped

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
#: The ``--init`` values that are no image file.
STARTS = ("noise", "content")
#: A side derived from the photo's aspect below this is refused (a 4000x10 strip would give 512x1).
MIN_DERIVED_SIDE = 16
#: ``--gif`` without ``--save-every``: a snapshot every iterations/this passes.
GIF_FRAMES = 25
#: The options that, left out, take the recipe's or the command's default.
CHOSEN = ("optimizer", "iterations", "content_weight", "style_weight", "learning_rate", "noise_ratio", "style_loss")


# ----------------------------------------------------------------------------------------------------
# Inputs, settings and outputs, checked before the run.

def prepare(args, outputs=None):
    """Check every input and output and build the settings; nothing is written (output folders that are
    missing are made, and listed in ``outputs.created``). Returns (content, styles, settings, alpha, regions)."""
    outputs = outputs if outputs is not None else Outputs()
    check_output_names(args)
    check_region_options(args)
    make = Settings if args.recipe else Settings.art
    init = make().init if args.init is None else args.init
    check_inputs(args)
    content = images.read_image(args.content)
    alpha = images.read_alpha(args.content)
    styles = [images.read_image(s) for s in args.styles]
    if init not in STARTS:
        init = images.read_image(init)
    width, height, derived = output_size(args, content)
    regions = read_regions(args, width, height)
    if args.model is not None:
        find_weights(args.model)
    settings = build_settings(args, make, init, width, height)
    check_settings(settings, len(styles))
    check_style_sizes(args, settings, [s.shape for s in styles + [r.style for r in regions]], derived)
    plan_outputs(args, settings, outputs)
    return content, styles, settings, alpha, regions


def check_region_options(args):
    """NSTError unless there is a style image or a region, no more regions than allowed, each mask once."""
    regions = args.region
    if not args.styles and not regions:
        raise NSTError("no style image: give one after the photo, or paint regions with --region MASK STYLE")
    if args.style_blend_weights and not args.styles:
        raise NSTError("--style-blend-weights weighs the style images given after the photo, and there are none "
                       "(each --region has one painting); leave it out")
    most = LIMITS["regions"][1]
    if len(regions) > most:
        raise NSTError(f"{len(regions)} --region options: give at most {most} (merge masks that share a painting)")
    for i, (mask, _, _) in enumerate(regions):
        for other, _, _ in regions[:i]:
            if mask == other or same_file(mask, other):
                raise NSTError(f"{mask}: this mask is given to two --region options; give each region once "
                               f"(one mask, one painting)")


def read_regions(args, width, height):
    """The :class:`nst_utils.engine.Region` s of the ``--region`` options, masks at the output's size."""
    regions = []
    for mask, style, style_mask in args.region:
        painting = images.read_image(style)
        regions.append(Region(read_mask(mask, width, height), painting, None if style_mask is None else
                              read_mask(style_mask, painting.shape[1], painting.shape[0])))
    return regions


def steps_folder(args):
    """Where ``--save-every`` puts its snapshots (``OUTNAME_steps/`` beside the output), or None."""
    return args.output.with_name(f"{args.output.stem}_steps") if args.save_every else None


def check_output_names(args):
    """NSTError unless the output and GIF names are files of their kind."""
    refuse_folder(args.output, "output image")
    _refuse_bare_ending(args.output, "output image", "art")
    if args.output.suffix.lower() not in IMAGE_SUFFIXES:
        raise NSTError(f"{args.output}: end the output name with .png or .jpg")
    if args.gif is not None:
        _refuse_bare_ending(args.gif, "GIF", "run")
        if args.gif.suffix.lower() != ".gif":
            raise NSTError(f"{args.gif}: the --gif file name must end with .gif")


def _refuse_bare_ending(path, what, example):
    """NSTError if ``path``'s name is an ending only (``.png``: a hidden file without an ending)."""
    if not path.suffix and path.name.startswith(".") and path.name.count(".") == 1:
        raise NSTError(f"{path}: the name is only an ending; give the {what} a name before it, e.g. "
                       f"{path.with_name(example + path.name)}")


def inputs_of(args):
    """``[(what, path)]``: every file the run reads."""
    inputs = [("content photo", args.content)] + [("style image", s) for s in args.styles]
    for mask, style, style_mask in args.region:
        inputs += [("--region mask", mask), ("--region style image", style)]
        inputs += [("--region style mask", style_mask)] if style_mask is not None else []
    if args.init is not None and args.init not in STARTS:
        inputs.append(("--init image", Path(args.init)))
    if args.model is not None:
        inputs.append(("weight file", args.model))
    return inputs


def check_inputs(args):
    """NSTError if an output would overwrite an input, or an input exists but cannot be read."""
    inputs = inputs_of(args)
    targets = [("output image", args.output)] + ([("GIF", args.gif)] if args.gif is not None else [])
    check_no_overwrite(inputs, targets, steps_folder(args))
    for what, path in inputs:
        check_readable(path, what)


def output_size(args, content):
    """``(width, height, how)``: as given, the missing side from the photo's aspect, or the default size;
    ``how`` says how a size taken from the aspect came about (None: both sides given). NSTError if a side
    taken from the aspect would be too thin."""
    width, height = args.width, args.height
    derived = None  # (the smallest side taken from the photo's aspect, how the size was given, how it came about)
    photo = f"the {content.shape[1]}x{content.shape[0]} photo's aspect"
    if width is None and height is None and args.recipe:
        width, height = Settings.width, Settings.height
    elif width is None and height is None:  # the longest side ART_LONGEST_SIDE, the photo's aspect
        scale = ART_LONGEST_SIDE / max(content.shape[:2])
        width, height = max(1, round(content.shape[1] * scale)), max(1, round(content.shape[0] * scale))
        derived = (min(width, height), "at the default size",
                   f"the default longest side {ART_LONGEST_SIDE} with {photo}")
    elif width is None:
        width = max(1, round(height * content.shape[1] / content.shape[0]))
        derived = (width, f"with --height {height}", f"its width from --height {height} and {photo}")
    elif height is None:
        height = max(1, round(width * content.shape[0] / content.shape[1]))
        derived = (height, f"with --width {width}", f"its height from --width {width} and {photo}")
    if derived is not None and derived[0] < MIN_DERIVED_SIDE:
        raise NSTError(f"{args.content}: a {content.shape[1]}x{content.shape[0]} photo gives a {width}x{height} "
                       f"picture {derived[1]}; give both --width and --height (or crop the photo)")
    return width, height, None if derived is None else derived[2]


def check_style_sizes(args, settings, style_shapes, derived):
    """NSTError if a style image at ``--style-scale`` would not fit in memory, saying what made it so large:
    the scale given, or (by default) an output size taken from the photo's aspect."""
    found = oversized_style(settings, style_shapes)
    if found is None:
        return
    w, h, need, have = found
    scale = settings.style_scale
    option = f"--style-scale {scale:g}" + (" (the default)" if args.style_scale is None else "")
    side = "as long as" if scale == 1 else f"{scale:g} times"
    output = f"the {settings.width}x{settings.height} output's" + (f" ({derived})" if derived else "")
    fix = "give both --width and --height, or choose a smaller --style-scale" if derived and \
        args.style_scale is None else "choose a smaller --style-scale or a smaller output"
    raise NSTError(f"{option}: the style image would be {w}x{h} pixels, its longest side {side} {output}, and "
                   f"need about {need / 2**30:.0f} GiB, but this machine has {have / 2**30:.0f} GiB; {fix}")


def build_settings(args, make, init, width, height):
    """The run's settings: the options given, the others from ``make`` (:class:`Settings`, the recipe, or
    :meth:`Settings.art`); NSTError for an option that would have no effect."""
    given = {key: getattr(args, key) for key in CHOSEN if getattr(args, key) is not None}
    settings = make(width=width, height=height, **given, tv_weight=args.tv_weight,
                    style_blend_weights=args.style_blend_weights,
                    style_scale=Settings.style_scale if args.style_scale is None else args.style_scale,
                    preserve_colors=args.preserve_colors, init=init, seed=args.seed, levels=args.levels,
                    save_every=args.save_every, model=str(args.model) if args.model else None,
                    pooling=args.pooling, calibrated=not args.raw_network, precision=args.precision)
    if args.learning_rate is not None and settings.optimizer != "adam":  # else silently without effect
        raise NSTError(f"--learning-rate {args.learning_rate:g} is for Adam; L-BFGS chooses its own steps: add "
                       f"--optimizer adam, or leave the learning rate out")
    if args.noise_ratio is not None and not (isinstance(init, str) and init == "noise"):
        raise NSTError(f"--noise-ratio {args.noise_ratio:g} is for the noise start; add --init noise, or leave "
                       f"the noise ratio out")
    if args.gif is not None and not settings.save_every:
        settings.save_every = max(1, settings.iterations // GIF_FRAMES)
    return settings


def passes(settings):
    """The forward+backward passes of a run, over all its levels."""
    return sum(n for _, _, n in plan_levels(settings))


def plan_outputs(args, settings, outputs):
    """Check every output with its real name, and the free space for the most it may take."""
    width, height, every = settings.width, settings.height, settings.save_every
    frames = passes(settings) // every + 2 if every else 0
    outputs.file(args.output, "output image", image_bytes(width, height))
    steps = steps_folder(args)
    if steps is not None:
        outputs.folder(steps, "--save-every snapshots", steps=True)
        for old in sorted(steps.glob("[0-9][0-9][0-9][0-9].png")):  # each replaced or removed by the run
            check_replaceable(old, "--save-every snapshots")
        outputs.file(steps / "0000.png", "--save-every snapshots", frames * image_bytes(width, height, 3))
    if args.gif is not None:
        outputs.file(args.gif, "GIF", frames * image_bytes(width, height, 1))
    outputs.check_space()


# ----------------------------------------------------------------------------------------------------
# The plan line and the run.

def regions_note(args, regions):
    """What the plan line says about the ``--region`` options ('' without): which part gets which painting."""
    if not regions:
        return ""
    parts = []
    for (mask, style, style_mask), region in zip(args.region, regions):
        part = f" (its part in {style_mask})" if style_mask is not None else ""
        parts.append(f"{mask} ({100 * float(region.mask.mean()):.0f} % of the picture) in {style}{part}")
    covered = sum(r.mask for r in regions)
    rest = float(uncovered([r.mask for r in regions]).mean())
    where = ", ".join(str(s) for s in args.styles) if args.styles else "the photo only (no style)"
    overlap = float((covered > 1.01).mean())
    shared = f"; the regions overlap on {100 * overlap:.0f} % of the picture, where their paintings mix" \
        if overlap >= 0.005 else ""
    return f"; regions: {'; '.join(parts)}; elsewhere ({100 * rest:.0f} %): {where}{shared}"


def alpha_note(args, alpha):
    """What the plan line says about the photo's transparency ('' if it has none)."""
    if alpha is None:
        return ""
    if images.can_hold_alpha(args.output):
        return "; keeps the photo's transparency"
    return f"; the photo's transparency is dropped ({args.output.suffix} cannot hold it: use .png to keep it)"


def describe(settings, style_shapes=(), note=""):
    """The plan line: sizes, passes, optimiser, weights, network, precision, estimated time and memory (the
    larger of the optimisation and the scaled style images' own pass); ``note`` ends it."""
    levels = plan_levels(settings)
    seconds, memory = estimate(settings, style_shapes=style_shapes)
    steps = " -> ".join(f"{w}x{h} ({n} it)" for w, h, n in levels)
    network = read_network(settings.model).name.split(" (")[0]
    precision = resolve(settings.precision)
    state = "calibrated" if settings.calibrated else "raw"
    return (f"nst: {steps} with {OPTIMIZERS[settings.optimizer]}, alpha {settings.content_weight:g}, beta "
            f"{settings.style_weight:g}, {STYLE_LOSSES[settings.style_loss]}, on {network} ({state}) in "
            f"{precision.name} ({precision.reason}); "
            f"estimated {seconds / 60:.1f} min and {memory / 1e9:.1f} GB peak memory{note}")


@contextmanager
def progress_bar(settings, quiet):
    """A progress bar on stderr (ETA and costs) for the run's passes; yields the engine's ``on_pass``."""
    bar = tqdm(total=passes(settings), disable=quiet, file=sys.stderr, unit="it", dynamic_ncols=True,
               desc="style transfer")

    def on_pass(p):
        bar.set_postfix_str(f"cost {p['total']:.3g} (content {p['content']:.3g}, style {p['style']:.3g})",
                            refresh=False)
        bar.update()

    try:
        yield on_pass
    finally:
        bar.close()


def run(args, outputs):
    """One run: checks, plan line, optimisation, results. Returns the exit code."""
    stage, snapshots, result, late_stop = "while starting", None, None, None
    try:
        content, styles, settings, alpha, regions = prepare(args, outputs)
        note = regions_note(args, regions) + alpha_note(args, alpha)
        print(describe(settings, [s.shape for s in styles + [r.style for r in regions]], note), file=sys.stderr)
        stage = "before any image was made"
        steps = steps_folder(args)
        inputs = [path for _, path in inputs_of(args)]
        snapshots = images.Snapshots(steps, inputs=inputs) if steps is not None else None
        with progress_bar(settings, args.quiet) as on_pass:
            result = transfer(content, styles, settings, on_pass=on_pass, on_snapshot=snapshots, regions=regions)
    except KeyboardInterrupt as exc:
        if result is None:
            return _stopped_without_result(exc, stage, snapshots)
        late_stop = exc  # the run is over (the progress bar was closing): its result is written all the same
    image, history = result
    if history["interrupted"] and not history["total"]:
        stop = stop_of(history)
        print(f"nst: {stopped(stop)} before the first iteration; nothing written", file=sys.stderr)
        return stop_code(stop)
    return finish(args, settings, image, alpha, history, snapshots, late_stop)


def _stopped_without_result(exc, stage, snapshots):
    """The line of a run stopped before the engine returned a picture: what is on disk (snapshots, if any)."""
    saved = snapshots.saved if snapshots is not None else []
    if saved:
        said = f"before the picture was made; saved {_count(saved, 'snapshot')} in {snapshots.folder} only"
    else:
        said = f"{stage}; nothing written"
    print(f"nst: {stopped(exc)} {said}", file=sys.stderr)
    return stop_code(exc)


# ----------------------------------------------------------------------------------------------------
# Writing the results.

def check_result(image, settings, history):
    """NSTError (nothing is written) unless ``image`` is RGB at the size asked for and some cost was finite."""
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


def result_paths(args, interrupted):
    """``(image path, GIF path, kept)``: where the results go. An unfinished picture (a stopped run's) never
    replaces a file that is there already, which may be a finished one: it goes beside it
    (:func:`nst_utils.files.interrupted_name`), and ``kept`` lists the files left alone."""
    image, gif, kept = args.output, args.gif, []
    if interrupted:
        if os.path.lexists(image):
            kept, image = kept + [image], interrupted_name(image)
        if gif is not None and os.path.lexists(gif):
            kept, gif = kept + [gif], interrupted_name(gif)
    return image, gif, kept


def finish(args, settings, image, alpha, history, snapshots=None, late_stop=None):
    """Write the image (and GIF) of a run that made at least one pass; print one final line; the exit code.
    ``snapshots``: the run's :class:`nst_utils.images.Snapshots`, if it saved any. ``late_stop``: a stop
    (KeyboardInterrupt) that came once the optimisation was over."""
    interrupted = history["interrupted"]
    if late_stop is None and not interrupted:
        late_stop = stop_of(history)  # it came after the last pass, while the last snapshot was written
    out, gif, kept = result_paths(args, interrupted)
    before = {path: _identity(path) for path in (out, gif) if path is not None}
    done, problems = [], []
    if snapshots is not None and snapshots.error is not None:
        problems.append(f"the snapshots stopped at {snapshots.error}")
    keep_alpha = alpha if images.can_hold_alpha(out) else None
    what = "best image so far" if interrupted else "image"
    try:
        with interrupts_deferred():  # a stop now waits: the image is written whole first
            if snapshots is not None:
                snapshots.finish()  # the earlier run's other snapshots go
            check_result(image, settings, history)
            write_or_keep(out, lambda p: images.save_image(p, image, alpha=keep_alpha), what, done, problems)
        if gif is not None:
            _write_gif(gif, settings, history, done, problems)
    except KeyboardInterrupt as exc:
        late_stop = exc
        _found_on_disk(before, {out: what, gif: "GIF"}, done, problems)  # a stop just after a rename
    except NSTError as exc:
        problems.append(str(exc))
    saved = snapshots.saved if snapshots is not None else []
    done += [f"{_count(saved, 'snapshot')} in {snapshots.folder}"] if saved else []
    said = problems + ([f"saved {_join(done)}"] if done else [] if _kept_elsewhere(problems) else ["nothing written"])
    said += [f"the existing {path} is kept" for path in kept]
    return _final_line(args, settings, history, said, done, problems, late_stop)


def _write_gif(gif, settings, history, done, problems):
    if not history["snapshots"]:
        problems.append("no snapshot was taken, so no GIF was written")
        return
    size = (settings.width, settings.height)
    write_or_keep(gif, lambda p: images.write_gif(p, history["snapshots"], size), "GIF", done, problems)


def _identity(path):
    """What identifies the file at ``path`` now (a file renamed into place is a new one), or None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


def _found_on_disk(before, whats, done, problems):
    """After a stop during the writes: add to ``done`` each result that is on disk though it was not
    reported (the stop came just after its rename)."""
    for path, was in before.items():
        what = whats[path]
        told = any(d.startswith(f"the {what} to ") for d in done) or any(f"the {what} to " in p for p in problems)
        if not told and _identity(path) not in (None, was):
            done.append(f"the {what} to {path}")


def _kept_elsewhere(problems):
    return any(" is kept at " in p for p in problems)


def _final_line(args, settings, history, said, done, problems, late_stop):
    """Print the run's last line, saying what is on disk (``said``); the exit code."""
    interrupted = history["interrupted"]
    first = stop_of(history) if interrupted else None
    if late_stop is not None:  # a stop while writing: say what is on disk and what is not
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
    unprinted = _print_name(args.output)
    line = cost_line(history, settings)  # of the image written
    if history.get("diverged"):
        line += (" (Adam diverged: its image became NaN, so the lowest-cost image it passed was written; "
                 "a smaller --learning-rate avoids it)")
    if unprinted:
        line += f"; saved the image to {args.output}, but its name could not be printed on stdout ({unprinted})"
    print(f"nst: {line}", file=sys.stderr)
    return 0


def _print_name(path):
    """Print the output's name on stdout; why it could not be (None if it was, or nobody reads it)."""
    try:
        print(path, flush=True)
        return None
    except OSError as exc:  # `| head -0` (nobody reads it), `> /dev/full`: the picture is written all the same
        try:  # what stays in stdout's buffer goes nowhere, so that Python's flush at exit is quiet
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return None if isinstance(exc, BrokenPipeError) else exc.strerror or str(exc)


def cost_line(history, settings):
    """``'total cost A -> B'``; coarse to fine, each level's first and final costs at its own size (costs at
    different sizes do not compare: a finer level's first cost is no rise)."""
    totals, levels = history["total"], history.get("level") or [0] * len(history["total"])
    finite = [t for t in totals if np.isfinite(t)]
    last = history.get("result_cost")
    last = last if last is not None else min(finite, default=totals[-1])
    if max(levels) == 0:
        return f"total cost {totals[0]:.4g} -> {last:.4g}"
    sizes, parts = plan_levels(settings), []
    for level in sorted(set(levels)):
        own = [t for t, n in zip(totals, levels) if n == level]
        best = last if level == max(levels) else min((t for t in own if np.isfinite(t)), default=own[-1])
        w, h, _ = sizes[level] if level < len(sizes) else (settings.width, settings.height, 0)
        parts.append(f"{own[0]:.4g} -> {best:.4g} at {w}x{h}")
    return f"total cost {', then '.join(parts)} (costs at different sizes do not compare)"


def _count(items, word):
    return f"{len(items)} {word}{'s' if len(items) != 1 else ''}"


def _join(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
