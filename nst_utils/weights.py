"""Download the pretrained VGG-19 weights (MatConvNet ``.mat`` file) with resume and MD5 check.

Command line::

    nst-weights download [--url URL] [--dest PATH] [--md5 HEX ...] [--timeout SECONDS]
    nst-weights verify [PATH] [--md5 HEX ...]
    python -m nst_utils.weights download ...

The file is written to ``<dest>.part`` first and only moved onto ``<dest>`` once its MD5 matches
one of the accepted checksums, so ``<dest>`` never holds a half-written file. An interrupted
download keeps the ``.part`` file; running the same command again resumes it (HTTP ``Range``).
Standard library plus ``tqdm`` only: this module must not import TensorFlow.
"""
import argparse
import hashlib
import http.client
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

DEFAULT_URL = "https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat"
KNOWN_MD5 = (
    "8ee3263992981a1d26e73b3ca028a123",  # old MatConvNet format
    "106118b7cf60435e6d8e04f6a6dc3657",  # new MatConvNet format
)
DEFAULT_DEST = Path(__file__).resolve().parent.parent / "data" / "imagenet-vgg-verydeep-19.mat"
CHUNK = 64 * 1024
PROG = "nst-weights"


class DownloadError(RuntimeError):
    """A download or verification failed; the message says what happened and what to do."""


def md5sum(path):
    """Return the hex MD5 of the file at ``path``."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _part_path(dest):
    return dest.with_name(dest.name + ".part")


def _unreachable(url, dest, reason):
    return DownloadError(
        f"could not reach the server for {url} ({reason}); downloading the VGG-19 weights needs "
        f"internet (without it the bundled network is used automatically); or download the file "
        f"by hand and put it at {dest} (or set NST_VGG_MODEL to its path)"
    )


def _open(url, offset, timeout, dest):
    """Send the GET (with ``Range`` when resuming); return the response, or None on HTTP 416."""
    headers = {"User-Agent": f"{PROG}/0.1"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416 and offset:
            return None  # nothing left to fetch: the .part is already complete
        raise DownloadError(
            f"server answered HTTP {e.code} {e.reason} for {url}; check the URL or try again later"
        ) from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, (OSError, socket.timeout)):
            raise _unreachable(url, dest, e.reason) from None
        raise DownloadError(f"could not open {url} ({e.reason}); check the URL") from None
    except (OSError, http.client.HTTPException) as e:  # timeouts, resets, bad status lines
        raise _unreachable(url, dest, str(e) or type(e).__name__) from None
    except ValueError as e:  # malformed URL
        raise DownloadError(f"invalid URL {url!r} ({e}); check the --url option") from None


def _fetch(url, part, timeout, progress, dest):
    """Download ``url`` into ``part``, appending to an existing partial file when possible."""
    offset = part.stat().st_size if part.exists() else 0
    resp = _open(url, offset, timeout, dest)
    if resp is None:
        return
    with resp:
        length = resp.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        if resp.status == 206:
            m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != offset:
                part.unlink(missing_ok=True)
                raise DownloadError(
                    f"server sent an unexpected byte range for {url}; the partial file was "
                    f"deleted, run the same command again to start over"
                )
            total = int(m.group(2)) if m.group(2) != "*" else None
            mode = "ab"
        elif resp.status == 200:  # fresh download, or the server ignored Range: start over
            offset, total, mode = 0, length, "wb"
        else:
            raise DownloadError(f"server answered HTTP {resp.status} for {url}; expected 200 or 206")
        if total is None and length is not None:
            total = offset + length

        done, error = offset, None
        with open(part, mode) as f, tqdm(
            total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
            desc=dest.name, disable=not progress,
        ) as bar:
            while True:
                try:
                    chunk = resp.read(CHUNK)
                except (OSError, http.client.HTTPException) as e:  # reset, timeout, IncompleteRead
                    error = e
                    break
                if not chunk:
                    break
                f.write(chunk)
                done += len(chunk)
                bar.update(len(chunk))
    if error is not None or (total is not None and done < total):
        of = f"{done} of {total}" if total is not None else f"{done}"
        why = f" ({type(error).__name__})" if error is not None else ""
        raise DownloadError(
            f"download interrupted at {of} bytes{why}; the partial file is kept at {part}, "
            f"run the same command again to resume"
        )


def download(url, dest, md5s=KNOWN_MD5, timeout=30, progress=True):
    """Download ``url`` to ``dest`` (resuming ``dest.part``), check its MD5, return ``dest``.

    Raises :class:`DownloadError` on any failure. If ``dest`` already exists with an accepted MD5,
    nothing is downloaded.
    """
    dest = Path(dest)
    accepted = {m.strip().lower() for m in md5s}
    if dest.is_file():
        actual = md5sum(dest)
        if actual in accepted:
            print(f"{dest} is already there (MD5 {actual} OK)", file=sys.stderr)
            return dest
        print(f"{dest} has an unknown MD5 {actual}; downloading it again", file=sys.stderr)
    part = _part_path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _fetch(url, part, timeout, progress, dest)
    actual = md5sum(part)
    if actual not in accepted:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"MD5 mismatch for {dest} downloaded from {url}: expected {' or '.join(sorted(accepted))}, "
            f"got {actual}; the download was deleted, run the same command again"
        )
    os.replace(part, dest)
    return dest


def verify(path, md5s=KNOWN_MD5):
    """Return ``(ok, md5)``: whether the file at ``path`` has one of the accepted MD5s."""
    path = Path(path)
    if not path.is_file():
        raise DownloadError(f"no file at {path}; run '{PROG} download' first")
    actual = md5sum(path)
    return actual in {m.strip().lower() for m in md5s}, actual


def _parser():
    p = argparse.ArgumentParser(prog=PROG, description="Download and verify the VGG-19 weights.")
    sub = p.add_subparsers(dest="command", required=True)
    md5_help = "accepted MD5 (repeatable; default: the two known VGG-19 files)"
    d = sub.add_parser("download", help="download the weights (resumes an interrupted download)")
    d.add_argument("--url", default=os.environ.get("NST_VGG_URL") or DEFAULT_URL,
                   help="source URL (default: $NST_VGG_URL or the MatConvNet URL)")
    d.add_argument("--dest", type=Path, default=DEFAULT_DEST, help=f"target file (default: {DEFAULT_DEST})")
    d.add_argument("--md5", action="append", help=md5_help)
    d.add_argument("--timeout", type=float, default=30, help="network timeout in seconds (default: 30)")
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
        print(f"{PROG}: error: {e}", file=sys.stderr)
    except OSError as e:  # local file-system trouble (permissions, disk full, ...)
        print(f"{PROG}: error: {e}; check that the destination is writable", file=sys.stderr)
    except KeyboardInterrupt:
        if args.command == "download":
            print(f"{PROG}: interrupted; the partial file is kept at {_part_path(args.dest)}, "
                  f"run the same command again to resume", file=sys.stderr)
        else:
            print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
