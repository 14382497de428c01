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


def learners_copy(name):
    """The reference's code as a learner would write it: a copy, but for the two references that run private
    helpers of the package (OWN_CODE), which a learner's own code does not."""
    return CORRECT_VARIANTS[name] if name in ("gram_matrix", "compute_layer_style_cost", "compute_guided_gram") else \
        copy_of(checks.REFERENCES[name], name)


@pytest.mark.parametrize("name", list(checks.CHECKS))
def test_reference_code_passes(name, capsys):
    assert CHECK_FUNCTIONS[name](learners_copy(name))
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


def test_learner_tensors_of_other_dtypes_are_accepted(capsys):
    assert checks.check_gram_matrix(lambda A: tf.cast(tf.matmul(tf.cast(A, tf.float64), tf.cast(A, tf.float64),
                                                                 transpose_b=True), tf.float32))


def _unroll(a):
    n_C = a.shape[-1]
    return tf.transpose(tf.reshape(a, [-1, n_C]))


def _style_cost_by_tf_shape(a_S, a_G):
    """Sizes as int32 tensors, cast to float before the product: no overflow."""
    n_H, n_W, n_C = (tf.cast(tf.shape(a_G)[i], tf.float32) for i in (1, 2, 3))
    G_S = tf.einsum("ip,jp->ij", _unroll(a_S), _unroll(a_S))
    G_G = tf.linalg.matmul(_unroll(a_G), _unroll(a_G), transpose_b=True)
    return tf.reduce_sum((G_S - G_G) ** 2) / (4 * n_C**2 * (n_H * n_W) ** 2)


def _style_cost_with_one_run(model, STYLE_LAYERS):
    session = tf.compat.v1.get_default_session()
    values = session.run([model[name] for name, _ in STYLE_LAYERS])
    return tf.add_n([coeff * nst.compute_layer_style_cost(a_S, model[name])
                     for (name, coeff), a_S in zip(STYLE_LAYERS, values)])


def _build_with_load(sess, model, content_image, style_image, alpha=10, beta=40):
    model["input"].load(style_image, sess)  # the style first, then the content: the order is free
    J_style = nst.compute_style_cost(model, nst.STYLE_LAYERS)
    model["input"].load(content_image, sess)
    out = model[nst.CONTENT_LAYER]
    J_content = nst.compute_content_cost(out.eval(session=sess), out)
    return {"total": tf.multiply(J_content, alpha) + beta * J_style, "content": J_content, "style": J_style}


def _loop_with_while(sess, model, train_step, input_image, num_iterations=200, monitor=None):
    tf.compat.v1.global_variables_initializer().run(session=sess)
    model["input"].load(input_image, sess)
    i = 0
    while i < num_iterations:
        train_step.run(session=sess)
        i += 1
    return model["input"].eval(session=sess)


