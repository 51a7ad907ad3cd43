"""netspec.analysis.alignment and the misaligned-join lint, against PyTorch: the gradient of one output pixel of
each path of a join lands on the input pixels netspec says (the centre of their bounding box is the path's
offset + i * jump), so paths netspec calls shifted really sum pixels of different places; transposed convs,
upsample and interpolate by an impulse's landing place and a ramp's samples on the real layers. ~6 s."""

from __future__ import annotations

import tomllib
from fractions import Fraction
from pathlib import Path

import pytest
import torch

import netspec
from netspec.analysis.alignment import places

SPECS = Path(__file__).parent.parent / "specs"

pytestmark = pytest.mark.usefixtures("torch_one_thread")

CASES = {  # name: (two paths of an add on a [3, 32, 32] input, the warning expected or None)
    # ResNet's projection shortcut: both paths centred on input pixel 2i
    "resnet-shortcut": ("a: conv(8, 3, stride=2, padding=1)  b: conv(8, 1, stride=2)", None),
    # CIFAR ResNet's option A (x[::2]) against the strided 3x3: aligned too
    "option-a": (
        "a: { conv(8, 3, stride=2, padding=1) conv(8, 3, padding=1) }  b: { avgpool(1, stride=2) conv(8, 1) }",
        None,
    ),
    # ResNet-D's average-pool shortcut: the 2x2 window is centred between pixels
    "avg-down": ("a: conv(8, 3, stride=2, padding=1)  b: { avgpool(2) conv(8, 1) }", "0.5 rows and 0.5 columns"),
    # the padding off-by-one: padding=0 where 1 was meant, rescued to the same size by ceil_mode
    "ceil-mode": (
        "a: conv(8, 3, stride=2, padding=1)  b: { avgpool(3, stride=2, ceil_mode=true) conv(8, 1) }",
        "1 rows and 1 columns",
    ),
    # dilation with its padding: the same size and the same centre
    "dilated": ("a: conv(8, 3, padding=1)  b: conv(8, 3, padding=[2, 1], dilation=[2, 1])", None),
    # an even kernel with padding="same": PyTorch pads one more on the right, the centre moves half a pixel
    "same-even": ('a: conv(8, 3, padding=1)  b: conv(8, 2, padding="same")', "0.5 rows and 0.5 columns"),
    # the same size from different strides
    "strides": ("a: { avgpool(2) conv(8, 1) }  b: conv(8, 17)", "different strides"),
}


def spec(paths: str) -> str:
    return f"network Join {{\n    input [3, 32, 32]\n    add {{\n        {paths}\n    }}\n    relu()\n}}\n"


def hit_centres(model, path: str, pixel: tuple[int, int]) -> tuple[Fraction, Fraction]:
    """Centre of the input pixels that output `pixel` of `path` depends on (all weights 1: no cancellation)."""
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    seen = {}
    handle = model.get_submodule(path).register_forward_hook(lambda m, i, o: seen.setdefault("out", o))
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    model(x)
    handle.remove()
    seen["out"][0, :, pixel[0], pixel[1]].sum().backward()
    rows, cols = (x.grad[0].abs().sum(0) > 0).nonzero(as_tuple=True)
    assert rows.min() > 0 and rows.max() < 31 and cols.min() > 0 and cols.max() < 31, "choose an inner pixel"
    return Fraction(int(rows.min() + rows.max()), 2), Fraction(int(cols.min() + cols.max()), 2)


def join_paths(text: str):
    """A one-join spec's report, its model, and each joined path's (module path, place)."""
    report = netspec.analyse(text)
    found = places(report.graph)
    join = next(n for n in report.graph.nodes if n.op == "add")
    return report, netspec.load(text).eval(), [(report.graph.nodes[i].path, found[i]) for i in join.inputs]


def predicted_centre(place, pixel: tuple[int, int]) -> tuple[Fraction, Fraction]:
    """Where netspec puts an output pixel on the input: the offset (kept doubled) + index * jump, per axis."""
    _, (_, jh, oh), (_, jw, ow) = place
    return Fraction(oh, 2) + pixel[0] * jh, Fraction(ow, 2) + pixel[1] * jw


def mean(points: list[tuple[Fraction, Fraction]]) -> tuple[Fraction, Fraction]:
    return sum((p[0] for p in points), Fraction(0)) / len(points), sum((p[1] for p in points), Fraction(0)) / len(
        points
    )


def misaligned(report) -> list[str]:
    return [w.message for w in report.warnings if w.code == "misaligned-join"]


