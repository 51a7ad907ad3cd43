"""Dot source -> files and SVG through graphviz's `dot` program; without `dot`, the source and how to render it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from netspec.analysis.report import Report
from netspec.backends.diagram.dot import check_options, emit, to_dot
from netspec.backends.diagram.view import View, view
from netspec.diagnostics import Diagnostics, NetspecError
from netspec.files import shown

RENDERED = ("svg", "png", "pdf")
SOURCE = ("dot", "gv")
INSTALL = "apt-get install graphviz"
MAX_BOXES = 2000


class DotMissing(Exception):
    """graphviz's `dot` program is not on PATH (or the graphviz Python package is not installed)."""


def render(
    report: Report,
    path: str | os.PathLike,
    depth: int | str | None = None,
    rankdir: str = "TB",
    collapse_repeats: bool = True,
    incomplete: str | None = None,
) -> str | None:
    """Write the diagram to `path` in the format its suffix names (.svg, .png, .pdf, .dot); `incomplete`, for
    the report of a spec with errors (netspec.api.analyse_partial), is said under the title.

    Returns None, or a one-line note when `dot` is missing and the .dot source was written beside `path` instead.
    Raises NetspecError for an unknown suffix, a path that cannot be written, or a drawing too big for `dot`
    (more than MAX_BOXES boxes: 2,000 take `dot` about 8 s, 5,000 about 50 s).
    """
    path = Path(path)
    fmt = output_format(path)
    drawing = _view(report, depth, rankdir, collapse_repeats)
    if fmt in RENDERED and drawing.boxes() > MAX_BOXES:
        raise _error(
            f"the diagram has {drawing.boxes():,} boxes; graphviz's `dot` needs minutes to lay out more "
            f"than {MAX_BOXES:,}",
            "fold more of it (--depth N, or keep repeats collapsed), or write "
            "the .dot source and run `dot` on it yourself",
        )
    try:
        source = emit(drawing, rankdir, incomplete)
    except ImportError:
        raise _error("the graphviz Python package is not installed", "pip install 'netspec[diagram]'") from None
    return write_source(source, path, [n for n in report.graph.sources if n != "<input>"])


def _view(report: Report, depth, rankdir: str, collapse_repeats: bool) -> View:
    check_options(depth, rankdir)
    return view(report, depth, collapse_repeats)


def write_source(source: str, path: Path, inputs=()) -> str | None:
    """Dot source written to `path` as its suffix says; a note instead when `dot` is missing (see `render`).

    The .dot written instead is a file nobody named: an existing one is never replaced.
    """
    fmt = output_format(path)
    if fmt in SOURCE:
        write(path, source.encode(), inputs)
        return None
    try:
        data = pipe(source, fmt)
    except DotMissing:
        fallback = path.with_suffix(".dot")
        if os.path.lexists(fallback):
            raise _error(
                f"graphviz's `dot` program is not installed, so {shown(path)} cannot be drawn, and "
                f"{shown(fallback)} already exists",
                f"`{INSTALL}`, or write the source with -o {shown(fallback)} (which replaces it) or another .dot name",
            ) from None
        write(fallback, source.encode(), inputs)
        return (
            f"note: graphviz's `dot` program is not installed, so {shown(fallback)} was written instead of "
            f"{shown(path)}; `{INSTALL}`, then `dot -T{fmt} {shown(fallback)} -o {shown(path)}`"
        )
    write(path, data, inputs)
    return None


def svg(
    report: Report, depth: int | str | None = None, rankdir: str = "TB", collapse_repeats: bool = True
) -> str | None:
    """The diagram as SVG text; None when graphviz (the package or `dot`) is missing or it is too big for `dot`."""
    drawing = _view(report, depth, rankdir, collapse_repeats)
    if drawing.boxes() > MAX_BOXES:
        return None
    try:
        return source_svg(emit(drawing, rankdir))
    except ImportError:
        return None


def source_svg(source: str) -> str | None:
    """Dot source rendered as SVG text, or None without the `dot` program."""
    try:
        return pipe(source, "svg").decode()
    except DotMissing:
        return None


def output_format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in RENDERED + SOURCE:
        raise _error(
            f"cannot draw to {path}: unknown format `{path.suffix or '(no suffix)'}`",
            "name the output .svg, .png, .pdf or .dot",
        )
    return fmt


def pipe(source: str, fmt: str) -> bytes:
    """Run `dot -T<fmt>` on the source; DotMissing when `dot` is not installed."""
    try:
        import graphviz
    except ImportError as e:
        raise DotMissing from e
    try:
        return graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise DotMissing from e
    except graphviz.CalledProcessError as e:
        stderr = (e.stderr or b"").decode(errors="replace").strip()
        raise _error(f"graphviz's `dot` failed: {stderr or e}", "this is a bug in netspec; please report it") from None


def write(path: Path, data: bytes, inputs=()) -> None:
    """Write atomically through netspec.files: never a half-written diagram, never over an input."""
    from netspec import files

    files.write(path, data, inputs)


def _error(message: str, help: str) -> NetspecError:
    diags = Diagnostics()
    diags.error(message, None, help=help)
    return NetspecError(diags.items)


@dataclass
class Diagram:
    """A spec's diagram, as `netspec.diagram` returns it: its dot `source`; notebooks show it as SVG."""

    report: Report
    depth: int | str | None = None
    rankdir: str = "TB"
    collapse_repeats: bool = True
    note: str | None = field(default=None, compare=False)

    def __post_init__(self):
        check_options(self.depth, self.rankdir)

    @property
    def source(self) -> str:
        return to_dot(self.report, self.depth, self.rankdir, self.collapse_repeats)

    def save(self, path: str | os.PathLike) -> str | None:
        """Write to `path` (format by suffix); returns the note `render` gives when `dot` is missing."""
        self.note = render(self.report, path, self.depth, self.rankdir, self.collapse_repeats)
        return self.note

    def svg(self) -> str | None:
        """The diagram as SVG text, or None without graphviz (see `svg`)."""
        return svg(self.report, self.depth, self.rankdir, self.collapse_repeats)

    def _repr_svg_(self) -> str | None:
        return self.svg()

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (
            f"Diagram({self.report.network}, depth={self.depth!r}, rankdir={self.rankdir!r}, "
            f"collapse_repeats={self.collapse_repeats})"
        )
