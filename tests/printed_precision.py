"""Compare printed texts to the precision they were printed with.

A number printed as ``0.0231`` says only that the value rounds to it: another CPU may print
``0.0232`` for the same computation. Two texts agree to printed precision when everything but
their decimal numbers is identical and each pair of decimal numbers differs by at most one unit in
the last printed place of the coarser one. Integers (no decimal point, no exponent: counts, shapes,
iteration numbers) and signs are text, compared exactly.
"""
import re
from decimal import Decimal

# A decimal number, not part of a word or of a dotted string such as a version "1.2.3".
NUMBER = re.compile(r"(?<![\w.])((?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)(?!\w|\.\d)")


def agree_to_printed_precision(expected, actual):
    """True if the texts agree up to one unit in the last printed digit of each decimal number."""
    if expected == actual:
        return True
    a, b = NUMBER.split(expected), NUMBER.split(actual)
    if len(a) != len(b) or a[::2] != b[::2]:
        return False
    return all(_numbers_agree(x, y) for x, y in zip(a[1::2], b[1::2]))


def _numbers_agree(x, y):
    if x == y:
        return True
    if _is_integer(x) or _is_integer(y):
        return False
    x, y = Decimal(x), Decimal(y)
    unit = Decimal(1).scaleb(max(x.as_tuple().exponent, y.as_tuple().exponent))
    return abs(x - y) <= unit


def _is_integer(number):
    return not any(c in number for c in ".eE")
