"""The notebooks' stored outputs hold on a learner's CPU: another oneDNN instruction set, or no oneDNN.

Notebooks 00, 01, 03 and 04 (each up to its last compared print) run under nbval in each setting. The long
ones are proved by what they printed in another setting where it differed from the stored output (measured
once, kept in ``portable_outputs.json``).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from printed_precision import agree_to_printed_precision

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {  # a laptop's instruction set (no AVX-512); TensorFlow's own kernels, as on Apple silicon
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "no-onednn": {"TF_ENABLE_ONEDNN_OPTS": "0"},
}
SHORT = ["00_introduction", "01_unrolling_volumes", "03_gram_matrix", "04_style_cost"]
OBSERVED = json.loads((Path(__file__).parent / "portable_outputs.json").read_text())


def stored_stdout(notebook, cell):
    code = [c for c in nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells if c.cell_type == "code"]
    return "".join(o.text for o in code[cell].outputs if o.get("name") == "stdout")


def unprinted_tail(name):
    """nbval ids of the cells after a notebook's last compared print: they compare nothing a CPU can change
    (pictures are not compared); in 04 they are 2 minutes of texture reconstruction."""
    path = f"notebooks/{name}.ipynb"
    code = [c for c in nbformat.read(ROOT / path, as_version=4).cells if c.cell_type == "code"]
    last = max(i for i, c in enumerate(code) if "NBVAL_IGNORE_OUTPUT" not in c.source
               and any(o.get("name") == "stdout" for o in c.outputs))
    return [f"{path}::Cell {i}" for i in range(last + 1, len(code))]


@pytest.mark.slow
@pytest.mark.parametrize("setting", SETTINGS)
def test_short_notebooks_pass_nbval(setting):
    deselect = [arg for name in SHORT for cell in unprinted_tail(name) for arg in ("--deselect", cell)]
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                             "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", "--color=no", *deselect,
                             *(f"notebooks/{name}.ipynb" for name in SHORT)],
                            cwd=ROOT, env={**os.environ, **SETTINGS[setting]}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("seen", OBSERVED, ids=lambda seen: f"{seen['notebook'][:2]}-{seen['cell']}-{seen['setting']}")
def test_long_notebooks_outputs_agree_to_printed_precision(seen):
    assert seen["setting"] in SETTINGS
    assert seen["stored"] == stored_stdout(seen["notebook"], seen["cell"]), "stored output changed: observe it again"
    assert seen["observed"] != seen["stored"]
    assert agree_to_printed_precision(seen["stored"], seen["observed"])
