"""The grammar -> lark's LALR parser: built once per grammar version, then loaded from a per-user cache.

Building the LALR tables costs ~150 ms, a third of `netspec check` on ResNet-50; loading them costs ~8 ms.
The cache file is named by a hash of the grammar, the options and the lark and Python versions, so an
edited grammar or an upgraded lark is rebuilt, never loaded stale. Any failure to read or write the cache
(read-only home, corrupt file) falls back to building: the cache makes the parser faster, never different.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import sys
import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters
from lark.grammar import Rule
from lark.lexer import AbstractBasicLexer, BasicLexer, ContextualLexer, LexerState, TerminalDef

OPTIONS = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True, "start": ["start", "expr"]}
# Options lark takes at load time instead of storing them with the tables, as its own cache does.
_AT_LOAD = getattr(lark.lark, "_LOAD_ALLOWED_OPTIONS", {"propagate_positions", "tree_class", "postlex"})


def load_parser() -> Lark:
    """The parser for grammars/netspec.lark, from the cache when it holds this grammar's tables."""
    grammar = resources.files("netspec").joinpath("grammars/netspec.lark").read_text(encoding="utf-8")
    key = _key(grammar)
    path = cache_dir()
    parser = _read(path / f"parser-{key[:32]}.pickle", key) if path is not None else None
    if parser is None:
        parser = Lark(grammar, **OPTIONS)
        if path is not None:
            _write(parser, path / f"parser-{key[:32]}.pickle", key)
    _share_scanner(parser)
    return parser


def cache_dir() -> Path | None:
    """$NETSPEC_CACHE_DIR, else $XDG_CACHE_HOME/netspec, else ~/.cache/netspec; None without a home."""
    if os.environ.get("NETSPEC_CACHE_DIR"):
        return Path(os.environ["NETSPEC_CACHE_DIR"])
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "netspec"
    except RuntimeError:
        return None


def _key(grammar: str) -> str:
    text = "\0".join([grammar, repr(sorted(OPTIONS.items())), lark.__version__, sys.version])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _PlainUnpickler(pickle.Unpickler):
    """Loads dicts, lists, tuples, strings and numbers only: a cache file can never name a class to build."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def _read(path: Path, key: str) -> Lark | None:
    try:
        with open(path, "rb") as f:
            saved = _PlainUnpickler(f).load()
        if saved["key"] != key:
            return None
        options = {name: OPTIONS[name] for name in _AT_LOAD if name in OPTIONS}
        return Lark._load_from_dict(saved["data"], saved["memo"], **options)
    except Exception:  # noqa: BLE001 - missing, corrupt or foreign: build the parser instead
        return None


def _write(parser: Lark, path: Path, key: str) -> None:
    """Write atomically (a temporary file, then a rename), so a concurrent reader never sees half a file."""
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _AT_LOAD}
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".parser-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump({"key": key, "data": data, "memo": memo}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    except (OSError, pickle.PicklingError):
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


class _SharedFirst(AbstractBasicLexer):
    """A parser state's lexer that asks one scanner shared by most states first, and its own only when the
    shared one finds a token this state does not accept.

    lark's contextual lexer compiles a scanner (a regular expression of every terminal the state accepts) for
    each parser state it meets: 37 of them, about 9 ms, in a check of ResNet-50. The shared scanner holds the
    terminals of the states that ask it, in lark's order; where it finds a terminal the state accepts, that is
    the state's own first match (every terminal before it in the order failed to match, in both), so the
    tokens are the same and the state's scanner is never built.
    """

    __slots__ = ("accepts", "own", "shared")

    def __init__(self, shared: BasicLexer, own: BasicLexer) -> None:  # not lark's (conf, comparator): built here
        self.shared, self.own = shared, own
        self.accepts = frozenset(t.name for t in own.terminals)

    def next_token(self, state: LexerState, parser_state: Any = None) -> Token:
        line = state.line_ctr
        at = (line.char_pos, line.line, line.column, line.line_start_pos, state.last_token)
        try:
            token = self.shared.next_token(state, parser_state)
            if token.type in self.accepts:
                return token
        except UnexpectedCharacters:
            pass
        line.char_pos, line.line, line.column, line.line_start_pos, state.last_token = at  # as if never asked
        return self.own.next_token(state, parser_state)


def _share_scanner(parser: Lark) -> None:
    """Give the states one shared scanner; terminals that one state alone accepts (`expect`'s SUBJECT and
    QUANTITY) stay out of it, and that state keeps its own."""
    lexer = getattr(parser.parser, "lexer", None)
    if not isinstance(lexer, ContextualLexer) or not isinstance(lexer.root_lexer, BasicLexer):
        return
    own = [x for x in {id(x): x for x in lexer.lexers.values()}.values() if isinstance(x, BasicLexer)]
    uses = Counter(t.name for x in own for t in x.terminals)
    shared = copy.copy(lexer.root_lexer)
    shared.terminals = [t for t in lexer.root_lexer.terminals if uses[t.name] > 1]
    shared._scanner = None  # built from these terminals when first asked
    common = {t.name for t in shared.terminals}
    proxies = {id(x): _SharedFirst(shared, x) for x in own if {t.name for t in x.terminals} <= common}
    lexer.lexers = {state: proxies.get(id(x), x) for state, x in lexer.lexers.items()}
