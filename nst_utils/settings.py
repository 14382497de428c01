"""What a style transfer run is asked to do: :class:`Settings`, the only place a default is written.

The field defaults are the assignment's recipe (notebook 05); :data:`ART` lists what the ``nst``
command changes for a finished picture (notebook 06). Everything else reads them from here: the
engine (:mod:`nst_utils.engine`), the command's options and help, the demo, ``CONFIG``, the bench and
the notebooks. Light on purpose (no TensorFlow, no numpy): ``nst --help`` imports it.
"""
from dataclasses import dataclass, field

#: The assignment's style layers: the first conv layer of each block, weighted equally.
STYLE_LAYERS = [
    ("conv1_1", 0.2),
    ("conv2_1", 0.2),
    ("conv3_1", 0.2),
    ("conv4_1", 0.2),
    ("conv5_1", 0.2),
]

#: The assignment's content layer, in the middle of the network.
CONTENT_LAYER = "conv4_2"

#: The starts by name: noise mixed with the photo (``noise_ratio`` of it), the photo itself, or mid-grey
#: with ``noise_ratio`` times that noise (no photo: the reconstructions of notebooks 02 and 04).
INITS = ("noise", "content", "grey")

#: The optimisers, as the options and the plan line name them.
OPTIMIZERS = {"adam": "Adam", "lbfgs": "L-BFGS"}

#: The style losses by name: the assignment's Gram matrices (notebook 04), or the sliced Wasserstein distance
#: between the features' distributions (Heitz et al., CVPR 2021; notebook 06).
STYLE_LOSSES = {"gram": "Gram matrices", "sw": "sliced Wasserstein"}


@dataclass
class Settings:
    """Everything a run needs besides the images; the defaults are the assignment's recipe."""

    width: int = 400
    height: int = 300
    iterations: int = 200  # forward+backward passes at the coarsest level
    optimizer: str = "adam"  # or "lbfgs"
    learning_rate: float = 2.0  # Adam only
    content_weight: float = 10.0  # alpha
    style_weight: float = 40.0  # beta
    tv_weight: float = 0.0
    style_loss: str = "gram"  # one of STYLE_LOSSES
    style_blend_weights: list = None  # one weight per style image (normalised to sum 1)
    style_scale: float = 1.0  # style image's longest side relative to the output's
    preserve_colors: str = None  # None, "luminance" or "histogram"
    init: str = "noise"  # one of INITS, an image file or an RGB uint8 array
    noise_ratio: float = 0.6  # share of noise in the "noise" start
    seed: int = 0
    content_layer: str = CONTENT_LAYER
    style_layers: list = field(default_factory=lambda: list(STYLE_LAYERS))
    pooling: str = "avg"
    levels: int = None  # coarse-to-fine levels; None: as many as needed to start at <= coarsest_side
    coarsest_side: int = 700  # without levels: halve the size while the longest side exceeds this
    save_every: int = 0  # keep a snapshot every N passes (history['snapshots'], the on_snapshot callback)
    model: str = None  # weight file; None: the usual search (see network.find_weights)
    calibrated: bool = True  # every layer at the same mean activation (see nst_utils.calibration)
    precision: str = "auto"  # "auto", "fp32" or "bf16" (see nst_utils.precision)

    @classmethod
    def art(cls, **changes):
        """The ``nst`` command's defaults (:data:`ART`) with ``changes``."""
        return cls(**{**ART, **changes})


#: The recipe's (alpha, beta): the weights the cost plots and the live view show by default.
RECIPE_WEIGHTS = (Settings.content_weight, Settings.style_weight)

#: The ``nst`` command's defaults, for art (make gallery; notebook 06): L-BFGS reaches the recipe's cost 2.6x
#: sooner (make bench); coarse to fine from half the size (a quarter of the time per pass: the composition
#: settles cheaply, the full size adds the detail); the style weight is raised because a converged L-BFGS
#: result follows alpha/beta closely, where 200 Adam steps stop short of the style; the start is the photo
#: itself, which keeps more of its small details than the recipe's faded start; the sliced Wasserstein style
#: cost brings the painting's colours and strokes where the Gram matrices left pale tints and an embossed
#: ripple on the calibrated network; 48 passes at half the size, then 12 at the full size: 80 and 20 took
#: two thirds longer for the same picture (make gallery). The size is the photo's aspect with this longest
#: side (:data:`ART_LONGEST_SIDE`).
ART = dict(optimizer="lbfgs", iterations=48, style_weight=400.0, init="content", style_loss="sw",
           coarsest_side=320)
ART_LONGEST_SIDE = 512

def plan_levels(settings):
    """``[(width, height, iterations), ...]``, coarsest first: each level doubles the size and gets a
    quarter of the previous level's iterations (at least 10), since it starts from a good image."""
    w, h = settings.width, settings.height
    sizes = [(w, h)]
    count = settings.levels
    while (count is None and max(sizes[0]) > settings.coarsest_side) or (count is not None and len(sizes) < count):
        w, h = sizes[0]
        if min(w, h) < 64:
            break
        sizes.insert(0, (max(1, round(w / 2)), max(1, round(h / 2))))
    iterations = [settings.iterations]
    for _ in sizes[1:]:
        iterations.append(max(10, iterations[-1] // 4))
    return [(w, h, n) for (w, h), n in zip(sizes, iterations)]
