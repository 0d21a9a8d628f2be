"""`@frozen`: value classes like `@dataclass(frozen=True)`, but cheap to define.

On Python 3.11 `dataclasses` imports `inspect` (about 13 ms) and compiles each class's
generated methods with `exec` (about 1 ms a class), and `rflow validate`, the pre-commit
hook, defines dozens of classes on every commit. `@frozen` builds the same methods from
shared closures instead. It keeps from dataclasses: the fields from the annotations, in
order (a base class's first); defaults and `field(default=, default_factory=, compare=,
repr=)`; `__init__` by position or keyword; `__repr__`, `__eq__` and `__hash__`;
`FrozenInstanceError` on assignment; and a method the class writes itself wins. Not
kept: `InitVar`, `__post_init__`, `__slots__`, ordering, `__match_args__`. mypy reads
`@frozen` as a frozen dataclass (`dataclass_transform`).

`replace`, `fields` and `asdict` take `@frozen` instances and dataclasses alike (the
latter through `dataclasses`, imported only then).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform

    _T = TypeVar("_T")
else:  # what typing's own does at run time: the decorated function, as it is

    def dataclass_transform(**_options):
        return lambda decorated: decorated


_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "MISSING"})()
_FIELDS = "__frozen_fields__"


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen instance (the dataclasses error's name and base)."""


