"""``make course``: an nbgrader course directory built from the source notebooks.

    python scripts/make_course.py COURSE_DIR [NOTEBOOK ...]

NOTEBOOK is a source notebook's path, name or number (``01``, ``01_unrolling_volumes``); without any,
every notebook of the series. Each notebook becomes its own assignment, named like the notebook:
``COURSE_DIR/source/01_unrolling_volumes/01_unrolling_volumes.ipynb``. The copy differs from the source:

- outputs cleared, navigation cells (links to the other notebooks) and ``# NBVAL_`` markers removed;
- nbgrader metadata as ``scripts/release.py`` sets it: ``# GRADED FUNCTION: name`` is a solution cell,
  ``# CHECK: name`` a locked test cell worth 1 point (grade_id ``check_name``);
- each check cell rewritten to grade (:func:`graded_check`): it imports its check itself, so that nothing a
  student defines above stands in for it, and asserts the verdict, so that a failed check scores 0 and its
  report is the error's message (what ``nbgrader validate`` and the feedback show);
- each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region split so that its step comments sit outside
  the markers and each run of code between them is its own region: ``nbgrader generate_assignment``
  replaces a region by its stub, and the students keep every step's comment;
- each figure a markdown cell links (``![...](../img/figures/x.png)``) embedded in the cell as an attachment
  (``attachment:x.png``), so that it shows in the released, submitted, autograded and feedback copies.

The course's configuration is copied from ``teach/`` (``nbgrader_config.py``), each file only where the
course has none: a teacher's edits stay. Nothing else in the course directory (gradebook, release,
submitted, ...) is touched.
"""
import argparse
import base64
import copy
import mimetypes
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks"
TEMPLATE = ROOT / "teach"  # its files are copied into every course (nbgrader_config.py)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from release import nbgrader_metadata  # noqa: E402  (one definition of the graded cells)

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")


def _indent(line):
    return line[:len(line) - len(line.lstrip())]


def _is_code(line):
    return bool(line.strip()) and not line.strip().startswith("#")


def split_solutions(source):
    """Rewrite every solution region so that its step comments are outside the markers.

    A comment line at the indentation of the region's code separates two regions; a run of code (with
    any comment or blank line inside it) becomes one region; blank lines around a run stay outside.
    """
    out, region, marker_indent = [], None, ""
    for line in source.split("\n"):
        if line.strip() == BEGIN:
            if region is not None:
                raise ValueError(f"nested {BEGIN}")
            region, marker_indent = [], _indent(line)
        elif line.strip() == END:
            if region is None:
                raise ValueError(f"{END} without {BEGIN}")
            out.extend(_split_region(region, marker_indent))
            region = None
        else:
            (out if region is None else region).append(line)
    if region is not None:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out)


def _split_region(lines, marker_indent):
    code = [line for line in lines if _is_code(line)]
    if not code:  # nothing to hide: keep the region as it was
        return [marker_indent + BEGIN] + lines + [marker_indent + END]
    base = min((_indent(line) for line in code), key=len)
    chunks, chunk = [], []
    for line in lines:
        step_comment = line.strip().startswith("#") and len(_indent(line)) <= len(base)
        if step_comment:
            chunks.append(chunk)
            chunks.append([line])
            chunk = []
        else:
            chunk.append(line)
    chunks.append(chunk)
    out = []
    for chunk in chunks:
        if not any(_is_code(line) for line in chunk):
            out.extend(chunk)
            continue
        first = next(i for i, line in enumerate(chunk) if line.strip())
        last = max(i for i, line in enumerate(chunk) if line.strip())
        out.extend(chunk[:first])
        out.append(base + BEGIN)
        out.extend(chunk[first:last + 1])
        out.append(base + END)
        out.extend(chunk[last + 1:])
    return out


