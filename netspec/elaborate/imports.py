"""Files and imports: read a .net file safely, and gather the blocks a file can see (its own and imported ones)."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from netspec.diagnostics import Diagnostics, NetspecError, Span, did_you_mean
from netspec.elaborate.elaborator import Block
from netspec.elaborate.evaluate import Env
from netspec.ops import LAYERS
from netspec.parse import ast, decode, parse

MAX_FILE_BYTES = 2_000_000
MAX_IMPORT_DEPTH = 32


@dataclass
class Loader:
    """Reads and parses files once per run, records their text for diagnostics, and detects import cycles."""

    diags: Diagnostics
    sources: dict[str, str] = field(default_factory=dict)
    done: dict[str, dict[str, Block]] = field(default_factory=dict)

    def read(self, path: Path, span: Span | None) -> ast.Spec | None:
        name = str(path)
        try:
            if not stat.S_ISREG(path.stat().st_mode) and not path.is_dir():  # /dev/zero, a pipe: never ends
                self.diags.error(f"cannot read {name}: not a regular file", span, help="check the path")
                return None
            with path.open("rb") as handle:  # at most one byte more than allowed, however large the file
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                self.diags.error(f"{name} is too large (over {MAX_FILE_BYTES:,} bytes)", span,
                                 help=f"the limit is {MAX_FILE_BYTES:,} bytes")
                return None
        except (OSError, ValueError) as e:  # ValueError: a path with a NUL character
            self.diags.error(f"cannot read {name!r}" if isinstance(e, ValueError) else
                             f"cannot read {name}: {e.strerror or e}", span, help="check the path")
            return None
        return self.parse(data, name)

    def parse(self, data: bytes | str, name: str) -> ast.Spec | None:
        try:
            text = data if isinstance(data, str) else decode(data, name)
            self.sources[name] = text
            return parse(text, name)
        except NetspecError as e:
            if isinstance(data, bytes):  # not UTF-8: show the line anyway, the bad bytes as U+FFFD
                self.sources.setdefault(name, data.decode("utf-8", "replace"))
            self.diags.items.extend(e.diagnostics)
            return None

    def blocks(self, spec: ast.Spec, stack: tuple[str, ...] = ()) -> dict[str, Block]:
        """The blocks visible at the top of `spec`: imported ones first, then its own."""
        if spec.file in self.done:
            return self.done[spec.file]
        visible: dict[str, Block] = {}
        for imp in spec.imports:
            visible.update(self.imported(spec, imp, stack + (spec.file,)))
        env, own = Env(), set()
        for definition in spec.blocks:
            if definition.name in LAYERS:
                self.diags.error(f"block `{definition.name}` has the name of a layer", definition.name_span,
                                 help="give the block another name")
            elif definition.name in own:
                self.diags.error(f"block `{definition.name}` is defined twice", definition.name_span)
            own.add(definition.name)
            visible[definition.name] = Block(definition, env, visible)
        self.done[spec.file] = visible
        return visible

    def imported(self, spec: ast.Spec, imp: ast.Import, stack: tuple[str, ...]) -> dict[str, Block]:
        path = (Path(spec.file).parent / imp.path) if spec.file != "<input>" else Path(imp.path)
        key = str(path)
        if "\x00" in key:  # no file has such a name, and the OS calls below would raise ValueError
            self.diags.error(f"cannot read {key!r}", imp.span, "not a file name", "check the path")
            return {}
        if key in stack or str(path.resolve()) in {str(Path(s).resolve()) for s in stack}:
            cycle = " -> ".join([*stack[stack.index(key) if key in stack else 0:], key])
            self.diags.error("import cycle", imp.span, cycle, "a block library cannot import itself")
            return {}
        if len(stack) > MAX_IMPORT_DEPTH:
            self.diags.error("imports nest too deeply", imp.span, help=f"the limit is {MAX_IMPORT_DEPTH}")
            return {}
        library = self.read(path, imp.span)
        if library is None:
            return {}
        found = self.blocks(library, stack)
        if imp.names is None:
            return dict(found)
        picked = {}
        for name in imp.names:
            if name in found:
                picked[name] = found[name]
            else:
                self.diags.error(f"{key} has no block `{name}`", imp.span, "",
                                 did_you_mean(name, found) or f"it defines: {', '.join(found) or 'no blocks'}")
        return picked
