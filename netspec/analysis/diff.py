"""Two Reports -> Diff: what changed per scope and layer (parameters, MACs, output shape), and whether a
checkpoint of the first loads into the second, strictly or not, from the static state_dicts; no torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netspec.analysis.checkpoint import state_dict
from netspec.analysis.report import Report

Shape = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Part:
    """One scope or layer of one side, by module path."""

    path: str
    what: str  # `Bottleneck(256)`, `group`, `conv 3x3, 64`
    params: int
    macs: int
    shape: Shape


@dataclass(frozen=True, slots=True)
class Change:
    """A path whose figures differ between the sides: `a` or `b` is None where it exists on one side only."""

    path: str
    a: Part | None
    b: Part | None

    @property
    def status(self) -> str:
        return "added" if self.a is None else "removed" if self.b is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        def side(p: Part | None) -> dict[str, Any] | None:
            if p is None:
                return None
            return {"what": p.what, "params": p.params, "macs": p.macs, "shape": list(p.shape)}

        return {"path": self.path, "status": self.status, "a": side(self.a), "b": side(self.b)}


@dataclass(frozen=True, slots=True)
class OutputChange:
    """One network output on both sides, by name (`""` for a network's one unnamed output); a shape is None on
    the side without that output."""

    name: str
    a: Shape | None
    b: Shape | None

    @property
    def status(self) -> str:
        if self.a == self.b:
            return "same"
        return "added" if self.a is None else "removed" if self.b is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        shapes = {side: None if s is None else list(s) for side, s in (("a", self.a), ("b", self.b))}
        return {"name": self.name, "status": self.status, **shapes}


@dataclass(slots=True)
class Checkpoint:
    """What `b.load_state_dict(a.state_dict(), strict=...)` does. torch's strict=False skips missing and
    unexpected keys but still raises on a shape that differs."""

    missing: dict[str, Shape]  # keys of B that A's checkpoint lacks: they keep B's initialisation
    unexpected: dict[str, Shape]  # keys of A's checkpoint that B has no place for
    reshaped: dict[str, tuple[Shape, Shape]]  # same key, A's shape, B's shape
    same: int  # keys that load as they are
    counted: dict[str, Shape] = field(default_factory=dict)  # num_batches_tracked absent from A: torch sets 0

    @property
    def strict(self) -> bool:
        return not (self.missing or self.unexpected or self.reshaped)

    @property
    def non_strict(self) -> bool:
        return not self.reshaped

    @property
    def verdict(self) -> str:
        return "strict" if self.strict else "non-strict" if self.non_strict else "no"

    def to_dict(self) -> dict[str, Any]:
        return {
            "loads": self.verdict,
            "strict": self.strict,
            "non_strict": self.non_strict,
            "same": self.same,
            "num_batches_tracked_set_to_0": list(self.counted),
            "missing": {k: list(v) for k, v in self.missing.items()},
            "unexpected": {k: list(v) for k, v in self.unexpected.items()},
            "reshaped": {k: {"a": list(a), "b": list(b)} for k, (a, b) in self.reshaped.items()},
        }


@dataclass(slots=True)
class Diff:
    """Design A against design B."""

    a: Report
    b: Report
    changes: list[Change]
    checkpoint: Checkpoint
    labels: tuple[str, str] = ("A", "B")
    totals: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    outputs: list[OutputChange] = field(default_factory=list)  # every output of either side, A's order first

    def to_dict(self) -> dict[str, Any]:
        sides = {
            name: {
                "label": label,
                "network": r.network,
                "file": r.file,
                "params_set": r.params,
                "input": r.input,
                "output": r.output,
                "outputs": {o["name"]: o["shape"] for o in r.outputs},
            }
            for name, label, r in (("a", self.labels[0], self.a), ("b", self.labels[1], self.b))
        }
        return {
            **sides,
            "totals": {k: {"a": a, "b": b} for k, (a, b) in self.totals.items()},
            "outputs": [o.to_dict() for o in self.outputs],
            "changes": [c.to_dict() for c in self.changes],
            "checkpoint": self.checkpoint.to_dict(),
        }


def diff(a: Report, b: Report, labels: tuple[str, str] = ("A", "B")) -> Diff:
    """Every scope and layer whose parameters, MACs or output shape differ, in B's order (A's removed ones
    after), and the checkpoint compatibility of A's weights with B."""
    parts_a, parts_b = parts(a), parts(b)
    changes = [
        Change(path, parts_a.get(path), part) for path, part in parts_b.items() if _differs(parts_a.get(path), part)
    ]
    changes += [Change(path, part, None) for path, part in parts_a.items() if path not in parts_b]
    totals = {
        "params": (a.totals.params, b.totals.params),
        "buffers": (a.totals.buffers, b.totals.buffers),
        "macs": (a.totals.macs, b.totals.macs),
        "activation_bytes": (a.totals.activation_bytes, b.totals.activation_bytes),
        "output": (list(a.output), list(b.output)),
    }
    checkpoint = compatibility(state_dict(a.graph), state_dict(b.graph))
    return Diff(a, b, changes, checkpoint, labels, totals, outputs(a, b))


def outputs(a: Report, b: Report) -> list[OutputChange]:
    """Every output of A and of B matched by name. A network's one unnamed output is the other side's main
    output (`out`, or its first) when that side names its outputs: googlenet gains aux1 and aux2 with aux=true,
    its main output stays."""
    shapes_a, shapes_b = _named(a, b), _named(b, a)
    names = list(dict.fromkeys([*shapes_a, *shapes_b]))
    return [OutputChange(name, shapes_a.get(name), shapes_b.get(name)) for name in names]


def _named(report: Report, other: Report) -> dict[str, Shape]:
    named = {o["name"]: tuple(o["shape"]) for o in report.outputs}
    if list(named) == [""] and any(o["name"] for o in other.outputs):
        names = [o["name"] for o in other.outputs]
        return {"out" if "out" in names else names[0]: named[""]}
    return named


def parts(report: Report) -> dict[str, Part]:
    """Module path -> its figures: every scope with a path of its own (the outermost of those sharing one) and
    every layer that is a module; the network itself is ``."""
    out: dict[str, Part] = {}
    for scope in report.scopes:
        if scope.path not in out:
            out[scope.path] = Part(scope.path, scope.label, scope.params, scope.macs, tuple(scope.shape))
    for layer in report.layers:
        if layer.op != "input" and report.graph.nodes[layer.id].is_module and layer.name not in out:
            out[layer.name] = Part(layer.name, layer.label, layer.params, layer.macs, tuple(layer.shape))
    return out


def _differs(a: Part | None, b: Part) -> bool:
    return a is None or (a.params, a.macs, a.shape) != (b.params, b.macs, b.shape)


def compatibility(a: dict[str, Shape], b: dict[str, Shape]) -> Checkpoint:
    """Loading state_dict `a` into a module whose state_dict is `b`."""
    absent = {k: s for k, s in b.items() if k not in a}
    # torch's BatchNorm fills an absent num_batches_tracked with 0 itself (checkpoints older than the buffer):
    # never a missing key, not even for strict=True
    counters: dict[str, Shape] = {
        k: s for k, s in absent.items() if k.rsplit(".", 1)[-1] == "num_batches_tracked" and s == ()
    }
    missing = {k: s for k, s in absent.items() if k not in counters}
    unexpected = {k: s for k, s in a.items() if k not in b}
    reshaped = {k: (a[k], s) for k, s in b.items() if k in a and a[k] != s}
    return Checkpoint(missing, unexpected, reshaped, sum(1 for k, s in b.items() if a.get(k) == s), counters)
