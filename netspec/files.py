"""Paths -> safe file access: what an output may replace, atomic writes, and regular-file-only reads.

Every file netspec writes (compile, export, diagram, from the CLI and from the Python API) goes through
`write`, and every output path is first vetted by `check_output`:

- an output that is one of the run's inputs (the spec, an imported file, the weights), by real identity
  (device and inode, so through symlinks and hard links), is refused before any work;
- an existing symlink, directory, device node, FIFO or socket is refused, never replaced or written through:
  netspec only ever replaces a regular file;
- the data goes to `.<name>.netspec-tmp-<pid>` beside the target, then is renamed over it: the target is
  complete or untouched. SIGINT and SIGTERM remove the temporary and nothing is renamed into place after
  one; after kill -9 the temporary stays, clearly named, and the next write of the same target removes it
  (its process is gone).
"""

from __future__ import annotations

import os
import signal
import stat
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from netspec.diagnostics import Diagnostics, NetspecError

TMP_MARK = ".netspec-tmp-"
Identity = tuple[int, int]


def identity(path: str | os.PathLike) -> Identity | None:
    """The file's real identity (device, inode), following symlinks; None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def check_output(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Raise NetspecError unless writing `path` would replace only a regular file that is none of `inputs`."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        raise refusal(
            f"cannot write {shown(path)}: {getattr(e, 'strerror', None) or e}",
            "give a file path in a directory you can write to",
        ) from None
    kind = _kind(st.st_mode)
    if kind:
        raise refusal(f"cannot write {shown(path)}: it is {kind}", _KIND_HELP.get(kind, _HELP))
    same = (st.st_dev, st.st_ino)
    for source in inputs:
        if identity(source) == same:
            raise refusal(
                f"cannot write {shown(path)}: it is {shown(source)}, an input of this command",
                "write the output to another file",
            )


def check_input(path: str | os.PathLike, what: str) -> None:
    """Raise NetspecError unless `path` is a regular file (a FIFO or a device would block or never end)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError) as e:
        raise refusal(
            f"cannot read {what} {shown(path)}: {getattr(e, 'strerror', None) or e}", "check the path"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise refusal(
            f"cannot read {what} {shown(path)}: it is {_kind(st.st_mode) or 'not a regular file'}",
            "give the path of a regular file",
        )


_HELP = "netspec only replaces regular files; name a new or regular file"
_KIND_HELP = {
    "a symbolic link": "netspec neither replaces links nor writes through them; name the file it points to",
    "a directory": "name a file, e.g. a path inside that directory",
}


def _kind(mode: int) -> str:
    """'' for a regular file, else what it is."""
    kinds = (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "" if stat.S_ISREG(mode) else "not a regular file")


def write(path: str | os.PathLike, data: bytes | str, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Write `data` to `path` atomically (see the module docstring); NetspecError when it cannot be."""
    path = Path(path)
    check_output(path, inputs)
    with _temporary(path) as (fd, tmp):
        try:
            _write_all(fd, data.encode() if isinstance(data, str) else data)
            os.fsync(fd)
        except OSError as e:  # a full disk, a file-size limit
            raise refusal(
                f"cannot write {shown(path)}: {e.strerror or e}", "free some space or write elsewhere"
            ) from None
        check_output(path, inputs)  # the target may have changed kind while the data was written
        _stop_if_signalled()
        try:
            os.replace(tmp, path)
        except OSError as e:
            raise refusal(
                f"cannot write {shown(path)}: {e.strerror or e}", "write the output to another file"
            ) from None
    return path


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[: 1 << 24]) :]


@contextmanager
def _temporary(path: Path) -> Iterator[tuple[int, Path]]:
    _stop_if_signalled()
    tmp = path.parent / f".{path.name}{TMP_MARK}{os.getpid()}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path)
        tmp.unlink(missing_ok=True)  # our own pid: a leftover of a process that had it before
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, unlike mkstemp's 0600
    except OSError as e:
        raise refusal(
            f"cannot write {shown(path)}: {e.strerror or e}", "check that the directory exists and is writable"
        ) from None
    _pending.add(tmp)
    try:
        with guard_signals():
            yield fd, tmp
    finally:
        _pending.discard(tmp)
        os.close(fd)
        tmp.unlink(missing_ok=True)


def clean_stale(path: Path) -> list[Path]:
    """Remove temporaries of `path` left by processes that no longer exist (killed with -9); return them."""
    removed = []
    for tmp in path.parent.glob(f".{_glob_escape(path.name)}{TMP_MARK}*"):
        pid = tmp.name.rpartition(TMP_MARK)[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process: alive; an absurd pid: not a process
        return True
    return True


_pending: set[Path] = set()  # temporaries being written now
_caught: list[int] = []  # SIGINT/SIGTERM received under guard_signals: nothing is renamed into place after one
_GUARDED = (signal.SIGINT, signal.SIGTERM)


def _on_signal(signum, frame):
    _caught.append(signum)
    for tmp in list(_pending):
        tmp.unlink(missing_ok=True)
    _stop_if_signalled()


def _stop_if_signalled() -> None:
    """Raise what the first signal caught would have: KeyboardInterrupt, or SystemExit(128 + signal).

    Raised again at every write: code that swallowed the first one (a bare `except:` in a library) cannot
    make the interrupted command write its output after all."""
    if _caught:
        raise KeyboardInterrupt if _caught[0] == signal.SIGINT else SystemExit(128 + _caught[0])


@contextmanager
def guard_signals():
    """SIGINT and SIGTERM remove the temporaries being written and stop the command (see _stop_if_signalled).
    The `netspec` command holds it for its whole run; `write` for the time it writes, if nothing holds it."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is _on_signal:
        yield
        return
    previous = {sig: signal.signal(sig, _on_signal) for sig in _GUARDED}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        _caught.clear()


SKIPPED_DIRS = frozenset({"node_modules", "venv", "site-packages", "__pycache__", "__pypackages__"})


def specs_below(directory: Path) -> list[Path]:
    """Every `*.net` file below `directory`, sorted; hidden files and directories (`.git`, `.venv`) and the
    package folders of other tools (SKIPPED_DIRS) are skipped, as ruff skips them."""
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        found += [Path(root, n) for n in names if n.endswith(".net") and not n.startswith(".")]
    return sorted(found)


def shown(path: str | os.PathLike) -> str:
    """A path as it may be printed: control characters (a terminal escape in a file name) made visible."""
    from netspec.render import printable

    return printable(os.fsdecode(path))


def refusal(message: str, help: str) -> NetspecError:
    diags = Diagnostics()
    diags.error(message, None, help=help)
    return NetspecError(diags.items)
