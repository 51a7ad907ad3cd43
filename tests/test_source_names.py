"""One namespace for generated identifiers: hostile names and file names never become code."""

from __future__ import annotations

import ast
import builtins
import keyword
import sys

import pytest
import torch
from torch import nn

import netspec
from netspec.backends.torch import build_module, emit_source
from netspec.backends.torch.namespace import Namespace, attribute, comment, literal, safe_attribute
from netspec.elaborate.names import MODULE_ATTRIBUTES

# Names that are keywords, builtins, the generated code's own imports and variables, or nn.Module-ish.
HOSTILE = """\
network nn(torch: int = 3, note: str = "a\\\\N{x}\\\\u12 \\\\ end") {
    input [3, 12, 12]
    block F(self: int, x: int = 1) {
        residual {
            class: conv(self, 3, padding=1)
            None: batchnorm()
            lambda: relu(inplace=true)
        } shortcut import: auto
        print: relu()
    }
    block OrderedDict(out: int) {
        super: conv(out, 1)
        object: relu()
    }
    block kaiming_init(out: int) {
        residual { True: conv(out, 1, init="kaiming") } shortcut identity
    }
    x: F(8)
    out: F(16, x=2)
    torch: OrderedDict(4)
    self: { def: conv(4, 1)  return: relu() }
    Basic: concat { exec: conv(2, 1)  eval_: conv(2, 1)  match: identity() }
    type_: kaiming_init(8)
    flatten()
    range: linear(torch)
}
"""
ALLOWED_CALLS = {"super", "getattr", "OrderedDict"}


def generated(source):
    graph = netspec.build(source)
    return graph, emit_source(graph).text


def run(code: str):
    module = type(sys)("hostile")
    exec(compile(code, "<hostile>", "exec"), module.__dict__)
    return module


def called_names(tree: ast.AST) -> set[str]:
    """The plain names the code calls (`foo(...)`, not `self.foo(...)`)."""
    return {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_hostile_names_compile_to_the_same_model():
    graph, code = generated(HOSTILE)
    tree = ast.parse(code)
    module = run(code)
    classes = {name for name in module.__all__}
    helpers = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert called_names(tree) <= ALLOWED_CALLS | classes | helpers
    assert not classes & (set(dir(builtins)) | {"nn", "torch", "F", "OrderedDict"})
    torch.manual_seed(0)
    live = build_module(graph).eval()
    torch.manual_seed(0)
    written = getattr(module, module.__all__[-1])().eval()
    assert list(live.state_dict()) == list(written.state_dict())
    assert "x.class.weight" in live.state_dict() and "type_.True.weight" in live.state_dict()
    x = torch.randn(2, 3, 12, 12)
    with torch.no_grad():
        assert torch.equal(live(x), written(x))


def test_hostile_file_name_stays_in_comments(tmp_path):
    spec = tmp_path / 'evil"""\nimport os\nos.system("x")\n#.net'
    spec.write_text(HOSTILE)
    _, code = generated(spec)  # a Path: spec text and file name are never confused
    tree = ast.parse(code)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import) and n.names[0].name == "os"]
    assert "os.system" not in called_names(tree)
    run(code)


def test_string_parameters_stay_in_comments():
    _, code = generated(HOSTILE)
    header = code.splitlines()[0]
    assert header.startswith("# nn: PyTorch source") and "\\\\N{x}" in header
    assert len(ast.parse(code).body) > 3


@pytest.mark.parametrize("hint", ["class", "None", "print", "self", "x", "9lives", "a-b", "", "__init__", "match"])
def test_namespace_gives_valid_unique_identifiers(hint):
    names = Namespace({"self", "x"})
    made = [names.add(hint) for _ in range(3)]
    for name in made:
        assert name.isidentifier() and not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
        assert name not in dir(builtins) and name not in {"self", "x"}
    assert len(set(made)) == 3


def test_namespace_sees_its_parent():
    module = Namespace({"torch"})
    module.add("Basic")
    local = Namespace(parent=module)
    assert local.add("Basic") == "Basic_1" and local.add("torch") == "torch_1"


def test_attributes_that_are_not_safe_use_getattr():
    assert attribute("self", "conv1") == "self.conv1"
    for name in ["0", "class", "None", "_private", "forward", "training", "a b", "é"]:
        assert not safe_attribute(name)
        assert attribute("self", name).startswith("getattr(self, ")
        assert ast.literal_eval(attribute("self", name)[len("getattr(self, ") : -1]) == name


