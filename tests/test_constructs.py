"""The constructs that let torchvision's newer CNNs be written: computed labels, inline, mul, def, union
types, in.shape, permute and the channels-last layers, stochastic depth, layer scale, chunk and shuffle.

Each is checked against independent truth: torch's own modules and functions, and torchvision's models.
"""

from __future__ import annotations

import pytest
import torch
import torchvision_models as tv
from torch import nn

import netspec
from netspec.diagnostics import NetspecError


def keys(text: str, **params) -> list[str]:
    return list(netspec.load(text, **params).state_dict())


def errors(text: str) -> list[str]:
    with pytest.raises(NetspecError) as info:
        netspec.build(text)
    return [d.message for d in info.value.errors]


def test_computed_labels_and_inline_shape_the_state_dict():
    text = """
    block Branch(c: int) { conv: conv(c, 1)  bn: batchnorm() }
    network N {
        input [3, 8, 8]
        for i in range(2) { "layer{i + 1}": Branch(4 + 4 * i) }
        concat {
            inline { b1_a: conv(2, 1)  b1_b: conv(2, 3, padding=1) }
            b2: conv(2, 1)
        }
        inline Branch(6)
        block: { relu() }
    }"""
    assert keys(text) == [
        "layer1.conv.weight",
        "layer1.conv.bias",
        "layer1.bn.weight",
        "layer1.bn.bias",
        "layer1.bn.running_mean",
        "layer1.bn.running_var",
        "layer1.bn.num_batches_tracked",
        "layer2.conv.weight",
        "layer2.conv.bias",
        "layer2.bn.weight",
        "layer2.bn.bias",
        "layer2.bn.running_mean",
        "layer2.bn.running_var",
        "layer2.bn.num_batches_tracked",
        "b1_a.weight",
        "b1_a.bias",
        "b1_b.weight",
        "b1_b.bias",
        "b2.weight",
        "b2.bias",
        "conv.weight",
        "conv.bias",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
    ]


def test_functions_union_types_and_the_block_input():
    text = """
    def round_to(v, d) = max(d, int(v + d / 2) // d * d)
    def make_divisible(v, d) = round_to(v, d) + (if round_to(v, d) < 0.9 * v then d else 0)
    block Conv(k: int | list[int], out: int = make_divisible(in.channels * 1.5, 8)) { conv(out, k) }
    network N {
        input [12, 9, 9]
        a: Conv(3)
        b: Conv([1, 3], out=in.height + round(2.5) + floor(-0.5) + ceil(0.2) + int(log2(8)))
    }"""
    graph = netspec.build(text)
    a, b = (n for n in graph.nodes if n.op == "conv")
    assert (a.attrs.out, a.attrs.kernel) == (24, (3, 3))  # make_divisible(18, 8) = 24, as torchvision's
    assert (b.attrs.out, b.attrs.kernel) == (9 + 2 - 1 + 1 + 3, (1, 3))  # round(2.5) is 2: halves to even


def test_mul_broadcasts_a_gate_as_torch_does():
    text = """network N {
        input [6, 5, 5]
        mul { identity()  se: { adaptive_avgpool(1)  conv(6, 1)  sigmoid() } }
    }"""
    model = netspec.load(text).eval()
    x = torch.randn(2, 6, 5, 5)
    gate = torch.sigmoid(model.se[1](x.mean((2, 3), keepdim=True)))
    torch.testing.assert_close(model(x), x * gate)
    assert netspec.analyse(text).layers[-1].shape == [6, 5, 5]


def test_channels_last_linear_and_layernorm_equal_torch_and_axes_are_checked():
    text = """network N {
        input [8, 4, 5]
        permute([1, 2, 0])  layernorm(eps=1e-6)  linear(16)  permute([2, 0, 1])
        layerscale(0.5)
    }"""
    model = netspec.load(text).eval()
    x = torch.randn(3, 8, 4, 5)
    ln, fc = model.get_submodule("1"), model.get_submodule("2")
    expected = fc(nn.functional.layer_norm(x.permute(0, 2, 3, 1), (8,), ln.weight, ln.bias, 1e-6)).permute(0, 3, 1, 2)
    torch.testing.assert_close(model(x), expected * 0.5)
    report = netspec.analyse(text)
    assert report.output == [16, 4, 5] and report.totals.params == 2 * 8 + 8 * 16 + 16 + 16
    assert errors("network N { input [8, 4, 5]  linear(16) }") == ["linear needs a flat input"]
    assert errors("network N { input [8, 4, 5]  permute([1, 2, 0])  maxpool(2) }") == ["maxpool needs channels first"]


def test_layerscale_is_a_parameter_of_its_container_in_live_and_generated_models():
    text = "network N { input [4, 3, 3]  gamma: layerscale(1e-6) }"
    assert keys(text) == ["gamma"] and netspec.load(text).gamma.shape == (4, 1, 1)
    source = netspec.compile_source(text)
    assert "self.gamma = nn.Parameter(torch.full((4, 1, 1), 1e-06))" in source and "x * self.gamma" in source


def test_chunk_and_channel_shuffle_equal_torchvision():
    tv.names()  # torchvision.models imported past the package __init__
    from torchvision.models.shufflenetv2 import channel_shuffle

    text = "network N { input [8, 3, 3]  concat { chunk(2, 1)  chunk(2, 0) }  channel_shuffle(4) }"
    x = torch.randn(2, 8, 3, 3)
    a, b = x.chunk(2, dim=1)
    torch.testing.assert_close(netspec.load(text)(x), channel_shuffle(torch.cat([b, a], 1), 4), rtol=0, atol=0)
    assert keys(text) == []  # functions of their input: no modules, no numbers taken


def test_stochastic_depth_trains_like_torchvisions_under_one_seed(torch_one_thread):
    """Train mode: ConvNeXt drops whole residual branches per sample at random; the same draws as torchvision."""
    params = {"variant": "tiny", "classes": 10, "sd": 0.6}
    torch.manual_seed(0)
    reference = tv.build("convnext_tiny", num_classes=10, stochastic_depth_prob=0.6).train()
    model = netspec.load("specs/convnext.net", weights=reference.state_dict(), input=(3, 32, 32), **params).train()
    x = torch.randn(4, 3, 32, 32)
    outputs = []
    for m in (reference, model):
        torch.manual_seed(7)
        outputs.append(m(x))
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-4, atol=1e-5)
    torch.manual_seed(8)
    assert not torch.allclose(model(x), outputs[1])  # another draw drops other branches: randomness is real
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)  # eval: no randomness left


def test_a_broadcast_gate_widens_the_field_but_keeps_the_grid():
    """SE's gate sees the whole map (its field covers the input) but has no grid: the product's jump is the
    map's, so fields stay finite through dozens of gates (they once multiplied to 10^20)."""
    text = """network N {
        input [3, 32, 32]
        conv(8, 3, stride=2, padding=1)
        mul { identity()  { adaptive_avgpool(1)  conv(8, 1)  sigmoid() } }
        conv(8, 3, padding=1)
    }"""
    layers = netspec.analyse(text).layers
    conv1, gated, conv2 = layers[1], next(x for x in layers if x.op == "mul"), layers[-1]
    assert gated.jump == conv1.jump == [2, 2]
    assert gated.rf[0] >= 32  # through the gate, every output sees the whole input
    assert conv2.rf[0] == gated.rf[0] + 2 * 2  # rf + (K-1)*jump with the map's jump
