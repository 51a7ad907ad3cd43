"""Report -> View: the boxes, clusters and edges a diagram draws once scopes are folded and repeats collapsed.

Folding (`depth`, the vocabulary of netspec.analysis.folding, shared with `netspec summary`):
- `None` (the default): every layer, repeats collapsed, when that takes at most OPEN_LIMIT boxes, so a small
  residual net shows its skips and an Inception block its branches; otherwise as `"blocks"`.
- `"blocks"`: every block instance that holds no other block instance is one box; groups, stages and branches
  around them stay open as clusters. ResNet-152 becomes a stem, four stages and `Bottleneck x N` boxes, each
  folded residual block drawn with a dashed loop (its skip); a spec without blocks is drawn layer by layer.
- an int N: every named scope at module depth N (`layer1` is 1, `layer1.0` is 2) is one box.
- `"full"`: every layer is a box, every repeat drawn.

Collapsing repeats: consecutive sibling blocks or groups, each fed by the one before, that are the same block with
the same arguments and the same layers are drawn once, marked `x N`. Folded boxes need only the same structure
(DenseNet's layers grow in channels); open clusters also need the same shapes, because their edges show them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from netspec.analysis.folding import BLOCKS, FULL, check_depth, folded_scopes, is_named
from netspec.analysis.report import Layer, Report, ScopeSummary

DEFAULT = None
OPEN_LIMIT = 80  # boxes: ResNet-18 (64) and the CIFAR ResNets open (their skips show), ResNet-50 (97) folds
REPEATABLE = ("block", "group")
SHORTCUT_OPS = {"pad"}  # ops that are a whole shortcut by themselves (CIFAR ResNet option A)


@dataclass(frozen=True, slots=True)
class Box:
    """One drawn node: a layer (`n<id>`), a folded scope (`s<id>`) or a network output (`output`, `output<k>`)."""

    id: str
    node: int | None = None
    scope: int | None = None
    run: tuple[int, ...] = ()  # the scopes a folded box stands for: itself, or a run of repeats
    output: str = ""  # a named output's name


@dataclass(slots=True)
class Cluster:
    """An open scope: a frame around its members, standing for `run` (itself, or a run of repeats)."""

    scope: int
    run: tuple[int, ...]
    members: list[Cluster | Box] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Edge:
    tail: str
    head: str
    shape: tuple[int, ...] | None  # the tensor that flows; None on skip edges (the main edge beside shows it)
    skip: bool
    reference: bool = False  # a value taken from further back (`@enc.stage2`): drawn as a long, coloured edge
    up: bool = False  # drawn against the flow, on the way back up of a U (a U-Net's decoder)


@dataclass(slots=True)
class View:
    report: Report
    root: Cluster
    edges: list[Edge]
    across: list[tuple[str, str]] = field(default_factory=list)  # a U's skips: their two ends side by side

    def boxes(self) -> int:
        """How many boxes are drawn: what `dot`'s layout time grows with."""
        count, stack = 0, [self.root]
        while stack:
            members = stack.pop().members
            count += sum(isinstance(m, Box) for m in members)
            stack += [m for m in members if isinstance(m, Cluster)]
        return count


def view(report: Report, depth: int | str | None = None, collapse_repeats: bool = True) -> View:
    """What to draw for this report; see the module docstring for `depth` and repeats."""
    check_depth(depth)
    if depth is None:  # every layer when that stays readable, else the innermost blocks folded
        drawing = _Builder(report, set(), collapse_repeats).build()
        if drawing.boxes() <= OPEN_LIMIT:
            return drawing
        depth = BLOCKS
    folded = folded_scopes(report.scopes, depth)
    return _Builder(report, folded, collapse_repeats and depth != FULL).build()


