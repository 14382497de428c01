"""Printed numbers compared to their printed precision: the rule, and nbval using it (../conftest.py)."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from printed_precision import agree_to_printed_precision

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("expected, actual", [
    ("J = 1.23e+04", "J = 1.24e+04"),
    ("cost 0.0231\n", "cost 0.0232\n"),
    ("12.5 % of the passes", "12.4 % of the passes"),
    ("9.99e-01", "1.00e+00"),  # across a power of ten: one unit of the coarser
    ("entries [-1.683, 1.385, -1.92, ...]", "entries [-1.684, 1.385, -1.92, ...]"),
    ("shape (3, 16), entries [6.422]", "shape (3, 16), entries [6.422]"),
])
def test_last_digit_differences_agree(expected, actual):
    assert agree_to_printed_precision(expected, actual)


@pytest.mark.parametrize("expected, actual", [
    ("shape (1, 64)", "shape (1, 65)"),  # an integer
    ("200 iterations", "201 iterations"),
    ("case 1: passed, 0.0231", "case 1: failed, 0.0231"),  # a different word
    ("cost 0.0231", "cost 0.0233"),  # two units
    ("cost 1.23e+04", "cost 1.23e+05"),
    ("-0.0231", "0.0231"),  # a sign change
    ("-0.0", "0.0"),
    ("0.0231 0.5", "0.0231"),  # a different number of tokens
    ("a 0.1 b", "a 0.1 b 0.1"),
    ("version 1.2.3", "version 1.2.4"),  # a dotted string is text
    ("conv1_1 0.5", "conv1_2 0.5"),
    ("15", "15.1"),  # an integer against a decimal
    ("a  0.5", "a 0.5"),  # white space
])
def test_other_differences_do_not_agree(expected, actual):
    assert not agree_to_printed_precision(expected, actual)


def stored(cell_source, **output):
    cell = new_code_cell(cell_source, execution_count=1)
    cell.outputs = [new_output(**output)]
    return cell


def test_nbval_compares_to_printed_precision(tmp_path):
    """The repository's conftest.py makes nbval accept last-digit differences in stdout and results only."""
    cells = [
        stored('print("J = 0.0232, shape (3, 4)")', output_type="stream", name="stdout",
               text="J = 0.0231, shape (3, 4)\n"),
        stored("0.0232", output_type="execute_result", data={"text/plain": "0.0231"}, execution_count=1),
        stored('print("J = 0.0232, shape (3, 4)")', output_type="stream", name="stdout",
               text="J = 0.0234, shape (3, 4)\n"),
        stored('print("J = 0.0232, shape (3, 4)")', output_type="stream", name="stdout",
               text="J = 0.0232, shape (3, 5)\n"),
        stored('import sys; print("J = 0.0232", file=sys.stderr)', output_type="stream", name="stderr",
               text="J = 0.0231\n"),
    ]
    nbformat.write(new_notebook(cells=cells), tmp_path / "numbers.ipynb")
    shutil.copy(ROOT / "conftest.py", tmp_path)
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p",
                             "no:cacheprovider", "-rA", "--color=no", "numbers.ipynb"],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=300)
    verdicts = {cell: verdict for verdict, cell in
                re.findall(r"^(PASSED|FAILED) numbers.ipynb::(Cell \d+)", result.stdout, re.M)}
    assert verdicts == {"Cell 0": "PASSED", "Cell 1": "PASSED", "Cell 2": "FAILED", "Cell 3": "FAILED",
                        "Cell 4": "FAILED"}, result.stdout + result.stderr
    # Each failure is an output difference, not an error. (Under CI=1 pytest repeats the message in full in
    # its short summary, so count the cells, not the lines.)
    differing = set(re.findall(r"^(Cell \d+): Cell outputs differ", result.stdout, re.M))
    assert differing == {"Cell 2", "Cell 3", "Cell 4"}, result.stdout
