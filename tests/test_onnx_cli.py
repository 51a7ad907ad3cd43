"""`netspec export` from the command line: the file, the report, the options, and errors without tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import onnx

import netspec

SPECS = Path(__file__).parent.parent / "specs"
LENET = str(SPECS / "lenet5.net")


def dims(value) -> list:
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def test_writes_a_verified_dynamic_batch_model(cli, tmp_path):
    out = tmp_path / "lenet5.onnx"
    code, stdout, stderr = cli("export", LENET, "-o", str(out), "--dynamic-batch", "--set", "classes=4")
    assert (code, stdout) == (0, "")  # the report is a status message: stderr, as every command's "wrote ..."
    first, second, third = stderr.splitlines()
    assert first.startswith(f"wrote {out} (") and first.endswith(
        "LeNet5, opset 20, batch dynamic, 12 ONNX nodes, 12 traced to the spec"
    )
    assert second.startswith("verified: onnx checker passed; onnxruntime matches PyTorch to ")
    assert second.endswith("(tolerance 0.0001, batch 1, 2)") and third.startswith("time: build ")
    model = onnx.load(out)
    assert dims(model.graph.input[0]) == ["batch", 1, 32, 32] and dims(model.graph.output[0]) == ["batch", 4]
    assert sorted(tmp_path.iterdir()) == [out]


def test_json_report_and_no_verify(cli, tmp_path):
    out = tmp_path / "lenet5.onnx"
    code, stdout, _ = cli("export", LENET, "-o", str(out), "--no-verify", "--opset", "18", "--json")
    report = json.loads(stdout)
    assert code == 0 and report["ok"] is True and report["verified"] is False and report["max_diff"] is None
    assert (report["path"], report["opset"], report["nodes"], report["traced"]) == (str(out), 18, 12, 12)
    assert set(report["seconds"]) == {"build", "export", "trace"}


def test_an_opset_that_cannot_be_written_is_an_error_and_leaves_no_file(cli, tmp_path):
    code, stdout, stderr = cli("export", LENET, "-o", str(tmp_path / "x.onnx"), "--opset", "99")
    assert (code, stdout) == (1, "")
    assert stderr.startswith("error: ONNX opset 99 does not exist yet") and "Traceback" not in stderr
    assert "help: use --opset 18 to" in stderr
    assert list(tmp_path.iterdir()) == []


def test_errors_as_json(cli, tmp_path):
    code, stdout, stderr = cli("export", LENET, "-o", str(tmp_path / "x.onnx"), "--opset", "99", "--json")
    report = json.loads(stdout)
    assert (code, stderr, report["ok"]) == (1, "", False)
    assert report["diagnostics"][0]["code"] == "onnx-opset"


def test_spec_errors_are_reported_before_any_export(cli, tmp_path):
    code, _, stderr = cli("export", LENET, "-o", str(tmp_path / "x.onnx"), "--input", "1x8x8")
    assert code == 1 and "error:" in stderr and "lenet5.net:" in stderr
    assert list(tmp_path.iterdir()) == []


def test_another_process_writes_the_same_bytes(tmp_path):
    """Nothing in the file depends on the process, the time or the machine: the CLI in a fresh process writes
    exactly what the Python API gives here."""
    out = tmp_path / "lenet5.onnx"
    subprocess.run(
        [sys.executable, "-c", "from netspec.cli import main; main()", "export", LENET, "-o", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == netspec.export_onnx(LENET).data


def test_unreadable_weights_are_an_error_not_a_traceback(cli, tmp_path):
    weights = tmp_path / "notes.pt"
    weights.write_text("not a checkpoint")
    code, _, stderr = cli("export", LENET, "-o", str(tmp_path / "x.onnx"), "-w", str(weights))
    assert code == 1 and stderr.startswith(f"error: cannot read weights from {weights}: ")
    assert "Traceback" not in stderr and "weights_only=False" not in stderr
    assert sorted(tmp_path.iterdir()) == [weights]
