"""The `$ netspec ...` transcripts of README.md and docs/*.md are what the commands print today.

Each fenced block that starts with `$ netspec ARGS` is run in this process from the repository's root; the
lines shown must open what it prints (trailing blanks aside), and a `...` line stands for any number of lines.
`netspec export` (seconds, writes a file) and specs that live only in the text are left out. ~5 s.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def transcripts() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for block in re.finditer(r"```\n\$ (netspec [^\n]*)\n(.*?)```", doc.read_text(), re.S):
            command, shown = block.groups()
            args = shlex.split(command)[1:]
            if args[0] != "export" and all((ROOT / a).exists() for a in args if a.endswith(".net")):
                found.append((doc.name, command, shown))
    return found


TRANSCRIPTS = transcripts()


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def shows(printed: list[str], shown: list[str]) -> bool:
    """Whether the shown lines open what was printed, each `...` line standing for any run of lines (a
    transcript may stop early). Each run of shown lines is matched at its first place after the one before,
    which leaves the most room for those after it."""
    chunks: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == "...":
            chunks.append([])
        else:
            chunks[-1].append(line)
    at = 0
    for i, chunk in enumerate(chunks):
        places = [s for s in range(at, len(printed) - len(chunk) + 1) if printed[s : s + len(chunk)] == chunk]
        if not places or (i == 0 and places[0] != 0):
            return False
        at = places[0] + len(chunk)
    return True


@pytest.mark.parametrize("doc, command, shown", TRANSCRIPTS, ids=[f"{d}: {c}" for d, c, _ in TRANSCRIPTS])
def test_the_transcript_is_what_the_command_prints(cli, monkeypatch, doc, command, shown):
    monkeypatch.chdir(ROOT)
    _, out, err = cli(*shlex.split(command)[1:])
    printed = lines(out + err)
    assert shows(printed, lines(shown)), f"{doc}: `{command}` now prints\n" + "\n".join(printed)
