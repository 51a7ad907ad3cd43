"""netspec.cli.inspect: `check`, `summary` and `explain` as a user types them (in-process, through `main`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESNET18 = str(ROOT / "specs" / "resnet18.net")
LECTURE = str(ROOT / "specs" / "lecture.net")


def test_explain_json_is_the_explanation_as_data(cli):
    code, out, err = cli("explain", LECTURE, "conv1", "--json")
    data = json.loads(out)
    assert code == 0 and not err
    assert (data["kind"], data["params"], data["shape"]) == ("layer", 304, [4, 28, 28])
    assert any("5*5*3*4 + 4 = 304" in line for line in data["formulas"])


def test_explain_a_block(cli):
    code, out, _ = cli("explain", RESNET18, "layer1.0")
    assert code == 0 and out.startswith("layer1.0: Basic(64)") and "layer1.0.conv1: conv 3x3, 64" in out


@pytest.mark.parametrize("depth, rows", [("full", "every layer"), ("blocks", 4 + 8 + 3), ("1", 4 + 4 + 3)])
def test_summary_depth_speaks_the_diagram_vocabulary(cli, depth, rows):
    import netspec

    rows = len(netspec.analyse(RESNET18).layers) - 1 if rows == "every layer" else rows
    code, out, _ = cli("summary", RESNET18, "--depth", depth, "--json")
    assert code == 0 and len(json.loads(out)["rows"]) == rows


@pytest.mark.parametrize("depth", ["0", "deep", "-1"])
def test_summary_rejects_a_depth_as_diagram_does(cli, depth):
    code, _, err = cli("summary", RESNET18, "--depth", depth)
    assert code == 2 and "is not a number >= 1, `blocks` or `full`" in err and "Traceback" not in err
