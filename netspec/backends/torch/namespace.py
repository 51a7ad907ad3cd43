"""Names from a spec -> valid, unique Python identifiers; the only way a name becomes code in generated source.

Like torch.fx's namespace: a name is reduced to ASCII letters, digits and `_`, moved off keywords, builtins
and reserved names, then numbered until unique. What is not a safe attribute is reached with getattr.
"""

from __future__ import annotations

import builtins
import keyword
import re

from netspec.elaborate.names import MODULE_ATTRIBUTES

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
BUILTINS = frozenset(dir(builtins))


class Namespace:
    """A set of identifiers in one Python scope; `parent` names are visible here, so they are avoided too."""

    def __init__(self, reserved=(), parent: Namespace | None = None):
        self.parent = parent
        self.used: set[str] = set(reserved)
        self.tried: dict[str, int] = {}  # base -> the number its last `add` took: every one below is taken

    def copy(self) -> Namespace:
        """A namespace holding the same names, to try a naming that may be thrown away."""
        twin = Namespace(self.used, self.parent)
        twin.tried = dict(self.tried)
        return twin

    def adopt(self, other: Namespace) -> None:
        """Take the names of a copy that was kept."""
        self.used, self.tried = set(other.used), dict(other.tried)

    def taken(self, name: str) -> bool:
        return name in self.used or (self.parent is not None and self.parent.taken(name))

    def add(self, hint: str, fallback: str = "value") -> str:
        """A fresh identifier like `hint`: `relu`, `relu_1`, ...; `fallback` when nothing of the hint is usable."""
        base = _UNSAFE.sub("_", str(hint)).strip("_") or fallback
        if base[0].isdigit():
            base = f"{fallback}_{base}"
        n = self.tried.get(base, 0)  # names are never released: start where the last search for `base` ended,
        name = f"{base}_{n}" if n else base  # so 10k `out`s cost 10k checks, not 50 million
        while not _free(name) or self.taken(name):
            n += 1
            name = f"{base}_{n}"
        self.tried[base] = n
        self.used.add(name)
        return name


def _free(name: str) -> bool:
    return not (keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in BUILTINS or name.startswith("__"))


def camel(name: str) -> str:
    """`layer1` -> `Layer1`, `down_sample` -> `DownSample`: a class name made of a spec name's parts."""
    parts = [p for p in _UNSAFE.sub("_", name).split("_") if p]
    return "".join(p[0].upper() + p[1:] for p in parts)


def safe_attribute(name: str) -> bool:
    """`self.<name>` is valid Python and names exactly this member (else: add_module / getattr)."""
    return (
        name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in MODULE_ATTRIBUTES
    )


def attribute(owner: str, name: str) -> str:
    """Code reading member `name` of `owner`: `self.conv1`, or `getattr(self, "0")`."""
    return f"{owner}.{name}" if safe_attribute(name) else f"getattr({owner}, {literal(name)})"


def literal(value) -> str:
    """A Python literal for a value from the IR: never anything but a constant."""
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"no literal for {value}")
        return repr(value).replace("e+", "e")  # as ruff format writes it: 1e16, not 1e+16
    if isinstance(value, str):
        return f'"{value}"' if _plain(value) else _quoted(value)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"no literal for {type(value).__name__}")


def _quoted(text: str) -> str:
    """A string literal as ruff format writes it: in double quotes, unless that would escape more quotes."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = "".join("\\" + c if c in ("\\", quote) else c if c.isprintable() else repr(c)[1:-1] for c in text)
    return quote + body + quote


def _plain(text: str) -> bool:
    return text.isprintable() and '"' not in text and "\\" not in text


def comment(text: str) -> str:
    """Text safe inside a `#` comment or a docstring: no line breaks or escapes survive, nor a `"` that could end
    a docstring (three in a row, or one at either end); spec strings keep their double quotes (`size="tiny"`)."""
    escaped = str(text).encode("unicode_escape").decode("ascii").replace('"""', "'''")
    if escaped.startswith('"'):
        escaped = "'" + escaped[1:]
    return escaped[:-1] + "'" if escaped.endswith('"') else escaped
