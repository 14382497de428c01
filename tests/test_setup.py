"""The set-up's choice of Python (scripts/find_python.sh, used by the Makefile to build .venv), and the
pins' fit to the Pythons it accepts."""
import importlib.metadata
import re
import shutil
import subprocess
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name as canonical

ROOT = Path(__file__).resolve().parent.parent
FIND_PYTHON = (ROOT / "scripts" / "find_python.sh").read_text()
MIN, MAX = (int(re.search(rf"^{name}=(\d+)$", FIND_PYTHON, re.M).group(1)) for name in ("MIN", "MAX"))


def fake_python(folder, name, version, ensurepip=True, venv_fails=False):
    """An executable ``name`` in ``folder`` that answers the version query like Python ``version``; without
    ``ensurepip`` its import fails (Debian's Python without python3.x-venv); with ``venv_fails``,
    ``-m venv DIR`` leaves DIR/bin/python behind and fails, as a venv that cannot install pip does."""
    path = folder / name
    path.write_text("#!/bin/sh\n"
                    + ('case "$*" in *ensurepip*) exit 1;; esac\n' if not ensurepip else "")
                    + ('[ "$1" = -m ] && { mkdir -p "$3/bin" && : > "$3/bin/python" && chmod +x "$3/bin/python"; '
                       'echo "Error: Command returned non-zero exit status 1." >&2; exit 1; }\n' if venv_fails else "")
                    + f"echo {version}\n")
    path.chmod(0o755)


def choose(folder, *args):
    return subprocess.run(["/bin/sh", str(ROOT / "scripts" / "find_python.sh"), *args], env={"PATH": str(folder)},
                          capture_output=True, text=True)


def test_a_supported_python3_is_used(tmp_path):
    fake_python(tmp_path, "python3", "3.12")
    assert choose(tmp_path).stdout.strip() == "python3"


def test_python_3_14_gives_way_to_an_installed_supported_version(tmp_path):
    fake_python(tmp_path, "python3", "3.14")
    fake_python(tmp_path, "python3.11", "3.11")
    result = choose(tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "python3.11"


def test_only_python_3_14_stops_with_one_line(tmp_path):
    fake_python(tmp_path, "python3", "3.14")
    result = choose(tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "python3 is Python 3.14" in lines[0] and "needs Python 3.11 to 3.13" in lines[0]
    assert "make PYTHON=" in lines[0]


def test_an_explicit_python_is_the_only_one_tried(tmp_path):
    fake_python(tmp_path, "python3", "3.12")
    result = choose(tmp_path, "python3.9")
    assert result.returncode == 1 and "tried: python3.9" in result.stderr


def make_install(tmp_path, **python):
    """``make install`` in a copy of the set-up whose only Python is a fake ``python3`` (:func:`fake_python`)."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("Makefile", "requirements.txt", "requirements-lock.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copy(ROOT / "scripts" / "find_python.sh", project / "scripts")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    fake_python(bin_, "python3", **python)
    for tool in ("sh", "rm", "mkdir", "chmod"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    result = subprocess.run([shutil.which("make"), "install"], cwd=project, env={"PATH": str(bin_)},
                            capture_output=True, text=True)
    return result, project


def test_make_stops_before_creating_the_venv(tmp_path):
    """``make install`` on a machine whose only python3 is 3.14: the one line, a failure, and no .venv."""
    result, project = make_install(tmp_path, version="3.14")
    assert result.returncode != 0
    assert "python3 is Python 3.14, but this project needs Python 3.11 to 3.13" in result.stderr
    assert not (project / ".venv").exists()


def test_python_3_10_is_passed_over(tmp_path):
    """NumPy 2.4 and most pins need 3.11: a 3.10 (Ubuntu 22.04's python3) would fail in pip's resolver."""
    fake_python(tmp_path, "python3", "3.10")
    assert "python3 is Python 3.10, but this project needs Python 3.11" in choose(tmp_path).stderr
    fake_python(tmp_path, "python3.12", "3.12")
    assert choose(tmp_path).stdout.strip() == "python3.12"


def test_a_python_without_ensurepip_is_named_with_its_package(tmp_path):
    """Debian and Ubuntu ship venv's ensurepip apart (python3.x-venv): without it ``-m venv`` fails half-way. It
    is named before a Python of the wrong version, being the nearer to working."""
    fake_python(tmp_path, "python3", "3.14")
    fake_python(tmp_path, "python3.11", "3.11", ensurepip=False)
    result = choose(tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "make: python3.11 is Python 3.11 without venv's ensurepip, which .venv needs: install it "
        "('apt install python3.11-venv' on Debian and Ubuntu), or run make PYTHON=/path/to/python3.12"]
    fake_python(tmp_path, "python3.12", "3.12")
    assert choose(tmp_path).stdout.strip() == "python3.12"


def test_a_failed_venv_is_removed(tmp_path):
    """A ``-m venv`` that fails after creating ``.venv/bin/python`` leaves no .venv: else the next ``make`` would
    take the broken one (it tests for ``.venv/bin/python``) and fail in pip, every time."""
    result, project = make_install(tmp_path, version="3.12", venv_fails=True)
    assert result.returncode != 0 and "non-zero exit status" in result.stderr
    assert not (project / ".venv").exists()


def locked():
    """{name: version} of requirements-lock.txt."""
    pins = (line.split("#")[0].strip() for line in (ROOT / "requirements-lock.txt").read_text().splitlines())
    return dict(pin.split("==") for pin in pins if "==" in pin)


def test_every_pin_installs_on_every_python_the_set_up_accepts():
    """Each locked package's Requires-Python (read from the installed one) admits 3.MIN.0 to 3.MAX: soupsieve
    4.1.3 needed 3.11.5, so Debian 12's Python 3.11.2 failed in pip's resolver; NumPy 2.4 needs 3.11. A pin
    may be missing only where nothing installed asks for it on this Python (``overrides``: below 3.12 only)."""
    pins = locked()
    installed = {}
    for name in pins:
        try:
            installed[name] = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    wanted_here = {canonical(req.name) for dist in installed.values() for req in map(Requirement, dist.requires or [])
                   if req.marker is None or req.marker.evaluate({"extra": ""})}
    assert {canonical(name) for name in pins.keys() - installed.keys()} & wanted_here == set()
    refused = {}
    for name, dist in installed.items():
        assert dist.version == pins[name], f"{name}: {dist.version} installed, {pins[name]} locked: run make install"
        wanted = SpecifierSet(dist.metadata.get("Requires-Python") or "")
        refused.update({f"{name}=={pins[name]}": wanted for python in (f"3.{MIN}.0", f"3.{MAX}.0")
                        if python not in wanted})
    assert len(installed) > 100 and refused == {}
