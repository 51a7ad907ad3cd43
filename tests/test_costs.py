"""netspec.analysis.costs: costs at several input sizes and their exact formulas in H and W, against PyTorch.

Each formula is evaluated at sizes it was not derived from and compared with a real forward pass: parameters
counted on the module, MACs by FlopCounterMode (conv and matmul), activations as the bytes of every module's
output (plus the input) seen by forward hooks, and the output's shape. ~6 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import netspec
from netspec.analysis.costs import parse_sizes, periods

SPECS = Path(__file__).parent.parent / "specs"
RESNET18 = str(SPECS / "resnet18.net")
MAC_OPS = {"convolution", "mm", "addmm"}

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# Every op a module (so hooks see every activation); ceil_mode, an odd padding and adaptive pooling on purpose.
POOLED = """
network Pooled(pool: int = 3) {
    input [3, 64, 64]
    conv(8, 3, stride=2, padding=1)
    relu()
    maxpool(3, stride=2, ceil_mode=true)
    conv(16, 5, padding=1)
    batchnorm()
    avgpool(2)
    adaptive_avgpool(pool)
    flatten()
    linear(10)
}
"""


def measured(model: nn.Module, shape: tuple[int, ...]) -> dict:
    """What PyTorch says at one input shape: params, MACs, bytes of every module's output plus the input."""
    x = torch.randn(1, *shape)
    outputs = []
    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(lambda m, i, o: outputs.append(o.numel() * o.element_size())) for m in leaves]
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        y = model(x)
    for h in handles:
        h.remove()
    flops = counter.get_flop_counts().get("Global", {})
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "macs": sum(n for op, n in flops.items() if op.__name__.split(".")[0] in MAC_OPS) // 2,
        "activation_bytes": x.numel() * 4 + sum(outputs),
        "output": tuple(y.shape[1:]),
    }


def formula_values(formula, h: int, w: int) -> dict:
    terms = formula.terms
    output = tuple(int(terms[n](h, w)) for n in sorted(t for t in terms if t.startswith("output.")))
    return {**{k: terms[k](h, w) for k in ("params", "macs", "activation_bytes")}, "output": output}


def test_sizes_syntax():
    assert parse_sizes("3x224x224,3x320x320") == [(3, 224, 224), (3, 320, 320)]
    assert parse_sizes("3x{224..320..32}") == [(3, s, s) for s in (224, 256, 288, 320)]
    assert parse_sizes("3x{224,256}x{100..101}") == [(3, 224, 100), (3, 224, 101), (3, 256, 100), (3, 256, 101)]
    assert parse_sizes("1x28, 1x28x28") == [(1, 28, 28)]
    for bad in ("3x", "3x224x224x2", "3x{320..224}", "3x{1..5..0}", "3x{a}", "3x{1..1000}x{1..1000}", "0x5"):
        with pytest.raises(ValueError):
            parse_sizes(bad)


def test_resnet_formulas_equal_pytorch_at_sizes_they_were_not_solved_from():
    found = netspec.costs(SPECS / "resnet18.net", "3x{64..96..32},3x65x97")
    assert [f.residue for f in found.formulas] == [(0, 0), (1, 1)] and found.formulas[0].modulus == (32, 32)
    assert all(f.proven for f in found.formulas)
    model = netspec.load(SPECS / "resnet18.net").eval()
    for formula, (h, w) in zip(found.formulas, [(160, 96), (129, 65)], strict=True):
        assert (h, w) not in formula.derived_from
        expected, truth = formula_values(formula, h, w), measured(model, (3, h, w))
        del expected["activation_bytes"], truth["activation_bytes"]  # the residual adds are no modules to hook
        assert expected == truth
    # fully convolutional up to the adaptive pool: a·H·W + constant on multiples of 32, output fixed
    macs = found.formulas[0].terms["macs"]
    assert macs.hw > 0 and macs.h == macs.w == 0 and found.formulas[0].terms["output.0"].text() == "1,000"


def test_the_formula_of_one_class_is_wrong_on_another():
    """Flooring: a size one step off the period gives other constants, so the class is part of the answer."""
    found = netspec.costs(SPECS / "resnet18.net", "3x64")
    model = netspec.load(SPECS / "resnet18.net").eval()
    truth = measured(model, (3, 65, 65))["macs"]
    assert found.formulas[0].terms["macs"](65, 65) != truth
    assert netspec.costs(SPECS / "resnet18.net", "3x65").formulas[0].terms["macs"](65, 65) == truth


@pytest.mark.parametrize("pool", [1, 3])
def test_pooled_net_with_ceil_mode_and_adaptive_pool(pool):
    found = netspec.costs(POOLED, "3x{40..64..8},3x41x47", pool=pool)
    model = netspec.load(POOLED, pool=pool).eval()
    assert {f.modulus for f in found.formulas} == {(8, 8)}
    for formula in found.formulas:
        for h, w in [
            (formula.residue[0] + 80, formula.residue[1] + 88),
            (formula.residue[0] + 96, 200 - 200 % 8 + formula.residue[1]),
        ]:
            assert formula_values(formula, h, w) == measured(model, (3, h, w))
    assert all(p.activation_bytes == measured(model, p.input)["activation_bytes"] for p in found.points)


