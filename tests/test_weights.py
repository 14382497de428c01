"""Tests for nst_utils.weights against a real local HTTP server (no internet access)."""
import ast
import hashlib
import importlib.util
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from weights_fixtures import open_folder, without_root

REPO = Path(__file__).resolve().parent.parent
WEIGHTS_PY = REPO / "nst_utils" / "weights.py"

# Load weights.py on its own, by path: it needs nothing else of the package (no TensorFlow), and these
# tests do not depend on the package's __init__. test_module_cli_subprocess_no_traceback covers
# `-m nst_utils.weights`, test_console_script_does_not_import_tensorflow the installed `nst-weights`.
_spec = importlib.util.spec_from_file_location("nst_weights_under_test", WEIGHTS_PY)
weights = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(weights)
DownloadError, download, main = weights.DownloadError, weights.download, weights.main
DATA = random.Random(19).randbytes(200 * 1024)
MD5 = hashlib.md5(DATA).hexdigest()
CUT = 70_000  # bytes sent before the server drops the connection (or holds it)
# The command line of weights.py loaded on its own, as above (no package, no TensorFlow: starts fast).
CLI = [sys.executable, "-c", "import importlib.util, sys; "
       "spec = importlib.util.spec_from_file_location('nst_weights_cli', sys.argv.pop(1)); "
       "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); sys.exit(m.main())",
       str(WEIGHTS_PY)]


class Server:
    """Switches flipped by the tests, and a log of the requests the handler saw."""

    def __init__(self):
        self.cut_after = None  # send full Content-Length, write this many bytes, close
        self.hold_after = None  # write this many bytes, then wait for `release` before the rest
        self.trickle = None  # (first, interval): write `first` bytes, then 1 byte per interval until released
        self.hang = False  # answer nothing until released
        self.no_length = False  # send no Content-Length (the closing connection ends the body)
        self.status = None  # answer this HTTP error status instead
        self.ignore_range = False  # answer 200 with the whole file even when Range is sent
        self.redirects = {}  # path -> Location of a 302
        self.content_type = None  # send this Content-Type
        self.requests = []  # [(path, Range header or None, status sent)]
        self.sent = 0  # body bytes written
        self.release = threading.Event()
        self.url = None


def _handler(srv):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            rng = self.headers.get("Range")
            if srv.hang:
                srv.requests.append((self.path, rng, None))
                srv.release.wait(20)
                return
            if self.path in srv.redirects:
                srv.requests.append((self.path, rng, 302))
                self.send_response(302)
                self.send_header("Location", srv.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if srv.status:
                srv.requests.append((self.path, rng, srv.status))
                self.send_error(srv.status)
                return
            start, status = 0, 200
            if rng and not srv.ignore_range:
                start, status = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1)), 206
            srv.requests.append((self.path, rng, 416 if start >= len(DATA) else status))
            if start >= len(DATA):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(DATA)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = DATA[start:]
            self.send_response(status)
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
            if not srv.no_length:
                self.send_header("Content-Length", str(len(body)))
            if srv.content_type:
                self.send_header("Content-Type", srv.content_type)
            self.end_headers()
            if srv.cut_after is not None:
                self.send(body[: srv.cut_after])
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if srv.hold_after is not None:
                self.send(body[: srv.hold_after])
                srv.release.wait(20)
                body = body[srv.hold_after:]
            if srv.trickle is not None:
                first, interval = srv.trickle
                self.send(body[:first])
                for i in range(first, len(body)):
                    if srv.release.wait(interval):
                        return
                    self.send(body[i:i + 1])
            self.send(body)

        def send(self, data):
            self.wfile.write(data)
            self.wfile.flush()
            srv.sent += len(data)

    return Handler


@pytest.fixture
def server():
    srv = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(srv))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{httpd.server_address[1]}/vgg.mat"
    try:
        yield srv
    finally:
        srv.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def dead_url():
    """A URL on a port that was bound and closed again, so nothing listens there."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/vgg.mat"


def get(url, dest, **kw):
    return download(url, dest, md5s=[MD5], timeout=5, progress=False, **kw)


def part_of(dest):
    return dest.with_name(dest.name + ".part")


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def cli_error(capsys):
    """The one error line of a main() call (the progress bar also writes to stderr)."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nst-weights")]
    assert len(lines) == 1, lines
    return lines[0]


