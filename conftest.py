"""The test session's set-up: pictures go to a folder of its own, the notebooks' long optimisations run
short (:mod:`nst_utils.short_run`: their outputs are not compared), and nbval compares the notebooks'
printed numbers to the precision they were printed with.

A text output (stdout, ``text/plain``) that agrees with the stored one to printed precision
(``tests/printed_precision.py``) counts as equal: numbers may differ in their last digit between
CPUs and kernel libraries. Every other output, and every other difference, is compared by nbval as is.
"""
import copy
import os
import shutil
import tempfile
from collections import defaultdict

from nbval.plugin import IPyNbCell

from nst_utils.short_run import shorten
from tests.printed_precision import agree_to_printed_precision


def pytest_configure(config):
    """Everything the tests run (notebook kernels and commands included) saves its pictures in a folder of
    its own, never in the project's ``output/``, where a learner keeps theirs (``nst_utils.config``)."""
    os.environ["NST_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="nst-test-output-")


def pytest_unconfigure(config):
    shutil.rmtree(os.environ.pop("NST_OUTPUT_DIR", ""), ignore_errors=True)


def pytest_itemcollected(item):
    if isinstance(item, IPyNbCell):
        shorten(item.cell)  # the parameters cell: the long optimisations run short (nst_utils.short_run)
        compare = item.compare_outputs

        def compare_outputs(test, ref, skip_compare=None):
            return compare(to_printed_precision(item.sanitize, test, ref), ref, skip_compare)

        item.compare_outputs = compare_outputs


def to_printed_precision(sanitize, test, ref):
    """A copy of the test outputs in which each text that agrees with its stored one is the stored one.

    Texts are paired as nbval pairs them: the i-th stdout stream or ``text/plain`` of each.
    """
    test = copy.deepcopy(test)
    fresh, stored = _texts(test), _texts(ref)
    for key in fresh.keys() & stored.keys():
        for (new, field), (old, _) in zip(fresh[key], stored[key]):
            if agree_to_printed_precision(sanitize(old[field]), sanitize(new[field])):
                new[field] = old[field]
    return test


def _texts(outputs):
    """{"stdout" or "text/plain": [(container, field), ...]} in output order."""
    texts = defaultdict(list)
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            texts["stdout"].append((out, "text"))
        elif "text/plain" in out.get("data", {}):
            texts["text/plain"].append((out["data"], "text/plain"))
    return texts
