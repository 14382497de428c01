"""The learner checks: pass the reference, fail each known mistake with its hint, fail the stubs."""
import json
import re

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
    fresh = json.loads(json.dumps(module.build()))
    stale = "run python scripts/make_check_data.py"
    assert fresh.keys() == checks.DATA.keys(), stale
    for name, cases in fresh.items():
        stored = checks.DATA[name]
        assert [{k: v for k, v in c.items() if k != "expected"} for c in cases] == \
               [{k: v for k, v in c.items() if k != "expected"} for c in stored], f"{name}: {stale}"
        for case, kept in zip(cases, stored):  # to float32 rounding: the values differ in their last bits
            expected = np.asarray(case["expected"])  # between CPUs and kernel libraries
            np.testing.assert_allclose(kept["expected"], expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max(),
                                       err_msg=f"{name} ({case['label']}): {stale}")


def copy_of(fn, name):
    """The reference's code as a learner's own function (a new code object: not the packaged reference)."""
    import inspect
    import types

    wrapped = inspect.unwrap(fn)  # gram_matrix is wrapped by tf.custom_gradient
    code = wrapped.__code__.replace(co_name=name)
    copy = types.FunctionType(code, wrapped.__globals__, name, wrapped.__defaults__, wrapped.__closure__)
    copy.__kwdefaults__ = wrapped.__kwdefaults__
    return tf.custom_gradient(copy) if wrapped is not fn else copy


@pytest.mark.parametrize("name", list(checks.CHECKS))
def test_reference_code_passes(name, capsys):
    assert CHECK_FUNCTIONS[name](copy_of(checks.REFERENCES[name], name))
    out = capsys.readouterr().out
    assert out.count(": passed") == len(checks.DATA[name]) and "FAILED" not in out
    assert out.strip().splitlines()[-1] == f"All {len(checks.DATA[name])} cases passed: the cells below use your {name}."
    assert checks.use(name) is not checks.REFERENCES[name]  # use() hands over the learner's


@pytest.mark.parametrize("name", list(checks.CHECKS))
def test_calling_the_packaged_reference_fails(name, capsys):
    assert not CHECK_FUNCTIONS[name](checks.REFERENCES[name])
    assert f"your function runs nst_utils' own {name}: write it yourself" in capsys.readouterr().out


def test_a_wrapper_around_the_reference_fails(capsys):
    def unroll_volume(a):
        return nst.unroll_volume(a)

    assert not checks.check_unroll_volume(unroll_volume)
    assert "write it yourself" in capsys.readouterr().out


@pytest.mark.parametrize("name, index", [(n, i) for n, ms in checks.MISTAKES.items() for i in range(len(ms))])
def test_each_mistake_fails_with_its_hint(name, index, capsys):
    wrong, hint = checks.MISTAKES[name][index]
    assert not CHECK_FUNCTIONS[name](wrong)
    out = capsys.readouterr().out
    assert "FAILED" in out and "hint:" in out
    if not (name == "total_cost" and index == 2):  # wrong defaults look like a swap on case 1
        assert hint in out


@pytest.mark.parametrize("name", list(checks.CHECKS))
def test_stub_fails_and_says_none(name, capsys):
    assert not CHECK_FUNCTIONS[name](stub)
    out = capsys.readouterr().out
    assert re.search(r"yours:? +None", out) and "returned None" in out
    assert out.strip().splitlines()[-1].startswith(f"0 of {len(checks.DATA[name])} cases passed. Fix {name}, run its cell "
                                                   "again, then this cell")


def test_exceptions_are_reported_not_raised(capsys):
    def broken(a_C, a_G):
        m, n_H, n_W, n_C = None  # what a learner's unfinished line does
        return a_C

    assert not checks.check_compute_content_cost(broken)
    assert "raised TypeError" in capsys.readouterr().out


def test_wrong_but_unknown_mistake_gets_generic_hint(capsys):
    assert not checks.check_gram_matrix(lambda A: 2 * tf.matmul(A, A, transpose_b=True))
    assert "compare your code with the formula" in capsys.readouterr().out


def test_learner_tensors_of_other_dtypes_and_numpy_results_are_accepted(capsys):
    assert checks.check_total_cost(lambda c, s, alpha=10, beta=40: np.float32(alpha * c + beta * s))
    assert checks.check_gram_matrix(lambda A: tf.cast(tf.matmul(tf.cast(A, tf.float64), tf.cast(A, tf.float64),
                                                                 transpose_b=True), tf.float32))


@pytest.mark.parametrize("mode", ["autograde", "validate", "anything"])
def test_any_nbgrader_mode_raises_after_recording(monkeypatch, mode, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    checks.RESULTS.pop("total_cost", None)
    with pytest.raises(AssertionError):
        checks.check_total_cost(stub)
    assert "0 of 3 cases passed" in capsys.readouterr().out  # the verdict is printed before raising
    assert checks.use("total_cost") is nst.total_cost  # later cells get the reference, no NameError
    assert checks.check_total_cost(copy_of(costs.total_cost, "total_cost"))


def test_use_falls_back_to_reference_until_the_check_passes(capsys):
    def compute_content_cost(a_C, a_G):
        return None

    checks.check_compute_content_cost(compute_content_cost)
    assert checks.use("compute_content_cost") is nst.compute_content_cost
    assert checks.use(compute_content_cost) is nst.compute_content_cost
    assert "Using the reference compute_content_cost" in capsys.readouterr().out
    mine = copy_of(costs.compute_content_cost, "compute_content_cost")
    checks.check_compute_content_cost(mine)
    assert checks.use("compute_content_cost") is mine


def test_verdict_shows_nothing_as_a_cells_value():
    assert repr(checks.Verdict(True)) == "passed" and checks.Verdict(True)._ipython_display_() is None
    assert not checks.Verdict(False)


def test_learner_notebook_sess_is_restored(capsys):
    """The network checks point the learner's global ``sess`` at their own session, then restore it."""
    namespace = {"sess": "the notebook's session", "nst": nst}
    exec("def compute_style_cost(model, STYLE_LAYERS):\n"
         "    J = 0\n"
         "    for name, coeff in STYLE_LAYERS:\n"
         "        out = model[name]\n"
         "        J = J + coeff * nst.compute_layer_style_cost(sess.run(out), out)\n"
         "    return J\n", namespace)
    assert checks.check_compute_style_cost(namespace["compute_style_cost"])
    assert namespace["sess"] == "the notebook's session"


def test_model_nn_returning_the_tensor_is_named(capsys):
    def model_nn(sess, model, train_step, input_image, num_iterations=200, monitor=None):
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(model["input"].assign(input_image))
        for _ in range(num_iterations):
            sess.run(train_step)
        return model["input"]

    assert not checks.check_model_nn(model_nn)
    assert "returned a tensor" in capsys.readouterr().out


def test_model_nn_without_initialiser_gets_a_hint(capsys):
    def model_nn(sess, model, train_step, input_image, num_iterations=200, monitor=None):
        sess.run(model["input"].assign(input_image))
        for _ in range(num_iterations):
            sess.run(train_step)
        return sess.run(model["input"])

    assert not checks.check_model_nn(model_nn)
    assert "global_variables_initializer" in capsys.readouterr().out
