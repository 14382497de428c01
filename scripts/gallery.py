"""``make gallery``: the art benchmark (issue 20). Every bundled photo with every bundled style, plus a portrait
and a landscape from the installed packages, stylised with the ``nst`` command's defaults, in one contact
sheet with each picture's figures; a JSON file keeps the figures.

Figures per picture (:func:`nst_utils.measures.style_match`), measured in fp32 on the network the run used:
style per style layer (the Gram distance and the sliced Wasserstein distance to the painting, relative to the
photo's: 1 is no closer than the photo, 0 the painting's), the content cost against the photo, and the run's time.
Numbers alone can be gamed by noise: look at the sheet.

    python scripts/gallery.py [--size 512] [--out output/gallery] [--photos a.jpg ...] [--styles b.jpg ...]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nst_utils as nst  # noqa: E402
from nst_utils.measures import style_match  # noqa: E402
from nst_utils.settings import Settings  # noqa: E402

def extra_photos():
    """A portrait (matplotlib's Grace Hopper) and a landscape (matplotlib's elevation sample, hill-shaded)."""
    import matplotlib.cbook as cbook
    from matplotlib import cm
    from matplotlib.colors import LightSource

    hopper = nst.read_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    dem = np.load(cbook.get_sample_data("jacksboro_fault_dem.npz", asfileobj=False))["elevation"]
    relief = LightSource(azdeg=315, altdeg=35).shade(dem.astype(float), cmap=cm.gist_earth, blend_mode="soft",
                                                       vert_exag=0.05)
    landscape = (np.clip(relief[..., :3], 0, 1) * 255).astype(np.uint8)
    return {"grace_hopper (portrait)": hopper, "relief (landscape)": landscape}


def render(photo, painting, size):
    """The nst command's default run at ``size`` (longest side): ``(picture, settings, seconds)``."""
    scale = size / max(photo.shape[:2])
    settings = Settings.art(width=max(16, round(photo.shape[1] * scale)), height=max(16, round(photo.shape[0] * scale)))
    start = time.perf_counter()
    picture, _ = nst.transfer(photo, [painting], settings)
    return picture, settings, time.perf_counter() - start


def sheet(rows, path):
    """The contact sheet: per pair the photo, the painting and the picture, with the figures beside them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), 4, figsize=(16, 3.4 * len(rows)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1, 1.6, 1.1]})
    for (name, photo, painting, picture, figs), ax in zip(rows, axes):
        for a, image, title in ((ax[0], photo, name[0]), (ax[1], painting, name[1]), (ax[2], picture, "nst")):
            a.imshow(image)
            a.set_title(title, fontsize=10)
            a.axis("off")
        lines = [f"{layer}: Gram {figs['gram'][layer]:.2f}, SW {figs['sliced_wasserstein'][layer]:.2f}"
                 for layer in figs["gram"]]
        lines += [f"content {figs['content']:.3g}", f"{figs['seconds']:.0f} s"]
        ax[3].text(0, 0.5, "style vs the photo's\n(1 = photo, 0 = painting)\n" + "\n".join(lines),
                   va="center", family="monospace", fontsize=9)
        ax[3].axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="longest side of each picture (the command's: 512)")
    parser.add_argument("--out", type=Path, default=nst.CONFIG.OUTPUT_DIR / "gallery")
    parser.add_argument("--photos", type=Path, nargs="*", help="photos (default: the bundled ones, a portrait, "
                                                                 "a landscape)")
    parser.add_argument("--styles", type=Path, nargs="*", help="paintings (default: the bundled styles)")
    args = parser.parse_args(argv)
    photos = ({p.stem: nst.read_image(p) for p in args.photos} if args.photos else
              {**{p.stem: nst.read_image(p) for p in sorted((nst.CONFIG.IMG_DIR / "content").glob("*.jpg"))},
               **extra_photos()})
    styles = {p.stem: nst.read_image(p) for p in (args.styles or sorted((nst.CONFIG.IMG_DIR / "style").glob("*.jpg")))}
    args.out.mkdir(parents=True, exist_ok=True)
    rows, table = [], {}
    for photo_name, photo in photos.items():
        for style_name, painting in styles.items():
            picture, settings, seconds = render(photo, painting, args.size)
            figs = {**style_match(settings, photo, painting, picture), "seconds": seconds}
            rows.append(((photo_name, style_name), photo, painting, picture, figs))
            table[f"{photo_name} + {style_name}"] = figs
            print(f"{photo_name} + {style_name}: {seconds:.0f} s, style vs photo (Gram, SW) "
                  + ", ".join(f"{layer} {figs['gram'][layer]:.2f} {figs['sliced_wasserstein'][layer]:.2f}"
                              for layer in figs["gram"]), flush=True)
    sheet(rows, args.out / "gallery.png")
    (args.out / "gallery.json").write_text(json.dumps(table, indent=1))
    print(f"wrote {args.out / 'gallery.png'} and {args.out / 'gallery.json'}")


if __name__ == "__main__":
    main()
