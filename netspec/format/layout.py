"""Lines -> text: indentation, blank lines, labels aligned in runs of members, trailing comments in columns."""

from __future__ import annotations

import itertools
import re

from netspec.format.printer import INDENT, Line

TABLE_ROWS = 3
_KEYWORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*=")


def render(lines: list[Line]) -> str:
    """The file's text: labels padded to a common column within each run of one-line members."""
    texts = [_aligned(run) for run in _label_runs(lines)]
    flat = [text for run in texts for text in run]
    _align_comments(lines, flat)
    out = []
    for i, (line, text) in enumerate(zip(lines, flat, strict=True)):
        if line.blank_before and i > 0 and not lines[i - 1].code.endswith("{"):
            out.append("")
        out.append(text)
    return "\n".join(out) + "\n" if out else ""


def _label_runs(lines: list[Line]) -> list[list[Line]]:
    """Consecutive one-line members at one depth with no blank line between; every other line alone."""
    runs: list[list[Line]] = []
    for line in lines:
        last = runs[-1][-1] if runs else None
        joins = last is not None and line.member and last.member and line.depth == last.depth
        if joins and not line.blank_before:
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def _aligned(run: list[Line]) -> list[str]:
    width = max((len(line.label) for line in run if line.label), default=0)
    codes = _tables(run)
    return [
        INDENT * line.depth + (line.label.ljust(width) + " " if line.label else "") + code
        for line, code in zip(run, codes, strict=True)
    ]


def _tables(run: list[Line]) -> list[str]:
    """Three or more calls of one name with positional arguments only, within a run, get their arguments in
    columns, a table like `Inception(64,  96, 128)` over `Inception(192, 96, 208)`."""
    codes = [line.code for line in run]
    by_name: dict[str, list[int]] = {}
    args: dict[int, list[str]] = {}
    for i, line in enumerate(run):
        if line.call is not None and line.call[1] and not any(_KEYWORD.match(a) for a in line.call[1]):
            by_name.setdefault(line.call[0], []).append(i)
            args[i] = line.call[1]
    for name, rows in by_name.items():
        if len(rows) < TABLE_ROWS:
            continue
        cells = [[a + "," for a in args[i][:-1]] + args[i][-1:] for i in rows]
        widths = [max((len(c[k]) for c in cells if len(c) > k + 1), default=0) for k in range(max(map(len, cells)))]
        for i, row in zip(rows, cells, strict=True):
            padded = [cell.ljust(widths[k]) if k + 1 < len(row) else cell for k, cell in enumerate(row)]
            codes[i] = f"{name}(" + " ".join(padded) + ")"
    return codes


def _align_comments(lines: list[Line], texts: list[str]) -> None:
    """Trailing comments of a paragraph (lines at one depth without a blank one between) start in one column,
    two spaces after the longest line that has one."""
    starts = [i for i, line in enumerate(lines) if i == 0 or line.blank_before or line.depth != lines[i - 1].depth] + [
        len(lines)
    ]
    for first, stop in itertools.pairwise(starts):
        rows = [k for k in range(first, stop) if lines[k].comments]
        column = max((len(texts[k]) for k in rows), default=0) + 2
        for k in rows:
            texts[k] = texts[k].ljust(column) + "  ".join(lines[k].comments)
