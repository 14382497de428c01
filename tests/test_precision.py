"""Issue 10: the precision setting (auto / fp32 / bf16), where it is applied, and the bf16 path's results."""
import collections

import numpy as np
import pytest

import nst_utils as nst
from nst_utils import NSTError, precision, tf
from nst_utils.engine import check_settings
from nst_utils.settings import Settings

AMX = {"avx2", "avx512f", "avx512bw", "avx512_bf16", "amx_bf16"}
AVX512_BF16 = {"avx2", "avx512f", "avx512bw", "avx512_bf16"}
AVX512 = {"avx2", "avx512f", "avx512bw"}
AVX2 = {"avx2", "fma"}


@pytest.fixture
def onednn_unrestricted(monkeypatch):
    """No oneDNN cap or switch: the test sets the ones it is about (make test may run under one)."""
    for name in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS"):
        monkeypatch.delenv(name, raising=False)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 amx_bf16 amx_tile\n\n")
    assert precision.cpu_flags(cpuinfo) == {"fpu", "sse2", "avx2", "amx_bf16", "amx_tile"}
    assert precision.cpu_flags(tmp_path / "missing") == set()


@pytest.mark.parametrize("flags, gpu, name", [(AMX, (), "bf16"), (AVX512_BF16, (), "bf16"), (AVX512, (), "fp32"),
                                              (AVX2, (), "fp32"),
                                              (set(), (), "fp32"), (AVX2, (8, 6), "fp16"), (AMX, (7, 0), "fp16"),
                                              (AMX, (6, 1), "fp32"), (AVX2, (0, 0), "fp32")])
def test_auto_is_bf16_only_with_native_bf16_and_fp16_on_a_gpu_with_tensor_cores(onednn_unrestricted, flags, gpu, name):
    chosen = precision.resolve("auto", flags=flags, gpu=gpu)
    assert chosen.name == name
    assert str(chosen).startswith(f"Precision: {name} (auto")


@pytest.mark.parametrize("env, value", [("ONEDNN_MAX_CPU_ISA", "AVX2"), ("DNNL_MAX_CPU_ISA", "AVX512_CORE"),
                                        ("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_VNNI"), ("TF_ENABLE_ONEDNN_OPTS", "0")])
def test_auto_is_fp32_when_onednn_may_not_run_bf16_natively(onednn_unrestricted, monkeypatch, env, value):
    monkeypatch.setenv(env, value)
    assert precision.resolve("auto", flags=AMX, gpu=()).name == "fp32"
    assert precision.resolve("auto", flags=AVX512_BF16, gpu=()).name == "fp32"


