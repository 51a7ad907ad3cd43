"""The analyse stage: output sizes (floor, ceil_mode and PyTorch's "one less"), parameters, MACs, receptive field,
jump, memory and scope totals, by the formulas of DESIGN.md section 3."""

from __future__ import annotations

import json

import pytest

import netspec
from netspec.analysis.explain import explain, explanation
from netspec.ops.window import output_size


def report(body: str, input: str = "[3, 32, 32]", **kw):
    return netspec.analyse(f"network N {{\n    input {input}\n{body}\n}}\n", **kw)


def last(body: str, input: str = "[3, 32, 32]"):
    return report(body, input).layers[-1]


# ---- output size -------------------------------------------------------------------------------------

# (W, K, S, P, D, ceil_mode) -> size, each checked once against torch.nn.MaxPool1d
SIZES = [
    ((32, 5, 1, 0, 1, False), 28),  # the lecture: (32 - 5 + 2*0)/1 + 1
    ((224, 7, 2, 3, 1, False), 112),  # ResNet's stem
    ((112, 3, 2, 0, 1, False), 55),
    ((112, 3, 2, 0, 1, True), 56),  # GoogLeNet's pools
    ((5, 2, 2, 0, 1, False), 2),
    ((5, 2, 2, 0, 1, True), 3),
    ((5, 2, 2, 1, 1, True), 3),  # ceil gives 4, but the last window would start in the right padding
    ((10, 4, 3, 2, 1, True), 4),  # the same "one less" rule
    ((6, 3, 2, 1, 1, True), 4),  # ceil, and the last window starts inside: no correction
    ((3, 3, 2, 1, 2, False), 1),  # dilation 2: effective kernel 5
    ((32, 3, 1, 2, 2, False), 32),  # dilated "same"
]


@pytest.mark.parametrize("args, expected", SIZES)
def test_output_size(args, expected):
    assert output_size(*args).value == expected


def test_one_less_rule_is_explained():
    assert output_size(5, 2, 2, 1, 1, True).formula == (
        "ceil((5 - 2 + 2*1)/2) + 1 = 3 (the last window would start in the right padding, so one less)"
    )
    assert output_size(7, 3, 2, 0, 1, False).formula == "(7 - 3 + 2*0)/2 + 1 = 3"
    assert output_size(8, 3, 2, 0, 1, False).formula == "floor((8 - 3 + 2*0)/2) + 1 = 3"


def test_ceil_mode_in_a_spec():
    assert last("maxpool(2, stride=2, padding=1, ceil_mode=true)", "[3, 5, 5]").shape == [3, 3, 3]
    assert last("maxpool(3, stride=2, ceil_mode=true)", "[3, 112, 112]").shape == [3, 56, 56]
    assert last("avgpool(3, stride=2)", "[3, 112, 112]").shape == [3, 55, 55]


def test_pool_stride_defaults_to_kernel():
    assert last("maxpool(3)", "[3, 32, 32]").shape == [3, 10, 10]


def test_padding_same_and_valid():
    assert last("conv(8, 3, padding=same)").shape == [8, 32, 32]
    assert last("conv(8, 5, padding=same, dilation=2)").shape == [8, 32, 32]
    assert last('conv(8, 4, padding="same")').shape == [8, 32, 32]  # even kernel: PyTorch pads unevenly
    assert last("conv(8, 3, padding=valid)").shape == [8, 30, 30]


def test_rectangular_kernels_strides_and_padding():
    assert last("conv(8, [1, 7], padding=[0, 3])", "[3, 17, 17]").shape == [8, 17, 17]
    assert last("conv(8, [3, 5], stride=[1, 2])", "[3, 20, 20]").shape == [8, 18, 8]


# ---- parameters and MACs -----------------------------------------------------------------------------------


def test_conv_parameters_and_macs():
    layer = last("conv(4, 5)")
    assert layer.params == 5 * 5 * 3 * 4 + 4 == 304
    assert layer.macs == 5 * 5 * 3 * 4 * 28 * 28


