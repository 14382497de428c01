"""``python -m nst_utils.demo``: the assignment's recipe on a bundled photo and style, offline.

Writes the result and the intermediate images under ``output/`` and says where.
"""
import argparse
import sys
from pathlib import Path

from .config import CONFIG
from .errors import NSTError
from .settings import Settings

#: An intermediate image, and a line of costs, every this many iterations.
EVERY = 20


def report(p):
    """The engine's ``on_pass``: a line of costs every :data:`EVERY` iterations."""
    if p["iteration"] % EVERY == 0:
        print(f"Iteration {p['iteration']:4d}: total cost = {p['total']:.4g}, content cost = {p['content']:.4g}, "
              f"style cost = {p['style']:.4g}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nst_utils.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=CONFIG.CONTENT_IMAGE, help="content photo")
    parser.add_argument("--style", type=Path, default=CONFIG.STYLE_IMAGE, help="style image")
    parser.add_argument("--iterations", type=int, default=Settings.iterations,
                        help=f"Adam iterations (default {Settings.iterations})")
    parser.add_argument("--output", type=Path, default=CONFIG.OUTPUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    snapshots = None
    try:
        if args.iterations <= 0:
            raise NSTError(f"--iterations {args.iterations}: give a positive number of iterations")
        from .engine import stylize  # imports TensorFlow: after the arguments are checked
        from .images import Snapshots, save_image
        from .precision import resolve

        name = f"{args.content.stem}_{args.style.stem}"
        settings = Settings(iterations=args.iterations, save_every=EVERY)
        snapshots = Snapshots(args.output / name)
        print(f"Stylising {args.content} with {args.style}: {args.iterations} iterations at "
              f"{settings.width}x{settings.height} (about 1 s each on 2 cores).")
        print(resolve(settings.precision))
        image, history = stylize(args.content, args.style, settings, on_pass=report, on_snapshot=snapshots)
        snapshots.finish()
        if history["interrupted"]:
            if not history["total"]:
                raise KeyboardInterrupt
            print(f"Interrupted after {len(history['total'])} iterations: keeping the image so far.")
        result = save_image(args.output / f"{name}.png", image)
    except NSTError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        kept = f"{len(snapshots.saved)} intermediate images are in {snapshots.folder}/" if snapshots and \
            snapshots.saved else "nothing written"
        print(f"demo: interrupted; the result was not written; {kept}", file=sys.stderr)
        return 130
    print(f"Total cost fell from {history['total'][0]:.4g} to {history['result_cost']:.4g}.")
    print(f"Result: {result}\nIntermediate images: {snapshots.folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
