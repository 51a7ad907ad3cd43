"""The diagram backend: what the SVG of ResNet-18 shows (parsed as XML), folding, repeats, joins, escaping, files."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import netspec
from netspec.backends.diagram import Diagram, render, svg, to_dot
from netspec.diagnostics import NetspecError

SPECS = Path(__file__).parent.parent / "specs"
NS = "{http://www.w3.org/2000/svg}"


@dataclass
class Drawing:
    """An SVG from dot, read back: texts per cluster and per node, and the edges with their labels."""

    clusters: dict[str, list[str]] = field(default_factory=dict)
    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, list[str], bool]] = field(default_factory=list)  # tail, head, texts, dashed

    def cluster_texts(self) -> list[str]:
        return [t for texts in self.clusters.values() for t in texts]

    def node_texts(self) -> list[str]:
        return [t for texts in self.nodes.values() for t in texts]

    def edge_labels(self) -> list[str]:
        return [t for *_, texts, _ in self.edges for t in texts]

    def into(self, node: str) -> list[tuple[str, str, list[str], bool]]:
        return [e for e in self.edges if e[1] == node]


def parse(text: str) -> Drawing:
    drawing = Drawing()
    for g in ET.fromstring(text).iter(f"{NS}g"):
        kind, title = g.get("class"), g.findtext(f"{NS}title")
        texts = [t.text.strip() for t in g.iter(f"{NS}text") if t.text and t.text.strip()]
        if kind == "cluster":
            drawing.clusters[title] = texts
        elif kind == "node":
            drawing.nodes[title] = texts
        elif kind == "edge":
            tail, head = title.split("->")
            dashed = any(p.get("stroke-dasharray") for p in g.iter(f"{NS}path"))
            drawing.edges.append((tail, head, texts, dashed))
    return drawing


@pytest.fixture(scope="module")
def resnet18():
    return netspec.analyse(SPECS / "resnet18.net")


def draw(report, **options) -> Drawing:
    text = svg(report, **options)
    assert text is not None, "graphviz's dot must be installed for the tests (apt-get install graphviz)"
    return parse(text)


# ---- ResNet-18, as the issue asks -------------------------------------------------------------------


def test_blocks_folds_each_block_and_frames_each_stage(resnet18):
    d = draw(resnet18, depth="blocks")
    assert {"layer1", "layer2", "layer3", "layer4"} <= set(d.cluster_texts())
    texts = d.node_texts()
    assert "conv 7x7, 64, /2" in texts
    assert "Basic(64) × 2" in texts  # layer1's two identical blocks, drawn once, labelled as the spec calls them
    assert {"Basic(128, stride=2)", "Basic(128)"} <= set(texts)
    assert {"64x112x112", "64x56x56", "128x28x28", "512x7x7", "512", "1000"} <= set(d.edge_labels())
    assert len(d.nodes) == 4 + 1 + 7 + 3 + 1  # input, stem, 7 block boxes, head, output


def test_a_folded_residual_block_keeps_its_skip_as_a_loop_and_its_plain_twin_has_none():
    cifar = netspec.analyse(SPECS / "resnet_cifar.net")
    loops = [(t, h) for t, h, texts, dashed in draw(cifar, depth="blocks").edges if t == h and dashed]
    assert len(loops) == 5  # Basic(16) x 3; Basic(32, stride=2); Basic(32) x 2; and the same at 64
    plain = draw(netspec.analyse(SPECS / "resnet_cifar.net", plain=True), depth="blocks")
    assert not any(t == h for t, h, *_ in plain.edges)


def test_the_default_opens_a_small_residual_net_so_its_skips_show(resnet18):
    d = draw(resnet18)
    adds = [layer for layer in resnet18.layers if layer.op == "add"]
    drawn = [a for a in adds if f"n{a.id}" in d.nodes]
    assert len(drawn) == 7  # layer1's two identical blocks are drawn once; layer2..4 hold two different ones
    for add in drawn:
        assert sorted(dashed for *_, dashed in d.into(f"n{add.id}")) == [False, True], add.name
    plain = netspec.analyse(SPECS / "resnet_cifar.net", plain=True)
    assert not any(dashed for *_, dashed in draw(plain).edges)
    resnet50 = netspec.analyse(SPECS / "resnet.net", depth=50)
    assert to_dot(resnet50) == to_dot(resnet50, depth="blocks")  # too many boxes open: folded


def test_concat_branches_are_drawn_in_the_spec_order_left_to_right():
    report = netspec.analyse(SPECS / "googlenet.net")
    plain = _positions(to_dot(report))
    scope = next(s for s in report.scopes if s.path == "inception3a")
    branches = [
        s
        for s in report.scopes
        if s.parent is not None and report.scopes[s.parent].kind == "paths" and s.path.startswith("inception3a.branch")
    ]
    firsts = []
    for branch in branches:
        ids = [f"s{s.id}" for s in report.scopes if s.parent == branch.id] or [f"s{branch.id}"]
        firsts.append(min(plain[i] for i in ids if i in plain))
    assert [b.path for b in branches] == [f"inception3a.branch{i}" for i in range(1, 5)] and scope
    assert firsts == sorted(firsts), firsts


def _positions(source: str) -> dict[str, float]:
    import subprocess

    out = subprocess.run(["dot", "-Tplain"], input=source, capture_output=True, text=True, check=True).stdout
    return {w[1]: float(w[2]) for w in (line.split() for line in out.splitlines()) if w[0] == "node"}


def test_clusters_carry_name_params_and_macs(resnet18):
    d = draw(resnet18, depth="full", collapse_repeats=False)
    layer2 = next(texts for texts in d.clusters.values() if texts[0] == "layer2.0")
    scope = next(s for s in resnet18.scopes if s.path == "layer2.0" and s.kind == "block")
    assert layer2[1] == "Basic(128, stride=2)"
    assert layer2[2] == f"{scope.params / 1e3:.3g}K params · {scope.macs / 1e6:.3g}M MACs"


def test_full_depth_draws_every_layer_and_both_inputs_of_every_join(resnet18):
    d = draw(resnet18, depth="full")  # full means every layer: repeats too
    assert to_dot(resnet18, depth="full") == to_dot(resnet18, depth="full", collapse_repeats=False)
    assert len(d.nodes) == len(resnet18.layers) + 1
    titles = {texts[0] for texts in d.clusters.values()}
    assert {"layer1", "layer1.0", "layer1.1", "layer2.0", "layer2.0.downsample", "layer4.1"} <= titles
    adds = [layer for layer in resnet18.layers if layer.op == "add"]
    assert len(adds) == 8
    for add in adds:
        into = d.into(f"n{add.id}")
        assert len(into) == 2, add.name
        assert sorted(dashed for *_, dashed in into) == [False, True], add.name  # the skip edge is dashed
    identity = next(a for a in adds if a.name == "layer1.0.add")
    assert (f"n{identity.inputs[1]}", f"n{identity.id}") in {(t, h) for t, h, *_ in d.edges}  # maxpool -> add
    assert d.edge_labels().count("64x56x56") >= 5


def test_projection_shortcut_branches_off_dashed(resnet18):
    d = draw(resnet18, depth="full", collapse_repeats=False)
    conv = next(layer for layer in resnet18.layers if layer.name == "layer2.0.downsample.0")
    (edge,) = d.into(f"n{conv.id}")
    assert edge[3] and edge[0] == f"n{conv.inputs[0]}"
    assert "conv 1x1, 128, /2" in d.nodes[f"n{conv.id}"]


def test_repeats_collapse_in_open_frames_without_back_edges(resnet18):
    d = draw(resnet18)
    titles = [texts[:2] for texts in d.clusters.values()]
    assert ["layer1.0 … layer1.1", "Basic(64) × 2"] in titles
    assert "n12" not in d.nodes  # layer1.1.conv1 is drawn by layer1.0.conv1
    for tail, head, *_ in d.edges:
        if tail[0] == head[0] == "n":
            assert int(tail[1:]) < int(head[1:]), (tail, head)


def test_depth_n_folds_like_summary(resnet18):
    d = draw(resnet18, depth=1)
    assert not d.clusters
    assert ["layer1", "Basic × 2 · 148K params · 462M MACs"] in d.nodes.values()
    assert to_dot(resnet18, depth=2) == to_dot(resnet18, depth="blocks")  # blocks sit at depth 2 here


def test_dot_source_is_deterministic_and_ids_never_come_from_the_spec(resnet18):
    text = to_dot(resnet18, depth="full")
    assert text == to_dot(netspec.analyse(SPECS / "resnet18.net"), depth="full")
    ids = re.findall(r"^\t+(\S+) \[", text, re.M) + re.findall(r"^\t+(\S+) -> (\S+)", text, re.M)
    names = {i for item in ids for i in (item if isinstance(item, tuple) else (item,))} - {"graph", "node", "edge"}
    assert names and all(re.fullmatch(r"n\d+|s\d+|output", name) for name in names), names
    assert "rankdir=LR" in to_dot(resnet18, rankdir="LR")


def test_options_are_checked(resnet18):
    for bad in (0, -1, "deep", True, 1.5):
        with pytest.raises(ValueError, match="depth"):
            to_dot(resnet18, depth=bad)
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(resnet18, rankdir="sideways")


# ---- other structures -------------------------------------------------------------------------------

CONCAT = """
network Paths {
    input [8, 16, 16]
    mix: concat {
        a: conv(4, 1)
        b: { conv(2, 1)  conv(6, 3, padding=1) }
        identity()
    }
    sum: add { conv(18, 1)  identity() }
}
"""


def test_concat_and_add_joins_take_every_path():
    report = netspec.analyse(CONCAT)
    d = draw(report)
    concat = next(layer for layer in report.layers if layer.op == "concat")
    add = next(layer for layer in report.layers if layer.op == "add")
    assert len(d.into(f"n{concat.id}")) == 3 and len(d.into(f"n{add.id}")) == 2
    assert not any(dashed for *_, dashed in d.edges)  # paths are not shortcuts
    assert {"4x16x16", "6x16x16", "8x16x16"} <= set(d.edge_labels())
    assert "concat" in d.nodes[f"n{concat.id}"] and "+" in d.nodes[f"n{add.id}"]
    assert {"mix", "mix.b"} <= {texts[0] for texts in d.clusters.values()}


PAD = """
network Cifar {
    input [16, 32, 32]
    block Basic(out: int, stride: int = 1) {
        residual {
            conv(out, 3, stride=stride, padding=1, bias=false)
            batchnorm()
        } shortcut pad
        relu()
    }
    Basic(32, stride=2)
}
"""


def test_option_a_pad_shortcut_is_drawn_as_a_skip():
    report = netspec.analyse(PAD)
    d = draw(report, depth="full")
    pad = next(layer for layer in report.layers if layer.op == "pad")
    assert "pad /2, +16ch" in d.nodes[f"n{pad.id}"]
    assert [dashed for *_, dashed in d.into(f"n{pad.id}")] == [True]
    add = next(layer for layer in report.layers if layer.op == "add")
    assert sorted(dashed for *_, dashed in d.into(f"n{add.id}")) == [False, True]


GROWING = """
network Dense {
    input [8, 8, 8]
    block Layer(growth: int) {
        concat { identity()  conv(growth, 3, padding=1) }
    }
    stage: { repeat 3 { Layer(4) } }
    conv(8, 1)
}
"""


def test_folded_repeats_may_grow_in_channels_but_open_ones_may_not():
    report = netspec.analyse(GROWING)
    folded = draw(report, depth="blocks")
    # 4 filters of 3x3 over 8, 12 and 16 channels: 4*9*(8+12+16) + 3*4 = 1,308 params
    assert ["Layer(4) × 3", "stage.0 … stage.2 · 1.31K params · 82.9K MACs"] in folded.nodes.values()
    assert {"8x8x8", "20x8x8"} <= set(folded.edge_labels())  # into the run, out of it
    opened = draw(report)
    assert {"stage.0", "stage.1", "stage.2"} <= {texts[0] for texts in opened.clusters.values()}


EVIL = r"""
network Evil(tag: str = "<i>&amp;</i> \G \N \\ ' ]]> {x}") {
    input [3, 8, 8]
    block B(note: str) { conv(4, 3, padding=1) }
    b: B("</font></b><br/>& \G \N \\ ' <script>x</script> ]] -->")
}
"""


def test_hostile_text_reaches_the_picture_verbatim():
    report = netspec.analyse(EVIL)
    for depth in (None, "full"):
        d = draw(report, depth=depth)
        texts = d.cluster_texts() + d.node_texts() + [t for t in ET.fromstring(svg(report, depth=depth)).itertext()]
        assert any('B("</font></b><br/>& \\G \\N \\\\ \' <script>x</script> ]] -->")' in t for t in texts)
        assert any('Evil(tag="<i>&amp;</i> \\G \\N \\\\ \' ]]> {x}")' in t for t in texts)


# ---- files, notebooks and a missing `dot` -----------------------------------------------------------


def test_render_picks_the_format_by_suffix(resnet18, tmp_path):
    assert render(resnet18, tmp_path / "r.svg") is None
    parse((tmp_path / "r.svg").read_text())
    render(resnet18, tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")
    render(resnet18, tmp_path / "r.pdf", depth=1)
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    render(resnet18, tmp_path / "sub" / "r.dot", rankdir="LR")
    assert (tmp_path / "sub" / "r.dot").read_text() == to_dot(resnet18, rankdir="LR")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["r.dot", "r.pdf", "r.png", "r.svg", "sub"]


def test_unknown_format_and_unwritable_path_are_clear_errors(resnet18, tmp_path):
    with pytest.raises(NetspecError, match=r"unknown format `\.jpeg`"):
        render(resnet18, tmp_path / "r.jpeg")
    (tmp_path / "file").write_text("")
    with pytest.raises(NetspecError, match=r"cannot write .*file/r\.svg"):
        render(resnet18, tmp_path / "file" / "r.svg")
    (tmp_path / "taken.svg").mkdir()  # the rename fails: the temporary file must not stay behind
    with pytest.raises(NetspecError, match=r"cannot write .*taken\.svg"):
        render(resnet18, tmp_path / "taken.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "taken.svg"]


def test_without_dot_the_source_is_written_with_a_one_line_note(resnet18, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    note = render(resnet18, tmp_path / "out" / "r.svg")
    assert note and "\n" not in note and "apt-get install graphviz" in note and "r.dot" in note
    assert not (tmp_path / "out" / "r.svg").exists()
    assert (tmp_path / "out" / "r.dot").read_text() == to_dot(resnet18)
    assert svg(resnet18) is None and resnet18._repr_svg_() is None and Diagram(resnet18)._repr_svg_() is None
    assert resnet18._repr_html_().startswith("<b>ResNet18</b><table>")  # the table still shows


def test_notebook_reprs(resnet18):
    d = parse(resnet18._repr_svg_())
    assert "layer1" in d.cluster_texts()
    html = resnet18._repr_html_()
    picture = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    assert parse(picture).cluster_texts() == d.cluster_texts()  # the HTML that front-ends prefer holds the picture
    assert "<b>ResNet18</b><table>" in html and "<td style='text-align:left'>conv 7x7, 64, /2</td>" in html
    assert "11,689,512" in html and "<?xml" not in html
    diagram = Diagram(resnet18, depth=1)
    assert "layer4" in parse(diagram._repr_svg_()).node_texts() and str(diagram) == to_dot(resnet18, depth=1)
    with pytest.raises(ValueError):
        Diagram(resnet18, rankdir="up")


# ---- the Python API ---------------------------------------------------------------------------------


def test_api_draws_a_path_text_or_report(resnet18, tmp_path):
    d = netspec.diagram(SPECS / "resnet18.net", tmp_path / "r.svg", depth=1, classes=10)
    assert d.note is None and "linear 10" in parse((tmp_path / "r.svg").read_text()).node_texts()
    assert "Basic × 2" in d.source
    assert netspec.diagram(resnet18).source == to_dot(resnet18)
    assert "concat" in netspec.diagram(CONCAT, rankdir="LR").source


def test_api_warns_without_dot(resnet18, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.warns(RuntimeWarning, match="apt-get install graphviz"):
        d = netspec.diagram(resnet18, tmp_path / "r.png")
    assert d.note and (tmp_path / "r.dot").exists()


def test_import_netspec_stays_light():
    import subprocess
    import sys

    code = "import sys, netspec; netspec.diagram; print(sorted(m for m in ('graphviz', 'torch') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_too_big_for_dot_is_refused_but_its_source_is_written(tmp_path):
    deep = netspec.analyse("network Deep {\n input [4, 4, 4]\n repeat 700 { conv(4, 3, padding=1) relu() relu() }\n}")
    with pytest.raises(NetspecError, match="the diagram has 2,102 boxes"):
        render(deep, tmp_path / "deep.svg")
    assert render(deep, tmp_path / "deep.dot") is None and not (tmp_path / "deep.svg").exists()


# ---- skips across scopes and several outputs ---------------------------------------------------------

UNET = """
block Stage(c: int) { conv(c, 3, padding=1)  relu() }
block Up(c: int, skip: tensor) { concat { @skip  identity() }  conv(c, 3, padding=1)  relu() }
network U(base: int = 4, classes: int = 2) {
    input [3, 32, 32]
    down1: Stage(base)
    down2: Stage(2 * base)
    down3: Stage(4 * base)
    bottom: Stage(8 * base)
    dec3: Up(4 * base, skip=@down3)
    dec2: Up(2 * base, skip=@down2)
    dec1: Up(base, skip=@down1)
    head: conv(classes, 1)
    output out
    output deep { @bottom  conv(classes, 1) }
}
"""


def centres(text: str) -> dict[str, tuple[float, float]]:
    """Each node's first label position in the SVG (y grows downwards)."""
    out = {}
    for g in ET.fromstring(text).iter(f"{NS}g"):
        first = next(g.iter(f"{NS}text"), None)
        if g.get("class") == "node" and first is not None:
            out[g.findtext(f"{NS}title")] = (float(first.get("x")), float(first.get("y")))
    return out