def graded_check(source):
    """The course's version of a check cell ``# CHECK: name`` / ``check_name(name)``: see the module's doc."""
    first, _, body = source.partition("\n")
    name = re.fullmatch(r"# CHECK: (\w+)", first)[1]
    if body.strip() != f"check_{name}({name})":
        raise ValueError(f"{first}: expected the cell's code to be check_{name}({name}), not {body.strip()!r}")
    return "\n".join([
        first,
        f"from nst_utils.checks import check_{name}  # imported here: nothing defined above can stand in for it",
        f"verdict = check_{name}({name})",
        "assert verdict, verdict.report  # a failed check scores 0; its report is the error's message",
    ])


def embed_figures(cell, folder):
    """Replace each local image a markdown cell links by a cell attachment of the same file."""
    attachments = dict(cell.get("attachments") or {})

    def attach(match):
        target = match[2]
        if re.match(r"[a-z]+:", target):  # http:, https:, data:, attachment:
            return match[0]
        path = (folder / target).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"figure {target} not found ({path})")
        mime = mimetypes.guess_type(path.name)[0]
        if not mime or not mime.startswith("image/"):
            raise ValueError(f"figure {target}: not an image")
        name, n = path.name, 1
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        while name in attachments and attachments[name] != {mime: data}:  # another image of the same name
            n += 1
            name = f"{path.stem}_{n}{path.suffix}"
        attachments[name] = {mime: data}
        return f"{match[1]}attachment:{name}{match[3]}"

    cell.source = IMAGE.sub(attach, cell.source)
    if attachments:
        cell["attachments"] = attachments


def course_notebook(nb, folder=SOURCES):
    """The course's source version of a source notebook (solutions kept, see the module's doc)."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "navigation" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            lines = [line for line in cell.source.split("\n") if not line.strip().startswith("# NBVAL_")]
            cell.source = split_solutions("\n".join(lines))
            if cell.source.startswith("# CHECK: "):
                cell.source = graded_check(cell.source)
            meta = nbgrader_metadata(cell)
            if meta:
                cell.metadata["nbgrader"] = meta
            else:
                cell.metadata.pop("nbgrader", None)
        elif cell.cell_type == "markdown":
            embed_figures(cell, folder)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    return nb


def select(names):
    paths = sorted(SOURCES.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return paths
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        found = [p for p in paths if p.stem == stem or p.stem.startswith(stem + "_")]
        if len(found) != 1:
            raise SystemExit(f"no single source notebook matches {name!r}; choose among: "
                             + ", ".join(p.stem for p in paths))
        chosen.extend(p for p in found if p not in chosen)
    return chosen


def build(course, names=()):
    """Write the course's configuration (where missing) and source/<assignment>/; return the assignments."""
    course = Path(course).expanduser().resolve()
    course.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        target = course / path.relative_to(TEMPLATE)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            print(f"wrote {target.relative_to(course)}")
        elif target.read_bytes() != path.read_bytes():
            print(f"kept {target.relative_to(course)}: yours differs from {path.relative_to(ROOT)}")
    assignments = []
    for path in select(names):
        nb = course_notebook(nbformat.read(path, as_version=4), path.parent)
        nbformat.validate(nb)
        target = course / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nbformat.writes(nb) + "\n")
        graded = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
        print(f"wrote {target.relative_to(course)}" + (f"  ({', '.join(graded)})" if graded else "  (no graded cells)"))
        assignments.append(path.stem)
    return assignments


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("course", help="the course directory (created if missing)")
    parser.add_argument("notebooks", nargs="*", help="source notebooks (path, name or number); default: all")
    args = parser.parse_args(argv)
    assignments = build(args.course, args.notebooks)
    course = Path(args.course).expanduser().resolve()
    print("\nnext (README, \"For teachers: grading with nbgrader\"):")
    if sys.prefix != sys.base_prefix:  # nbgrader runs alembic, which must be on PATH: activate the venv
        print(f"  source {Path(sys.prefix) / 'bin' / 'activate'}")
    print(f"  cd {course}")
    for assignment in assignments:
        print(f"  nbgrader generate_assignment {assignment}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
