"""specs/index.toml -> the zoo's entries: each model name with its spec file and the parameters that make it.

```
[models.resnet50]
spec = "resnet.net"
set = { depth = 50 }
```

`spec` is relative to the index file; `set` holds network parameters (TOML integers, floats, booleans,
strings and arrays are the language's values). Mistakes in the index are NetspecErrors located in it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netspec.diagnostics import Diagnostics, Span
from netspec.values import spec_text

INDEX = "index.toml"
_KEYS = {"spec", "set"}


@dataclass(frozen=True)
class Entry:
    """One model of the zoo: `name` is built by analysing `spec` with `params`."""

    name: str
    spec: Path
    params: dict[str, Any] = field(default_factory=dict)
    span: Span | None = None

    @property
    def set_text(self) -> str:
        """The parameters as `--set` would take them: `depth=50 groups=32`."""
        return " ".join(f"{k}={spec_text(v)}" for k, v in self.params.items())


def default_index(cwd: Path | None = None) -> Path:
    """specs/index.toml of the working directory if there is one, else the one beside the installed package."""
    here = (cwd or Path.cwd()) / "specs" / INDEX
    return here if here.is_file() else Path(__file__).resolve().parent.parent / "specs" / INDEX


def read_index(path: str | Path) -> list[Entry]:
    """Every entry of an index file, in file order; raises NetspecError listing every mistake in it."""
    path = Path(path)
    diags = Diagnostics()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        diags.error(
            f"cannot read {path}: {getattr(e, 'strerror', None) or e}",
            None,
            help="give the zoo's index, e.g. specs/index.toml",
        )
        diags.raise_if_errors({})
    entries = _entries(text, str(path), path.parent, diags)
    diags.raise_if_errors({str(path): text} if path.suffix == ".toml" else {})  # never quote another kind of file
    return entries


def _entries(text: str, file: str, root: Path, diags: Diagnostics) -> list[Entry]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line, col = _position(str(e))
        diags.error(
            f"cannot read the index: {str(e).split(' (at')[0]}",
            Span.point(file, line, col),
            help='each model is a table: [models.NAME] with spec = "file.net" and set = { name = value }',
        )
        return []
    models = data.get("models")
    if not isinstance(models, dict) or set(data) != {"models"}:
        diags.error(
            "the index holds one table, `models`",
            Span.point(file, 1, 1),
            help='write [models.resnet50] with spec = "resnet.net" and set = { depth = 50 }',
        )
        return []
    return [entry for name, item in models.items() if (entry := _entry(name, item, text, file, root, diags))]


def _entry(name: str, item: Any, text: str, file: str, root: Path, diags: Diagnostics) -> Entry | None:
    span = _header(text, file, name)
    problem = _problem(item)
    if problem:
        diags.error(
            f"models.{name}: {problem}",
            span,
            help='an entry is spec = "file.net" and optionally set = { name = value, ... }',
        )
        return None
    spec = root / item["spec"]
    if not spec.is_file():
        diags.error(
            f"models.{name}: no spec file {item['spec']!r} beside the index",
            span,
            help=f"spec paths are relative to {root}",
        )
        return None
    return Entry(name, spec, dict(item.get("set", {})), span)


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return "an entry is a table"
    if unknown := sorted(set(item) - _KEYS):
        return f"unknown key {unknown[0]!r}"
    if not isinstance(item.get("spec"), str):
        return "`spec` (a file name) is missing" if "spec" not in item else "`spec` is a file name in quotes"
    if not isinstance(item.get("set", {}), dict):
        return "`set` is a table of parameters, { name = value }"
    return ""


def _header(text: str, file: str, name: str) -> Span:
    """Where `[models.name]` (or a `models.name` key) is written; the top of the file if it cannot be found."""
    pattern = re.compile(rf"^\s*\[?\s*models\s*\.\s*\"?{re.escape(name)}\b", re.M)
    match = pattern.search(text)
    if match is None:
        return Span.point(file, 1, 1)
    line = text.count("\n", 0, match.start()) + 1
    start = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return Span(file, line, start, line, start + len(match.group(0).strip()) + 1)


def _position(message: str) -> tuple[int, int]:
    found = re.search(r"line (\d+), column (\d+)", message)
    return (int(found[1]), int(found[2])) if found else (1, 1)
