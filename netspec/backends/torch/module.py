"""ir.Graph (+ weights) -> a live torch.nn.Module whose module paths and state_dict keys are the spec's names."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from netspec.analysis.allocation import check_memory
from netspec.backends.torch import custom, functional
from netspec.backends.torch.layers import Construct, Function, Init, Parameter
from netspec.backends.torch.layout import Container, Leaf, layout, named_outputs, outputs
from netspec.ir import Graph


class Network(nn.Module):
    """A container of the spec (the network, a block, a branch): runs its steps in order, nothing else.

    The steps are fixed when the module is built: no string lookups or data-dependent Python in `forward`,
    so `torch.compile(fullgraph=True)` and `torch.export` trace it in one graph.
    """

    _title: str
    _program: tuple[tuple[Callable[..., Any], tuple[int, ...], int], ...]  # (call, input slots, output slot)
    _slots: int
    _out: int

    def __init__(self, title: str):
        super().__init__()
        # plain attributes, set past nn.Module.__setattr__ (which looks for parameters and modules first)
        self.__dict__.update(_title=title, _program=(), _slots=1, _out=0, _names=None)

    def _get_name(self) -> str:
        return self._title

    def __reduce_ex__(self, protocol):  # a class made by `named` is rebuilt from its base and name (pickle, copy)
        return _rebuild, ("Network", self._title), self.__getstate__()

    def forward(self, x, *extra):
        """The main input, then the values it reads from outside; its main output, or a tuple of it and the
        values read outside it; the network's named outputs as a dict in declaration order."""
        values = [x, *extra]
        values += [x] * (self._slots - len(values))
        for call, inputs, out in self._program:
            if isinstance(out, int):
                values[out] = call(*[values[i] for i in inputs])
            else:  # a child container that returns several values
                given = call(*[values[i] for i in inputs])
                for k, slot in enumerate(out):
                    values[slot] = given[k]
        if self._out.__class__ is int:
            return values[self._out]
        if self._names is not None:
            return {name: values[i] for name, i in self._names}  # type: ignore[union-attr]  # set in __dict__
        return tuple(values[i] for i in self._out)


class Sequential(nn.Sequential):
    """nn.Sequential that prints as the block it was built from."""

    _title: str

    def __init__(self, title: str):
        super().__init__()
        self.__dict__["_title"] = title

    def _get_name(self) -> str:
        return self._title

    def __reduce_ex__(self, protocol):
        return _rebuild, ("Sequential", self._title), self.__getstate__()


_BASES: dict[str, type[nn.Module]] = {"Network": Network, "Sequential": Sequential}


_NAMED: dict[tuple[type[nn.Module], str], type[nn.Module]] = {}  # one class per name: pickle finds it again


def named(base: type[nn.Module], title: str) -> type[nn.Module]:
    """`base` under the spec's name (`Basic`, `ResNet18`): what torchinfo, torchview and type() print."""
    if title == base.__name__ or not title.isidentifier():
        return base
    if (base, title) not in _NAMED:
        _NAMED[base, title] = type(title, (base,), {"__module__": base.__module__, "__qualname__": title})
    return _NAMED[base, title]


def _rebuild(base: str, title: str) -> nn.Module:
    cls = named(_BASES[base], title)
    return cls.__new__(cls)


_TAKEN = frozenset(dir(Network)) | frozenset(dir(Sequential))


def build_module(graph: Graph, weights=None, max_bytes: int | str | None = None) -> nn.Module:
    """A torch.nn.Module computing the checked graph; `weights` (a state_dict or a file) are loaded strictly.

    Refused before anything is allocated when its parameters, buffers and one sample's activations exceed
    `max_bytes` (default $NETSPEC_MAX_BYTES, else 8 GiB; see netspec.analysis.allocation)."""
    check_memory(graph, max_bytes)
    with _collector_paused():
        module = _container(layout(graph), graph)
    if weights is not None:
        from netspec.backends.torch.weights import load_weights

        load_weights(module, weights, graph)
    return module


