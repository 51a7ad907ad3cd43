"""netspec.backends.table: the summary drawn without rich is exactly the text rich draws."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netspec
from netspec.backends import table

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("specs/*.net"))


def cells(report, depth):
    return [
        ("  " * row.depth + row.label, row.op, row.shape, f"{row.params:,}", f"{row.macs:,}", row.rf)
        for row in table.rows(report, depth)
    ]


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_the_zoo_summaries_read_as_rich_draws_them(path):
    report = netspec.analyse(path)
    title = f"{report.network} ({report.file})"
    for depth in (None, "blocks", 1, 2, 3, "full"):
        plain = table._plain(title, cells(report, depth), 160)
        # the segmentation specs' deep rows (ASPP inside the classifier) are wider than 160 columns: rich lays them out
        assert plain is not None or path.stem in ("fcn", "deeplabv3")
        if plain is not None:
            assert plain == table._rich(title, cells(report, depth), 160)


def test_what_rich_would_lay_out_differently_is_left_to_rich():
    row = ("conv1", "conv 3x3, 64", "[64, 8, 8]", "1,728", "110,592", "3")
    assert table._plain("T", [row], 40) is None  # too wide: rich shrinks columns
    assert table._plain("T" * 200, [row], 160) is None  # a title wider than the table wraps
    assert table._plain("T", [("café", *row[1:])], 160) is None  # not ASCII
    assert table._plain("T", [("[bold]x", *row[1:])], 160) is None  # markup
    assert table._plain("T", [], 160) is None


WORD = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40),
    st.lists(st.tuples(*[WORD] * 6), min_size=1, max_size=5),
    st.integers(20, 160),
)
def test_any_table_drawn_directly_is_what_rich_draws(title, rows, width):
    plain = table._plain(title, rows, width)
    if plain is not None:
        assert plain == table._rich(title, rows, width)


def test_depth_speaks_the_diagram_vocabulary():
    report = netspec.analyse(ROOT / "specs/resnet18.net")
    assert table.rows(report, "full") == table.rows(report, None) and len(table.rows(report)) == len(report.layers) - 1
    assert [r.op for r in table.rows(report, "blocks") if r.name.startswith("layer2")] == [
        "Basic(128, stride=2)",
        "Basic(128)",
    ]
    assert [r.name for r in table.rows(report, 1)][4:9] == ["layer1", "layer2", "layer3", "layer4", "avgpool"]
    for bad in (0, -1, "deep", True):
        with pytest.raises(ValueError, match="depth"):
            table.rows(report, bad)


def test_unnamed_rows_read_as_their_op_and_keep_their_module_path():
    report = netspec.analyse(ROOT / "specs/vgg.net")
    row = next(r for r in table.rows(report) if r.name == "classifier.3")
    assert (row.label, row.op) == ("classifier.linear (3)", "linear 4096")
    assert "classifier.linear (3)" in table.text(report) and "classifier.3" in table.html(report)
    named = next(r for r in table.rows(netspec.analyse(ROOT / "specs/resnet18.net")) if r.name == "fc")
    assert named.label == "fc"


def test_receptive_fields_wider_than_the_input_are_marked():
    report = netspec.analyse(ROOT / "specs/resnet18.net")
    by_name = {r.name: r for r in table.rows(report)}
    assert by_name["layer4.1.conv2"].rf == "435*" and by_name["layer4.1.conv2"].rf_exceeds_input
    assert by_name["layer3.0.conv1"].rf == "115" and not by_name["layer3.0.conv1"].rf_exceeds_input
    assert "* receptive field larger than the 224x224 input" in table.text(report)
    assert "* receptive field" not in table.text(netspec.analyse(ROOT / "specs/lecture.net"))


@pytest.mark.parametrize(
    "n, text",
    [(0, "0 bytes"), (1216, "1.2 KiB"), (1023, "1,023 bytes"), (46_796_528, "44.63 MiB"), (3 * 2**30 // 2, "1.50 GiB")],
)
def test_sizes_are_shown_in_units_that_fit(n, text):
    assert table.fmt_bytes(n) == text


def test_the_lecture_conv_is_not_zero_mebibytes():
    text = table.text(netspec.analyse(ROOT / "specs/lecture.net"))
    assert "params and buffers 1.2 KiB" in text and "0.00 MiB" not in text


def test_the_totals_give_every_output_and_its_shape():
    spec = """network N { input [3, 8, 8]  stem: conv(4, 3, padding=1)  output feat
                          pool: global_avgpool()  flatten()  fc: linear(5)  output out }"""
    lines = table.totals_lines(netspec.analyse(spec))
    assert lines[0] == "input [3, 8, 8] -> outputs feat [4, 8, 8], out [5]"
    assert table.totals_lines(netspec.analyse(SPECS[0]))[0].startswith("input [3, 224, 224] -> output [1000]")
