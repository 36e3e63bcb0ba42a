"""mocknode.values builds the classes the standard library's dataclass builds, for the
options the project uses: each behaviour is checked on both, side by side."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any, ClassVar

import pytest

from mocknode import values


def _pair(**options: Any) -> list[Any]:
    """The same class body made by the standard library and by mocknode.values."""
    made = []
    for make in (dataclasses.dataclass, values._dataclass):

        @make(**options)
        class Point:
            """A docstring survives."""

            limit: ClassVar[int] = 3
            x: int
            y: int = 2
            tags: tuple[str, ...] = (
                dataclasses.field(default=())
                if make is dataclasses.dataclass
                else values._field(default=())
            )

            def norm(self) -> int:
                return self.x + self.y

        made.append(Point)
    return made


def _heated(cls: Any, hot: bool, *args: Any) -> Any:
    """``cls`` after enough constructions (with ``args``) that mocknode.values compiled
    its ``__init__`` (hot), or untouched: its generic ``__init__`` (cold). The standard
    library's classes are the same either way."""
    if hot:
        for _ in range(values.COMPILE_AFTER):
            cls(*args)
    return cls


KINDS = [
    {"frozen": True, "slots": True},
    {"frozen": True},
    {"slots": True},
    {},
    {"eq": False, "slots": True},
]


@pytest.mark.parametrize("hot", [False, True], ids=["generic-init", "compiled-init"])
@pytest.mark.parametrize("options", KINDS, ids=str)
def test_construction_equality_hash_and_repr_match_dataclasses(
    options: dict[str, Any], hot: bool
) -> None:
    for cls in (_heated(made, hot, 0) for made in _pair(**options)):
        a, b, c = cls(1), cls(1, 2, ()), cls(x=1, y=5, tags=("t",))
        assert (a.x, a.y, a.tags, c.y, c.tags, a.norm()) == (1, 2, (), 5, ("t",), 3)
        assert repr(c) == "_pair.<locals>.Point(x=1, y=5, tags=('t',))"
        assert cls.__doc__ == "A docstring survives."
        assert cls.limit == 3
        assert cls.__match_args__ == ("x", "y", "tags")
        assert (a == b) is options.get("eq", True)
        assert a != c
        assert a.__eq__(object()) is NotImplemented
        if options.get("eq", True) and not options.get("frozen"):
            assert cls.__hash__ is None
        elif options.get("frozen"):
            assert hash(a) == hash(b) == hash((1, 2, ()))
        else:
            assert hash(a) != hash(b)  # identity
        assert hasattr(a, "__dict__") is not options.get("slots", False)
        with pytest.raises(TypeError):
            cls()


@pytest.mark.parametrize("options", KINDS, ids=str)
def test_frozen_refuses_writes_and_others_take_them(options: dict[str, Any]) -> None:
    for cls in _pair(**options):
        point = cls(1)
        if options.get("frozen"):
            with pytest.raises(AttributeError, match="'x'"):
                point.x = 5
            with pytest.raises(AttributeError, match="'x'"):
                del point.x
            assert point.x == 1
        else:
            point.x = 5
            assert point.x == 5


# pickle finds a class by its module and name: one pair per kind, at module level
_PICKLED = {str(options): _pair(**options) for options in KINDS}
for _kind, (_std, _ours) in enumerate(_PICKLED.values()):
    for _cls, _side in ((_std, "std"), (_ours, "ours")):
        _cls.__qualname__ = _cls.__name__ = f"Point_{_side}_{_kind}"
        globals()[_cls.__name__] = _cls


@pytest.mark.parametrize("options", KINDS, ids=str)
def test_replace_fields_pickle_and_copy_match(options: dict[str, Any]) -> None:
    std, ours = _PICKLED[str(options)]
    for cls, replace, fields in (
        (std, dataclasses.replace, dataclasses.fields),
        (ours, values._replace, values._fields),
    ):
        point = cls(1, tags=("a",))
        moved = replace(point, y=7)
        assert (moved.x, moved.y, moved.tags) == (1, 7, ("a",))
        assert type(moved) is cls
        names = ["x", "y", "tags"]
        assert [f.name for f in fields(cls)] == [f.name for f in fields(point)] == names
        for back in (pickle.loads(pickle.dumps(point)), copy.copy(point), copy.deepcopy(point)):
            assert (back.x, back.y, back.tags) == (1, 2, ("a",))
            assert type(back) is cls
    with pytest.raises(TypeError):
        values._fields(object())


@pytest.mark.parametrize("hot", [False, True], ids=["generic-init", "compiled-init"])
def test_default_factory_init_false_and_post_init(hot: bool) -> None:
    made = []
    makers = ((dataclasses.dataclass, dataclasses.field), (values._dataclass, values._field))
    for make, field in makers:

        @make(slots=True)
        class Bag:
            name: str
            items: list[int] = field(default_factory=list)
            size: int = field(init=False, default=0)
            note: str = field(default="", compare=False, repr=False)

            def __post_init__(self) -> None:
                self.size = len(self.items)

        made.append(Bag)
    for cls in (_heated(bag, hot, "warm") for bag in made):
        one, two = cls("a"), cls("a")
        one.items.append(1)
        assert two.items == []  # a fresh list each
        assert cls("b", [1, 2]).size == 2
        assert cls("a", note="x") == cls("a", note="y")  # compare=False
        assert repr(cls("a", [3])).endswith("<locals>.Bag(name='a', items=[3], size=1)")
        with pytest.raises(TypeError):
            cls("a", [], "n", 3)  # size is not an argument
    with pytest.raises(ValueError, match="init=False: replace"):
        values._replace(made[1]("a"), size=4)


