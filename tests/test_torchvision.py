"""Every model of specs/index.toml against torchvision itself (not a copy of it).

For each entry (and each variant: torchvision builder arguments the index does not list, such as a dilated
ResNet): the parameter count and the conv+linear MACs at full size equal torchvision's (MACs as
FlopCounterMode measures them, FLOPs/2 of convolution and mm/addmm), on the meta device; torchvision's
state_dict loads with strict=True into `netspec.load` and into the compiled source; and the three give the
same eval outputs, with batchnorm statistics taken from a training-mode pass and then perturbed (naive random
running statistics make deep nets explode and would hide errors). The weight and output checks run at a
small input and 10 classes, which keeps every layer and name: the figures test covers the full size.
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
BUILDER = {  # torchvision's arguments beyond weights=None: the auxiliary heads belong to another issue
    "googlenet": {"aux_logits": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "init_weights": True},
}
SMALL = {"vgg.net": (3, 32, 32), "inception_v3.net": (3, 75, 75)}  # spec -> input of the weight checks
SMALL_DEFAULT = (3, 64, 64)
CLASSES = 10
NOT_CNNS = {"maxvit_t", "swin_b", "swin_s", "swin_t", "swin_v2_b", "swin_v2_s", "swin_v2_t",
            "vit_b_16", "vit_b_32", "vit_h_14", "vit_l_16", "vit_l_32"}  # transformers: not this zoo's business
META_ONLY = {"regnet_y_128gf"}  # 645M parameters: keys and shapes on the meta device; regnet_y_32gf runs in full
STOCHASTIC_DEPTH = ["efficientnet_b0", "efficientnet_v2_s", "convnext_tiny"]  # train-mode behaviour compared


@dataclass(frozen=True)
class Case:
    """A spec with its parameters, and the torchvision builder (with its arguments) whose model it must equal."""

    spec: Path
    params: dict
    builder: str
    kwargs: dict = field(default_factory=dict)


CASES = {name: Case(e.spec, e.params, name, BUILDER.get(name, {})) for name, e in ENTRIES.items()}
CASES["resnet50_dilated"] = Case(SPECS / "resnet.net", {"depth": 50, "dilate": [False, True, True]},
                                 "resnet50", {"replace_stride_with_dilation": [False, True, True]})


def test_index_holds_every_torchvision_cnn():
    assert set(tv.names()) - NOT_CNNS == set(ENTRIES)


def torchvision_model(case: Case, **kwargs) -> nn.Module:
    return tv.build(case.builder, **case.kwargs, **kwargs)


def conv_linear_macs(model: nn.Module, x: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    counts = counter.get_flop_counts()["Global"]
    return sum(n for op, n in counts.items() if op.__name__.split(".")[0] in MAC_OPS) // 2


@pytest.mark.parametrize("name", CASES)
def test_full_size_params_and_macs(name):
    case = CASES[name]
    report = netspec.analyse(case.spec, **case.params)
    with torch.device("meta"):
        model = torchvision_model(case).eval()
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    x = torch.empty(1, *report.input, device="meta")
    assert report.totals.macs == conv_linear_macs(model, x)
    assert report.output == list(model(x).shape[1:])


def settle_batchnorm(model: nn.Module, x: torch.Tensor, seed: int = 1) -> None:
    """Realistic batchnorm state: scales and shifts drawn near 1 and 0, running statistics from one pass over
    `x` with the batchnorms in training mode (a cumulative average, so exactly that batch's), then perturbed
    by ~2%: enough that eval mode using batch statistics by mistake would show. Everything else stays in eval
    mode: dropped paths would skew the statistics. Larger perturbations, or other images, blow up through
    channels of tiny variance (a few pixels of a 64x64 image at the last stage) in deep nets."""
    g = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momentum = [m.momentum for m in norms]
    with torch.no_grad():
        for bn in norms:
            bn.weight.copy_(1 + 0.2 * torch.randn(bn.weight.shape, generator=g))
            bn.bias.copy_(0.2 * torch.randn(bn.bias.shape, generator=g))
            bn.reset_running_stats()
            bn.momentum = None
        model.eval()
        for bn in norms:
            bn.train()
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
    settle_batchnorm(reference, x)
    weights = reference.state_dict()
    size = tuple(x.shape[1:])
    live = netspec.load(case.spec, weights=weights, input=size, **params).eval()
    with torch.device("meta"):  # the weights come from torchvision: no need to initialise them first
        written = compiled_class(netspec.compile_source(case.spec, input=size, **params))()
    written.load_state_dict(weights, strict=True, assign=True)
    return reference, live, written.eval()


def small_input(name: str, n: int = 4) -> torch.Tensor:
    size = SMALL.get(CASES[name].spec.name, SMALL_DEFAULT)
    return torch.randn(n, *size, generator=torch.Generator().manual_seed(2))


@pytest.mark.parametrize("name", sorted(set(CASES) - META_ONLY))
def test_weights_load_strictly_and_outputs_match(name, torch_one_thread):
    x = small_input(name)
    reference, live, written = small_builds(name, x)

    x = x[:2]  # the images the statistics came from: on others a small net's rare channels blow up
    with torch.no_grad():
        expected, got, got_written = reference(x), live(x), written(x)
    scale = expected.abs().max().item()
    assert 1e-3 < scale < 1e3, "the statistics are not realistic: the outputs vanish or explode"
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5 * scale)
    torch.testing.assert_close(got_written, expected, rtol=1e-4, atol=1e-5 * scale)


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
