"""Spans and diagnostics: the one error type every stage reports, and a sink that collects them."""

from __future__ import annotations

import functools
from dataclasses import field
from typing import Literal

from netspec.records import record

Severity = Literal["error", "warning"]


@record(slots=True)
class Span:
    """A region of one source file: 1-based line and column, end exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @classmethod
    def point(cls, file: str, line: int, col: int, width: int = 1) -> Span:
        return cls(file, line, col, line, col + width)


@record(slots=True)
class Diagnostic:
    """One finding: what went wrong, where, the arithmetic behind it, and how to fix it."""

    severity: Severity
    message: str
    span: Span | None
    label: str = ""
    help: str = ""
    code: str = ""
    notes: tuple[str, ...] = ()
    related: tuple[tuple[Span, str], ...] = ()  # the other places the finding is about: a skip's source, a first use

    def as_dict(self) -> dict:
        where = None
        if self.span is not None:
            s = self.span
            where = {"file": s.file, "line": s.line, "col": s.col, "end_line": s.end_line, "end_col": s.end_col}
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "span": where,
            "label": self.label,
            "help": self.help,
            "notes": list(self.notes),
            "related": [
                {
                    "file": r.file,
                    "line": r.line,
                    "col": r.col,
                    "end_line": r.end_line,
                    "end_col": r.end_col,
                    "label": label,
                }
                for r, label in self.related
            ],
        }


class NetspecError(Exception):
    """Raised by a stage that found errors; carries every diagnostic of the run."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})
        first = next((d for d in self.diagnostics if d.severity == "error"), self.diagnostics[0])
        super().__init__(f"{first.span}: {first.message}" if first.span else first.message)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def render(self, colour: bool = False) -> str:
        """The diagnostics as rustc-style text, with source lines."""
        from netspec.render import render_all

        return render_all(self.diagnostics, self.sources, colour)

    def __str__(self) -> str:
        """The full rendering of every diagnostic, as `netspec check` prints it (args[0] keeps the first line)."""
        return self.render()

    def _render_traceback_(self) -> list[str]:
        """IPython and Jupyter show this instead of a traceback through netspec's internals."""
        return self.render(colour=True).splitlines()


class Fatal(Exception):
    """Internal: stop the current stage now (budget exhausted, recursion); the diagnostic is already recorded."""


@record(frozen=False)
class Diagnostics:
    """A sink that stages write findings into, so one run reports every error it can find."""

    items: list[Diagnostic] = field(default_factory=list)
    limit: int = 200
    repeats: int = 0  # findings dropped as duplicates (a loop meeting the same error again)
    max_repeats: int = 10_000

    def error(
        self,
        message: str,
        span: Span | None,
        label: str = "",
        help: str = "",
        code: str = "",
        related: tuple[tuple[Span, str], ...] = (),
    ) -> None:
        self._add(Diagnostic("error", message, span, label, help, code, related=related))

    def warning(self, message: str, span: Span | None, label: str = "", help: str = "", code: str = "") -> None:
        self._add(Diagnostic("warning", message, span, label, help, code))

    def fatal(self, message: str, span: Span | None, label: str = "", help: str = "", code: str = "") -> Fatal:
        """Record an error that ends the stage; `raise diags.fatal(...)`."""
        self.error(message, span, label, help, code)
        return Fatal(message)

    def _add(self, diagnostic: Diagnostic) -> None:
        """Record a finding; raise Fatal (for the stage to catch) once there are too many to be useful."""
        if diagnostic in self.items:
            self.repeats += 1
            if self.repeats > self.max_repeats:
                raise Fatal("the same errors keep repeating")
            return
        if len(self.items) >= self.limit:
            self.items.append(
                Diagnostic(
                    "error",
                    f"too many errors; stopped after {self.limit}",
                    diagnostic.span,
                    "checking stopped here",
                    "fix these and check again",
                )
            )
            raise Fatal("too many diagnostics")
        self.items.append(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_errors(self, sources: dict[str, str] | None = None) -> None:
        if self.has_errors:
            raise NetspecError(self.items, sources)


def nearest(name: str, candidates) -> str | None:
    """The candidate most like `name` (a likely typo), or None."""
    return _nearest(name, tuple(sorted(set(candidates))))


@functools.lru_cache(maxsize=512)
def _nearest(name: str, candidates: tuple[str, ...]) -> str | None:
    import difflib  # cached: a loop that meets the same unknown name again must not pay for difflib again

    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(name: str, candidates) -> str:
    match = nearest(name, candidates)
    return f"did you mean `{match}`?" if match else ""
