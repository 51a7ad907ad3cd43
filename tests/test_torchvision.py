"""Every model of specs/index.toml against torchvision itself (not a copy of it).

For each entry (and each variant: torchvision builder arguments the index does not list, such as a dilated
ResNet or the auxiliary classifiers): the parameter count and the conv+linear MACs at full size equal
torchvision's (MACs as FlopCounterMode measures them, FLOPs/2 of convolution and mm/addmm), on the meta device,
and so do the shapes of every output; torchvision's state_dict loads with strict=True into `netspec.load` and
into the compiled source; and the three give the same eval outputs, with batchnorm statistics taken from a
training-mode pass and then perturbed (naive random running statistics make deep nets explode and would hide
errors). The weight and output checks run at a small input and 10 classes, which keeps every layer and name:
the figures test covers the full size. Segmentation models (FCN, DeepLabV3) return torchvision's dict
{"out", "aux"} and run at 67x91, a size no stride divides, so the final resize must undo the rounding.
GoogLeNet's and Inception v3's auxiliary classifiers run in torchvision's training mode only: their figures
are measured there, and in eval mode each head is compared with torchvision's own head applied to the map it
reads (a forward hook), besides a seeded training-mode pass where dropout draws in the same order.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
import torchvision_models as tv
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import netspec
from netspec.zoo import read_index

SPECS = Path(__file__).parent.parent / "specs"
ENTRIES = {entry.name: entry for entry in read_index(SPECS / "index.toml")}
MAC_OPS = {"convolution", "mm", "addmm"}
SEGMENTATION = {"weights_backbone": None, "aux_loss": True}  # no download; the index's layout, with the aux head
BUILDER = {  # torchvision's arguments beyond weights=None, as the index entries' parameters build them
    "googlenet": {"aux_logits": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "init_weights": True},
    **{name: SEGMENTATION for name in ("fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101")},
}
SMALL = {
    "vgg.net": (3, 32, 32),
    "inception_v3.net": (3, 75, 75),  # spec -> input of the weight checks
    "fcn.net": (3, 67, 91),
    "deeplabv3.net": (3, 67, 91),
}
SMALL_DEFAULT = (3, 64, 64)
CLASSES = 10
NOT_CNNS = {
    "maxvit_t",
    "swin_b",
    "swin_s",
    "swin_t",
    "swin_v2_b",
    "swin_v2_s",
    "swin_v2_t",
    "vit_b_16",
    "vit_b_32",
    "vit_h_14",
    "vit_l_16",
    "vit_l_32",
}  # transformers: not this zoo's business
META_ONLY = {"regnet_y_128gf"}  # 645M parameters: keys and shapes on the meta device; regnet_y_32gf runs in full
STOCHASTIC_DEPTH = ["efficientnet_b0", "efficientnet_v2_s", "convnext_tiny"]  # train-mode behaviour compared


@dataclass(frozen=True)
class Case:
    """A spec with its parameters, and the torchvision builder (with its arguments) whose model it must equal.

    `names` are netspec's output names for torchvision's outputs in order (its one tensor, or the tuple its
    training mode returns); `heads` maps each auxiliary output to (the module whose output it reads, the
    head module) in torchvision's model, for heads that only run in training; `small` overrides the input of
    the weight checks."""

    spec: Path
    params: dict
    builder: str
    kwargs: dict = field(default_factory=dict)
    names: tuple[str, ...] = ("",)
    heads: dict[str, tuple[str, str]] = field(default_factory=dict)
    small: tuple[int, ...] | None = None


CASES = {name: Case(e.spec, e.params, name, BUILDER.get(name, {})) for name, e in ENTRIES.items()}
CASES["resnet50_dilated"] = Case(
    SPECS / "resnet.net",
    {"depth": 50, "dilate": [False, True, True]},
    "resnet50",
    {"replace_stride_with_dilation": [False, True, True]},
)
CASES["fcn_resnet50_no_aux"] = Case(
    SPECS / "fcn.net", {"aux": False}, "fcn_resnet50", {**SEGMENTATION, "aux_loss": False}
)
CASES["googlenet_aux"] = Case(
    SPECS / "googlenet.net",
    {"aux": True},
    "googlenet",
    {"aux_logits": True, "init_weights": True},
    names=("out", "aux2", "aux1"),
    heads={"aux1": ("inception4a", "aux1"), "aux2": ("inception4d", "aux2")},
)
CASES["inception_v3_aux"] = Case(
    SPECS / "inception_v3.net",
    {"aux": True},
    "inception_v3",
    {"aux_logits": True, "init_weights": True},
    names=("out", "aux"),
    heads={"aux": ("Mixed_6e", "AuxLogits")},
    small=(3, 299, 299),
)  # its least size
SEGMENTATION_ENTRIES = {
    name for name, case in CASES.items() if case.kwargs.get("weights_backbone", 0) is None and name in ENTRIES
}


def test_index_holds_every_torchvision_cnn():
    assert set(tv.names()) - NOT_CNNS == set(ENTRIES) - SEGMENTATION_ENTRIES


def test_index_segmentation_entries_are_torchvisions():
    assert {"fcn_resnet50", "deeplabv3_resnet50"} <= SEGMENTATION_ENTRIES <= set(tv.segmentation_names())


def named(case: Case, y) -> dict[str, torch.Tensor]:
    """A model's outputs under netspec's names: dicts (netspec's, torchvision's segmentation models) keep their
    keys; torchvision's one tensor or training-mode tuple is named by `case.names`."""
    if isinstance(y, dict):
        return dict(y)
    if isinstance(y, torch.Tensor):
        return {case.names[0]: y}
    return dict(zip(case.names, y, strict=True))


