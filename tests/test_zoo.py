"""The spec zoo reproduces the published figures: parameters, MACs, output shapes and torchvision's names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import netspec
from netspec.analysis.explain import explain
from netspec.zoo import read_index

ROOT = Path(__file__).parent.parent
SPECS = ROOT / "specs"
NETSPEC = [str(Path(sys.executable).parent / "netspec")]

# (spec, parameters, input) -> (params, MACs or None, output shape)
FIGURES = {
    "lenet5": ("lenet5.net", {}, 61_706, None, [10]),
    "vgg11": ("vgg.net", {"depth": 11}, 132_863_336, None, [1000]),
    "vgg16": ("vgg.net", {"depth": 16}, 138_357_544, 15_470_264_320, [1000]),
    "vgg16_bn": ("vgg.net", {"depth": 16, "batchnorm": True}, 138_365_992, 15_470_264_320, [1000]),
    "resnet18": ("resnet.net", {"depth": 18}, 11_689_512, 1_814_073_344, [1000]),
    "resnet34": ("resnet.net", {"depth": 34}, 21_797_672, 3_663_761_408, [1000]),
    "resnet50": ("resnet.net", {"depth": 50}, 25_557_032, 4_089_184_256, [1000]),
    "resnet101": ("resnet.net", {"depth": 101}, 44_549_160, None, [1000]),
    "resnet152": ("resnet.net", {"depth": 152}, 60_192_808, None, [1000]),
    "cifar_resnet20": ("resnet_cifar.net", {"depth": 20}, 269_722, None, [10]),
    "cifar_resnet56": ("resnet_cifar.net", {"depth": 56}, 853_018, None, [10]),
    "lecture": ("lecture.net", {}, 304, 235_200, [4, 28, 28]),
    # torchvision's published figures (its "GFLOPS" are MACs)
    "googlenet": ("googlenet.net", {}, 6_624_904, 1_498_376_192, [1000]),
    "densenet121": ("densenet.net", {}, 7_978_856, 2_834_161_664, [1000]),
    # torchvision's published figures of its segmentation weights (aux_loss=True): 152.717 and 178.722 "GFLOPS"
    "fcn_resnet50": ("fcn.net", {}, 35_322_218, 152_716_512_000, [21, 520, 520]),
    "deeplabv3_resnet50": ("deeplabv3.net", {}, 42_004_074, 178_721_945_088, [21, 520, 520]),
    "inception_v3_aux": ("inception_v3.net", {"aux": True}, 27_161_264, None, [1000]),  # torchvision's num_params
}


@pytest.mark.parametrize("name", FIGURES)
def test_published_figures(name):
    spec, params, n_params, macs, output = FIGURES[name]
    report = netspec.analyse(SPECS / spec, **params)
    assert report.totals.params == n_params
    if macs is not None:
        assert report.totals.macs == macs
        assert report.totals.flops == 2 * macs
    assert report.output == output


def test_vgg_other_depths_and_classes():
    assert netspec.analyse(SPECS / "vgg.net", depth=13, classes=10).output == [10]
    vgg19 = netspec.analyse(SPECS / "vgg.net", depth=19).totals.params
    assert vgg19 == 143_667_240  # torchvision's vgg19


def test_vgg_rejects_unknown_depth():
    with pytest.raises(netspec.NetspecError) as info:
        netspec.build(SPECS / "vgg.net", {"depth": 12})
    (error,) = info.value.errors
    assert "depths 11, 13, 16 and 19" in error.message and "depth = 12" in error.label
    assert error.span.line == 12


def test_resnet_rejects_unknown_depth():
    with pytest.raises(netspec.NetspecError, match="18, 34, 50, 101 and 152"):
        netspec.build(SPECS / "resnet.net", {"depth": 20})


@pytest.mark.parametrize("spec", ["fcn.net", "deeplabv3.net"])
def test_segmentation_outputs_take_the_input_size(spec):
    """The dilated backbone rounds 67x91 down to 9x12 (1/8, rounded up at each stride); both heads' scores
    are resized to the input's own size, which `like=@in` reads, and aux=false leaves the main output alone."""
    report = netspec.analyse(SPECS / spec, input=(3, 67, 91))
    shapes = {scope.path: scope.shape for scope in report.scopes}
    assert shapes["backbone"] == [2048, 9, 12] and shapes["backbone.layer3"] == [1024, 9, 12]
    assert [(o["name"], o["shape"]) for o in report.outputs] == [("out", [21, 67, 91]), ("aux", [21, 67, 91])]
    alone = netspec.analyse(SPECS / spec, aux=False)
    assert [(o["name"], o["shape"]) for o in alone.outputs] == [("out", [21, 520, 520])]
    assert not any(layer.name.startswith("aux_classifier") for layer in alone.layers)


