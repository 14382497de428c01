"""The arithmetic a session uses: ``auto``, ``fp32`` or ``bf16``, applied where the session is made.

Introduced in notebook 05 (its session) and used by the engine (``Settings(precision=...)``) and
``nst --precision``. The graph stays plain float32 graph code; the precision is a grappler rewrite of
the session's graph (:func:`session_config`):

- ``bf16``: TensorFlow's oneDNN auto mixed precision. Convolutions, their gradients, ReLU and pooling
  run in bfloat16; the Gram matrices, the cost differences and every sum stay float32. On CPUs with
  AMX-BF16 (Intel Xeon 4th generation and later) a step was 4.6x faster, its final cost within 1 %
  (issue 10's measurement); with AVX512-BF16 but no AMX (AMD Zen 4 and Zen 5) 1.6-1.8x faster (``make
  bench``, README); with plain AVX-512 oneDNN emulates bfloat16, slower than float32.
- ``fp16``: float16 mixed precision on a GPU with tensor cores (CUDA compute capability 7.0 or newer, the
  oldest grappler's rewrite accepts), the same ops kept in float32; what ``auto`` picks there.
- ``fp32``: float32 throughout.

``auto`` is ``fp16`` on such a GPU, ``fp32`` on an older one, ``bf16`` where the CPU runs bfloat16
natively (AMX-BF16 or AVX512-BF16) and oneDNN may use it, ``fp32`` elsewhere, so that no machine gets
slower. ``bf16`` asked for is ``fp32`` where oneDNN cannot run it (no AVX-512) and on a GPU (its rewrite
touches only ops placed on the CPU). The CPU's features are read from its flags (``/proc/cpuinfo``,
Linux); elsewhere ``auto`` and ``bf16`` are ``fp32``.
"""
import os
from dataclasses import dataclass

from .errors import NSTError

PRECISIONS = ("auto", "fp32", "bf16")

#: Ops the mixed-precision rewrites must leave in float32: the Gram matrices (MatMul; in float16 a
#: Gram matrix of 10⁵ positions overflows) and the differences inside the costs (Sub).
_KEEP_FP32 = {"TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_ALLOWLIST_REMOVE": "MatMul",
              "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_INFERLIST_REMOVE": "Sub"}


@dataclass(frozen=True)
class Precision:
    """What a session will use: ``name`` (``fp32``, ``bf16`` or ``fp16``), what was asked, and why."""

    name: str
    asked: str
    reason: str

    def __str__(self):
        return f"Precision: {self.name} ({self.reason})"


