"""Editor text -> Document: the findings of every stage and what the spec means so far, never an exception.

A syntax error stops the parser, so the text is parsed again with the offending lines blanked (line numbers
kept) until it parses: the error is reported, and shapes, hovers and names come from what did parse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from netspec import analysis
from netspec.analysis.report import Report
from netspec.diagnostics import Diagnostic, Diagnostics, NetspecError
from netspec.elaborate import Loader, elaborate_partial
from netspec.ir import Graph
from netspec.lsp.incremental import find_change, reparse, splice
from netspec.parse import ast, parse

MAX_REPAIRS = 8


@dataclass
class Document:
    """One open file, analysed: diagnostics, the AST (of the repaired text after a syntax error), the IR."""

    path: str
    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    spec: ast.Spec | None = None
    graph: Graph | None = None
    report: Report | None = None
    repaired: bool = False  # the AST and IR come from the text with its broken lines blanked
    base: tuple[str, ast.Spec] | None = None  # the last text that parsed, and its AST: the next edit's start

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def analyse_text(text: str, path: str, previous: Document | None = None) -> Document:
    """Every stage on `text` as far as it gets; findings in `diagnostics`, results in the other fields.
    With the `previous` version's Document, an edit inside one statement re-parses that statement only."""
    doc = Document(path, text)
    loader = Loader(Diagnostics())
    loader.sources[path] = text
    base = previous.base if previous is not None and previous.path == path else None
    doc.spec = _parse_edit(doc, base) if base is not None else None
    if doc.spec is None and not doc.repaired:
        doc.spec = _parse(doc)
    doc.base = (text, doc.spec) if doc.spec is not None and not doc.repaired else base
    if doc.spec is None:
        return doc
    if not doc.spec.networks:  # a library: its blocks, imports and names, no network to expand
        loader.blocks(doc.spec)
    else:
        doc.graph = _elaborate(doc.spec, loader)
    if doc.graph is not None and doc.graph.nodes:
        doc.report = _analyse(doc.graph)
    if not doc.repaired:  # after a repair, what follows from the blanked lines is not the user's to fix
        doc.diagnostics += loader.diags.items
        if doc.report is not None and not loader.diags.has_errors:
            doc.diagnostics += [_warning(w) for w in doc.report.warnings]
    return doc


def _parse_edit(doc: Document, base: tuple[str, ast.Spec]) -> ast.Spec | None:
    """The AST from re-parsing the one statement the edit changed; after a syntax error there, the error
    of the whole text and the AST without that statement. None when the edit is not inside one statement."""
    if doc.text == base[0]:  # an error undone: the last good AST is this text's
        return base[1]
    change = find_change(base[0], base[1], doc.text)
    if change is None:
        return None
    try:
        spec = reparse(change, base[1], doc.path)
    except (NetspecError, ValueError):
        try:
            parse(doc.text, doc.path)
            return None  # it parses in context (it closed or opened a body): the full parse is right
        except NetspecError as e:
            doc.diagnostics += e.diagnostics
            doc.repaired = True
            spec = splice(base[1], change.stmt, ())
    spec.text = doc.text
    return spec


def _parse(doc: Document) -> ast.Spec | None:
    """The spec, repairing syntax errors by blanking lines; the first syntax error goes to diagnostics."""
    text = doc.text
    for _ in range(MAX_REPAIRS):
        try:
            return parse(text, doc.path)
        except NetspecError as e:
            if not doc.repaired:
                doc.diagnostics += e.diagnostics
            doc.repaired = True
            repaired = _repair(text, e.diagnostics[0])
            if repaired is None:
                return None
            text = repaired
    return None


def _repair(text: str, error: Diagnostic) -> str | None:
    """`text` with the line that broke blanked (the unclosed one above the error, if any), and braces closed
    at the end of file; None when nothing is left to try."""
    lines = text.split("\n")
    at = error.span.line - 1 if error.span else -1
    if "end of file" in error.message:
        at = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
        closers = _unclosed("\n".join(lines))
        if closers and set(closers) == {"}"}:
            return text + "\n" + closers
    above = max((i for i in range(max(at, 0)) if lines[i].strip()), default=-1)
    if above >= 0 and (_unclosed(lines[above]).strip("}") or lines[at].lstrip().startswith("}")):
        at = above  # `conv(64, 3,` or `let x = if a then b` broke the line after it
    if not 0 <= at < len(lines) or not lines[at].strip():
        return None
    lines[at] = " " * len(lines[at])
    return "\n".join(lines)


def _unclosed(text: str) -> str:
    """The brackets `text` leaves open, as the closers it needs, innermost first (strings, comments skipped)."""
    stack: list[str] = []
    pairs = {"(": ")", "[": "]", "{": "}"}
    for line in text.split("\n"):
        in_string = False
        for ch in line:
            if ch == '"':
                in_string = not in_string
            elif in_string:
                continue
            elif ch == "#":
                break
            elif ch in pairs:
                stack.append(pairs[ch])
            elif stack and ch == stack[-1]:
                stack.pop()
    return "".join(reversed(stack))


def _elaborate(spec: ast.Spec, loader: Loader) -> Graph | None:
    try:
        return elaborate_partial(spec, loader)
    except Exception:  # noqa: BLE001 - a half-typed spec must never take the editor's server down
        return None


def _analyse(graph: Graph) -> Report | None:
    try:
        return analysis.analyse(graph)
    except Exception:  # noqa: BLE001 - the IR of a spec with errors can lack what analysis needs
        return None


def _warning(w) -> Diagnostic:
    from netspec.diagnostics import Span

    at = w.at
    span = Span(at.file, at.line, at.col, at.end_line or at.line, at.end_col or at.col + 1) if at else None
    return Diagnostic("warning", w.message, span, w.label, w.help, w.code)


def path_of(uri: str) -> str:
    """A file: URI -> the path the spec's imports are relative to."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def uri_of(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()
