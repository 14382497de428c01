"""Pictures for the notebooks: images with captions, cost curves, Gram-matrix heatmaps.

Every figure has a title and labelled axes; each function shows its figure itself so that notebook
cells leave no stray text output. In a notebook, figures of photos are shown as JPEG (a fifth of the
PNG size, which keeps the stored notebooks small); plots stay PNG.
"""
import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .settings import RECIPE_WEIGHTS


def _show_photos(fig):
    """Show a figure of photos: as JPEG in a notebook (inline backend), else with ``plt.show()``."""
    if "inline" not in matplotlib.get_backend():
        plt.show()
        return
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", bbox_inches="tight", pil_kwargs={"quality": 88})
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="jpeg"))


def show_images(images, captions, title=None, columns=None, size=3.2, interpolation=None):
    """Show RGB images side by side (in rows of ``columns``), each with its caption.

    ``interpolation``: how matplotlib resamples them to the figure's size, e.g. ``"lanczos"`` (smooth) or
    ``"nearest"`` (pixels as they are); default: matplotlib's ``image.interpolation`` setting.
    """
    columns = columns or len(images)
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns * 4 / 3, size * rows + 0.4), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, caption in zip(axes.ravel(), images, captions):
        ax.imshow(np.asarray(image), interpolation=interpolation)
        ax.set_title(caption, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    _show_photos(fig)


def show_snapshots(history, title="The generated image as the optimisation runs", columns=4):
    """Grid of the images kept by :class:`nst_utils.Watch` (``history["snapshots"]``)."""
    snapshots = history["snapshots"]
    show_images([im for _, im in snapshots], [f"iteration {i}" for i, _ in snapshots], title,
                columns=min(columns, len(snapshots)))


def plot_costs(history, title="Costs during the optimisation", weights=RECIPE_WEIGHTS):
    """Total, weighted content and weighted style cost per iteration, on a log scale."""
    alpha, beta = weights
    fig, ax = plt.subplots(figsize=(7, 4))
    it = history["iteration"]
    ax.plot(it, history["total"], label="total cost J")
    ax.plot(it, alpha * np.asarray(history["content"]), label=f"content part α·J_content (α={alpha})")
    ax.plot(it, beta * np.asarray(history["style"]), label=f"style part β·J_style (β={beta})")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))  # 1, 2, 5, 10, 20, ...: values readable off the axis
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (log scale)")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    plt.show()


def show_heatmaps(matrices, captions, title=None, cmap="viridis", size=3.6, scale="own", vmin=None, marks=(),
                  colorbar_label=None):
    """Matrices (e.g. Gram matrices) as heatmaps side by side.

    ``scale``: ``"own"`` (default) gives each heatmap its own linear colour bar; ``"shared"`` one linear
    scale for all, so that equal colours mean equal values; ``"log"`` one shared logarithmic scale from
    ``vmin`` (default: a ten-thousandth of the largest entry; smaller entries get its colour) to the largest
    entry, so that entries of very different sizes can be told apart and compared.
    ``marks``: entries ``(i, j)`` or ``(i, j, label)`` (row i, column j) outlined on every heatmap, each with its
    label (default ``"(i,j)"``). ``colorbar_label``: what the colours measure.
    """
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.patches import Rectangle

    if scale not in ("own", "shared", "log"):
        raise ValueError(f"scale must be 'own', 'shared' or 'log', not {scale!r}")
    matrices = [np.asarray(m, dtype=np.float64) for m in matrices]
    shared = scale != "own"
    width = size * len(matrices) * (1.05 if shared else 1.15) + (0.9 if shared else 0)
    fig, axes = plt.subplots(1, len(matrices), figsize=(width, size + 0.5), squeeze=False, layout="constrained")
    top = max(m.max() for m in matrices)
    if scale == "log":
        low = vmin if vmin is not None else top * 1e-4
        norm = LogNorm(vmin=low, vmax=top)
    elif scale == "shared":
        norm = Normalize(vmin=min(m.min() for m in matrices) if vmin is None else vmin, vmax=top)
    for ax, matrix, caption in zip(axes[0], matrices, captions):
        shown = np.maximum(matrix, norm.vmin) if scale == "log" else matrix
        im = ax.imshow(shown, cmap=cmap, norm=norm if shared else None, interpolation="nearest")
        ax.set_title(caption, fontsize=10)
        ax.set_xlabel("filter j")
        ax.set_ylabel("filter i")
        for mark in marks:
            i, j = mark[:2]
            label = mark[2] if len(mark) > 2 else f"({i},{j})"
            ax.add_patch(Rectangle((j - 1.5, i - 1.5), 3, 3, fill=False, ec="red", lw=1.6))
            right = j < matrix.shape[1] * 0.7  # label beside the box, on the side with room
            ax.annotate(label, (j + (1.6 if right else -1.6), i), xytext=(3 if right else -3, 0),
                        textcoords="offset points", ha="left" if right else "right", va="center", fontsize=8,
                        color="red", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
        if not shared:
            bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            if colorbar_label:
                bar.set_label(colorbar_label)
    if shared:
        bar = fig.colorbar(im, ax=axes[0].tolist(), fraction=0.025, pad=0.02,
                           extend="min" if scale == "log" and min(m.min() for m in matrices) < norm.vmin else "neither")
        bar.set_label((colorbar_label or "value") + (" (log scale)" if scale == "log" else ""))
    if title:
        fig.suptitle(title, fontsize=12)
    plt.show()
