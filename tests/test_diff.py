"""netspec diff and netspec.analysis.checkpoint: the static state_dict equals the module's, and what diff says
about loading A's checkpoint into B is what load_state_dict does, strictly and not. Modules on the meta
device (keys and shapes only), ~15 s."""

from __future__ import annotations

import json
import re
import tomllib
import warnings
from pathlib import Path

import pytest
import torch

import netspec
from netspec.analysis.checkpoint import state_dict

SPECS = Path(__file__).parent.parent / "specs"
MODELS = tomllib.loads((SPECS / "index.toml").read_text())["models"]
ONE_PER_SPEC = list({m["spec"]: (name, m) for name, m in MODELS.items()}.values())  # every spec file once
SPEC = str(SPECS / "resnet.net")

VGG = """
network Net(bn: bool = false, wide: int = 16, extra: bool = false, classes: int = 10) {
    input [3, 32, 32]
    features: {
        conv(wide, 3, padding=1)
        if bn { batchnorm() }
        relu()
        if extra { conv(wide, 3, padding=1) relu() }
        maxpool(2)
    }
    avgpool: global_avgpool()
    flatten()
    fc: linear(classes)
}
"""

PAIRS = [  # (A, B) as (source, params): what a user changes between two runs
    ((SPEC, {"depth": 50}), (SPEC, {"depth": 101})),  # new blocks: missing keys only
    ((SPEC, {"depth": 101}), (SPEC, {"depth": 50})),  # fewer blocks: unexpected keys only
    ((SPEC, {"depth": 18}), (SPEC, {"depth": 18, "classes": 10})),  # a new head: shapes change
    ((SPEC, {"depth": 18}), (str(SPECS / "resnet18.net"), {})),  # the same network from two files
    ((SPEC, {"depth": 50}), (SPEC, {"depth": 50, "groups": 32, "width_per_group": 4})),  # ResNeXt: reshaped
    ((VGG, {}), (VGG, {"bn": True})),  # batchnorm inserted: numbering shifts, counters filled in by torch
    ((VGG, {"bn": True}), (VGG, {})),
    ((VGG, {}), (VGG, {"extra": True})),
    ((VGG, {}), (VGG, {"wide": 32})),
]


def meta(source: str, params: dict):
    with torch.device("meta"):
        return netspec.load(source, **params)


@pytest.mark.parametrize("name,model", ONE_PER_SPEC, ids=[n for n, _ in ONE_PER_SPEC])
def test_static_state_dict_is_the_modules(name, model):
    params = model.get("set", {})
    static = state_dict(netspec.build(SPECS / model["spec"], params))
    real = {k: tuple(v.shape) for k, v in meta(str(SPECS / model["spec"]), params).state_dict().items()}
    assert static == real


NORMS = """
network Norms() {
    input [8, 6, 6]
    conv(8, 3, padding=1)  groupnorm(2)  groupnorm(4, affine=false)  instancenorm()  instancenorm(affine=true)
    instancenorm(track_running_stats=true)  instancenorm(affine=true, track_running_stats=true)
    layernorm2d()  layernorm2d(affine=false)  batchnorm(affine=false)  batchnorm()
}
"""


def test_static_state_dict_of_every_normalisation_is_the_modules():
    """groupnorm and instancenorm had no checkpoint rule: `netspec diff` of a spec with them raised."""
    real = {k: tuple(v.shape) for k, v in meta(NORMS, {}).state_dict().items()}
    assert state_dict(netspec.build(NORMS)) == real
    assert sum(k.endswith("running_var") for k in real) == 4


