"""Grading with nbgrader: a course built by scripts/make_course.py, released, collected, autograded, fed back.

The fast tests check the course builder's rewriting; the slow one runs a teacher's whole workflow with the
real ``nbgrader`` commands on notebook 01 for five students: ``correct`` (the source's solution), ``blank``
(the released copy as it is), ``wrong`` (a bare reshape), ``cheat`` (calls the packaged reference) and
``tamper`` (a bare reshape, with the check redefined and nbgrader's environment variable removed).
"""
import base64
import copy
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_course  # noqa: E402

BIN = Path(sys.executable).parent
ASSIGNMENT = "01_unrolling_volumes"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
FIGURE = ROOT / "img" / "figures" / "unrolling.png"
STUB = 'raise NotImplementedError("replace this line with your code")'
STUDENTS = {  # what each student writes in place of the two stubs of unroll_volume (None: the solution)
    "correct": None,
    "blank": [],
    "wrong": ["m, n_H, n_W, n_C = a.get_shape().as_list()", "a_unrolled = tf.reshape(a, [n_C, n_H * n_W])"],
    "cheat": ["return nst.unroll_volume(a)"],
    "tamper": ["m, n_H, n_W, n_C = a.get_shape().as_list()", "a_unrolled = tf.reshape(a, [n_C, n_H * n_W])"],
}
TAMPERING = ("\n\nimport os\nos.environ.pop('NBGRADER_EXECUTION', None)\n\n\n"
             "def check_unroll_volume(fn):  # a check that always passes\n    return True\n")
HINT = "a bare reshape to (n_C, n_H*n_W) mixes channels"


def read(path):
    return nbformat.read(path, as_version=4)


def graded_cell(nb):
    return next(c for c in nb.cells if c.source.startswith("# GRADED FUNCTION: unroll_volume"))


def comments(source):
    return [line.strip() for line in source.split("\n") if line.strip().startswith("#")
            and line.strip() not in (make_course.BEGIN, make_course.END)]


# --- the course builder ---------------------------------------------------------------------------

def test_split_solutions_puts_step_comments_outside_the_regions():
    source = "\n".join([
        "def f(a):",
        "    ### START CODE HERE ###",
        "    ### BEGIN SOLUTION",
        "    # Step one (≈1 line)",
        "    x = a + 1",
        "",
        "    # Step two: a loop (≈3 lines)",
        "    for i in range(3):",
        "        # a comment inside the loop stays with its code",
        "        x += i",
        "",
        "    y = x",
        "    ### END SOLUTION",
        "    ### END CODE HERE ###",
        "    return y",
    ])
    assert make_course.split_solutions(source).split("\n") == [
        "def f(a):",
        "    ### START CODE HERE ###",
        "    # Step one (≈1 line)",
        "    ### BEGIN SOLUTION",
        "    x = a + 1",
        "    ### END SOLUTION",
        "",
        "    # Step two: a loop (≈3 lines)",
        "    ### BEGIN SOLUTION",
        "    for i in range(3):",
        "        # a comment inside the loop stays with its code",
        "        x += i",
        "",
        "    y = x",
        "    ### END SOLUTION",
        "    ### END CODE HERE ###",
        "    return y",
    ]
    with pytest.raises(ValueError):
        make_course.split_solutions("### BEGIN SOLUTION\nx = 1")


