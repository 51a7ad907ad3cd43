"""The ONNX backend's mechanics: tracing each node to the spec, metadata, determinism, opsets, weights,
verification and silence. (test_onnx_zoo.py exports every spec; test_onnx_cli.py drives `netspec export`.)"""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from onnx import numpy_helper
from torch import nn

import netspec
from netspec import NetspecError
from netspec.backends.onnx import Options, build, export, export_module, verify

SPECS = Path(__file__).parent.parent / "specs"
RESNET18, CIFAR, LENET = (str(SPECS / f"{name}.net") for name in ("resnet18", "resnet_cifar", "lenet5"))


@pytest.fixture(scope="module")
def resnet():
    """ResNet-18 at 3x64x64 with 10 classes, exported with a dynamic batch axis."""
    graph = netspec.build(RESNET18, {"classes": 10}, (3, 64, 64))
    return graph, export(graph, options=Options(dynamic_batch=True))


@pytest.fixture(scope="module")
def cifar():
    """The CIFAR ResNet-8: option-A shortcuts (slice, pad) and adds in the blocks' own forward."""
    graph = netspec.build(CIFAR, {"depth": 8})
    return graph, export(graph, options=Options(verify=False))


def docs(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in result.model.graph.node:
        out.setdefault(node.op_type, []).append(node.doc_string)
    return out


def test_every_node_names_its_layer_block_and_line(resnet):
    _, result = resnet
    found = docs(result)
    assert result.traced == result.nodes == len(result.model.graph.node) == 49
    assert found["Conv"][0] == f"conv1 + bn1 at {RESNET18}:16"
    assert found["Conv"][1] == f"layer1.0.conv1 + layer1.0.bn1 (Basic(64)) at {RESNET18}:7"
    assert f"layer2.0.downsample.0 + layer2.0.downsample.1 (Basic(128, stride=2)) at {RESNET18}:12" in found["Conv"]
    assert found["Add"][0] == f"layer1.0.add (Basic(64)) at {RESNET18}:6"
    assert found["Relu"][:3] == [
        f"relu at {RESNET18}:18",
        f"layer1.0.relu (Basic(64)) at {RESNET18}:9",
        f"layer1.0.5 (Basic(64)) at {RESNET18}:13",
    ]
    assert (found["MaxPool"], found["Gemm"]) == ([f"maxpool at {RESNET18}:19"], [f"fc at {RESNET18}:26"])


def test_node_metadata_is_netspecs_own(resnet):
    _, result = resnet
    conv = next(n for n in result.model.graph.node if n.doc_string.startswith("layer1.0.conv1"))
    assert {p.key: p.value for p in conv.metadata_props} == {
        "netspec.path": "layer1.0.conv1",
        "netspec.source": f"{RESNET18}:7:20",
        "netspec.block": "Basic(64)",
        "netspec.folded": "layer1.0.bn1",
    }
    graph = result.model.graph
    keys = {
        p.key for item in (*graph.node, *graph.input, *graph.output, *graph.initializer) for p in item.metadata_props
    }
    assert all(key.startswith("netspec.") for key in keys)
    assert sys.prefix.encode() not in result.data and b"stack_trace" not in result.data


def test_model_metadata_names_the_spec(resnet):
    _, result = resnet
    meta = {p.key: p.value for p in result.model.metadata_props}
    assert meta["netspec.network"] == "ResNet18" and meta["netspec.params"] == '{"classes": 10}'
    assert meta["netspec.version"] == netspec.__version__ and meta["netspec.source"] == RESNET18
    assert meta["netspec.input"] == '["batch", 3, 64, 64]'
    assert meta["netspec.weights"] == "none: random initialisation, seed 0"
    assert result.model.graph.name == "ResNet18"


def test_one_file_runs_at_any_batch_size_like_pytorch(resnet):
    """Checked here without netspec's verifier: onnxruntime directly against a fresh build of the spec."""
    import onnxruntime

    graph, result = resnet
    inp, out = result.model.graph.input[0], result.model.graph.output[0]
    assert (inp.name, out.name, inp.type.tensor_type.shape.dim[0].dim_param) == ("input", "output", "batch")
    session = onnxruntime.InferenceSession(result.data, providers=["CPUExecutionProvider"])
    module = build(graph).eval()
    for batch in (1, 5):
        x = torch.randn(batch, 3, 64, 64)
        (got,) = session.run(None, {"input": x.numpy()})
        with torch.no_grad():
            np.testing.assert_allclose(got, module(x).numpy(), atol=1e-4)
    assert result.verification.batches == (1, 2) and result.verification.max_diff < 1e-4


def test_structural_ops_in_a_blocks_forward_are_traced(cifar):
    _, result = cifar
    found = docs(result)
    assert result.traced == result.nodes
    assert found["Pad"][0] == f"layer2.0.pad (Basic(32, stride=2)) at {CIFAR}:24"
    assert set(found["Slice"]) == {
        f"layer2.0.pad (Basic(32, stride=2)) at {CIFAR}:24",
        f"layer3.0.pad (Basic(64, stride=2)) at {CIFAR}:24",
    }
    assert found["Add"][1] == f"layer2.0.add (Basic(32, stride=2)) at {CIFAR}:18"


def test_same_spec_and_options_give_the_same_bytes_and_print_nothing(cifar, capfd):
    graph, result = cifar
    again = export(graph, options=Options(verify=False))
    assert again.data == result.data
    assert capfd.readouterr() == ("", "")


def test_opset_the_exporter_cannot_honour_is_an_error(cifar):
    """torch quietly writes opset 18 when onnx's converter cannot reach 17; netspec refuses."""
    graph, _ = cifar
    with pytest.raises(NetspecError) as caught:
        export(graph, options=Options(opset=17))
    message = caught.value.render()
    assert "cannot write this network at ONNX opset 17 (it wrote opset 18)" in message
    assert "use --opset 18 to" in message


def test_opset_newer_than_onnx_knows_is_an_error():
    with pytest.raises(NetspecError, match="opset 99 does not exist"):
        export(netspec.build(LENET), options=Options(opset=99))


def test_another_opset_is_written_as_asked_and_still_traced():
    """onnx's C version converter (used for opset 26) drops node metadata; netspec recovers every node's origin."""
    graph = netspec.build(LENET)
    module = build(graph).train()
    result = export_module(module, graph, Options(opset=26))
    assert [o.version for o in result.model.opset_import if o.domain == ""] == [26]
    assert result.traced == result.nodes and result.model.graph.node[0].doc_string == f"conv1 at {LENET}:13"
    assert module.training


def test_weights_are_loaded_and_named(tmp_path):
    graph = netspec.build(LENET)
    trained = build(graph)
    with torch.no_grad():
        trained.fc3.bias.fill_(3.0)
    path = tmp_path / "lenet5.pt"
    torch.save(trained.state_dict(), path)
    result = export(graph, path)
    meta = {p.key: p.value for p in result.model.metadata_props}
    assert meta["netspec.weights"] == f"lenet5.pt (sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:16]})"
    (bias,) = [t for t in result.model.graph.initializer if t.name == "fc3.bias"]
    assert (numpy_helper.to_array(bias) == 3.0).all()


def test_weights_that_do_not_fit_are_a_friendly_error(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"conv1.weight": torch.zeros(1)}, path)
    with pytest.raises(NetspecError, match="the weights do not fit `LeNet5`"):
        export(netspec.build(LENET), path)


