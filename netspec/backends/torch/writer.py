"""Lines of code -> formatted source text with a source map (generated line -> spec span), as jinja2's writer."""

from __future__ import annotations

import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field

from netspec.diagnostics import Span

WIDTH = 100
LINE_LENGTH = 120  # no line longer: the limit of ruff's check of the generated code (pyproject.toml, test_lint.py)
INDENT = "    "
ALIGN_LIMIT = 60  # longer lines keep their comment close instead of pushing the column right


@dataclass(frozen=True, slots=True)
class Call:
    """An expression that may wrap: `head` arg, arg, ... `tail`, one argument per line when too long."""

    head: str
    args: tuple[str | Call, ...]
    tail: str = ")"

    def flat(self) -> str:
        return self.head + ", ".join(_flat(a) for a in self.args) + self.tail


def _flat(expr: str | Call) -> str:
    return expr if isinstance(expr, str) else expr.flat()


@dataclass
class Source:
    """Generated source text, and for each line (1-based) the span of the spec text it came from."""

    text: str
    spans: dict[int, Span] = field(default_factory=dict)


@dataclass
class _Line:
    code: str
    comment: str = ""
    span: Span | None = None
    level: int = 0
    pad: int = 2  # spaces between the code and its comment

    def text(self) -> str:
        code = INDENT * self.level + self.code if self.code else ""
        return code + (" " * self.pad + "# " + self.comment if self.comment else "")


class Writer:
    """Writes indented lines; comments of one aligned block line up; every line may carry its spec span."""

    def __init__(self):
        self.lines: list[_Line] = []
        self.level = 0
        self._aligned: list[_Line] | None = None

    def line(self, code: str = "", comment: str = "", span: Span | None = None) -> None:
        entry = _Line(code, comment, span, self.level)
        self.lines.append(entry)
        if self._aligned is not None and comment:
            self._aligned.append(entry)

    def expr(self, prefix: str, expr: str | Call, suffix: str = "", span: Span | None = None) -> None:
        """`prefix + expr + suffix`, wrapped one argument per line where it does not fit."""
        flat = prefix + _flat(expr) + suffix
        if isinstance(expr, str) or len(INDENT * self.level + flat) <= WIDTH:
            self.line(flat, span=span)
            return
        self.line(prefix + expr.head, span=span)
        with self.indented():
            for arg in expr.args:
                self.expr("", arg, ",")
        self.line(expr.tail + suffix)

    def blank(self, count: int = 1) -> None:
        """End with `count` empty lines (not more), unless nothing has been written yet."""
        trailing = 0
        while trailing < len(self.lines) and not self.lines[-1 - trailing].text():
            trailing += 1
        if trailing < len(self.lines):
            for _ in range(count - trailing):
                self.line()

    def docstring(self, summary: str, *paragraphs: str) -> None:
        """A docstring: the summary line, then paragraphs wrapped to the width."""
        if not paragraphs and len(INDENT * self.level + summary) + 6 <= WIDTH:
            self.line(f'"""{summary}"""')
            return
        first, *rest = textwrap.wrap(
            summary, LINE_LENGTH - len(INDENT * self.level) - 3, break_long_words=False, break_on_hyphens=False
        ) or [""]  # one with many parameters may not fit
        self.line(f'"""{first}')
        for text in rest:
            self.line(text)
        for paragraph in paragraphs:
            self.line()
            for text in textwrap.wrap(paragraph, WIDTH - len(INDENT * self.level), break_on_hyphens=False):
                self.line(text)
        self.line('"""')

    @contextmanager
    def indented(self):
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    @contextmanager
    def aligned(self):
        """Comments of the lines written inside start in one column (if that column is not too far right)."""
        self._aligned = []
        try:
            yield
        finally:
            lines, self._aligned = self._aligned, None
            widths = [len(INDENT * n.level + n.code) for n in lines]
            column = max((w for w in widths if w <= ALIGN_LIMIT), default=0) + 2
            for entry, width in zip(lines, widths, strict=True):
                entry.pad = column - width if width < column else 2

    def source(self) -> Source:
        texts, spans = [], {}
        for number, entry in enumerate(self.lines, start=1):
            texts.append(entry.text().rstrip())
            if entry.span is not None:
                spans[number] = entry.span
        while texts and not texts[-1]:
            texts.pop()
        return Source("\n".join(texts) + "\n", spans)
