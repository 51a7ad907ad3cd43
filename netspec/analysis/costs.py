"""Reports at several input sizes -> Costs: parameters, MACs, activations and output shape per size, and for
each congruence class of the sizes asked, the exact formula of each in H and W.

Why a formula exists: a sliding window maps a size x to floor((x + c) / s) + 1, which is affine on every class
x ≡ r (mod s): x + s moves the output by exactly 1 (with ceil_mode too, and the `pad` shortcut's ceil(x / s)).
So within H ≡ r (mod M), M the least common multiple of the cumulative strides of the windows that still see
the input's size, every layer's height is affine in H, its width affine in W, and adaptive and global pools
make everything after them constant. Every count netspec makes (conv MACs K*K*C_in*C_out*h*w, linear in*out,
activations C*h*w) is then of degree one in each of h and w, so each total is exactly

    a·H·W + b·H + c·W + d        for every H ≡ r (mod M_h), W ≡ s (mod M_w) at which the network runs.

The four coefficients are solved exactly (fractions) from the corners of one period, then checked at further
sizes; nothing is fitted. An op outside the rules above makes the formula `proven=False` (checked, not proven).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from netspec.analysis.report import Report
from netspec.diagnostics import NetspecError
from netspec.ir import Graph
from netspec.ops import OPS

MAX_SIZES = 256  # each size is one elaboration (~25 ms for ResNet-50)
QUANTITIES = ("params", "macs", "activation_bytes")
SLIDING = frozenset({"conv", "maxpool", "avgpool", "pad"})  # floor((x + c) / s) + 1, or ceil(x / s)
CONSTANT = frozenset(name for name, op in OPS.items() if op.fixed_grid)
AFFINE = (
    SLIDING
    | CONSTANT
    | frozenset(name for name, op in OPS.items() if op.keeps_grid)
    | frozenset({"input", "add", "mul", "concat", "flatten", "linear", "layernorm", "permute"})
)
CHECKS = ((2, 3), (5, 1), (3, 7))  # further points of the lattice (i, j periods from the base) checked
MAX_CLASSES = 4  # formulas derived for at most this many residue classes of one request


# ---- the size syntax: 3x224x224,3x320x320 | 3x{224..512..32} | 3x{224,320}x{224..256..32} --------------


def parse_sizes(text: str) -> list[tuple[int, int, int]]:
    """Input shapes from `C x H x W` items separated by commas; a part may be `{a..b}`, `{a..b..step}` or
    `{a,b,c}`, and three parts give every combination. `C x S` is the square S x S. ValueError says what is wrong."""
    shapes: list[tuple[int, int, int]] = []
    for item in _split(text.strip(), ","):
        parts = [_values(p) for p in _split(item.strip().lower(), "x")]
        if len(parts) == 2:
            shapes += [(c, s, s) for c in parts[0] for s in parts[1]]
        elif len(parts) == 3:
            shapes += [(c, h, w) for c in parts[0] for h in parts[1] for w in parts[2]]
        else:
            raise ValueError(
                f"cannot read {item!r}: write channels x height x width, e.g. 3x224x224, or 3x224 for a square"
            )
        if len(shapes) > MAX_SIZES:
            raise ValueError(f"more than {MAX_SIZES} sizes: use a coarser step")
    return list(dict.fromkeys(shapes))


def _split(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside braces."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


_INT = r"\s*([0-9]{1,6})\s*"


def _values(part: str) -> list[int]:
    if m := re.fullmatch(_INT, part):
        values = [int(m[1])]
    elif m := re.fullmatch(r"\{" + _INT + r"\.\." + _INT + r"(?:\.\." + _INT + r")?\}", part):
        low, high, step = int(m[1]), int(m[2]), int(m[3] or 1)
        if step < 1 or high < low:
            raise ValueError(
                f"cannot read {part!r}: a range is {{low..high}} or {{low..high..step}}, low <= high, step >= 1"
            )
        values = list(range(low, high + 1, step))
    elif m := re.fullmatch(r"\{(" + _INT + r"(?:," + _INT + r")*)\}", part):
        values = [int(v) for v in m[1].split(",")]
    else:
        raise ValueError(f"cannot read {part.strip()!r}: a size is a number, {{224..512..32}} or {{224,320}}")
    if not values or min(values) < 1 or len(values) > MAX_SIZES:
        raise ValueError(f"cannot read {part!r}: sizes are 1 or more, at most {MAX_SIZES} of them")
    return values


# ---- the data -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Point:
    """The network at one input size, or why it does not run there."""

    input: tuple[int, ...]
    output: tuple[int, ...] | None = None  # the main output's shape (`out`, or the only one)
    params: int | None = None
    macs: int | None = None
    activation_bytes: int | None = None
    error: str | None = None  # the first error at this size: `layer4.0.conv1 (file:line:col): message`
    outputs: tuple[tuple[str, tuple[int, ...]], ...] = ()  # every declared output (name, shape); () if none

    def value(self, name: str) -> Any:
        """A quantity by its term name: `macs`, `output.1` (the main output's height), `outputs.aux.1`."""
        if name.startswith("output."):
            assert self.output is not None  # formulas are asked of sizes the network runs at
            return self.output[int(name[7:])]
        if name.startswith("outputs."):
            output, _, axis = name[8:].rpartition(".")
            return dict(self.outputs)[output][int(axis)]
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class Poly:
    """a·H·W + b·H + c·W + d with exact rational coefficients."""

    hw: Fraction
    h: Fraction
    w: Fraction
    one: Fraction

    def __call__(self, height: int, width: int) -> Fraction:
        return self.hw * height * width + self.h * height + self.w * width + self.one

    def coefficients(self) -> dict[str, list[int]]:
        """Each coefficient as [numerator, denominator], for JSON."""
        return {
            k: [v.numerator, v.denominator]
            for k, v in (("H*W", self.hw), ("H", self.h), ("W", self.w), ("1", self.one))
        }

    def text(self) -> str:
        """`81,920·H·W + 2,048,000`, `H/32`, `3·H/2 - 1/2`; `0` when all vanish."""
        terms = [(c, v) for c, v in ((self.hw, "H·W"), (self.h, "H"), (self.w, "W"), (self.one, "")) if c]
        out = ""
        for c, var in terms:
            sign = " - " if c < 0 else " + "
            out += (sign if out else ("-" if c < 0 else "")) + _term(abs(c), var)
        return out or "0"


def _term(c: Fraction, var: str) -> str:
    num, den = f"{c.numerator:,}", "" if c.denominator == 1 else f"/{c.denominator:,}"
    if not var:
        return num + den
    return (var if c.numerator == 1 else f"{num}·{var}") + den


@dataclass(slots=True)
class Formula:
    """The exact costs on one residue class of input sizes: H ≡ residue[0] (mod modulus[0]), likewise W."""

    modulus: tuple[int, int]
    residue: tuple[int, int]
    terms: dict[str, Poly]  # params, macs, activation_bytes, output.0, output.1, ...
    derived_from: list[tuple[int, int]]  # the four sizes solved for the coefficients
    checked: list[tuple[int, int]]  # further sizes where the formula was evaluated and held
    proven: bool  # every op is one whose size rule is affine on the class (see the module docstring)
    note: str = ""

    def holds_at(self, point: Point) -> bool:
        h, w = point.input[1], point.input[2]
        return all(poly(h, w) == point.value(name) for name, poly in self.terms.items())


@dataclass(slots=True)
class Costs:
    """The costs of one network at every size asked, and the formulas of the classes they fall in."""

    network: str
    file: str
    params_set: dict[str, Any]
    dtype: str
    points: list[Point]
    formulas: list[Formula] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what holds for the formulas, or why there are none

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "file": self.file,
            "params_set": self.params_set,
            "dtype": self.dtype,
            "points": [_point_dict(p) for p in self.points],
            "formulas": [_formula_dict(f) for f in self.formulas],
            "notes": list(self.notes),
        }


