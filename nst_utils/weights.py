"""Download the pretrained VGG-19 weights (MatConvNet ``.mat`` file) with resume and MD5 check.

Command line::

    nst-weights download [--url URL] [--dest PATH] [--md5 HEX ...] [--timeout SECONDS]
    nst-weights verify [PATH] [--md5 HEX ...]
    python -m nst_utils.weights download ...

Every option is checked before anything is written or sent. The file is written to
``<dest>.part`` first and only moved onto ``<dest>`` once its MD5 matches one of the accepted
checksums, so ``<dest>`` never holds a half-written file. Everything received is kept in the
``.part`` file (a cut connection, a stalled server, Ctrl-C); running the same command again
resumes it (HTTP ``Range``). An empty ``.part`` is never kept, and the messages say so; a server that
cannot resume and gives no size (a network's login page) has its bytes deleted instead of kept for a
resume that would never come. The disk's free space is checked against the size the server announces
before anything is written, and a web page (``text/html``) is refused unwritten. Ctrl-C stops the
download once: more Ctrl-C while it stops are ignored. A run holds an exclusive lock on the ``.part``
file: a second run to the same destination stops at once with one line instead of writing into it. ``--timeout``
bounds the wait for the server's answer and every stall of the transfer (less than
:data:`STALL_BYTES` bytes in that many seconds). New files get the usual permissions
(``0o666`` minus the umask).

Standard library plus ``tqdm`` only: this module must not import TensorFlow.
"""
import argparse
import contextlib
import errno
import hashlib
import http.client
import math
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

try:
    import fcntl
except ImportError:  # Windows: no flock; concurrent runs to one destination are not detected there
    fcntl = None

DEFAULT_URL = "https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat"
KNOWN_MD5 = (
    "8ee3263992981a1d26e73b3ca028a123",  # old MatConvNet format
    "106118b7cf60435e6d8e04f6a6dc3657",  # new MatConvNet format
)
DEFAULT_DEST = Path(__file__).resolve().parent.parent / "data" / "imagenet-vgg-verydeep-19.mat"  # CONFIG.VGG_MODEL:
# this module is loaded on its own too (no package, no TensorFlow: tests/test_weights.py), so it names the path itself
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 24 * 3600  # sockets refuse much larger timeouts; a day is "wait as long as it takes"
STALL_BYTES = 1024  # fewer bytes than this in --timeout seconds: the transfer has stalled
CHUNK = 64 * 1024
PROG = "nst-weights"


class DownloadError(RuntimeError):
    """A download or verification failed; the message says what happened and what to do."""


class DownloadInterrupted(KeyboardInterrupt):
    """Ctrl-C during a download; the message says how much was kept and how to resume."""


def md5sum(path):
    """Return the hex MD5 of the file at ``path``."""
    with open(path, "rb") as f:
        return _md5_of(f)


def _md5_of(f):
    digest = hashlib.md5()
    f.seek(0)
    for block in iter(lambda: f.read(1024 * 1024), b""):
        digest.update(block)
    return digest.hexdigest()


def _part_path(dest):
    return dest.with_name(dest.name + ".part")


def _one_line(text):
    return " ".join(str(text).split())


# --- checks of the options, all made before anything is written or sent ---------------------------

