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


# ---- comparing designs ------------------------------------------------------------------------------

STACK = str(ROOT / "specs" / "stack.net")
CIFAR = str(ROOT / "specs" / "resnet_cifar.net")


def test_summary_compares_set_variants_side_by_side(cli):
    """The lecture's comparison: three 3x3 convs hold 27C^2 weights, one 7x7 49C^2, and both see 7x7."""
    code, out, _ = cli("summary", STACK, "--set", "kernel=3", "--set", "kernel=7")
    rows = {
        line.split("│")[0].strip(): [c.strip() for c in line.split("│")] for line in out.splitlines() if "│" in line
    }
    three, seven = rows[f"{STACK} (kernel=3)"], rows[f"{STACK} (kernel=7)"]
    assert code == 0 and three[3] == f"{27 * 64 * 64:,}" and seven[3] == f"{49 * 64 * 64:,}"
    assert seven[4] == f"x{49 / 27:.2f}" and three[-1] == seven[-1] == "7"


def test_summary_compares_files_and_gives_json_per_design(cli):
    code, out, _ = cli("summary", CIFAR, RESNET18, "--json")
    data = json.loads(out)
    assert code == 0 and [d["design"] for d in data] == [CIFAR, RESNET18]
    assert data[1]["totals"]["params"] == 11_689_512 and data[1]["rows"][0]["name"] == "conv1"


def test_check_echoes_what_was_set_and_closes_with_a_count(cli, tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("network Bad {\n    input [3, 8, 8]\n    conv(4, 9)\n}\n")
    code, out, err = cli("check", CIFAR, "--set", "plain=true", "--set", "plain=false", str(bad))
    assert code == 1
    assert f"ok: {CIFAR} (plain=true): CifarResNet, 269,722 params" in out
    assert f"ok: {CIFAR} (plain=false): CifarResNet" in out
    assert "2 files, 4 variants: 2 ok, 2 with errors" in err and "with --set plain=true:\nerror:" in err


def test_check_closing_line_counts_files(cli):
    code, out, _ = cli("check", CIFAR, RESNET18, LECTURE)
    assert code == 0 and out.rstrip().endswith("3 files: 3 ok")


def test_strict_makes_warnings_errors(cli):
    softmax = str(ROOT / "tests" / "bad" / "warnings" / "softmax_output.net")
    assert cli("check", softmax)[0] == 0
    code, _, err = cli("check", "--strict", softmax)
    assert code == 1 and "error[" not in err and "error: the network ends in softmax" in err
    assert "1 warning(s) (errors with --strict)" in err


def test_summary_shows_the_warnings_check_shows(cli):
    code, out, err = cli("summary", str(ROOT / "tests" / "bad" / "warnings" / "softmax_output.net"))
    assert code == 0 and "warning[softmax-output]: the network ends in softmax" in err and "softmax" in out


# ---- command-line conventions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", LECTURE, "--set", "x"], "cannot read --set 'x'"),
        (["check", LECTURE, "--set", "x= "], "--set x= gives no value"),
        (["check", LECTURE, "--input", "3x3"], "cannot read --input '3x3'"),
        (["summary", str(ROOT / "specs" / "nope.net")], "cannot read"),
        (["check", LECTURE, str(ROOT / "specs" / "nope.net")], "nope.net: no such file"),
    ],
)
def test_usage_errors_exit_2(cli, args, message):
    code, _, err = cli(*args)
    assert code == 2 and message in err and "Traceback" not in err


def test_capitalised_booleans_get_the_lower_case_spelling(cli):
    code, _, err = cli("check", CIFAR, "--set", "plain=True")
    assert code == 2 and "booleans are written in lower case: --set plain=true" in err


def test_a_spec_from_standard_input(cli, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((ROOT / "specs" / "lecture.net").read_text()))
    code, out, _ = cli("check", "-")
    assert code == 0 and out.startswith("ok: <stdin>: Lecture, 304 params")
    monkeypatch.setattr("sys.stdin", io.StringIO("network N {\n    input [3, 8, 8]\n    conv(4, 9)\n}\n"))
    code, _, err = cli("check", "-")
    assert code == 1 and "--> <stdin>:3:5" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("network N {\n    input [3, 8, 8]\n    conv(4, 3\n}\n"))
    code, _, err = cli("check", "-")  # a syntax error in piped text is told, not hidden as "not spec text"
    assert code == 1 and "--> <stdin>:4:1" in err and "not spec text" not in err


