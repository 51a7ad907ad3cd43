"""Text for the diagram: escaped HTML-like labels, compact numbers, shapes as `64x56x56`, colours by op family."""

from __future__ import annotations

import unicodedata

from netspec.ops import OPS

# Fill colours by op family; the family is the name of the module in netspec.ops that defines the op.
FAMILY_FILL = {
    "conv": "#d6e6f5",
    "pool": "#fbe3cb",
    "dense": "#e5dcf1",
    "norm": "#dcefd6",
    "activation": "#fdf3cf",
    "resample": "#d4eeec",
    "merge": "#ffffff",
}
FOLD_FILL = {"block": "#c9daf0", "group": "#e4e4e4"}
MUTED = "#5a5a5a"
# dot expands escapes such as \G (the graph's name) even inside HTML-like labels; `\\` is its literal backslash.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\\": "\\\\"}


def family(op: str) -> str:
    return type(OPS[op]).__module__.rsplit(".", 1)[-1]


def fill(op: str) -> str:
    return FAMILY_FILL.get(family(op), "#ffffff")


def escape(text: str) -> str:
    """Spec text made safe inside an HTML-like label: entities for markup, `?` for control characters."""
    return "".join(_ENTITIES.get(c, "?" if unicodedata.category(c)[0] == "C" else c) for c in str(text))


def plain(text: str) -> str:
    """Spec text made safe inside a quoted dot string (tooltips): no quotes, backslashes or control characters."""
    return "".join("?" if c in '\\"' or unicodedata.category(c)[0] == "C" else c for c in str(text))


def html(title: str, detail: str = "", aside: str = "", frame: bool = False) -> str:
    """The title in bold, `aside` in plain text, `detail` smaller and grey. Arguments are raw text.

    A box's label is one line, which keeps a deep network short enough for one screen; a frame's (cluster's)
    label puts the detail on a second line, both flush left, so the edge through the frame's middle misses them.
    """
    head = f"<b>{escape(title)}</b>" + (f"  {escape(aside)}" if aside else "")
    tail = f'<font point-size="8" color="{MUTED}">{escape(detail)}</font>' if detail else ""
    if frame:
        return "<" + "".join(f'{part}<br align="left"/>' for part in (head, tail) if part) + ">"
    return "<" + "  ".join(part for part in (head, tail) if part) + ">"


def si(n: int) -> str:
    """11689512 -> `11.7M`: three significant digits, SI prefix."""
    for unit, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def cost(params: int, macs: int) -> str:
    """`9.41K params · 118M MACs`, leaving out what is zero."""
    parts = [f"{si(params)} params" if params else "", f"{si(macs)} MACs" if macs else ""]
    return " · ".join(p for p in parts if p)


def shape(dims) -> str:
    return "x".join(str(d) for d in dims)


def join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)