def _point_dict(p: Point) -> dict[str, Any]:
    return {
        "input": list(p.input),
        "output": list(p.output) if p.output else None,
        "params": p.params,
        "macs": p.macs,
        "activation_bytes": p.activation_bytes,
        "error": p.error,
        "outputs": {name: list(shape) for name, shape in p.outputs},
    }


def _formula_dict(f: Formula) -> dict[str, Any]:
    return {
        "modulus": list(f.modulus),
        "residue": list(f.residue),
        "proven": f.proven,
        "note": f.note,
        "derived_from": [list(s) for s in f.derived_from],
        "checked": [list(s) for s in f.checked],
        "terms": {name: {"text": poly.text(), "coefficients": poly.coefficients()} for name, poly in f.terms.items()},
    }


# ---- computing them -------------------------------------------------------------------------------------


Evaluate = Callable[[tuple[int, ...]], Report]  # the report at an input shape; NetspecError where it fails


def costs(evaluate: Evaluate, shapes: Sequence[tuple[int, ...]], dtype: str = "float32") -> Costs:
    """Every shape's costs, then a formula for each residue class (up to MAX_CLASSES) holding a legal size."""
    cache: dict[tuple[int, ...], tuple[Point, Report | None]] = {}

    def at(shape: tuple[int, ...]) -> Point:
        if shape not in cache:
            cache[shape] = _point(evaluate, shape)
        return cache[shape][0]

    points = [at(s) for s in shapes]
    legal = [s for s, p in zip(shapes, points, strict=True) if p.error is None]
    report = cache[legal[0]][1] if legal else None
    if report is None:
        return Costs("", "", {}, dtype, points, notes=["the network runs at none of these sizes"])
    found = Costs(report.network, report.file, dict(report.params), dtype, points)
    if len(report.input) != 3:
        found.notes.append("formulas in H and W need an image input [C, H, W]")
        return found
    _formulas(found, report.graph, legal, at)
    return found


