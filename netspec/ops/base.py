"""What every layer kind is: validated attributes, a shape rule, parameter/MAC counts, a receptive-field window."""

import dataclasses
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, dataclass_transform

from netspec.records import record
from netspec.values import spec_text

Shape = tuple[int, ...]
MAX_INT = 2**31 - 1


class ShapeError(Exception):
    """A shape rule failed: what, the arithmetic (shown under the caret), and a hint."""

    def __init__(self, message: str, label: str = "", help: str = ""):
        super().__init__(message)
        self.message, self.label, self.help = message, label, help


@record(slots=True)
class Tensor:
    """The value of a reference (`@down3`): a node's output. An argument of this type is an input of the layer
    (the elaborator turns it into a Slot) or of the block it is passed to."""

    node: int | None  # None when an error upstream left it unknown
    text: str  # as written, `@down3`

    def __str__(self) -> str:
        return self.text


@record(slots=True)
class Table:
    """The value of `{"b0": 1.0, "b1": 1.1}`: values named by string or integer keys, in the order written.
    `t[key]` looks one up, `key in t` and `len(t)` ask about the keys."""

    entries: tuple[tuple[str | int, Any], ...]
    index: dict[str | int, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:  # lookups by hashing: a spec may look up every key of a 100k-entry table
        object.__setattr__(self, "index", dict(self.entries))

    def keys(self) -> list[str | int]:
        return [k for k, _ in self.entries]

    def get(self, key: Any) -> Any:
        if key not in self:
            raise KeyError(key)
        return self.index[key]

    def __contains__(self, key: Any) -> bool:
        # a key is a str or an int: true (== 1) and 1.0 (== 1) name no entry, as the language has no conversions
        return type(key) in (str, int) and key in self.index

    def __str__(self) -> str:
        """As a spec writes it: `{"b0": 1.0, "b1": 1.1}`."""
        return "{" + ", ".join(f"{spec_text(k)}: {spec_text(v)}" for k, v in self.entries) + "}"


class Slot(int):
    """A tensor argument in a layer's attributes: the index of the node input that carries it."""

    def __repr__(self) -> str:
        return f"input {int(self)}"


def describe(value: Any) -> str:
    """A value as the user wrote it, with its type: `2.5 (a float)`."""
    if isinstance(value, Tensor):
        return f"{value.text} (a tensor)"
    if isinstance(value, Table):
        return f"{value} (a table)"
    kind = {bool: "a bool", int: "an int", float: "a float", str: "a string", tuple: "a list"}.get(type(value), "?")
    return f"{spec_text(value)} ({kind})"


# ---- argument types: each checks a value from the evaluator and says what was wrong ----------------


class Check:
    """An attribute's type: a function that returns the checked value or raises ValueError saying why."""

    def __init__(self, fn: Callable[[Any], Any], kind: str):
        self.fn, self.kind = fn, kind

    def __call__(self, value: Any) -> Any:
        return self.fn(value)

    def __repr__(self) -> str:
        return self.kind


def _int(value: Any, minimum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        raise ValueError(f"expected an integer, got {describe(value)}; use `//` for integer division")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"must be at least {minimum}, got {value}")
    if value > MAX_INT:
        raise ValueError(f"{value:,} is larger than the limit {MAX_INT:,}")
    return value


def int_at_least(minimum: int) -> Check:
    return Check(lambda v: _int(v, minimum), f"int >= {minimum}")


def pair(value: Any, minimum: int) -> tuple[int, int]:
    """An int, or a list of two ints (height, width) -> (height, width)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an integer or [height, width], got {describe(tuple(value))}")
        return (_int(value[0], minimum), _int(value[1], minimum))
    n = _int(value, minimum)
    return (n, n)


def pair_at_least(minimum: int) -> Check:
    return Check(lambda v: pair(v, minimum), f"int >= {minimum} or [h, w]")


def optional(check: Check) -> Check:
    """`check`, or none: `Annotated[tuple[int, int] | None, optional(pair_at_least(1))]`."""
    return Check(lambda v: None if v is None else check(v), f"{check.kind} or none")


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {describe(value)}")
    return value


def _float_between(low: float, high: float) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {describe(value)}")
        if not (low <= value <= high) or math.isnan(value):
            raise ValueError(f"must be between {spec_text(low)} and {spec_text(high)}, got {spec_text(value)}")
        return float(value)

    return Check(check, f"number in [{spec_text(low)}, {spec_text(high)}]")


def choice(*options: str) -> Check:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(map(spec_text, options))}, got {describe(value)}")
        return value

    return Check(check, " | ".join(options))


# An attribute's annotation: the Python type its checked value has (what mypy sees), and the Check that makes it.
Bool = Annotated[bool, Check(_bool, "bool")]
Positive = Annotated[int, int_at_least(1)]
NonNegative = Annotated[int, int_at_least(0)]
PositivePair = Annotated[tuple[int, int], pair_at_least(1)]
NonNegativePair = Annotated[tuple[int, int], pair_at_least(0)]
Probability = Annotated[float, _float_between(0, 1)]
Number = Annotated[float, _float_between(-1e30, 1e30)]
PositiveNumber = Annotated[float, _float_between(1e-30, 1e30)]
Init = Annotated[str, choice("default", "kaiming", "xavier", "zeros")]
Dims = Annotated[tuple[int, ...], Check(lambda v: tuple(v), "shape")]


def check_of(annotation: Any) -> Check:
    """The Check of an attribute's annotation (`Annotated[int, int_at_least(1)]` -> `int >= 1`)."""
    found = [m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Check)]
    if not found:
        raise TypeError(f"an Attrs field is annotated Annotated[type, Check(...)], not {annotation!r}")
    return found[0]


