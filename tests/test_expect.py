"""`expect` statements: what a spec's author believes, checked against the analysis at the statement's place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import netspec
from netspec.diagnostics import NetspecError
from netspec.parse import ast, parse

SPECS = Path(__file__).parent.parent / "specs"

NET = """network N(classes: int = 10) {{
    input [3, 32, 32]
    block B(c: int) {{
        conv1: conv(c, 3)
        {inner}
    }}
    f1: conv(8, 3)
    b: B(4)
    wide: conv(4, [1, 3])
    flatten()
    fc: linear(classes)
    {outer}
}}
"""


def failures(outer: str = "", inner: str = "", **params) -> list:
    """The diagnostics of analysing NET with these statements; [] when every expectation holds."""
    try:
        netspec.analyse(NET.format(outer=outer, inner=inner), **params)
    except NetspecError as e:
        return e.errors
    return []


def test_quantities_keep_their_unit_and_precision():
    spec = parse(
        "network N {\n input [1]\n expect macs < 2G\n expect params == 11.7M\n"
        " expect param_memory <= 64MiB\n expect flops > 1_500K\n}"
    )
    values = [s.value for s in spec.networks[0].body if isinstance(s, ast.Expect)]
    assert [(q.value, q.unit, q.decimals) for q in values] == [
        (2_000_000_000, 10**9, 0),
        (11_700_000, 10**6, 1),
        (64 * 2**20, 2**20, 0),
        (1_500_000, 1000, 0),
    ]
    assert all(isinstance(q.value, int) for q in values)


def test_figures_that_hold_pass_and_the_report_is_returned():
    report = netspec.analyse(
        NET.format(
            outer="expect params == 29_698\nexpect output == [classes]\nexpect f1.rf == 3"
            "\nexpect b.shape == [4, 28, 28]\nexpect wide.rf == [5, 7]"
            "\nexpect b.conv1.macs == 4 * 8 * 9 * 28 * 28\nexpect macs < 1M",
            inner="expect params == 292\nexpect shape == [c, 28, 28]",
        )
    )
    assert report.totals.params == 29_698  # 224 + 292 + 52 + 2912*10 + 10


@pytest.mark.parametrize(
    "written, holds",
    [
        ("29.7K", True),
        ("29.70K", True),
        ("29.698K", True),
        ("29.8K", False),
        ("29.69K", False),
        ("30K", True),
        ("0.03M", True),
    ],
)
def test_equality_with_a_suffix_is_at_the_written_precision(written, holds):
    # 29,698 rounds to 29.7K, 29.70K and 30K, not to 29.69K (half a unit of the last digit either side)
    assert (failures(f"expect params == {written}") == []) is holds


def test_a_failing_expectation_is_located_with_the_actual_value():
    (error,) = failures("expect macs >= 2G")
    assert error.code == "expect" and error.message == "expectation failed: macs >= 2G"
    assert (error.span.line, error.span.col) == (12, 5)
    assert error.label == "actual: 484,256"  # 216*30*30 + 288*28*28 + 48*28*26 + 2912*10
    assert "expect macs == 484_256" in error.help


def test_inside_a_block_figures_are_the_instance_s_and_paths_are_relative():
    (error,) = failures(inner="expect conv1.params == 100")
    assert error.span.line == 5 and error.label == "actual: 292 in `b`"
    assert failures(inner="expect conv1.rf == 5\nexpect macs == 4 * 8 * 9 * 28 * 28") == []  # rf: of the network input


def test_non_square_fields_compare_per_dimension():
    assert failures("expect wide.rf >= 5") == []
    (error,) = failures("expect wide.rf >= 6")
    assert error.label == "actual: [5, 7] (height, width)"


def test_unknown_figures_and_names_suggest_the_nearest():
    first, second, third = failures("expect paramz == 1\nexpect fc1.params == 1\nexpect f1.rff == 3")
    assert "`paramz` is not a figure" in first.label and first.help == "did you mean `params`?"
    assert "no layer, group or block named `fc1`" in second.label and "`fc`" in second.help
    assert "has no figure `rff`" in third.label and third.help == "did you mean `rf`?"


def test_shapes_compare_with_equality_only():
    (error,) = failures("expect output < [20]")
    assert "lists compare with == or != only" in error.label
    (error,) = failures("expect params == [10]")
    assert "a number, not a list" in error.label


def test_a_value_that_is_no_number_is_an_error_at_the_value():
    with pytest.raises(NetspecError) as info:
        netspec.build(NET.format(outer='expect params == "many"', inner=""))
    (error,) = info.value.errors
    assert (error.span.line, error.span.col) == (12, 22) and "a number or a list" in error.message


def test_expectations_describe_the_declared_input_so_an_override_skips_them():
    assert failures("expect f1.shape == [8, 30, 30]") == []
    report = netspec.analyse(NET.format(outer="expect f1.shape == [8, 30, 30]", inner=""), input=(3, 40, 40))
    assert report.layer("f1").shape == [8, 38, 38]


def test_check_fails_with_exit_status_1_and_json_diagnostics(cli, tmp_path):
    spec = tmp_path / "n.net"
    spec.write_text(NET.format(outer="expect params == 29_000", inner=""))
    code, out, err = cli("check", str(spec))
    assert code == 1 and "expectation failed: params == 29_000" in err and "actual: 29,698" in err
    code, out, _ = cli("check", "--json", str(spec))
    (diagnostic,) = json.loads(out)["files"][0]["diagnostics"]
    assert code == 1 and diagnostic["code"] == "expect" and diagnostic["span"]["line"] == 12


@pytest.mark.parametrize(
    "spec, params, published, wrong",
    [
        ("resnet.net", {"depth": 50}, "expect params == 25_557_032", "expect params == 25_557_033"),
        ("resnet.net", {"depth": 152}, "expect macs == 11.51G", "expect macs == 11.52G"),
        ("vgg.net", {"depth": 19, "batchnorm": True}, "143_678_248", "143_678_249"),
        ("alexnet.net", {}, "expect macs == 0.71G", "expect macs == 0.72G"),
    ],
)
def test_the_zoo_guards_its_published_figures(tmp_path, spec, params, published, wrong):
    """The bundled specs state torchvision's figures; changing one makes check fail at that line."""
    text = (SPECS / spec).read_text()
    netspec.analyse(SPECS / spec, **params)  # as bundled: every expectation holds
    assert published in text
    edited = tmp_path / spec
    edited.write_text(text.replace(published, wrong))
    shutil.copytree(SPECS / "lib", tmp_path / "lib")  # a copy: imports stay inside the spec's project
    with pytest.raises(NetspecError) as info:
        netspec.analyse(edited, **params)
    (error,) = info.value.errors
    line = next(
        i
        for i, row in enumerate(text.splitlines(), 1)
        if published in row and (not params.get("depth") or str(params["depth"]) in row)
    )
    assert error.span.line == line and error.label.startswith("actual: ")
