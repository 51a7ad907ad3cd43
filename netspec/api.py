"""The Python API and the one path every command takes: source -> parse -> elaborate -> analyse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from netspec import analysis
from netspec.diagnostics import Diagnostics
from netspec.elaborate import Loader, elaborate
from netspec.ir import Graph

Source = str | os.PathLike


def is_text(source: Source) -> bool:
    """A str holding spec text rather than a path: it has a newline or a brace."""
    return isinstance(source, str) and ("\n" in source or "{" in source)


def build(source: Source, params: dict[str, Any] | None = None, input: tuple[int, ...] | None = None) -> Graph:
    """Parse and elaborate a spec (a path, or the text itself); raise NetspecError with every error found."""
    loader = Loader(Diagnostics())
    if is_text(source):
        spec = loader.parse(source, "<input>")
    else:
        spec = loader.read(Path(source), None)
    if spec is None:
        loader.diags.raise_if_errors(loader.sources)
    return elaborate(spec, loader, params, input)


def analyse(source: Source, *, input: tuple[int, ...] | None = None, dtype: str = "float32",
            **params: Any) -> analysis.Report:
    """The static report of a spec: every layer's shape, parameters, MACs, receptive field; no torch import.

    >>> report = analyse("specs/resnet18.net", classes=10)
    >>> report.totals.params
    11181642
    """
    return analysis.analyse(build(source, params, input), dtype)
