"""Takes what went wrong in an export, gives netspec's one error type: a NetspecError with help and notes."""

from __future__ import annotations

import re

from netspec.diagnostics import Diagnostic, NetspecError

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def export_error(message: str, help: str = "", notes: tuple[str, ...] = (), code: str = "") -> NetspecError:
    """An export failure has no span in the spec: it is about the whole network, or about an option."""
    return NetspecError([Diagnostic("error", message, None, help=help, code=code, notes=notes)])


def first_line(error: BaseException, limit: int = 300) -> str:
    """The headline of an exception from torch or onnx, whose messages can run to pages: that of its root cause
    (torch wraps the real error in "Failed to export the model with torch.export..."), without colour codes."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = [line.strip() for line in ANSI.sub("", str(error)).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
