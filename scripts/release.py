"""``make release``: learner copies in notebooks/assignments/ from the source notebooks in notebooks/.

In each source notebook ``NN_name.ipynb`` this also (re)writes, idempotently:
- the navigation cells (first and last cell, tagged ``navigation``);
- nbgrader metadata: a cell starting ``# GRADED FUNCTION: name`` is a solution cell, a cell starting
  ``# CHECK: name`` a locked, graded test cell (1 point);
- the code block of the ``**Expected output**`` markdown cell that follows each check cell: the check's
  stored output, so that the text always shows what the reference prints.
The learner copy of a source has its outputs cleared, each ``### BEGIN SOLUTION`` ...
``### END SOLUTION`` region replaced by the region's comments and its assignments set to ``None``
(so an unfinished function returns None), ``# NBVAL_`` markers removed and image paths adjusted.
``--check`` writes nothing and fails if any file is out of date.
"""
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks"
COPIES = SOURCES / "assignments"
ASSIGNMENT = re.compile(r"^(\s*)([A-Za-z_][\w\s,.\[\]]*?)\s*=(?!=)")


def stub_solutions(source):
    """Replace every solution region of a code cell's source by its learner stub."""
    out, region = [], None
    for line in source.split("\n"):
        marker = line.strip()
        if marker == "### BEGIN SOLUTION":
            region = []
            continue
        if marker == "### END SOLUTION":
            out.extend(_stub(region))
            region = None
            continue
        (out if region is None else region).append(line)
    if region is not None:
        raise ValueError("### BEGIN SOLUTION without ### END SOLUTION")
    return "\n".join(out)


def _stub(lines):
    code = [line for line in lines if line.strip() and not line.strip().startswith("#")]
    base = min((len(line) - len(line.lstrip()) for line in code), default=0)
    stub = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            stub.append(line)
            continue
        match = ASSIGNMENT.match(line)
        if match and len(match[1]) == base:
            targets = match[2].strip()
            count = len([t for t in targets.split(",") if t.strip()])
            stub.append(f"{match[1]}{targets} = {', '.join(['None'] * count)}")
    return stub


def nbgrader_metadata(cell):
    first = cell.source.split("\n", 1)[0]
    graded = re.match(r"# GRADED FUNCTION: (\w+)", first)
    checked = re.match(r"# CHECK: (\w+)", first)
    meta = {"schema_version": 3, "task": False}
    if graded:
        return dict(meta, grade=False, solution=True, locked=False, grade_id=graded[1])
    if checked:
        return dict(meta, grade=True, solution=False, locked=True, points=1, grade_id=f"check_{checked[1]}")
    return None


def expected_output(nb):
    """Fill each check's ``**Expected output**`` block with the check cell's stored output."""
    for cell, after in zip(nb.cells, nb.cells[1:]):
        if cell.cell_type != "code" or not cell.source.startswith("# CHECK: "):
            continue
        if after.cell_type != "markdown" or not after.source.startswith("**Expected output**"):
            raise ValueError(f"{cell.source.splitlines()[0]}: no '**Expected output**' markdown cell after it")
        printed = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout").strip("\n")
        if printed:
            head, _, rest = after.source.partition("```\n")
            _, _, tail = rest.partition("```")
            after.source = f"{head}```\n{printed}\n```{tail}"


def navigation(paths, index):
    def link(i, arrow):
        title = title_of(paths[i])
        return f"[{arrow}{title}]({paths[i].name})" if arrow == "← " else f"[{title} →]({paths[i].name})"

    parts = []
    parts.append(link(index - 1, "← ") if index > 0 else "")
    parts.append(f"[Contents]({paths[0].name})")
    parts.append(link(index + 1, "") if index + 1 < len(paths) else "")
    return "*Neural Style Transfer, step by step* | " + " | ".join(p for p in parts if p)


def title_of(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.split("\n", 1)[0][2:].strip()
    raise ValueError(f"{path.name}: no '# Title' markdown cell")


def annotate(nb, paths, index):
    """The source notebook with navigation cells and nbgrader metadata in place."""
    nb = copy.deepcopy(nb)
    nav = navigation(paths, index)
    cells = [c for c in nb.cells if "navigation" not in c.metadata.get("tags", [])]
    top = nbformat.v4.new_markdown_cell(nav, metadata={"tags": ["navigation"]})
    bottom = nbformat.v4.new_markdown_cell(nav, metadata={"tags": ["navigation"]})
    old = [c for c in nb.cells if "navigation" in c.metadata.get("tags", [])]
    if len(old) == 2:  # keep cell ids stable
        top.id, bottom.id = old[0].id, old[1].id
    nb.cells = [top] + cells + [bottom]
    expected_output(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = nbgrader_metadata(cell)
        if meta:
            cell.metadata["nbgrader"] = meta
        else:
            cell.metadata.pop("nbgrader", None)
    return nb


def learner_copy(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            source = stub_solutions(cell.source)
            cell.source = "\n".join(l for l in source.split("\n") if not l.strip().startswith("# NBVAL_"))
        else:
            cell.source = cell.source.replace("../img/", "../../img/")
        cell.metadata.pop("execution", None)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    return nb


def plan():
    """{path: expected text} for every source and learner copy."""
    paths = sorted(SOURCES.glob("[0-9][0-9]_*.ipynb"))
    files = {}
    for i, path in enumerate(paths):
        source = annotate(nbformat.read(path, as_version=4), paths, i)
        files[path] = nbformat.writes(source) + "\n"
        files[COPIES / path.name] = nbformat.writes(learner_copy(source)) + "\n"
    return files


def main(argv):
    files = plan()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    extra = [p for p in COPIES.glob("*.ipynb") if p not in files]
    if "--check" in argv:
        for p in stale + extra:
            print(f"out of date: {p.relative_to(ROOT)}")
        if stale or extra:
            print("run: make release")
            return 1
        print(f"{len(files)} notebooks up to date")
        return 0
    COPIES.mkdir(exist_ok=True)
    for p in stale:
        p.write_text(files[p])
        print(f"wrote {p.relative_to(ROOT)}")
    for p in extra:
        p.unlink()
        print(f"removed {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
