"""netspec fmt: idempotent, comment-preserving, and never a change of meaning (the IR before and after is identical)."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import specs as random_specs

from netspec.api import build
from netspec.diagnostics import NetspecError
from netspec.format import format_text
from netspec.format.source import Source

TESTS = Path(__file__).parent
ROOT = TESTS.parent
WHERE = re.compile(r"  # [^#\n]*$", re.M)  # the IR's `# line 12`: the one thing a layout change may change


def ir(path: Path, root: Path) -> str:
    """The spec's IR text without source lines, or its diagnostics without places when it does not build."""
    try:
        return WHERE.sub("", build(path).text())
    except NetspecError as e:
        text = "\n".join(f"{d.severity}: {d.message} | {d.label} | {d.help}" for d in e.diagnostics)
        return text.replace(str(root), "<root>")


def format_tree(src: Path, dst: Path) -> list[Path]:
    """Copy a folder of specs and format every file in the copy that parses; the files formatted."""
    shutil.copytree(src, dst)
    done = []
    for path in sorted(dst.rglob("*.net")):
        text = path.read_text(encoding="utf-8")
        try:
            out = format_text(text, str(path))
        except NetspecError:
            continue
        assert format_text(out, str(path)) == out, f"{path.name}: formatting again changes it"
        assert [c.text for c in Source(out).comments] == [c.text for c in Source(text).comments]
        path.write_text(out, encoding="utf-8")
        done.append(path)
    return done


@pytest.mark.parametrize("corpus", ["specs", "tests/bad"])
def test_corpus_keeps_its_meaning(corpus, tmp_path):
    """Every file of the zoo and of the bad-spec corpus that parses: same IR, or the same errors, after fmt."""
    src = ROOT / corpus
    done = format_tree(src, tmp_path / "copy")
    total = len(list(src.rglob("*.net")))
    assert len(done) == total if corpus == "specs" else len(done) > total // 2
    for path in done:
        if path.parent.name != "lib":
            assert ir(path, tmp_path / "copy") == ir(src / path.relative_to(tmp_path / "copy"), src), path.name


def test_zoo_layout_is_kept_where_it_was_already_canonical():
    """The zoo's hand-written columns survive: labels aligned, tables of block arguments aligned."""
    out = format_text((ROOT / "specs/googlenet.net").read_text(), "googlenet.net")
    assert "    inception4e: Inception(256, 160, 320, 32, 128, 128)  # 832\n" in out
    assert "    inception4b: Inception(160, 112, 224, 24, 64, 64)  # 512\n" in out  # a run between the `if aux` lines
    assert "    inception4a: Inception(192, 96,  208, 16, 48, 64)  # 512\n" in out
    resnet18 = (ROOT / "specs/resnet18.net").read_text()
    body = [line for line in format_text(resnet18, "r.net").splitlines() if "layer" in line or "conv1:" in line]
    assert body == [line for line in resnet18.splitlines() if "layer" in line or "conv1:" in line]


def test_golden(golden):
    golden.check("format/messy.net", format_text((TESTS / "format/messy.net").read_text(), "messy.net"))


def relayout(text: str, seed: int) -> str:
    """The same spec with careless whitespace: random indentation, spaces dropped or doubled after commas."""
    rng = random.Random(seed)
    lines = [" " * rng.randrange(0, 9) + line.strip() for line in text.splitlines()]
    out = "\n".join(lines)
    return re.sub(r", ", lambda _: rng.choice([",", ", ", ",   "]), out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=random_specs(), seed=st.integers(0, 2**16))
def test_random_specs(spec, seed):
    """Random valid specs, laid out carelessly: formatted once for good, to the same IR."""
    messy = relayout(spec.text, seed)
    out = format_text(messy)
    assert format_text(out) == out
    assert format_text(spec.text) == out, "the layout of the input must not matter beyond one-line bodies"
    assert WHERE.sub("", build(out).text()) == WHERE.sub("", build(spec.text).text())