@pytest.mark.parametrize(
    "args, shown",
    [
        (["check", "--json", "-"], '"file": "<stdin>"'),
        (["check", "-", "--set", "classes=3", "--set", "classes=4"], "ok: <stdin> (classes=4): LeNet5, 61,196 params"),
        (["summary", "--json", "-"], '"design": "<stdin>"'),
        (["summary", "-", "--set", "classes=3", "--set", "classes=4"], "<stdin> (classes=4)"),
        (["summary", "-", "--input", "1x32x32,1x36x36"], "LeNet5 (<stdin>)"),
        (["explain", "-", "conv1"], "(<stdin>:13:12)"),
        (["memory", "-"], "LeNet5 (<stdin>): batch 1"),
        (["sizes", "-"], "conv1 (<stdin>:13:12)"),
        (["diff", "-", "--vs", "classes=3"], "B: <stdin> (classes=3): LeNet5"),
    ],
)
def test_standard_input_is_named_stdin_everywhere(cli, monkeypatch, args, shown):
    """`-` is `<stdin>` in every name a command shows, and is read once for all of a command's variants."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((ROOT / "specs" / "lenet5.net").read_text()))
    code, out, err = cli(*args)
    assert code in (0, 4) and shown in out, err  # diff: 4, the fc changes shape
    assert " -:" not in out and '"-"' not in out and "(-" not in out


def test_version_and_python_dash_m():
    import subprocess
    import sys

    import netspec

    done = subprocess.run([sys.executable, "-m", "netspec", "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"netspec {netspec.__version__}\n")
    done = subprocess.run(
        [sys.executable, "-m", "netspec", "check", LECTURE], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "ok: " in done.stdout and "304 params" in done.stdout


def test_an_ascii_terminal_gets_an_ascii_table():
    import os
    import subprocess
    import sys

    netspec_bin = str(Path(sys.executable).parent / "netspec")
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    done = subprocess.run([netspec_bin, "summary", RESNET18, "-d", "1"], capture_output=True, timeout=60, env=env)
    text = done.stdout.decode("ascii")
    assert done.returncode == 0 and "Traceback" not in done.stderr.decode("ascii", "replace")
    assert "layer       | op " in text and "flatten (9) | flatten" in text and "-----+-----" in text


def test_help_lists_the_commands_in_the_order_of_use(cli):
    _, out, _ = cli("--help")
    commands = out.split("Commands:")[1].split("\n\n")[0]
    listed = [line.split()[0] for line in commands.splitlines() if line.startswith("  ") and line[2] != " "]
    assert listed[:5] == ["check", "summary", "explain", "diagram", "compile"] and "completion" in listed
    code, _, err = cli("export", LECTURE, "-o", "x.onnx", "--opset", "x")
    assert code == 2 and "'x' is not a whole number >= 1" in err and "Input should be" not in err


def test_a_library_of_blocks_is_checkable(cli, tmp_path):
    libs = sorted(str(p) for p in (ROOT / "specs" / "lib").glob("*.net"))
    code, out, _ = cli("check", *libs)
    assert code == 0 and "a library of 2 blocks (ConvBN, Inception)" in out
    assert out.rstrip().endswith(f"{len(libs)} files: {len(libs)} ok")
    broken = tmp_path / "broken.net"
    broken.write_text('import "missing.net"\nblock B() { relu() }\n')
    code, _, err = cli("check", str(broken))
    assert code == 1 and "missing.net" in err


def test_check_a_directory_checks_every_spec_below_it(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = cli("check", "--json", "specs")
    data = json.loads(out)
    expected = sorted(Path("specs").rglob("*.net"))  # specs/ has no hidden or skipped directories
    assert code == 0 and data["ok"] is True
    assert [Path(f["file"]) for f in data["files"]] == expected and len(expected) > 20
    libraries = [Path(f["file"]) for f in data["files"] if "library" in f]
    assert libraries == sorted(Path("specs/lib").glob("*.net"))  # blocks only: checked as libraries


def spec_tree(root: Path) -> None:
    """A network, a library, a spec with an error, and specs where nobody means them to be found."""
    net = "network N {\n    input [3, 8, 8]\n    conv(4, 3)\n}\n"
    files = {
        "b.net": net,
        "a/lib.net": "block B() { relu() }\n",
        "a/z.net": net.replace("conv(4, 3)", "conv(4, 9)"),
        ".git/x.net": net,
        "node_modules/pkg/x.net": net,
        ".venv/x.net": net,
        "a/.hidden.net": net,
        "a/notes.txt": "not a spec",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_check_a_directory_skips_hidden_and_package_directories(cli, tmp_path):
    spec_tree(tmp_path)
    code, out, err = cli("check", "--json", str(tmp_path))
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert [f["file"] for f in data["files"]] == [str(tmp_path / n) for n in ("a/lib.net", "a/z.net", "b.net")]
    assert [f["ok"] for f in data["files"]] == [True, False, True] and data["files"][0]["library"] == ["B"]
    code, out, err = cli("check", str(tmp_path / "a"), str(tmp_path / "a" / "z.net"))
    assert code == 1 and "2 files: 1 ok, 1 with errors" in err  # z.net is checked once


def test_a_directory_without_specs_is_a_usage_error(cli, tmp_path):
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.net").write_text("network N { input [3, 8, 8] }\n")
    for command in ("check", "fmt"):
        code, out, err = cli(command, str(tmp_path))
        assert code == 2 and f"{tmp_path} holds no .net files" in err and "Traceback" not in err
        assert out == ""


def test_crlf_source_lines_are_quoted_without_replacement_characters(tmp_path):
    import netspec

    path = tmp_path / "crlf.net"
    path.write_bytes(b"network N {\r\n    input [3, 32, 32]\r\n    conv(8, 33)\r\n}\r\n")
    with pytest.raises(netspec.NetspecError) as info:
        netspec.analyse(path)
    assert "3 |     conv(8, 33)\n" in str(info.value) and "\ufffd" not in str(info.value)


def test_the_license_is_an_spdx_expression():
    """setuptools deprecates the `license = { text = ... }` table; the current form is an SPDX string."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"


