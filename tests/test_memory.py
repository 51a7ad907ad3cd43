"""`netspec memory`: the saved activations equal what autograd's saved_tensors_hooks sees in a real training
forward pass (distinct storages, dtype by dtype, parameters and module buffers excluded), and the optimizer
state equals what real torch optimizers hold after a step."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from strategies import specs as random_specs

import netspec
from netspec.analysis.memory import memory

SPECS = Path(__file__).parent.parent / "specs"
RANDOM = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

MIXED = """network M {
    input [3, 16, 16]
    conv1: conv(8, 3, padding=1, bias=false)
    bn1: batchnorm()
    relu(inplace=true)
    maxpool(2)
    concat {
        conv(4, 1)
        avgpool(3, stride=1, padding=1)
    }
    gelu()
    conv(8, 3, stride=2)
    sigmoid()
    leaky_relu(0.1, inplace=true)
    adaptive_avgpool(2)
    flatten()
    dropout(0.3)
    fc: linear(10)
    softmax()
}
"""


# Parameters of every other kind: layernorm2d, layernorm (channels last), layerscale, groupnorm, instancenorm.
NORMS = """network N {
    input [3, 16, 16]
    conv(8, 3, padding=1)
    layernorm2d()
    residual {
        conv(8, 3, padding=1, groups=8)
        permute([1, 2, 0])
        layernorm()
        linear(16)
        gelu()
        linear(8)
        permute([2, 0, 1])
        layerscale()
    }
    groupnorm(2)
    instancenorm(affine=true)
    adaptive_avgpool(1)
    flatten()
    linear(10)
}
"""


def measured(model: torch.nn.Module, x: torch.Tensor) -> Counter:
    """Bytes per dtype of the distinct storages autograd saves in one training forward pass."""
    own = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    seen: dict[int, tuple[str, int]] = {}

    def pack(t: torch.Tensor):
        storage = t.untyped_storage()
        if storage.data_ptr() not in own and storage.nbytes():
            seen[storage.data_ptr()] = (str(t.dtype).removeprefix("torch."), storage.nbytes())
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
    del out
    total = Counter()
    for dtype, nbytes in seen.values():
        total[dtype] += nbytes
    return total


def predicted(graph, batch: int) -> Counter:
    total = Counter()
    for s in memory(graph, batch).saved:
        total[s.dtype] += s.elements * {"float32": 4, "int64": 8}[s.dtype] * (batch if s.per_sample else 1)
    return total


def agree(source, batch: int = 2, input=None, **params) -> None:
    graph = netspec.build(source, params, input=input)
    model = netspec.load(source, input=input, **params)
    x = torch.randn(batch, *graph.input.shape)
    assert predicted(graph, batch) == measured(model, x)


@pytest.mark.parametrize(
    "source, params",
    [
        (MIXED, {}),
        ("lenet5.net", {}),
        ("resnet_cifar.net", {"depth": 8}),
        ("resnet_cifar.net", {"depth": 8, "plain": True}),
    ],
)
def test_saved_activations_are_what_autograd_keeps(source, params):
    agree(SPECS / source if source.endswith(".net") else source, **params)


def test_saved_activations_of_a_resnet_with_in_place_relus_and_bottlenecks():
    agree(SPECS / "resnet.net", batch=2, input=(3, 32, 32), depth=50)


@RANDOM
@given(random_specs())
def test_saved_activations_for_random_specs(spec):
    agree(spec.text, batch=2)


@pytest.mark.parametrize(
    "optimizer, cls, kwargs",
    [
        ("sgd", torch.optim.SGD, {"lr": 0.1}),
        ("momentum", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
        ("adam", torch.optim.Adam, {}),
        ("adamw", torch.optim.AdamW, {}),
    ],
)
@pytest.mark.parametrize("source", [MIXED, NORMS], ids=["mixed", "norms"])
def test_optimizer_state_is_what_torch_holds_after_a_step(source, optimizer, cls, kwargs):
    """Adam's `step` is one tensor per parameter tensor: layernorm's and layerscale's were once left out."""
    graph = netspec.build(source)
    model = netspec.load(source)
    opt = cls(model.parameters(), **kwargs)
    model(torch.randn(2, 3, 16, 16)).sum().backward()
    opt.step()
    state = sum(t.nbytes for s in opt.state.values() for t in s.values() if isinstance(t, torch.Tensor))
    grads = sum(p.grad.nbytes for p in model.parameters())
    m = memory(graph, 2, optimizer)
    assert m.optimizer_state == state and m.gradients == grads
    assert m.params == sum(p.nbytes for p in model.parameters())
    assert m.buffers == sum(b.nbytes for b in model.buffers())  # num_batches_tracked is int64


def test_cli_table_and_json(cli):
    code, out, _ = cli("memory", str(SPECS / "resnet18.net"), "--batch", "32", "--optimizer", "adam")
    assert code == 0 and "saved activations" in out and "peak" in out
    code, out, _ = cli("memory", str(SPECS / "resnet18.net"), "--batch", "32", "--optimizer", "adam", "--json")
    data = json.loads(out)
    assert data["optimizer_state"] == 2 * data["params"] + 4 * 62  # exp_avg, exp_avg_sq; a float32 step per tensor
    assert data["activations"] == sum(row["bytes"] for row in data["layers"])