def test_success(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    assert get(server.url, dest) == dest
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()
    assert server.requests == [("/vgg.mat", None, 200)]


def test_resume_after_cut_connection(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    server.cut_after = CUT
    with pytest.raises(DownloadError, match=rf"interrupted at {CUT} of {len(DATA)} bytes.*again to resume"):
        get(server.url, dest)
    assert part_of(dest).read_bytes() == DATA[:CUT]
    assert not dest.exists()

    server.cut_after = None
    assert get(server.url, dest) == dest
    assert server.requests[-1] == ("/vgg.mat", f"bytes={CUT}-", 206)
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()


def test_server_ignoring_range_restarts_from_scratch(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    part_of(dest).write_bytes(DATA[:CUT])
    server.ignore_range = True
    get(server.url, dest)
    assert server.requests == [("/vgg.mat", f"bytes={CUT}-", 200)]
    assert dest.read_bytes() == DATA  # truncated, not appended
    assert not part_of(dest).exists()


def test_complete_part_with_416_is_checked_and_moved(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    part_of(dest).write_bytes(DATA)
    get(server.url, dest)
    assert server.requests == [("/vgg.mat", f"bytes={len(DATA)}-", 416)]
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()


def test_checksum_mismatch_deletes_download(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    wrong = "0" * 32
    with pytest.raises(DownloadError) as err:
        download(server.url, dest, md5s=[wrong], timeout=5, progress=False)
    msg = str(err.value)
    assert "MD5" in msg and wrong in msg and MD5 in msg and str(dest) in msg
    assert not dest.exists()
    assert not part_of(dest).exists()


def test_server_unreachable(dead_url, tmp_path):
    dest = tmp_path / "vgg.mat"
    with pytest.raises(DownloadError) as err:
        get(dead_url, dest)
    msg = str(err.value)
    assert "could not reach the server" in msg
    assert "internet" in msg and str(dest) in msg and "NST_VGG_MODEL" in msg
    assert not dest.exists()
    assert not part_of(dest).exists()


def test_http_500(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    server.status = 500
    with pytest.raises(DownloadError, match="HTTP 500") as err:
        get(server.url, dest)
    assert server.url in str(err.value)
    assert not dest.exists()


def test_already_present_makes_no_request(server, tmp_path, capsys):
    dest = tmp_path / "vgg.mat"
    dest.write_bytes(DATA)
    assert get(server.url, dest) == dest
    assert server.requests == []
    assert "already there" in capsys.readouterr().err


def test_existing_file_with_wrong_md5_is_replaced(server, tmp_path):
    dest = tmp_path / "vgg.mat"
    dest.write_bytes(b"garbage")
    get(server.url, dest)
    assert dest.read_bytes() == DATA
    assert len(server.requests) == 1


def test_cli_download_success(server, tmp_path, capsys, monkeypatch):
    dest = tmp_path / "vgg.mat"
    monkeypatch.setenv("NST_VGG_URL", server.url)  # overrides the default --url
    assert main(["download", "--dest", str(dest), "--md5", "1" * 32, "--md5", MD5]) == 0
    assert capsys.readouterr().out.strip() == str(dest)
    assert dest.read_bytes() == DATA
    assert server.requests == [("/vgg.mat", None, 200)]


@pytest.mark.parametrize("kind", ["dead", "500", "cut", "md5"])
def test_cli_download_failure_prints_one_line(kind, server, dead_url, tmp_path, capsys):
    dest = tmp_path / "vgg.mat"
    url, md5 = server.url, MD5
    if kind == "dead":
        url = dead_url
    elif kind == "500":
        server.status = 500
    elif kind == "cut":
        server.cut_after = CUT
    else:
        md5 = "2" * 32
    argv = ["download", "--url", url, "--dest", str(dest), "--md5", md5, "--timeout", "5"]
    assert main(argv) == 1
    # the progress bar also writes to stderr; the error itself is exactly one line
    err_lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("nst-weights")]
    assert len(err_lines) == 1 and err_lines[0].startswith("nst-weights: error: ")
    assert not dest.exists()


def test_cli_dead_url_exact_stderr(dead_url, tmp_path, capsys):
    assert main(["download", "--url", dead_url, "--dest", str(tmp_path / "v.mat")]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("nst-weights: error: could not reach")


def test_cli_keyboard_interrupt_keeps_everything_received(server, tmp_path, capsys, monkeypatch):
    """A Ctrl-C (raised in the main thread, where Python delivers it) once CUT bytes have arrived:
    all of them are in the .part, the one line says so, and the next run resumes from there."""
    class InterruptingBar(weights.tqdm):
        def update(self, n=1):
            super().update(n)
            if self.n >= CUT:
                raise KeyboardInterrupt

    monkeypatch.setattr(weights, "tqdm", InterruptingBar)
    server.hold_after = CUT
    dest = tmp_path / "vgg.mat"
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 130
    assert part_of(dest).read_bytes() == DATA[:CUT]
    assert not dest.exists()
    assert cli_error(capsys) == (f"nst-weights: interrupted; {CUT} of {len(DATA)} bytes are kept in "
                                 f"{part_of(dest)}, run the same command again to resume")
    monkeypatch.undo()
    server.hold_after = None
    assert get(server.url, dest) == dest
    assert server.requests[-1] == ("/vgg.mat", f"bytes={CUT}-", 206)
    assert dest.read_bytes() == DATA


def test_ctrl_c_in_a_real_run(server, tmp_path):
    """SIGINT to the command line: exit 130, one line with the size kept, no traceback."""
    server.hold_after = CUT
    dest = tmp_path / "vgg.mat"
    proc = subprocess.Popen(CLI + ["download", "--url", server.url, "--dest", str(dest), "--md5", MD5],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: part_of(dest).exists() and part_of(dest).stat().st_size == CUT)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err and out == ""
    lines = [line for line in err.splitlines() if line.startswith("nst-weights")]
    assert lines == [f"nst-weights: interrupted; {CUT} of {len(DATA)} bytes are kept in {part_of(dest)}, "
                     f"run the same command again to resume"]
    assert part_of(dest).read_bytes() == DATA[:CUT]


def test_ctrl_c_before_any_data_leaves_nothing(server, tmp_path):
    server.hang = True
    dest = tmp_path / "vgg.mat"
    proc = subprocess.Popen(CLI + ["download", "--url", server.url, "--dest", str(dest), "--md5", MD5],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: server.requests)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.splitlines() == ["nst-weights: interrupted before any data arrived; nothing was kept"]
    assert list(tmp_path.iterdir()) == []


def test_module_cli_subprocess_no_traceback(dead_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NST_VGG_URL"}
    proc = subprocess.run(
        [sys.executable, "-m", "nst_utils.weights", "download", "--url", dead_url,
         "--dest", str(tmp_path / "vgg.mat")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nst-weights: error: "), proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "vgg.mat").exists()


def test_verify(tmp_path, capsys):
    good, bad = tmp_path / "good.mat", tmp_path / "bad.mat"
    good.write_bytes(DATA)
    bad.write_bytes(DATA[:-1])
    assert weights.verify(good, [MD5]) == (True, MD5)
    assert weights.verify(bad, [MD5])[0] is False

    assert main(["verify", str(good), "--md5", MD5]) == 0
    out = capsys.readouterr()
    assert "OK" in out.out and MD5 in out.out and out.err == ""

    assert main(["verify", str(bad), "--md5", MD5]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("nst-weights: error: ")
    assert hashlib.md5(DATA[:-1]).hexdigest() in err

    assert main(["verify", str(tmp_path / "missing.mat")]) == 1
    assert "no file at" in capsys.readouterr().err


def test_defaults():
    assert weights.DEFAULT_DEST == REPO / "data" / "imagenet-vgg-verydeep-19.mat"
    assert set(weights.KNOWN_MD5) == {"8ee3263992981a1d26e73b3ca028a123", "106118b7cf60435e6d8e04f6a6dc3657"}


def test_imports_only_stdlib_and_tqdm():
    tree = ast.parse((REPO / "nst_utils" / "weights.py").read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names - set(sys.stdlib_module_names) == {"tqdm"}


# --- issue 11: concurrent runs, bad options, slow or odd servers, partial files, permissions ------------

def test_second_run_to_the_same_dest_stops_without_touching_the_part(server, tmp_path, capsys):
    """Two runs to one destination used to share the .part: one renamed it while the other kept
    appending, and the result had the wrong MD5. The second run now stops with one line."""
    server.hold_after = CUT
    dest = tmp_path / "vgg.mat"
    first = threading.Thread(target=get, args=(server.url, dest))
    first.start()
    try:
        wait_for(lambda: part_of(dest).exists() and part_of(dest).stat().st_size == CUT)
        assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 1
        assert cli_error(capsys) == (
            f"nst-weights: error: another nst-weights download to {dest} is running (it holds {part_of(dest)}); "
            f"this one stopped without touching it: let the other finish, then run 'nst-weights verify {dest}'")
        assert len(server.requests) == 1  # the second run asked the server nothing
        assert part_of(dest).read_bytes() == DATA[:CUT]
    finally:
        server.release.set()
        first.join(20)
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()


def test_lock_notices_a_part_renamed_by_the_previous_holder(server, tmp_path, monkeypatch):
    """A run that opens the .part just before the previous holder renames it onto dest (and gets
    the lock just after) must not write into dest: it sees dest finished and asks for nothing."""
    dest = tmp_path / "vgg.mat"
    part_of(dest).write_bytes(DATA)
    real_flock, calls = weights.fcntl.flock, []

    def flock(fd, op):
        if not calls:  # the previous holder finishes between our open() and our flock()
            os.replace(part_of(dest), dest)
        calls.append(op)
        return real_flock(fd, op)

    monkeypatch.setattr(weights.fcntl, "flock", flock)
    assert get(server.url, dest) == dest
    assert len(calls) == 2  # locked the renamed file, noticed, reopened
    assert server.requests == []
    assert dest.read_bytes() == DATA
    assert not part_of(dest).exists()


@pytest.mark.parametrize("value", ["inf", "-1", "0", "nan", "abc", "1e9"])
def test_bad_timeout_refused_up_front(value, server, tmp_path, capsys):
    dest = tmp_path / "vgg.mat"
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5, "--timeout", value]) == 1
    assert capsys.readouterr().err == (f"nst-weights: error: --timeout {value}: give the network timeout as a "
                                       f"positive number of seconds, at most 86400 (e.g. --timeout 30)\n")
    assert server.requests == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["1" * 31, "g" * 32, MD5 + "0", ""])
def test_bad_md5_refused_before_connecting(value, server, tmp_path, capsys):
    dest = tmp_path / "vgg.mat"
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5, "--md5", value]) == 1
    assert capsys.readouterr().err == (f"nst-weights: error: --md5 {value!r}: an MD5 checksum is 32 hexadecimal "
                                       f"digits (0-9, a-f); check it for a typo\n")
    assert server.requests == [] and list(tmp_path.iterdir()) == []
    dest.write_bytes(DATA)
    assert main(["verify", str(dest), "--md5", value]) == 1
    assert f"--md5 {value!r}: an MD5 checksum is 32" in capsys.readouterr().err
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5.upper()]) == 0  # case is fine


def test_server_that_never_answers(server, tmp_path, capsys):
    server.hang = True
    dest = tmp_path / "vgg.mat"
    host = server.url.split("/")[2]
    start = time.monotonic()
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5, "--timeout", "0.5"]) == 1
    assert time.monotonic() - start < 5
    line = cli_error(capsys)
    assert line.startswith(f"nst-weights: error: the server {host} did not answer within 0.5 s ({server.url}); "
                           f"check your connection and run the same command again (on a slow network raise "
                           f"--timeout)")
    assert "needs internet" not in line
    assert list(tmp_path.iterdir()) == []


def test_file_url_refused_in_one_line(tmp_path, capsys):
    dest = tmp_path / "vgg.mat"
    source = tmp_path / "source.mat"
    source.write_bytes(DATA)
    assert main(["download", "--url", source.as_uri(), "--dest", str(dest), "--md5", MD5]) == 1
    assert capsys.readouterr().err == (
        f"nst-weights: error: --url '{source.as_uri()}': only http:// and https:// URLs can be downloaded; for a "
        f"file you already have, copy it to {dest} (or set NST_VGG_MODEL to its path)\n")
    assert not dest.exists() and not part_of(dest).exists()


@pytest.mark.parametrize("url", ["http://", "http://host:port/x", "http://ho st/x", "ftp://example.org/x"])
def test_malformed_urls_refused_in_one_line(url, tmp_path, capsys):
    assert main(["download", "--url", url, "--dest", str(tmp_path / "vgg.mat"), "--md5", MD5]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"nst-weights: error: --url {url!r}: ")
    assert list(tmp_path.iterdir()) == []


def test_redirect_loop_and_redirect_to_a_file_url_in_one_line(server, tmp_path, capsys):
    dest = tmp_path / "vgg.mat"
    host = server.url.split("/")[2]
    server.redirects = {"/vgg.mat": "/vgg.mat"}
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 1
    assert capsys.readouterr().err == (f"nst-weights: error: the server {host} keeps redirecting (HTTP 302, a loop "
                                       f"or more than 10 redirects) for {server.url}; check the URL\n")
    server.redirects = {"/vgg.mat": "file:///etc/passwd"}
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 1
    assert capsys.readouterr().err == (f"nst-weights: error: {server.url} redirects (HTTP 302) to file:///etc/passwd, "
                                       f"which is not an http(s) URL; download the file by hand and give its path "
                                       f"in NST_VGG_MODEL\n")
    assert list(tmp_path.iterdir()) == []
    server.redirects = {"/elsewhere.mat": "/vgg.mat"}  # an ordinary redirect still works
    assert get(server.url.replace("vgg.mat", "elsewhere.mat"), dest) == dest
    assert dest.read_bytes() == DATA


def test_trickling_server_is_a_stall_and_everything_received_is_kept(server, tmp_path):
    """5000 bytes, then 1 byte every 0.1 s: the old loop waited for 64 KiB (hours) and lost the
    5000 bytes; --timeout 0.5 now ends it in about a second, keeping every byte received."""
    server.trickle = (5000, 0.1)
    dest = tmp_path / "vgg.mat"
    result = {}

    def run():
        try:
            download(server.url, dest, md5s=[MD5], timeout=0.5, progress=False)
        except DownloadError as e:
            result["error"] = str(e)

    thread = threading.Thread(target=run, daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "a trickling server must not hold the download beyond --timeout"
    assert time.monotonic() - start < 5
    kept = part_of(dest).read_bytes()
    assert len(kept) >= 5000 and kept == DATA[:len(kept)]
    m = re.fullmatch(rf"the server {re.escape(server.url.split('/')[2])} sent only (\d+) bytes in 0.5 s "
                     rf"\(download stalled at (\d+) of {len(DATA)} bytes\); the partial file is kept at "
                     rf"{re.escape(str(part_of(dest)))}: run the same command again to resume \(on a slow network "
                     rf"raise --timeout\)", result["error"])
    assert m and int(m[1]) < weights.STALL_BYTES and int(m[2]) == len(kept)
    assert not dest.exists()


def test_cut_without_content_length_keeps_the_part_and_resumes(server, tmp_path):
    server.no_length, server.cut_after = True, CUT
    dest = tmp_path / "vgg.mat"
    with pytest.raises(DownloadError, match=rf"ended at {CUT} bytes without the server giving the file's size.*"
                                            rf"probably cut; the partial file is kept at .*again to resume"):
        get(server.url, dest)
    assert part_of(dest).read_bytes() == DATA[:CUT]
    server.cut_after = None
    assert get(server.url, dest) == dest
    assert server.requests[-1] == ("/vgg.mat", f"bytes={CUT}-", 206)
    assert dest.read_bytes() == DATA and not part_of(dest).exists()


def test_wrong_file_without_content_length_is_deleted_once_nothing_more_comes(server, tmp_path):
    """Keeping a .part whose end is unknown must not loop: when resuming brings nothing, it is complete."""
    server.no_length = True
    dest = tmp_path / "vgg.mat"
    wrong = "3" * 32
    with pytest.raises(DownloadError, match="probably cut; the partial file is kept"):
        download(server.url, dest, md5s=[wrong], timeout=5, progress=False)
    assert part_of(dest).read_bytes() == DATA
    with pytest.raises(DownloadError, match=f"MD5 mismatch.*expected {wrong}.*the download was deleted"):
        download(server.url, dest, md5s=[wrong], timeout=5, progress=False)
    assert server.requests[-1] == ("/vgg.mat", f"bytes={len(DATA)}-", 416)
    assert list(tmp_path.iterdir()) == []


def test_dest_folder_refused_up_front(server, tmp_path, capsys):
    folder = tmp_path / "weights"
    folder.mkdir()
    assert main(["download", "--url", server.url, "--dest", str(folder), "--md5", MD5]) == 1
    assert capsys.readouterr().err == (f"nst-weights: error: --dest {folder} is a folder; give the file's path, "
                                       f"e.g. --dest {folder}/imagenet-vgg-verydeep-19.mat\n")
    assert server.requests == [] and list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_missing_dest_folder_refused_up_front(server, tmp_path, capsys):
    dest = tmp_path / "no" / "such" / "vgg.mat"
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 1
    folder = dest.parent
    assert capsys.readouterr().err == (f"nst-weights: error: --dest {dest}: the folder {folder} does not exist; "
                                       f"create it first (mkdir -p {folder}) or choose another --dest\n")
    assert server.requests == [] and list(tmp_path.iterdir()) == []


def test_unwritable_dest_folder_refused_up_front(server, capsys):
    with open_folder() as base:
        folder = base / "read-only"
        folder.mkdir(mode=0o555)
        folder.chmod(0o555)
        dest = folder / "vgg.mat"
        with without_root():
            code = main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5])
        assert code == 1
        assert capsys.readouterr().err == (
            f"nst-weights: error: --dest {dest}: cannot write to the folder {folder} (permission denied); "
            f"choose another --dest or make the folder writable\n")
        assert server.requests == [] and list(folder.iterdir()) == []


@pytest.mark.parametrize("umask", [0o002, 0o027])
def test_new_files_follow_the_umask(umask, server, tmp_path):
    dest = tmp_path / "vgg.mat"
    old = os.umask(umask)
    try:
        server.cut_after = CUT
        with pytest.raises(DownloadError):
            get(server.url, dest)
        assert part_of(dest).stat().st_mode & 0o777 == 0o666 & ~umask
        server.cut_after = None
        get(server.url, dest)
    finally:
        os.umask(old)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~umask


def test_usage_mistakes_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["download", "--colour", "red"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("nst-weights: error: unrecognized arguments: --colour red; "
                                       "see 'nst-weights --help'\n")


def test_console_script_does_not_import_tensorflow(server, tmp_path):
    """`nst-weights --help` and a download need no TensorFlow (3 s to import). The console script's
    `import nst_utils.weights` runs the package's __init__ first: this needs a lazy __init__."""
    script = Path(sys.executable).parent / "nst-weights"
    dest = tmp_path / "vgg.mat"
    code = ("import runpy, sys\n"
            "script, url, dest, md5 = sys.argv[1:]\n"
            "for argv in (['--help'], ['download', '--url', url, '--dest', dest, '--md5', md5]):\n"
            "    sys.argv = [script] + argv\n"
            "    try:\n"
            "        runpy.run_path(script, run_name='__main__')\n"
            "    except SystemExit as e:\n"
            "        print('exit', e.code)\n"
            "print('tensorflow imported:', 'tensorflow' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(script), server.url, str(dest), MD5],
                          capture_output=True, text=True, timeout=120)
    assert "usage: nst-weights" in proc.stdout and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.count("exit 0") == 2
    assert dest.read_bytes() == DATA
    assert proc.stdout.splitlines()[-1] == "tensorflow imported: False"


# --- issue 24: nothing lost, nothing misleading -------------------------------------------------------------

def test_a_second_ctrl_c_at_once_still_gives_one_line_and_keeps_everything(server, tmp_path, capsys, monkeypatch):
    """Two Ctrl-C within a millisecond: the second used to land while the first one unwound a threading wait,
    before the wait took its lock back, and the download ended in "RuntimeError: release unlocked lock".
    Here the second Ctrl-C is sent exactly then (from the wait's own code), or else while the download
    stops its reader, every time."""
    server.hold_after = CUT
    dest = tmp_path / "vgg.mat"
    sent = []
    restore, stop = threading.Condition._acquire_restore, weights._Reader.stop

    def second_ctrl_c():
        if sent == ["first"] and threading.current_thread() is threading.main_thread():
            sent.append("second")
            os.kill(os.getpid(), signal.SIGINT)

    def before_the_lock_is_back(self, state):
        second_ctrl_c()
        return restore(self, state)

    def while_stopping(self):
        second_ctrl_c()
        return stop(self)

    def first_ctrl_c():
        wait_for(lambda: part_of(dest).exists() and part_of(dest).stat().st_size >= CUT)
        sent.append("first")
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(threading.Condition, "_acquire_restore", before_the_lock_is_back)
    monkeypatch.setattr(weights._Reader, "stop", while_stopping)
    threading.Thread(target=first_ctrl_c, daemon=True).start()
    code = main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5])
    time.sleep(0.2)  # a late second Ctrl-C would land in this test, not in the download
    monkeypatch.undo()
    assert code == 130 and sent == ["first", "second"]
    assert cli_error(capsys) == (f"nst-weights: interrupted; {CUT} of {len(DATA)} bytes are kept in "
                                 f"{part_of(dest)}, run the same command again to resume")
    assert part_of(dest).read_bytes() == DATA[:CUT]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C is Python's own again