LATE = """network Late {
    input [3, 32, 32]
    conv1: conv(16, 3, padding=1)
    relu()
    maxpool(2)
    conv2: conv(32, 3)
    maxpool(2)
    maxpool(8)
    flatten()
    fc: linear(10)
}
"""


def _cut_before(text: str, line: int) -> str:
    """The spec with its network's body ended just before `line` (1-based)."""
    lines = text.splitlines()
    return "\n".join(lines[: line - 1] + ["}"]) + "\n"


def test_summary_of_a_spec_with_errors_shows_what_elaborated(cli, tmp_path, monkeypatch):
    import netspec

    monkeypatch.chdir(tmp_path)
    spec = Path("late.net")
    spec.write_text(LATE)
    code, out, err = cli("summary", str(spec))
    assert code == 1 and "error: output height collapses to 0" in err and f"{spec}:8:5" in err
    assert "incomplete" in out.splitlines()[0] and f"1 error (the first at {spec}:8:5)" in out
    assert "last layer built: maxpool (4) [32, 7, 7]" in out and "fc" not in out
    # the figures shown are those of the same network ended before the failing line
    whole = netspec.analyse(_cut_before(LATE, 8))
    assert f"params: {whole.totals.params:,} " in out and f"MACs: {whole.totals.macs:,} " in out
    code, out, _ = cli("summary", str(spec), "--json")
    data = json.loads(out)
    assert code == 1 and (data["ok"], data["incomplete"]) == (False, True)
    assert [d["code"] for d in data["diagnostics"]] == ["shape"]
    assert [row["name"] for row in data["rows"]] == [layer.name for layer in whole.layers[1:]]


def test_summary_compares_designs_with_errors_marked(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    late, broken = Path("late.net"), Path("broken.net")
    late.write_text(LATE)
    broken.write_text("network B {\n    input [3, 8, 8]\n    conv(4, 3, bias=False)\n}\n")
    code, out, err = cli("summary", LECTURE, str(late), str(broken))
    assert code == 1 and "booleans are written in lower case" in err and "collapses to 0" in err
    assert f"{late} (incomplete)" in out and f"not analysed (errors above): {broken}" in out
    code, out, _ = cli("summary", str(broken))
    assert code == 1 and out == ""  # nothing past the input elaborated: the diagnostics alone


def test_partial_reports_of_every_bad_spec_render(tmp_path):
    """Whatever the errors, what could be analysed is a sound report: the table and diagram take it."""
    from netspec.api import analyse_partial
    from netspec.backends import table
    from netspec.backends.diagram.dot import to_dot

    partial = 0
    for spec in sorted((ROOT / "tests" / "bad").rglob("*.net")):
        if spec.parent.name == "warnings" or spec.name.startswith("expansion_too"):  # seconds each, to the limit
            continue
        report, error = analyse_partial(spec)
        assert error is not None and error.errors, spec
        if report is not None:
            partial += 1
            assert all(len(layer.shape) >= 1 for layer in report.layers), spec
            table.text(report, "blocks", incomplete="x")
            to_dot(report, "full")
    assert partial >= 30  # of ~150; the others fail before a layer is built (parse, names, the input)