def _guided_gram_by_einsum(a, mask):
    """The guide as the mean of each position's block of pixels, the weighted features as an einsum."""
    _, n_H, n_W, n_C = a.get_shape().as_list()
    H, W = np.shape(mask)
    t = np.asarray(mask).reshape(n_H, H // n_H, n_W, W // n_W).mean(axis=(1, 3))
    weighted = a[0] * t[:, :, None]
    return tf.einsum("hwi,hwj->ij", weighted, weighted) / float((t ** 2).sum())


CORRECT_VARIANTS = {  # right answers written otherwise than the reference: each must pass
    "unroll_volume": lambda a: tf.reshape(tf.transpose(a, [0, 3, 1, 2]), [a.shape[-1], -1]),
    "compute_content_cost": lambda a_C, a_G: tf.reduce_mean(tf.math.squared_difference(a_C, a_G)) / 4,
    "gram_matrix": lambda A: tf.einsum("ik,jk->ij", A, A),
    "compute_layer_style_cost": _style_cost_by_tf_shape,
    "compute_style_cost": _style_cost_with_one_run,
    "total_cost": lambda J_content, J_style, alpha=10, beta=40: tf.add(tf.multiply(J_content, alpha),
                                                                       tf.multiply(J_style, beta)),
    "build_total_cost": _build_with_load,
    "model_nn": _loop_with_while,
    "compute_guided_gram": _guided_gram_by_einsum,
}


@pytest.mark.parametrize("name", list(CORRECT_VARIANTS))
def test_right_answers_written_otherwise_pass(name, capsys):
    assert CHECK_FUNCTIONS[name](CORRECT_VARIANTS[name]), capsys.readouterr().out


EVALUATED_VARIANTS = {  # the right value, evaluated inside the function: later cells need the tensor
    "unroll_volume": lambda a: nst.tf.compat.v1.get_default_session().run(_unroll(a)),
    "compute_content_cost": lambda a_C, a_G: float(tf.compat.v1.get_default_session().run(
        tf.reduce_mean(tf.square(a_C - a_G)) / 4)),
    "gram_matrix": lambda A: tf.matmul(A, A, transpose_b=True).eval(),
    "compute_layer_style_cost": lambda a_S, a_G: _style_cost_by_tf_shape(a_S, a_G).eval(),
    "compute_style_cost": lambda model, layers: _style_cost_with_one_run(model, layers).eval(),
    "total_cost": lambda J_content, J_style, alpha=10, beta=40: float(
        tf.compat.v1.get_default_session().run(alpha * J_content + beta * J_style)),
}


@pytest.mark.parametrize("name", list(EVALUATED_VARIANTS))
def test_a_value_evaluated_inside_the_function_fails(name, capsys):
    assert not CHECK_FUNCTIONS[name](EVALUATED_VARIANTS[name])
    assert "it returned a number, not a tensor" in capsys.readouterr().out


def test_build_total_cost_with_numbers_for_costs_fails(capsys):
    def build(sess, model, content_image, style_image, alpha=10, beta=40):
        costs_ = _build_with_load(sess, model, content_image, style_image, alpha, beta)
        return dict(costs_, total=sess.run(costs_["total"]))

    assert not checks.check_build_total_cost(build)
    assert "the cost 'total' is a number, not a tensor" in capsys.readouterr().out


def test_the_first_argument_comes_as_an_array_as_the_notebooks_pass_it(capsys):
    def compute_layer_style_cost(a_S, a_G):
        _, n_H, n_W, n_C = a_S.get_shape().as_list()  # works on the assignment's two tensors only
        return _style_cost_by_tf_shape(a_S, a_G)

    assert not checks.check_compute_layer_style_cost(compute_layer_style_cost)
    out = capsys.readouterr().out
    assert "case 1 (the assignment's test): passed" in out and "read the sizes from a_G, the tensor" in out


@pytest.mark.parametrize("total, hint", [
    (lambda J_content, J_style, alpha=10, beta=40: tf.add(tf.multiply(alpha, J_content), tf.multiply(beta, J_style)),
     "put the tensor first, tf.multiply(J_content, alpha)"),
    (lambda J_content, J_style, alpha=10, beta=40: np.add(alpha * J_content, beta * J_style),
     "NumPy cannot compute with tensors"),
])
def test_total_cost_gets_tensors_as_in_the_notebook(total, hint, capsys):
    assert not checks.check_total_cost(total)
    assert hint in capsys.readouterr().out


def test_a_style_loop_that_adds_nothing_is_named(capsys):
    def compute_style_cost(model, STYLE_LAYERS):
        J_style = 0
        for layer_name, coeff in STYLE_LAYERS[1:]:
            out = model[layer_name]
            J_style += coeff * nst.compute_layer_style_cost(tf.compat.v1.get_default_session().run(out), out)
        return J_style

    assert not checks.check_compute_style_cost(compute_style_cost)
    assert "case 3 (one layer): FAILED — hint: J_style is still the 0 it started as" in capsys.readouterr().out


@pytest.mark.parametrize("mode", [None, "autograde"])
def test_a_failed_check_never_raises_and_its_verdict_holds_the_report(monkeypatch, mode, capsys):
    """A notebook runs on after a failed check, under nbgrader too: a course's check cell asserts the verdict."""
    if mode:
        monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    verdict = checks.check_total_cost(stub)
    assert not verdict and verdict.report == capsys.readouterr().out.strip()
    assert verdict.report.splitlines()[-1].startswith("0 of 3 cases passed")
    assert checks.use("total_cost") is nst.total_cost  # later cells get the reference, no NameError
    assert checks.check_total_cost(copy_of(costs.total_cost, "total_cost")).report.endswith("use your total_cost.")


@pytest.mark.parametrize("name, wrong", [
    ("gram_matrix", lambda A: costs._gram_matrix(A)),
    ("gram_matrix", lambda A: costs.activation_gram(tf.reshape(tf.transpose(A), [1, 1, -1, A.shape[0]]))),
    ("compute_layer_style_cost", lambda a_S, a_G: (costs.activation_gram(a_S) - costs.activation_gram(a_G))[0, 0]),
])
def test_a_private_helper_of_the_reference_counts_as_the_reference(name, wrong, capsys):
    assert not CHECK_FUNCTIONS[name](wrong)
    assert f"your function runs nst_utils' own {name}: write it yourself" in capsys.readouterr().out


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


@pytest.mark.parametrize("returned, hint", [
    ("input_image", "it returned input_image, the start"),
    ("None", "it returned None after running the steps"),
])
def test_model_nn_returning_something_else_than_the_final_image_is_named(returned, hint, capsys):
    namespace = {"tf": tf}
    exec("def model_nn(sess, model, train_step, input_image, num_iterations=200, monitor=None):\n"
         "    sess.run(tf.compat.v1.global_variables_initializer())\n"
         "    sess.run(model['input'].assign(input_image))\n"
         "    for _ in range(num_iterations):\n"
         "        generated_image = sess.run(train_step)\n"
         f"    return {returned}\n", namespace)
    assert not checks.check_model_nn(namespace["model_nn"])
    assert hint in capsys.readouterr().out


def test_model_nn_without_initialiser_gets_a_hint(capsys):
    def model_nn(sess, model, train_step, input_image, num_iterations=200, monitor=None):
        sess.run(model["input"].assign(input_image))
        for _ in range(num_iterations):
            sess.run(train_step)
        return sess.run(model["input"])

    assert not checks.check_model_nn(model_nn)
    assert "global_variables_initializer" in capsys.readouterr().out


def test_a_mask_left_at_the_images_size_gets_the_resize_hint(capsys):
    def unresized(a, mask):
        _, n_H, n_W, n_C = a.get_shape().as_list()
        t = mask.reshape(1, n_H * n_W)  # forgot layer_guide: the mask has the image's size
        F = nst.unroll_volume(a) * t
        return tf.matmul(F, F, transpose_b=True) / np.sum(t ** 2)

    assert not checks.check_compute_guided_gram(unresized)
    out = capsys.readouterr().out
    assert "case 1 (the left half, the mask at the layer's size): passed" in out
    assert "case 2 (a soft disc, the mask 4x the layer's size): FAILED, raised ValueError" in out
    assert "bring it down to the layer's n_H x n_W with layer_guide(mask, n_H, n_W)" in out
