"""Stopping a run: SIGTERM and SIGHUP (the terminal was closed) stop it as Ctrl-C does, keeping the best image
so far, and a final write finishes whole even if a stop arrives meanwhile. Used by the ``nst`` command
(:mod:`nst_utils.cli`, :mod:`nst_utils.run`) and by the files it writes (:mod:`nst_utils.files`).

A signal that is ignored when the command starts stays ignored: ``nohup nst ...`` ignores SIGHUP, and a
shell's background job ignores SIGINT.
"""
import signal
import threading
from contextlib import contextmanager

from .errors import Terminated

#: The signals that stop a run: Ctrl-C (SIGINT), then the ones raised as :class:`Terminated`.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())

#: Exit codes of a run stopped by Ctrl-C, SIGTERM and SIGHUP (128 + the signal's number, as shells report them).
EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_HANGUP = 130, 143, 129


def _raise_terminated(signum, frame):
    raise Terminated(signum)


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


def _restore(previous):
    for sig, handler in previous.items():
        signal.signal(sig, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


@contextmanager
def signals_as_interrupt():
    """SIGTERM and SIGHUP raise :class:`Terminated` (a KeyboardInterrupt) while the block runs."""
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in STOP_SIGNALS[1:]
                if signal.getsignal(sig) != signal.SIG_IGN}
    try:
        yield
    finally:
        _restore(previous)


@contextmanager
def interrupts_deferred():
    """Ctrl-C, SIGTERM and SIGHUP wait until the block is done (a write of a few milliseconds), then act as
    they would have: the first one received is raised again once the handlers are back."""
    if not _in_main_thread():
        yield
        return
    received = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum)) for sig in STOP_SIGNALS
                if signal.getsignal(sig) != signal.SIG_IGN}
    try:
        yield
    finally:
        _restore(previous)
        if received:
            signal.raise_signal(received[0])  # its own handler runs now: KeyboardInterrupt, Terminated...


def stopped(exc):
    """``'interrupted'`` (Ctrl-C), ``'stopped by SIGTERM'`` or ``'stopped by SIGHUP'``."""
    if isinstance(exc, Terminated):
        return f"stopped by {signal.Signals(exc.signum).name}"
    return "interrupted"


def stop_code(exc):
    return 128 + exc.signum if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def stop_of(history):
    """The stop a run's history records (:func:`nst_utils.engine.transfer`'s ``'signal'``), or None."""
    signum = history.get("signal")
    if signum is None:
        if not history.get("interrupted"):
            return None
        return Terminated() if history.get("terminated") else KeyboardInterrupt()
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)
