"""Files and imports: read a .net file safely, and gather the blocks a file can see (its own and imported ones).

What an import may read: a `.net` file (its name and, through symlinks, its real target), relative to the
importing file, inside the project: the nearest directory above the spec that holds .git, pyproject.toml or
setup.py, else the spec's own directory. Absolute and `../` paths are allowed while they stay inside; other
directories are opened by NETSPEC_IMPORT_PATH (directories separated by `:`). Each file is read and parsed
once per run, keyed by its real identity (device, inode), whatever the spelling of its path.
"""

from __future__ import annotations

import os
import stat
from dataclasses import field
from pathlib import Path

from netspec.diagnostics import Diagnostic, Diagnostics, NetspecError, Span, did_you_mean
from netspec.elaborate.elaborator import Block
from netspec.elaborate.evaluate import Env, EvalError, bind_function
from netspec.files import Identity, identity, shown
from netspec.ops import LAYERS
from netspec.parse import ast, decode, parse
from netspec.records import record

MAX_FILE_BYTES = 2_000_000
MAX_IMPORT_DEPTH = 32
IMPORT_PATH = "NETSPEC_IMPORT_PATH"
PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py")
SPEC_SUFFIX = ".net"


@record(frozen=False)
class Loader:
    """Reads and parses files once per run, records their text for diagnostics, and detects import cycles."""

    diags: Diagnostics
    sources: dict[str, str] = field(default_factory=dict)
    allowed: list[tuple[str, Span]] = field(default_factory=list)  # `# netspec: allow(code)` of every file read
    done: dict[str, dict[str, Block]] = field(default_factory=dict)
    specs: dict[Identity, ast.Spec | None] = field(default_factory=dict)  # every file read, by real identity
    identities: dict[str, Identity] = field(default_factory=dict)  # file name as read -> its identity
    roots: list[str] | None = None  # the directories imports may read; set by the first file read
    parses: int = 0
    envs: dict[str, Env] = field(default_factory=dict)  # file -> its top-level names: functions (`def`)

    def read(self, path: Path, span: Span | None) -> ast.Spec | None:
        name = str(path)
        if self.roots is None:
            self.roots = import_roots(path.parent)
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode) and not path.is_dir():  # /dev/zero, a pipe: never ends
                self.diags.error(
                    f"cannot read {shown(name)}: not a regular file", span, help="check the path", code="io"
                )
                return None
            key = (st.st_dev, st.st_ino)
            if key in self.specs:
                return self.specs[key]
            with path.open("rb") as handle:  # at most one byte more than allowed, however large the file
                data = handle.read(MAX_FILE_BYTES + 1)
        except (OSError, ValueError) as e:  # ValueError: a path with a NUL character
            self.diags.error(
                f"cannot read {name!r}"
                if isinstance(e, ValueError)
                else f"cannot read {shown(name)}: {e.strerror or e}",
                span,
                help="check the path",
                code="io",
            )
            return None
        if len(data) > MAX_FILE_BYTES:
            self.diags.error(
                f"{shown(name)} is too large (over {MAX_FILE_BYTES:,} bytes)",
                span,
                help=f"the limit is {MAX_FILE_BYTES:,} bytes",
                code="limit",
            )
            return None
        self.identities[name] = key
        self.specs[key] = spec = self.parse(data, name)
        return spec

    def parse(self, data: bytes | str, name: str) -> ast.Spec | None:
        self.parses += 1
        if self.roots is None:
            self.roots = import_roots(Path.cwd())
        try:
            text = data if isinstance(data, str) else decode(data, name)
            self.sources[name] = text
            spec = parse(text, name)
            self.allowed += [(a.code, a.span) for a in spec.allows]
            return spec
        except NetspecError as e:
            if not _is_spec_name(name):  # never show what a file that is not a spec holds
                self.sources.pop(name, None)
                self.diags.items.extend(_contentless(e.diagnostics, name))
                return None
            if isinstance(data, bytes):  # not UTF-8: show the line anyway, the bad bytes as U+FFFD
                self.sources.setdefault(name, data.decode("utf-8", "replace"))
            self.diags.items.extend(e.diagnostics)
            return None

    def blocks(self, spec: ast.Spec, stack: tuple[str, ...] = ()) -> dict[str, Block]:
        """The blocks visible at the top of `spec`: imported ones first, then its own; a name has one block."""
        if spec.file in self.done:
            return self.done[spec.file]
        visible: dict[str, Block] = {}
        env, own = self.envs.setdefault(spec.file, Env()), set()
        for imp in spec.imports:
            for name, block in self.imported(spec, imp, stack + (spec.file,), env).items():
                if name in visible and visible[name].definition is not block.definition:
                    self.diags.error(
                        f"two blocks named `{name}`: from {_origin(visible[name])} and from {_origin(block)}",
                        imp.span,
                        "the second import",
                        f'import only the one you mean, e.g. from "{imp.path}" import ...',
                        code="duplicate-name",
                    )
                visible.setdefault(name, block)
        for function in spec.defs:
            self.define(function, env)
        for definition in spec.blocks:
            if definition.name in LAYERS:
                self.diags.error(
                    f"block `{definition.name}` has the name of a layer",
                    definition.name_span,
                    help="give the block another name",
                    code="name",
                )
            elif definition.name in own:
                self.diags.error(
                    f"block `{definition.name}` is defined twice", definition.name_span, code="duplicate-name"
                )
            elif definition.name in visible:
                origin = _origin(visible[definition.name])
                self.diags.error(
                    f"block `{definition.name}` is also imported, from {origin}",
                    definition.name_span,
                    help="rename one of them, or leave it out of the import",
                    code="duplicate-name",
                )
            own.add(definition.name)
            visible[definition.name] = Block(definition, env, visible)
        self.done[spec.file] = visible
        return visible

    def define(self, definition: ast.Def, env: Env) -> None:
        try:
            bind_function(definition, env)
        except EvalError as e:
            self.diags.error(e.message, e.span, e.label, e.help, code=e.code)

    def imported(self, spec: ast.Spec, imp: ast.Import, stack: tuple[str, ...], env: Env) -> dict[str, Block]:
        path = (Path(spec.file).parent / imp.path) if spec.file != "<input>" else Path(imp.path)
        key = str(path)
        if not self._may_read(path, imp):
            return {}
        own = identity(path)
        if key in stack or (own is not None and own in {self.identities.get(s) for s in stack}):
            start = next((i for i, s in enumerate(stack) if s == key or self.identities.get(s) == own), 0)
            cycle = " -> ".join([*stack[start:], key])
            self.diags.error(
                "import cycle", imp.span, shown(cycle), "a block library cannot import itself", code="import"
            )
            return {}
        if len(stack) > MAX_IMPORT_DEPTH:
            self.diags.error(
                "imports nest too deeply", imp.span, help=f"the limit is {MAX_IMPORT_DEPTH}", code="import"
            )
            return {}
        library = self.read(path, imp.span)
        if library is None:
            return {}
        found = self.blocks(library, stack)
        functions = self.envs[library.file].values
        if imp.names is None:
            env.values.update(functions)
            return dict(found)
        return self._picked(found, functions, imp, key, env)

    def _picked(
        self, found: dict[str, Block], functions: dict, imp: ast.Import, key: str, env: Env
    ) -> dict[str, Block]:
        picked = {}
        for name in imp.names or ():  # the caller took None (every block of the file)
            if name in found:
                picked[name] = found[name]
            elif name in functions:
                env.values[name] = functions[name]
            else:
                self.diags.error(
                    f"{shown(key)} has no block `{name}`",
                    imp.span,
                    "",
                    did_you_mean(name, [*found, *functions])
                    or f"it defines: {', '.join([*found, *functions]) or 'no blocks'}",
                    code="import",
                )
        return picked

    def _may_read(self, path: Path, imp: ast.Import) -> bool:
        """A .net file inside the project or NETSPEC_IMPORT_PATH (see the module docstring); else an error."""
        key = str(path)
        if "\x00" in key:  # no file has such a name, and the OS calls below would raise ValueError
            self.diags.error(f"cannot read {key!r}", imp.span, "not a file name", "check the path", code="io")
            return False
        real = os.path.realpath(path)
        if not (_is_spec_name(key) and (_is_spec_name(real) or not os.path.exists(real))):
            what = "it is not a .net file" if not _is_spec_name(key) else f"it links to {shown(real)}, not a .net file"
            self.diags.error(
                f"cannot read {shown(key)}: {what}",
                imp.span,
                "imports read .net files only",
                "import a block library, a file named like lib/blocks.net",
                code="io",
            )
            return False
        roots = self.roots if self.roots is not None else import_roots(Path.cwd())
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            self.diags.error(
                f"cannot read {shown(key)}: it is outside the project",
                imp.span,
                f"resolves to {shown(real)}",
                f"imports may read .net files under {shown(roots[0])}; to allow another "
                f"directory, set {IMPORT_PATH}=DIR (several separated by `{os.pathsep}`)",
                code="io",
            )
            return False
        return True


def import_roots(directory: Path) -> list[str]:
    """The directories imports may read: the project holding `directory`, and those NETSPEC_IMPORT_PATH adds."""
    start = Path(os.path.realpath(directory))
    project = next((d for d in (start, *start.parents) if any((d / m).exists() for m in PROJECT_MARKERS)), start)
    extra = [os.path.realpath(d) for d in os.environ.get(IMPORT_PATH, "").split(os.pathsep) if d.strip()]
    return [str(project), *extra]


def _is_spec_name(name: str) -> bool:
    """A .net file, or text handed over as a spec (`<input>` from the API, `<stdin>` from `-`): its errors are shown."""
    return name.endswith(SPEC_SUFFIX) or name in ("<input>", "<stdin>")


def _origin(block: Block) -> str:
    return shown(block.definition.name_span.file)


def _contentless(diagnostics: list[Diagnostic], name: str) -> list[Diagnostic]:
    """The first error of a file that is not named .net, told without a word of what the file holds."""
    first = next((d for d in diagnostics if d.severity == "error"), diagnostics[0])
    return [
        Diagnostic(
            "error",
            f"{shown(name)} is not spec text",
            first.span,
            "",
            "specs are .net files; netspec does not quote files of other kinds",
            "syntax",
        )
    ]
