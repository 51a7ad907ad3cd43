"""Checks the hand-written reference models (CIFAR ResNets, LeNet-5) against published parameter counts and names."""

import pytest
import torch
from reference_models import cifar_resnet, lenet5

PARAMS = {
    "cifar_resnet20": (lambda: cifar_resnet(20), 269_722),
    "cifar_resnet56": (lambda: cifar_resnet(56), 853_018),
    "lenet5": (lenet5, 61_706),
}


def on_meta(factory):
    with torch.device("meta"):
        return factory()


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", PARAMS)
def test_param_counts(name):
    factory, params = PARAMS[name]
    assert n_params(on_meta(factory)) == params


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
        (lambda: cifar_resnet(20), ["layer3.2.bn2.weight", "linear.weight"]),
        (lenet5, ["conv1.weight", "conv2.bias", "fc1.weight", "fc3.bias"]),
    ],
)
def test_state_dict_keys(factory, keys):
    state = on_meta(factory).state_dict()
    assert set(keys) <= set(state)
