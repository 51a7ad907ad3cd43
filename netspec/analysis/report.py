"""The analysis report as typed data (pydantic): per layer, per scope and in total; what `--json` prints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr


class Location(BaseModel):
    file: str
    line: int
    col: int


class Layer(BaseModel):
    """One node of the elaborated network with everything analysis knows about it."""

    model_config = ConfigDict(frozen=True)

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
    rf: list[int]
    jump: list[int]
    activation_bytes: int
    at: Location


class ScopeSummary(BaseModel):
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


class Totals(BaseModel):
    layers: int
    params: int
    trainable_params: int
    buffers: int
    macs: int
    flops: int  # 2 x MACs
    activation_bytes: int  # per sample: the sum of every layer's output
    param_bytes: int  # parameters and buffers
    dtype: str


class Warning(BaseModel):
    code: str
    message: str
    label: str
    help: str
    at: Location | None


class Report(BaseModel):
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
    _graph: Any = PrivateAttr(default=None)

    @property
    def graph(self):
        """The checked IR the report was made from (what the backends compile)."""
        return self._graph

    def layer(self, name: str) -> Layer:
        """A layer by its module path (`layer1.0.conv1`); KeyError with the nearest names otherwise."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def _repr_html_(self) -> str:
        from netspec.analysis.table import html

        return html(self)

    def _repr_svg_(self) -> str | None:
        try:
            from netspec.backends.diagram import svg
        except ImportError:
            return None
        return svg(self)