def _turn(layers: list[Layer], references: list[tuple[int, int]]) -> int | None:
    """Where a U turns back up: with two or more skips nested one inside the next (U-Net's), the layer at the
    lowest resolution in the innermost one (its middle one, if several). Edges from there on are drawn upwards,
    so the encoder goes down the left, the decoder up the right, and each skip runs across; None otherwise."""
    spans = sorted(set(references), key=lambda r: (r[0], -r[1]))
    if len(spans) < 2 or not all(a[0] < b[0] and b[1] < a[1] for a, b in itertools.pairwise(spans)):
        return None
    start, end = spans[-1]
    inside = [layer for layer in layers[start + 1 : end] if len(layer.shape) == 3]
    if not inside:
        return None
    lowest = min(layer.shape[1] * layer.shape[2] for layer in inside)
    bottom = [layer.id for layer in inside if layer.shape[1] * layer.shape[2] == lowest]
    return bottom[(len(bottom) - 1) // 2]


def _outputs(report: Report) -> list[tuple[str, int]]:
    """The network's outputs as (name, layer id), in declaration order; the last layer when none is known."""
    ids = {layer.name: layer.id for layer in report.layers}
    found = [(o["name"], ids[o["layer"]]) for o in report.outputs if o.get("layer") in ids]
    return found or [("", report.layers[-1].id)]


def children(scopes: list[ScopeSummary]) -> dict[int, list[ScopeSummary]]:
    out: dict[int, list[ScopeSummary]] = {s.id: [] for s in scopes}
    for s in scopes:
        if s.parent is not None:
            out[s.parent].append(s)
    return out


class _Builder:
    def __init__(self, report: Report, folded: set[int], collapse_repeats: bool):
        self.report = report
        self.layers = report.layers
        self.scopes = report.scopes
        self.folded = folded
        self.collapse = collapse_repeats
        self.boxes: dict[int, Box] = {}
        self.chains: dict[int, list[ScopeSummary]] = {}
        self.readers: dict[int, list[int]] = {layer.id: [] for layer in self.layers}
        for layer in self.layers:
            for i in layer.inputs:
                self.readers[i].append(layer.id)
        self.outputs = _outputs(report)

    def build(self) -> View:
        self.runs = self._find_runs() if self.collapse else {}
        tree = self._tree()
        self.turn = _turn(self.layers, self._references())
        edges = self._edges()
        across = [(e.tail, e.head) for e in edges if e.reference] if self.turn is not None else []
        return View(self.report, tree, edges, across)

    def _references(self) -> list[tuple[int, int]]:
        return [(i, layer.id) for layer in self.layers for i in layer.inputs if self._is_reference(i, layer)]

    # ---- repeats ----------------------------------------------------------------------------------

    def _find_runs(self) -> dict[int, tuple[int, ...]]:
        """scope id -> the run of repeats it belongs to, for runs of two or more."""
        runs: dict[int, tuple[int, ...]] = {}
        for siblings in children(self.scopes).values():
            for run in self._split(siblings):
                runs.update({s: run for s in run} if len(run) > 1 else {})
        return runs

    def _split(self, siblings: list[ScopeSummary]) -> list[tuple[int, ...]]:
        out: list[list[int]] = []
        for s in siblings:
            if out and self._repeats(self.scopes[out[-1][-1]], s):
                out[-1].append(s.id)
            else:
                out.append([s.id])
        return [tuple(run) for run in out]

    def _repeats(self, a: ScopeSummary, b: ScopeSummary) -> bool:
        """b repeats a: the same kind of scope, fed by a, with the same signature."""
        if a.kind not in REPEATABLE or not a.layers or not b.layers or not is_named(self.scopes, b):
            return False
        folded = a.id in self.folded
        if folded != (b.id in self.folded) or a.layers[-1] not in self.layers[b.layers[0]].inputs:
            return False
        if not (self._closed(a, b.layers) and self._closed(b, ())):
            return False
        return self._signature(a, not folded) == self._signature(b, not folded)

    def _closed(self, scope: ScopeSummary, next_layers) -> bool:
        """Is nothing of the scope read from outside it but its last value (by `next_layers`, if given)? A repeat
        whose values are taken further on (U-Net's encoder stages) is drawn, so that each skip has its start."""
        inside = set(scope.layers)
        last = scope.layers[-1]
        if any(r not in inside for i in scope.layers[:-1] for r in self.readers[i]) or last in {
            i for name, i in self.outputs if name
        }:
            return False
        return not next_layers or set(self.readers[last]) <= inside | set(next_layers)

    def _signature(self, scope: ScopeSummary, shapes: bool) -> tuple:
        first = scope.layers[0]
        return (
            scope.kind,
            scope.label if scope.kind == "block" else "",
            tuple(
                (
                    layer.op,
                    layer.label,
                    layer.scope - scope.id,
                    tuple(i - first for i in layer.inputs),
                    tuple(layer.shape) if shapes else (),
                )
                for layer in (self.layers[i] for i in scope.layers)
            ),
        )

    # ---- which box draws a node -------------------------------------------------------------------

    def chain(self, scope_id: int) -> list[ScopeSummary]:
        """The scope and its ancestors, outermost first."""
        if scope_id not in self.chains:
            scope = self.scopes[scope_id]
            outer = self.chain(scope.parent) if scope.parent is not None else []
            self.chains[scope_id] = outer + [scope]
        return self.chains[scope_id]

    def box(self, node: int) -> Box:
        if node not in self.boxes:
            self.boxes[node] = self._box(node)
        return self.boxes[node]

    def _box(self, node: int) -> Box:
        for scope in self.chain(self.layers[node].scope):
            run = self.runs.get(scope.id)
            if run and run[0] != scope.id:  # a later repeat: drawn by the first one
                first = self.scopes[run[0]]
                return self.box(first.layers[node - scope.layers[0]])
            if scope.id in self.folded:
                return Box(f"s{scope.id}", scope=scope.id, run=self.runs.get(scope.id, (scope.id,)))
        return Box(f"n{node}", node=node)

    def _positions(self, node: int) -> dict[int, int]:
        """For every run the node sits in: the run's first scope -> which repeat holds the node."""
        return {run[0]: run.index(s.id) for s in self.chain(self.layers[node].scope) if (run := self.runs.get(s.id))}

    # ---- clusters ---------------------------------------------------------------------------------

    def _tree(self) -> Cluster:
        root = Cluster(0, (0,))
        clusters = {0: root}
        placed: set[str] = set()
        for layer in self.layers:
            box = self.box(layer.id)
            if box.id not in placed:
                placed.add(box.id)
                self._container(box, clusters).members.append(box)
        root.members += [self.output_box(k) for k in range(len(self.outputs))]
        return root

    def output_box(self, k: int) -> Box:
        """The k-th output's box: `output` for a network with one unnamed output, else labelled with its name."""
        names = [name for name, _ in self.outputs]
        return Box("output") if names == [""] else Box(f"output{k}", output=names[k])

    def _container(self, box: Box, clusters: dict[int, Cluster]) -> Cluster:
        if box.node is not None:
            scope = self.layers[box.node].scope
        else:  # a folded scope's box sits in that scope's parent (never the root: the root is not folded)
            assert box.scope is not None
            scope = self.scopes[box.scope].parent or 0
        parent = clusters[0]
        for s in self.chain(scope):
            if s.id == 0 or not is_named(self.scopes, s) or s.id in self.folded:
                continue
            if s.id not in clusters:
                clusters[s.id] = Cluster(s.id, self.runs.get(s.id, (s.id,)))
                parent.members.append(clusters[s.id])
            parent = clusters[s.id]
        return parent

    # ---- edges ------------------------------------------------------------------------------------

    def _edges(self) -> list[Edge]:
        edges: dict[tuple, Edge] = {}
        for layer in self.layers:
            for k, i in enumerate(layer.inputs):
                edge = self._edge(i, layer, k)
                if edge and (edge.tail, edge.head) not in edges:
                    edges[edge.tail, edge.head] = edge
        for layer in self.layers:  # a folded residual block keeps its skip: a dashed loop on its box
            box = self.box(layer.id)
            if box.scope is not None and layer.op == "add" and self.scopes[layer.scope].kind == "residual":
                edges.setdefault((box.id, box.id), Edge(box.id, box.id, None, True))
        for k, (_, node) in enumerate(self.outputs):
            box = self.output_box(k)
            up = self.turn is not None and node >= self.turn
            edges[node, box.id] = Edge(self.box(node).id, box.id, tuple(self.layers[node].shape), False, up=up)
        return list(edges.values())

    def _edge(self, i: int, head: Layer, k: int) -> Edge | None:
        tail_box, head_box = self.box(i), self.box(head.id)
        if self._crosses_repeats(i, head.id):
            return None
        skip = self._is_skip(self.layers[i], head, k)
        if tail_box.id == head_box.id:
            return None
        reference = not skip and self._is_reference(i, head)
        up = self.turn is not None and i >= self.turn and not reference
        return Edge(tail_box.id, head_box.id, None if skip else tuple(self.layers[i].shape), skip, reference, up)

    def _is_reference(self, tail: int, head: Layer) -> bool:
        """A value taken from further back than the chain gives: not the layer just before, nor what a scope
        around the head starts from (a branch's input), so it came by a reference (`@enc.stage2`, a tensor)."""
        if tail == head.id - 1 or self._ends_path(tail, head):
            return False
        return not any(tail in self.layers[s.layers[0]].inputs for s in self.chain(head.scope) if s.layers)

    def _ends_path(self, tail: int, head: Layer) -> bool:
        """Does the value come from inside the join's own scope (an Inception branch, a residual body)?"""
        if self.scopes[head.scope].kind not in ("paths", "residual"):
            return False
        return any(s.id == head.scope for s in self.chain(self.layers[tail].scope))

    def _crosses_repeats(self, tail: int, head: int) -> bool:
        """An edge from one repeat to the next: drawn once, as the edge into the first repeat."""
        a, b = self._positions(tail), self._positions(head)
        return any(a[run] != b[run] for run in a.keys() & b.keys())

    def _is_skip(self, tail: Layer, head: Layer, k: int) -> bool:
        """A residual's shortcut: into the join (second input on), and into a shortcut path from outside it."""
        if head.op == "add" and k > 0 and self.scopes[head.scope].kind == "residual":
            return True
        if head.op in SHORTCUT_OPS:
            return True
        shortcut = self._shortcut(head)
        return shortcut is not None and shortcut != self._shortcut(tail)

    def _shortcut(self, layer: Layer) -> int | None:
        return next((s.id for s in reversed(self.chain(layer.scope)) if s.kind == "shortcut"), None)