@pytest.mark.parametrize("hot", [False, True], ids=["generic-init", "compiled-init"])
def test_kw_only_and_frozen_post_init(hot: bool) -> None:
    @values._dataclass(frozen=True, slots=True, kw_only=True)
    class Rule:
        kind: str = "x"
        times: int

        def __post_init__(self) -> None:
            if self.times < 0:
                raise ValueError("times")

    if hot:
        for _ in range(values.COMPILE_AFTER):
            Rule(times=0)

    assert Rule(times=2) == Rule(kind="x", times=2)
    with pytest.raises(TypeError):
        Rule("x", 2)  # type: ignore[misc]
    with pytest.raises(ValueError, match="times"):
        Rule(times=-1)


def test_definition_errors_match() -> None:
    for make in (dataclasses.dataclass, values._dataclass):
        with pytest.raises(TypeError, match="non-default argument"):

            @make
            class Late:
                a: int = 1
                b: int

        with pytest.raises(ValueError, match="mutable default"):

            @make
            class Shared:
                a: list[int] = []

        with pytest.raises(TypeError, match="__setattr__"):

            @make(frozen=True)
            class Guarded:
                a: int

                def __setattr__(self, name: str, value: Any) -> None: ...


def test_a_plain_subclass_of_a_frozen_class_may_add_attributes_but_not_change_fields() -> None:
    for make in (dataclasses.dataclass, values._dataclass):

        @make(frozen=True)
        class Base:
            a: int

        class Plain(Base):
            pass

        plain = Plain(1)
        plain.extra = 2  # type: ignore[attr-defined]
        del plain.extra  # type: ignore[attr-defined]
        with pytest.raises(AttributeError, match="'a'"):
            plain.a = 3  # type: ignore[misc]
        with pytest.raises(AttributeError, match="'extra'"):
            Base(1).extra = 2  # type: ignore[attr-defined]


def test_inherited_fields_come_first() -> None:
    @values._dataclass(frozen=True)
    class Base:
        a: int

    @values._dataclass(frozen=True)
    class Child(Base):
        b: int = 0

    child = Child(1, 2)
    assert (child.a, child.b) == (1, 2)
    assert [f.name for f in values._fields(Child)] == ["a", "b"]
    assert child != Base(1)


@pytest.mark.parametrize("hot", [False, True], ids=["generic-init", "compiled-init"])
def test_wrong_arguments_are_refused_as_python_refuses_them(hot: bool) -> None:
    @values._dataclass(frozen=True, slots=True)
    class Pair:
        a: int
        b: int = 0

    _heated(Pair, hot, 1)
    for args, kwargs, message in (
        ((), {}, "missing 1 required .*'a'"),
        ((1, 2, 3), {}, "takes from 2 to 3 positional arguments but 4 were given"),
        ((1,), {"c": 1}, "unexpected keyword argument 'c'"),
        ((1,), {"a": 1}, "multiple values for argument 'a'"),
    ):
        with pytest.raises(TypeError, match=message):
            Pair(*args, **kwargs)
    assert Pair(b=2, a=1) == Pair(1, 2)


def test_methods_are_compiled_once_used() -> None:
    @values._dataclass(frozen=True, slots=True)
    class Lazy:
        a: int

    stubs = {name: Lazy.__dict__[name] for name in ("__init__", "__eq__", "__hash__")}
    one = Lazy(1)
    assert Lazy.__dict__["__init__"] is stubs["__init__"]  # built once: nothing compiled
    assert Lazy.__dict__["__eq__"] is stubs["__eq__"]  # nothing compared yet
    assert one == Lazy(1)
    assert hash(one) == hash((1,))
    for _ in range(values.COMPILE_AFTER):
        Lazy(0)
    for name, stub in stubs.items():
        compiled = Lazy.__dict__[name]
        assert compiled is not stub
        assert compiled.__qualname__.endswith(f"Lazy.{name}")
    assert (Lazy(2).a, Lazy(2) == Lazy(3), hash(Lazy(2))) == (2, False, hash((2,)))


@pytest.mark.parametrize("options", [{}, {"kw_only": True, "frozen": True, "slots": True}], ids=str)
def test_signatures_read_as_the_dataclass_ones(options: dict[str, Any]) -> None:
    """inspect.signature (so help()) sees the fields, not the stand-in __init__."""
    made = []
    makers = ((dataclasses.dataclass, dataclasses.field), (values._dataclass, values._field))
    for make, field in makers:

        @make(**options)
        class Bag:
            name: str
            size: int = 0
            items: list[int] = field(default_factory=list)
            note: str = field(default="", init=False)

        made.append(Bag)
    std, ours = (str(inspect.signature(cls)) for cls in made)
    assert ours == std
    assert ours.startswith("(*, " if options else "(name: 'str', size: 'int' = 0, items")
    assert "note" not in ours
