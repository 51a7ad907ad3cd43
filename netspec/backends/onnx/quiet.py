"""Takes a block of exporter work, gives it silence: its stdout, stderr, log records and warnings are discarded."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout


@contextmanager
def quiet(enabled: bool = True):
    """Silence everything the block prints, down to file descriptors 1 and 2: torch's C++ code and its logging
    handlers (bound to the real stderr when torch was imported) write there, past any sys.stdout redirection."""
    if not enabled:
        yield
        return
    sink = io.StringIO()
    with _fds_to_devnull(), _no_logging(), warnings.catch_warnings(), redirect_stdout(sink), redirect_stderr(sink):
        warnings.simplefilter("ignore")
        yield


@contextmanager
def _no_logging():
    """No log records at all for the block: handlers bound to a notebook's streams escape the fd redirection."""
    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(before)


@contextmanager
def _fds_to_devnull():
    """Point fds 1 and 2 at /dev/null for the block, then back at what they were."""
    _flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        _flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is None:  # no console (pythonw)
            continue
        with contextlib.suppress(AttributeError, ValueError, OSError):  # closed, or replaced by a harness
            stream.flush()
