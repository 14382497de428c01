"""The ``nst`` command: stylise a photo with one or more style images.

    nst CONTENT STYLE [STYLE ...] -o OUT [options]

Defaults are the assignment's recipe (400x300, Adam with learning rate 2.0, 200 iterations, alpha 10,
beta 40, 60 % noise start). Bad input prints one line to stderr, exits non-zero and writes nothing.
"""
import argparse
import sys
import tempfile
from pathlib import Path


from .errors import NSTError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"nst: error: {message} (see nst --help)\n")


def positive_int(text):
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number greater than 0")
    return value


def parser():
    p = OneLineParser(prog="nst", description="Neural Style Transfer (Gatys et al.) on the command line.",
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("content", type=Path, help="content photo (PNG, JPEG, ...)")
    p.add_argument("styles", type=Path, nargs="+", metavar="STYLE", help="style image(s)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image (.png or .jpg)")
    p.add_argument("--width", type=positive_int, help="output width (default 400, or from --height and the photo's aspect)")
    p.add_argument("--height", type=positive_int, help="output height (default 300, or from --width and the photo's aspect)")
    p.add_argument("--iterations", type=positive_int, default=200,
                   help="forward+backward passes (at the coarsest level when coarse-to-fine)")
    p.add_argument("--optimizer", choices=["adam", "lbfgs"], default="adam")
    p.add_argument("--learning-rate", type=float, default=2.0, help="Adam's learning rate")
    p.add_argument("--content-weight", type=float, default=10.0, help="alpha")
    p.add_argument("--style-weight", type=float, default=40.0, help="beta")
    p.add_argument("--tv-weight", type=float, default=0.0, help="total variation weight (smoothness)")
    p.add_argument("--style-blend-weights", type=float, nargs="+", metavar="W", help="one weight per style image")
    p.add_argument("--style-scale", type=float, default=1.0, help="style image size relative to the output")
    p.add_argument("--preserve-colors", nargs="?", const="luminance", choices=["luminance", "histogram"],
                   help="keep the photo's colours: luminance-only transfer (default) or colour matching of the style")
    p.add_argument("--init", default="noise", help="start from 'noise' (60 %% noise + photo), 'content' or an image file")
    p.add_argument("--noise-ratio", type=float, default=0.6, help="share of noise in the 'noise' start")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same result)")
    p.add_argument("--save-every", type=int, default=0, metavar="K",
                   help="save every K-th iteration's image into OUT's folder, in OUTNAME_steps/")
    p.add_argument("--gif", type=Path, help="write an animated GIF of the optimisation")
    p.add_argument("--levels", type=positive_int, help="coarse-to-fine levels (default: automatic above 700 px)")
    p.add_argument("--pooling", choices=["avg", "max"], default="avg")
    p.add_argument("--model", type=Path, help="VGG weight file (.mat or .h5); default: data/ or the bundled VGG-16")
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
    if args.init in ("noise", "content"):
        init = args.init
    else:
        init = read_image(args.init)
    width, height = args.width, args.height
    if width is None and height is None:
        width, height = 400, 300
    elif width is None:
        width = max(1, round(height * content.shape[1] / content.shape[0]))
    elif height is None:
        height = max(1, round(width * content.shape[0] / content.shape[1]))
    if args.model is not None:
        find_weights(args.model)
    save_every = args.save_every
    if args.gif is not None and not save_every:
        save_every = max(1, args.iterations // 25)
    steps = args.output.with_name(f"{args.output.stem}_steps") if args.save_every else None
    settings = Settings(width=width, height=height, iterations=args.iterations, optimizer=args.optimizer,
                        learning_rate=args.learning_rate, content_weight=args.content_weight,
                        style_weight=args.style_weight, tv_weight=args.tv_weight,
                        style_blend_weights=args.style_blend_weights, style_scale=args.style_scale,
                        preserve_colors=args.preserve_colors, init=init, noise_ratio=args.noise_ratio,
                        seed=args.seed, levels=args.levels, save_every=save_every, save_dir=steps,
                        model=str(args.model) if args.model else None, pooling=args.pooling,
                        progress=not args.quiet)
    check_settings(settings, len(styles))
    check_writable(args.output, "output image")
    if args.gif is not None:
        check_writable(args.gif, "GIF")
    return content, styles, settings


def describe(settings, network_name):
    from .transfer import estimate, plan_levels

    levels = plan_levels(settings)
    seconds, memory = estimate(settings)
    steps = " -> ".join(f"{w}x{h} ({n} it)" for w, h, n in levels)
    kind = "L-BFGS" if settings.optimizer == "lbfgs" else "Adam"
    return (f"nst: {steps} with {kind} on {network_name}; estimated {seconds / 60:.1f} min "
            f"and {memory / 1e9:.1f} GB peak memory")


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        content, styles, settings = prepare(args)
        from .images import save_image
        from .transfer import transfer, write_gif
        from .vgg import read_network

        print(describe(settings, read_network(settings.model).name.split(" (")[0]), file=sys.stderr)
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
