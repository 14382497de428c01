"""The one error type users see: a clear, one-line message naming the file or value and what to do;
the one check of numbers behind it; and the stop that SIGTERM or SIGHUP raises like a Ctrl-C.

Light on purpose: the ``nst`` command imports this module before it parses its arguments, so it
must not import TensorFlow, numpy or Pillow.
"""
import math


class NSTError(ValueError):
    """Bad input or a missing resource, with a message meant for the user (no traceback needed)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``signum``), raised by the ``nst`` command's handler: a run stops as for Ctrl-C and
    keeps its best image."""

    def __init__(self, signum=15, *args):
        super().__init__(*args)
        self.signum = signum  # 15: SIGTERM, 1: SIGHUP (numbers: this module imports no ``signal``)


#: The range of every number a run takes: ``name: (low, high, whole number?, low excluded?)``.
#: The weights stop well below float32's 3.4e38, where the costs would overflow to inf and NaN; Adam's
#: learning rate is a step in pixel levels, so more than the whole 0..255 range means nothing; the
#: seed must be one numpy's and TensorFlow's generators take. Used by the ``nst`` options' types and by
#: :func:`nst_utils.engine.check_settings`, so the command and notebook 06 refuse the same values.
LIMITS = {
    "iterations": (1, 1_000_000, True, False),
    "learning_rate": (0, 255, False, True),
    "content_weight": (0, 1e15, False, False),
    "style_weight": (0, 1e15, False, False),
    "tv_weight": (0, 1e15, False, False),
    "style_blend_weights": (0, 1e15, False, False),
    "style_layer_weight": (0, 1e15, False, False),
    "style_scale": (0, math.inf, False, True),
    "noise_ratio": (0, 1, False, False),
    "seed": (0, 2**32 - 1, True, False),
    "save_every": (0, 1_000_000, True, False),
    "levels": (1, 10, True, False),
    "coarsest_side": (16, 100_000, True, False),
    "regions": (2, 12, True, False),
}


def limit_text(name):
    """``'a number from 0 to 1e+15'``, ``'a whole number from 1 to 1000000'``, ``'a number above 0'``..."""
    low, high, whole, open_low = LIMITS[name]
    kind = "a whole number" if whole else "a number"
    low, high = (f"{int(x)}" if whole and x != math.inf else f"{x:g}" for x in (low, high))
    if high == "inf":
        return f"{kind} above {low}" if open_low else f"{kind} of at least {low}"
    return f"{kind} above {low} and at most {high}" if open_low else f"{kind} from {low} to {high}"


def number_problem(name, value):
    """Why ``value`` is no valid ``name`` (see :data:`LIMITS`), or None if it is valid.

    NaN and infinities are refused everywhere (NaN compares false with everything, so a plain
    ``value < 0`` test lets it through)."""
    low, high, whole, open_low = LIMITS[name]
    if isinstance(value, (bool, str, bytes)):  # float("1") would pass a string on to fail later
        return f"is not {limit_text(name)}"
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return f"is not {limit_text(name)}"
    if not math.isfinite(number):
        return f"is not a finite number; give {limit_text(name)}"
    if whole and number != int(number):
        return f"is not a whole number; give {limit_text(name)}"
    if number < low or (open_low and number == low) or number > high:
        return f"is out of range; give {limit_text(name)}"
    return None


def check_number(name, value, label=None):
    """Raise NSTError naming ``label`` (default: ``name`` with dashes) and ``value`` unless it is valid."""
    problem = number_problem(name, value)
    if problem is not None:
        raise NSTError(f"{label or name.replace('_', '-')} {value!r} {problem}")
    return value
