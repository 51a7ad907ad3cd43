"""A class with annotated fields -> a dataclass whose methods cost one small compile to define, not six.

Python 3.11's `dataclass` compiles each generated method (`__init__`, `__repr__`, `__eq__`, `__hash__`, and
`__setattr__`/`__delattr__` when frozen) from its own source: ~0.4 ms a class, ~30 ms of every `netspec check`
for the AST, the layer attributes and the IR. `record` leaves the fields, `__match_args__` and `__slots__` to
`dataclass`, compiles only `__init__` (once per field layout: `Name(id, span)` and `Literal(value, span)` share
theirs), and gives every class the same few plain functions for the rest, reading the class's field names.
The result is a dataclass (`fields`, `replace`, `asdict` work) that behaves as `dataclass(frozen=...)` would:
equal by fields within one class, hashable when frozen, immutable when frozen, the same repr. A field with
options beyond `default`, `default_factory`, `repr` and `compare` gets `dataclass` itself.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError
from operator import attrgetter
from types import FunctionType
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)

_OWN = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


class _Factory:
    """The default of a field with a default_factory: its __init__ calls the factory."""

    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows it in a signature


_FACTORY = _Factory()
_INITS: dict[tuple, FunctionType] = {}  # field layout -> its compiled __init__, shared by every class of it


@overload
def record(cls: T, /) -> T: ...
@overload
def record(*, frozen: bool = True, slots: bool = False) -> Callable[[T], T]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: Any = None, /, *, frozen: bool = True, slots: bool = False) -> Any:
    """`@record` (frozen), `@record(slots=True)`, `@record(frozen=False)`: like `@dataclass(...)` with those."""

    def wrap(cls: Any) -> Any:
        doc, own = cls.__dict__.get("__doc__"), {name: cls.__dict__.get(name) for name in _OWN if name in cls.__dict__}
        cls.__doc__ = doc or cls.__name__  # else dataclass() runs inspect.signature for one (slow)
        made = dataclasses.dataclass(cls, init=False, repr=False, eq=False, frozen=False, slots=slots)
        fields = dataclasses.fields(made)
        plain = all(f.init and f.hash is None and not f.kw_only and not f.metadata for f in fields)
        if not plain or len(fields) + _class_vars(made) != len(made.__dataclass_fields__):  # an InitVar
            raise TypeError(f"{cls.__name__}: a record's fields take default, default_factory, repr and compare only")
        _install(made, fields, frozen, own)
        if not doc:
            made.__doc__ = f"{made.__name__}({', '.join(f'{f.name}: {_type_name(f.type)}' for f in fields)})"
        return made

    return wrap if cls is None else wrap(cls)


def _class_vars(cls: Any) -> int:
    return sum("ClassVar" in str(f.type) for f in cls.__dataclass_fields__.values())


def _type_name(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))


def _install(cls: Any, fields: tuple[dataclasses.Field, ...], frozen: bool, own: dict[str, Any]) -> None:
    """The methods `dataclass(frozen=frozen)` would add, where the class body does not define its own."""
    compared = tuple(f.name for f in fields if f.compare)
    cls._record_shown = tuple(f.name for f in fields if f.repr)
    cls._record_key = staticmethod(attrgetter(*compared) if len(compared) > 1 else _one_key(compared))
    cls._record_names = frozenset(f.name for f in fields)
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        raise TypeError(f"{cls.__name__}: a frozen record cannot define __setattr__ or __delattr__")
    methods = {"__init__": _init(cls, fields, frozen), "__repr__": _repr, "__eq__": _eq}
    explicit_hash = own.get("__hash__") is not None or ("__hash__" in own and "__eq__" not in own)
    if not explicit_hash:
        methods["__hash__"] = _hash if frozen else None
    if frozen:
        methods |= {"__setattr__": _frozen_setattr, "__delattr__": _frozen_delattr}
        if "__slots__" in cls.__dict__:
            methods |= {"__getstate__": _getstate, "__setstate__": _setstate}
    for name, method in methods.items():
        if name not in own or name == "__hash__":
            setattr(cls, name, method)


def _one_key(compared: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if not compared:
        return lambda self: ()
    get = attrgetter(compared[0])
    return lambda self: (get(self),)


def _init(cls: Any, fields: tuple[dataclasses.Field, ...], frozen: bool) -> FunctionType:
    names = tuple(f.name for f in fields)
    defaults = tuple(
        _FACTORY if f.default is MISSING else f.default
        for f in fields
        if f.default is not MISSING or f.default_factory is not MISSING
    )
    factories = tuple(f.default_factory for f in fields if f.default_factory is not MISSING)
    post_init = hasattr(cls, "__post_init__")
    layout = (names, len(defaults), tuple(f.default_factory is not MISSING for f in fields), frozen, post_init)
    shared = _INITS.get(layout) or _INITS.setdefault(layout, _compile_init(fields, frozen, post_init))
    init = FunctionType(shared.__code__, {**shared.__globals__, "_factories": factories}, "__init__", defaults or None)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {f.name: f.type for f in fields} | {"return": None}
    return init


def _compile_init(fields: tuple[dataclasses.Field, ...], frozen: bool, post_init: bool) -> FunctionType:
    params, body, factory = ["self"], [], 0
    for f in fields:
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        params.append(f"{f.name}=_FACTORY" if has_default else f.name)
        value = f.name
        if f.default_factory is not MISSING:
            value, factory = f"_factories[{factory}]() if {f.name} is _FACTORY else {f.name}", factory + 1
        body.append(f"_setattr(self, {f.name!r}, {value})" if frozen else f"self.{f.name} = {value}")
    if post_init:
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY, "_setattr": object.__setattr__, "_factories": ()}
    exec(source, namespace)  # field names are identifiers of netspec's own classes, never spec text
    return namespace["__init__"]


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{self.__class__.__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self._record_key(self) == self._record_key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    if name in self._record_names or "_record_key" in type(self).__dict__:  # as dataclass: a subclass may add
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    if name in self._record_names or "_record_key" in type(self).__dict__:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=True):
        object.__setattr__(self, f.name, value)