def test_auto_uses_avx512_bf16_where_the_cap_hides_only_amx(onednn_unrestricted, monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    chosen = precision.resolve("auto", flags=AMX, gpu=())
    assert chosen.name == "bf16" and "AVX512-BF16" in chosen.reason


@pytest.mark.parametrize("value", ["AVX512_CORE_AMX", "ALL", "avx10_1_512_amx_fp16"])
def test_auto_is_bf16_when_the_cap_allows_amx(onednn_unrestricted, monkeypatch, value):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", value)
    assert precision.resolve("auto", flags=AMX, gpu=()).name == "bf16"


def test_explicit_choices_and_what_they_say(onednn_unrestricted, monkeypatch):
    assert precision.resolve("fp32", flags=AMX, gpu=(8, 0)).name == "fp32"
    on_gpu = precision.resolve("bf16", flags=AMX, gpu=(8, 0))  # the rewrite would touch no GPU op
    assert on_gpu.name == "fp32" and "GPU" in on_gpu.reason
    old_gpu = precision.resolve("auto", flags=AMX, gpu=(6, 1))
    assert "compute capability 6.1" in old_gpu.reason and "7.0" in old_gpu.reason
    assert precision.resolve("bf16", flags=AMX, gpu=()).reason == "as asked"
    assert precision.resolve("bf16", flags=AVX512_BF16, gpu=()).reason == "as asked"
    assert "emulates" in precision.resolve("bf16", flags=AVX512, gpu=()).reason
    no_avx512 = precision.resolve("bf16", flags=AVX2, gpu=())  # a bf16 session would fail there
    assert no_avx512.name == "fp32" and "needs AVX-512" in no_avx512.reason
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert precision.resolve("bf16", flags=AMX, gpu=()).name == "fp32"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    assert precision.resolve("bf16", flags=AMX, gpu=()).name == "bf16"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    off = precision.resolve("bf16", flags=AMX, gpu=())
    assert off.name == "fp32" and "TF_ENABLE_ONEDNN_OPTS=0" in off.reason


@pytest.mark.parametrize("bad", ["fp16", "BF16", "", None])
def test_unknown_precision_is_one_line(bad):
    with pytest.raises(NSTError, match=r"precision=.*: use one of auto, fp32, bf16"):
        precision.resolve(bad)
    with pytest.raises(NSTError, match="use one of auto, fp32, bf16"):
        check_settings(Settings(precision=bad))


def test_session_config_sets_only_the_chosen_rewrite():
    from tensorflow.core.protobuf import rewriter_config_pb2 as rc

    def rewrites(p):
        r = precision.session_config(precision.Precision(p, p, "test")).graph_options.rewrite_options
        return r.auto_mixed_precision_onednn_bfloat16, r.auto_mixed_precision

    assert rewrites("fp32") == (rc.RewriterConfig.DEFAULT, rc.RewriterConfig.DEFAULT)
    assert rewrites("bf16") == (rc.RewriterConfig.ON, rc.RewriterConfig.DEFAULT)
    assert rewrites("fp16") == (rc.RewriterConfig.DEFAULT, rc.RewriterConfig.ON)


def _recipe_step(config, size=(64, 48)):
    """Two Adam steps of the assignment's recipe on the bundled network at ``size`` in a session made with
    ``config``: ``(costs after them, {op type: count} of the ops that ran in bfloat16)``."""
    w, h = size
    content = nst.load_image(nst.CONFIG.CONTENT_IMAGE, w, h)
    style = nst.load_image(nst.CONFIG.STYLE_IMAGE, w, h)
    with tf.Graph().as_default(), tf.compat.v1.Session(config=config) as sess:
        model = nst.load_vgg_model(height=h, width=w, verbose=False)
        c, s = nst.reshape_and_normalize_image(content), nst.reshape_and_normalize_image(style)
        costs = nst.build_costs(sess, model, c, s)
        step = tf.compat.v1.train.AdamOptimizer(2.0).minimize(costs["total"])
        sess.run(tf.compat.v1.global_variables_initializer())
        model["input"].load(nst.generate_noise_image(c, rng=np.random.default_rng(0)), sess)
        meta = tf.compat.v1.RunMetadata()
        sess.run(step, options=tf.compat.v1.RunOptions(output_partition_graphs=True), run_metadata=meta)
        sess.run(step)
        bf16 = collections.Counter(node.op for graph in meta.partition_graphs for node in graph.node
                                   if "T" in node.attr and node.attr["T"].type == tf.bfloat16.as_datatype_enum)
        return sess.run(costs), bf16


def test_bf16_path_runs_keeps_grams_and_costs_fp32_and_agrees_with_fp32():
    """The bf16 session (slowly where bf16 is emulated; its speed is make bench's) gives the fp32 costs
    within 2 %: the convolutions ran in bfloat16, the Gram matrices (MatMul) and the costs' differences
    (Sub) did not. Where oneDNN cannot run bf16 (no AVX-512, or capped as in make test's extra runs),
    asking for it gives fp32 instead of a failing session."""
    fp32, none = _recipe_step(precision.session_config("fp32"))
    assert not none
    bf16, rewritten = _recipe_step(precision.session_config("bf16"))
    for key in ("total", "content", "style"):
        assert bf16[key] == pytest.approx(fp32[key], rel=0.02), key
    assert bf16["total"] != fp32["total"] or not rewritten  # bf16 arithmetic really ran where it was rewritten
    assert not {"MatMul", "_MklMatMul", "Sub"} & set(rewritten), rewritten
    if precision.resolve("bf16").name == "bf16":
        assert any("Conv2D" in op for op in rewritten), rewritten
    else:
        assert not rewritten and bf16 == fp32


def test_cli_plan_line_says_the_precision(tmp_path, capsys):
    from nst_utils import cli, files, run

    args = [str(nst.CONFIG.CONTENT_IMAGE), str(nst.CONFIG.STYLE_IMAGE), "-o", str(tmp_path / "out.png")]
    content, styles, settings, alpha, _ = run.prepare(cli.parser().parse_args(args + ["--precision", "bf16"]),
                                                   files.Outputs())
    assert settings.precision == "bf16"
    bf16 = precision.resolve("bf16")  # fp32 where oneDNN cannot run bf16 (make test's extra runs)
    assert f" in {bf16.name} ({bf16.reason});" in run.describe(settings)
    _, _, auto, _, _ = run.prepare(cli.parser().parse_args(args), files.Outputs())
    assert f" in {precision.resolve('auto').name} (auto" in run.describe(auto)
    with pytest.raises(SystemExit):
        cli.parser().parse_args(args + ["--precision", "fp16"])
    assert "invalid choice: 'fp16'" in capsys.readouterr().err


def test_gpu_capability_reads_tensorflows_devices():
    capability = precision.gpu_capability()
    assert bool(capability) == bool(tf.config.list_physical_devices("GPU"))
    assert capability == () or (len(capability) == 2 and all(isinstance(v, int) for v in capability))
