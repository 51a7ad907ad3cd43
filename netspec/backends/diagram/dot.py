"""Report -> dot source through the graphviz package: open scopes as clusters, layers and folded scopes as boxes.

Node ids come from the view (`n<node>`, `s<scope>`, `cluster_<scope>`), never from spec text; every piece of
spec text reaches dot only inside an HTML-like label, escaped by `labels.escape`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath

from netspec.analysis.report import Layer, Location, Report, ScopeSummary
from netspec.backends.diagram import labels
from netspec.backends.diagram.view import Box, Cluster, Edge, View, check_depth, view
from netspec.ops import OPS
from netspec.values import spec_text

RANKDIRS = ("TB", "LR", "BT", "RL")
FONT = "Helvetica"
GRAPH = {
    "newrank": "true",
    "fontname": FONT,
    "fontsize": "11",
    "nodesep": "0.18",
    "ranksep": "0.12",
    "labelloc": "t",
    "labeljust": "l",
    "margin": "0.1",
    "bgcolor": "white",
}
NODE = {
    "shape": "box",
    "style": "rounded,filled",
    "fontname": FONT,
    "fontsize": "10",
    "penwidth": "0.8",
    "margin": "0.08,0.02",
    "height": "0.2",
    "color": "#555555",
}
EDGE = {
    "fontname": FONT,
    "fontsize": "8",
    "fontcolor": labels.MUTED,
    "color": "#444444",
    "arrowsize": "0.6",
    "penwidth": "0.8",
}
ERROR = "#b00020"
SKIP = {"style": "dashed", "color": "#8a8a8a"}
# a value taken from far back (U-Net's skips, an aux head's tap): strong enough to follow across the drawing,
# and not pulling the layout (constraint=false), so the chain keeps its order and the edge spans it
REFERENCE = {"color": "#2f6fb3", "fontcolor": "#2f6fb3", "penwidth": "1.4", "constraint": "false"}
LOOP = {"label": "+x", "fontsize": "9", "dir": "none", "headport": "e", "tailport": "e"}
# newrank: ranks across clusters, which also keeps a concat's branches in the spec's order, left to right
# How a few ops look, by name; every other layer is a rounded box filled by its family's colour.
OP_STYLE = {
    "add": {
        "shape": "circle",
        "label": "+",
        "width": "0.28",
        "height": "0.28",
        "fixedsize": "true",
        "fontsize": "13",
        "margin": "0",
    },
    "mul": {
        "shape": "circle",
        "label": "×",
        "width": "0.28",
        "height": "0.28",
        "fixedsize": "true",
        "fontsize": "13",
        "margin": "0",
    },
    "concat": {"shape": "invtrapezium", "style": "filled", "margin": "0.04,0.02"},
    "input": {"shape": "oval", "style": "filled"},
}
CLUSTER_STYLE = {
    "block": {"style": "rounded,filled", "fillcolor": "#f3f7fc", "color": "#8fa6c4"},
    "shortcut": {"style": "rounded,dashed", "color": "#8a8a8a"},
}
CLUSTER = {"style": "rounded", "color": "#a0a0a0", "penwidth": "0.8", "fontsize": "10", "margin": "8"}


def to_dot(report: Report, depth: int | str | None = None, rankdir: str = "TB", collapse_repeats: bool = True) -> str:
    """The diagram as dot source: deterministic text, the same for the same report and options."""
    check_options(depth, rankdir)
    return emit(view(report, depth, collapse_repeats), rankdir)


def emit(drawing: View, rankdir: str = "TB", incomplete: str | None = None) -> str:
    """A view as dot source; `incomplete` (the errors of a partial report) is said in red under the title."""
    import graphviz

    title = _title(drawing.report, incomplete)
    graph = graphviz.Digraph(
        "netspec", graph_attr={**GRAPH, "rankdir": rankdir, "label": title}, node_attr=NODE, edge_attr=EDGE
    )
    _Writer(drawing, bool(incomplete)).fill(graph, drawing.root, "")
    for edge in drawing.edges:
        if edge.up:  # declared head to tail, the arrow turned round: dot ranks it upwards
            graph.edge(edge.head, edge.tail, **_edge_attrs(edge), dir="back")
        else:
            graph.edge(edge.tail, edge.head, **_edge_attrs(edge))
    for ends in drawing.across:
        graph.body.append(f"\t{{rank=same; {ends[0]}; {ends[1]}}}\n")
    return graph.source


def check_options(depth, rankdir: str) -> None:
    """ValueError for a depth or rankdir the diagram does not know."""
    check_depth(depth)
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")


def _title(report: Report, incomplete: str | None = None) -> str:
    args = ", ".join(f"{k}={spec_text(v)}" for k, v in report.params.items())
    name = f"{report.network}({args})" if args else report.network
    title = labels.html(name, labels.cost(report.totals.params, report.totals.macs))
    if not incomplete:
        return title
    note = labels.escape(f"incomplete: {incomplete}; what they affect is not drawn")
    return f'{title[:-1]}<br align="left"/><font color="{ERROR}">{note}</font><br align="left"/>>'


def _edge_attrs(edge: Edge) -> dict[str, str]:
    if edge.tail == edge.head:  # a folded residual block: its skip as a dashed loop beside it
        return {**SKIP, **LOOP}
    attrs = {"label": labels.shape(edge.shape)} if edge.shape else {}
    return {**attrs, **(SKIP if edge.skip else {}), **(REFERENCE if edge.reference else {})}


class _Writer:
    """Fills graphviz graphs from the view's tree: one subgraph per cluster, one node per box."""

    def __init__(self, drawing: View, incomplete: bool = False):
        self.incomplete = incomplete  # the output box becomes the point where the analysis stopped
        self.report = drawing.report
        self.scopes = drawing.report.scopes
        self.children = _child_blocks(self.scopes)

    def fill(self, graph, cluster: Cluster, path: str) -> None:
        import graphviz

        for member in cluster.members:
            if isinstance(member, Box):
                graph.node(member.id, **self.box(member, path))
                continue
            scope = self.scopes[member.scope]
            sub = graphviz.Digraph(f"cluster_{scope.id}", graph_attr=self.cluster(member))
            self.fill(sub, member, scope.path)
            graph.subgraph(sub)

    # ---- clusters ---------------------------------------------------------------------------------

    def cluster(self, cluster: Cluster) -> dict[str, str]:
        scope = self.scopes[cluster.scope]
        run = [self.scopes[i] for i in cluster.run]
        what = scope.label if scope.kind == "block" else ("" if scope.kind == "group" else scope.kind)
        label = labels.html(_span(run), _cost(run), aside=_times(what, len(run)), frame=True)
        return {**CLUSTER, **CLUSTER_STYLE.get(scope.kind, {}), "label": label, "tooltip": _where(scope.path, scope.at)}

    # ---- boxes ------------------------------------------------------------------------------------

    def box(self, box: Box, path: str) -> dict[str, str]:
        if box.node is not None:
            return self.layer(self.report.layers[box.node], path)
        if box.scope is not None:
            return self.folded([self.scopes[i] for i in box.run])
        if self.incomplete:
            return {
                "label": labels.html("errors", "not analysed further"),
                "shape": "octagon",
                "color": ERROR,
                "fontcolor": ERROR,
                "fillcolor": "#fdecef",
            }
        return {"label": labels.html(box.output or "output"), "shape": "oval", "fillcolor": "#ffffff"}

    def layer(self, layer: Layer, path: str) -> dict[str, str]:
        name = layer.name[len(path) + 1 :] if path and layer.name.startswith(path + ".") else layer.name
        shown = "" if name == layer.op or name.rpartition(".")[2].isdigit() or not OPS[layer.op].module else name
        attrs = {
            "label": labels.html(layer.label, labels.join(shown, labels.cost(layer.params, layer.macs))),
            "fillcolor": labels.fill(layer.op),
            "tooltip": _where(layer.name, layer.at),
        }
        return {**attrs, **OP_STYLE.get(layer.op, {})}

    def folded(self, run: list[ScopeSummary]) -> dict[str, str]:
        scope = run[0]
        contents = self.contents(scope)
        title = _times(scope.label if scope.kind == "block" else _span(run), len(run))
        line = labels.join(_span(run) if scope.kind == "block" else "", contents, _cost(run))
        return {
            "label": labels.html(title, line),
            "tooltip": _where(scope.path, scope.at),
            "fillcolor": labels.FOLD_FILL.get(scope.kind, labels.FOLD_FILL["group"]),
        }

    def contents(self, scope: ScopeSummary) -> str:
        """What a folded scope holds: `Bottleneck x 36`; a group without blocks: `12 layers`."""
        blocks = self.children[scope.id]
        if blocks or scope.kind == "block":
            return ", ".join(_times(name, n) for name, n in blocks.items())
        n = sum(1 for i in scope.layers if OPS[self.report.layers[i].op].module)
        return f"{n} layer" + ("" if n == 1 else "s")


def _child_blocks(scopes: list[ScopeSummary]) -> dict[int, Counter]:
    """For every scope, how many block instances of each definition it holds, looking through groups."""
    out: dict[int, Counter] = {s.id: Counter() for s in scopes}
    for block in (s for s in scopes if s.kind == "block"):
        parent = block.parent
        while parent is not None:
            out[parent][block.block] += 1
            parent = None if scopes[parent].kind == "block" else scopes[parent].parent
    return out


def _span(run: list[ScopeSummary]) -> str:
    return run[0].path if len(run) == 1 else f"{run[0].path} … {run[-1].path}"


def _times(text: str, n: int) -> str:
    return f"{text} × {n}".lstrip() if n > 1 else text


def _cost(run: list[ScopeSummary]) -> str:
    return labels.cost(sum(s.params for s in run), sum(s.macs for s in run))


def _where(name: str, at: Location) -> str:
    return labels.plain(f"{name} ({PurePath(at.file).name}:{at.line})")