@pytest.mark.parametrize("depth", [None, "blocks"])
def test_a_unet_reads_like_the_u(depth):
    """Encoder down the left, decoder up the right, each skip a solid edge straight across."""
    report = netspec.analyse(UNET)
    text = svg(report, depth=depth)
    d, where = parse(text), centres(text)
    ends = {}
    for name in ("down1", "down2", "down3", "dec1", "dec2", "dec3"):
        scope = next(s for s in report.scopes if s.path == name)
        joins = [i for i in scope.layers if report.layers[i].op == "concat"]
        ends[name] = f"s{scope.id}" if depth else f"n{scope.layers[-1] if name.startswith('down') else joins[0]}"
    for level in "123":
        tail, head = ends[f"down{level}"], ends[f"dec{level}"]
        [skip] = [e for e in d.edges if {e[0], e[1]} == {tail, head}]
        assert not skip[3] and skip[2]  # solid, with the shape it carries
        assert abs(where[tail][1] - where[head][1]) < 1 and where[tail][0] < where[head][0]
    assert where[ends["down1"]][1] < where[ends["down2"]][1] < where[ends["down3"]][1]  # down on the left
    assert where[ends["dec3"]][1] > where[ends["dec2"]][1] > where[ends["dec1"]][1]  # back up on the right
    assert 'color="#2f6fb3"' in to_dot(report, depth=depth)


