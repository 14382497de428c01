"""The ``nst`` command: stylise a photo with one or more style images.

    nst CONTENT STYLE [STYLE ...] -o OUT [options]

The defaults make the best picture for the time on an ordinary computer (see ``ART``); ``--recipe`` runs
the assignment's recipe instead. Bad input prints one line to stderr, exits non-zero and writes nothing.
"""
import argparse
import sys
import tempfile
from pathlib import Path


from .errors import NSTError

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


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"nst: error: {message} (see nst --help)\n")


def positive_int(text):
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number greater than 0")
    return value


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
               f"Options given explicitly override either.")
    p.add_argument("content", type=Path, help="content photo (PNG, JPEG, ...)")
    p.add_argument("styles", type=Path, nargs="+", metavar="STYLE", help="style image(s)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image (.png or .jpg)")
    p.add_argument("--recipe", action="store_true",
                   help="the assignment's recipe: " + RECIPE_TEXT.replace("%", "%%"))
    p.add_argument("--width", type=positive_int,
                   help=f"output width (default: longest side {ART['size']}, or from --height and the photo's aspect)")
    p.add_argument("--height", type=positive_int, help="output height (default: from the width and the photo's aspect)")
    p.add_argument("--iterations", type=positive_int,
                   help=f"forward+backward passes, at the coarsest level when coarse-to-fine (default {ART['iterations']})")
    p.add_argument("--optimizer", choices=["adam", "lbfgs"], help="default lbfgs")
    p.add_argument("--learning-rate", type=float, default=2.0, help="Adam's learning rate (default 2.0)")
    p.add_argument("--content-weight", type=float, help=f"alpha (default {ART['content_weight']:g})")
    p.add_argument("--style-weight", type=float, help=f"beta (default {ART['style_weight']:g})")
    p.add_argument("--tv-weight", type=float, default=0.0, help="total variation weight, smoothness (default 0)")
    p.add_argument("--style-blend-weights", type=float, nargs="+", metavar="W", help="one weight per style image")
    p.add_argument("--style-scale", type=float, default=1.0, help="style image size relative to the output (default 1)")
    p.add_argument("--preserve-colors", nargs="?", const="luminance", choices=["luminance", "histogram"],
                   help="keep the photo's colours: luminance-only transfer (default) or colour matching of the style")
    p.add_argument("--init", help="start from 'content' (the photo; default), 'noise' (60 %% noise + photo, "
                                  "the recipe's) or an image file")
    p.add_argument("--noise-ratio", type=float, default=0.6, help="share of noise in the 'noise' start (default 0.6)")
    p.add_argument("--seed", type=int, default=0, help="random seed: same seed, same result (default 0)")
    p.add_argument("--save-every", type=int, default=0, metavar="K",
                   help="save every K-th iteration's image into OUT's folder, in OUTNAME_steps/")
    p.add_argument("--gif", type=Path, help="write an animated GIF of the optimisation")
    p.add_argument("--levels", type=positive_int, help="coarse-to-fine levels (default: automatic above 700 px)")
    p.add_argument("--pooling", choices=["avg", "max"], default="avg", help="default avg")
    p.add_argument("--model", type=Path, help="VGG weight file (.mat or .h5); default: data/ or the bundled VGG-16")
    p.add_argument("--raw-network", action="store_true",
                   help="use the network's raw activations, not the calibrated ones (deep style layers then barely count)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def check_writable(path, what):
    """Raise NSTError unless ``path``'s folder exists (or can be made) and accepts files."""
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise NSTError(f"{folder}: is a file, not a folder; choose another place for the {what}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".nst-probe-"):
            pass
    except OSError as exc:
        raise NSTError(f"{folder}: cannot write the {what} there ({exc.strerror or exc}); choose another folder") from None


def prepare(args):
    """Check every input and build the settings; nothing is written. Returns (content, styles, settings)."""
    from .images import read_image
    from .transfer import Settings, check_settings
    from .vgg import find_weights

    if args.output.suffix.lower() not in IMAGE_SUFFIXES:
        raise NSTError(f"{args.output}: end the output name with .png or .jpg")
    if args.gif is not None and args.gif.suffix.lower() != ".gif":
        raise NSTError(f"{args.gif}: the --gif file name must end with .gif")
    content = read_image(args.content)
    styles = [read_image(s) for s in args.styles]
    defaults = RECIPE if args.recipe else ART
    init = defaults["init"] if args.init is None else args.init
    if init not in ("noise", "content"):
        init = read_image(init)
    width, height = args.width, args.height
    if width is None and height is None and args.recipe:
        width, height = RECIPE["width"], RECIPE["height"]
    elif width is None and height is None:  # the longest side ART["size"], the photo's aspect
        scale = ART["size"] / max(content.shape[:2])
        width, height = max(1, round(content.shape[1] * scale)), max(1, round(content.shape[0] * scale))
        if min(width, height) < MIN_DERIVED_SIDE:
            raise NSTError(f"{args.content}: a {content.shape[1]}x{content.shape[0]} photo gives a {width}x{height} "
                           f"picture at the default size; give --width and --height (or crop the photo)")
    elif width is None:
        width = max(1, round(height * content.shape[1] / content.shape[0]))
    elif height is None:
        height = max(1, round(width * content.shape[0] / content.shape[1]))
    if args.model is not None:
        find_weights(args.model)
    chosen = {key: defaults[key] if getattr(args, key) is None else getattr(args, key)
              for key in ("optimizer", "iterations", "content_weight", "style_weight")}
    save_every = args.save_every
    if args.gif is not None and not save_every:
        save_every = max(1, chosen["iterations"] // 25)
    steps = args.output.with_name(f"{args.output.stem}_steps") if args.save_every else None
    settings = Settings(width=width, height=height, **chosen,
                        learning_rate=args.learning_rate, tv_weight=args.tv_weight,
                        style_blend_weights=args.style_blend_weights, style_scale=args.style_scale,
                        preserve_colors=args.preserve_colors, init=init, noise_ratio=args.noise_ratio,
                        seed=args.seed, levels=args.levels, save_every=save_every, save_dir=steps,
                        model=str(args.model) if args.model else None, pooling=args.pooling,
                        calibrated=not args.raw_network, progress=not args.quiet)
    check_settings(settings, len(styles))
    check_writable(args.output, "output image")
    if args.gif is not None:
        check_writable(args.gif, "GIF")
    return content, styles, settings


def describe(settings):
    """The plan line: sizes, passes, optimiser, weights, network, estimated time and memory."""
    from .transfer import estimate, plan_levels
    from .vgg import read_network

    levels = plan_levels(settings)
    seconds, memory = estimate(settings)
    steps = " -> ".join(f"{w}x{h} ({n} it)" for w, h, n in levels)
    kind = "L-BFGS" if settings.optimizer == "lbfgs" else "Adam"
    network = read_network(settings.model).name.split(" (")[0]
    state = "calibrated" if settings.calibrated else "raw"
    return (f"nst: {steps} with {kind}, alpha {settings.content_weight:g}, beta {settings.style_weight:g}, "
            f"on {network} ({state}); estimated {seconds / 60:.1f} min and {memory / 1e9:.1f} GB peak memory")


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        content, styles, settings = prepare(args)
        from .images import save_image
        from .transfer import transfer, write_gif

        print(describe(settings), file=sys.stderr)
        image, history = transfer(content, styles, settings)
        save_image(args.output, image)
        if args.gif is not None:
            write_gif(args.gif, history, (settings.width, settings.height))
    except NSTError as exc:
        print(f"nst: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nst: interrupted before the optimisation started; nothing written", file=sys.stderr)
        return 130
    if history["interrupted"]:
        print(f"nst: interrupted after {len(history['total'])} iterations; saved the best image so far to "
              f"{args.output}", file=sys.stderr)
        return 130
    print(f"nst: total cost {history['total'][0]:.4g} -> {min(history['total']):.4g}", file=sys.stderr)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
