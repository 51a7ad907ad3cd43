"""netspec.files: an output never replaces an input or a non-regular file, and writes are whole or absent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netspec import files

SPECS = Path(__file__).parent.parent / "specs"
LENET = (SPECS / "lenet5.net").read_text()
LIBRARY = "block Pair(out: int) {\n    conv(out, 3, padding=1)\n    relu()\n}\n"
USER = 'import "lib/pair.net"\nnetwork Net {\n    input [3, 8, 8]\n    Pair(4)\n    flatten()\n    linear(2)\n}\n'


@pytest.fixture
def project(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "pair.net").write_text(LIBRARY)
    (tmp_path / "net.net").write_text(USER)
    return tmp_path


def unchanged(path: Path, text: str) -> bool:
    return path.is_file() and not path.is_symlink() and path.read_text() == text


@pytest.mark.parametrize("command", ["compile", "diagram", "export"])
def test_output_naming_the_spec_is_refused_before_any_work(cli, project, command):
    spec = project / "net.net"
    code, out, err = cli(command, str(spec), "-o", str(spec))
    assert code == 1 and out == ""
    assert f"error: cannot write {spec}: it is {spec}, an input of this command" in err
    assert unchanged(spec, USER) and sorted(p.name for p in project.iterdir()) == ["lib", "net.net"]


def test_output_naming_an_imported_file_is_refused(cli, project):
    library = project / "lib" / "pair.net"
    code, _, err = cli("compile", str(project / "net.net"), "-o", str(library))
    assert code == 1 and f"it is {library}, an input of this command" in err
    assert unchanged(library, LIBRARY)


def test_a_hard_link_to_the_spec_is_the_spec(cli, project):
    link = project / "hard.py"
    os.link(project / "net.net", link)
    code, _, err = cli("compile", str(project / "net.net"), "-o", str(link))
    assert code == 1 and "an input of this command" in err
    assert unchanged(project / "net.net", USER) and link.read_text() == USER


def test_a_spec_read_through_a_symlink_is_refused_as_output_under_its_real_name(cli, project):
    (project / "alias.net").symlink_to(project / "net.net")
    code, _, err = cli("compile", str(project / "alias.net"), "-o", str(project / "net.net"))
    assert code == 1 and f"it is {project / 'alias.net'}, an input" in err
    assert unchanged(project / "net.net", USER)


def test_output_naming_the_weights_checkpoint_is_refused_before_reading_it(cli, project):
    checkpoint = project / "trained.pt"
    checkpoint.write_bytes(b"precious weights")
    (project / "ckpt.onnx").symlink_to(checkpoint)
    for target in (checkpoint, project / "ckpt.onnx"):
        code, _, err = cli("export", str(project / "net.net"), "--weights", str(checkpoint), "-o", str(target))
        assert code == 1 and "cannot write" in err
    assert checkpoint.read_bytes() == b"precious weights"


def test_weights_naming_a_fifo_are_refused_instead_of_blocking(cli, project):
    fifo = project / "weights.pt"
    os.mkfifo(fifo)
    code, _, err = cli("export", str(project / "net.net"), "--weights", str(fifo), "-o", str(project / "n.onnx"))
    assert code == 1 and f"cannot read weights {fifo}: it is a FIFO (named pipe)" in err


@pytest.mark.parametrize("kind", ["symlink", "dangling symlink", "fifo", "directory", "device"])
def test_non_regular_targets_are_refused_and_left_as_they_were(cli, project, kind):
    target = project / "out.py"
    expected = {
        "symlink": "a symbolic link",
        "dangling symlink": "a symbolic link",
        "fifo": "a FIFO (named pipe)",
        "directory": "a directory",
        "device": "a character device",
    }[kind]
    if kind == "symlink":
        (project / "real.py").write_text("mine")
        target.symlink_to(project / "real.py")
    elif kind == "dangling symlink":
        target.symlink_to(project / "nowhere.py")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        target = Path("/dev/null")
    before = os.lstat(target)
    code, _, err = cli("compile", str(project / "net.net"), "-o", str(target))
    assert code == 1 and f"error: cannot write {target}: it is {expected}" in err
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not (project / "nowhere.py").exists() and not list(project.glob(".*netspec-tmp*"))
    if kind == "symlink":
        assert (project / "real.py").read_text() == "mine"


def test_without_dot_an_existing_dot_file_nobody_named_is_kept(cli, project, monkeypatch):
    monkeypatch.setenv("PATH", str(project / "no-programs"))
    (project / "x.dot").write_text("my own graph")
    code, _, err = cli("diagram", str(project / "net.net"), "-o", str(project / "x.svg"))
    assert code == 1 and f"{project / 'x.dot'} already exists" in err and "-o" in err
    assert (project / "x.dot").read_text() == "my own graph" and not (project / "x.svg").exists()


def test_writes_use_a_named_temporary_and_stale_ones_are_cleaned(cli, project):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid no process has now
    stale = project / f".out.py{files.TMP_MARK}{gone.pid}"
    live = project / f".out.py{files.TMP_MARK}{os.getppid()}"
    stale.write_text("half")
    live.write_text("in progress")
    code, _, _ = cli("compile", str(project / "net.net"), "-o", str(project / "out.py"))
    assert code == 0 and "class Net(nn.Sequential)" in (project / "out.py").read_text()
    assert not stale.exists() and live.read_text() == "in progress"  # another running writer's file is its own


def test_a_signal_while_writing_removes_the_temporary_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    real_fsync = os.fsync

    def interrupted(fd):  # the signal arrives between writing the data and renaming it into place
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(SystemExit) as caught:
        files.write(target, b"new" * 1000)
    assert caught.value.code == 128 + signal.SIGTERM
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_file_size_limit_is_a_clean_error_and_leaves_nothing(project):
    script = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100)); "
        "from netspec.cli.app import main; sys.argv[0] = 'netspec'; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, "compile", str(project / "net.net"), "-o", str(project / "out.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"error: cannot write {project / 'out.py'}: File too large" in run.stderr
    assert sorted(p.name for p in project.iterdir()) == ["lib", "net.net"]


def _started_torch(pid: int) -> bool:
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_signal_during_export_leaves_the_old_file_and_no_temporary(project, sig):
    target = project / "net.onnx"
    target.write_bytes(b"old model")
    script = "import sys; from netspec.cli.app import main; sys.argv[0] = 'netspec'; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", script, "export", str(project / "net.net"), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not _started_torch(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()[1].decode()  # still at work: building or exporting
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0 and b"Traceback" not in err
    assert target.read_bytes() == b"old model"
    assert sorted(p.name for p in project.iterdir()) == ["lib", "net.net", "net.onnx"]
