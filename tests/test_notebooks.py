"""The notebook series: learner copies are fresh and run, source notebooks are clean and complete.

nbval itself (``make test``) re-runs every source notebook and compares its stored outputs.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nst_utils.short_run import shorten

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COPIES = sorted((ROOT / "notebooks" / "assignments").glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [f"{n:02d}" for n in range(8)]


def read(path):
    return nbformat.read(path, as_version=4)


def output_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.extend(str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
        parts.extend(out.get("traceback", []))
    return "".join(parts)


def test_series_is_complete():
    assert [p.name[:2] for p in SOURCES] == EXPECTED
    assert [p.name for p in COPIES] == [p.name for p in SOURCES]


def test_learner_copies_are_fresh():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "release.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_source_notebook_is_clean_and_complete(path):
    nb = read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run the notebook before committing"
    assert code[0].source.lstrip().startswith("import nst_utils"), "import nst_utils first (quiet TensorFlow)"
    for cell in code:
        text = output_text(cell)
        for bad in ("Traceback", "WARNING:tensorflow", "/root/", "/home/", "/work/", "site-packages", "0x7f"):
            assert bad not in text, f"{bad!r} in the stored output of:\n{cell.source[:200]}"
        assert not any(o.get("name") == "stderr" for o in cell.get("outputs", [])), cell.source[:200]
        assert not re.search(r"<matplotlib\.|^Text\(", text, re.M), f"stray repr in:\n{cell.source[:200]}"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert markdown.count("# ") and "What you should remember" in markdown
    for image in re.findall(r"\]\((\.\./img/[^)]+)\)", markdown):
        assert (path.parent / image).is_file(), f"missing figure {image}"
    for i, cell in enumerate(nb.cells):  # each graded function is followed by its passing check
        graded = re.match(r"# GRADED FUNCTION: (\w+)", cell.source)
        if graded:
            assert "### START CODE HERE ###" in cell.source and "### BEGIN SOLUTION" in cell.source
            assert cell.metadata["nbgrader"]["solution"] is True
            check = next(c for c in nb.cells[i + 1:] if c.cell_type == "code")
            assert check.source.startswith(f"# CHECK: {graded[1]}")
            assert check.metadata["nbgrader"]["grade"] is True
            assert re.search(r"All \d+ cases passed: the cells below use your", output_text(check))


@pytest.mark.parametrize("moved", [False, True])
def test_output_folder_moves_with_nst_output_dir(tmp_path, moved):
    """make test never overwrites a learner's pictures: the tests save into their own folder."""
    env = {k: v for k, v in os.environ.items() if k != "NST_OUTPUT_DIR"}
    if moved:
        env["NST_OUTPUT_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", "import nst_utils as nst; print(nst.CONFIG.OUTPUT_DIR)"],
                            env=env, capture_output=True, text=True, check=True)
    assert Path(result.stdout.strip()) == (tmp_path if moved else ROOT / "output")
    assert Path(os.environ["NST_OUTPUT_DIR"]) != ROOT / "output"  # set for this session by conftest.py


def execute_fast(path):
    """Execute a notebook in its short run (nst_utils.short_run); return the executed notebook."""
    from nbclient import NotebookClient

    nb = read(path)
    for cell in nb.cells:
        shorten(cell)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def has_exercises(nb):
    return any(c.source.startswith("# GRADED FUNCTION:") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", [p for p in COPIES if not has_exercises(read(p))], ids=lambda p: p.stem)
def test_a_copy_without_exercises_runs_the_sources_code(path):
    """A notebook without exercises (00, 06): its copy's code is the source's, # NBVAL_ lines aside, and names no
    relative path (the copy runs one folder deeper), so nbval's run of the source runs it; the copy is not run
    again (06's short run alone takes two minutes)."""
    source = read(ROOT / "notebooks" / path.name)
    unmarked = ["\n".join(line for line in c.source.split("\n") if not line.strip().startswith("# NBVAL_"))
                for c in source.cells if c.cell_type == "code"]
    code = [c.source for c in read(path).cells if c.cell_type == "code"]
    assert code == unmarked
    assert not any("../" in cell for cell in code)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in COPIES if has_exercises(read(p))], ids=lambda p: p.stem)
def test_learner_copy_runs_and_checks_report_failure(path):
    source = read(ROOT / "notebooks" / path.name)
    nb = execute_fast(path)  # raises CellExecutionError if any cell fails
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# CHECK:")]
    assert len(checks) == sum(c.source.startswith("# CHECK:") for c in source.cells if c.cell_type == "code")
    for cell in checks:
        text = output_text(cell)
        assert "FAILED" in text and "returned None" in text and "cases passed: the cells below use your" not in text
        assert "run its cell again, then this cell" in text
    for cell in nb.cells:
        assert "### BEGIN SOLUTION" not in cell.source and "NBVAL" not in cell.source
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    for name in re.findall(r'CONFIG\.OUTPUT_DIR / "([^"]+)"', code):
        saved = Path(os.environ["NST_OUTPUT_DIR"]) / name  # the test session's folder (conftest.py)
        assert saved.is_file(), f"{name} not saved in {saved.parent}"
    images, stored = (sum(any(k.startswith("image/") for k in o.get("data", {})) for c in n.cells
                          for o in c.get("outputs", [])) for n in (nb, source))
    assert images == stored, "the learner copy should show the same pictures as the source"
