"""nbgrader configuration of the Neural Style Transfer course.

``make course`` (scripts/make_course.py) copies this file into the course directory, where nbgrader reads
it: run every ``nbgrader`` command from that directory. Edit the copy there, not this template: a rebuild
keeps a course's own ``nbgrader_config.py``.
"""
import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde
from nbgrader.preprocessors import GetGrades

from nst_utils.short_run import ShortRun

c = get_config()  # noqa: F821  (nbgrader's config loader defines it)

# The pictures the notebooks save (notebook 05's result) go to nst_output/ in this folder, not to the
# project's output/ (where every submission would replace the one before, and a teacher's own picture).
os.environ.setdefault("NST_OUTPUT_DIR", str(Path(__file__).resolve().parent / "nst_output"))

# One assignment per notebook, named like the notebook: source/01_unrolling_volumes/01_unrolling_volumes.ipynb.
c.CourseDirectory.course_id = "nst"

# Execution (nbgrader validate, autograde, and the Validate button): the notebooks run TensorFlow on the
# CPU. On two cores notebook 01 runs in about 15 s, but some cells take minutes (notebook 02's
# reconstructions, 05's 200-iteration optimisation and its gallery): nbgrader's default of 30 s per cell
# would stop them. A cell still running after 20 minutes is interrupted and counts as failed.
c.Execute.timeout = 1200
c.Execute.startup_timeout = 300  # seconds for the kernel to start (TensorFlow's import on a busy machine)

# Autograding runs each notebook's long optimisations short (nst_utils.short_run: a few iterations instead of
# hundreds; the graded checks do not depend on them), so a submission of notebook 05 is graded in well under a
# minute instead of six. The parameters cell of the graded copy, and so its feedback page, says so in a line.
c.Autograde.autograde_preprocessors = [ShortRun, *Autograde.class_traits()["autograde_preprocessors"].default()]

# The generated (student) version of a graded function: scripts/make_course.py leaves each step comment
# of the source outside its own solution region, so the students see every step's comment, each followed
# by this line in place of its solution.
c.ClearSolutions.code_stub = {"python": 'raise NotImplementedError("replace this line with your code")'}

# nbgrader generate_feedback: nbgrader's page, with pictures and printed lines no wider than the page (the
# lesson figures are 1430 px wide, and a check's closing line is longer than the page).
def fit_pictures(nb, resources):
    resources.setdefault("inlining", {}).setdefault("css", []).append(
        "img { max-width: 100%; height: auto; } pre { white-space: pre-wrap; }")
    return nb, resources


c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, fit_pictures]

# nbgrader zip_collect: submissions downloaded from an LMS, as files (or zip archives of files) named
# <student>_<notebook>.ipynb, e.g. alice_01_unrolling_volumes.ipynb, put in
# downloaded/<assignment>/archive/. Adapt the pattern to your LMS's file names (it is matched against
# the file's whole path).
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/]+?)_(?P<file_id>\d\d_\w+\.ipynb)$"

# nbgrader release_assignment / collect (and the students' fetch_assignment / submit) go through an exchange
# folder that you and the students can all write (on a shared machine or a JupyterHub). nbgrader's default
# is /usr/local/share/nbgrader/exchange: create it (mkdir -p, chmod ugo+rw) or choose another one here.
# c.Exchange.root = "/usr/local/share/nbgrader/exchange"
