"""The set-up's choice of Python (scripts/find_python.sh, used by the Makefile to build .venv)."""
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fake_python(folder, name, version):
    """An executable ``name`` in ``folder`` that answers the version query like Python ``version``."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho {version}\n")
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
    assert "python3 is Python 3.14" in lines[0] and "supports Python 3.10 to 3.13" in lines[0]
    assert "make PYTHON=" in lines[0]


def test_an_explicit_python_is_the_only_one_tried(tmp_path):
    fake_python(tmp_path, "python3", "3.12")
    result = choose(tmp_path, "python3.9")
    assert result.returncode == 1 and "tried: python3.9" in result.stderr


def test_make_stops_before_creating_the_venv(tmp_path):
    """``make install`` on a machine whose only python3 is 3.14: the one line, a failure, and no .venv."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("Makefile", "requirements.txt", "requirements-lock.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copy(ROOT / "scripts" / "find_python.sh", project / "scripts")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    fake_python(bin_, "python3", "3.14")
    (bin_ / "sh").symlink_to("/bin/sh")
    result = subprocess.run([shutil.which("make"), "install"], cwd=project, env={"PATH": str(bin_)},
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "python3 is Python 3.14, but TensorFlow 2.21 supports Python 3.10 to 3.13" in result.stderr
    assert not (project / ".venv").exists()