def test_each_output_is_drawn_with_its_name_and_shape():
    report = netspec.analyse(UNET)
    d = draw(report, depth="full")
    assert d.nodes["output0"] == ["out"] and d.nodes["output1"] == ["deep"]
    labels = {tail + "->" + head: texts for tail, head, texts, _ in d.edges}
    assert any(k.endswith("output1") or k.startswith("output1") for k in labels)
    assert ["2x32x32"] in [texts for key, texts in labels.items() if "output0" in key]


def test_repeats_whose_values_are_read_further_on_are_not_collapsed():
    """Identical stages whose outputs a later layer takes (U-Net's skips) keep a box each, so each skip has
    its start; without the skips they collapse as before."""
    text = """
block Stage(c: int) { conv(c, 3, padding=1)  relu() }
network N {
    input [4, 16, 16]
    s1: Stage(4)
    s2: Stage(4)
    s3: Stage(4)
    %s
}
"""
    skipped = draw(netspec.analyse(text % "concat { @s1  identity() }"), depth="blocks")
    texts = skipped.node_texts()
    assert "Stage(4)" in texts and "Stage(4) × 2" in texts and not any("× 3" in t for t in texts)
    plain = draw(netspec.analyse(text % "relu()"), depth="blocks")
    assert any("Stage(4) × 3" in t for t in plain.node_texts())