@pytest.mark.parametrize("name", CASES)
def test_paths_land_where_netspec_says(name):
    paths, expected = CASES[name]
    report, model, joined = join_paths(spec(paths))
    centres = {}
    for path, place in joined:
        hits = {pixel: hit_centres(model, path, pixel) for pixel in [(3, 4), (5, 2)]}
        assert hits == {pixel: predicted_centre(place, pixel) for pixel in hits}
        centres[path] = hits[(3, 4)]
    assert (len(set(centres.values())) > 1) == (expected is not None)
    assert [expected in w for w in misaligned(report)] == ([True] if expected else [])


def test_the_warning_names_both_paths_and_their_grids():
    report = netspec.analyse(spec(CASES["avg-down"][0]))
    (w,) = [w for w in report.warnings if w.code == "misaligned-join"]
    assert "(0.25 pixels of this map)" in w.message
    assert w.label == (
        "`a` puts output pixel (i, j) on input (2i, 2j); "
        "`b.1` (conv) puts output pixel (i, j) on input (2i + 0.5, 2j + 0.5)"
    )
    assert w.at.line == 3


def test_allow_comment_accepts_it():
    text = spec(CASES["avg-down"][0]).replace("add {", "add {  # netspec: allow(misaligned-join)")
    assert not [w for w in netspec.analyse(text).warnings if w.code == "misaligned-join"]