def test_module_attributes_list_is_complete():
    """Every public nn.Module attribute is refused as a layer name (or the generated code could shadow it)."""
    public = {n for n in dir(nn.Module) if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES


@pytest.mark.parametrize("value", [0, -3, 2.5, 1e-05, True, None, "same", 'a"b\\c\n', (1, 2), (3,)])
def test_literals_round_trip(value):
    assert ast.literal_eval(literal(value)) == value


@pytest.mark.parametrize("text", ["a\nb", 'x"""y', "back\\slash\\N{x}", "\r\x00\u2028", "\\"])
def test_comments_cannot_break_out(text):
    doc = comment(text)
    assert "\n" not in doc and "\r" not in doc and '"' not in doc
    compile(f'def f():\n    """{doc}"""\n    # {doc}\n', "<doc>", "exec")


def test_a_thousand_branch_variables_cost_linear_work(monkeypatch):
    """Namespace.add resumes where the last search for the same base ended: n adds check about n names, not n²/2."""
    from netspec.backends.torch import namespace

    checks = 0
    real = namespace.Namespace.taken

    def counted(self, name):
        nonlocal checks
        checks += 1
        return real(self, name)

    monkeypatch.setattr(namespace.Namespace, "taken", counted)
    names = namespace.Namespace({"x"})
    made = [names.add("out") for _ in range(1000)]
    assert made[:3] == ["out", "out_1", "out_2"] and len(set(made)) == 1000
    assert checks < 2 * 1000


# ---- random specs with hostile names ---------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import specs  # noqa: E402

# Identifiers the generated code itself uses (imports, variables, helpers, Python's own names), and random ones.
GENERATED_CODE_NAMES = (
    "torch",
    "nn",
    "F",
    "OrderedDict",
    "Tensor",
    "self",
    "x",
    "x_1",
    "out",
    "out_1",
    "value",
    "init",
    "init_1",
    "super",
    "object",
    "type",
    "print",
    "len",
    "range",
    "int",
    "str",
    "list",
    "math",
    "sys",
    "os",
    "Module",
    "Sequential",
    "Conv2d",
    "ReLU",
    "cls",
    "None",
    "True",
    "class",
    "def",
    "lambda",
    "return",
    "import",
    "pass",
    "in",
    "is",
    "not",
    "and",
    "or",
    "with",
    "match",
    "case",
    "Random",
    "Blk0",
    "main",
    "functional",
    "pad_channels",
    "List",
    "Optional",
)


def accepted(name: str) -> bool:
    """What the checker takes as a network, block and label name alike."""
    from netspec.elaborate.names import RESERVED
    from netspec.ops import LAYERS
    from netspec.parse.parser import _KEYWORDS

    return (
        name.isidentifier()
        and name.isascii()
        and name not in RESERVED
        and name not in LAYERS
        and name not in _KEYWORDS
        and name not in ("true", "false", "then", "and", "or", "not", "in", "def", "inline", "mul", "add")
    )


NAMES = st.one_of(
    st.sampled_from(GENERATED_CODE_NAMES), st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
).filter(accepted)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(specs(names=NAMES))
def test_random_specs_with_hostile_names_compile_to_the_live_module(spec):
    """Whatever names the checker accepts, the compiled source imports, builds, and computes what netspec.load does."""
    torch.set_num_threads(1)
    graph = netspec.build(spec.text)
    module = type(sys)("generated")
    exec(compile(emit_source(graph).text, "<generated>", "exec"), module.__dict__)
    written = getattr(module, module.__all__[-1])().eval()
    live = build_module(graph).eval()
    live.load_state_dict(written.state_dict(), strict=True)
    sample = torch.randn(2, *graph.input.shape)
    with torch.no_grad():  # a pooling window wholly in the padding gives -inf, and then NaN: alike in both
        torch.testing.assert_close(written(sample), live(sample), rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", [n for n in GENERATED_CODE_NAMES if accepted(n)])
def test_each_name_the_generated_code_uses_works_as_network_block_and_label(name):
    """The same name for the network, a block, a label in the block and a group: each becomes a distinct identifier."""
    text = (
        f"network {name} {{\n    input [3, 6, 6]\n    block {name}() {{\n        {name}: conv(2, 3)\n    }}\n"
        f"    {name}: {{ {name}()  relu() }}\n    add {{ identity()  relu() }}\n}}\n"
    )
    graph = netspec.build(text)
    module = type(sys)("generated")
    exec(compile(emit_source(graph).text, "<generated>", "exec"), module.__dict__)
    written = getattr(module, module.__all__[-1])()
    live = build_module(graph)
    live.load_state_dict(written.state_dict(), strict=True)
    sample = torch.randn(1, 3, 6, 6)
    with torch.no_grad():
        assert torch.equal(written(sample), live(sample))


def test_a_block_named_self_does_not_hide_the_instance():
    """Found by the property test above: `class self(...)` made `self.add_module("1", self())` call the instance."""
    spec = """network torch {
        input [1, 6, 6]
        block self(width: int) { c1: conv(width, 3, padding=1, bias=false)  bn: batchnorm()  relu() }
        conv(1, 1)
        self(1)
    }"""
    graph = netspec.build(spec)
    module = type(sys)("generated")
    exec(compile(emit_source(graph).text, "<generated>", "exec"), module.__dict__)
    written = getattr(module, module.__all__[-1])().eval()
    live = build_module(graph).eval()
    live.load_state_dict(written.state_dict(), strict=True)
    sample = torch.randn(2, 1, 6, 6)
    with torch.no_grad():
        assert torch.equal(written(sample), live(sample))