def test_course_notebook_of_01():
    source = read(ROOT / "notebooks" / NOTEBOOK)
    nb = make_course.course_notebook(source)
    assert not any("navigation" in c.metadata.get("tags", []) for c in nb.cells)
    assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert not any("NBVAL" in c.source for c in nb.cells)
    cell = graded_cell(nb)
    assert cell.metadata["nbgrader"]["grade_id"] == "unroll_volume" and cell.metadata["nbgrader"]["solution"]
    assert comments(cell.source) == comments(graded_cell(source).source)
    assert cell.source.count(make_course.BEGIN) == cell.source.count(make_course.END) == 2
    check = next(c for c in nb.cells if c.source.startswith("# CHECK: unroll_volume"))
    assert check.metadata["nbgrader"] == dict(schema_version=3, task=False, grade=True, solution=False,
                                              locked=True, points=1, grade_id="check_unroll_volume")
    code = [line.split("  #")[0] for line in check.source.split("\n")[1:]]
    assert code == ["from nst_utils.checks import check_unroll_volume", "verdict = check_unroll_volume(unroll_volume)",
                    "assert verdict, verdict.report"]
    figures = [c for c in nb.cells if c.get("attachments")]
    assert len(figures) == 1 and "](attachment:unrolling.png)" in figures[0].source
    assert figures[0].attachments["unrolling.png"]["image/png"] == base64.b64encode(FIGURE.read_bytes()).decode()
    assert not any("../img/" in c.source for c in nb.cells if c.cell_type == "markdown")
    nbformat.validate(nb)


def test_every_source_notebook_makes_a_course_notebook():
    for path in make_course.select([]):
        nb = make_course.course_notebook(read(path), path.parent)
        nbformat.validate(nb)
        assert not any("../img/" in c.source for c in nb.cells if c.cell_type == "markdown"), path.name


# --- a teacher's workflow with the real nbgrader commands ----------------------------------------

def nbgrader(course, *args, check=True):
    """Run ``nbgrader ARGS`` in the course directory as a teacher would (the venv's bin on PATH)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_CONFIG_DIR=str(course.parent / "jupyter-config"))  # no personal nbgrader config
    env.pop("NBGRADER_EXECUTION", None)
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=900)
    output = result.stdout + result.stderr
    if check:
        assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output[-4000:]}"
    return output


def submission(released, solution_cell, lines):
    """The released notebook with the graded cell filled in: stubs replaced by ``lines`` in order."""
    nb = copy.deepcopy(released)
    cell = graded_cell(nb)
    if lines is None:  # the solution, as a student would write it (no markers)
        cell.source = "\n".join(line for line in solution_cell.source.split("\n")
                                if line.strip() not in (make_course.BEGIN, make_course.END))
        return nb
    for line in lines:
        assert STUB in cell.source
        cell.source = cell.source.replace(STUB, line, 1)
    return nb


def tampered(nb):
    graded_cell(nb).source += TAMPERING
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course of notebook 01: built, generated, collected from an LMS zip, autograded, fed back."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    assert make_course.build(course, ["01"]) == [ASSIGNMENT]
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = read(course / "release" / ASSIGNMENT / NOTEBOOK)
    solution = graded_cell(read(course / "source" / ASSIGNMENT / NOTEBOOK))
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zf:
        for student, lines in STUDENTS.items():
            nb = submission(released, solution, lines)
            zf.writestr(f"{student}_{NOTEBOOK}", nbformat.writes(tampered(nb) if student == "tamper" else nb))
    nbgrader(course, "zip_collect", ASSIGNMENT)
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    return course


@pytest.mark.slow
def test_released_notebook_keeps_step_comments_and_figures_but_no_solution(course):
    source = read(ROOT / "notebooks" / NOTEBOOK)
    released = read(course / "release" / ASSIGNMENT / NOTEBOOK)
    cell = graded_cell(released)
    assert comments(cell.source) == comments(graded_cell(source).source)
    assert cell.source.count(STUB) == 2
    assert "### BEGIN SOLUTION" not in cell.source and "get_shape" not in cell.source
    assert "tf.transpose" not in cell.source and "tf.reshape" not in cell.source
    assert all(not c.outputs for c in released.cells if c.cell_type == "code")
    figure = next(c for c in released.cells if c.get("attachments"))
    assert "](attachment:unrolling.png)" in figure.source
    assert figure.attachments["unrolling.png"]["image/png"] == base64.b64encode(FIGURE.read_bytes()).decode()


@pytest.mark.slow
def test_autograde_scores(course):
    from nbgrader.api import Gradebook

    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(STUDENTS)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="nst") as gradebook:
        scores = {s: gradebook.find_submission(ASSIGNMENT, s).score for s in STUDENTS}
        assert gradebook.find_assignment(ASSIGNMENT).max_score == 1
    assert scores == {"correct": 1, "blank": 0, "wrong": 0, "cheat": 0, "tamper": 0}


@pytest.mark.slow
def test_validate_fails_a_blank_notebook_and_passes_the_solution(course):
    blank = nbgrader(course, "validate", f"submitted/blank/{ASSIGNMENT}/{NOTEBOOK}")
    assert "VALIDATION FAILED" in blank, blank[-3000:]
    wrong = nbgrader(course, "validate", f"submitted/wrong/{ASSIGNMENT}/{NOTEBOOK}")
    assert "VALIDATION FAILED" in wrong and HINT in wrong, wrong[-3000:]  # the check's report: its hint
    correct = nbgrader(course, "validate", f"submitted/correct/{ASSIGNMENT}/{NOTEBOOK}")
    assert "Success! Your notebook passes all the tests." in correct, correct[-3000:]
    assert "VALIDATION FAILED" not in correct


def printed(html):
    """The text the cells printed, in a feedback page (not the markdown around them)."""
    return "\n".join(re.findall(r'class="[^"]*output_stdout[^"]*">\s*<pre>(.*?)</pre>', html, re.S))


@pytest.mark.slow
def test_feedback_shows_the_hint_and_the_figure(course):
    figure = base64.b64encode(FIGURE.read_bytes()).decode()
    html = {s: (course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text() for s in STUDENTS}
    for student, page in html.items():
        images = re.findall(r"<img\b[^>]*>", page)
        assert any('alt="Unrolling an activation volume"' in tag and f'src="data:image/png;base64,{figure}"' in tag
                   for tag in images), f"{student}: the figure is not embedded"
        assert "../img/" not in page and "img { max-width: 100%" in page  # teach/nbgrader_config.py's fit_pictures
        score = "1.0 / 1.0" if student == "correct" else "0.0 / 1.0"
        assert f"{ASSIGNMENT} (Score: {score})" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert HINT in printed(html["wrong"])
    assert HINT not in printed(html["correct"]) and "All 3 cases passed" in printed(html["correct"])
    assert "NotImplementedError" in printed(html["blank"])


# --- autograding a long notebook: its short run -----------------------------------------------------

LONG = "05_total_cost_and_optimization"


def solved(released, source):
    """The released notebook with every graded cell filled in with the source's solution, as a student writes it."""
    nb = copy.deepcopy(released)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = "\n".join(line for line in solutions[grade_id].source.split("\n")
                                    if line.strip() not in (make_course.BEGIN, make_course.END))
    return nb


