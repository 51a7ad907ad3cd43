"""specs/unet.net against a hand-written PyTorch U-Net (tests/reference_models.py, milesial/Pytorch-UNet's layout):
the same state_dict keys and shapes, the parameter count, strict loading into netspec.load and the compiled
source, equal outputs; and the input sizes it takes (multiples of 16)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from reference_models import UNet

import netspec
from netspec.backends.torch import emit_source

SPEC = Path(__file__).parent.parent / "specs" / "unet.net"
SMALL = {"classes": 3, "base": 8}  # the same layers at an eighth of the width: a test of seconds

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _compiled(**params):
    module = type(sys)("generated_unet")
    exec(compile(emit_source(netspec.build(SPEC, params)).text, "<unet>", "exec"), module.__dict__)
    return getattr(module, module.__all__[-1])()


def test_default_unet_has_the_reference_keys_shapes_and_31_million_parameters():
    report = netspec.analyse(SPEC)
    with torch.device("meta"):
        ours, theirs = netspec.load(SPEC).state_dict(), UNet().state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)
    assert (
        report.totals.params
        == sum(t.numel() for k, t in theirs.items() if "running" not in k and "num_batches" not in k)
        == 31_037_698
    )
    assert report.output == [2, 256, 256] and report.layer("up1.up").shape == [512, 32, 32]


def test_weights_load_strictly_and_outputs_match_the_reference():
    torch.manual_seed(0)
    ref = UNet(n_classes=3, base=8)
    for m in ref.modules():  # realistic batchnorm statistics, not the identity of a fresh module
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5), m.running_var.uniform_(0.5, 2.0)
    ref.eval()
    x = torch.randn(2, 3, 64, 48)
    live = netspec.load(SPEC, weights=ref.state_dict(), input=(3, 64, 48), **SMALL).eval()
    written = _compiled(**SMALL).eval()
    written.load_state_dict(ref.state_dict(), strict=True)
    with torch.no_grad():
        expected = ref(x)
        torch.testing.assert_close(live(x), expected, rtol=0, atol=1e-5)
        torch.testing.assert_close(written(x), expected, rtol=0, atol=1e-5)
    assert expected.shape == (2, 3, 64, 48)


def test_input_sizes_are_multiples_of_16():
    found = netspec.sizes(SPEC, limit=128, **SMALL)
    legal = [h for h in range(1, 129) if found.legal(h, 64)]
    assert legal == list(range(16, 129, 16))
    first = min(found.rejections("height"), key=lambda r: r.example)
    assert first.example == 1
    with pytest.raises(netspec.NetspecError, match="concatenated"):
        netspec.build(SPEC, SMALL, (3, 250, 256))