def cpu_flags(path="/proc/cpuinfo"):
    """The CPU's feature flags (``{'avx2', 'amx_bf16', ...}``); empty where they cannot be read."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def onednn_enabled():
    """False when ``TF_ENABLE_ONEDNN_OPTS`` turns oneDNN off (TensorFlow's own kernels run)."""
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false", "no", "off")


def _isa_cap():
    """oneDNN's instruction-set cap (``ONEDNN_MAX_CPU_ISA``, formerly ``DNNL_MAX_CPU_ISA``), upper case."""
    return (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "ALL").upper()


def amx_usable(flags=None):
    """True if the CPU has AMX-BF16 and oneDNN may use it (not capped by ``ONEDNN_MAX_CPU_ISA``)."""
    flags = cpu_flags() if flags is None else flags
    cap = _isa_cap()
    return "amx_bf16" in flags and onednn_enabled() and (cap in ("ALL", "DEFAULT") or "AMX" in cap)


def bf16_usable(flags=None):
    """True if oneDNN can run bfloat16 convolutions here: it needs AVX-512 (AVX512-BF16 or AMX natively,
    plain AVX-512 by emulation), not capped below it by ``ONEDNN_MAX_CPU_ISA`` (on an AVX2 CPU a bf16
    session fails)."""
    flags = cpu_flags() if flags is None else flags
    cap = _isa_cap()
    allowed = cap in ("ALL", "DEFAULT") or cap.startswith(("AVX512_CORE", "AVX10")) or "AMX" in cap
    return onednn_enabled() and allowed and {"avx512f", "avx512bw"} <= flags


#: oneDNN's instruction-set caps (``ONEDNN_MAX_CPU_ISA``) at or above the first with native bfloat16
#: (``AVX512_CORE_BF16``): the ones below it emulate bfloat16 or cannot run it.
_NATIVE_BF16_CAPS = ("ALL", "DEFAULT", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX10")


def native_bf16(flags=None):
    """The CPU feature with which oneDNN runs bfloat16 natively here, ``'AMX-BF16'`` or ``'AVX512-BF16'``,
    or None (none, or ``ONEDNN_MAX_CPU_ISA`` caps oneDNN below it, or oneDNN is off)."""
    flags = cpu_flags() if flags is None else flags
    if amx_usable(flags):
        return "AMX-BF16"
    if "avx512_bf16" in flags and bf16_usable(flags) and _isa_cap().startswith(_NATIVE_BF16_CAPS):
        return "AVX512-BF16"
    return None


#: The oldest CUDA compute capability whose float16 grappler's auto mixed precision rewrites (Volta).
FP16_MIN_CAPABILITY = (7, 0)


def gpu_capability():
    """The first GPU's CUDA compute capability ``(major, minor)``, ``(0, 0)`` where TensorFlow does not
    report one, ``()`` without a GPU."""
    from ._tf import tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return ()
    return tuple(tf.config.experimental.get_device_details(gpus[0]).get("compute_capability") or (0, 0))


def resolve(precision="auto", flags=None, gpu=None):
    """The :class:`Precision` that ``precision`` means on this machine; NSTError for an unknown name.

    ``flags`` (the CPU's, :func:`cpu_flags`) and ``gpu`` (:func:`gpu_capability`; ``()`` for none) are
    read from the machine when None."""
    if precision not in PRECISIONS:
        raise NSTError(f"precision={precision!r}: use one of {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return Precision("fp32", precision, "as asked")
    gpu = gpu_capability() if gpu is None else tuple(gpu)
    if gpu:
        version = ".".join(map(str, gpu)) if any(gpu) else "unknown"
        if precision == "bf16":
            return Precision("fp32", precision, "bf16 asked, but the network runs on the GPU, where the bf16 "
                                                "rewrite does nothing: use auto")
        if gpu >= FP16_MIN_CAPABILITY:
            return Precision("fp16", precision, f"auto: a GPU with tensor cores (compute capability {version})")
        return Precision("fp32", precision, f"auto: a GPU of compute capability {version}; float16 mixed "
                                            f"precision needs 7.0 or newer")
    flags = cpu_flags() if flags is None else flags
    native = native_bf16(flags)
    if precision == "bf16":
        if not onednn_enabled():
            return Precision("fp32", precision, "bf16 asked, but TF_ENABLE_ONEDNN_OPTS=0 turns off oneDNN, "
                                                "which runs it")
        if not bf16_usable(flags):
            return Precision("fp32", precision, "bf16 asked, but oneDNN needs AVX-512 for it, which this CPU "
                                                "lacks or ONEDNN_MAX_CPU_ISA hides")
        if native:
            return Precision("bf16", precision, "as asked")
        return Precision("bf16", precision, "as asked; oneDNN emulates bfloat16 here, slower than fp32: the CPU "
                                            "has neither AVX512-BF16 nor AMX-BF16, or ONEDNN_MAX_CPU_ISA hides them")
    if native:
        return Precision("bf16", precision, f"auto: this CPU runs bfloat16 natively with {native}, faster than fp32")
    return Precision("fp32", precision, "auto: oneDNN has no native bfloat16 here, neither AMX-BF16 nor "
                                        "AVX512-BF16, and emulated bfloat16 is slower than fp32")


def session_config(precision="auto"):
    """A ``tf.compat.v1.ConfigProto`` for ``Session(config=...)`` that runs in ``precision`` (a name or
    a :class:`Precision`); float32 graph code needs no change."""
    from tensorflow.core.protobuf import rewriter_config_pb2

    from ._tf import tf

    chosen = precision if isinstance(precision, Precision) else resolve(precision)
    config = tf.compat.v1.ConfigProto()
    if chosen.name != "fp32":
        for name, op in _KEEP_FP32.items():  # read by grappler when it rewrites a session's graph
            ops = [o for o in os.environ.get(name, "").split(",") if o]
            if op not in ops:
                os.environ[name] = ",".join(ops + [op])
        rewrite = config.graph_options.rewrite_options
        if chosen.name == "bf16":
            rewrite.auto_mixed_precision_onednn_bfloat16 = rewriter_config_pb2.RewriterConfig.ON
        else:
            rewrite.auto_mixed_precision = rewriter_config_pb2.RewriterConfig.ON
    return config