def _tensor(value: Any) -> Any:
    if not isinstance(value, (Tensor, Slot)):
        raise ValueError(f"expected a tensor such as `@name`, got {describe(value)}")
    return value


TensorArg = Check(_tensor, "tensor")


class AttrError(ValueError):
    """One attribute failed its check."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


@dataclass_transform(frozen_default=True)
class Attrs:
    """The arguments of one layer call, checked; fields are declared `name: Kind = default` (a Kind above, or
    `Annotated[type, Check(...)]`), in positional order.

    Subclasses become frozen dataclasses (hashable, comparable); every field is checked on construction.
    """

    _checks: ClassVar[tuple[tuple[str, Callable[[Any], Any]], ...]]
    _kinds: ClassVar[dict[str, str]]
    _names: ClassVar[tuple[str, ...]]
    _required: ClassVar[tuple[str, ...]]

    if TYPE_CHECKING:
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # every subclass is a dataclass

        # A layer's Attrs reached through `Op.Attrs` takes its arguments by name, whatever they are.
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("__doc__"):
            cls.__doc__ = f"The checked arguments of a layer call ({cls.__name__})."
        record(cls)
        # Read for every layer of a network: dataclasses.fields() is too slow to call per node.
        fields = dataclasses.fields(cls)
        checks = {f.name: check_of(f.type) for f in fields}
        cls._checks = tuple((name, check.fn) for name, check in checks.items())  # Check.fn: one call less
        cls._kinds = {name: check.kind for name, check in checks.items()}
        cls._names = tuple(checks)
        cls._required = tuple(
            f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )

    def __post_init__(self):
        for name, check in self._checks:
            try:
                object.__setattr__(self, name, check(getattr(self, name)))
            except ValueError as e:
                raise AttrError(name, str(e)) from None

    @classmethod
    def names(cls) -> list[str]:
        return list(cls._names)

    @classmethod
    def required(cls) -> list[str]:
        return list(cls._required)

    @classmethod
    def kind(cls, name: str) -> str:
        """What an argument takes, for completion and docs: `int >= 1 or [h, w]`."""
        return cls._kinds[name]

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._names}


class NoAttrs(Attrs):
    pass


@record(slots=True)
class Window:
    """A sliding window per spatial dim (height, width): what the receptive field rule needs."""

    kernel: tuple[int, int]
    stride: tuple[int | Fraction, int | Fraction]  # below 1 for upsampling: 1/2 is two outputs per input step
    dilation: tuple[int, int] = (1, 1)


class Op:
    """One layer kind. Subclasses override what differs from a parameter-free, shape-preserving op."""

    name: ClassVar[str]
    Attrs: ClassVar[type[Attrs]] = NoAttrs
    callable: ClassVar[bool] = True  # may be written in a spec
    module: ClassVar[bool] = True  # becomes an nn.Module in the compiled model (or takes a member name)
    parameter: ClassVar[bool] = False  # the member is a parameter of its container, not a submodule
    ranks: ClassVar[tuple[int, ...]] = (1, 3)  # input ranks accepted: [C] and/or [C, H, W]
    # Which axis order its input may have (see `axes`): "channels" for [C, H, W] / [C] only (every spatial
    # layer), "any" for elementwise ops, "last" for ops acting on the last axis when that axis is C.
    layout: ClassVar[str] = "channels"
    summary: ClassVar[str] = ""
    # The output is on the input's grid: any height and width kept, position (i, j) of the output stands where
    # position (i, j) of the input does (activations, norms, dropout, channel splits and shuffles; a norm may use
    # statistics over the whole map). Size rules (analysis/sizes.py), cost formulas (analysis/costs.py) and
    # sampling grids (analysis/alignment.py) pass through such an op unchanged.
    keeps_grid: ClassVar[bool] = False
    # The output's height and width come from the attributes whatever the input's (adaptive and global pools):
    # sizes, cost formulas and sampling grids stop varying with the input's size there.
    fixed_grid: ClassVar[bool] = False

    def axes(self, attrs, shapes: list[Shape], axes: list[tuple[str, ...]]) -> tuple[str, ...] | None:
        """The output's axis names from the inputs'; None for the usual order of its rank; ShapeError if wrong.

        Shapes carry no axis names: a permuted [H, W, C] looks like any [C, H, W]. The elaborator tracks the
        names beside the shapes, so a conv after permute([1, 2, 0]) is an error rather than a silent mix-up.
        """
        if self.layout == "channels":
            for a in axes:
                if a != canonical(len(a)):
                    raise ShapeError(
                        f"{self.name} needs channels first",
                        f"its input's axes are {fmt_axes(a)}",
                        "permute back first, e.g. permute([2, 0, 1]) after permute([1, 2, 0])",
                    )
            return None
        first = axes[0]
        for a in axes[1:]:
            if a != first:
                raise ShapeError(
                    "paths have different axis orders",
                    f"{fmt_axes(first)} and {fmt_axes(a)}",
                    "permute one of them so that both agree",
                )
        if self.layout == "last" and len(first) > 1 and first[-1] != "C":
            raise ShapeError(
                f"{self.name} acts on the last axis, and that is not the channels",
                f"its input's axes are {fmt_axes(first)}",
                "add flatten() before it, or permute([1, 2, 0]) for channels last",
            )
        return first

    def infer(self, attrs, shapes: list[Shape]) -> Shape:
        """The output shape; ShapeError when the input does not fit (here: an image op given a vector)."""
        if self.ranks == (3,):
            require_image(self.name, shapes[0])
        return shapes[0]

    def params(self, attrs, shapes: list[Shape], out: Shape) -> int:
        return 0

    def buffers(self, attrs, shapes: list[Shape], out: Shape) -> int:
        return 0

    def macs(self, attrs, shapes: list[Shape], out: Shape) -> int:
        return 0

    def field_inputs(self, attrs, inputs: int) -> tuple[int, ...]:
        """The inputs whose values reach the output (all; interpolate's `like` tensor lends its size only)."""
        return tuple(range(inputs))

    def window(self, attrs, shapes: list[Shape], out: Shape) -> Window | None:
        """The window this op slides, or None when each output pixel sees one input pixel."""
        return None

    def explain(self, attrs, shapes: list[Shape], out: Shape) -> list[str]:
        return [f"output shape = input shape = {fmt_shape(out)}"]

    def describe(self, attrs) -> str:
        """A short label for tables and diagrams: `conv 3x3, 64, /2`."""
        return self.name


Axes = tuple[str, ...] | None  # the names of a value's axes ("C", "H", "W"); None: the usual order


def canonical(rank: int) -> tuple[str, ...]:
    return ("C", "H", "W")[:rank] if rank == 3 else ("C",) + ("?",) * (rank - 1)


def fmt_axes(axes: tuple[str, ...]) -> str:
    return "[" + ", ".join(axes) + "]"


def fmt_shape(shape: Sequence[int] | None) -> str:
    return "?" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def fmt_pair(pair: tuple[int, int], sep: str = "x") -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}{sep}{pair[1]}"


def require_split(shape: Shape, parts: int, what: str, help: str = "") -> None:
    """ShapeError unless the channels split into `parts` equal `what` (groups, chunks)."""
    c = shape[0]
    if c % parts:
        raise ShapeError(
            f"{c} channels do not split into {parts} {what}",
            f"input is {fmt_shape(shape)}; {c} % {parts} = {c % parts}",
            help,
        )


def require_image(op: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise ShapeError(
            f"{op} needs an image input [C, H, W]",
            f"input is {fmt_shape(shape)}",
            "spatial layers must come before flatten()",
        )