class Field:
    """One field: its name, annotation (as written), default or factory, and whether
    equality and hashing (`compare`) and the repr (`repr`) look at it."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr", "type")

    def __init__(
        self, default: Any, default_factory: Any, compare: bool = True, repr: bool = True
    ) -> None:
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """A field's default or its factory (called for each new instance); `compare=False`
    leaves it out of equality and hashing, `repr=False` out of the repr."""
    return Field(default, default_factory, compare, repr)


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return text.startswith(("ClassVar", "typing.ClassVar"))


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_T]) -> type[_T]:
    """Make `cls` a frozen value class over its annotated attributes."""
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        found.update((f.name, f) for f in base.__dict__.get(_FIELDS, ()))
    own_annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (not inspect: slow)
    for name, annotation in own_annotations.items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        if isinstance(value, Field):
            spec = value
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        else:
            spec = Field(value, _MISSING, True)
        spec.name, spec.type = name, annotation
        found[name] = spec
    specs = tuple(found.values())
    _check_order(cls, specs)
    setattr(cls, _FIELDS, specs)
    own = cls.__dict__
    methods: dict[str, Any] = {"__init__": _init(specs), "__repr__": _repr(specs)}
    key = _key(specs)
    methods["__eq__"] = _eq(key)
    for name, method in methods.items():
        if name not in own:
            setattr(cls, name, method)
    if "__hash__" not in own or own["__hash__"] is None:
        # dataclasses adds a hash to a frozen class unless it wrote its own
        cls.__hash__ = _hash(key)  # type: ignore[assignment]
    if "__setattr__" in own or "__delattr__" in own:
        raise TypeError(f"{cls.__name__}: a frozen class defines no __setattr__ or __delattr__")
    names = frozenset(found)
    cls.__setattr__ = _frozen_setattr(cls, names)  # type: ignore[method-assign]
    cls.__delattr__ = _frozen_delattr(cls, names)  # type: ignore[method-assign]
    return cls


def _check_order(cls: type, specs: tuple[Field, ...]) -> None:
    defaulted = False
    for spec in specs:
        has_default = spec.default is not _MISSING or spec.default_factory is not _MISSING
        if defaulted and not has_default:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")
        defaulted = defaulted or has_default


def _init(specs: tuple[Field, ...]) -> Callable[..., None]:
    names = tuple(spec.name for spec in specs)
    count = len(names)
    # every field in order, so the instance's __dict__ lists them in order (as dataclasses
    # do): a plain default is copied in, the rest marked until given or made
    template = {
        spec.name: _MISSING if spec.default_factory is not _MISSING else spec.default
        for spec in specs
    }
    needs = tuple(
        (spec.name, None if spec.default_factory is _MISSING else spec.default_factory)
        for spec in specs
        if spec.default is _MISSING
    )
    # the fields before this position include every one without a default: an instance
    # given that many by position (a Problem without its severity) has nothing to fill
    given_by = max((i + 1 for i, spec in enumerate(specs) if spec.default is _MISSING), default=0)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) == count and not kwargs:  # every field by position: straight in
            # equal lengths, checked; zip's strict= keyword alone costs a fifth of the call
            self.__dict__.update(zip(names, args))  # noqa: B905
            return
        values = template.copy()
        if args:
            if len(args) > count or (kwargs and not kwargs.keys().isdisjoint(names[: len(args)])):
                _bad_arguments(type(self), names, args, kwargs)
            values.update(zip(names, args))  # noqa: B905 (fewer args than names: by design)
        if kwargs:
            values.update(kwargs)
            if len(values) != count:  # a keyword that names no field
                _bad_arguments(type(self), names, args, kwargs)
        if len(args) >= given_by or len(args) + len(kwargs) == count:
            self.__dict__.update(values)  # nothing left to a default factory or missing
            return
        for name, factory in needs:
            if values[name] is _MISSING:
                if factory is None:
                    missing = ", ".join(
                        repr(n) for n, made in needs if made is None and values[n] is _MISSING
                    )
                    raise TypeError(f"{type(self).__name__}() missing argument(s): {missing}")
                values[name] = factory()
        self.__dict__.update(values)

    return __init__


def _bad_arguments(
    cls: type, names: tuple[str, ...], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    if len(args) > len(names):
        raise TypeError(f"{cls.__name__}() takes {len(names)} arguments but {len(args)} were given")
    for name in kwargs:
        if name not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}")
        if name in names[: len(args)]:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")


def _key(specs: tuple[Field, ...]) -> Callable[[Any], tuple[Any, ...]]:
    compared = [spec.name for spec in specs if spec.compare]
    if not compared:
        return lambda _self: ()
    if len(compared) == 1:
        single = attrgetter(compared[0])
        return lambda self: (single(self),)
    return attrgetter(*compared)


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, object], Any]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _repr(specs: tuple[Field, ...]) -> Callable[[Any], str]:
    shown = tuple(spec.name for spec in specs if spec.repr)

    def __repr__(self: Any) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({values})"

    return __repr__


def _frozen_setattr(owner: type[Any], names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if self.__class__ is owner or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(owner, self).__setattr__(name, value)  # an undecorated subclass's own attribute

    return __setattr__


def _frozen_delattr(owner: type[Any], names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if self.__class__ is owner or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(owner, self).__delattr__(name)

    return __delattr__


def is_frozen(value: Any) -> bool:
    """A class made by `@frozen`, or an instance of one."""
    return hasattr(value, _FIELDS)


def fields(value: Any) -> tuple[Field, ...]:
    """The fields of a `@frozen` class or instance (or a dataclass's), in order."""
    if is_frozen(value):
        return getattr(value, _FIELDS)  # type: ignore[no-any-return]
    import dataclasses

    return dataclasses.fields(value)  # type: ignore[return-value]


def replace(value: _T, /, **changes: Any) -> _T:
    """A copy with `changes`, built through `__init__` (a dataclass's too)."""
    if not is_frozen(value):
        import dataclasses

        return dataclasses.replace(value, **changes)  # type: ignore[type-var]
    values = {spec.name: getattr(value, spec.name) for spec in getattr(value, _FIELDS)}
    values.update(changes)
    return type(value)(**values)


def asdict(value: Any) -> dict[str, Any]:
    """An instance (or a dataclass's) as a dict, recursively through lists, tuples and
    dicts, like `dataclasses.asdict`."""
    if isinstance(value, type) or not (is_frozen(value) or hasattr(value, "__dataclass_fields__")):
        raise TypeError("asdict() should be called on a @frozen or dataclass instance")
    plain: dict[str, Any] = _plain(value)
    return plain


def _plain(value: Any) -> Any:
    if not isinstance(value, type) and (is_frozen(value) or hasattr(value, "__dataclass_fields__")):
        return {spec.name: _plain(getattr(value, spec.name)) for spec in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*[_plain(item) for item in value])
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    return value
