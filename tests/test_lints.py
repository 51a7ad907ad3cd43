"""Warnings (netspec/analysis/lints.py): the corpus in tests/bad/warnings/ states them as `# warn: line:col code`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import netspec
from netspec.analysis.lints import CODES, RULES

WARNINGS = Path(__file__).parent / "bad" / "warnings"
ROOT = WARNINGS.parent.parent.parent
SPECS = ROOT / "specs"
FILES = sorted(WARNINGS.glob("*.net"))
WARN = re.compile(r"^# warn: (?P<line>\d+):(?P<col>\d+) (?P<code>[a-z-]+) (?P<text>.+)$")


def expectations(path: Path) -> list[tuple[int, int, str, tuple[str, ...]]]:
    lines = path.read_text().splitlines()
    found = [WARN.match(line) for line in lines]
    assert any(found) or "# warn: none" in lines, f"{path.name} states no warnings"
    return [(int(m["line"]), int(m["col"]), m["code"], tuple(m["text"].split(" ... "))) for m in found if m]


def matches(want, warning) -> bool:
    line, col, code, parts = want
    if (warning.at.line, warning.at.col, warning.code) != (line, col, code):
        return False
    text, at = " | ".join((warning.message, warning.label, warning.help)), 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_warning_corpus(path):
    report = netspec.analyse(path)
    left = list(report.warnings)
    for want in expectations(path):
        hit = next((w for w in left if matches(want, w)), None)
        assert hit is not None, f"no warning {want}; got {left}"
        left.remove(hit)
    assert not left, f"unexpected warnings: {left}"


def test_every_rule_has_a_case_in_the_corpus():
    codes = {code for path in FILES for _, _, code, _ in expectations(path)}
    assert codes == {
        "bias-before-batchnorm",
        "unseen-border",
        "softmax-output",
        "softmax-inside",
        "dropout-before-batchnorm",
        "double-activation",
        "gaps",
        "unknown-lint",
        "channels-last",
        "torch-argument-order",
        "unused",
        "misaligned-join",
        "uneven-overlap",
    }
    assert codes == set(CODES) | {"unknown-lint"}  # every code an allow comment may name
    assert len(RULES) == 11  # softmax_placement gives two codes


ZOO_WARNINGS = {
    ("lenet5.net", ()): [],
    ("vgg.net", ()): [],
    ("vgg.net", (("batchnorm", True),)): ["bias-before-batchnorm"],  # torchvision's VGG-BN keeps the biases
    ("resnet.net", ()): [],
    ("resnet.net", (("depth", 50),)): [],
    ("resnet_cifar.net", ()): [],
    ("googlenet.net", ()): [],
    ("densenet.net", ()): [],
    ("lecture.net", ()): [],
}


@pytest.mark.parametrize("spec, params", ZOO_WARNINGS)
def test_zoo_warnings(spec, params):
    report = netspec.analyse(SPECS / spec, **dict(params))
    assert [w.code for w in report.warnings] == ZOO_WARNINGS[spec, params]


@pytest.mark.parametrize("second", ["hardsigmoid", "hardswish"])
def test_every_activation_of_the_op_table_counts_as_one(second):
    report = netspec.analyse(f"network N {{ input [3, 8, 8]  conv(4, 3)  relu()  {second}()  flatten()  linear(2) }}")
    assert [w.code for w in report.warnings] == ["double-activation"], second


def test_a_line_expanded_many_times_warns_once():
    report = netspec.analyse(SPECS / "vgg.net", batchnorm=True)
    (warning,) = report.warnings
    assert warning.message.endswith("(in 13 layers made by this line)")
    assert warning.at.line == 24


def test_warnings_do_not_fail_check_and_are_in_json():
    path = str((WARNINGS / "softmax_output.net").relative_to(ROOT))
    netspec_bin = str(Path(sys.executable).parent / "netspec")
    done = subprocess.run([netspec_bin, "check", path], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "warning[softmax-output]: the network ends in softmax" in done.stdout
    assert f"--> {path}:7:5" in done.stdout and "1 warning(s)" in done.stdout
    assert "    ^^^^^^^^^ nn.CrossEntropyLoss" in done.stdout  # the caret spans `softmax()`, not one column
    done = subprocess.run([netspec_bin, "check", "--json", path], capture_output=True, text=True, cwd=ROOT, timeout=60)
    (result,) = json.loads(done.stdout)["files"]
    (warning,) = result["diagnostics"]
    assert result["ok"] is True and warning["severity"] == "warning" and warning["code"] == "softmax-output"
    assert (warning["span"]["line"], warning["span"]["col"]) == (7, 5)
    assert (warning["span"]["end_line"], warning["span"]["end_col"]) == (7, 14)
