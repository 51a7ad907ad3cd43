"""Spec text -> where it would make the parser do unbounded work (too many tokens, a long operator chain), or None.

The byte limit alone does not bound the parser: 2 MB of `1+1+1...` is two million tokens, and lark spends
about 10 µs and half a kilobyte on each while it builds a left-nested tree that the nesting check rejects
only afterwards (over a minute and 1.1 GB). This scan runs first, at C speed over the text (regular
expressions), plus a Python step per operator or bracket only.
"""

from __future__ import annotations

import re

MAX_TOKENS = 1_000_000  # a 100k-layer spec written one layer per line has about 600k
MAX_CHAIN = 256  # operators in one expression at one bracket level; no one writes more, nesting allows 64
MAX_ITEMS = 100_000  # items of one list or call, as evaluation allows

_TOKENS = re.compile(r'"[^"\n]*"?|(#)[^\n]*|[A-Za-z0-9_.]+|\S')  # the group: a comment, which is no token
_STEPS = re.compile(
    r'"[^"\n]*"?|#[^\n]*|\*\*|//|[=!<>]=|[-+*/%<>()\[\]{},=:;]|\b(?:and|or|not|let|assert|if|then|'
    r"else|for|in|repeat|import|from|network|block|input|def|residual|shortcut|concat|add|mul)\b"
)
_OPEN, _CLOSE = "([{", ")]}"
_RESET = frozenset(
    {
        ",",
        "=",
        ":",
        ";",
        "let",
        "assert",
        "if",
        "then",
        "else",
        "for",
        "in",
        "repeat",
        "import",
        "from",
        "network",
        "block",
        "input",
        "def",
        "residual",
        "shortcut",
        "concat",
        "add",
        "mul",
    }
)


def overrun(text: str) -> tuple[int, tuple[str, str]] | None:
    """(offset, (message, help)) of the first place the text exceeds a budget; None when it stays within them."""
    tokens = _TOKENS.findall(text).count("")  # findall gives the group: "#" for a comment, "" for a token
    if tokens > MAX_TOKENS:
        return 0, (
            f"file has too many tokens ({tokens:,}; the limit is {MAX_TOKENS:,})",
            "split it into block libraries and import them",
        )
    return _chain(text)


def _chain(text: str):
    counts, items, closed = [0], [0], -1  # per open bracket: operators in the current run, items so far
    for m in _STEPS.finditer(text):
        step = m.group()
        if step[0] in '"#':
            closed = -1
            continue
        operator = step not in _OPEN and step not in _CLOSE and step not in _RESET
        postfix = step in _OPEN and closed >= 0 and not text[closed : m.start()].strip()  # `f(x)(y)`, `a[0][1]`
        if operator or postfix:
            counts[-1] += 1
            if counts[-1] > MAX_CHAIN:
                return m.start(), (
                    f"expression has more than {MAX_CHAIN} operators in a row",
                    "name parts of it with `let`, or build the list with range()",
                )
        if step in _OPEN:
            counts.append(0)
            items.append(0)
        elif step in _CLOSE and len(counts) > 1:
            counts.pop()
            items.pop()
        elif step in _RESET:
            counts[-1] = 0
            items[-1] += step == ","
            if items[-1] >= MAX_ITEMS:
                return m.start(), (
                    f"more than {MAX_ITEMS:,} items in one list or call",
                    "build long lists with range()",
                )
        closed = m.end() if step in _CLOSE else -1
    return None