def test_syntax_error_is_reported_and_the_file_untouched(cli, tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("network X {\n  input [3, 8, 8]\n  conv(4, 3\n}\n")
    before = bad.read_bytes()
    code, _, err = cli("fmt", str(bad))
    assert code == 1 and "error: unexpected" in err and "bad.net:4:1" in err
    assert bad.read_bytes() == before


def test_check_and_rewrite(cli, tmp_path):
    messy = tmp_path / "m.net"
    messy.write_text("network X {\ninput [3,8,8]\n  a: conv(4,3)\n  bb: relu()\n}\n")
    messy.chmod(0o640)
    code, _, err = cli("fmt", "--check", str(messy))
    assert code == 1 and f"would reformat {messy}" in err
    code, _, err = cli("fmt", str(messy))
    assert code == 0 and f"reformatted {messy}" in err
    assert messy.read_text() == "network X {\n    input [3, 8, 8]\n    a:  conv(4, 3)\n    bb: relu()\n}\n"
    assert messy.stat().st_mode & 0o777 == 0o640
    assert cli("fmt", "--check", str(messy))[0] == 0


def test_a_directory_formats_every_spec_below_it(cli, tmp_path):
    messy = "network X {\ninput [3,8,8]\n  relu()\n}\n"
    for name in ("a.net", "sub/b.net", ".hidden/c.net", "node_modules/d.net"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(messy)
    code, _, err = cli("fmt", "--check", str(tmp_path))
    assert code == 1 and err.splitlines() == [
        f"would reformat {tmp_path / 'a.net'}",
        f"would reformat {tmp_path / 'sub' / 'b.net'}",
        "2 files would be reformatted, 0 unchanged",
    ]
    assert cli("fmt", str(tmp_path))[0] == 0 and cli("fmt", "--check", str(tmp_path))[0] == 0
    assert (tmp_path / "sub" / "b.net").read_text() == "network X {\n    input [3, 8, 8]\n    relu()\n}\n"
    assert (tmp_path / ".hidden" / "c.net").read_text() == messy  # hidden and package folders are left alone
    assert (tmp_path / "node_modules" / "d.net").read_text() == messy


def test_stdin(cli, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("network X { input [3,8,8]  relu() }"))
    code, out, _ = cli("fmt", "-")
    assert (code, out) == (0, "network X {\n    input [3, 8, 8]\n    relu()\n}\n")  # the layout files get


# ---- lines past the width: calls, parameter lists and one-line bodies are broken as black breaks them ----------

HEAD = "network AVeryLongNetworkName(depth: int = 18, groups: int = 1, width_per_group: int = 64, classes: int = 1000"
LAYER1 = "  ".join(["conv(64, 3, padding=1, bias=false)", "batchnorm()", "relu()"] * 2)
WIDE = (
    HEAD
    + """, extra: int = 5) {
    input [3, 224, 224]
    block B(a: int, b: int, stride: int = 1, padding: int = 0, bias: bool = true, dilation: int = 1, groups: int = 1,
            init: str = "default", padding_mode: int = 0, y: list[int] = [], z: list[int] = []) { relu() }
    layer1: { """
    + LAYER1
    + """ }
    other: B(64, 7, stride=2, # why two
             padding=3, bias=false, dilation=1, groups=1, init="kaiming",
             # an own-line comment
             padding_mode=1, y=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], z=[11, 12, 13, 14, 15, 16, 17])  # after
    fits: conv(64, 7, stride=2, padding=3, bias=false, dilation=1, groups=1)
}
"""
)


def test_long_lines_are_broken():
    out = format_text(WIDE)
    # the items fit on one line of their own: one line
    assert out.startswith(
        "network AVeryLongNetworkName(\n    depth: int = 18, groups: int = 1, "
        "width_per_group: int = 64, classes: int = 1000, extra: int = 5\n) {\n"
    )
    assert (
        "    layer1: {\n        conv(64, 3, padding=1, bias=false)\n        batchnorm()\n        relu()\n" in out
    )  # a one-line body too long for its line: a member a line
    assert "    block B(\n        a: int,\n        b: int,\n" in out
    assert "        z: list[int] = [],\n    ) { relu() }\n" in out
    assert (
        "    other: B(\n        64,\n        7,\n        stride=2,  # why two\n        padding=3,\n" in out
        and "        # an own-line comment\n        padding_mode=1,\n" in out
        and "        z=[11, 12, 13, 14, 15, 16, 17],\n    )  # after\n" in out
    )  # else one a line, a trailing comma
    assert "    fits: conv(64, 7, stride=2, padding=3, bias=false, dilation=1, groups=1)\n" in out
    assert max(len(line) for line in out.splitlines()) <= 120
    assert format_text(out) == out
    assert WHERE.sub("", build(out).text()) == WHERE.sub("", build(WIDE).text())


def test_the_zoo_headers_that_were_hand_wrapped_are_broken_one_parameter_a_line():
    out = format_text((ROOT / "specs/convnext.net").read_text(), "convnext.net")
    assert '\nnetwork ConvNeXt(\n    variant: str = "tiny",\n    classes: int = 1000,\n' in out
    assert "    layer_scale: float = 1e-6,\n) {\n" in out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=random_specs(), width=st.integers(20, 60))
def test_random_specs_at_a_narrow_width(spec, width, monkeypatch_module):
    """With lines of 20-60 columns nearly every call and body breaks: still idempotent, still the same IR."""
    monkeypatch_module.setattr("netspec.format.printer.MAX_WIDTH", width)
    out = format_text(spec.text)
    assert format_text(out) == out
    assert format_text(relayout(out, width)) == out
    assert WHERE.sub("", build(out).text()) == WHERE.sub("", build(spec.text).text())


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
