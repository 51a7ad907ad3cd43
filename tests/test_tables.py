"""netspec.parse.tables: the cached parser parses exactly as a freshly built one; a bad cache is never fatal."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from lark import Lark, Token

from netspec.parse import tables

SPECS = sorted(Path(__file__).parent.parent.glob("specs/*.net"))
BAD = sorted(Path(__file__).parent.glob("bad/*.net"))
BROKEN = ["network N { relu }", "network N { conv(64 3) }", "network N {", "network N { a: conv(1, 3, x=) }"]
KEYWORDS = [
    "network N { input [3, 8, 8]\n block: { relu() } expect: relu() in: relu() params: relu() }",
    "network N { input [3, 8, 8] expect params == 11.7M expect layer4.rf >= 2_24 expect macs < 1.5G }",
    "network N { input [in.channels, 2] let expect = 1 }",
    "network N { expect 3 }",
    "block B() { 1.5K }",
]


def outcome(parser: Lark, text: str):
    try:
        tree = parser.parse(text, start="start")
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return (
            type(e).__name__,
            getattr(e, "line", None),
            getattr(e, "column", None),
            sorted(getattr(e, "expected", None) or getattr(e, "allowed", None) or []),
        )
    spans = [
        (t.meta.line, t.meta.column, t.meta.end_line, t.meta.end_column)
        for t in tree.iter_subtrees()
        if not t.meta.empty
    ]
    tokens = [
        (t.type, str(t), t.line, t.column, t.end_line, t.end_column)
        for t in tree.scan_values(lambda v: isinstance(v, Token))
    ]
    return tree, spans, tokens


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("NETSPEC_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_the_cached_parser_parses_as_a_fresh_one(cache):
    fresh = tables.load_parser()
    assert len(list(cache.glob("parser-*.pickle"))) == 1
    cached = tables.load_parser()
    assert cached.source_path == "<deserialized>"  # really loaded, not rebuilt
    for text in [p.read_text() for p in SPECS] + BROKEN:
        assert outcome(cached, text) == outcome(fresh, text)


def test_the_shared_scanner_lexes_as_lark_does():
    """tables._SharedFirst: every token (type, text, place) and every error as lark's contextual lexer has them."""
    grammar = (Path(tables.__file__).parent.parent / "grammars/netspec.lark").read_text(encoding="utf-8")
    lark_own = Lark(grammar, **tables.OPTIONS)
    shared = tables.load_parser()
    assert any(isinstance(x, tables._SharedFirst) for x in shared.parser.lexer.lexers.values())
    texts = [p.read_text() for p in SPECS + BAD] + BROKEN + KEYWORDS
    for text in texts:
        assert outcome(shared, text) == outcome(lark_own, text), text
    valid = tables.load_parser()
    for path in SPECS:
        valid.parse(path.read_text(), start="start")
    built = {
        id(x.own)
        for x in valid.parser.lexer.lexers.values()
        if isinstance(x, tables._SharedFirst) and x.own._scanner is not None
    }
    assert len(built) <= 3  # on valid specs the states' own scanners are rarely needed (lark builds 37 for one)


def test_a_corrupt_cache_file_is_rebuilt(cache):
    tables.load_parser()
    (path,) = cache.glob("parser-*.pickle")
    path.write_bytes(b"not a pickle")
    assert tables.load_parser().source_path != "<deserialized>"
    assert tables.load_parser().source_path == "<deserialized>"


def test_a_cache_file_naming_a_class_is_refused(cache):
    tables.load_parser()
    (path,) = cache.glob("parser-*.pickle")
    path.write_bytes(pickle.dumps({"key": Path("x")}))
    assert tables.load_parser().source_path != "<deserialized>"


def test_an_unwritable_cache_dir_still_parses(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("NETSPEC_CACHE_DIR", str(blocker / "sub"))  # cannot be created: a file is in the way
    assert tables.load_parser().parse("network N { relu() }", start="start") is not None
    assert not (blocker / "sub").exists()
