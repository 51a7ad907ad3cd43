"""ir.Graph (+ weights) -> a live torch.nn.Module whose module paths and state_dict keys are the spec's names."""

from __future__ import annotations

import functools
from collections import OrderedDict

from torch import nn

from netspec.backends.torch import functional
from netspec.backends.torch.layers import Construct, Function, Init
from netspec.backends.torch.layout import Container, Leaf, layout
from netspec.ir import Graph


class Network(nn.Module):
    """A container of the spec (the network, a block, a branch): runs its steps in order, nothing else.

    The steps are fixed when the module is built: no string lookups or data-dependent Python in `forward`,
    so `torch.compile(fullgraph=True)` and `torch.export` trace it in one graph.
    """

    def __init__(self, title: str):
        super().__init__()
        self._title = title
        self._program: tuple = ()
        self._slots = 1
        self._out = 0

    def _get_name(self) -> str:
        return self._title

    def forward(self, x):
        values = [x] * self._slots
        for call, inputs, out in self._program:
            values[out] = call(*[values[i] for i in inputs])
        return values[self._out]


class Sequential(nn.Sequential):
    """nn.Sequential that prints as the block it was built from."""

    def __init__(self, title: str, members: OrderedDict):
        super().__init__(members)
        self._title = title

    def _get_name(self) -> str:
        return self._title


def build_module(graph: Graph, weights=None) -> nn.Module:
    """A torch.nn.Module computing the checked graph; `weights` (a state_dict or a file) are loaded strictly."""
    module = _container(layout(graph), graph)
    if weights is not None:
        from netspec.backends.torch.weights import load_weights

        load_weights(module, weights, graph)
    return module


def title(box: Container, graph: Graph) -> str:
    """What a container is called when printed: the network's or the block's name, else its kind."""
    if box.is_root:
        return graph.name
    if box.is_block:
        return box.scope.block
    if box.scope.kind == "paths":
        return box.steps[-1].node.op.title()
    return "Sequential" if box.chain else box.scope.kind.title()


def _container(box: Container, graph: Graph) -> nn.Module:
    members = OrderedDict((m.name, _member(m, graph)) for m in box.members)
    if box.chain:
        return Sequential(title(box, graph), members)
    module = Network(title(box, graph))
    for name, member in members.items():
        module.add_module(name, member)
    _compile(module, box)
    return module


def _member(member: Leaf | Container, graph: Graph) -> nn.Module:
    return leaf(member.construct) if isinstance(member, Leaf) else _container(member, graph)


def leaf(construct: Construct) -> nn.Module:
    """The nn module of one layer, initialised as the spec says (PyTorch's default otherwise)."""
    module = getattr(nn, construct.cls)(*construct.live_args(), **construct.live_kwargs())
    if construct.init is not None:
        initialise(module, construct.init)
    return module


def initialise(module: nn.Module, init: Init) -> None:
    for function, name, kwargs in init.calls:
        tensor = getattr(module, name, None)
        if tensor is not None:
            getattr(nn.init, function)(tensor, **dict(kwargs))


def _compile(module: Network, box: Container) -> None:
    """The steps as (callable, input slots, output slot); a slot is reused once its value is dead."""
    last_use = {i: n for n, step in enumerate(box.steps) for i in step.inputs}
    slots, free, program = {box.input: 0}, [], []
    size = 1
    for n, step in enumerate(box.steps):
        inputs = tuple(slots[i] for i in step.inputs)
        free += [slots[i] for i in set(step.inputs) if last_use[i] == n]
        if free:
            slot = free.pop()
        else:
            slot, size = size, size + 1
        slots[step.node.id] = slot
        program.append((_callable(module, step), inputs, slot))
    module._program, module._slots, module._out = tuple(program), size, slots[box.output]


def _callable(module: Network, step):
    if step.member is not None:
        return module._modules[step.member]
    return _function(step.function)


def _function(function: Function):
    call = getattr(functional, function.name)
    return functools.partial(call, **dict(function.params)) if function.params else call
