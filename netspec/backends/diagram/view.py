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

from dataclasses import dataclass, field

from netspec.analysis.folding import BLOCKS, FULL, check_depth, folded_scopes, is_named
from netspec.analysis.report import Layer, Report, ScopeSummary

DEFAULT = None
OPEN_LIMIT = 80  # boxes: ResNet-18 (64) and the CIFAR ResNets open (their skips show), ResNet-50 (97) folds
REPEATABLE = ("block", "group")
SHORTCUT_OPS = {"pad"}  # ops that are a whole shortcut by themselves (CIFAR ResNet option A)


@dataclass(frozen=True, slots=True)
class Box:
    """One drawn node: a layer (`n<id>`), a folded scope (`s<id>`) or the network's output."""

    id: str
    node: int | None = None
    scope: int | None = None
    run: tuple[int, ...] = ()  # the scopes a folded box stands for: itself, or a run of repeats


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


@dataclass(slots=True)
class View:
    report: Report
    root: Cluster
    edges: list[Edge]

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
        self.runs = self._find_runs() if collapse_repeats else {}
        self.boxes: dict[int, Box] = {}
        self.chains: dict[int, list[ScopeSummary]] = {}

    def build(self) -> View:
        return View(self.report, self._tree(), self._edges())

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
        return self._signature(a, not folded) == self._signature(b, not folded)

    def _signature(self, scope: ScopeSummary, shapes: bool) -> tuple:
        first = scope.layers[0]
        return (scope.kind, scope.label if scope.kind == "block" else "",
                tuple((layer.op, layer.label, layer.scope - scope.id, tuple(i - first for i in layer.inputs),
                       tuple(layer.shape) if shapes else ()) for layer in (self.layers[i] for i in scope.layers)))

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
        root.members.append(Box("output"))
        return root

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
        last = self.layers[-1]
        edges[last.id, "output"] = Edge(self.box(last.id).id, "output", tuple(last.shape), False)
        return list(edges.values())

    def _edge(self, i: int, head: Layer, k: int) -> Edge | None:
        tail_box, head_box = self.box(i), self.box(head.id)
        if self._crosses_repeats(i, head.id):
            return None
        skip = self._is_skip(self.layers[i], head, k)
        if tail_box.id == head_box.id:
            return None
        return Edge(tail_box.id, head_box.id, None if skip else tuple(self.layers[i].shape), skip)

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