def check_timeout(value):
    """``value`` as a float number of seconds, or :class:`DownloadError` if it is not in (0, 1 day]."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT):
        raise DownloadError(f"--timeout {value}: give the network timeout as a positive number of seconds, "
                            f"at most {MAX_TIMEOUT} (e.g. --timeout {DEFAULT_TIMEOUT})")
    return seconds


def check_md5s(md5s):
    """The set of accepted MD5s in lower case, or :class:`DownloadError` naming the first malformed one."""
    if isinstance(md5s, str):
        md5s = [md5s]
    accepted = set()
    for md5 in md5s:
        text = str(md5).strip().lower()
        if not re.fullmatch(r"[0-9a-f]{32}", text):
            raise DownloadError(f"--md5 {md5!r}: an MD5 checksum is 32 hexadecimal digits (0-9, a-f); "
                                f"check it for a typo")
        accepted.add(text)
    if not accepted:
        raise DownloadError("no MD5 checksum given: give at least one --md5")
    return accepted


def check_url(url, dest):
    """Refuse URLs that cannot be downloaded (not http(s), no host, bad port, spaces), in one line."""
    fix = "check the --url option (or $NST_VGG_URL)"
    if not isinstance(url, str) or re.search(r"[\x00-\x20\x7f]", url):
        raise DownloadError(f"--url {url!r}: a URL has no spaces or control characters; {fix}")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in 0..65535)
    except ValueError as e:
        raise DownloadError(f"--url {url!r}: not a valid URL ({e}); {fix}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DownloadError(f"--url {url!r}: only http:// and https:// URLs can be downloaded; for a file you "
                            f"already have, copy it to {dest} (or set NST_VGG_MODEL to its path)")
    if not parts.hostname:
        raise DownloadError(f"--url {url!r}: no server name; {fix}")


def check_dest(dest):
    """Refuse a destination that cannot be written, before downloading: one line naming it."""
    dest = Path(dest)
    part = _part_path(dest)
    if dest.is_dir():
        raise DownloadError(f"--dest {dest} is a folder; give the file's path, "
                            f"e.g. --dest {dest / DEFAULT_DEST.name}")
    if part.is_dir():
        raise DownloadError(f"{part} is a folder, in the way of the download's partial file; "
                            f"move it away or choose another --dest")
    folder = dest.parent
    if not folder.exists() and dest == DEFAULT_DEST:
        try:
            folder.mkdir(parents=True, exist_ok=True)  # the project's own data/ folder
        except OSError as e:
            raise _local_error(e, folder) from None
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DownloadError(f"--dest {dest}: the folder {folder} {what}; create it first "
                            f"(mkdir -p {folder}) or choose another --dest")
    if dest.exists() and not dest.is_file():
        raise DownloadError(f"--dest {dest} is not a regular file; choose another --dest")
    if dest.is_file() and not _can(os.R_OK, dest):
        raise DownloadError(f"--dest {dest} exists but cannot be read (permission denied) to check its MD5; "
                            f"fix its permissions or delete it")
    if _read_only(folder):
        raise DownloadError(f"--dest {dest}: the folder {folder} is on a read-only file system; "
                            f"choose another --dest")
    if not _can(os.W_OK | os.X_OK, folder):
        raise DownloadError(f"--dest {dest}: cannot write to the folder {folder} (permission denied); "
                            f"choose another --dest or make the folder writable")


def _read_only(folder):
    """Whether ``folder`` is on a file system mounted read-only (where no permission would help)."""
    try:
        return bool(os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 0))
    except (OSError, AttributeError):
        return False


def _can(mode, path):
    if os.access in os.supports_effective_ids:
        return os.access(path, mode, effective_ids=True)
    return os.access(path, mode)


def _local_error(err, path, kept=True):
    """One line for an OSError on the local file ``path``; ``kept``: whether a partial file with data stays."""
    reason = err.strerror or type(err).__name__
    if isinstance(err, PermissionError):
        return DownloadError(f"cannot write {path} ({reason}); choose another --dest or fix its folder's permissions")
    if err.errno == errno.EROFS:
        return DownloadError(f"cannot write {path} ({reason}); choose another --dest")
    after = "what was already downloaded is kept" if kept else "nothing was received, so nothing is kept"
    return DownloadError(f"cannot write {path} ({reason}); check the disk and the --dest option, then run the "
                         f"same command again ({after})")


def _kept(part, done):
    """What happens to the partial file of ``done`` bytes: kept for a resume, or (empty) removed."""
    if done:
        return f"the partial file is kept at {part}: run the same command again to resume"
    return "nothing was received, so no partial file is kept: run the same command again"


# --- the locked partial file ------------------------------------------------------------------------

def _open_locked(part, dest):
    """Open ``part`` (created with mode 0o666 minus the umask) read-write with an exclusive lock."""
    while True:
        try:
            fd = os.open(part, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as e:
            raise _local_error(e, part) from None
        if fcntl is None:
            return os.fdopen(fd, "r+b")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DownloadError(f"another {PROG} download to {dest} is running (it holds {part}); this one stopped "
                                f"without touching it: let the other finish, then run '{PROG} verify {dest}'") from None
        except OSError:  # a file system without locks (some network mounts): go on as before locks
            return os.fdopen(fd, "r+b")
        # The previous holder may have renamed (finished) or deleted the file between open and lock.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(part))
        except FileNotFoundError:
            same = False
        if same:
            return os.fdopen(fd, "r+b")
        os.close(fd)


# --- HTTP ---------------------------------------------------------------------------------------------

def _not_http_redirect(url, code, newurl):
    return DownloadError(f"{url} redirects (HTTP {code}) to {newurl}, which is not an http(s) URL; "
                         f"download the file by hand and give its path in NST_VGG_MODEL")


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows http(s) redirects only (urllib's own would follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            fp.close()
            raise _not_http_redirect(req.full_url, code, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_Redirects)


def _host(url):
    parts = urllib.parse.urlsplit(url)
    return parts.netloc or url


def _no_answer(url, dest, timeout):
    return DownloadError(
        f"the server {_host(url)} did not answer within {timeout:g} s ({url}); check your connection and run "
        f"the same command again (on a slow network raise --timeout), or download the file by hand and put it "
        f"at {dest} (or set NST_VGG_MODEL to its path)"
    )


def _unreachable(url, dest, reason):
    return DownloadError(
        f"could not reach the server {_host(url)} for {url} ({_one_line(reason)}); downloading the VGG-19 weights "
        f"needs internet (without it the bundled network is used automatically); or download the file "
        f"by hand and put it at {dest} (or set NST_VGG_MODEL to its path)"
    )


def _is_timeout(err):
    return isinstance(err, (socket.timeout, TimeoutError))


def _open(url, offset, timeout, dest):
    """Send the GET (with ``Range`` when resuming); return the response, or None on HTTP 416."""
    headers = {"User-Agent": f"{PROG}/0.1"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return _opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416 and offset:
            return None  # nothing left to fetch: the .part is already complete
        location = e.headers.get("Location") or e.headers.get("URI") if e.headers else None
        if 300 <= e.code < 400 and location:
            newurl = urllib.parse.urljoin(url, location)
            if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):  # refused by urllib
                raise _not_http_redirect(url, e.code, newurl) from None
            raise DownloadError(f"the server {_host(url)} keeps redirecting (HTTP {e.code}, a loop or more than "
                                f"{_Redirects.max_redirections} redirects) for {url}; check the URL") from None
        raise DownloadError(f"server answered HTTP {e.code} {_one_line(e.reason)} for {url}; "
                            f"check the URL or try again later") from None
    except urllib.error.URLError as e:
        if _is_timeout(e.reason):
            raise _no_answer(url, dest, timeout) from None
        if isinstance(e.reason, OSError):
            raise _unreachable(url, dest, e.reason) from None
        raise DownloadError(f"could not open {url} ({_one_line(e.reason)}); check the URL") from None
    except OSError as e:  # timeouts while waiting for the answer, resets
        if _is_timeout(e):
            raise _no_answer(url, dest, timeout) from None
        raise _unreachable(url, dest, str(e) or type(e).__name__) from None
    except http.client.HTTPException as e:  # the server closed without answering, a garbled answer
        raise DownloadError(f"the server {_host(url)} gave no valid HTTP answer for {url} "
                            f"({type(e).__name__}: {_one_line(e) or 'no details'}); try again later") from None
    except ValueError as e:  # anything check_url could not foresee
        raise DownloadError(f"invalid URL {url!r} ({_one_line(e)}); check the --url option") from None


class _Reader:
    """Copies the response body into the file in its own thread, so that a Ctrl-C or a stall (seen
    by the main thread) never loses bytes that were already received: the reader writes each chunk
    as soon as one ``recv`` returns it, under ``lock``, and writes nothing once ``stop()`` was called."""

    def __init__(self, resp, f, offset, restart):
        self.resp, self.f, self.restart = resp, f, restart
        self.done = offset  # bytes in the file
        self.received = 0  # bytes written by this run
        self.error = None  # the network's exception that ended the transfer
        self.write_error = None  # the file's OSError that ended it (disk full, ...)
        self.lock = threading.Lock()
        self.stopped = False
        self.finished = threading.Event()

    def run(self):
        try:
            with self.resp:  # the reader owns the response: it is closed when the reader is done with it
                while True:
                    try:
                        chunk = self.resp.read1(CHUNK)  # what one recv gave: nothing waits in a buffer
                    except BaseException as e:  # noqa: BLE001  (resets, timeouts, IncompleteRead: see _fetch)
                        self.error = e
                        return
                    with self.lock:
                        if self.stopped or not chunk:
                            return
                        try:
                            if self.restart:  # the server ignored Range: the old partial file goes only now
                                self.f.seek(0)
                                self.f.truncate()
                                self.done, self.restart = 0, False
                            self.f.write(chunk)
                            self.f.flush()
                        except OSError as e:
                            self.write_error = e
                            return
                        self.done += len(chunk)
                        self.received += len(chunk)
        except BaseException as e:  # noqa: BLE001  (closing the response)
            self.error = self.error or e
        finally:
            self.finished.set()

    def stop(self):
        """Stop writing; return the number of bytes in the file (all of them flushed)."""
        with self.lock:
            self.stopped = True
            return self.done


def _fetch(url, f, timeout, progress, dest, part):
    """Download ``url`` into the open file ``f``, appending to its content when possible.

    Returns ``(complete, resumable)``: whether the file is known to be complete (the server gave the
    size, or had nothing more to send; False when only the end of the connection said so), and whether
    the server can resume (it did not refuse or ignore a ``Range``).
    """
    offset = os.fstat(f.fileno()).st_size
    resp = _open(url, offset, timeout, dest)
    if resp is None:
        return True, True
    total, restart = _expected(resp, url, f, offset)
    resumable = not restart and resp.headers.get("Accept-Ranges", "").strip().lower() != "none"
    start = 0 if restart else offset
    _check_answer(resp, url, part, total, start)
    f.seek(offset)  # append (a restart truncates the file when the first bytes arrive)
    reader = _Reader(resp, f, offset, restart)
    with tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
              desc=dest.name, disable=not progress) as bar:
        try:
            threading.Thread(target=reader.run, name=f"{PROG} reader", daemon=True).start()
            shown = start
            window_start, window_done = time.monotonic(), start
            while True:
                finished = _wait(reader.finished, 0.1)
                done = 0 if reader.restart else reader.done
                bar.update(done - shown)
                shown = done
                if finished:
                    break
                now = time.monotonic()
                if done - window_done >= STALL_BYTES:
                    window_start, window_done = now, done
                elif now - window_start >= timeout:  # too little for too long: a stall
                    done = reader.stop()
                    raise _stalled(url, part, timeout, done - window_done, done, total)
        except KeyboardInterrupt:
            raise _interrupted(part, reader.stop(), total) from None
    error = reader.error
    if reader.write_error is not None:
        raise _local_error(reader.write_error, part, kept=reader.done > 0)
    if error is not None and _is_timeout(error):
        raise _stalled(url, part, timeout, 0, reader.done, total)
    if error is not None or (total is not None and reader.done < total):
        why = f" ({type(error).__name__})" if error is not None else ""
        raise DownloadError(f"download interrupted at {_of(reader.done, total)} bytes{why}; "
                            f"{_kept(part, reader.done)}")
    return total is not None or reader.received == 0, resumable  # no size: complete only if nothing more came


def _expected(resp, url, f, offset):
    """``(total size or None, restart)`` of an answer: a range from ``offset`` (206) or the whole file (200:
    ``restart`` if the partial file must start over, the server having ignored the Range)."""
    length = resp.headers.get("Content-Length")
    length = int(length) if length and length.isdigit() else None
    if resp.status == 206:
        m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", ""))
        if not m or int(m.group(1)) != offset:
            resp.close()
            f.truncate(0)
            raise DownloadError(f"server sent an unexpected byte range for {url}; the partial file was emptied, "
                                f"run the same command again to start over")
        total = int(m.group(2)) if m.group(2) != "*" else None
        return (total if total is not None or length is None else offset + length), False
    if resp.status == 200:  # fresh download, or the server ignored Range: start over
        return length, offset > 0
    resp.close()
    raise DownloadError(f"server answered HTTP {resp.status} for {url}; expected 200 or 206")


def _check_answer(resp, url, part, total, start):
    """Refuse, before a byte is written, a web page (a network's login page answers every address) and a
    file larger than the free space of ``part``'s disk."""
    kind = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        resp.close()
        raise DownloadError(f"the server {_host(url)} sent a web page ({kind}), not the weight file, for {url}: "
                            f"a network's login page, or a wrong URL; log in to the network (open any web page) "
                            f"or check the URL, then run the same command again (nothing was written)")
    if total is None:
        return
    try:
        info = os.statvfs(part.parent)
        free = info.f_bavail * info.f_frsize
    except (OSError, AttributeError):
        return
    if total - start > free:
        resp.close()
        raise DownloadError(f"the file is {_bytes(total)} (the server {_host(url)} says) and {_bytes(total - start)} "
                            f"more are needed, but only {_bytes(free)} are free in {part.parent}; free some space "
                            f"or choose another --dest (nothing was written)")


def _bytes(n):
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _wait(event, seconds):
    """``event.wait(seconds)`` without its lock: a Ctrl-C inside a threading wait can break the wait's own
    lock (RuntimeError: release unlocked lock) when a second one follows at once."""
    deadline = time.monotonic() + seconds
    while not event.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.01))
    return True


