"""The analysis report as typed data: per layer, per scope and in total; what `--json` prints.

Plain dataclasses keep `netspec check` fast; pydantic validates and describes them on demand (`json_schema`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import field
from fractions import Fraction
from typing import Any

from netspec.records import record


@record(slots=True)
class Location:
    file: str
    line: int
    col: int
    end_line: int = 0  # 0: a point
    end_col: int = 0


@record(slots=True)
class Layer:
    """One node of the elaborated network with everything analysis knows about it."""

    id: int
    name: str
    op: str
    label: str
    attrs: dict[str, Any]
    inputs: list[int]
    scope: int
    shape: list[int]
    params: int
    buffers: int
    macs: int
    rf: list[int | Fraction]  # a Fraction after upsampling (in --json a string such as "7/2")
    jump: list[int | Fraction]
    activation_bytes: int
    at: Location


@record(slots=True)
class ScopeSummary:
    """A group, block instance or branch, with the totals of everything inside it."""

    id: int
    parent: int | None
    kind: str
    path: str
    label: str
    depth: int
    block: str | None
    params: int
    macs: int
    layers: list[int]
    shape: list[int]
    at: Location


@record(slots=True)
class Totals:
    layers: int
    params: int
    trainable_params: int
    buffers: int
    macs: int
    flops: int  # 2 x MACs
    activation_bytes: int  # per sample: the sum of every layer's output
    param_bytes: int  # parameters and buffers
    dtype: str


@record(slots=True)
class Warning:
    code: str
    message: str
    label: str
    help: str
    at: Location | None


@record(frozen=False)
class Report:
    """Everything `netspec check` and `summary` know about one network, before any tensor exists."""

    network: str
    file: str
    params: dict[str, Any]
    input: list[int]
    output: list[int]
    layers: list[Layer]
    scopes: list[ScopeSummary]
    totals: Totals
    warnings: list[Warning]
    # every network output: {"name", "layer" (module path), "shape"}; one with name "" unless `output` is declared
    outputs: list[dict[str, Any]] = field(default_factory=list)
    graph: Any = field(default=None, repr=False, compare=False)  # the checked IR the backends compile

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what --json prints); the IR is left out."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "graph"}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def layer(self, name: str) -> Layer:
        """A layer by its module path (`layer1.0.conv1`); KeyError with the nearest names otherwise."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def _repr_html_(self) -> str:
        from netspec.display import report_html  # display sits above analysis and the backends

        return report_html(self)

    def _repr_svg_(self) -> str | None:
        from netspec.display import report_svg

        return report_svg(self)


def readable_name(path: str, op: str) -> str:
    """An unnamed layer (numbered like nn.Sequential) shown by its op, its true index beside it: `features.relu (3)`."""
    parent, _, last = path.rpartition(".")
    if not last.isdigit():
        return path
    return f"{parent + '.' if parent else ''}{op} ({last})"


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # most values: answered first (--json of 100k layers)
        return value
    if dataclasses.is_dataclass(value):
        return {
            name: _plain(getattr(value, name))
            for name in _field_names(value if isinstance(value, type) else type(value))
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Fraction):
        return str(value)  # exact, as the table shows it: "1/2"
    return value


_SCALARS = frozenset({int, float, str, bool, type(None)})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `Report.to_dict()`, for editors and CI that consume `--json`."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(Report).json_schema()
    schema["properties"].pop("graph", None)
    return schema
