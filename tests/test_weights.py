"""Tests for nst_utils.weights against a real local HTTP server (no internet access)."""
import ast
import hashlib
import importlib.util
import os
import random
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Load weights.py on its own: importing the nst_utils package pulls in TensorFlow (~5 s), which
# weights.py does not need. test_module_cli_subprocess_no_traceback covers `-m nst_utils.weights`.
_spec = importlib.util.spec_from_file_location("nst_weights_under_test", REPO / "nst_utils" / "weights.py")
weights = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(weights)
DownloadError, download, main = weights.DownloadError, weights.download, weights.main
DATA = random.Random(19).randbytes(200 * 1024)
MD5 = hashlib.md5(DATA).hexdigest()
CUT = 70_000  # bytes sent before the server drops the connection


class Server:
    """Switches flipped by the tests, and a log of the requests the handler saw."""

    def __init__(self):
        self.cut_after = None  # send full Content-Length, write this many bytes, close
        self.status = None  # answer this HTTP error status instead
        self.ignore_range = False  # answer 200 with the whole file even when Range is sent
        self.requests = []  # [(path, Range header or None, status sent)]
        self.url = None


def _handler(srv):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            rng = self.headers.get("Range")
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
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if srv.cut_after is not None:
                self.wfile.write(body[: srv.cut_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

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


def test_success(server, tmp_path):
    dest = tmp_path / "data" / "vgg.mat"  # data/ does not exist yet
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


def test_cli_keyboard_interrupt_keeps_part(server, tmp_path, capsys, monkeypatch):
    class InterruptingBar(weights.tqdm):
        def update(self, n=1):
            super().update(n)
            raise KeyboardInterrupt

    monkeypatch.setattr(weights, "tqdm", InterruptingBar)
    dest = tmp_path / "vgg.mat"
    assert main(["download", "--url", server.url, "--dest", str(dest), "--md5", MD5]) == 130
    assert 0 < part_of(dest).stat().st_size < len(DATA)
    assert not dest.exists()
    assert "run the same command again to resume" in capsys.readouterr().err


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
