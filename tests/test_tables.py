"""netspec.parse.tables: the cached parser parses exactly as a freshly built one; a bad cache is never fatal."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from lark import Lark

from netspec.parse import tables

SPECS = sorted(Path(__file__).parent.parent.glob("specs/*.net"))
BROKEN = ["network N { relu }", "network N { conv(64 3) }", "network N {", "network N { a: conv(1, 3, x=) }"]


def outcome(parser: Lark, text: str):
    try:
        tree = parser.parse(text, start="start")
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return type(e).__name__, getattr(e, "line", None), getattr(e, "column", None), sorted(
            getattr(e, "expected", None) or getattr(e, "allowed", None) or [])
    spans = [(t.meta.line, t.meta.column, t.meta.end_line, t.meta.end_column)
             for t in tree.iter_subtrees() if not t.meta.empty]
    return tree, spans


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
