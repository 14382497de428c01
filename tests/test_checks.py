"""The learner checks: pass the reference, fail each known mistake with its hint, fail the stubs."""
import json

import numpy as np
import pytest

import nst_utils as nst
from nst_utils import checks, costs, tf

ASSIGNMENT = {  # the original assignment's expected outputs
    "compute_content_cost": 6.76559,
    "compute_layer_style_cost": 9.19028,
    "total_cost": 35.34667875478276,
    "gram_matrix": [[6.42230511, -4.42912197, -2.09668207],
                    [-4.42912197, 19.46583748, 19.56387138],
                    [-2.09668207, 19.56387138, 20.6864624]],
}
CHECK_FUNCTIONS = {name: getattr(checks, f"check_{name}") for name in checks.CHECKS}


def stub(*args, **kwargs):
    return None


def test_stored_first_cases_are_the_assignments_table():
    for name, value in ASSIGNMENT.items():
        np.testing.assert_allclose(checks.DATA[name][0]["expected"], value, rtol=1e-6, atol=1e-5)


def test_stored_data_is_fresh():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "make_check_data.py"
    spec = importlib.util.spec_from_file_location("make_check_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert json.loads(json.dumps(module.build())) == checks.DATA, "run python scripts/make_check_data.py"


@pytest.mark.parametrize("name", list(checks.CHECKS))
def test_reference_passes(name, capsys):
    assert CHECK_FUNCTIONS[name](getattr(costs, name)) is True
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(checks.DATA[name]) + 1
    assert all("passed" in line for line in out)


@pytest.mark.parametrize("name, index", [(n, i) for n, ms in checks.MISTAKES.items() for i in range(len(ms))])
def test_each_mistake_fails_with_its_hint(name, index, capsys):
    wrong, hint = checks.MISTAKES[name][index]
    assert CHECK_FUNCTIONS[name](wrong) is False
    out = capsys.readouterr().out
    assert "FAILED" in out and "hint:" in out
    if not (name == "total_cost" and index == 2):  # wrong defaults look like a swap on case 1
        assert hint in out


@pytest.mark.parametrize("name", list(checks.CHECKS))
def test_stub_fails_and_says_none(name, capsys):
    assert CHECK_FUNCTIONS[name](stub) is False
    out = capsys.readouterr().out
    assert "got None" in out and "returned None" in out


def test_exceptions_are_reported_not_raised(capsys):
    def broken(a_C, a_G):
        m, n_H, n_W, n_C = None  # what a learner's unfinished line does
        return a_C

    assert checks.check_compute_content_cost(broken) is False
    assert "raised TypeError" in capsys.readouterr().out


def test_wrong_but_unknown_mistake_gets_generic_hint(capsys):
    assert checks.check_gram_matrix(lambda A: 2 * tf.matmul(A, A, transpose_b=True)) is False
    assert "compare your code with the formula" in capsys.readouterr().out


def test_learner_tensors_of_other_dtypes_and_numpy_results_are_accepted(capsys):
    assert checks.check_total_cost(lambda c, s, alpha=10, beta=40: np.float32(alpha * c + beta * s))
    assert checks.check_gram_matrix(lambda A: tf.cast(tf.matmul(tf.cast(A, tf.float64), tf.cast(A, tf.float64),
                                                                 transpose_b=True), tf.float32))


def test_autograde_mode_raises(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AssertionError):
        checks.check_total_cost(stub)
    assert checks.check_total_cost(costs.total_cost)


def test_use_falls_back_to_reference(capsys):
    def compute_content_cost(a_C, a_G):
        return None

    assert checks.use(compute_content_cost, True) is compute_content_cost
    assert checks.use(compute_content_cost, False) is nst.compute_content_cost
    assert "Using the reference compute_content_cost" in capsys.readouterr().out