def test_dilated_resnet_keeps_the_size_and_the_weights():
    """replace_stride_with_dilation=[False, True, True]: output stride 8 instead of 32, the same parameters; the
    first block of a dilated stage keeps the dilation reached before it (tests/test_torchvision.py compares
    the whole network with torchvision's)."""
    report = netspec.analyse(SPECS / "resnet.net", depth=50, dilate=[False, True, True])
    shapes = {scope.path: scope.shape for scope in report.scopes}
    assert report.totals.params == 25_557_032
    assert [shapes[f"layer{i}"] for i in (2, 3, 4)] == [[512, 28, 28], [1024, 28, 28], [2048, 28, 28]]
    graph = netspec.build(SPECS / "resnet.net", {"depth": 50, "dilate": [False, True, True]})
    dilation = {n.path: n.attrs.dilation for n in graph.nodes if n.path.endswith(".conv2")}
    assert [dilation[f"layer{i}.0.conv2"] for i in (2, 3, 4)] == [(1, 1), (1, 1), (2, 2)]
    assert [dilation[f"layer{i}.1.conv2"] for i in (2, 3, 4)] == [(1, 1), (2, 2), (4, 4)]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"depth": 18, "dilate": [False, True, True]}, "dilate needs depth 50"),
        ({"depth": 50, "dilate": [True, True]}, "one bool for each of layer2, layer3 and layer4"),
    ],
)
def test_resnet_rejects_impossible_dilation(params, message):
    with pytest.raises(netspec.NetspecError, match=message):
        netspec.build(SPECS / "resnet.net", params)


def test_cifar_resnet_rejects_depth_not_6n_plus_2():
    with pytest.raises(netspec.NetspecError, match="6n \\+ 2"):
        netspec.build(SPECS / "resnet_cifar.net", {"depth": 21})


def test_cifar_plain_twin_has_the_same_weights_and_no_shortcuts():
    resnet = netspec.analyse(SPECS / "resnet_cifar.net", depth=20)
    plain = netspec.analyse(SPECS / "resnet_cifar.net", depth=20, plain=True)
    assert plain.totals.params == resnet.totals.params == 269_722
    assert plain.totals.macs == resnet.totals.macs
    ops = [layer.op for layer in resnet.layers]
    assert ops.count("add") == 9 and ops.count("pad") == 2
    assert not {"add", "pad"} & {layer.op for layer in plain.layers}


def test_cifar_option_a_shortcut_pads_channels_evenly():
    graph = netspec.build(SPECS / "resnet_cifar.net")
    pads = [n for n in graph.nodes if n.op == "pad"]
    assert [n.path for n in pads] == ["layer2.0.pad", "layer3.0.pad"]
    assert [(n.attrs.stride, n.attrs.front, n.attrs.back) for n in pads] == [(2, 8, 8), (2, 16, 16)]
    assert [n.shape for n in pads] == [(32, 16, 16), (64, 8, 8)]


def test_resnet50_projects_in_every_first_block():
    names = {layer.name for layer in netspec.analyse(SPECS / "resnet.net", depth=50).layers}
    assert {f"layer{i}.0.downsample.0" for i in range(1, 5)} <= names
    assert not any(name.startswith("layer1.1.downsample") for name in names)
    resnet18 = {layer.name for layer in netspec.analyse(SPECS / "resnet.net").layers}
    assert "layer1.0.downsample.0" not in resnet18 and "layer2.0.downsample.0" in resnet18