class DataDependent(nn.Module):
    def forward(self, x):
        return x * 2 if x.sum() > 0 else x


def test_export_failure_is_one_clear_line_and_silent(capfd):
    with pytest.raises(NetspecError) as caught:
        export_module(DataDependent(), netspec.build(str(SPECS / "lecture.net")))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.message.startswith("torch's ONNX exporter failed: ")
    assert "\x1b[" not in diagnostic.message and "step 1/3" not in diagnostic.message
    assert diagnostic.help.startswith("run with --verbose")
    assert capfd.readouterr() == ("", "")


def test_mismatch_beyond_tolerance_is_an_error(resnet):
    graph, result = resnet
    with pytest.raises(NetspecError, match=r"differs from PyTorch's by .* at batch size 1"):
        verify.compare(result.data, build(graph), (3, 64, 64), (1,), tolerance=0.0)


def test_checker_rejects_a_broken_model(resnet):
    import onnx

    broken = onnx.ModelProto()
    broken.CopyFrom(resnet[1].model)
    broken.graph.node[0].op_type = "NoSuchOp"
    with pytest.raises(NetspecError, match="fails onnx's checker"):
        verify.check(broken)


def test_an_output_named_input_leaves_the_graph_input_another_name():
    """ONNX names each value once: the input takes `input_1` when a network output is named `input`."""
    text = 'network N {\n    input [3, 4, 4]\n    conv(2, 1)\n    output "input"\n    conv(2, 1)\n    output out\n}\n'
    model = export(netspec.build(text)).model  # verified against PyTorch, by the input's new name
    assert [i.name for i in model.graph.input] == ["input_1"]
    assert [o.name for o in model.graph.output] == ["input", "out"]


def test_import_netspec_and_the_backend_loads_no_torch_or_onnx():
    code = (
        "import sys, netspec, netspec.backends.onnx, netspec.cli; "
        "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'onnxscript') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
