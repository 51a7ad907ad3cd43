"""The live builder: module tree and state_dict keys follow the spec; torchvision's models load and agree exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision_models

import netspec
from netspec.backends.torch import build_module

SPECS = Path(__file__).parent.parent / "specs"


@pytest.mark.parametrize("spec, reference", [("resnet18.net", "resnet18"), ("alexnet.net", "alexnet")])
def test_reference_weights_load_strictly_and_outputs_match(spec, reference):
    torch.manual_seed(0)
    ref = torchvision_models.build(reference).eval()
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


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def single(layer: str, input: str = "[4, 8, 8]") -> str:
    return f"network One {{\n    input {input}\n    layer: {layer}\n}}\n"


def test_default_init_is_pytorchs():
    torch.manual_seed(5)
    ours = netspec.load(single("conv(6, 3, stride=2)"))
    torch.manual_seed(5)
    theirs = torch.nn.Conv2d(4, 6, 3, stride=2)
    assert torch.equal(ours.layer.weight, theirs.weight) and torch.equal(ours.layer.bias, theirs.bias)


def test_init_options():
    zeros = netspec.load(single('conv(6, 3, init="zeros")'))
    assert not zeros.layer.weight.any() and not zeros.layer.bias.any()
    kaiming = netspec.load(single('conv(256, 3, init="kaiming")', "[64, 8, 8]"))
    fan_out = 256 * 3 * 3
    assert abs(kaiming.layer.weight.std().item() / (2 / fan_out) ** 0.5 - 1) < 0.05
    assert not kaiming.layer.bias.any()
    xavier = netspec.load(single('linear(300, init="xavier")', "[200]"))
    bound = (6 / (200 + 300)) ** 0.5
    assert xavier.layer.weight.abs().max() <= bound and xavier.layer.weight.abs().max() > 0.9 * bound
    assert not xavier.layer.bias.any()
    bn = netspec.load(single("batchnorm(zero_init=true)"))
    assert not bn.layer.weight.any() and bn.layer.bias.eq(0).all()


def test_batchnorm_follows_the_rank_of_its_input():
    assert type(netspec.load(single("batchnorm()")).layer) is torch.nn.BatchNorm2d
    assert type(netspec.load(single("batchnorm()", "[5]")).layer) is torch.nn.BatchNorm1d


INPLACE_AFTER_FORK = """\
network Fork {
    input [3, 6, 6]
    conv(3, 1)
    residual {
        relu(inplace=true)
        conv(3, 1)
    } shortcut identity
    sigmoid()
    relu(inplace=true)
}
"""


def test_in_place_only_where_nothing_else_reads_the_input():
    graph = netspec.build(INPLACE_AFTER_FORK)
    model = build_module(graph)
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert [r.inplace for r in relus] == [False, False]  # after a fork; after sigmoid (needs its output)
    x = torch.randn(2, 3, 6, 6, requires_grad=True)
    y = model(x)
    conv0, conv1 = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        h = conv0(x)
        expected = torch.relu(torch.sigmoid(conv1(torch.relu(h)) + h))
    torch.testing.assert_close(y, expected)
    y.sum().backward()  # an in-place relu on sigmoid's output would break autograd
    assert x.grad is not None


def test_in_place_is_kept_where_it_is_safe():
    model = netspec.load(SPECS / "resnet18.net")
    assert model.relu.inplace and model.layer1[0].relu.inplace


def test_containers_run_on_their_own():
    torch.manual_seed(0)
    model = netspec.load(SPECS / "resnet18.net").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        staged = model.layer4(model.layer3(model.layer2(model.layer1(stem))))
        torch.testing.assert_close(model.fc(torch.flatten(model.avgpool(staged), 1)), model(x))


def test_printed_module_shows_the_spec_names():
    text = repr(netspec.load(SPECS / "resnet18.net"))
    assert text.startswith("ResNet18(") and "(0): Basic(" in text and "(downsample): Sequential(" in text


def test_submodule_classes_are_named_after_the_spec_blocks():
    """torchinfo and torchview print type(module).__name__: a block's class must carry the block's name."""
    import pickle

    model = netspec.load(SPECS / "resnet18.net")
    assert type(model).__name__ == "ResNet18" and type(model.layer2[0]).__name__ == "Basic"
    assert type(model.layer2[0].downsample).__name__ == "Sequential" and type(model.layer2).__name__ == "Sequential"
    assert type(netspec.load(SPECS / "resnet18.net")) is type(model)  # one class per name, not per build
    again = pickle.loads(pickle.dumps(model))
    assert type(again.layer2[0]) is type(model.layer2[0]) and isinstance(again.layer2[0], torch.nn.Module)


def test_network_without_layers_passes_its_input_through():
    model = netspec.load("network Empty {\n    input [3, 4, 4]\n}\n")
    x = torch.randn(2, 3, 4, 4)
    assert model(x) is x


def test_deepcopy_and_pickle_run_their_own_weights(tmp_path):
    import copy

    model = netspec.load(SPECS / "resnet_cifar.net").eval()
    twin = copy.deepcopy(model)
    torch.save(model, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=False)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
        torch.nn.init.zeros_(twin.linear.weight)
        torch.nn.init.zeros_(twin.linear.bias)
        assert torch.equal(model(x), expected) and not twin(x).any()
        torch.testing.assert_close(loaded(x), expected)
