"""The compiled module is the network the static analysis describes: shapes, parameters, MACs, receptive field.

For every spec of the zoo and for random valid specs (hypothesis): each module's output shape seen by a forward
hook equals the static shape, the parameter count and the conv + linear MACs measured by FlopCounterMode equal
the static figures, and the generated source builds the same module (keys, weights for a seed, outputs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from reference_models import cifar_resnet, lenet5
from strategies import specs
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import netspec
from netspec.backends.torch import build_module, emit_source
from netspec.backends.torch.layout import layout

SPECS = Path(__file__).parent.parent / "specs"
ZOO = sorted(SPECS.glob("*.net"))
MAC_OPS = {"convolution", "mm", "addmm"}
RANDOM = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def expected_shapes(graph) -> dict[str, tuple]:
    """Module path -> the static output shape: a layer's own, a container's last node's."""
    shapes = {node.path: node.shape for node in graph.modules()}
    for box in layout(graph).containers():
        shapes[box.path] = graph.nodes[box.output].shape
    return shapes


def hooked_shapes(model: nn.Module, x: torch.Tensor) -> dict[str, tuple]:
    seen, handles = {}, []
    for name, module in model.named_modules():

        def hook(module, inputs, output, name=name):
            if isinstance(output, dict):  # a network's named outputs: the main one is `out`, else the first
                output = output["out"] if "out" in output else next(iter(output.values()))
            main = output[0] if isinstance(output, tuple) else output  # values read outside come after the main one
            seen[name] = tuple(main.shape[1:])

        handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return seen


def measured_macs(model: nn.Module, x: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    counts = counter.get_flop_counts().get("Global", {})
    return sum(n for op, n in counts.items() if op.__name__.split(".")[0] in MAC_OPS) // 2


def check_static_figures(report, model: nn.Module, x: torch.Tensor) -> None:
    graph = report.graph
    assert hooked_shapes(model, x) == expected_shapes(graph)
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
    assert measured_macs(model, x) == report.totals.macs


def generated_class(graph):
    module = type(sys)("generated")
    exec(compile(emit_source(graph).text, "<generated>", "exec"), module.__dict__)
    return getattr(module, module.__all__[-1])


def check_generated_matches_live(graph, x: torch.Tensor, device: str = "cpu") -> None:
    cls = generated_class(graph)
    with torch.device(device):
        torch.manual_seed(11)
        live = build_module(graph).eval()
        torch.manual_seed(11)
        written = cls().eval()
    assert [n for n, _ in live.named_modules()] == [n for n, _ in written.named_modules()]
    a, b = live.state_dict(), written.state_dict()
    assert list(a) == list(b)
    assert all(a[k].shape == b[k].shape for k in a)
    if device == "meta":
        return
    assert all(torch.equal(a[k], b[k]) for k in a)  # the same seed gives the same weights
    with torch.no_grad():
        assert torch.equal(live(x), written(x))


# ---- the zoo ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ZOO, ids=lambda p: p.stem)
def test_zoo_static_figures_hold_in_torch(spec):
    report = netspec.analyse(spec)
    with torch.device("meta"):
        model = build_module(report.graph).eval()
        check_static_figures(report, model, torch.empty(1, *report.input))


@pytest.mark.parametrize("spec", ZOO, ids=lambda p: p.stem)
def test_zoo_generated_source_is_the_live_module(spec):
    shape = netspec.build(spec).input.shape
    side = 75 if spec.stem == "inception_v3" else 64  # Inception v3 needs 75x75 at least
    small = shape if shape[1] <= side else (shape[0], side, side)  # ImageNet networks small: the same layers
    report = netspec.analyse(spec, input=small)
    device = "meta" if report.totals.params > 30_000_000 else "cpu"  # AlexNet, VGG: keys and shapes only
    check_generated_matches_live(report.graph, torch.randn(2, *small), device)


REFERENCES = {  # torchvision's models: tests/test_torchvision.py
    "cifar_resnet56": ("resnet_cifar.net", {"depth": 56}, lambda: cifar_resnet(56)),
    "lenet5": ("lenet5.net", {}, lenet5),
}


@pytest.mark.parametrize("name", REFERENCES)
def test_zoo_state_dicts_match_the_reference_implementations(name):
    spec, params, reference = REFERENCES[name]
    with torch.device("meta"):
        ours = netspec.load(SPECS / spec, **params).state_dict()
        theirs = reference().state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)


@pytest.mark.parametrize(
    "spec, reference, shape",
    [("resnet_cifar.net", lambda: cifar_resnet(20), (3, 32, 32)), ("lenet5.net", lenet5, (1, 32, 32))],
)
def test_small_zoo_outputs_match_the_references(spec, reference, shape):
    torch.manual_seed(0)
    ref = reference().eval()
    model = netspec.load(SPECS / spec, weights=ref.state_dict()).eval()
    x = torch.randn(4, *shape)
    with torch.no_grad():
        torch.testing.assert_close(model(x), ref(x), rtol=0, atol=1e-5)


# ---- random valid specs ----------------------------------------------------------------------------------------


@RANDOM
@given(specs())
def test_random_specs_static_figures_hold_in_torch(spec):
    report = netspec.analyse(spec.text)
    assert tuple(report.output) == spec.output
    torch.manual_seed(0)
    model = build_module(report.graph).eval()
    x = torch.randn(1, *report.input)
    check_static_figures(report, model, x)
    check_generated_matches_live(report.graph, torch.randn(2, *report.input))


def _averaging(model: nn.Module) -> nn.Module:
    """Weights that cannot cancel: every conv averages its window, batchnorm scales by ~1, max pools average.

    A max pool passes gradient to one pixel of its window; averaging instead lets the gradient show the whole
    window, which is what the receptive field counts.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.constant_(module.weight, 1.0 / module.weight[0].numel())
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d) and module.affine:
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.MaxPool2d):
            module.forward = lambda x, m=module: F.avg_pool2d(x, m.kernel_size, m.stride, 0, m.ceil_mode)
    return model


@settings(RANDOM, max_examples=100)
@given(specs(receptive=True))
def test_random_specs_receptive_field_is_the_gradients_reach(spec):
    report = netspec.analyse(spec.text)
    model = _averaging(build_module(report.graph).double().eval())
    x = torch.full((1, *report.input), 0.01, dtype=torch.float64, requires_grad=True)
    model(x)[0, :, 0, 0].sum().backward()
    reach = x.grad[0].abs().sum(0)  # [H, W]: where the top-left output pixel looks
    rows = reach.sum(1).nonzero().flatten()
    cols = reach.sum(0).nonzero().flatten()
    assert rows.min() == 0 and cols.min() == 0
    assert [int(rows.max()) + 1, int(cols.max()) + 1] == report.layers[-1].rf
