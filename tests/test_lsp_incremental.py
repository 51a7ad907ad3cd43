"""The language server's incremental parse: an edit inside one statement re-parses only it, and the AST is
exactly (spans included) what a full parse of the new text gives."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.diagnostics import NetspecError
from netspec.lsp.document import analyse_text
from netspec.lsp.incremental import find_change
from netspec.parse import parse

SPECS = {p.name: p.read_text() for p in sorted((Path(__file__).parent.parent / "specs").rglob("*.net"))}
EDITS = ["1", "64", "x", ",", ")", "(", "{", "}", " ", "", "stride=2", "relu()", "# note", '"s"']


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(SPECS)), where=st.floats(0, 1), width=st.integers(0, 3), insert=st.sampled_from(EDITS)
)
def test_an_edit_gives_what_a_full_parse_gives(name, where, width, insert):
    text = SPECS[name]
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    row = candidates[int(where * (len(candidates) - 1))]
    line = lines[row]
    col = len(line) - len(line.lstrip()) + int(where * 997) % max(1, len(line.strip()))
    lines[row] = line[:col] + insert + line[col + width :]
    new = "\n".join(lines)
    before = analyse_text(text, name)
    after = analyse_text(new, name, before)
    try:
        full = parse(new, name)
    except NetspecError as e:
        assert after.repaired and [d.message for d in after.diagnostics] == [d.message for d in e.diagnostics]
        return
    assert not after.repaired
    assert (after.spec.imports, after.spec.blocks, after.spec.networks) == (full.imports, full.blocks, full.networks)


def test_an_edit_inside_a_statement_is_found_as_one():
    text = SPECS["resnet18.net"]
    new = text.replace("maxpool(3, stride=2, padding=1)", "maxpool(3, stride=1, padding=1)")
    change = find_change(text, parse(text, "r.net"), new)
    assert change is not None and change.stmt.label == "maxpool"
    assert re.search(r"^    maxpool: maxpool\(3, stride=1", change.text, re.M)
    assert find_change(text, parse(text, "r.net"), new.replace("}\n", "}\n\n", 1)) is None  # a line added
