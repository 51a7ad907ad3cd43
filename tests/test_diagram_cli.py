"""`netspec diagram` from the command line: formats, options, errors without tracebacks, no torch import."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import netspec.cli.diagram  # noqa: F401  (registers the command)

SPECS = Path(__file__).parent.parent / "specs"
RESNET18 = str(SPECS / "resnet18.net")


def test_writes_an_svg(cli, tmp_path):
    out = tmp_path / "resnet18.svg"
    code, stdout, stderr = cli("diagram", RESNET18, "-o", str(out))
    assert (code, stdout, stderr) == (0, "", f"wrote {out}\n")  # stdout is for data, as in every command
    assert "layer1" in ET.parse(out).getroot().itertext()


def test_options_reach_the_drawing(cli, tmp_path):
    def dot(*options: str) -> str:
        out = tmp_path / "r.dot"
        assert cli("diagram", RESNET18, "-o", str(out), *options)[0] == 0
        return out.read_text()

    default = dot()
    assert "rankdir=TB" in default and "Basic(64) × 2" in dot("--depth", "blocks")
    assert "rankdir=LR" in dot("--rankdir", "lr")
    assert "layer1.1.conv1" in dot("--depth", "full")
    assert "Basic × 2" in dot("-d", "1") and "layer1.1.conv1" not in default
    assert "classes=10)" in dot("--set", "classes=10") and "3x32x32" in dot("--input", "3x32x32")


def test_deep_resnet_through_set(cli, tmp_path):
    out = tmp_path / "r152.dot"
    assert cli("diagram", str(SPECS / "resnet.net"), "--set", "depth=152", "-o", str(out))[0] == 0
    assert "Bottleneck(256) × 35" in out.read_text()


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--depth", "0"], 2, "is not a number >= 1"),
        (["--depth", "deep"], 2, "is not a number >= 1, `blocks` or `full`"),
        (["--rankdir", "up"], 2, "'up' is not one of TB, LR, BT, RL"),
    ],
)
def test_bad_options_are_usage_errors(cli, tmp_path, args, code, message):
    got, _, stderr = cli("diagram", RESNET18, "-o", str(tmp_path / "r.svg"), *args)
    assert got == code and message in stderr and "Traceback" not in stderr
    assert not list(tmp_path.iterdir())


def test_bad_outputs_are_errors_without_traceback(cli, tmp_path):
    code, _, stderr = cli("diagram", RESNET18, "-o", str(tmp_path / "r.gif"))
    assert code == 1 and "unknown format `.gif`" in stderr and "help: name the output .svg" in stderr
    (tmp_path / "file").write_text("")
    code, _, stderr = cli("diagram", RESNET18, "-o", str(tmp_path / "file" / "r.svg"))
    assert code == 1 and "cannot write" in stderr and "Traceback" not in stderr


def test_spec_errors_are_reported(cli, tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("network Bad {\n    input [3, 8, 8]\n    conv(4, 9)\n}\n")
    code, _, stderr = cli("diagram", str(bad), "-o", str(tmp_path / "bad.svg"))
    assert code == 1 and "bad.net:3" in stderr and not (tmp_path / "bad.svg").exists()


def test_without_dot_writes_the_source_and_says_how_to_render(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    code, stdout, stderr = cli("diagram", RESNET18, "-o", str(tmp_path / "r.svg"))
    assert code == 0 and stdout == ""
    assert stderr.count("\n") == 1 and "apt-get install graphviz" in stderr and f"{tmp_path / 'r.dot'}" in stderr
    assert (tmp_path / "r.dot").exists() and not (tmp_path / "r.svg").exists()


def test_diagram_never_imports_torch(tmp_path):
    out = tmp_path / "r.svg"
    code = (
        "import sys\n"
        "import netspec.cli.diagram\n"
        "from netspec.cli.app import main\n"
        f"sys.argv = ['netspec', 'diagram', {RESNET18!r}, '-o', {str(out)!r}]\n"
        "main()\n"
        "print(sorted(m for m in ('torch', 'onnx') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]" and out.exists()


def test_a_spec_with_errors_is_drawn_up_to_them(cli, tmp_path):
    spec, out = tmp_path / "late.net", tmp_path / "late.svg"
    spec.write_text(
        "network Late {\n    input [3, 32, 32]\n    conv1: conv(16, 3)\n    maxpool(2)\n"
        "    maxpool(16)\n    fc: linear(10)\n}\n"
    )
    code, _, stderr = cli("diagram", str(spec), "-o", str(out))
    assert code == 1 and "error: output height collapses to 0" in stderr and f"{spec}:5:5" in stderr
    assert f"wrote {out} (incomplete: 1 error (the first at {spec}:5:5))" in stderr
    drawn = [t.text for t in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")]
    text = " ".join(t or "" for t in drawn)
    assert "conv1" in text and "maxpool 2x2" in text and "fc" not in text
    assert "incomplete: 1 error" in text and "not analysed further" in text and "output" not in drawn
    spec.write_text("network Late {\n    input [3, 32, 32]\n    conv(16, 3, bias=False)\n}\n")
    out.unlink()
    code, _, stderr = cli("diagram", str(spec), "-o", str(out))
    assert code == 1 and "lower case" in stderr and not out.exists()  # nothing elaborated: nothing to draw
