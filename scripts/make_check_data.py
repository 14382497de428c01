"""Write nst_utils/check_data.json: the checks' cases and the reference implementation's outputs.

Run ``python scripts/make_check_data.py``; tests/test_checks.py fails if the file is stale. The
first case of each cost function is the original assignment's test; the network functions of
notebooks 04 and 05 run on the checks' tiny network (``checks.tiny_model``); notebook 07's guided Gram matrix
takes a mask stored in its case.
"""
import json
from pathlib import Path

import numpy as np

from nst_utils import checks

#: After the assignment's test, the inputs as the notebooks pass them ("as_used"): the first an array.
PAIR_CASES = [
    {"label": "the assignment's test", "shape": [1, 4, 4, 3], "graph_seed": 1, "seeds": [3, 9]},
    {"label": "a wide volume, the first an array", "shape": [1, 3, 5, 6], "graph_seed": 2, "seeds": [5, 11],
     "as_used": True},
    {"label": "a tall volume, the first an array", "shape": [1, 6, 2, 8], "graph_seed": 3, "seeds": [13, 17],
     "as_used": True},
]


def soft_disc(height, width, radius, edge):
    """A disc mask at an image's size: 1 inside, 0 outside, a linear ramp ``edge`` pixels wide between."""
    rows, cols = np.mgrid[:height, :width]
    distance = np.hypot(rows - height / 2 + 0.5, cols - width / 2 + 0.5)
    return np.clip((radius - distance) / edge, 0, 1).round(3).tolist()


def soft_band(height, width, top, bottom):
    """The mask of the rows above ``top`` (1), fading to 0 at ``bottom``."""
    ramp = np.clip((bottom - np.arange(height)) / (bottom - top), 0, 1).round(3)
    return np.repeat(ramp[:, None], width, axis=1).tolist()


#: compute_guided_gram: a tensor and a mask at the image's size (4x the layer's, but for case 1).
GUIDED_CASES = [
    {"label": "the left half, the mask at the layer's size", "shape": [1, 4, 6, 3], "graph_seed": 1, "seeds": [3],
     "mask": [[1.0] * 3 + [0.0] * 3] * 4},
    {"label": "a soft disc, the mask 4x the layer's size", "shape": [1, 4, 6, 5], "graph_seed": 2, "seeds": [5],
     "mask": soft_disc(16, 24, 7, 3)},
    {"label": "a mask of ones: the Gram matrix per position", "shape": [1, 3, 5, 4], "graph_seed": 3, "seeds": [7],
     "mask": [[1.0] * 20] * 12},
    {"label": "a soft band at the top of a tall layer", "shape": [1, 6, 4, 6], "graph_seed": 4, "seeds": [9],
     "mask": soft_band(24, 16, 6, 14)},
]
CASES = {
    "unroll_volume": [
        {"label": "the assignment's volume", "shape": [1, 4, 4, 3], "graph_seed": 1, "seeds": [3]},
        {"label": "n_H != n_W", "shape": [1, 2, 3, 4], "graph_seed": 2, "seeds": [5]},
        {"label": "many channels", "shape": [1, 3, 2, 7], "graph_seed": 3, "seeds": [7]},
    ],
    "compute_content_cost": PAIR_CASES,
    "gram_matrix": [
        {"label": "the assignment's test", "shape": [3, 2], "graph_seed": 1, "seeds": [3]},
        {"label": "more positions than channels", "shape": [4, 7], "graph_seed": 2, "seeds": [5]},
        {"label": "more channels than positions", "shape": [6, 3], "graph_seed": 3, "seeds": [7]},
    ],
    "compute_layer_style_cost": PAIR_CASES + [  # (n_H*n_W)**2 beyond 32-bit integers, as in a real layer
        {"label": "a photo-sized volume", "shape": [1, 240, 320, 3], "graph_seed": 4, "seeds": [19, 23],
         "as_used": True},
    ],
    "total_cost": [
        {"label": "the assignment's test", "np_seed": 3},
        {"label": "alpha=1, beta=100, tensors", "np_seed": 5, "kwargs": {"alpha": 1, "beta": 100}, "as_used": True},
        {"label": "alpha=7, beta=0.5, tensors", "np_seed": 7, "kwargs": {"alpha": 7, "beta": 0.5}, "as_used": True},
    ],
    "compute_style_cost": [
        {"label": "the assignment's five layers", "net_seed": 1, "image_seed": 2,
         "layers": [[f"conv{b}_1", 0.2] for b in range(1, 6)]},
        {"label": "three layers, unequal weights", "net_seed": 3, "image_seed": 4,
         "layers": [["conv1_1", 0.5], ["conv3_1", 0.3], ["conv5_1", 0.2]]},
        {"label": "one layer", "net_seed": 5, "image_seed": 6, "layers": [["conv2_1", 1.0]]},
    ],
    "build_total_cost": [
        {"label": "alpha=10, beta=40", "net_seed": 1, "image_seed": 7},
        {"label": "alpha=1, beta=100", "net_seed": 3, "image_seed": 8, "kwargs": {"alpha": 1, "beta": 100}},
    ],
    "model_nn": [
        {"label": "3 iterations", "net_seed": 1, "image_seed": 9, "learning_rate": 2.0, "iterations": 3},
        {"label": "5 iterations", "net_seed": 3, "image_seed": 10, "learning_rate": 5.0, "iterations": 5},
    ],
    "compute_guided_gram": GUIDED_CASES,
}


def build():
    data = {}
    for name, cases in CASES.items():
        reference = checks.REFERENCES[name]
        data[name] = [dict(case, expected=checks.evaluate(reference, name, case).tolist()) for case in cases]
    return data


if __name__ == "__main__":
    path = Path(checks.__file__).with_name("check_data.json")
    path.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {path}")
