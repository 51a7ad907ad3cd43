"""Generated PyTorch source: standalone, deterministic, importable, readable (goldens), and the same model as load."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import netspec
from netspec.backends.torch import build_module, emit_source

ROOT = Path(__file__).parent.parent
SPECS = ROOT / "specs"
NETSPEC = str(Path(sys.executable).parent / "netspec")
LONG_NAMES = Path(__file__).parent / "layout" / "long_names.net"

# Blocks with variants, a pad shortcut, a named concat, inits, a named residual and a group that is not a chain.
SHOWCASE = """\
network Showcase(classes: int = 10) {
    input [3, 16, 16]

    block Unit(out: int, stride: int = 1) {
        residual {
            conv1: conv(out, 3, stride=stride, padding=1, bias=false, init="kaiming")
            bn1:   batchnorm()
            relu:  relu(inplace=true)
            conv2: conv(out, 3, padding=1, bias=false, init="kaiming")
            bn2:   batchnorm(zero_init=true)
        } shortcut pad
        relu(inplace=true)
    }

    block Mixer(a: int, b: int) {
        concat {
            left:  conv(a, 1)
            right: { conv(b, 1)  conv(b, 3, padding=1, dilation=1) }
            identity()
        }
    }

    stem:   conv(8, 3, padding=1, bias=false)
    stage1: { Unit(8)  Unit(16, stride=2)  Unit(16) }
    mix1:   Mixer(4, 4)
    mix2:   Mixer(8, 2)
    tail: {
        residual { conv(34, 1) } shortcut identity
        maxpool(2, ceil_mode=true)
    }
    pool:   global_avgpool()
    flatten()
    head:   linear(classes, init="xavier")
}
"""


def module_from(text: str, name: str = "generated"):
    """Execute generated source as a fresh module."""
    module = type(sys)(name)
    exec(compile(text, f"<{name}>", "exec"), module.__dict__)
    return module


def network_class(module):
    return getattr(module, module.__all__[-1])


def test_golden_alexnet(golden):
    golden.check("source/alexnet.py", netspec.compile_source(SPECS / "alexnet.net"))


def test_golden_showcase(golden):
    golden.check("source/showcase.py", netspec.compile_source(SHOWCASE))


def test_golden_long_names(golden):
    """Lines too long for 120 columns, broken as `ruff format` breaks them (the golden is checked by ruff format)."""
    golden.check("source/long_names.py", netspec.compile_source(LONG_NAMES))


def test_long_names_compile_to_the_live_module():
    graph = netspec.build(LONG_NAMES)
    torch.manual_seed(5)
    live = build_module(graph).eval()
    torch.manual_seed(5)
    written = network_class(module_from(emit_source(graph).text))().eval()
    assert list(live.state_dict()) == list(written.state_dict())
    written.load_state_dict(live.state_dict(), strict=True)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        a, b = live(x), written(x)
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_same_spec_same_bytes():
    first = netspec.compile_source(SHOWCASE)
    assert all(netspec.compile_source(SHOWCASE) == first for _ in range(3))


def test_standalone_imports_only_torch():
    for spec in [SHOWCASE, SPECS / "resnet18.net", SPECS / "resnet_cifar.net"]:
        tree = ast.parse(netspec.compile_source(spec))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert imported <= {"torch", "torch.nn.functional", "collections"}, imported


def test_generated_equals_live_module():
    graph = netspec.build(SHOWCASE)
    generated = network_class(module_from(emit_source(graph).text))
    torch.manual_seed(3)
    live = build_module(graph).eval()
    torch.manual_seed(3)
    written = generated().eval()
    assert [n for n, _ in live.named_modules()] == [n for n, _ in written.named_modules()]
    a, b = live.state_dict(), written.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)  # same seed, same weights
    assert float(a["stage1.0.bn2.weight"].abs().sum()) == 0.0  # zero_init
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(live(x), written(x))


def test_classes_are_shared_and_parameterised():
    code = netspec.compile_source(SHOWCASE)
    assert code.count("class Unit(nn.Sequential)") == 1 and code.count("class Mixer(nn.Sequential)") == 1
    assert "class UnitPad(nn.Sequential)" in code  # the variant whose shortcut pads
    assert "Mixer(in_channels=16, a=4, b=4)" in code and "Mixer(in_channels=24, a=8, b=2)" in code
    assert "kaiming_init(nn.Conv2d(" in code and "zero_gamma_init(nn.BatchNorm2d(" in code


def test_forward_lines_carry_shape_and_spec_line():
    graph = netspec.build(SPECS / "resnet18.net")
    source = emit_source(graph)
    lines = source.text.splitlines()
    forward = [n for n, line in enumerate(lines, 1) if " = self." in line and "#" in line and "(x" in line]
    assert forward
    for number in forward:
        span = source.spans[number]
        assert lines[number - 1].endswith(f"resnet18.net:{span.line}")
    assert "        x = self.maxpool(x)  # [64, 56, 56]  resnet18.net:19" in lines


def test_compile_to_stdout_and_file_agree(tmp_path):
    out = tmp_path / "resnet18.py"
    printed = subprocess.run(
        [NETSPEC, "compile", str(SPECS / "resnet18.net")], capture_output=True, text=True, check=True
    ).stdout
    done = subprocess.run(
        [NETSPEC, "compile", str(SPECS / "resnet18.net"), "-o", str(out)], capture_output=True, text=True, check=True
    )
    assert out.read_text() == printed and "from resnet18 import ResNet18" in done.stderr
    dash = subprocess.run(
        [NETSPEC, "compile", str(SPECS / "resnet18.net"), "-o", "-"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert dash.stdout == printed and not (tmp_path / "-").exists()  # `-o -` is stdout, not a file named `-`
    check = "from resnet18 import ResNet18; import sys; m = ResNet18(); assert 'netspec' not in sys.modules"
    subprocess.run([sys.executable, "-c", check], cwd=tmp_path, check=True)


def test_compile_with_parameters(tmp_path):
    out = tmp_path / "cifar.py"
    subprocess.run(
        [NETSPEC, "compile", str(SPECS / "resnet18.net"), "--set", "classes=10", "-o", str(out)],
        check=True,
        capture_output=True,
    )
    code = out.read_text()
    assert "def __init__(self, classes: int = 10) -> None:" in code and "nn.Linear(512, classes)" in code
    assert network_class(module_from(code))().fc.out_features == 10


def _outputs(model, x):
    torch.manual_seed(0)
    with torch.no_grad():
        return model.eval()(x)


@pytest.mark.parametrize(
    "spec, params, changed",
    [
        ("alexnet.net", {}, {"classes": 7, "dropout": 0.1}),
        ("squeezenet.net", {"version": 1.1}, {"classes": 5}),  # classes is a conv's channels there, not a linear's
        ("convnext.net", {"variant": "tiny"}, {"classes": 3, "layer_scale": 0.5}),  # passed into every block
        ("googlenet.net", {}, {"classes": 4}),
    ],
)
def test_network_parameters_are_constructor_arguments(spec, params, changed):
    """The network's class takes the parameters that only move numbers, with the compiled values as defaults;
    built with other values it is the model the spec gives for them (same keys, shapes and outputs)."""
    code = netspec.compile_source(SPECS / spec, **params)
    cls = network_class(module_from(code))
    torch.manual_seed(1)
    written = cls(**changed)
    torch.manual_seed(1)
    live = netspec.load(SPECS / spec, **params, **changed)
    a, b = live.state_dict(), written.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
    x = torch.randn(1, *netspec.build(SPECS / spec, params).input.shape)
    assert torch.equal(_outputs(live, x), _outputs(written, x))


def test_structural_and_derived_parameters_stay_compiled_in():
    """depth changes the layers, width_per_group feeds `width * groups / 64`-style values, and an input-sizing
    parameter moves nothing in the code: none becomes an argument, and the source says what it was built with."""
    resnet = netspec.compile_source(SPECS / "resnet.net", depth=50, width_per_group=128)
    assert "    def __init__(self, classes: int = 1000) -> None:" in resnet
    assert "(depth=50, groups=1, width_per_group=128, classes=1000, dilate=[false, false, false])" in resnet
    stack = netspec.compile_source(SPECS / "stack.net")  # `channels` sizes the input: not an argument
    assert "    def __init__(self) -> None:\n        super().__init__(\n            nn.Conv2d(64, 64, 3" in stack
    cifar = netspec.compile_source(SPECS / "resnet_cifar.net")  # plain: a bool that changes the graph
    assert "    def __init__(self, classes: int = 10) -> None:" in cifar


def test_numbered_members_read_as_pytorch_writes_them():
    """No add_module/getattr for numbered members: a class holding them is an nn.Sequential and indexes them."""
    for spec in sorted(SPECS.glob("*.net")):
        code = netspec.compile_source(spec)
        assert "add_module(" not in code and "getattr(self" not in code, spec.name
    lenet = netspec.compile_source(SPECS / "lenet5.net")
    assert '            ("1", nn.ReLU()),' in lenet and "        x = self[1](x)" in lenet
    assert "class LeNet5(nn.Sequential):" in lenet


@pytest.mark.parametrize("target", ["missing/dir/out.py", "a_directory"])
def test_unwritable_output_is_a_clear_error_and_leaves_nothing(tmp_path, target):
    (tmp_path / "missing").write_text("a file where a directory should be")
    (tmp_path / "a_directory").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = subprocess.run(
        [NETSPEC, "compile", str(SPECS / "lenet5.net"), "-o", str(tmp_path / target)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "error: cannot write" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_existing_output_is_replaced_whole(tmp_path):
    out = tmp_path / "lenet.py"
    out.write_text("old")
    subprocess.run([NETSPEC, "compile", str(SPECS / "lenet5.net"), "-o", str(out)], check=True, capture_output=True)
    assert out.read_text() == netspec.compile_source(SPECS / "lenet5.net")
    assert [p.name for p in tmp_path.iterdir()] == ["lenet.py"]


def test_spec_errors_are_reported_not_compiled(tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("network Bad {\n    input [3, 8, 8]\n    conv(4, 9)\n}\n")
    result = subprocess.run(
        [NETSPEC, "compile", str(bad), "-o", str(tmp_path / "bad.py")], capture_output=True, text=True
    )
    assert result.returncode == 1 and "collapses" in result.stderr and not (tmp_path / "bad.py").exists()
