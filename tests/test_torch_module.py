"""The live builder: module tree and state_dict keys follow the spec; reference models load and agree exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import netspec
from netspec.backends.torch import build_module
from reference_models import alexnet, resnet18

SPECS = Path(__file__).parent.parent / "specs"


@pytest.mark.parametrize("spec, reference", [("resnet18.net", resnet18), ("alexnet.net", alexnet)])
def test_reference_weights_load_strictly_and_outputs_match(spec, reference):
    torch.manual_seed(0)
    ref = reference().eval()
    model = netspec.load(SPECS / spec, weights=ref.state_dict()).eval()
    assert list(model.state_dict()) == list(ref.state_dict())
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x), rtol=0, atol=1e-5)


def test_module_paths_are_the_node_paths():
    graph = netspec.build(SPECS / "resnet18.net")
    model = build_module(graph)
    modules = dict(model.named_modules())
    for node in graph.modules():
        assert node.path in modules, node.path
    assert type(modules["layer2.0.downsample"]).__mro__[1] is torch.nn.Sequential
    assert modules["layer1.0"]._get_name() == "Basic" and model._get_name() == "ResNet18"


def test_manual_seed_makes_builds_reproducible():
    def build():
        torch.manual_seed(7)
        return netspec.load(SPECS / "resnet18.net", classes=10).state_dict()

    a, b = build(), build()
    assert all(torch.equal(a[k], b[k]) for k in a)
    torch.manual_seed(8)
    c = netspec.load(SPECS / "resnet18.net", classes=10).state_dict()
    assert not torch.equal(a["conv1.weight"], c["conv1.weight"])
