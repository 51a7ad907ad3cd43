"""Every model of specs/index.toml against torchvision itself (not a copy of it).

For each entry: the parameter count and the conv+linear MACs at full size equal torchvision's (MACs as
FlopCounterMode measures them, FLOPs/2 of convolution and mm/addmm), on the meta device; torchvision's
state_dict loads with strict=True into `netspec.load` and into the compiled source; and the three give the
same eval outputs, with batchnorm statistics taken from a training-mode pass and then perturbed (naive random
running statistics make deep nets explode and would hide errors). The weight and output checks run at a
small input and 10 classes, which keeps every layer and name: the figures test covers the full size.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import netspec
import torchvision_models as tv
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
_SE = "squeeze-and-excitation needs a multiplying join (`mul`)"
NOT_YET = {  # torchvision CNNs without a spec yet, and why
    **{f"densenet{d}": "torchvision's keys `denselayer1`.. need interpolated labels" for d in (121, 161, 169, 201)},
    "inception_v3": "branches sit flat on the block (Mixed_5b.branch5x5_1): needs `inline`",
    **{f"efficientnet_b{i}": _SE for i in range(8)},
    **{f"efficientnet_v2_{s}": _SE for s in "sml"},
    **{f"regnet_x_{s}": "computed labels (`block1-0`) and width rules need interpolated labels and int()"
       for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")},
    **{f"regnet_y_{s}": _SE for s in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf")},
}


def test_index_holds_every_torchvision_cnn():
    cnns = set(tv.names()) - NOT_CNNS
    assert not set(ENTRIES) - cnns, "index entries that torchvision does not have"
    assert not NOT_YET.keys() & ENTRIES.keys(), "listed as missing but present"
    assert cnns - set(NOT_YET) == set(ENTRIES)


def torchvision_model(name: str, **kwargs) -> nn.Module:
    return tv.build(name, **BUILDER.get(name, {}), **kwargs)


def conv_linear_macs(model: nn.Module, x: torch.Tensor) -> int:
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    counts = counter.get_flop_counts()["Global"]
    return sum(n for op, n in counts.items() if op.__name__.split(".")[0] in MAC_OPS) // 2


@pytest.mark.parametrize("name", ENTRIES)
def test_full_size_params_and_macs(name):
    entry = ENTRIES[name]
    report = netspec.analyse(entry.spec, **entry.params)
    with torch.device("meta"):
        model = torchvision_model(name).eval()
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
        for bn, m in zip(norms, momentum):
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


@pytest.mark.parametrize("name", ENTRIES)
def test_weights_load_strictly_and_outputs_match(name, torch_one_thread):
    entry = ENTRIES[name]
    size = SMALL.get(entry.spec.name, SMALL_DEFAULT)
    params = {**entry.params, "classes": CLASSES}
    torch.manual_seed(0)
    reference = torchvision_model(name, num_classes=CLASSES)
    x = torch.randn(4, *size, generator=torch.Generator().manual_seed(2))
    settle_batchnorm(reference, x)
    weights = reference.state_dict()

    live = netspec.load(entry.spec, weights=weights, input=size, **params).eval()
    with torch.device("meta"):  # the weights come from torchvision: no need to initialise them first
        written = compiled_class(netspec.compile_source(entry.spec, input=size, **params))()
    written.load_state_dict(weights, strict=True, assign=True)
    written.eval()

    x = x[:2]  # the images the statistics came from: on others a small net's rare channels blow up
    with torch.no_grad():
        expected, got, got_written = reference(x), live(x), written(x)
    scale = expected.abs().max().item()
    assert 1e-3 < scale < 1e3, "the statistics are not realistic: the outputs vanish or explode"
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5 * scale)
    torch.testing.assert_close(got_written, expected, rtol=1e-4, atol=1e-5 * scale)