@pytest.mark.slow
def test_autograding_runs_the_long_optimisations_short_and_says_so(tmp_path):
    """Notebook 05 autograded (its 200-iteration recipe and its gallery run short, nst_utils.short_run): full
    marks for the solution, and the graded copy's parameters cell says that the run was short."""
    from nbgrader.api import Gradebook

    from nst_utils.short_run import NOTE

    course = tmp_path / "course"
    assert make_course.build(course, ["05"]) == [LONG]
    nbgrader(course, "generate_assignment", LONG)
    released = read(course / "release" / LONG / f"{LONG}.ipynb")
    submitted = course / "submitted" / "correct" / LONG
    submitted.mkdir(parents=True)
    nbformat.write(solved(released, read(course / "source" / LONG / f"{LONG}.ipynb")), submitted / f"{LONG}.ipynb")
    nbgrader(course, "autograde", LONG)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="nst") as gradebook:
        submission = gradebook.find_submission(LONG, "correct")
        assert submission.max_score >= 3 and submission.score == submission.max_score
    graded = read(course / "autograded" / "correct" / LONG / f"{LONG}.ipynb")
    parameters = next(c for c in graded.cells if "parameters" in c.metadata.get("tags", []))
    assert NOTE in parameters.source and parameters.source.rstrip().endswith("MAX_EVALUATIONS = 3")
