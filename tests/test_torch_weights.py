"""Loading weights: files and wrapped checkpoints load; keys or shapes that do not fit give one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision_models
from reference_models import lenet5

import netspec
from netspec.backends.torch import WeightsError

SPECS = Path(__file__).parent.parent / "specs"


@pytest.fixture(scope="module")
def lenet_state():
    torch.manual_seed(0)
    return lenet5().state_dict()


def load_lenet(weights, **params):
    return netspec.load(SPECS / "lenet5.net", weights=weights, **params)


def test_loads_a_file_a_wrapped_checkpoint_a_ddp_checkpoint_and_a_module(tmp_path, lenet_state):
    plain, wrapped, ddp = tmp_path / "plain.pt", tmp_path / "wrapped.pth", tmp_path / "ddp.pt"
    torch.save(lenet_state, plain)
    torch.save({"state_dict": lenet_state, "epoch": 3}, wrapped)
    torch.save({f"module.{k}": v for k, v in lenet_state.items()}, ddp)
    reference = lenet5()
    reference.load_state_dict(lenet_state)
    for weights in (plain, str(wrapped), ddp, reference):
        model = load_lenet(weights)
        assert torch.equal(model.fc3.weight, lenet_state["fc3.weight"])


def test_mis_shaped_keys_are_listed_with_their_spec_line(lenet_state):
    with pytest.raises(WeightsError) as info:
        load_lenet(lenet_state, classes=7)
    error = info.value
    assert error.misshaped == [("fc3.weight", (10, 84), (7, 84)), ("fc3.bias", (10,), (7,))]
    assert not error.missing and not error.unexpected
    text = str(error)
    assert "the weights do not fit `LeNet5`: 2 mis-shaped keys" in text
    line = next(n.span.line for n in netspec.build(SPECS / "lenet5.net").nodes if n.path == "fc3")
    assert f"fc3.weight is [10, 84] in the weights, [7, 84] in the spec ({SPECS / 'lenet5.net'}:{line})" in text
    assert isinstance(error, netspec.NetspecError)


def test_missing_and_unexpected_keys_are_listed_together(lenet_state):
    state = dict(lenet_state)
    del state["conv1.bias"]
    state["conv9.weight"] = torch.zeros(1)
    state["fc1.weight"] = torch.zeros(3, 3)
    with pytest.raises(WeightsError) as info:
        load_lenet(state)
    error = info.value
    assert (error.missing, error.unexpected) == (["conv1.bias"], ["conv9.weight"])
    assert [k for k, _, _ in error.misshaped] == ["fc1.weight"]
    text = error.render()
    assert "1 missing, 1 unexpected, 1 mis-shaped keys" in text
    assert "missing (the spec has them, the weights do not): conv1.bias" in text
    assert "unexpected (the weights have them, the spec does not): conv9.weight" in text
    assert "Error(s) in loading state_dict" not in text  # not torch's raw message


def test_long_lists_are_shortened():
    torch.manual_seed(0)
    state = torchvision_models.build("resnet18").state_dict()
    with pytest.raises(WeightsError) as info:
        netspec.load(SPECS / "lenet5.net", weights=state)
    assert len(info.value.unexpected) == len(state) - 1  # conv1.weight is in both, mis-shaped
    assert f"... and {len(state) - 1 - 12} more" in str(info.value)


def test_values_that_are_not_tensors_are_mis_shaped(lenet_state):
    state = dict(lenet_state, **{"fc2.bias": [0.0] * 84})
    with pytest.raises(WeightsError, match=r"fc2\.bias is not a tensor"):
        load_lenet(state)


def test_something_that_is_not_weights_is_a_type_error():
    with pytest.raises(TypeError, match="state_dict"):
        load_lenet(42)