MODELS = tomllib.loads((SPECS / "index.toml").read_text())["models"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_zoo_is_aligned(name):
    """Every torchvision model of the zoo: each join's paths on one grid (so no warning), and known."""
    model = MODELS[name]
    graph = netspec.build(SPECS / model["spec"], model.get("set", {}))
    found = places(graph)
    joins = [n for n in graph.nodes if n.op in ("add", "concat", "mul")]
    assert all(found[n.id] is not None for n in joins)
    report = netspec.analysis.analyse(graph, expectations=False)
    assert not [w for w in report.warnings if w.code == "misaligned-join"]


# ---- the ops that refine the grid: transposed conv, upsample, interpolate ---------------------------------
#
# Measured on the real layer: an impulse at input pixel c lights the output pixels that sample it, whose
# centroid o* is where c lands on the output grid, so offset + o* * jump == c (the response is symmetric about
# o*; the cases keep o* on a whole or half pixel). Bilinear interpolation reproduces a ramp exactly, so for any
# factor the value at output o of the input ramp x[h] = h is where o samples the input: offset + o * jump.

IMPULSE = {  # one layer on [1, 24, 24]
    "convtranspose-2-s2": "convtranspose(1, 2, stride=2, bias=false)",  # U-Net's up-step
    "convtranspose-3-s2-p1": "convtranspose(1, 3, stride=2, padding=1, output_padding=1, bias=false)",
    "convtranspose-4-s2-p1": "convtranspose(1, 4, stride=2, padding=1, bias=false)",  # DCGAN's
    "convtranspose-3-s3-d2": "convtranspose(1, 3, stride=3, padding=[2, 0], dilation=2, bias=false)",
    "convtranspose-5-s1-p2": "convtranspose(1, 5, padding=2, bias=false)",
    "nearest-2": "upsample(2)",
    "nearest-3x2": "upsample([3, 2])",
    "nearest-size": "interpolate(size=[48, 72])",
    "nearest-shrink": "interpolate(scale=0.5)",
    "bilinear-2": 'upsample(2, mode="bilinear")',
    "bilinear-3-corners": 'upsample(size=[47, 70], mode="bilinear", align_corners=true)',  # r = 1/2, 1/3
    "bicubic-2": 'upsample(2, mode="bicubic")',
    "bicubic-corners": 'interpolate(size=[47, 47], mode="bicubic", align_corners=true)',
}


def one_layer(layer: str, channels: int = 1, size: int = 24) -> str:
    return f"network Up {{\n    input [{channels}, {size}, {size}]\n    {layer}\n}}\n"


def grid_of(text: str) -> tuple[tuple[Fraction, Fraction], ...]:
    """(jump, offset) per spatial dim of the network's output, as netspec places it."""
    graph = netspec.build(text)
    place = places(graph)[graph.output.id]
    return tuple((Fraction(jump), Fraction(twice) / 2) for _, jump, twice in place[1:])


@pytest.mark.parametrize("name", IMPULSE)
def test_an_impulse_lands_where_netspec_places_it(name):
    text = one_layer(IMPULSE[name])
    (jh, oh), (jw, ow) = grid_of(text)
    model = netspec.load(text).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
        for c in [(10, 12), (14, 8)]:  # even: the shrinking nearest samples pixels 0, 2, 4, ...
            x = torch.zeros(1, 1, 24, 24, dtype=torch.float64)
            x[0, 0, c[0], c[1]] = 1.0
            y = model.double()(x)[0, 0]
            for dim, (jump, offset) in enumerate([(jh, oh), (jw, ow)]):
                profile = y.sum(1 - dim)  # the response along this dim
                o = torch.arange(len(profile), dtype=torch.float64)
                centroid = float((o * profile).sum() / profile.sum())
                assert abs(float(offset + jump * Fraction(centroid).limit_denominator(10_000)) - c[dim]) < 1e-9


RAMP = {
    "bilinear-1.5": 'upsample(1.5, mode="bilinear")',
    "bilinear-size": 'interpolate(size=[37, 53], mode="bilinear")',
    "bilinear-corners-size": 'interpolate(size=[37, 53], mode="bilinear", align_corners=true)',
    "bilinear-shrink": 'interpolate(scale=0.75, mode="bilinear")',
}


@pytest.mark.parametrize("name", RAMP)
def test_a_ramp_is_sampled_where_netspec_places_it(name):
    text = one_layer(RAMP[name])
    grids = grid_of(text)
    model = netspec.load(text).eval().double()
    for dim, (jump, offset) in enumerate(grids):
        ramp = torch.arange(24, dtype=torch.float64)
        x = (ramp.view(24, 1) if dim == 0 else ramp.view(1, 24)).expand(24, 24).reshape(1, 1, 24, 24)
        with torch.no_grad():
            y = model(x)[0, 0]
        line = y[:, 3] if dim == 0 else y[3, :]
        for o in range(len(line)):
            at = offset + o * jump
            if 0 <= at <= 23:  # inside the input: no clamping at the border
                assert abs(float(line[o]) - float(at)) < 1e-9, (o, float(line[o]), at)


def test_nearest_by_a_factor_that_is_not_whole_has_no_grid():
    graph = netspec.build(one_layer("upsample(1.5)"))
    assert places(graph)[graph.output.id] is None


# U-Net's skip joins: the encoder's map at full size, and the decoder's, down by 2 and up again. Measured by
# the gradient of each output pixel (as above), averaged over the 2x2 pixels of one up-step: an up-step's
# pixels copy or mix the same coarse pixels, so only their mean position is seen through the whole path.
SKIPS = {
    "unet-convtranspose": ("conv(8, 3, padding=1)", "convtranspose(8, 2, stride=2)", None),
    "unet-bilinear": ("conv(8, 3, padding=1)", 'upsample(2, mode="bilinear")', None),
    "unet-nearest": ("conv(8, 3, padding=1)", "upsample(2)", None),
    # a padded 3x3 pool keeps the centres on 2i; the 2x2 up-step then puts them half a pixel before the skip's
    "padded-pool": ("conv(8, 3, padding=1)", "convtranspose(8, 2, stride=2)", "0.5 rows and 0.5 columns"),
}


def skip_spec(name: str) -> str:
    skip, up, _ = SKIPS[name]
    pool = "avgpool(3, stride=2, padding=1)" if name == "padded-pool" else "avgpool(2)"
    return spec(f"a: {skip}  b: {{ {pool} conv(8, 3, padding=1) {up} }}")


@pytest.mark.parametrize("name", SKIPS)
def test_skip_joins_after_an_up_step(name):
    report, model, joined = join_paths(skip_spec(name))
    block = [(r, c) for r in (12, 13) for c in (14, 15)]
    means = {}
    for path, place in joined:
        means[path] = mean([hit_centres(model, path, pixel) for pixel in block])
        assert means[path] == mean([predicted_centre(place, pixel) for pixel in block])
    expected = SKIPS[name][2]
    assert (len(set(means.values())) > 1) == (expected is not None)
    assert [expected in w for w in misaligned(report)] == ([True] if expected else [])


@pytest.mark.parametrize("corners", [False, True])
def test_a_bilinear_skip_samples_a_ramp_where_netspec_says(corners):
    """Average pooling, convs of equal weights and bilinear upsampling all reproduce a ramp, so each path's value
    at an inner pixel is where that pixel sits on the input, exactly. align_corners=True spreads 16 pixels over
    the span of 32 (31/15 apart, not 2): the grids drift apart and netspec warns."""
    up = f'upsample(2, mode="bilinear", align_corners={str(corners).lower()})'
    text = spec(f"a: conv(8, 3, padding=1)  b: {{ avgpool(2) conv(8, 3, padding=1) {up} }}")
    report, model, joined = join_paths(text)
    model = model.double()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.fill_(1 / m.weight[0].numel())
                m.bias.zero_()
    ramp = torch.arange(32, dtype=torch.float64).view(1, 1, 32, 1).expand(1, 3, 32, 32)
    seen = {}
    for path, _ in joined:
        model.get_submodule(path).register_forward_hook(lambda m, args, out, path=path: seen.setdefault(path, out))
    with torch.no_grad():
        model(ramp)
    sampled = {}
    for path, place in joined:
        _, (_, jump, twice), _ = place
        rows = seen[path][0, 0, :, 16]
        inner = [o for o in range(32) if 4 <= Fraction(twice, 2) + o * jump <= 27]  # no padding reaches them
        assert len(inner) > 20
        for o in inner:
            assert abs(float(rows[o]) - float(Fraction(twice, 2) + o * jump)) < 1e-9
        sampled[path] = {o: float(rows[o]) for o in inner}
    a, b = sampled.values()
    assert any(abs(a[o] - b[o]) > 1e-6 for o in a.keys() & b.keys()) == corners  # pixel o of a and of b apart
    assert ["different strides" in w for w in misaligned(report)] == ([True] if corners else [])


def test_unet_is_aligned_and_every_join_known():
    """specs/unet.net: each 2x2 max pool moves the centres half a step on, each 2x2 up-step half a step back."""
    graph = netspec.build(SPECS / "unet.net")
    found = places(graph)
    joins = [n for n in graph.nodes if n.op == "concat"]
    assert len(joins) == 4 and all(found[n.id] is not None for n in joins)
    for join in joins:
        assert len({found[i] for i in join.inputs}) == 1
    report = netspec.analysis.analyse(graph, expectations=False)
    assert not [w for w in report.warnings if w.code == "misaligned-join"]


# One call for every layer the op table marks `keeps_grid`, on a [4, H, W] map (the mark is what sizes, costs and
# this lint pass through unchanged). A new keeps_grid op without a call here fails the first test.
GRID_KEEPERS = {
    "batchnorm": "batchnorm()",
    "groupnorm": "groupnorm(2)",
    "instancenorm": "instancenorm(affine=true)",
    "layernorm2d": "layernorm2d()",
    "lrn": "lrn(size=3)",
    "dropout": "dropout(0.5)",
    "dropout2d": "dropout2d(0.5)",
    "stochastic_depth": 'stochastic_depth(0.5, mode="row")',
    "layerscale": "layerscale(0.5)",
    "chunk": "chunk(2, 1)",
    "channel_shuffle": "channel_shuffle(2)",
    "softmax": "softmax()",
    "leaky_relu": "leaky_relu(0.1)",
    **{a: f"{a}()" for a in ("relu", "relu6", "elu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid")},
    "identity": "identity()",
}


def test_every_grid_keeper_has_a_call_here():
    from netspec.ops import OPS

    assert {name for name, op in OPS.items() if op.keeps_grid} == GRID_KEEPERS.keys()


@pytest.mark.parametrize("name", sorted(GRID_KEEPERS))
def test_a_grid_keeper_keeps_any_size_and_moves_with_its_input(name):
    """PyTorch's module: the output has the input's height and width at two sizes, and shifting the input by a
    pixel (circularly) shifts the output by that pixel: position (i, j) out stands where (i, j) in does."""
    model = netspec.load(f"network N {{ input [4, 6, 7]  {GRID_KEEPERS[name]} }}").eval()
    torch.manual_seed(0)
    for h, w in ((6, 7), (9, 5)):
        x = torch.randn(2, 4, h, w)
        with torch.no_grad():
            y = model(x)
            assert y.shape[-2:] == (h, w), name
            for dim in (2, 3):
                moved = model(torch.roll(x, 1, dims=dim))
                assert torch.allclose(moved, torch.roll(y, 1, dims=dim), atol=1e-6), (name, dim)


# Every layer the op table marks `fixed_grid` (sizes, costs and this lint stop varying with the input there).
GRID_FIXERS = {
    "adaptive_avgpool": "adaptive_avgpool(3)",
    "adaptive_maxpool": "adaptive_maxpool(3)",
    "global_avgpool": "global_avgpool()",
    "global_maxpool": "global_maxpool()",
}


def test_every_grid_fixer_has_a_call_here():
    from netspec.ops import OPS

    assert {name for name, op in OPS.items() if op.fixed_grid} == GRID_FIXERS.keys()


@pytest.mark.parametrize("name", sorted(GRID_FIXERS))
def test_a_grid_fixer_gives_one_size_whatever_its_input(name):
    """PyTorch's module at three input sizes: one output height and width, the one netspec declares."""
    model = netspec.load(f"network N {{ input [4, 6, 7]  {GRID_FIXERS[name]} }}").eval()
    declared = netspec.build(f"network N {{ input [4, 6, 7]  {GRID_FIXERS[name]} }}").output.out_shape[1:]
    with torch.no_grad():
        shapes = {tuple(model(torch.randn(1, 4, h, w)).shape[-2:]) for h, w in ((6, 7), (9, 5), (13, 16))}
    assert shapes == {declared}, name
