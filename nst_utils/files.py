"""Files written whole or not at all: the pictures, the GIF and the calibration cache; a run's folder of
snapshots, which holds that run's only (and never loses an input); and the ``nst`` command's file-system
safety: its inputs and outputs checked before a run (an input reached through a link included; an existing
output that is read-only, or that another user owns in a sticky folder, is refused rather than found
unreplaceable at the end), an unfinished picture put beside an existing output rather than over it, and a
result that cannot be written kept elsewhere.

A file is written under a temporary name in its own folder (short, so that any name that fits there fits
too) and renamed over the target only when it is complete; whatever stops the write, an error or Ctrl-C,
removes the temporary file. It gets the permissions any new file gets (``0o666`` minus the umask). The
checks' own probe files and folders are made and listed with Ctrl-C deferred, so none is left behind.

Light on purpose (the standard library and :mod:`nst_utils.stops` only): ``nst`` checks its files before
TensorFlow is imported.
"""
import errno
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import NSTError
from .stops import interrupts_deferred


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


def remove_stale_snapshots(folder, written, inputs=()):
    """Remove the ``NNNN.png`` snapshots in ``folder`` that a run did not write (``written``, their paths): an
    earlier run's into the same folder, so that it holds one run's frames. Call it once the run wrote some.
    A file that is one of ``inputs`` (paths; through a symbolic or hard link too) is never removed."""
    keep = {Path(p).name for p in written}
    for old in Path(folder).glob("[0-9][0-9][0-9][0-9].png"):
        if old.name in keep or any(same_file(old, source) for source in inputs):
            continue
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


# ----------------------------------------------------------------------------------------------------
# The nst command's inputs and outputs, checked before the run.

def error_reason(exc):
    """What went wrong, without the file name: an OSError's ``strerror``, else the message."""
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)


def check_readable(path, what):
    """NSTError naming ``path`` if it exists but cannot be read (permissions); a missing file is left to the
    reader of that kind of file, whose message says what to give instead."""
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))  # a FIFO does not block here
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    except PermissionError:
        raise NSTError(f"{path}: permission denied; cannot read the {what}: check the permissions of the file "
                       f"and of its folders") from None
    except OSError as exc:
        raise NSTError(f"{path}: cannot read the {what} ({error_reason(exc)}); give another file") from None


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file: the same inode when both exist (symbolic links followed),
    else the same resolved path."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_no_overwrite(inputs, outputs, steps=None):
    """NSTError if an output (``[(what, path)]``) is one of the inputs, or the snapshots would land on one."""
    for out_what, out in outputs:
        for in_what, source in inputs:
            if same_file(out, source):
                also = "" if str(out) == str(source) else f" ({source})"
                raise NSTError(f"{out}: the {out_what} would overwrite the {in_what}{also}; "
                               f"choose another name for the {out_what}")
    if steps is not None:
        for in_what, source in inputs:
            # the name given, and the file it leads to through symbolic links (in the folder or on the way)
            for name in (Path(source), Path(os.path.realpath(source))):
                if re.fullmatch(r"\d{4}\.png", name.name) and same_file(name.parent, steps):
                    also = "" if name == Path(source) else f" (through a link: {name})"
                    raise NSTError(f"{source}: the --save-every snapshots in {steps} would overwrite the "
                                   f"{in_what}{also}; move it or choose another output name")


def refuse_folder(path, what):
    """NSTError if ``path`` is an existing folder: the ``what`` needs a file name. A path that cannot be looked
    at passes: the checks that write there say why."""
    try:
        folder = path.is_dir()
    except OSError:
        return
    if folder:
        example = path / ("out" + (path.suffix or ".png"))
        raise NSTError(f"{path}: is a folder; give the {what} a file name, e.g. {example}")


def check_replaceable(path, what):
    """NSTError if an existing file at ``path`` must not or cannot be replaced by a new file renamed over it:
    it is read-only (write-protected: a file you chose to protect is left alone, even by root), or it belongs
    to another user in a sticky folder such as /tmp, where only its owner may replace it."""
    try:
        info = os.lstat(path)
        folder = os.stat(Path(path).parent)
    except OSError:
        return  # nothing there (or nothing to look at): the probe says what is wrong
    if stat.S_ISLNK(info.st_mode):
        protected = False  # the rename replaces the link, never the file it points to
    else:
        protected = not info.st_mode & stat.S_IWUSR or not os.access(
            path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)
    if protected:
        raise NSTError(f"{path}: is read-only (mode {stat.S_IMODE(info.st_mode):04o}), so the {what} will not "
                       f"replace it; make it writable (chmod u+w) to replace it, or choose another name")
    me = os.geteuid() if hasattr(os, "geteuid") else None
    if folder.st_mode & stat.S_ISVTX and me not in (info.st_uid, folder.st_uid) and not _may_replace_any():
        raise NSTError(f"{path}: belongs to another user in {Path(path).parent}, a folder where only a file's "
                       f"owner may replace it (sticky, like /tmp); choose another name for the {what}")


