"""`netspec lsp` end to end: a real client session over stdio, every feature checked against the CLI's answers."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from lsp_client import NETSPEC, Session, doc, position_of
from lsprotocol import types as lsp

import netspec
from netspec.analysis.explain import explain
from netspec.format import format_text

ROOT = Path(__file__).parent.parent
RESNET18 = ROOT / "specs/resnet18.net"
GOOGLENET = ROOT / "specs/googlenet.net"


@pytest.fixture(scope="module")
def session():
    s = Session()
    yield s
    s.close()


def cli_check(path: Path) -> list[dict]:
    done = subprocess.run([NETSPEC, "check", "--json", str(path)], capture_output=True, text=True)
    return json.loads(done.stdout)["files"][0]["diagnostics"]


def test_capabilities(session):
    caps = session.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.references_provider and caps.rename_provider
    assert caps.inlay_hint_provider and caps.document_symbol_provider and caps.document_formatting_provider
    assert caps.completion_provider is not None


def test_diagnostics_on_open_and_change_match_netspec_check(session, tmp_path):
    uri, found = session.open(RESNET18)
    assert found == []
    broken = RESNET18.read_text().replace("maxpool(3, stride=2, padding=1)", "maxpool(3, stride=2, padding=1, bogus=1)")
    bad = tmp_path / "resnet18.net"
    bad.write_text(broken)
    expected = cli_check(bad)
    found = session.change(uri, broken)
    assert [d.message.split(":")[0].split("\n")[0] for d in found] == [e["message"] for e in expected]
    span = expected[0]["span"]
    assert (found[0].range.start.line + 1, found[0].range.start.character + 1) == (span["line"], span["col"])
    assert found[0].severity == lsp.DiagnosticSeverity.Error and found[0].code and found[0].source == "netspec"
    assert session.change(uri, RESNET18.read_text()) == []


def test_warning_and_related_locations(session, tmp_path):
    text = (
        "network N {\n    input [3, 16, 16]\n    block B(c: int) {\n        conv(c, 3, padding=1)\n"
        "        batchnorm()\n        relu()\n    }\n    a: B(8)\n    b: B(16)\n}\n"
    )
    path = tmp_path / "warn.net"
    path.write_text(text)
    _, found = session.open(path)
    expected = cli_check(path)
    assert [d.message.split(":")[0] for d in found] == [e["message"] for e in expected] != []
    assert found[0].severity == lsp.DiagnosticSeverity.Warning and found[0].code == expected[0]["code"]
    related = sorted(r.location.range.start.line for r in found[0].related_information)
    assert related == [7, 8]  # the two places that use the block


def test_inlay_hints_are_the_summary_shapes(session):
    uri, _ = session.open(RESNET18)
    hints = session.request(
        lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintParams(doc(uri), lsp.Range(lsp.Position(0, 0), lsp.Position(100, 0)))
    )
    lines = RESNET18.read_text().splitlines()
    by_line = {h.position.line: h.label for h in hints}
    report = netspec.analyse(RESNET18)
    shapes = {layer.name: layer.shape for layer in report.layers}
    fc = next(i for i, line in enumerate(lines) if line.strip().startswith("fc:"))
    assert by_line[fc] == f"→ {shapes['fc']}"
    assert all(h.position.character == len(lines[h.position.line].rstrip()) for h in hints)
    conv1 = next(i for i, line in enumerate(lines) if "conv1: conv(out" in line)  # inside Basic, used 8 times
    assert by_line[conv1] == "→ [64, 56, 56] | [128, 28, 28] | [256, 14, 14] | … (runs 8×)"
    layer2 = next(i for i, line in enumerate(lines) if line.strip().startswith("layer2:"))
    assert by_line[layer2] == f"→ {next(s.shape for s in report.scopes if s.path == 'layer2')}"


def test_hover_explains_a_layer_and_totals_a_group(session):
    uri, _ = session.open(RESNET18)
    text = RESNET18.read_text()
    report = netspec.analyse(RESNET18)
    hover = session.request(lsp.TEXT_DOCUMENT_HOVER, lsp.HoverParams(doc(uri), position_of(text, "maxpool(3", 2)))
    assert explain(report, "maxpool") in hover.contents.value
    hover = session.request(lsp.TEXT_DOCUMENT_HOVER, lsp.HoverParams(doc(uri), position_of(text, "layer1:", 2)))
    assert "params: 147,968" in hover.contents.value and "`[64, 56, 56]`" in hover.contents.value
    hover = session.request(lsp.TEXT_DOCUMENT_HOVER, lsp.HoverParams(doc(uri), position_of(text, "linear(classes", 10)))
    assert "classes: int = 1000" in hover.contents.value


def test_definition_references_rename(session):
    uri, _ = session.open(RESNET18)
    text = RESNET18.read_text()
    found = session.request(
        lsp.TEXT_DOCUMENT_DEFINITION, lsp.DefinitionParams(doc(uri), position_of(text, "Basic(128", 1))
    )
    assert found.uri == uri and found.range.start == position_of(text, "Basic(out")
    refs = session.request(
        lsp.TEXT_DOCUMENT_REFERENCES,
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=position_of(text, "stride: int", 1),
            context=lsp.ReferenceContext(include_declaration=True),
        ),
    )
    keywords = len(re.findall(r"Basic\(\d+, stride=2\)", text))
    assert len(refs) == 1 + text.count("stride=stride") + keywords == 5  # the parameter, its use, Basic(.., stride=2)
    edit = session.request(
        lsp.TEXT_DOCUMENT_RENAME, lsp.RenameParams(doc(uri), position_of(text, "stride: int", 1), "step")
    )
    lines = text.splitlines()
    for e in sorted(edit.changes[uri], key=lambda e: (e.range.start.line, -e.range.start.character)):
        line = lines[e.range.start.line]
        lines[e.range.start.line] = line[: e.range.start.character] + e.new_text + line[e.range.end.character :]
    renamed = "\n".join(lines) + "\n"
    assert "step: int = 1" in renamed and "stride=step" in renamed and "Basic(128, step=2)" in renamed
    assert "maxpool(3, stride=2" in renamed  # a layer's argument of the same name is not the block's
    assert netspec.analyse(renamed).totals == netspec.analyse(RESNET18).totals


def test_definition_in_an_imported_library(session):
    uri, _ = session.open(GOOGLENET)
    text = GOOGLENET.read_text()
    found = session.request(
        lsp.TEXT_DOCUMENT_DEFINITION, lsp.DefinitionParams(doc(uri), position_of(text, "Inception(64", 1))
    )
    library = ROOT / "specs/lib/inception.net"
    assert found.uri == library.resolve().as_uri()
    assert found.range.start == position_of(library.read_text(), "Inception(c1")


def test_completion(session):
    uri, _ = session.open(RESNET18)
    text = RESNET18.read_text()
    inside = session.request(
        lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionParams(doc(uri), position_of(text, "maxpool(3, ", 11))
    )
    items = {i.label: i for i in inside.items}
    assert items["ceil_mode="].detail == "bool = false" and "stride=" in items and "conv" not in items
    block = session.request(
        lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionParams(doc(uri), position_of(text, "Basic(128, ", 11))
    )
    assert {i.label: i.detail for i in block.items}["stride="] == "stride: int = 1"
    start = session.request(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionParams(doc(uri), position_of(text, "flatten")))
    labels = {i.label: i for i in start.items}
    assert {"conv", "Basic", "residual", "classes"} <= set(labels)
    assert labels["conv"].detail.startswith("conv(out, kernel, stride=1, padding=0")


def test_document_symbols(session):
    uri, _ = session.open(RESNET18)
    symbols = session.request(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL, lsp.DocumentSymbolParams(doc(uri)))
    (net,) = symbols
    children = [c.name for c in net.children]
    assert net.name == "ResNet18" and children[:3] == ["classes", "Basic", "conv1"] and "layer4" in children
    basic = next(c for c in net.children if c.name == "Basic")
    assert [c.name for c in basic.children] == ["out", "stride", "conv1", "bn1", "relu", "conv2", "bn2"]


def test_formatting(session, tmp_path):
    messy = "network X {\ninput [3,8,8]\n  a: conv(4,3)   # c\n  bb: relu()\n}\n"
    uri, _ = session.open(tmp_path / "m.net", messy)
    (edit,) = session.request(
        lsp.TEXT_DOCUMENT_FORMATTING, lsp.DocumentFormattingParams(doc(uri), lsp.FormattingOptions(4, True))
    )
    assert edit.new_text == format_text(messy) and edit.range.start == lsp.Position(0, 0)


def test_syntax_error_keeps_shapes_for_what_parses(session, tmp_path):
    text = RESNET18.read_text().replace("fc:      linear(classes)", "fc:      linear(classes")
    uri, found = session.open(tmp_path / "typing.net", text)
    assert len(found) == 1 and found[0].code == "syntax" and found[0].message.startswith("unexpected")
    hints = session.request(
        lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintParams(doc(uri), lsp.Range(lsp.Position(0, 0), lsp.Position(100, 0)))
    )
    labels = {h.position.line: h.label for h in hints}
    maxpool = text.splitlines().index("    maxpool: maxpool(3, stride=2, padding=1)")
    assert labels[maxpool] == "→ [64, 56, 56]"
    hover = session.request(lsp.TEXT_DOCUMENT_HOVER, lsp.HoverParams(doc(uri), position_of(text, "maxpool(3", 2)))
    assert "floor((112 - 3 + 2*1)/2) + 1 = 56" in hover.contents.value


def test_inlay_hints_with_cost():
    """initializationOptions {"inlayHints": {"cost": true}}: parameters and MACs, as the summary counts them."""
    session = Session({"inlayHints": {"cost": True}})
    try:
        uri, _ = session.open(RESNET18)
        hints = session.request(
            lsp.TEXT_DOCUMENT_INLAY_HINT,
            lsp.InlayHintParams(doc(uri), lsp.Range(lsp.Position(0, 0), lsp.Position(100, 0))),
        )
    finally:
        session.close()
    lines = RESNET18.read_text().splitlines()
    by_line = {lines[h.position.line].split(":")[0].strip(): h.label for h in hints}
    report = netspec.analyse(RESNET18)
    conv1 = next(layer for layer in report.layers if layer.name == "conv1")
    assert by_line["conv1"] == f"→ [64, 112, 112] · {conv1.params:,} params · {conv1.macs / 1e6:.1f}M MACs"
    layer4 = next(s for s in report.scopes if s.path == "layer4")
    assert by_line["layer4"] == f"→ [512, 7, 7] · {layer4.params:,} params · {layer4.macs / 1e6:.1f}M MACs"
    assert by_line["relu"] == "→ [64, 112, 112]"


def test_named_skips_go_to_their_label_and_a_mismatch_relates_both_ends(session, tmp_path):
    text = (
        "network N {\n    input [3, 8, 8]\n    stem: conv(4, 3, padding=1)\n    down: conv(4, 3, stride=2)\n"
        "    add { @stem  identity() }\n}\n"
    )
    path = tmp_path / "skip.net"
    path.write_text(text)
    uri, found = session.open(path)
    [error] = found
    assert error.range.start.line == 4
    assert [r.location.range.start.line for r in error.related_information] == [2]  # where the skip is made
    fixed = text.replace("stride=2)", "padding=1)")
    assert session.change(uri, fixed) == []
    at = position_of(fixed, "@stem", 1)
    target = session.request(lsp.TEXT_DOCUMENT_DEFINITION, lsp.DefinitionParams(doc(uri), at))
    assert target.range.start == position_of(fixed, "stem:")
    edit = session.request(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameParams(doc(uri), position_of(fixed, "stem:"), "trunk"))
    assert sorted((e.range.start.line, e.new_text) for e in edit.changes[uri]) == [(2, "trunk"), (4, "trunk")]
