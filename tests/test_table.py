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
    return [("  " * row.depth + row.name, row.op, row.shape, f"{row.params:,}", f"{row.macs:,}", row.rf)
            for row in table.rows(report, depth)]


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_the_zoo_summaries_read_as_rich_draws_them(path):
    report = netspec.analyse(path)
    title = f"{report.network} ({report.file})"
    for depth in (None, 0, 1, 2, 3):
        plain = table._plain(title, cells(report, depth), 160)
        assert plain is not None
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
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40),
       st.lists(st.tuples(*[WORD] * 6), min_size=1, max_size=5), st.integers(20, 160))
def test_any_table_drawn_directly_is_what_rich_draws(title, rows, width):
    plain = table._plain(title, rows, width)
    if plain is not None:
        assert plain == table._rich(title, rows, width)