def _point(evaluate: Evaluate, shape: tuple[int, ...]) -> tuple[Point, Report | None]:
    try:
        r = evaluate(shape)
    except NetspecError as e:
        return Point(tuple(shape), error=_first_error(e)), None
    t = r.totals
    named = tuple((o["name"], tuple(o["shape"])) for o in r.outputs if o["name"])
    return Point(tuple(shape), tuple(r.output), t.params, t.macs, t.activation_bytes, outputs=named), r


def _first_error(e: NetspecError) -> str:
    d = next((d for d in e.diagnostics if d.severity == "error"), e.diagnostics[0])
    where = f" ({d.span})" if d.span else ""
    return f"{d.message}{where}" + (f": {d.label}" if d.label else "")


def _formulas(found: Costs, graph: Graph, legal: list[tuple[int, ...]], at: Callable[[tuple], Point]) -> None:
    modulus, unproven = periods(graph)
    classes: dict[tuple, list[tuple[int, ...]]] = {}
    for s in legal:
        classes.setdefault((s[0], s[1] % modulus[0], s[2] % modulus[1]), []).append(s)
    for key in list(classes)[:MAX_CLASSES]:
        formula = _derive(classes[key], modulus, at)
        if isinstance(formula, str):
            found.notes.append(formula)
            continue
        formula.proven = not unproven
        if unproven:
            formula.note = f"checked, not proven: {', '.join(sorted(unproven))} has no size rule known to be affine"
        found.formulas.append(formula)
    if len(classes) > MAX_CLASSES:
        found.notes.append(f"formulas for the first {MAX_CLASSES} of {len(classes)} residue classes only")


