"""Spec text -> what the AST does not keep: comments, brace pairs and blank lines, by position."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

Pos = tuple[int, int]  # 1-based line and column, as lark and ast.Span count them


@dataclass(frozen=True, slots=True)
class Comment:
    at: Pos
    text: str  # from `#` to the end of the line, trailing blanks removed
    own_line: bool  # nothing but blanks before it on its line


class Source:
    """One file's text, read once: its comments in order, and where each `{` closes."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.comments: list[Comment] = []
        self.opens: list[Pos] = []
        self.closes: dict[Pos, Pos] = {}
        self._stack: list[Pos] = []
        for number, line in enumerate(self.lines, 1):
            self._scan(number, line)

    def _scan(self, number: int, line: str) -> None:
        """One line: strings hold no `#` or brace and never span lines, so a plain scan is exact."""
        in_string, stack = False, self._stack
        for col, ch in enumerate(line, 1):
            if ch == '"':
                in_string = not in_string
            elif in_string:
                continue
            elif ch == "#":
                own = not line[: col - 1].strip()
                self.comments.append(Comment((number, col), line[col - 1 :].rstrip(), own))
                return
            elif ch == "{":
                stack.append((number, col))
                self.opens.append((number, col))
            elif ch == "}" and stack:
                self.closes[stack.pop()] = (number, col)

    def body_at(self, after: Pos) -> tuple[Pos, Pos]:
        """The `{` of the first body opening at or after `after`, and its `}`."""
        open_ = self.opens[bisect.bisect_left(self.opens, after)]
        return open_, self.closes[open_]

    def blank_before(self, line: int) -> bool:
        """Whether the source line above `line` is empty: blank lines the author left are kept (one at most)."""
        return line >= 2 and not self.lines[line - 2].strip()

    def has_comment(self, start: Pos, end: Pos) -> bool:
        at = bisect.bisect_left(self.comments, start, key=lambda c: c.at)
        return at < len(self.comments) and self.comments[at].at < end