def test_googlenet_ceil_mode_pools():
    report = netspec.analyse(SPECS / "googlenet.net")
    shapes = {layer.name: layer.shape for layer in report.layers}
    assert shapes["maxpool1"] == [64, 56, 56]  # ceil((112 - 3)/2) + 1 = 56, floor would give 55
    assert shapes["maxpool3"] == [480, 14, 14] and shapes["maxpool4"] == [832, 7, 7]
    inception = next(s for s in report.scopes if s.path == "inception3a")
    assert inception.shape == [256, 28, 28] and inception.params == 155_872


# ---- the lecture --------------------------------------------------------------------------------------


def test_lecture_explain_shows_the_arithmetic():
    text = explain(netspec.analyse(SPECS / "lecture.net"), "conv1")
    assert "(32 - 5 + 2*0)/1 + 1 = 28" in text
    assert "5*5*3*4 + 4 = 304" in text
    assert "output shape = [4, 28, 28]" in text


def test_three_stacked_3x3_convs_see_7x7():
    report = netspec.analyse("network Stack {\n input [3, 32, 32]\n repeat 3 { conv(8, 3, padding=1) }\n}\n")
    assert [layer.rf for layer in report.layers] == [[1, 1], [3, 3], [5, 5], [7, 7]]
    one = netspec.analyse("network One {\n input [8, 32, 32]\n conv(8, 7, padding=3, bias=false)\n}\n")
    three = netspec.analyse("network Three {\n input [8, 32, 32]\n repeat 3 { conv(8, 3, padding=1, bias=false) }\n}\n")
    assert one.layers[-1].rf == three.layers[-1].rf == [7, 7]
    assert three.totals.params == 27 * 8 * 8 < one.totals.params == 49 * 8 * 8


