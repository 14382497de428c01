"""Stopping a run: SIGTERM stops it as Ctrl-C does, and a final write finishes whole even if Ctrl-C is
pressed again meanwhile. Used by the ``nst`` command (:mod:`nst_utils.cli`, :mod:`nst_utils.run`).
"""
import signal
import threading
from contextlib import contextmanager

from .errors import Terminated

#: Exit codes of a run stopped by Ctrl-C and by SIGTERM (128 + the signal's number, as shells report them).
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def _raise_terminated(signum, frame):
    raise Terminated()


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) while the block runs."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def interrupts_deferred():
    """Ctrl-C and SIGTERM wait until the block is done (a write of a few milliseconds), then stop as usual."""
    if not _in_main_thread():
        yield
        return
    received = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Terminated() if received[0] == signal.SIGTERM else KeyboardInterrupt()


def stopped(exc):
    """``'interrupted'`` (Ctrl-C) or ``'stopped by SIGTERM'``."""
    return "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"


def stop_code(exc):
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