def loads(a, b, strict: bool) -> tuple[bool, set, set, set]:
    """b.load_state_dict(a.state_dict(), strict): did it load, and the missing, unexpected and mis-shaped keys
    (from the result, or from the error's lines when it raised)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # copying into meta tensors is a no-op, and torch says so per tensor
        try:
            result = b.load_state_dict(a.state_dict(), strict=strict)
        except RuntimeError as e:
            lines = str(e).split("\n")

            def keys(what):
                return {k for line in lines if what in line for k in re.findall(r'"([\w.]+)"', line)}

            reshaped = {k for line in lines for k in re.findall(r"size mismatch for ([\w.]+):", line)}
            return False, keys("Missing key(s)"), keys("Unexpected key(s)"), reshaped
    return True, set(result.missing_keys), set(result.unexpected_keys), set()


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a[1]}-{b[1]}" for a, b in PAIRS])
def test_checkpoint_verdicts_are_what_load_state_dict_does(pair):
    (sa, pa), (sb, pb) = pair
    found = netspec.diff(sa, sb, vs=pb, **pa)
    c = found.checkpoint
    a, b = meta(sa, pa), meta(sb, pb)
    ok, missing, unexpected, reshaped = loads(a, b, strict=False)
    assert ok == c.non_strict
    assert (missing, unexpected) == ((set(c.missing), set(c.unexpected)) if ok else (set(), set()))
    assert reshaped == set(c.reshaped)
    ok, missing, unexpected, reshaped = loads(a, b, strict=True)
    assert ok == c.strict
    assert (missing, unexpected, reshaped) == (set(c.missing), set(c.unexpected), set(c.reshaped))


def test_resnet50_to_101_in_figures():
    found = netspec.diff(SPEC, depth=50, vs={"depth": 101})
    assert found.totals["params"] == (25_557_032, 44_549_160)  # torchvision's resnet50 and resnet101
    assert found.checkpoint.verdict == "non-strict" and not found.checkpoint.unexpected
    added = [c.path for c in found.changes if c.status == "added" and c.path.count(".") == 1]
    assert added == [f"layer3.{i}" for i in range(6, 23)]
    assert [c.path for c in found.changes if c.status == "changed"] == ["", "layer3"]


def test_a_report_as_a_is_analysed_again_with_vs():
    """diff(report, vs=...) takes A's own spec (file or text) with A's parameters, vs on top: it once passed the
    Report itself to `analyse`, a TypeError."""
    by_path = netspec.diff(SPEC, depth=50, vs={"depth": 101})
    found = netspec.diff(netspec.analyse(SPEC, depth=50), vs={"depth": 101})
    assert found.totals == by_path.totals and found.checkpoint.verdict == by_path.checkpoint.verdict
    text = "network T(width: int = 4) {\n    input [3, 8, 8]\n    conv(width, 3)\n}\n"
    from_text = netspec.diff(netspec.analyse(text, width=4), vs={"width": 8})
    assert from_text.totals["params"] == (3 * 3 * 3 * 4 + 4, 3 * 3 * 3 * 8 + 8)


@pytest.mark.parametrize(
    "args,status",
    [
        (["--set", "depth=50", "--vs", "depth=101"], 3),
        (["--set", "depth=18", "--vs", "classes=10"], 4),
        (["--set", "depth=18", str(SPECS / "resnet18.net")], 0),
        (["--set", "depth=18", str(SPECS / "resnet18.net"), "--vs", "classes=10"], 4),
    ],
)
def test_cli_exit_status(cli, args, status):
    code, out, err = cli("diff", SPEC, *args)
    assert code == status, err
    assert "a checkpoint of A in B" in out
    code, out, _ = cli("diff", SPEC, *args, "--json")
    data = json.loads(out)
    assert code == status and data["checkpoint"]["loads"] == {0: "strict", 3: "non-strict", 4: "no"}[status]


def test_cli_text_folds_added_blocks(cli):
    _, out, _ = cli("diff", SPEC, "--set", "depth=50", "--vs", "depth=101")
    assert "layer3.6 … 22" in out and "17 × Bottleneck(256)" in out and "layer3.7.conv1" not in out
    assert "B: " in out and "(depth=101)" in out


def test_cli_needs_something_to_compare(cli):
    code, out, err = cli("diff", SPEC)
    assert code == 2 and "nothing to compare" in err and not out


def forward_outputs(source: str, params: dict, shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Each output's shape from a forward pass on the meta device (shapes only): a network with named outputs
    returns a dict, one with its single output a tensor (named "" here)."""
    with torch.device("meta"):
        y = netspec.load(source, **params).eval()(torch.empty(1, *shape))
    return {name: tuple(t.shape[1:]) for name, t in (y.items() if isinstance(y, dict) else [("", y)])}


OUTPUT_PAIRS = [
    ((str(SPECS / "googlenet.net"), {}), {"aux": True}, {"out": "same", "aux1": "added", "aux2": "added"}),
    ((str(SPECS / "googlenet.net"), {"aux": True}), {"aux": False}, {"aux1": "removed", "aux2": "removed"}),
    ((str(SPECS / "fcn.net"), {}), {"aux": False, "classes": 3}, {"out": "changed", "aux": "removed"}),
    ((SPEC, {}), {"classes": 3}, {"": "changed"}),
]


@pytest.mark.parametrize("pair", OUTPUT_PAIRS, ids=[f"{Path(a[0]).stem}-{vs}" for a, vs, _ in OUTPUT_PAIRS])
def test_every_output_is_compared_as_the_forward_pass_gives_it(pair):
    (source, params), vs, statuses = pair
    shape = (3, 224, 224)
    found = netspec.diff(source, vs=vs, input=shape, **params)
    a, b = forward_outputs(source, params, shape), forward_outputs(source, {**params, **vs}, shape)
    main = "out" if "out" in [*a, *b] else ""  # a side's one unnamed output is the other side's main output
    a = {main: a[""]} if list(a) == [""] else a
    b = {main: b[""]} if list(b) == [""] else b
    assert [(o.name, o.a, o.b) for o in found.outputs] == [(n, a.get(n), b.get(n)) for n in dict.fromkeys([*a, *b])]
    assert {o.name: o.status for o in found.outputs if o.status != "same" or o.name in statuses} == statuses


def test_cli_lists_every_output(cli):
    code, out, _ = cli("diff", str(SPECS / "googlenet.net"), "--vs", "aux=true")
    assert code == 3  # the aux heads' keys are missing from A's checkpoint
    rows = {line.split("│")[0].strip(): [c.strip() for c in line.split("│")[1:]] for line in out.splitlines()}
    assert rows["output out"] == ["[1000]", "[1000]", "same"] and rows["output aux1"] == ["-", "[1000]", "added"]
    data = json.loads(cli("diff", str(SPECS / "googlenet.net"), "--vs", "aux=true", "--json")[1])
    assert [o["name"] for o in data["outputs"]] == ["out", "aux1", "aux2"]
    assert data["outputs"][1] == {"name": "aux1", "status": "added", "a": None, "b": [1000]}
    assert data["b"]["outputs"] == {"aux1": [1000], "aux2": [1000], "out": [1000]}
