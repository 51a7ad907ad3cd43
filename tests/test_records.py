"""netspec/records.py: a `record` behaves as the standard library's `dataclass` with the same options."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import InitVar, dataclass, field

import pytest

from netspec.records import record

OPTIONS = [{}, {"slots": True}, {"frozen": False}, {"frozen": False, "slots": True}]


def _both(**options):
    """The same class body as a dataclass and as a record."""
    made = []
    for decorate in (dataclass(**{"frozen": True, **options}), record(**options)):

        @decorate
        class Point:
            x: int
            label: str = "p"
            tags: list = field(default_factory=list)
            weight: int = field(default=0, compare=False, repr=False)

        made.append(Point)
    return made


@record(slots=True)
class Module:  # at module level, so that pickle finds it
    name: str
    sizes: tuple[int, ...] = ()


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_a_record_behaves_as_the_dataclass(options):
    Data, Record = _both(**options)
    for args in [(1,), (1, "q"), (2, "q", [3], 7)]:
        d, r = Data(*args), Record(*args)
        assert repr(r) == repr(d)
        assert dataclasses.astuple(r) == dataclasses.astuple(d)
    assert Record(1, "q", [2], 5) == Record(1, "q", [2], 9)  # weight is not compared
    assert Record(1) != Record(2) and Record(1) != Data(1)
    assert (Record.__hash__ is None) == (Data.__hash__ is None)
    if Record.__hash__ is not None:
        assert hash(Record(1, "q", (), 4)) == hash(Record(1, "q", (), 5))
    assert Record(1).tags is not Record(1).tags  # a fresh list each time
    assert [f.name for f in dataclasses.fields(Record)] == [f.name for f in dataclasses.fields(Data)]
    assert Record.__match_args__ == Data.__match_args__
    assert hasattr(Record, "__slots__") == hasattr(Data, "__slots__")
    assert str(inspect.signature(Record)) == str(inspect.signature(Data))  # the same parameters and defaults
    changed = dataclasses.replace(Record(1), x=5)
    assert changed == Record(5) and copy.deepcopy(changed) == changed and copy.copy(changed) == changed


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_frozen_means_the_same(options):
    Data, Record = _both(**options)
    for cls in (Data, Record):
        point = cls(1)
        if options.get("frozen", True):
            with pytest.raises(dataclasses.FrozenInstanceError):
                point.x = 2
            with pytest.raises(dataclasses.FrozenInstanceError):
                del point.x
        else:
            point.x = 2
            assert point.x == 2


def test_a_slotted_frozen_record_pickles():
    module = Module("conv1", (3, 3))
    assert pickle.loads(pickle.dumps(module)) == module
    assert copy.deepcopy(module) == module


def test_post_init_runs_and_own_methods_stay():
    @record
    class Checked:
        n: int

        def __post_init__(self):
            if self.n < 0:
                raise ValueError("negative")
            object.__setattr__(self, "n", self.n * 2)

        def __repr__(self):
            return f"<{self.n}>"

    assert Checked(3).n == 6 and repr(Checked(3)) == "<6>"
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)


def test_an_explicit_hash_stays():
    @record
    class ByName:
        name: str
        size: int

        def __hash__(self):
            return hash(self.name)

    assert hash(ByName("a", 1)) == hash("a")


def test_classes_with_the_same_fields_share_one_compiled_init():
    @record
    class A:
        id: str
        span: int

    @record
    class B:
        id: str
        span: int

    assert A.__init__.__code__ is B.__init__.__code__
    assert A("x", 1) != B("x", 1) and A.__init__.__qualname__.endswith("A.__init__")


def test_what_a_record_does_not_take_is_refused():
    with pytest.raises(TypeError, match="default, default_factory, repr and compare only"):

        @record
        class Hidden:
            x: int = field(default=0, init=False)

    with pytest.raises(TypeError, match="default, default_factory, repr and compare only"):

        @record
        class Late:
            x: int
            scale: InitVar[int] = 1