def torchvision_model(case: Case, **kwargs) -> nn.Module:
    return tv.build(case.builder, **case.kwargs, **kwargs)


def conv_linear_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Per sample of the batch `x`."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    counts = counter.get_flop_counts()["Global"]
    return sum(n for op, n in counts.items() if op.__name__.split(".")[0] in MAC_OPS) // 2 // len(x)


@pytest.mark.parametrize("name", CASES)
def test_full_size_params_and_macs(name):
    case = CASES[name]
    report = netspec.analyse(case.spec, **case.params)
    with torch.device("meta"):
        model = torchvision_model(case).train(bool(case.heads))  # auxiliary classifiers run in training only
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    x = torch.empty(2, *report.input, device="meta")  # training-mode batchnorm needs two values per channel
    assert report.totals.macs == conv_linear_macs(model, x)
    with torch.no_grad():
        shapes = {name: list(y.shape[1:]) for name, y in named(case, model(x)).items()}
    assert {o["name"]: o["shape"] for o in report.outputs} == shapes
    assert report.output == (shapes["out"] if "out" in shapes else shapes[case.names[0]])  # the main output


def settle_batchnorm(model: nn.Module, x: torch.Tensor, seed: int = 1, heads: bool = False) -> None:
    """Realistic batchnorm state: scales and shifts drawn near 1 and 0, running statistics from one pass over
    `x` with the batchnorms in training mode (a cumulative average, so exactly that batch's), then perturbed
    by ~2%: enough that eval mode using batch statistics by mistake would show. Everything else stays in eval
    mode: dropped paths would skew the statistics. Larger perturbations, or other images, blow up through
    channels of tiny variance (a few pixels of a 64x64 image at the last stage) in deep nets. With `heads`
    the model itself is in training mode, its dropouts not, so that training-only heads run and settle."""
    g = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momentum = [m.momentum for m in norms]
    with torch.no_grad():
        for bn in norms:
            bn.weight.copy_(1 + 0.2 * torch.randn(bn.weight.shape, generator=g))
            bn.bias.copy_(0.2 * torch.randn(bn.bias.shape, generator=g))
            bn.reset_running_stats()
            bn.momentum = None
        for module in model.modules():  # only the batchnorms train (dropout, stochastic depth do not) ...
            module.training = isinstance(module, nn.modules.batchnorm._BatchNorm)
        model.training = heads  # ... and the model's own switch, which gates torchvision's auxiliary heads
        model(x)
        for bn, m in zip(norms, momentum, strict=True):
            std = bn.running_var.sqrt()
            bn.running_mean.add_(0.02 * std * torch.randn(std.shape, generator=g))
            bn.running_var.mul_(torch.exp(0.02 * torch.randn(std.shape, generator=g)))
            bn.momentum = m
    model.eval()


def compiled_class(source: str) -> type[nn.Module]:
    """The network class of generated source, executed as a fresh module."""
    module = type(sys)("generated")
    exec(compile(source, "<generated>", "exec"), module.__dict__)
    return getattr(module, module.__all__[-1])


def small_builds(name: str, x: torch.Tensor) -> tuple[nn.Module, nn.Module, nn.Module]:
    """torchvision's model with realistic batchnorm state, and netspec's live and compiled modules carrying its
    weights (loaded strictly), at the small input `x` and CLASSES classes."""
    case = CASES[name]
    params = {**case.params, "classes": CLASSES}
    torch.manual_seed(0)
    reference = torchvision_model(case, num_classes=CLASSES)
    settle_batchnorm(reference, x, heads=bool(case.heads))
    weights = reference.state_dict()
    size = tuple(x.shape[1:])
    live = netspec.load(case.spec, weights=weights, input=size, **params).eval()
    with torch.device("meta"):  # the weights come from torchvision: no need to initialise them first
        written = compiled_class(netspec.compile_source(case.spec, input=size, **params))()
    written.load_state_dict(weights, strict=True, assign=True)
    return reference, live, written.eval()


def small_input(name: str, n: int = 4) -> torch.Tensor:
    size = CASES[name].small or SMALL.get(CASES[name].spec.name, SMALL_DEFAULT)
    return torch.randn(n, *size, generator=torch.Generator().manual_seed(2))


