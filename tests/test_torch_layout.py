"""The module tree of a DAG (netspec/backends/torch/layout.py): values read across scopes, several outputs.

A container takes the values it reads from outside after `x` and returns the values of its own that are read
outside after its main output; the live module and the generated source follow that one layout, so both give
the same state_dict keys, the same outputs and the shapes the static analysis states. Random specs with skips
across scopes (into an inner member of an earlier sibling group), tensor block parameters and `output`
statements check it; the generator tracks every shape itself, with PyTorch's formula written out here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netspec
from netspec.backends.torch import build_module, emit_source
from netspec.backends.torch.layout import layout

pytestmark = pytest.mark.usefixtures("torch_one_thread")

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def generated(graph):
    """The network class of the generated source, executed as a fresh module."""
    module = type(sys)("generated")
    exec(compile(emit_source(graph).text, "<generated>", "exec"), module.__dict__)
    return getattr(module, module.__all__[-1])


def run_both(graph, seed: int = 0):
    """The live module and the generated class, built under one seed, in eval mode."""
    torch.manual_seed(seed)
    live = build_module(graph).eval()
    torch.manual_seed(seed)
    written = generated(graph)().eval()
    return live, written


def as_dict(result) -> dict[str, torch.Tensor]:
    return result if isinstance(result, dict) else {"": result}


# ---- random DAG specs ----------------------------------------------------------------------------


def conv_size(w: int, k: int, s: int, p: int) -> int:
    return (w + 2 * p - k) // s + 1


@dataclass
class Scope:
    """A namespace being written: the references it can make, as (text, shape)."""

    refs: list[tuple[str, tuple]] = field(default_factory=list)


@dataclass
class DagSpec:
    text: str
    outputs: list[tuple[str, tuple]]  # (name, shape) in declaration order; ("", shape) when none is declared


class Dag:
    """Writes a random valid network whose members read values from anywhere before them."""

    def __init__(self, draw):
        self.draw = draw
        self.labels = 0
        self.blocks: list[str] = []
        self.outputs: list[tuple[str, tuple]] = []

    def label(self) -> str:
        self.labels += 1
        return f"m{self.labels}"

    def visible(self, stack: list[Scope], shape, exact: bool) -> list[tuple[str, tuple]]:
        """References usable here: same H and W (a concat), or the same shape (an add)."""
        refs = [r for scope in stack for r in scope.refs]
        return [r for r in refs if (r[1] == shape if exact else r[1][1:] == shape[1:])]

    def network(self) -> DagSpec:
        first = (self.draw(st.integers(1, 4)), self.draw(st.integers(6, 12)), self.draw(st.integers(6, 12)))
        lines, shape = self.body([Scope()], first, depth=0)
        if self.outputs and self.draw(st.booleans()):
            lines.append("output final")
            self.outputs.append(("final", shape))
        text = "\n".join(
            [
                *self.blocks,
                "network Dag {",
                f"    input [{', '.join(map(str, first))}]",
                *("    " + line for line in lines),
                "}",
            ]
        )
        return DagSpec(text, self.outputs or [("", shape)])

    def body(self, stack: list[Scope], shape, depth: int) -> tuple[list[str], tuple]:
        lines = []
        for _ in range(self.draw(st.integers(1, 4 if depth else 6))):
            line, shape = self.member(stack, shape, depth)
            lines.append(line)
        return lines, shape

    def member(self, stack: list[Scope], shape, depth: int) -> tuple[str, tuple]:
        kinds = ["conv", "conv", "act", "concat", "add", "restart", "block", "output", "side"]
        kind = self.draw(st.sampled_from(kinds + (["group", "group"] if depth < 2 else [])))
        return getattr(self, kind)(stack, shape, depth)

    def named(self, stack: list[Scope], text: str, shape, labelled: bool = True) -> str:
        if not labelled or not self.draw(st.booleans()):
            return text
        name = self.label()
        stack[-1].refs.append((f"@{name}", shape))
        return f"{name}: {text}"

    def conv(self, stack, shape, depth):
        _, h, w = shape
        out = self.draw(st.integers(1, 6))
        k = self.draw(st.sampled_from([1, 3]))
        s = self.draw(st.sampled_from([1, 1, 2])) if min(h, w) >= 4 else 1
        new = (out, conv_size(h, k, s, k // 2), conv_size(w, k, s, k // 2))
        return self.named(stack, f"conv({out}, {k}, stride={s}, padding={k // 2})", new), new

    def act(self, stack, shape, depth):
        text = self.draw(st.sampled_from(["relu()", "relu(inplace=true)", "sigmoid()", "batchnorm()"]))
        return self.named(stack, text, shape), shape

    def concat(self, stack, shape, depth):
        refs = self.visible(stack, shape, exact=False)
        if not refs:
            return self.act(stack, shape, depth)
        text, other = self.draw(st.sampled_from(refs))
        new = (shape[0] + other[0], *shape[1:])
        return self.named(stack, f"concat {{ {text}  identity() }}", new), new

    def add(self, stack, shape, depth):
        refs = self.visible(stack, shape, exact=True)
        if not refs:
            return self.act(stack, shape, depth)
        text, _ = self.draw(st.sampled_from(refs))
        return self.named(stack, f"add {{ {text}  identity() }}", shape), shape

    def restart(self, stack, shape, depth):
        """`@ref` as a member: the chain goes on from there."""
        refs = [r for scope in stack for r in scope.refs]
        if not refs:
            return self.conv(stack, shape, depth)
        text, other = self.draw(st.sampled_from(refs))
        return text, other

    def group(self, stack, shape, depth):
        name = self.label()
        inner = Scope()
        lines, new = self.body([*stack, inner], shape, depth + 1)
        stack[-1].refs.append((f"@{name}", new))  # the group, and (through it) every labelled member inside
        stack[-1].refs += [(f"@{name}.{text[1:]}", s) for text, s in inner.refs]
        return f"{name}: {{ " + "  ".join(lines) + " }", new

    def block(self, stack, shape, depth):
        """A block with a tensor parameter joined to its chain: `B(c, skip=@ref)`."""
        _, h, w = shape
        out = self.draw(st.integers(1, 4))
        refs = [r for r in self.visible(stack, shape, exact=False)]
        if not refs:
            return self.conv(stack, shape, depth)
        text, other = self.draw(st.sampled_from(refs))
        name = f"B{len(self.blocks)}"
        self.blocks.append(
            f"block {name}(c: int, skip: tensor) {{ conv(c, 3, padding=1)  relu()  concat {{ @skip  identity() }} }}"
        )
        new = (out + other[0], h, w)
        return self.named(stack, f"{name}({out}, skip={text})", new), new

    def output(self, stack, shape, depth):
        name = f"o{len(self.outputs)}"
        self.outputs.append((name, shape))
        return f"output {name}", shape

    def side(self, stack, shape, depth):
        """`output NAME { ... }`: a side branch from the chain or from a reference; the chain goes on as it was."""
        name = f"o{len(self.outputs)}"
        refs = [r for scope in stack for r in scope.refs]
        start, start_shape = self.draw(st.sampled_from(refs)) if refs and self.draw(st.booleans()) else ("", shape)
        out = self.draw(st.integers(1, 3))
        self.outputs.append((name, (out, *start_shape[1:])))
        return f"output {name} {{ {start}  conv({out}, 1) }}", shape


@st.composite
def dags(draw) -> DagSpec:
    return Dag(draw).network()


def check_shapes(spec: DagSpec, graph, results: dict[str, torch.Tensor]) -> None:
    stated = [(name, graph.nodes[i].shape) for name, i in graph.outputs]
    assert stated == spec.outputs, spec.text  # netspec's static shapes are the generator's
    assert list(results) == [name for name, _ in spec.outputs]
    for (name, shape), value in zip(spec.outputs, results.values(), strict=True):
        assert tuple(value.shape[1:]) == shape, (name, spec.text)


@SETTINGS
@given(dags())
def test_random_dags_live_equals_generated_and_the_static_shapes(spec):
    graph = netspec.build(spec.text)
    live, written = run_both(graph)
    assert list(live.state_dict()) == list(written.state_dict())
    x = torch.randn(2, *graph.input.shape)
    with torch.no_grad():
        a, b = as_dict(live(x)), as_dict(written(x))
    check_shapes(spec, graph, a)
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a), spec.text


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_onnx_equals_torch(spec):
    """One ONNX graph output per network output, with its name, each checked by onnxruntime against torch."""
    result = netspec.export_onnx(spec.text)
    names = [o.name for o in result.model.graph.output]
    assert names == [name or "output" for name, _ in spec.outputs]
    assert result.verification.max_diff <= 1e-4


# ---- targeted ------------------------------------------------------------------------------------

UNET = """\
block Stage(c: int) { conv(c, 3, padding=1)  relu() }
block Up(c: int, skip: tensor) {
    up: conv(c, 1)
    concat { @skip  identity() }
    conv(c, 3, padding=1)
    relu(inplace=true)
}
network U(base: int = 4, classes: int = 3) {
    input [3, 16, 16]
    enc: {
        stage1: Stage(base)
        stage2: Stage(2 * base)
        pool: maxpool(3, stride=1, padding=1)
    }
    bottom: Stage(4 * base)
    dec: {
        up2: Up(2 * base, skip=@enc.stage2)
        up1: Up(base, skip=@enc.stage1)
    }
    output aux { @bottom  conv(classes, 1) }
    head: conv(classes, 1)
    output out
}
"""


def test_containers_take_outside_values_and_give_back_inner_ones():
    graph = netspec.build(UNET)
    boxes = {b.path: b for b in layout(graph).containers()}
    path = {n.id: n.path for n in graph.nodes}
    assert [path[i] for i in boxes["enc"].outputs] == ["enc.pool", "enc.stage1.1", "enc.stage2.1"]
    assert [path[i] for i in boxes["dec"].inputs] == ["bottom.1", "enc.stage2.1", "enc.stage1.1"]
    assert [path[i] for i in boxes["dec.up2"].inputs] == ["bottom.1", "enc.stage2.1"]
    assert not boxes["enc"].chain and boxes["enc.stage1"].chain and boxes["bottom"].chain
    code = emit_source(graph).text
    assert "def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:" in code  # Up, named after it
    assert "-> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:" in code  # enc gives back its two stages
    assert "        x, stage1, stage2 = self.enc(x)" in code  # named after the scopes they end
    assert "        dec = self.dec(x, stage2, stage1)" in code
    assert '        return {"aux": aux, "out": out}' in code


def test_named_outputs_are_a_dict_in_declaration_order_live_and_generated():
    graph = netspec.build(UNET)
    live, written = run_both(graph)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        a, b = live(x), written(x)
    assert list(a) == list(b) == ["aux", "out"]
    assert a["out"].shape == (2, 3, 16, 16) and a["aux"].shape == (2, 3, 16, 16)
    assert all(torch.equal(a[k], b[k]) for k in a)
    plain = netspec.load("network N { input [3, 8, 8]  a: conv(4, 1)  relu()  @a }")
    assert isinstance(plain(torch.randn(1, 3, 8, 8)), torch.Tensor)  # no `output`: one tensor, as before


def test_a_value_read_later_is_not_overwritten_in_place():
    """An in-place relu after `output feat` would change the returned features: it must not run in place."""
    spec = "network N { input [2, 6, 6]  c: conv(3, 1)  output feat  relu(inplace=true)  output out }"
    graph = netspec.build(spec)
    live, written = run_both(graph)
    x = torch.randn(1, 2, 6, 6)
    with torch.no_grad():
        for result in (live(x), written(x)):
            assert torch.equal(result["feat"], live.c(x)) and (result["feat"] < 0).any()
            assert torch.equal(result["out"], torch.relu(result["feat"]))


def test_instances_share_a_class_only_with_one_interface():
    """The same block, once with an inner value read outside it, once not: two classes."""
    spec = """\
block Pair(c: int) { a: conv(c, 1)  b: conv(c, 1) }
network N {
    input [2, 6, 6]
    p1: Pair(4)
    p2: Pair(4)
    concat { @p1.a  identity() }
}"""
    code = emit_source(netspec.build(spec)).text
    assert code.count("class Pair") == 2
    assert "-> tuple[torch.Tensor, torch.Tensor]:" in code
    live, written = run_both(netspec.build(spec))
    x = torch.randn(1, 2, 6, 6)
    with torch.no_grad():
        assert torch.equal(live(x), written(x))


@pytest.mark.parametrize("kind", ["load", "source"])
def test_torch_compile_and_export_trace_skips_and_outputs(kind):
    torch._dynamo.reset()
    graph = netspec.build(UNET)
    live, written = run_both(graph)
    model = live if kind == "load" else written
    x = torch.randn(2, 3, 16, 16)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        got, expected = compiled(x), model(x)
    assert list(got) == ["aux", "out"] and all(torch.allclose(got[k], expected[k], atol=1e-6) for k in got)
    exported = torch.export.export(model, (x,))
    assert list(exported.module()(x)) == ["aux", "out"]