def test_a_stall_before_any_byte_says_nothing_is_kept(server, tmp_path):
    """No byte in --timeout: the empty partial file is removed, so the line must not say it is kept."""
    server.hold_after = 0
    dest = tmp_path / "vgg.mat"
    with pytest.raises(DownloadError) as err:
        download(server.url, dest, md5s=[MD5], timeout=0.5, progress=False)
    assert str(err.value).endswith("(download stalled at 0 of 204800 bytes); nothing was received, so no partial "
                                   "file is kept: run the same command again (on a slow network raise --timeout)")
    assert list(tmp_path.iterdir()) == []


def test_a_file_larger_than_the_free_space_is_refused_before_writing(server, tmp_path, monkeypatch):
    """A server announcing more than the disk holds (10^12 bytes, say) would fill the disk."""
    real = os.statvfs

    class Small:
        f_bavail, f_frsize, f_flag = 10, 4096, 0  # 40 KB free

    monkeypatch.setattr(os, "statvfs", lambda path: Small() if str(path).startswith(str(tmp_path)) else real(path))
    dest = tmp_path / "vgg.mat"
    with pytest.raises(DownloadError) as err:
        get(server.url, dest)
    assert str(err.value) == (f"the file is 205 kB (the server {server.url.split('/')[2]} says) and 205 kB more are "
                              f"needed, but only 41 kB are free in {tmp_path}; free some space or choose another "
                              f"--dest (nothing was written)")
    assert list(tmp_path.iterdir()) == []


