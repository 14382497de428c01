"""The notebooks' stored outputs hold on a learner's CPU: another oneDNN instruction set, or no oneDNN.

Notebooks 00, 01, 03 and 04 (each up to its last compared print) run under nbval in each setting. The long
ones are proved by runs in each setting recorded in ``portable_outputs.json`` (``scripts/observe_outputs.py``):
the fingerprint of the stored outputs they were compared with, and each printed text that came out
otherwise, which must agree with the stored one to printed precision.
"""
import configparser
import hashlib
import json
import os
import re
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
RECORDS = Path(__file__).parent / "portable_outputs.json"
OBSERVED = json.loads(RECORDS.read_text())


def sanitize(text):
    """``text`` as nbval compares it: with the replacements of ``nbval_sanitize.cfg`` (times, addresses, the
    precision a CPU chooses)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(Path(__file__).with_name("nbval_sanitize.cfg"))
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def stdout(nb, i):
    code = [c for c in nb.cells if c.cell_type == "code"]
    return "".join(o.text for o in code[i].outputs if o.get("name") == "stdout")


def compared_cells(nb):
    """The code cells (numbered among code cells, as nbval does) whose printed text nbval compares."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [i for i, c in enumerate(code) if "NBVAL_IGNORE_OUTPUT" not in c.source and stdout(nb, i)]


def fingerprint(nb, cells):
    return hashlib.sha256("\0".join(stdout(nb, i) for i in cells).encode()).hexdigest()


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


@pytest.mark.parametrize("run", OBSERVED, ids=lambda run: f"{run['notebook'][:2]}-{run['setting']}")
def test_long_notebooks_outputs_agree_to_printed_precision(run):
    assert run["setting"] in SETTINGS
    nb = nbformat.read(ROOT / "notebooks" / run["notebook"], as_version=4)
    stale = "the stored outputs changed since this run: python scripts/observe_outputs.py " + run["notebook"][:2]
    assert run["compared_cells"] == compared_cells(nb), stale
    assert run["stored_sha256"] == fingerprint(nb, run["compared_cells"]), stale
    for seen in run["differences"]:
        assert seen["stored"] == stdout(nb, seen["cell"]) != seen["observed"]
        assert agree_to_printed_precision(sanitize(seen["stored"]), sanitize(seen["observed"])), seen


def test_every_long_notebook_was_observed_in_every_setting():
    long = sorted(p.name for p in (ROOT / "notebooks").glob("0[0-9]_*.ipynb") if p.stem not in SHORT)
    assert sorted((run["notebook"], run["setting"]) for run in OBSERVED) == [(n, s) for n in long for s in SETTINGS]
