"""The notebooks' short run, for the tests and for autograding: each long optimisation cut to a few
iterations (notebook 07's pictures also smaller) by overriding the values of the notebook's parameters cell (the
code cell tagged ``parameters``).

The graded functions' checks do not depend on these values; the pictures and costs of the long cells do,
so the tests do not compare those cells' outputs (each is marked ``NBVAL_IGNORE_OUTPUT``; the README says
which). Used by ``conftest.py`` (nbval), ``tests/test_notebooks.py`` (the learner copies) and the course's
``nbgrader_config.py`` (autograding).
"""
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

#: The value each parameter takes in a short run.
SHORT = {"NUM_ITERATIONS": 3, "MAX_EVALUATIONS": 3, "ART_PASSES": 3, "PICTURE_WIDTH": 160}
#: The line a short run adds to the parameters cell, above the new values (it shows on a feedback page).
NOTE = ("# A short run (the tests, autograding): the long optimisations take a few iterations, on small pictures; "
        "the graded checks are unaffected.")


def shorten(cell):
    """Give the parameters ``cell`` (an nbformat code cell tagged ``parameters``) the :data:`SHORT` values of
    the names it defines, below :data:`NOTE`; other cells are left as they are. True if it was changed."""
    if "parameters" not in cell.get("metadata", {}).get("tags", []):
        return False
    names = re.findall(r"^(\w+)\s*=", cell.source, re.M)
    values = [f"{name} = {value}" for name, value in SHORT.items() if name in names]
    if not values:
        return False
    cell.source = "\n".join([cell.source.rstrip("\n"), NOTE, *values])
    return True


class ShortRun(Preprocessor):
    """nbconvert preprocessor (put before nbgrader's ``Execute``): the notebook's short run."""

    enabled = Bool(True).tag(config=True)  # nbgrader registers its preprocessors without enabling them

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            shorten(cell)
        return cell, resources
