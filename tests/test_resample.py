"""Resampling and the layers segmentation networks need (convtranspose, upsample, interpolate, groupnorm,
instancenorm, dropout2d, zeropad, avgpool's count_include_pad), through every stage, each figure checked against
PyTorch: size rules over grids of arguments, parameters and MACs (FlopCounterMode), saved tensors
(saved_tensors_hooks), the receptive field as the gradient's reach, generated source, ONNX in onnxruntime."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from test_memory import agree as memory_agrees
from test_torch_equivalence import check_generated_matches_live, check_static_figures
from torch import nn

import netspec
from netspec.backends.diagram import to_dot
from netspec.backends.onnx import Options, export
from netspec.backends.torch import build_module, emit_source
from netspec.diagnostics import NetspecError
from netspec.format import format_text

pytestmark = pytest.mark.usefixtures("torch_one_thread")

EVERY = """network Every {
    input [4, 12, 10]
    conv(8, 3, padding=1, bias=false)
    groupnorm(4)
    relu()
    up:  convtranspose(6, 3, stride=2, padding=1, output_padding=1, bias=false)
    instancenorm(affine=true)
    upsample(scale=2, mode="bilinear", align_corners=false)
    dropout2d(0.25)
    pad: zeropad([1, 0, 2, 3])
    interpolate(size=[17, 9], mode="bicubic", align_corners=true)
    convtranspose(6, [2, 3], stride=[1, 2], dilation=2, groups=2)
    instancenorm(track_running_stats=true)
    interpolate(scale=[0.5, 1.5])
    avgpool(3, stride=2, padding=1, count_include_pad=false)
    upsample(size=[11, 7])
}
"""


def net(body: str, shape=(3, 8, 8)) -> str:
    return f"network N {{\n    input [{', '.join(map(str, shape))}]\n    {body}\n}}\n"


def torch_shape(module: nn.Module, shape) -> tuple[int, ...] | None:
    """The output shape, or None where PyTorch refuses or returns an empty map (netspec: a size below 1)."""
    try:
        with torch.no_grad():
            out = tuple(module(torch.zeros(1, *shape)).shape[1:])
    except (RuntimeError, ValueError):
        return None
    return out if all(out) else None


def netspec_shape(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(netspec.build(text).output.shape)
    except NetspecError:
        return None


# ---- size rules ----------------------------------------------------------------------------------------------


def test_convtranspose_size_rule_is_pytorchs_over_a_grid():
    """(H-1)*S - 2P + D*(K-1) + output_padding + 1, and output_padding < max(S, D), at 684 argument sets."""
    tried = rejected = 0
    for h, k, s, p, d in itertools.product((1, 2, 5), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2)):
        for extra in range(max(s, d) + 1):  # one too many: rejected by both
            ours = netspec_shape(
                net(f"convtranspose(2, {k}, stride={s}, padding={p}, output_padding={extra}, dilation={d})", (1, h, h))
            )
            try:
                layer = nn.ConvTranspose2d(1, 2, k, stride=s, padding=p, output_padding=extra, dilation=d)
                theirs = torch_shape(layer, (1, h, h))
            except ValueError:
                theirs = None
            assert ours == theirs, (h, k, s, p, d, extra)
            tried, rejected = tried + 1, rejected + (theirs is None)
    assert tried == 684 and 0 < rejected < tried


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_upsample_and_interpolate_sizes_are_pytorchs(mode):
    for h, scale in itertools.product(range(1, 10), (0.3, 0.5, 1, 1.5, 2, 2.7, 3)):
        ours = netspec_shape(net(f'upsample(scale={scale}, mode="{mode}")', (2, h, h + 1)))
        theirs = torch_shape(nn.Upsample(scale_factor=scale, mode=mode), (2, h, h + 1))
        assert ours == theirs, (h, scale)
        assert netspec_shape(net(f'interpolate(scale={scale}, mode="{mode}")', (2, h, h + 1))) == theirs
    assert netspec_shape(net(f'interpolate(size=[5, 3], mode="{mode}")')) == (3, 5, 3)


# ---- every figure of one network with every new layer ----------------------------------------------------------


@pytest.fixture(scope="module")
def every():
    return netspec.analyse(EVERY)


def test_shapes_params_and_macs_are_what_torch_measures(every):
    torch.manual_seed(0)
    model = build_module(every.graph).eval()
    check_static_figures(every, model, torch.randn(1, *every.input))  # hooks, numel, FlopCounterMode
    up = every.layer("up")
    assert up.macs == 8 * 6 * 3 * 3 * 12 * 10 and up.params == 8 * 6 * 3 * 3  # per input position, as its conv


def test_generated_source_is_the_live_module(every):
    check_generated_matches_live(every.graph, torch.randn(2, *every.input))
    source = emit_source(every.graph).text
    assert "nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, bias=False)" in source
    assert 'F.interpolate(x, size=(17, 9), mode="bicubic", align_corners=True)' in source
    assert "nn.ZeroPad2d((1, 0, 2, 3))" in source and "nn.GroupNorm(4, 8)" in source


def test_saved_tensors_are_what_autograd_keeps():
    memory_agrees(EVERY, batch=3)
    memory_agrees(
        net(
            "conv(4, 3)  groupnorm(2, affine=false)  instancenorm()  dropout2d(1.0)  "
            "convtranspose(4, 2, stride=2)  upsample(scale=2)  relu()"
        ),
        batch=2,
    )


def test_onnx_matches_torch_in_onnxruntime_and_every_node_is_traced(every):
    result = export(every.graph, options=Options(dynamic_batch=True, batches=(1, 3)))
    assert result.verification.batches == (1, 3) and result.verification.max_diff < 1e-4
    assert result.traced == result.nodes
    ops = {node.op_type for node in result.model.graph.node}
    # torch's exporter writes groupnorm as InstanceNormalization over reshaped groups, as it writes instancenorm
    assert {"ConvTranspose", "Resize", "InstanceNormalization", "Pad"} <= ops


def test_sizes_are_pytorchs():
    pairs = [(1, 1), (2, 3), (3, 3), (3, 9), (9, 3), (5, 7), (12, 10), (30, 4), (9, 63), (64, 64)]
    seen = set()
    for text in (
        EVERY,
        net("conv(4, 3, stride=2)  instancenorm()  convtranspose(2, 3, padding=2)", (3, 9, 9)),
        net("convtranspose(4, 3, stride=2, padding=3)  groupnorm(4)  interpolate(scale=0.4)", (3, 9, 9)),
    ):
        found, model = netspec.sizes(text, limit=64), netspec.load(text).eval()
        for h, w in pairs:
            out = torch_shape(model, (found.graph.input.shape[0], h, w))
            assert found.legal(h, w) == (out is not None), (text, h, w)
            assert out is None or out == found.output(h, w)
            seen.add(out is not None)
    assert seen == {True, False}


# ---- receptive field and jump ------------------------------------------------------------------------------------


def _reach(text: str) -> int:
    """The most input rows any one output pixel depends on: the Jacobian of a positive-weight, averaging model."""
    report = netspec.analyse(text)
    model = build_module(report.graph).double().eval()
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.constant_(module.weight, 0.1)
    x = torch.full((1, *report.input), 0.5, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda t: model(t).sum(1), x)  # [1, H', W', 1, C, H, W]
    rows = jac.abs().sum(dim=(3, 4, 6))[0] > 0  # [H', W', H]: which input rows each output pixel reads
    spans = [int(r.nonzero().max() - r.nonzero().min()) + 1 for r in rows.flatten(0, 1) if r.any()]
    return max(spans)


@pytest.mark.parametrize(
    "body, rf, jump",
    [
        ("convtranspose(1, 2, stride=2)", 1, "1/2"),
        ("convtranspose(1, 3, stride=2)", 2, "1/2"),
        ("convtranspose(1, 5, stride=3, dilation=2)", 3, "1/3"),
        ("convtranspose(1, 4, stride=2, dilation=2)", 4, "1/2"),
        ("upsample(scale=2)  conv(1, 2)", "3/2", "1/2"),
        ("upsample(scale=3)  conv(1, 4)", 2, "1/3"),
        ("upsample(scale=2)  conv(1, 3)  conv(1, 2)", "5/2", "1/2"),
        ('upsample(scale=2, mode="bilinear")  conv(1, 3)', 3, "1/2"),
        ('interpolate(scale=2, mode="bicubic")  conv(1, 2)', "9/2", "1/2"),
        ("conv(1, 3, stride=2)  convtranspose(1, 2, stride=2)  conv(1, 3)", 5, 1),
        ("upsample(scale=2)  conv(1, 2)  avgpool(2)", 2, 1),
        ("convtranspose(1, 2, stride=2)  conv(1, 3, stride=2)  conv(1, 3)", 4, 1),
    ],
)
def test_receptive_field_rounded_up_is_the_gradients_reach(body, rf, jump):
    """The field through upsampling is exact as a fraction; rounded up it is the most input rows one output sees."""
    text = net(body, (1, 12, 12))
    layer = netspec.analyse(text).layers[-1]
    shown = json.loads(netspec.analyse(text).to_json())["layers"][-1]
    assert shown["rf"][0] == rf and shown["jump"][0] == jump  # fractions as text in --json: "3/2"
    assert _reach(text) == math.ceil(layer.rf[0])


# ---- the other stages ------------------------------------------------------------------------------------------------


def test_summary_explain_diagram_and_format(cli, every, tmp_path):
    path = tmp_path / "every.net"
    path.write_text(EVERY)
    code, out, _ = cli("summary", str(path))
    assert code == 0 and "convtranspose 3x3, 6, x2" in out and "not interpolation" in out, out
    code, out, _ = cli("summary", str(path), "--json")
    assert code == 0 and next(row for row in json.loads(out)["layers"] if row["name"] == "up")["jump"] == ["1/2"] * 2
    code, out, _ = cli("explain", str(path), "up")
    assert code == 0 and "(12 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 24" in out and "jump_in*S = 1*1/2 = 1/2" in out
    dot = to_dot(every)
    assert "convtranspose 3x3, 6, x2" in dot and "interpolate -&gt; 17x9, bicubic" in dot
    assert format_text(EVERY) == EVERY


def test_groupnorm_and_instancenorm_equal_torch():
    x = torch.randn(2, 6, 5, 4)
    model = netspec.load(net("groupnorm(3, eps=0.001)  instancenorm(affine=true)", (6, 5, 4)))
    torch.manual_seed(1)
    with torch.no_grad():
        group, instance = model.get_submodule("0"), model.get_submodule("1")
        group.weight.uniform_(), instance.weight.uniform_()
        expected = F.instance_norm(
            F.group_norm(x, 3, group.weight, group.bias, 0.001), weight=instance.weight, bias=instance.bias
        )
        torch.testing.assert_close(model(x), expected)
    assert (
        sum(p.numel() for p in model.parameters())
        == netspec.analyse(net("groupnorm(3)  instancenorm(affine=true)", (6, 5, 4))).totals.params
        == 24
    )


# ---- interpolate(like=@ref): the size of another tensor, read at run time ----------------------------------------

LIKE = """network Like {
    input [3, 30, 22]
    stem: conv(8, 3, stride=2, padding=1)
    body: { conv(8, 3, stride=2, padding=1)  relu() }
    interpolate(like=@in, mode="bilinear")
    concat { @stem  interpolate(like=@stem) }
}
"""


def test_like_resizes_to_the_reference_at_any_input_size():
    report = netspec.analyse(LIKE)
    assert report.output == [16, 15, 11] and report.layers[4].shape == [8, 30, 22]
    torch.manual_seed(0)
    model = build_module(report.graph).eval()
    check_static_figures(report, model, torch.randn(1, *report.input))
    check_generated_matches_live(report.graph, torch.randn(2, *report.input))
    assert 'F.interpolate(body, size=x.shape[-2:], mode="bilinear")' in emit_source(report.graph).text
    found = netspec.sizes(LIKE, limit=64)
    for h, w in [(30, 22), (31, 17), (9, 40), (1, 1)]:  # not multiples of the stride: the resize undoes the rounding
        with torch.no_grad():
            out = model(torch.randn(1, 3, h, w))
        assert found.legal(h, w) and tuple(out.shape[1:]) == found.output(h, w) == (16, (h + 1) // 2, (w + 1) // 2)


def test_like_lends_its_size_only_to_the_field_and_to_autograd():
    text = net("a: conv(4, 5)  interpolate(like=@in)  conv(4, 3, padding=1)", (3, 12, 12))
    layers = netspec.analyse(text).layers
    assert layers[2].rf == [5, 5] and layers[2].jump == [Fraction(8, 12)] * 2  # 8 rows spread over 12
    flat = net("a: conv(4, 3)  @in  interpolate(like=@a)  relu()", (3, 12, 12))
    memory_agrees(flat, batch=2)  # the input needs no grad, so nothing after it saves for backward
    memory_agrees(LIKE, batch=2)


def test_explain_takes_the_field_from_the_resized_input_not_the_like_tensor(cli, tmp_path):
    path = tmp_path / "like.net"
    path.write_text(net("a: conv(4, 3, stride=2)  @in  interpolate(like=@a)", (3, 12, 12)))  # a: rf 3, jump 2
    code, out, _ = cli("explain", str(path), "interpolate")
    assert code == 0 and "= 1 + (1-1)*1 = 1" in out and "jump_in*S = 1*12/5 = 12/5" in out, out


def test_like_exports_to_onnx_and_matches_onnxruntime():
    result = export(netspec.build(LIKE), options=Options(dynamic_batch=True, batches=(1, 2)))
    assert result.verification.max_diff < 1e-4 and result.traced == result.nodes
