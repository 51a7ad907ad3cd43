"""Every spec in specs/ exports to one dynamic-batch ONNX file that passes onnx's full check and matches PyTorch
in onnxruntime at batch sizes 1 and 5, with every ONNX node traced to the spec. Big networks are exported at a
small size (fewer classes, a smaller input, fewer blocks) where the spec allows, to keep the suite fast."""

from pathlib import Path

import pytest

import netspec
from netspec.backends.onnx import Options, export

SPECS = Path(__file__).parent.parent / "specs"
SMALL = {  # spec -> (parameters, input): the same code paths as the full size, a fraction of the time
    "alexnet": ({"classes": 10}, (3, 64, 64)),
    "convnext": ({"classes": 10}, (3, 64, 64)),
    "densenet": ({"blocks": [1, 1, 1, 1], "classes": 10}, (3, 64, 64)),
    "deeplabv3": ({"classes": 10}, (3, 67, 91)),  # two outputs, out and aux
    "efficientnet": ({"classes": 10}, (3, 64, 64)),
    "efficientnet_v2": ({"classes": 10}, (3, 64, 64)),
    "fcn": ({"classes": 10}, (3, 67, 91)),
    "googlenet": ({"classes": 10}, (3, 64, 64)),
    "inception_v3": ({"classes": 10}, (3, 75, 75)),
    "mnasnet": ({"alpha": 0.5, "classes": 10}, (3, 64, 64)),
    "mobilenet_v2": ({"classes": 10}, (3, 64, 64)),
    "regnet": ({"classes": 10}, (3, 64, 64)),
    "resnet": ({"depth": 50, "classes": 10}, (3, 64, 64)),
    "resnet18": ({"classes": 10}, (3, 64, 64)),
    "resnet_cifar": ({"depth": 8}, None),
    "shufflenet_v2": ({"width": 0.5, "classes": 10}, (3, 64, 64)),
    "squeezenet": ({"classes": 10}, (3, 64, 64)),
    "unet": ({"base": 8}, (3, 64, 64)),
    "vgg": ({"depth": 11, "batchnorm": True, "classes": 10}, (3, 32, 32)),
}


@pytest.mark.parametrize("spec", sorted(p.stem for p in SPECS.glob("*.net")))
def test_spec_exports_checks_and_matches_at_batch_1_and_5(spec):
    params, input = SMALL.get(spec, ({}, None))
    graph = netspec.build(SPECS / f"{spec}.net", params, input)
    result = export(graph, options=Options(dynamic_batch=True, batches=(1, 5)))
    assert result.verification.batches == (1, 5) and result.verification.max_diff < 1e-4
    assert result.model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert result.traced == result.nodes > 0