def _of(done, total):
    return f"{done} of {total}" if total is not None else f"{done}"


def _stalled(url, part, timeout, got, done, total):
    sent = "no data" if got <= 0 else f"only {got} bytes"
    return DownloadError(f"the server {_host(url)} sent {sent} in {timeout:g} s (download stalled at "
                         f"{_of(done, total)} bytes); {_kept(part, done)} (on a slow network raise --timeout)")


def _interrupted(part, done, total):
    if done == 0:
        return DownloadInterrupted("interrupted before any data arrived; nothing was kept")
    return DownloadInterrupted(f"interrupted; {_of(done, total)} bytes are kept in {part}, "
                               f"run the same command again to resume")


def download(url, dest, md5s=KNOWN_MD5, timeout=DEFAULT_TIMEOUT, progress=True):
    """Download ``url`` to ``dest`` (resuming ``dest.part``), check its MD5, return ``dest``.

    Raises :class:`DownloadError` on any failure (all options are checked before anything is
    written or sent) and :class:`DownloadInterrupted` (a ``KeyboardInterrupt``) on Ctrl-C. If
    ``dest`` already exists with an accepted MD5, nothing is downloaded.
    """
    accepted = check_md5s(md5s)
    timeout = check_timeout(timeout)
    dest = Path(dest)
    check_url(url, dest)
    check_dest(dest)
    before = _stat(dest)
    if before is not None:
        actual = md5sum(dest)
        if actual in accepted:
            print(f"{dest} is already there (MD5 {actual} OK)", file=sys.stderr)
            return dest
        print(f"{dest} has an unknown MD5 {actual}; downloading it again", file=sys.stderr)
    part = _part_path(dest)
    with _one_ctrl_c(), _open_locked(part, dest) as f:  # closing it releases the lock, after the rename
        try:
            now = _stat(dest)
            if now is not None and (before is None or not os.path.samestat(now, before)
                                    or now.st_mtime_ns != before.st_mtime_ns):
                actual = md5sum(dest)  # another run finished it while this one was starting
                if actual in accepted:
                    print(f"{dest} is already there (MD5 {actual} OK)", file=sys.stderr)
                    _drop_if_empty(f, part)
                    return dest
            complete, resumable = _fetch(url, f, timeout, progress, dest, part)
            actual = _md5_of(f)
        except KeyboardInterrupt as e:
            if not isinstance(e, DownloadInterrupted):  # while connecting or checking the MD5
                e = _interrupted(part, _size(f), None)
            _drop_if_empty(f, part)
            raise e from None
        except BaseException:
            _drop_if_empty(f, part)
            raise
        if actual not in accepted:
            raise _wrong_md5(url, dest, part, _size(f), actual, accepted, complete, resumable)
        try:
            f.flush()
            os.fsync(f.fileno())
            os.replace(part, dest)
        except OSError as e:
            raise _local_error(e, dest) from None
        _fsync_folder(dest.parent)
    return dest


