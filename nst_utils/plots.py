"""Pictures for the notebooks: images with captions, cost curves, Gram-matrix heatmaps.

Every figure has a title and labelled axes; each function shows its figure itself so that notebook
cells leave no stray text output. In a notebook, figures of photos are shown as JPEG (a fifth of the
PNG size, which keeps the stored notebooks small); plots stay PNG.
"""
import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np


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
    """Grid of the images kept by :func:`nst_utils.model_nn` (``history['snapshots']``)."""
    snapshots = history["snapshots"]
    show_images([im for _, im in snapshots], [f"iteration {i}" for i, _ in snapshots], title,
                columns=min(columns, len(snapshots)))


def plot_costs(history, title="Costs during the optimisation", weights=(10, 40)):
    """Total, weighted content and weighted style cost per iteration, on a log scale."""
    alpha, beta = weights
    fig, ax = plt.subplots(figsize=(7, 4))
    it = history["iteration"]
    ax.plot(it, history["total"], label="total cost J")
    ax.plot(it, alpha * np.asarray(history["content"]), label=f"content part α·J_content (α={alpha})")
    ax.plot(it, beta * np.asarray(history["style"]), label=f"style part β·J_style (β={beta})")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (log scale)")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    plt.show()


def show_heatmaps(matrices, captions, title=None, cmap="viridis", size=3.6):
    """Matrices (e.g. Gram matrices) as heatmaps side by side, each with its own colour bar."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(size * len(matrices) * 1.15, size + 0.5), squeeze=False,
                             layout="constrained")
    for ax, matrix, caption in zip(axes[0], matrices, captions):
        im = ax.imshow(matrix, cmap=cmap)
        ax.set_title(caption, fontsize=10)
        ax.set_xlabel("filter j")
        ax.set_ylabel("filter i")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if title:
        fig.suptitle(title, fontsize=12)
    plt.show()
