"""`netspec sizes`: the verdict for every input size equals PyTorch's (a forward pass that runs, with the output
shape netspec predicts at that size); the compact descriptions and rejections say what and where."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import specs as random_specs

import netspec
from netspec.analysis.patterns import pattern

SPECS = Path(__file__).parent.parent / "specs"
RANDOM = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# A join whose paths round differently (ceil vs floor: equal only for even sizes), ceil-mode and dilated
# windows, and a flatten + linear head that pins H' * W'.
JOINS = """network J {
    input [3, 24, 20]
    c1: conv(4, 5)
    add {
        conv(4, 3, stride=2, padding=1)
        avgpool(2)
    }
    maxpool(3, stride=2, ceil_mode=true)
    conv(4, 3, dilation=2, padding=1)
    flatten()
    fc: linear(5)
}
"""
FULLY_CONV = """network F {
    input [3, 40, 40]
    conv(8, [3, 5], stride=[2, 3])
    concat {
        maxpool(2)
        conv(4, 2, stride=2)
    }
    relu()
}
"""


def torch_output(model, c: int, h: int, w: int) -> tuple[int, ...] | None:
    """The output shape of a forward pass at [c, h, w], or None when PyTorch refuses it."""
    try:
        with torch.no_grad():
            return tuple(model(torch.zeros(1, c, h, w)).shape[1:])
    except (RuntimeError, ValueError):  # group/instance norm of a single value raise ValueError
        return None


def agree(source, pairs, **params) -> None:
    """netspec's verdict at each (h, w) is PyTorch's, and where legal so is the output shape."""
    model = netspec.load(source, **params).eval()  # eval: batchnorm of one sample at 1x1 would need a batch
    found = netspec.sizes(source, limit=256, **params)
    c, verdicts = found.graph.input.shape[0], set()
    for h, w in pairs:
        out = torch_output(model, c, h, w)
        assert found.legal(h, w) == (out is not None), (h, w, out)
        assert out is None or out == found.output(h, w), (h, w)
        verdicts.add(out is not None)
    return verdicts


def sample(limit: int, n: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(rng.randint(1, limit), rng.randint(1, limit)) for _ in range(n)]


@pytest.mark.parametrize(
    "source, params, limit, kinds",
    [
        (JOINS, {}, 60, 2),
        (FULLY_CONV, {}, 60, 2),
        ("lenet5.net", {}, 40, 2),
        ("resnet_cifar.net", {"depth": 8}, 70, 1),
        ("googlenet.net", {}, 40, 2),
        ("alexnet.net", {}, 100, 2),
    ],
)
def test_the_verdict_is_pytorch_s_at_random_sizes(source, params, limit, kinds):
    source = SPECS / source if source.endswith(".net") else source
    pairs = sample(limit, 40, seed=len(str(source)))
    graph = netspec.build(source, params)
    pairs.append(graph.input.shape[1:])  # the declared size is legal (checked to 256)
    assert len(agree(source, pairs, **params)) == kinds  # legal and rejected sizes were both tried (a ResNet
    # takes every size)


@RANDOM
@given(random_specs(), st.randoms(use_true_random=False))
def test_the_verdict_is_pytorch_s_for_random_specs(spec, rng):
    graph = netspec.build(spec.text)
    _, h, w = graph.input.shape
    pairs = [(rng.randint(1, 2 * h), rng.randint(1, 2 * w)) for _ in range(3)] + [(h, w)]
    agree(spec.text, pairs)


def test_a_join_that_rounds_two_ways_accepts_even_sizes_only():
    found = netspec.sizes(JOINS).to_dict()
    add = next(r for r in found["height"]["rejected"] if r["layer"] == "add")
    assert add["text"] == "H >= 7 with H ≡ 1 (mod 2)" and add["reason"] == "join"
    assert add["at"]["line"] == 4 and add["detail"] == "path 1 gives 2, path 2 gives 1"
    first = found["height"]["rejected"][0]
    assert (first["layer"], first["text"], first["at"]["line"]) == ("c1", "1..4", 3)
    assert "floor((1 - 5 + 2*0)/1) + 1 = -3" in first["detail"]


def test_flatten_then_linear_couples_height_and_width():
    found = netspec.sizes(SPECS / "lenet5.net")
    assert found.to_dict()["height"]["text"] == "32..35"  # with W = 32, H' must be 5
    assert found.legal(32, 32) and found.legal(35, 32)
    assert not found.legal(36, 32) and not found.legal(36, 36)
    assert found.coupling.area == 25


def test_resnets_take_every_size():
    found = netspec.sizes(SPECS / "resnet.net", depth=50).to_dict()
    assert found["height"]["text"] == "every H" and found["width"]["count"] == 4096
    assert found["coupled"] is None  # adaptive pooling fixes the features


@pytest.mark.parametrize(
    "mask, text",
    [
        (lambda x: x >= 32, "every H >= 32"),
        (lambda x: (x >= 8) & (x % 2 == 0), "H >= 8 with H ≡ 0 (mod 2)"),
        (lambda x: x % 32 == 0, "H >= 32 with H ≡ 0 (mod 32)"),
        (lambda x: (x >= 5) & (x % 4 != 1), "H >= 6 with H ≢ 1 (mod 4)"),
        (lambda x: (x == 3) | (x == 5) | (x >= 9) & (x % 2 == 1), "H >= 9 with H ≡ 1 (mod 2); also 3, 5"),
        (lambda x: x < 5, "1..4"),
        (lambda x: x < 0, "none"),
    ],
)
def test_patterns_are_compact_and_exact(mask, text):
    x = np.arange(1, 4097)
    m = mask(x)
    p = pattern(m)
    assert p.text() == text and p.count == m.sum()
    rebuilt = np.zeros(4096, dtype=bool)  # the description, read back, is the set itself
    for a, b in p.runs:
        rebuilt[a - 1 : b] = True
    if p.modulus:
        rebuilt |= (x >= p.start) & np.isin(x % p.modulus, p.residues)
    assert (rebuilt == m).all()


def test_cli_text_and_json(cli):
    code, out, _ = cli("sizes", str(SPECS / "googlenet.net"))
    line = next(
        i
        for i, row in enumerate((SPECS / "googlenet.net").read_text().splitlines(), 1)
        if row.lstrip().startswith("maxpool3:")
    )
    assert code == 0 and "height (width 224): every H >= 15" in out
    assert "7..14:  maxpool3 (" in out and f"googlenet.net:{line}:18) output height collapses below 1" in out
    code, out, _ = cli("sizes", str(SPECS / "googlenet.net"), "--max", "512", "--json")
    data = json.loads(out)
    assert code == 0 and data["limit"] == 512 and data["width"]["count"] == 512 - 14


def test_cli_rejects_a_flat_input(cli, tmp_path):
    spec = tmp_path / "flat.net"
    spec.write_text("network N {\n    input [16]\n    linear(4)\n}\n")
    code, _, err = cli("sizes", str(spec))
    assert code == 1 and "no height and width" in err and "Traceback" not in err