def reference_outputs(case: Case, reference: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """torchvision's eval outputs under netspec's names, and each training-only head applied by torchvision to
    the map it reads (caught with a forward hook)."""
    maps = {}
    hooks = [
        getattr(reference, source).register_forward_hook(lambda m, i, y, k=k: maps.__setitem__(k, y))
        for k, (source, _) in case.heads.items()
    ]
    outputs = named(case, reference(x))
    for hook in hooks:
        hook.remove()
    return {**{k: getattr(reference, head)(maps[k]) for k, (_, head) in case.heads.items()}, **outputs}


def assert_outputs_match(got: dict, expected: dict, scale_check: bool = True) -> None:
    assert sorted(got) == sorted(expected)
    for name, want in expected.items():
        scale = want.abs().max().item()
        assert not scale_check or 1e-3 < scale < 1e3, "the statistics are not realistic: outputs vanish or explode"
        torch.testing.assert_close(
            got[name], want, rtol=1e-4, atol=1e-5 * scale, msg=lambda m, name=name: f"{name}: {m}"
        )


@pytest.mark.parametrize("name", sorted(set(CASES) - META_ONLY))
def test_weights_load_strictly_and_outputs_match(name, torch_one_thread):
    case = CASES[name]
    x = small_input(name)
    reference, live, written = small_builds(name, x)

    x = x[:2]  # the images the statistics came from: on others a small net's rare channels blow up
    with torch.no_grad():
        expected = reference_outputs(case, reference, x)
        got, got_written = named(case, live(x)), named(case, written(x))
    assert list(got) == list(got_written)  # the outputs in declaration order, from both backends
    assert_outputs_match(got, expected)
    assert_outputs_match(got_written, expected)


def test_auxiliary_heads_train_like_torchvisions(torch_one_thread):
    """GoogLeNet in training mode: batch statistics, and dropout in the two auxiliary heads and the main one
    drawn in torchvision's order, so one seed gives torchvision's three outputs and another seed others."""
    case = CASES["googlenet_aux"]
    x = small_input("googlenet_aux")
    models = small_builds("googlenet_aux", x)
    outputs = {}
    for seed in (3, 4):
        for i, model in enumerate(models):
            model.train()
            torch.manual_seed(seed)
            with torch.no_grad():
                outputs[seed, i] = named(case, model(x))
    for seed in (3, 4):
        assert_outputs_match(outputs[seed, 1], outputs[seed, 0], scale_check=False)
        assert_outputs_match(outputs[seed, 2], outputs[seed, 0], scale_check=False)
    assert not torch.allclose(outputs[3, 0]["aux1"], outputs[4, 0]["aux1"])


@pytest.mark.parametrize("name", sorted(META_ONLY))
def test_huge_models_have_torchvisions_keys_and_shapes(name):
    case = CASES[name]
    with torch.device("meta"):
        expected = {k: v.shape for k, v in torchvision_model(case).state_dict().items()}
        live = netspec.load(case.spec, **case.params).state_dict()
        written = compiled_class(netspec.compile_source(case.spec, **case.params))().state_dict()
    assert {k: v.shape for k, v in live.items()} == expected
    assert {k: v.shape for k, v in written.items()} == expected


@pytest.mark.parametrize("name", STOCHASTIC_DEPTH)
def test_training_mode_drops_the_same_blocks_as_torchvision(name, torch_one_thread):
    """Stochastic depth draws the same random numbers in the same order as torchvision's: under one seed the
    training-mode outputs are the same, under another seed other blocks are dropped (dropout is held in eval
    mode, so the difference is stochastic depth's alone)."""
    x = small_input(name)
    models = small_builds(name, x)
    outputs = {}
    for seed in (3, 4):
        for i, model in enumerate(models):
            model.train()
            for dropout in (m for m in model.modules() if isinstance(m, nn.Dropout)):
                dropout.eval()
            torch.manual_seed(seed)
            with torch.no_grad():
                outputs[seed, i] = model(x)
    for seed in (3, 4):
        torch.testing.assert_close(outputs[seed, 1], outputs[seed, 0], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(outputs[seed, 2], outputs[seed, 0], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(outputs[3, 0], outputs[4, 0])


def test_a_flat_input_projects_shortcuts_by_the_width_too(torch_one_thread):
    """3x16x48: after the stem the height is 1 while the width still halves, so each stride-2 shortcut's
    stride shows only in the width (the height maps 1 to 1 at any stride). Found by `summary --input`."""
    reference = tv.build("resnet50").eval()
    model = netspec.load(SPECS / "resnet.net", depth=50, input=(3, 16, 48), weights=reference.state_dict()).eval()
    x = torch.randn(2, 3, 16, 48)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))
    strides = [m.stride for name, m in model.named_modules() if name.endswith("downsample.0")]
    assert strides == [(1, 1), (2, 2), (2, 2), (2, 2)]
