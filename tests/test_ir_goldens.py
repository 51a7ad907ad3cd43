"""The IR text of every zoo spec against its golden file: any change to elaboration shows up as a diff."""

from pathlib import Path

import pytest

import netspec

SPECS = Path(__file__).parent.parent / "specs"

# golden name -> (spec, parameters)
CASES = {
    "lecture": ("lecture.net", {}),
    "lenet5": ("lenet5.net", {}),
    "vgg11_bn": ("vgg.net", {"depth": 11, "batchnorm": True}),
    "vgg16": ("vgg.net", {}),
    "resnet18": ("resnet.net", {}),
    "resnet50": ("resnet.net", {"depth": 50}),
    "resnet_cifar20": ("resnet_cifar.net", {}),
    "resnet_cifar20_plain": ("resnet_cifar.net", {"plain": True}),
    "googlenet": ("googlenet.net", {}),
    "googlenet_aux": ("googlenet.net", {"aux": True}),
    "fcn_resnet50": ("fcn.net", {}),
    "deeplabv3_resnet50": ("deeplabv3.net", {}),
    "densenet121": ("densenet.net", {}),
    "stack3": ("stack.net", {}),
    "stack7": ("stack.net", {"kernel": 7}),
    "squeezenet1_1": ("squeezenet.net", {"version": 1.1}),
    "unet": ("unet.net", {}),
    "mobilenet_v2": ("mobilenet_v2.net", {}),
    "mnasnet0_5": ("mnasnet.net", {"alpha": 0.5}),
    "mobilenet_v3_small": ("mobilenet_v3.net", {"variant": "small"}),
    "convnext_tiny": ("convnext.net", {}),
    "shufflenet_v2_x0_5": ("shufflenet_v2.net", {"width": 0.5}),
    "inception_v3": ("inception_v3.net", {}),
    "efficientnet_b0": ("efficientnet.net", {}),
    "efficientnet_v2_s": ("efficientnet_v2.net", {}),
    "regnet_y_400mf": ("regnet.net", {}),
}


@pytest.mark.parametrize("name", CASES)
def test_ir_text(name, golden):
    spec, params = CASES[name]
    golden.check(f"ir/{name}.txt", netspec.build(SPECS / spec, params).text())


def test_every_zoo_spec_has_a_golden():
    covered = {spec for spec, _ in CASES.values()}
    mine = {p.name for p in SPECS.glob("*.net")} - {"resnet18.net", "alexnet.net"}
    assert mine <= covered, f"specs without an IR golden: {sorted(mine - covered)}"
