"""Files written whole or not at all: the pictures, the GIF and the calibration cache; and a run's folder of
snapshots, which holds that run's only.

A file is written under a temporary name in its own folder (short, so that any name that fits there fits
too) and renamed over the target only when it is complete; whatever stops the write, an error or Ctrl-C,
removes the temporary file. It gets the permissions any new file gets (``0o666`` minus the umask).
"""
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def temp_beside(path, suffix=""):
    """A new empty file ``.nst-XXXX{suffix}`` in ``path``'s folder; OSError if the folder takes no new file."""
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=".nst-", suffix=suffix)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it 0600
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


@contextmanager
def moved_into_place(tmp, path):
    """Rename ``tmp`` (from :func:`temp_beside`) to ``path`` when the block ends normally; remove it if the
    block raises anything, KeyboardInterrupt included."""
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_snapshots(folder, written):
    """Remove the ``NNNN.png`` snapshots in ``folder`` that a run did not write (``written``, their paths): an
    earlier run's into the same folder, so that it holds one run's frames. Call it once the run wrote some."""
    keep = {Path(p).name for p in written}
    for old in Path(folder).glob("[0-9][0-9][0-9][0-9].png"):
        if old.name not in keep:
            try:
                old.unlink()
            except OSError:
                pass  # still the earlier run's: harmless, and nothing to stop the run for


def current_umask():
    """This process's umask, read without changing it where possible (Linux: /proc/self/status)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (another thread could see 022 for a moment)
    os.umask(mask)
    return mask