def _wrong_md5(url, dest, part, size, actual, accepted, complete, resumable):
    """The error of a download whose MD5 is not an accepted one; its partial file kept only if resuming it
    may complete it (a connection cut before the end of a file of unknown size), else deleted."""
    expected = " or ".join(sorted(accepted))
    if not complete and resumable:
        return DownloadError(
            f"the download from {url} ended at {size} bytes without the server giving the file's size, "
            f"and its MD5 {actual} is not {expected}: the connection was probably cut; the partial file "
            f"is kept at {part}, run the same command again to resume"
        )
    part.unlink(missing_ok=True)
    if not complete:  # keeping it would only make every run say "resume" again
        return DownloadError(
            f"the server {_host(url)} sent {size} bytes for {url} without giving the file's size, and it "
            f"does not resume downloads; their MD5 {actual} is not {expected}, so they were deleted: "
            f"check the URL (on some networks a login page answers every address until you log in)"
        )
    return DownloadError(
        f"MD5 mismatch for {dest} downloaded from {url}: expected {expected}, "
        f"got {actual}; the download was deleted, run the same command again"
    )


def _size(f):
    return os.fstat(f.fileno()).st_size


@contextlib.contextmanager
def _one_ctrl_c():
    """The first Ctrl-C stops the download (KeyboardInterrupt); more while it stops are ignored, so that
    keeping what was received is never cut short (a second Ctrl-C within a millisecond used to end in
    "RuntimeError: release unlocked lock"). Only where Python's own Ctrl-C handler is in place."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    pressed = []

    def first_only(signum, frame):
        if not pressed:
            pressed.append(signum)
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, first_only)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _drop_if_empty(f, part):
    """Remove an empty partial file (nothing worth keeping); it is still ours: we hold its lock."""
    if _size(f) == 0:
        part.unlink(missing_ok=True)


def _stat(path):
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _fsync_folder(folder):
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def verify(path, md5s=KNOWN_MD5):
    """Return ``(ok, md5)``: whether the file at ``path`` has one of the accepted MD5s."""
    accepted = check_md5s(md5s)
    path = Path(path)
    if path.is_dir():
        raise DownloadError(f"{path} is a folder; give the path of the weight file")
    if not path.is_file():
        raise DownloadError(f"no file at {path}; run '{PROG} download' first")
    try:
        actual = md5sum(path)
    except PermissionError:
        raise DownloadError(f"{path} cannot be read (permission denied); fix its permissions") from None
    return actual in accepted, actual


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line (argparse prints the usage too, over several lines)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {_one_line(message)}; see '{self.prog} --help'\n")


def _parser():
    p = _Parser(prog=PROG, description="Download and verify the VGG-19 weights.")
    sub = p.add_subparsers(dest="command", required=True)
    md5_help = "accepted MD5 (repeatable; default: the two known VGG-19 files)"
    d = sub.add_parser("download", help="download the weights (resumes an interrupted download)",
                       description="Download the weights to DEST.part, resuming it if it is there, and move it "
                                   "to DEST once its MD5 is right. Ctrl-C keeps what was received. A second "
                                   "run to the same DEST while one is running stops at once.")
    d.add_argument("--url", default=os.environ.get("NST_VGG_URL") or DEFAULT_URL,
                   help="source URL, http:// or https:// (default: $NST_VGG_URL or the MatConvNet URL)")
    d.add_argument("--dest", type=Path, default=DEFAULT_DEST, help=f"target file (default: {DEFAULT_DEST})")
    d.add_argument("--md5", action="append", help=md5_help)
    d.add_argument("--timeout", default=str(DEFAULT_TIMEOUT),
                   help=f"seconds to wait for the server's answer, and the longest stall (less than "
                        f"{STALL_BYTES} bytes) of the transfer (default: {DEFAULT_TIMEOUT})")
    v = sub.add_parser("verify", help="check a file's MD5 against the known ones")
    v.add_argument("path", nargs="?", type=Path, default=DEFAULT_DEST, help=f"file (default: {DEFAULT_DEST})")
    v.add_argument("--md5", action="append", help=md5_help)
    return p


def main(argv=None):
    """Console entry point ``nst-weights``; returns the exit code."""
    args = _parser().parse_args(argv)
    md5s = args.md5 or KNOWN_MD5
    try:
        if args.command == "download":
            print(download(args.url, args.dest, md5s=md5s, timeout=args.timeout))
            return 0
        ok, actual = verify(args.path, md5s)
        if not ok:
            raise DownloadError(f"{args.path} has MD5 {actual}, which is not a known one; "
                                f"delete it and run '{PROG} download'")
        print(f"{args.path}: MD5 {actual} OK")
        return 0
    except DownloadError as e:
        print(f"{PROG}: error: {_one_line(e)}", file=sys.stderr)
    except OSError as e:  # local file-system trouble (permissions, disk full, ...)
        where = f" ({e.filename})" if e.filename else ""
        print(f"{PROG}: error: {_one_line(e.strerror or e)}{where}; check the file and its folder",
              file=sys.stderr)
    except KeyboardInterrupt as e:
        text = _one_line(e) if isinstance(e, DownloadInterrupted) else "interrupted"
        print(f"{PROG}: {text}", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