@contextmanager
def _collector_paused():
    """Building allocates thousands of small objects while the graph holds many more: pausing the cyclic
    garbage collector keeps it from rescanning them all again and again (ResNet-1202: -30% build time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def title(box: Container, graph: Graph) -> str:
    """What a container is called when printed: the network's or the block's name, else its kind."""
    if box.is_root:
        return graph.name
    if box.is_block and box.scope.block is not None:
        return box.scope.block
    if box.scope.kind == "paths":
        return box.steps[-1].node.op.title()
    return "Sequential" if box.chain else box.scope.kind.title()


def _container(box: Container, graph: Graph) -> nn.Module:
    members = [(m.name, _member(m, graph)) for m in box.members]
    name = title(box, graph)
    if box.chain:
        chain = named(Sequential, name)(name)
        _adopt(chain, members)
        return chain
    network = named(Network, name)(name)
    assert isinstance(network, Network)  # a subclass of it, named after the spec
    _adopt(network, members)
    names = tuple(n for n, _ in outputs(graph)) if box.is_root and named_outputs(graph) else None
    _compile(network, box, names)
    return network


def _adopt(module: nn.Module, members: list[tuple[str, nn.Module | nn.Parameter]]) -> None:
    """Register submodules. The elaborator has checked the names (no `_`, no nn.Module attribute), so they go
    straight in; anything else takes add_module's checks, which raise."""
    for name, member in members:
        if isinstance(member, nn.Parameter):
            module.register_parameter(name, member)
        elif name.startswith("_") or name in _TAKEN or "." in name:
            module.add_module(name, member)
        else:
            module._modules[name] = member


def _member(member: Leaf | Container, graph: Graph) -> nn.Module | nn.Parameter:
    return leaf(member.construct) if isinstance(member, Leaf) else _container(member, graph)


def leaf(construct: Construct | Parameter) -> nn.Module | nn.Parameter:
    """The nn module of one layer, initialised as the spec says (PyTorch's default otherwise)."""
    if isinstance(construct, Parameter):
        return nn.Parameter(torch.full(construct.shape, construct.value))
    cls = getattr(custom if construct.custom else nn, construct.cls)
    module = cls(*construct.live_args(), **construct.live_kwargs())
    if construct.init is not None:
        initialise(module, construct.init)
    return module


def initialise(module: nn.Module, init: Init) -> None:
    for function, name, kwargs in init.calls:
        tensor = getattr(module, name, None)
        if tensor is not None:
            getattr(nn.init, function)(tensor, **dict(kwargs))


def _compile(module: Network, box: Container, names: tuple[str, ...] | None) -> None:
    """The steps as (callable, input slots, output slot or slots); a slot is reused once its value is dead.
    `names`: the network's output names, when it returns them as a dict."""
    end = len(box.steps)
    last_use = {i: n for n, step in enumerate(box.steps) for i in step.inputs} | dict.fromkeys(box.outputs, end)
    slots = {value: n for n, value in enumerate(box.inputs)}
    free: list[int] = []
    size, program = len(box.inputs), []
    for n, step in enumerate(box.steps):
        inputs = tuple(slots[i] for i in step.inputs)
        free += [slots[i] for i in set(step.inputs) if last_use[i] == n]
        for value in step.outputs:
            if free:
                slots[value] = free.pop()
            else:
                slots[value], size = size, size + 1
        out = tuple(slots[v] for v in step.outputs)
        program.append((_callable(module, step), inputs, out[0] if len(out) == 1 else out))
    result = tuple(slots[v] for v in box.outputs)
    single = len(result) == 1 and names is None
    named = None if names is None else tuple(zip(names, result, strict=True))  # (output name, slot)
    module.__dict__.update(_program=tuple(program), _slots=size, _out=result[0] if single else result, _names=named)


def _callable(module: Network, step):
    if step.member in module._parameters:
        return functools.partial(functional.scale, owner=module, name=step.member)
    if step.member is not None:
        return module._modules[step.member]
    return _function(step.function)


def _function(function: Function):
    call = getattr(functional, function.name)
    return functools.partial(call, **dict(function.params)) if function.params else call
