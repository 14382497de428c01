"""``python -m nst_utils.demo``: the assignment's recipe on a bundled photo and style, offline.

Writes the result and the intermediate images under ``output/`` and says where.
"""
import argparse
import sys
from pathlib import Path

from .config import CONFIG
from .errors import NSTError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nst_utils.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=CONFIG.CONTENT_IMAGE, help="content photo")
    parser.add_argument("--style", type=Path, default=CONFIG.STYLE_IMAGE, help="style image")
    parser.add_argument("--iterations", type=int, default=200, help="Adam iterations (default 200)")
    parser.add_argument("--output", type=Path, default=CONFIG.OUTPUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    steps = None
    try:
        if args.iterations <= 0:
            raise NSTError(f"--iterations {args.iterations}: give a positive number of iterations")
        from .images import save_image  # imports TensorFlow: after the arguments are checked
        from .optimize import stylize

        name = f"{args.content.stem}_{args.style.stem}"
        steps = args.output / name
        print(f"Stylising {args.content} with {args.style}: {args.iterations} iterations at "
              f"{CONFIG.IMAGE_WIDTH}x{CONFIG.IMAGE_HEIGHT} (about 1 s each on 2 cores).")
        image, history = stylize(args.content, args.style, num_iterations=args.iterations, save_dir=steps)
        result = save_image(args.output / f"{name}.png", image)
    except NSTError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # stylize keeps Ctrl-C during the optimisation: this one came before or after it
        saved = sorted(steps.glob("*.png")) if steps is not None and steps.is_dir() else []
        kept = f"{len(saved)} intermediate images are in {steps}/" if saved else "nothing written"
        print(f"demo: interrupted; the result was not written; {kept}", file=sys.stderr)
        return 130
    print(f"Total cost fell from {history['total'][0]:.4g} to {history['total'][-1]:.4g}.")
    print(f"Result: {result}\nIntermediate images: {steps}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