def test_params_that_grow_with_the_input():
    """LeNet's first linear is built for 16*h*w features: its parameters are a formula in H and W too."""
    found = netspec.costs(SPECS / "lenet5.net", "1x{28..32..4}")
    (formula,) = found.formulas
    assert formula.terms["params"].hw == 120  # fc1: 16 * (H - 12)/4 * (W - 12)/4 features, 120 weights each
    for h, w in [(44, 52), (60, 36)]:
        assert formula_values(formula, h, w) == measured(netspec.load(SPECS / "lenet5.net", input=(1, h, w)), (1, h, w))


def test_rejected_sizes_say_where():
    found = netspec.costs(SPECS / "lenet5.net", "1x8,1x32")
    bad, good = found.points
    assert bad.macs is None and "lenet5.net:" in bad.error and good.error is None
    assert [f.residue for f in found.formulas] == [(0, 0)]


def test_periods_stop_at_global_pooling():
    graph = netspec.build(SPECS / "resnet.net", {"depth": 50})
    assert periods(graph) == ((32, 32), set())


def test_cli_table_and_json(cli):
    code, out, err = cli("summary", RESNET18, "--input", "3x{224..288..32}")
    assert code == 0, err
    assert "exact for every H ≡ 0 (mod 32), W ≡ 0 (mod 32)" in out
    assert "MACs                = " in out and "3x288x288" in out
    data = json.loads(cli("summary", RESNET18, "--input", "3x224,3x225", "--json")[1])
    assert [p["input"] for p in data["points"]] == [[3, 224, 224], [3, 225, 225]]
    assert data["points"][0]["macs"] == 1_814_073_344
    (num, den) = data["formulas"][0]["terms"]["macs"]["coefficients"]["1"]
    assert den == 1 and num == 512_000  # the fc layer, whatever the size


@pytest.mark.parametrize(
    "args",
    [
        ["--input", "3x{1..5..0}"],
        ["--input", "3x224,3x256", "--depth", "1"],
        [str(SPECS / "lenet5.net"), "--input", "3x224,3x256"],
    ],
)
def test_cli_usage_errors(cli, args):
    code, out, err = cli("summary", RESNET18, *args)
    assert code == 2 and "error" in err and not out


# Two outputs at different strides: `half` after the first conv, `out` after a ceil_mode pool and a conv.
TWO_OUTPUTS = """
network Two {
    input [3, 32, 32]
    conv(8, 3, stride=2, padding=1)
    output half
    maxpool(3, stride=2, ceil_mode=true)
    conv(4, 3)
    output out
}
"""


def output_shapes(model: nn.Module, shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """The shape of each output of the forward pass's dict, without the batch."""
    with torch.no_grad():
        y = model(torch.randn(1, *shape))
    return {name: tuple(t.shape[1:]) for name, t in y.items()}


def test_every_output_of_a_network_has_its_shape_and_formula():
    found = netspec.costs(TWO_OUTPUTS, "3x{32..48..8},3x33x41")
    model = netspec.load(TWO_OUTPUTS).eval()
    for point in found.points:
        assert dict(point.outputs) == output_shapes(model, point.input)
        assert point.output == point.outputs[1][1]  # `out` is the main output
    assert len(found.formulas) == 2
    for formula in found.formulas:
        h, w = formula.residue[0] + 96, formula.residue[1] + 104  # sizes it was not solved from
        shapes = {
            name: tuple(int(formula.terms[f"outputs.{name}.{i}"](h, w)) for i in range(3)) for name in ("half", "out")
        }
        assert shapes == output_shapes(model, (3, h, w))


def test_cli_shows_each_output_per_size_and_formula(cli, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(TWO_OUTPUTS))
    code, out, err = cli("summary", "-", "--input", "3x32x32,3x33x41")
    assert code == 0, err
    sizes = [line.split("│") for line in out.splitlines() if line.startswith("3x")]
    assert [[cell.strip() for cell in row[:3]] for row in sizes] == [
        ["3x32x32", "[8, 16, 16]", "[4, 6, 6]"],
        ["3x33x41", "[8, 17, 21]", "[4, 6, 8]"],  # ceil((17 - 3) / 2) + 1 = 8, then 8 - 2
    ]
    assert "output half" in out.splitlines()[1] and "output out" in out.splitlines()[1]
    assert out.count("  output half ") == 2 and out.count("  output out ") == 2  # in each class's formula
    code, out, _ = cli("summary", "-", "--input", "3x32x32,3x33x41", "--json")
    data = json.loads(out)
    assert data["points"][1]["outputs"] == {"half": [8, 17, 21], "out": [4, 6, 8]}
    assert data["formulas"][0]["terms"]["outputs.half.1"]["text"] == "H/2"


def test_a_spec_that_does_not_read_is_an_error_not_a_rejection_per_size(cli, tmp_path):
    """The spec is read once for every size: a syntax error is told once and fails the command (it was a
    `rejected` row per size, exit status 0)."""
    bad = tmp_path / "bad.net"
    bad.write_text("network N {\n    input [3, 8, 8]\n    conv(4, 3\n}\n")
    code, out, err = cli("summary", str(bad), "--input", "3x8,3x9")
    assert code == 1 and out == "" and f"--> {bad}:4:1" in err and "rejected" not in err
