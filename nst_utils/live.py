"""A live view of an optimisation in a notebook: the image and the cost curves, redrawn in place.

Used by :class:`nst_utils.optimize.Watch` (notebook 05). The figure is one output that each update
replaces (an IPython display handle), so the notebook keeps only the final state.
"""
import io

import matplotlib.pyplot as plt
import numpy as np

from .settings import RECIPE_WEIGHTS


class LiveView:
    """The current image beside the weighted cost curves so far, as one PNG display updated in place."""

    def __init__(self, num_iterations, weights=RECIPE_WEIGHTS):
        from IPython.display import DisplayHandle

        self.num_iterations, self.weights = num_iterations, weights
        self.handle, self.shown = DisplayHandle(), False

    @classmethod
    def in_notebook(cls, num_iterations, weights=RECIPE_WEIGHTS):
        """A LiveView when running in a Jupyter kernel, else None (nothing to draw on)."""
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
        if shell is None or "IPKernelApp" not in shell.config:
            return None
        return cls(num_iterations, weights)

    def update(self, image, history, i):
        """Redraw: ``image`` (RGB uint8) at iteration ``i``, and the costs recorded in ``history``."""
        from IPython.display import Image

        alpha, beta = self.weights
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
        left.imshow(image, interpolation="lanczos")
        left.axis("off")
        left.set_title(f"generated image G, iteration {i} of {self.num_iterations}", fontsize=10)
        it = history["iteration"]
        right.plot(it, history["total"], label="total cost J")
        right.plot(it, alpha * np.asarray(history["content"]), label=f"α·J_content (α={alpha})")
        right.plot(it, beta * np.asarray(history["style"]), label=f"β·J_style (β={beta})")
        right.set_xlim(0, self.num_iterations)
        right.set_yscale("log")
        right.set_xlabel("iteration")
        right.set_ylabel("cost (log scale)")
        right.set_title(f"total cost {history['total'][-1]:.4g}", fontsize=10)
        right.legend(fontsize=8)
        right.grid(alpha=0.3)
        fig.suptitle("The optimisation, live", fontsize=12)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        plt.close(fig)
        picture = Image(data=buffer.getvalue(), format="png")
        (self.handle.update if self.shown else self.handle.display)(picture)
        self.shown = True
