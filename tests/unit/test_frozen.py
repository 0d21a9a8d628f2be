"""`@frozen` behaves like `@dataclass(frozen=True)` wherever the code relies on it: the same
class declared both ways gives the same construction, repr, equality, hashing, defaults,
immutability, `replace`, `fields` and `asdict`."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys

import pytest

from researchflow.base.frozen import FrozenInstanceError, asdict, field, fields, frozen, replace


@frozen
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DataPoint:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@frozen
class Box:
    name: str
    items: list[int] = field(default_factory=list)
    memo: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    inner: Point | None = None

    def label(self) -> str:
        return f"box {self.name}"


@frozen
class Shown:
    value: int

    def __repr__(self) -> str:
        return f"<{self.value}>"


def test_construction_repr_equality_and_hash_match_dataclasses() -> None:
    for args, kwargs in [
        ((1,), {}),
        ((1, 2), {}),
        ((), {"x": 1, "tags": ("a",)}),
        ((1,), {"y": 3}),
    ]:
        ours, theirs = Point(*args, **kwargs), DataPoint(*args, **kwargs)
        assert repr(ours) == repr(theirs).replace("DataPoint", "Point")
        assert ours == Point(*args, **kwargs)
        assert hash(ours) == hash(Point(*args, **kwargs))
        assert asdict(ours) == dataclasses.asdict(theirs)
    assert Point(1) != Point(2)
    assert Point(1) != DataPoint(1)  # another class is never equal, as in dataclasses
    assert len({Point(1), Point(1), Point(1, 2)}) == 2


def test_wrong_arguments_are_refused_like_a_generated_init() -> None:
    with pytest.raises(TypeError, match="missing"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected"):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values"):
        Point(1, x=2)  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 3 arguments"):
        Point(1, 2, (), 4)  # type: ignore[call-arg]


def test_instances_are_immutable() -> None:
    point = Point(1)
    with pytest.raises(FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):  # FrozenInstanceError is one, as in dataclasses
        del point.y  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        point.other = 1  # type: ignore[attr-defined]
    assert point.x == 1


def test_default_factory_gives_each_instance_its_own_value() -> None:
    first, second = Box("a"), Box("b")
    first.items.append(1)
    assert second.items == []
    assert Box("a", [1]) == first


def test_compare_false_and_repr_false_leave_a_field_out() -> None:
    assert Box("a", memo={"k": 1}) == Box("a", memo={"k": 2})
    assert repr(Box("a")) == "Box(name='a', items=[], inner=None)"


def test_methods_the_class_writes_win() -> None:
    assert repr(Shown(3)) == "<3>"
    assert Box("a").label() == "box a"


def test_replace_fields_and_asdict() -> None:
    box = Box("a", [1], inner=Point(2, tags=("t",)))
    changed = replace(box, name="b")
    assert (changed.name, changed.items, changed.inner) == ("b", [1], Point(2, tags=("t",)))
    assert box.name == "a"
    with pytest.raises(TypeError):
        replace(box, nope=1)
    assert [spec.name for spec in fields(Box)] == ["name", "items", "memo", "inner"]
    assert [spec.name for spec in fields(box)] == ["name", "items", "memo", "inner"]
    assert fields(Point)[1].default == 0
    assert asdict(box) == {
        "name": "a",
        "items": [1],
        "memo": {},
        "inner": {"x": 2, "y": 0, "tags": ("t",)},
    }
    with pytest.raises(TypeError):
        asdict(Box)


def test_the_helpers_take_dataclasses_too() -> None:
    point = DataPoint(1)
    assert replace(point, y=5) == DataPoint(1, 5)
    assert [spec.name for spec in fields(point)] == ["x", "y", "tags"]
    assert asdict(point) == {"x": 1, "y": 0, "tags": ()}


def test_copy_and_pickle_keep_the_value() -> None:
    box = Box("a", [1], inner=Point(2))
    assert copy.copy(box) == box
    assert copy.deepcopy(box) == box
    assert pickle.loads(pickle.dumps(box)) == box


def test_a_default_before_a_required_field_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'y'"):

        @frozen
        class Wrong:
            x: int = 0
            y: int  # type: ignore[misc]


def test_defining_a_class_does_not_import_dataclasses() -> None:
    code = (
        "import sys\n"
        "from researchflow.base.frozen import frozen\n"
        "@frozen\n"
        "class A:\n"
        "    x: int\n"
        "print('dataclasses' in sys.modules, 'inspect' in sys.modules)\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["False", "False"]


def test_an_instance_lists_its_fields_in_order_whatever_the_call() -> None:
    """commands/export.py writes `row.__dict__` as JSON: the key order is the field order."""
    assert list(vars(Point(tags=("a",), x=1))) == ["x", "y", "tags"]
    assert list(vars(Box(inner=None, name="a"))) == ["name", "items", "memo", "inner"]