def test_a_web_page_is_refused_unwritten(server, tmp_path):
    """A network's login page answers every address with a web page, often without a size."""
    server.content_type, server.no_length = "text/html; charset=utf-8", True
    dest = tmp_path / "vgg.mat"
    with pytest.raises(DownloadError, match=r"sent a web page \(text/html\), not the weight file, for .*: a "
                                            r"network's login page, or a wrong URL; .*\(nothing was written\)"):
        get(server.url, dest)
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_cannot_resume_and_gives_no_size_does_not_loop(server, tmp_path):
    """Without a size, a short wrong file may be a cut connection: kept to resume. But a server that then
    ignores the Range cannot resume: the bytes are deleted, not kept for a resume that never comes."""
    server.no_length, server.ignore_range = True, True
    dest = tmp_path / "vgg.mat"
    wrong = "3" * 32
    with pytest.raises(DownloadError, match="probably cut; the partial file is kept"):
        download(server.url, dest, md5s=[wrong], timeout=5, progress=False)
    with pytest.raises(DownloadError) as err:
        download(server.url, dest, md5s=[wrong], timeout=5, progress=False)
    assert "without giving the file's size, and it does not resume downloads; their MD5" in str(err.value)
    assert "so they were deleted: check the URL" in str(err.value) and "resume" not in str(err.value)[-80:]
    assert server.requests[-1] == ("/vgg.mat", f"bytes={len(DATA)}-", 200)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_file_system_is_not_called_permission_denied(server, tmp_path, capsys, monkeypatch):
    real = os.statvfs

    class ReadOnly:
        f_bavail, f_frsize, f_flag = 10**9, 4096, os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda path: ReadOnly() if str(path) == str(tmp_path) else real(path))
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)  # what access() says on a read-only mount
    dest = tmp_path / "vgg.mat"
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 1
    assert capsys.readouterr().err == (f"nst-weights: error: --dest {dest}: the folder {tmp_path} is on a read-only "
                                       f"file system; choose another --dest\n")
    assert server.requests == []