def _derive(members: list[tuple[int, ...]], modulus: tuple[int, int], at) -> Formula | str:
    """The formula of the class of `members`, solved from the period's corners at the smallest member."""
    c, h0, w0 = min(members, key=lambda s: (s[1], s[2]))
    mh, mw = modulus
    corners = [(h0 + i * mh, w0 + j * mw) for i, j in ((0, 0), (1, 0), (0, 1), (1, 1))]
    points = [at((c, h, w)) for h, w in corners]
    failed = next((p for p in points if p.error), None)
    if failed is not None:
        return (
            f"no formula for H ≡ {h0 % mh} (mod {mh}), W ≡ {w0 % mw} (mod {mw}): at {_shape(failed.input)} "
            f"{failed.error}"
        )
    terms = {name: _solve([p.value(name) for p in points], (h0, w0), modulus) for name in _names(points[0])}
    formula = Formula(modulus, (h0 % mh, w0 % mw), terms, corners, [], True)
    return _check(formula, members, c, at)


def _check(formula: Formula, members, c: int, at) -> Formula | str:
    (h0, w0), (mh, mw) = formula.derived_from[0], formula.modulus
    extra = [(c, h0 + i * mh, w0 + j * mw) for i, j in CHECKS]
    for shape in [s for s in members if (s[1], s[2]) not in formula.derived_from] + extra:
        point = at(shape)
        if point.error is not None:
            continue  # a size of the class the network rejects says nothing about the formula
        if not formula.holds_at(point):
            return (
                f"no exact formula for H ≡ {formula.residue[0]} (mod {mh}), W ≡ {formula.residue[1]} "
                f"(mod {mw}): the costs at {_shape(shape)} differ from those the period's corners give"
            )
        formula.checked.append((shape[1], shape[2]))
    return formula


def _names(point: Point) -> list[str]:
    assert point.output is not None  # a size the network runs at
    named = [f"outputs.{name}.{i}" for name, shape in point.outputs for i in range(len(shape))]
    return list(QUANTITIES) + [f"output.{i}" for i in range(len(point.output))] + named


def _solve(values: list[int], base: tuple[int, int], modulus: tuple[int, int]) -> Poly:
    """f = A + B·i + C·j + D·i·j on the lattice H = h0 + i·mh, W = w0 + j·mw, rewritten in H and W."""
    f00, f10, f01, f11 = (Fraction(v) for v in values)
    (h0, w0), (mh, mw) = base, modulus
    d = (f11 - f10 - f01 + f00) / (mh * mw)
    b, c = (f10 - f00) / mh, (f01 - f00) / mw  # slopes along H at W = w0, along W at H = h0
    # f = d·(H-h0)(W-w0) + b·(H-h0) + c·(W-w0) + f00
    return Poly(d, b - d * w0, c - d * h0, d * h0 * w0 - b * h0 - c * w0 + f00)


def periods(graph: Graph) -> tuple[tuple[int, int], set[str]]:
    """(M_h, M_w): the lcm of the cumulative strides of every sliding window whose input still varies with the
    input's size; and the ops met whose size rule is not known to be affine (the formula is then unproven)."""
    jumps: list[tuple[int, int]] = []
    varies: list[bool] = []
    modulus, unproven = [1, 1], set()
    for node in graph.nodes:
        ins = node.inputs
        vary = not ins or any(varies[i] for i in ins)
        # math.lcm() of no arguments is 1: no varying input, no constraint
        jump = (_lcm(jumps, ins, varies, 0), _lcm(jumps, ins, varies, 1)) if ins else (1, 1)
        if node.op not in AFFINE and vary:
            unproven.add(node.op)
        window = node.kind.window(node.attrs, graph.in_shapes(node), node.out_shape) if node.op in SLIDING else None
        if window is not None and vary:
            sh, sw = window.stride
            assert isinstance(sh, int) and isinstance(sw, int)  # SLIDING windows step by whole pixels
            jump = (jump[0] * sh, jump[1] * sw)
            modulus = [math.lcm(modulus[d], jump[d]) for d in range(2)]
        if node.op in CONSTANT:
            vary = False
        jumps.append(jump)
        varies.append(vary)
    return (modulus[0], modulus[1]), unproven


def _lcm(jumps: list[tuple[int, int]], inputs: tuple[int, ...], varies: list[bool], d: int) -> int:
    return math.lcm(*(jumps[i][d] for i in inputs if varies[i]))


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)
