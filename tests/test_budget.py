"""netspec.parse.budget: text that would make the parser do unbounded work is refused before it runs."""

from __future__ import annotations

import tracemalloc

import pytest

from netspec.diagnostics import NetspecError
from netspec.parse import parse
from netspec.parse.budget import MAX_CHAIN, MAX_ITEMS, MAX_TOKENS

NET = "network N {\n    input [3, 8, 8]\n    let a = %s\n}\n"


def error(text: str):
    with pytest.raises(NetspecError) as caught:
        parse(text, "x.net")
    (found,) = caught.value.errors
    return found


@pytest.mark.parametrize(
    "expr",
    [
        "1" + "+1" * 400_000,
        "(1)" + "*(1)" * 150_000,
        "-" * 900_000 + "1",
        "a" + "[0]" * 250_000,
        "1" + " or not 1" * 200_000,
    ],
)
def test_a_dense_megabyte_is_refused_early_in_little_memory(expr):
    tracemalloc.start()
    try:
        found = error(NET % expr)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found.message == f"expression has more than {MAX_CHAIN} operators in a row"
    assert found.span.line == 3 and found.span.col < 13 + 5 * MAX_CHAIN
    assert peak < 20 * 2**20  # the parser never ran: lark would hold about a kilobyte per token


def test_a_list_longer_than_evaluation_allows_is_refused_before_parsing():
    found = error(NET % ("[" + "1," * (MAX_ITEMS + 5) + "1]"))
    assert found.message == f"more than {MAX_ITEMS:,} items in one list or call"


def test_too_many_tokens():
    from netspec.parse.budget import overrun

    assert overrun("x " * MAX_TOKENS) is None
    assert overrun("x " * MAX_TOKENS + "# comments are not tokens\n") is None
    message = f"file has too many tokens (1,000,001; the limit is {MAX_TOKENS:,})"
    assert overrun("x " * (MAX_TOKENS + 1)) == (0, (message, "split it into block libraries and import them"))


def test_long_but_legitimate_text_is_not_refused():
    parse(NET % " + ".join(["a * 2"] * 60), "x.net")  # 119 operators in a row, nested 60 deep
    parse(NET % ("[" + ", ".join(["1 + 1"] * 5000) + "]"), "x.net")  # many short expressions
    parse("network N {\n" + "    conv(8, 3, padding=1)\n    relu()\n" * 2000 + "}\n", "x.net")
    parse(NET % '"# not a comment + + + , ,"', "x.net")