def _may_replace_any():
    """Whether this process may replace other users' files in sticky folders (CAP_FOWNER; root elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 3))  # CAP_FOWNER is capability 3
    except (OSError, ValueError, IndexError):
        pass
    return hasattr(os, "geteuid") and os.geteuid() == 0


def interrupted_name(path):
    """A name beside ``path`` for an unfinished result, so that an existing file there is kept:
    ``art-interrupted.png``, else ``art-interrupted-2.png``, ... (the first that is free)."""
    path = Path(path)
    for n in range(1, 10_000):
        candidate = path.with_name(f"{path.stem}-interrupted{'' if n == 1 else f'-{n}'}{path.suffix}")
        if not os.path.lexists(candidate):
            return candidate
    return path.with_name(f"{path.stem}-interrupted-{os.getpid()}{path.suffix}")


class Outputs:
    """What a run writes, checked with the real names before it starts, and the folders it made (removed
    again if they are still empty when the run ends, e.g. after an error or a Ctrl-C before any snapshot)."""

    def __init__(self):
        self.created = []  # folders made by this run, parents first
        self.needs = {}  # folder -> [(what, bytes)] for the free-space check

    def folder(self, folder, what, steps=False):
        """Make sure ``folder`` exists (creating what is missing) and is a folder; NSTError naming it if not."""
        advice = "remove or rename it, or choose another output name" if steps else \
            f"choose another place for the {what}"
        missing, current = [], Path(folder)
        while True:
            try:
                if current.is_dir():
                    break
                if current.exists() or current.is_symlink():
                    raise NSTError(f"{current}: is a file, not a folder, so the {what} cannot go there; {advice}")
            except OSError as exc:
                raise NSTError(f"{current}: {error_reason(exc).lower()}; cannot write the {what} there: "
                               f"{advice}") from None
            if current.parent == current:
                break
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            with interrupts_deferred():  # a folder made is a folder listed, to be removed if left empty
                try:
                    path.mkdir()
                except FileExistsError:
                    if not path.is_dir():
                        raise NSTError(f"{path}: is a file, not a folder, so the {what} cannot go there; "
                                       f"{advice}") from None
                    continue
                except OSError as exc:
                    raise NSTError(f"{path}: cannot create the folder for the {what} ({error_reason(exc)}); "
                                   f"{advice}") from None
                self.created.append(path)

    def file(self, path, what, nbytes):
        """Check that ``path`` itself can be written: its folder exists (or is made) and takes that very name
        (an empty file is created and removed again); an existing file stays untouched."""
        path = Path(path)
        self.folder(path.parent, what)
        advice = f"choose another place for the {what}"
        refuse_folder(path, what)
        check_replaceable(path, what)
        try:
            with interrupts_deferred():  # the probe goes again, whatever stops the command meanwhile
                if path.exists() or path.is_symlink():  # replaced by a rename: the folder must take new files
                    fd, probe = tempfile.mkstemp(dir=path.parent, prefix=".nst-probe-")
                    os.close(fd)
                    os.unlink(probe)
                else:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                    os.unlink(path)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                advice = "choose a shorter name"
            elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                advice = f"choose a folder you can write to for the {what}"
            raise NSTError(f"{path}: cannot create the {what} ({error_reason(exc)}); {advice}") from None
        self.needs.setdefault(path.parent, []).append((what, nbytes))

    def check_space(self):
        """NSTError naming the folder if its disk has less free space than the files planned there need."""
        by_disk = {}
        for folder, items in self.needs.items():
            try:
                device = os.stat(folder).st_dev
            except OSError:
                continue
            entry = by_disk.setdefault(device, [folder, []])
            entry[1].extend(items)
        for folder, items in by_disk.values():
            try:
                info = os.statvfs(folder)
            except (OSError, AttributeError):
                continue
            free, need = info.f_bavail * info.f_frsize, sum(n for _, n in items)
            if need > free:
                names = list(dict.fromkeys(w for w, _ in items))
                what = " and ".join(names) + (" need" if len(names) > 1 or names[0].endswith("snapshots") else " needs")
                raise NSTError(f"{folder}: only {_size(free)} free on its disk, and the {what} up to "
                               f"{_size(need)}; free some space or choose another folder")

    def remove_empty_folders(self):
        for path in reversed(self.created):
            try:
                path.rmdir()  # only if empty: anything written stays
            except OSError:
                pass
        self.created = []


def _size(nbytes):
    return f"{nbytes / 1e6:.1f} MB" if nbytes < 1e9 else f"{nbytes / 1e9:.1f} GB"


def image_bytes(width, height, channels=4):
    """An upper bound of a PNG's size: the raw pixels (compression only makes it smaller) and its header."""
    return width * height * channels + 4096


# A result that cannot be written where asked (the disk filled during the run) is kept elsewhere.

def keep_safe(path, write):
    """After ``write(path)`` failed: write to a new file beside ``path``, else in the temporary folder.
    Returns the path written, or None."""
    path = Path(path)
    for folder in (path.parent, Path(tempfile.gettempdir())):
        try:
            fd, spare = tempfile.mkstemp(dir=folder, prefix=f"nst-{path.stem[:40]}-", suffix=path.suffix)
            os.close(fd)
        except OSError:
            continue
        try:
            write(Path(spare))
            return Path(spare)
        except (NSTError, OSError):
            Path(spare).unlink(missing_ok=True)
        except BaseException:
            Path(spare).unlink(missing_ok=True)
            raise
    return None


def write_or_keep(path, write, what, done, problems):
    """``write(path)``, adding ``'the WHAT to PATH'`` to ``done``; if that fails, keep the result elsewhere
    (:func:`keep_safe`) and add one sentence saying where to ``problems``."""
    try:
        write(Path(path))
        done.append(f"the {what} to {path}")
        return
    except (NSTError, OSError) as exc:
        reason = error_reason(exc)
    for prefix in (f"{path}: ", f"{Path(path).parent}: "):  # the writers' lines name the file...
        reason = reason[len(prefix):] if reason.startswith(prefix) else reason
    reason = reason.split("; ")[0]  # ... and give advice ("choose another folder"), replaced here by ours
    bare = re.fullmatch(r"cannot write [^(]*\((.*)\)", reason)
    reason = bare.group(1) if bare else reason
    kept = keep_safe(path, write)
    where = f"it is kept at {kept} instead" if kept else "and no copy could be written anywhere"
    problems.append(f"cannot write the {what} to {path} ({reason}); {where}")