# ---- the command line ---------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NETSPEC, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_cli_summary_json_resnet50():
    done = run("summary", "specs/resnet.net", "--set", "depth=50", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["totals"]["params"] == 25_557_032
    assert data["totals"]["macs"] == 4_089_184_256
    assert data["output"] == [1000] and data["params"]["depth"] == 50


def test_cli_check_every_zoo_spec_at_once():
    others = {"resnet18.net", "alexnet.net"}  # owned and tested elsewhere
    files = sorted(str(p.relative_to(ROOT)) for p in SPECS.glob("*.net") if p.name not in others)
    done = run("check", *files, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    found = {Path(f["file"]).name: f for f in json.loads(done.stdout)["files"]}
    assert found["lenet5.net"]["params"] == 61_706
    assert found["lecture.net"]["output"] == [4, 28, 28]
    assert found["resnet_cifar.net"]["params"] == 269_722


def test_cli_explain_lecture():
    done = run("explain", "specs/lecture.net", "conv1")
    assert done.returncode == 0, done.stderr
    assert "5*5*3*4 + 4 = 304" in done.stdout


# ---- names: the state_dict keys of the reference implementations ---------------------------------------


def param_shapes(report) -> dict[str, tuple[int, ...]]:
    """`name.weight`/`name.bias` -> shape for every layer with parameters, as PyTorch would create them."""
    out = {}
    for layer in report.layers:
        if not layer.params:
            continue
        a, c_in = layer.attrs, report.layers[layer.inputs[0]].shape[0]
        if layer.op == "conv":
            out[f"{layer.name}.weight"] = (a["out"], c_in // a["groups"], *a["kernel"])
        elif layer.op == "linear":
            out[f"{layer.name}.weight"] = (a["out"], c_in)
        else:
            out[f"{layer.name}.weight"] = (c_in,)
        if layer.op == "batchnorm" or a.get("bias"):
            out[f"{layer.name}.bias"] = (layer.shape[0],)
    assert sum(math_prod(s) for s in out.values()) == report.totals.params
    return out


def math_prod(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


NAMED = {  # the specs torchvision does not have; tests/test_torchvision.py checks those it has
    "cifar_resnet20": ("resnet_cifar.net", {"depth": 20}, "cifar_resnet", (20,)),
    "cifar_resnet20_plain": ("resnet_cifar.net", {"depth": 20, "plain": True}, "cifar_resnet", (20,)),
    "lenet5": ("lenet5.net", {}, "lenet5", ()),
}


@pytest.mark.parametrize("name", NAMED)
def test_parameter_names_and_shapes_match_the_reference(name):
    import reference_models
    import torch

    spec, params, factory, args = NAMED[name]
    with torch.device("meta"):
        model = getattr(reference_models, factory)(*args)
    expected = {key: tuple(p.shape) for key, p in model.named_parameters()}
    assert param_shapes(netspec.analyse(SPECS / spec, **params)) == expected


# ---- the index: specs/index.toml and `netspec zoo` ------------------------------------------------------


def test_zoo_lists_the_index_with_static_figures(cli):
    code, out, err = cli("zoo", "--json")
    assert code == 0, err
    data = json.loads(out)
    models = {m["name"]: m for m in data["models"]}
    assert list(models) == [entry.name for entry in read_index(SPECS / "index.toml")]
    assert models["resnet50"] == {
        "name": "resnet50",
        "spec": "resnet.net",
        "set": {"depth": 50},
        "set_text": "depth=50",
        "params": 25_557_032,
        "macs": 4_089_184_256,
    }
    assert models["resnext50_32x4d"]["params"] == 25_028_904  # torchvision's published figure
    assert models["deeplabv3_resnet50"]["params"] == 42_004_074


def test_zoo_table(cli):
    code, out, _ = cli("zoo")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("resnext50_32x4d "))
    assert line.split() == [
        "resnext50_32x4d",
        "resnet.net",
        "depth=50",
        "groups=32",
        "width_per_group=4",
        "25,028,904",
        "4,230,479,872",
    ]


def bad_index(tmp_path, text: str) -> Path:
    (tmp_path / "tiny.net").write_text("network Tiny(width: int = 4) {\n    input [3, 8, 8]\n    conv(width, 3)\n}\n")
    path = tmp_path / "index.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('[models.a]\nspec = "tiny.net"\n[models.b]\nspec = "missing.net"\n', 3, "no spec file 'missing.net'"),
        ('[models.a]\nspec = "tiny.net"\nsets = { width = 2 }\n', 1, "unknown key 'sets'"),
        ("[models.a]\nset = { width = 2 }\n", 1, "`spec` (a file name) is missing"),
        ('[models.a]\nspec = "tiny.net"\nset = 3\n', 1, "`set` is a table"),
        ('[models.a]\nspec = "tiny.net"\nset = { width = }\n', 3, "cannot read the index"),
        ('[model.a]\nspec = "tiny.net"\n', 1, "the index holds one table, `models`"),
    ],
)
def test_zoo_index_mistakes_are_located(tmp_path, cli, text, line, message):
    code, out, err = cli("zoo", str(bad_index(tmp_path, text)))
    assert code == 1 and out == ""
    assert message in err and f"index.toml:{line}:" in err and "help:" in err


def test_a_file_that_is_not_an_index_is_not_quoted(tmp_path, cli):
    secret = tmp_path / "notes.txt"
    secret.write_text("root:hunter2:0:0\n")
    code, _, err = cli("zoo", str(secret))
    assert code == 1 and f"{secret}:1:5" in err and "hunter2" not in err


def test_zoo_reports_a_failing_spec_and_lists_the_rest(tmp_path, cli):
    path = bad_index(
        tmp_path,
        '[models.ok]\nspec = "tiny.net"\n[models.bad]\nspec = "tiny.net"\n'
        'set = { width = 0 }\n[models.typo]\nspec = "tiny.net"\nset = { widht = 2 }\n',
    )
    code, out, err = cli("zoo", str(path), "--json")
    assert code == 1
    assert [m["name"] for m in json.loads(out)["models"]] == ["ok"]
    assert "tiny.net:3:" in err and "widht" in err and "width" in err
