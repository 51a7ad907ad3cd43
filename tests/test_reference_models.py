"""Checks the reference models against published parameter counts, MACs, output shapes and torchvision key names."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from reference_models import alexnet, cifar_resnet, lenet5, resnet18, resnet34, resnet50, vgg

MAC_OPS = {"convolution", "mm", "addmm"}

IMAGENET = {
    "resnet18": (resnet18, 11_689_512, 1_814_073_344),
    "resnet34": (resnet34, 21_797_672, 3_663_761_408),
    "resnet50": (resnet50, 25_557_032, 4_089_184_256),
    "alexnet": (alexnet, 61_100_840, 714_188_480),
    "vgg16": (lambda: vgg(16), 138_357_544, 15_470_264_320),
}

PARAMS_ONLY = {
    "vgg11": (lambda: vgg(11), 132_863_336),
    "vgg16_bn": (lambda: vgg(16, batch_norm=True), 138_365_992),
    "cifar_resnet20": (lambda: cifar_resnet(20), 269_722),
    "cifar_resnet56": (lambda: cifar_resnet(56), 853_018),
    "lenet5": (lenet5, 61_706),
}


def on_meta(factory):
    with torch.device("meta"):
        return factory()


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def conv_linear_macs(model, x):
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    counts = counter.get_flop_counts()["Global"]
    flops = sum(n for op, n in counts.items() if op.__name__.split(".")[0] in MAC_OPS)
    return flops // 2


@pytest.mark.parametrize("name", IMAGENET)
def test_imagenet_params_and_macs(name):
    factory, params, macs = IMAGENET[name]
    model = on_meta(factory).eval()
    assert n_params(model) == params
    x = torch.empty(1, 3, 224, 224, device="meta")
    assert conv_linear_macs(model, x) == macs
    assert model(x).shape == (1, 1000)


@pytest.mark.parametrize("name", PARAMS_ONLY)
def test_param_counts(name):
    factory, params = PARAMS_ONLY[name]
    assert n_params(on_meta(factory)) == params


def test_vgg_all_depths_output_shape():
    x = torch.empty(1, 3, 224, 224, device="meta")
    for depth in (11, 13, 16, 19):
        for bn in (False, True):
            assert on_meta(lambda: vgg(depth, bn, num_classes=7)).eval()(x).shape == (1, 7)


@pytest.mark.parametrize("plain", [False, True])
def test_cifar_resnet_runs(plain):
    model = cifar_resnet(20, plain=plain).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 32, 32))
    assert out.shape == (1, 10) and torch.isfinite(out).all()


def test_cifar_resnet_shortcut():
    block = cifar_resnet(20).layer2[0]
    out = block.shortcut(torch.ones(1, 16, 32, 32))
    assert out.shape == (1, 32, 16, 16)
    assert out[:, 8:24].eq(1).all() and out[:, :8].eq(0).all() and out[:, 24:].eq(0).all()


def test_cifar_resnet_rejects_bad_depth():
    with pytest.raises(ValueError):
        cifar_resnet(21)


def test_lenet5_runs():
    with torch.no_grad():
        out = lenet5()(torch.randn(1, 1, 32, 32))
    assert out.shape == (1, 10)


@pytest.mark.parametrize(
    "factory, keys",
    [
        (resnet18, ["conv1.weight", "bn1.running_mean", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias", "fc.weight"]),
        (resnet50, ["layer1.0.downsample.0.weight", "layer4.2.conv3.weight", "layer4.2.bn3.num_batches_tracked"]),
        (alexnet, ["features.0.weight", "features.10.bias", "classifier.1.weight", "classifier.6.bias"]),
        (lambda: vgg(16), ["features.28.weight", "classifier.0.weight", "classifier.6.bias"]),
        (lambda: vgg(11, batch_norm=True), ["features.1.running_var", "features.26.weight"]),
        (lambda: cifar_resnet(20), ["layer3.2.bn2.weight", "linear.weight"]),
        (lenet5, ["conv1.weight", "conv2.bias", "fc1.weight", "fc3.bias"]),
    ],
)
def test_state_dict_keys(factory, keys):
    state = on_meta(factory).state_dict()
    assert set(keys) <= set(state)


def test_resnet18_has_no_downsample_in_layer1():
    model = on_meta(resnet18)
    assert model.layer1[0].downsample is None
    assert not any(k.startswith("layer1.0.downsample") for k in model.state_dict())
