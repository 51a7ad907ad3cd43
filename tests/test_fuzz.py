"""Fuzzing (hypothesis): any text, any bytes and any mutation of a zoo spec gives a Graph or a NetspecError.

Never another exception, never a diagnostic outside the file, never a slow run. NETSPEC_FUZZ=<factor>
multiplies the number of examples for a longer hunt (the default keeps the suite fast).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec import analysis
from netspec.api import build
from netspec.diagnostics import NetspecError
from netspec.elaborate.evaluate import BUILTINS
from netspec.ir import Graph
from netspec.ops import LAYERS

ROOT = Path(__file__).parent.parent
SPECS = ROOT / "specs"
FACTOR = int(os.environ.get("NETSPEC_FUZZ", "1"))
BUDGET = 5.0  # seconds per example; typical examples take milliseconds, the expansion limits about one second


def fuzz(n: int):
    return settings(
        max_examples=n * FACTOR,
        deadline=None,
        derandomize=FACTOR == 1,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def outcome(source) -> Graph | NetspecError:
    """Build (and analyse) a spec; any exception other than NetspecError fails the test; so does slowness."""
    started = time.process_time()  # CPU time: other jobs on the machine do not make a spec slow
    try:
        graph = build(source)
        analysis.analyse(graph)
        graph.text()
        result = graph
    except NetspecError as e:
        check_diagnostics(e)
        result = e
    elapsed = time.process_time() - started
    assert elapsed < BUDGET, f"took {elapsed:.1f} s"
    return result


def check_diagnostics(error: NetspecError) -> None:
    assert error.errors, "a NetspecError carries at least one error"
    for d in error.diagnostics:
        assert d.message
        assert d.span is not None, d
        text = error.sources.get(d.span.file)
        assert text is not None, f"no source recorded for {d.span.file}"
        lines = text.split("\n")  # lines as the parser counts them
        assert 1 <= d.span.line <= len(lines), (d, len(lines))
        assert 1 <= d.span.col <= len(lines[d.span.line - 1]) + 1, d
    rendered = error.render()
    assert "Traceback" not in rendered and rendered.count("error:") >= len(error.errors)


# ---- random text and bytes ----------------------------------------------------------------------------

# every keyword of the grammar and every builtin function (read from them, so a new one is fuzzed at once), and
# the constants the elaborator knows
KEYWORDS = sorted(set(re.findall(r'"([a-z_]+)"', (ROOT / "netspec/grammars/netspec.lark").read_text()))) + [
    "auto",
    "identity",
    "pad",
    "none",
    "same",
    "valid",
    *BUILTINS,
]
PUNCTUATION = list("{}()[],:=+-*/%<>.@|") + ["**", "//", "==", "!=", "<=", ">=", "\n", "#", '"']
NUMBERS = [
    "0",
    "1",
    "2",
    "3",
    "7",
    "16",
    "64",
    "-1",
    "2.5",
    "1e9",
    "1e999",
    "99999999999999999999",
    "2147483648",
    "1_000",
]
NAMES = [
    "N",
    "B",
    "x",
    "c",
    "out",
    "stride",
    "padding",
    "kernel",
    "groups",
    "bias",
    "p",
    "i",
    "int",
    "list",
    "bool",
    "float",
    "str",
    "classes",
    "forward",
    "_x",
    '"lib/none.net"',
    '"same"',
]
TOKENS = KEYWORDS + PUNCTUATION + NUMBERS + NAMES + list(LAYERS)


@fuzz(150)
@given(st.text(max_size=300))
def test_random_text(text):
    outcome(text + "\n")  # a newline makes build() read it as text, not as a path


@fuzz(200)
@given(st.lists(st.sampled_from(TOKENS), max_size=80), st.randoms(use_true_random=False))
def test_token_soup(tokens, rng):
    joined = "".join(t + rng.choice([" ", " ", "", "\n"]) for t in tokens)
    outcome("network N {\n input [3, 16, 16]\n" + joined + "\n}\n")


@fuzz(60)
@given(st.binary(max_size=400))
def test_random_bytes(data):
    path = WORK / "bytes.net"
    path.write_bytes(data)
    outcome(path)


# ---- mutations of the zoo specs -------------------------------------------------------------------------

WORK = Path(tempfile.mkdtemp(prefix="netspec-fuzz-"))
shutil.copytree(SPECS / "lib", WORK / "lib")
ZOO = {p.name: p.read_text() for p in sorted(SPECS.glob("*.net")) if p.name not in ("alexnet.net",)}
TOKEN = re.compile(
    r'"[^"\n]*"|#[^\n]*|[A-Za-z_][A-Za-z_0-9]*|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?'
    r"|\*\*|//|[=!<>]=|\s+|."
)
STRANGE_NUMBERS = [
    "0",
    "-1",
    "-64",
    "1",
    "3",
    "1000000000",
    "2147483648",
    "99999999999999999999",
    "1e308",
    "0.5",
    "2 ** 62",
    "10 ** 18 * 10",
    "1 / 0",
    "[]",
    '"x"',
    "true",
]


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def significant(toks: list[str]) -> list[int]:
    return [i for i, t in enumerate(toks) if t.strip() and not t.startswith("#")]


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(ZOO)))
    toks = tokens(ZOO[name])
    for _ in range(draw(st.integers(1, 3))):
        spots = significant(toks)
        i = draw(st.sampled_from(spots))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "number", "insert"]))
        if kind == "delete":
            del toks[i]
        elif kind == "duplicate":
            toks.insert(i, toks[i] + " ")
        elif kind == "swap":
            j = draw(st.sampled_from(spots))
            toks[i], toks[j] = toks[j], toks[i]
        elif kind == "number":
            numbers = [k for k in spots if toks[k][0].isdigit()]
            toks[draw(st.sampled_from(numbers))] = draw(st.sampled_from(STRANGE_NUMBERS))
        else:
            toks.insert(i, draw(st.sampled_from(TOKENS)) + " ")
    return name, "".join(toks)


@fuzz(250)
@given(mutated())
def test_mutated_zoo_specs(case):
    name, text = case
    path = WORK / name
    path.write_text(text)
    outcome(path)


def test_the_tokenizer_round_trips_every_zoo_spec():
    for text in ZOO.values():
        assert "".join(tokens(text)) == text


def test_unmutated_zoo_specs_build():
    for name, text in ZOO.items():
        path = WORK / name
        path.write_text(text)
        assert isinstance(outcome(path), Graph), name
