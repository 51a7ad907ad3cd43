"""netspec.analysis.alignment and the misaligned-join lint, against PyTorch: the gradient of one output pixel of
each path of a join lands on the input pixels netspec says (the centre of their bounding box is the path's
offset + i * jump), so paths netspec calls shifted really sum pixels of different places. ~3 s."""

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


@pytest.mark.parametrize("name", CASES)
def test_paths_land_where_netspec_says(name):
    paths, expected = CASES[name]
    text = spec(paths)
    report = netspec.analyse(text)
    graph = report.graph
    found = places(graph)
    join = next(n for n in graph.nodes if n.op == "add")
    model = netspec.load(text).eval()
    centres = {}
    for i in join.inputs:
        node = graph.nodes[i]
        _, (_, jh, oh), (_, jw, ow) = found[i]
        for pixel in [(3, 4), (5, 2)]:
            expected_centre = (Fraction(oh, 2) + pixel[0] * jh, Fraction(ow, 2) + pixel[1] * jw)
            assert hit_centres(model, node.path, pixel) == expected_centre
        centres[node.path] = hit_centres(model, node.path, (3, 4))
    warnings = [w for w in report.warnings if w.code == "misaligned-join"]
    assert (len(set(centres.values())) > 1) == (expected is not None)
    assert [expected in w.message for w in warnings] == ([True] if expected else [])


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