def test_grouped_and_depthwise_conv():
    grouped = last("conv(64, 3, padding=1, groups=4, bias=false)", "[32, 8, 8]")
    assert grouped.params == 3 * 3 * (32 // 4) * 64 and grouped.macs == grouped.params * 8 * 8
    depthwise = last("conv(32, 3, padding=1, groups=32)", "[32, 8, 8]")
    assert depthwise.params == 3 * 3 * 1 * 32 + 32


def test_linear_batchnorm_and_parameter_free_layers():
    r = report("flatten()\nlinear(10)\nbatchnorm()\nrelu()\ndropout()", "[2, 4, 4]")
    flatten, linear, bn, relu, dropout = r.layers[1:]
    assert (linear.params, linear.macs) == (32 * 10 + 10, 32 * 10)
    assert (bn.params, bn.buffers) == (2 * 10, 2 * 10 + 1)
    assert flatten.params == relu.params == dropout.params == 0 and flatten.shape == [32]
    assert r.totals.params == 330 + 20 and r.totals.buffers == 21


def test_batchnorm_without_affine_has_no_parameters():
    assert last("batchnorm(affine=false)").params == 0


def test_pooling_lrn_and_shortcuts_have_no_parameters():
    r = report(
        "lrn()\nmaxpool(2)\nresidual { conv(8, 3, stride=2, padding=1) } shortcut pad\nglobal_avgpool()", "[4, 16, 16]"
    )
    assert [layer.params for layer in r.layers if layer.op != "conv"] == [0] * 6


def test_totals_and_flops():
    r = netspec.analyse("specs/lecture.net")
    assert r.totals.params == r.totals.trainable_params == 304
    assert r.totals.macs == 235_200 and r.totals.flops == 470_400
    assert r.totals.layers == 1


# ---- receptive field and jump ------------------------------------------------------------------------------


def test_receptive_field_of_stacked_convs():
    r = report("conv(8, 3)\nconv(8, 3)\nconv(8, 3)")
    assert [(layer.rf[0], layer.jump[0]) for layer in r.layers] == [(1, 1), (3, 1), (5, 1), (7, 1)]


def test_receptive_field_with_strides_pools_and_dilation():
    r = report("conv(8, 3, stride=2)\nconv(8, 3)\nmaxpool(2)\nconv(8, 3, dilation=2, padding=2)", "[3, 64, 64]")
    # rf_out = rf_in + (K-1)*D*jump_in, jump_out = jump_in*S
    assert [(layer.rf[0], layer.jump[0]) for layer in r.layers[1:]] == [(3, 2), (7, 2), (9, 4), (25, 4)]


def test_receptive_field_of_the_resnet18_stem():
    r = netspec.analyse("specs/resnet.net")
    rf = {layer.name: (layer.rf[0], layer.jump[0]) for layer in r.layers}
    assert rf["conv1"] == (7, 2) and rf["maxpool"] == (11, 4) and rf["layer1.0.conv1"] == (19, 4)


def test_rectangular_receptive_field():
    layer = last("conv(8, [1, 7])", "[3, 16, 16]")
    assert layer.rf == [1, 7] and layer.jump == [1, 1]


def test_branches_take_the_widest_field():
    r = report("concat { conv(4, 1) conv(4, 5, padding=2) }")
    assert r.layers[-1].op == "concat" and r.layers[-1].rf == [5, 5]


def test_explain_shows_the_receptive_field_arithmetic():
    r = report("conv(8, 3, stride=2)\nlast: conv(8, 3)", "[3, 32, 32]")
    text = explain(r, "last")
    assert "receptive field = rf_in + (K-1)*D*jump_in = 3 + (3-1)*2 = 7" in text
    assert "jump (input pixels between adjacent outputs) = jump_in*S = 2*1 = 2" in text


def test_explain_lecture():
    text = explain(netspec.analyse("specs/lecture.net"), "conv1")
    assert "H_out: (32 - 5 + 2*0)/1 + 1 = 28" in text and "5*5*3*4 + 4 = 304" in text
    assert "activation memory per sample = 4 * 28 * 28 * 4 bytes = 12,544 bytes" in text


def test_explain_unknown_layer_suggests_a_name():
    with pytest.raises(netspec.NetspecError) as info:
        explain(netspec.analyse("specs/lecture.net"), "conv")
    assert info.value.errors[0].help == "did you mean `conv1`?"


def test_explain_of_a_join_says_it_takes_the_widest_input():
    text = explain(report("sum: add { conv(4, 1)  conv(4, 5, padding=2) }"), "sum.add")
    assert "receptive field = the widest of its 2 inputs' = max(1, 5) = 5" in text
    assert "each output sees one input position" not in text


def test_explain_of_a_block_gives_its_totals_and_members():
    r = netspec.analyse("specs/resnet18.net")
    text = explain(r, "layer1.0")
    block = next(s for s in r.scopes if s.path == "layer1.0")
    assert text.startswith("layer1.0: Basic(64)")
    assert "block of 7 layers: input [64, 56, 56] -> output [64, 56, 56]" in text
    assert f"params = 36,864 + 128 + 36,864 + 128 = {block.params:,}" in text and block.params == 73_984
    assert "layer1.0.conv2: conv 3x3, 64 -> [64, 56, 56], 36,864 params" in text
    assert "layer1.0.relu (5): relu" in text  # unnamed, readable, its index kept
    data = explanation(r, "layer2")
    assert data["kind"] == "group" and len(data["members"]) == 16 and data["params"] == 525_568


def test_explain_marks_a_receptive_field_wider_than_the_input():
    r = netspec.analyse("specs/resnet18.net")
    assert "= 627 (larger than the 224x224 input" in explain(r, "avgpool")
    assert "larger than" not in explain(r, "layer2.0.conv1")


# ---- memory, scopes and the JSON report ------------------------------------------------------------------


def test_activation_memory_per_dtype():
    r32 = report("conv(4, 5)")
    r16 = report("conv(4, 5)", dtype="float16")
    assert r32.layers[-1].activation_bytes == 4 * 28 * 28 * 4 == 2 * r16.layers[-1].activation_bytes
    assert r32.totals.param_bytes == (304 + 0) * 4 and r16.totals.dtype == "float16"


def test_scope_totals_add_up():
    r = netspec.analyse("specs/resnet.net")
    scopes = {s.path: s for s in r.scopes if s.kind in ("block", "group", "network")}
    assert scopes["layer1"].params == 147_968
    assert sum(scopes[f"layer{i}"].params for i in range(1, 5)) == 147_968 + 525_568 + 2_099_712 + 8_393_728
    assert scopes["layer2.0"].shape == [128, 28, 28]
    root = next(s for s in r.scopes if s.parent is None)
    assert root.params == r.totals.params


def test_report_is_plain_json():
    data = json.loads(netspec.analyse("specs/resnet_cifar.net").to_json())
    assert data["totals"]["params"] == 269_722 and data["output"] == [10]
    assert "graph" not in data and data["layers"][1]["name"] == "conv1"
