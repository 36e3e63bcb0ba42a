"""The standard library's dataclass API, without compiling code while a module is imported.

Why not :mod:`dataclasses` itself: ``@dataclass`` writes each class's ``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` as source
text and compiles it with ``exec`` as the class is defined: about 1 ms a frozen class on
the reference machine (3.11; 3.13 merged the compiles into one). The ``mocknode``
command defines 53 of them before its first answer, and measured with the decorator's
work removed, its own imports fell from ~85 ms to ~30 ms of a ~220 ms start-up (issue
12: under 200 ms). The embedded node and the pytest plugin pay the same on import.

This module gives the same classes for the options the project uses (``frozen``,
``slots``, ``eq``, ``kw_only``; ``field`` with ``default``, ``default_factory``,
``init``, ``repr``, ``compare``; ``__post_init__``; :func:`replace`, :func:`fields`):

- ``__repr__`` is a shared function, and the frozen ``__setattr__``/``__delattr__`` are
  closures over the class and its field names;
- ``__init__``, ``__eq__`` and ``__hash__`` are the methods whose speed counts per object
  (a transaction builds a few records; blocks and hashes are compared and used as keys),
  so they are still compiled, to the code ``dataclasses`` writes, but only once used:
  ``__eq__`` and ``__hash__`` on their first call, ``__init__`` once a class has been
  built :data:`COMPILE_AFTER` times (a generic one binds the arguments until then).
  The many types start-up never builds (fault replies, request argument shapes)
  compile nothing, and neither do the ~18 built once before an embedded node's first
  answer (compiling their ``__init__`` at first use took 4.6 ms of that start's ~12).

For type checkers the names below *are* :mod:`dataclasses`' (``TYPE_CHECKING``), so mypy
checks constructors, frozen fields and :func:`replace` exactly as for a dataclass;
``tests/test_values.py`` holds the run-time classes to the same behaviour side by side
with real dataclasses. Classes are not ``dataclasses.is_dataclass``: code uses
:func:`fields` and :func:`replace` from here.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

__all__ = ["FrozenInstanceError", "dataclass", "field", "fields", "replace"]


class FrozenInstanceError(AttributeError):
    """Assigning to or deleting a field of a frozen class."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()


class Field:
    """One field: its name and what ``field(...)`` said of it."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr", "type")

    def __init__(
        self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool
    ) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None  # the annotation as written (a string, mostly)
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


def _field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | Any = _MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    return Field(default, default_factory, init, repr, compare)


def _fields(class_or_instance: Any) -> tuple[Field, ...]:
    try:
        found: tuple[Field, ...] = class_or_instance.__value_fields__
    except AttributeError:
        raise TypeError("must be called with a value class or instance") from None
    return found


def _replace(obj: Any, /, **changes: Any) -> Any:
    for f in _fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(
                    f"field {f.name} is declared with init=False: replace() cannot set it"
                )
            continue
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


# --- the shared methods ----------------------------------------------------------------


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    cls = self.__class__
    parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__value_repr__)
    return f"{cls.__qualname__}({parts})"


def _frozen(cls: type, names: frozenset[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    """``__setattr__`` and ``__delattr__`` that refuse as a frozen dataclass does: any
    name on the class itself, only its fields on a subclass that is not a value class.
    Closures, not compiled code: nothing to build at import but two function objects."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)  # what super() reaches: value bases pass it on

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    return __setattr__, __delattr__


def _frozen_getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in self.__value_fields__)


def _frozen_setstate(self: Any, state: tuple[Any, ...]) -> None:
    for f, value in zip(self.__value_fields__, state, strict=True):
        object.__setattr__(self, f.name, value)


# --- the methods compiled on first use ---------------------------------------------------

_HAS_FACTORY: Any = _Missing()


def _compiled(cls: type, name: str, source: str, names: dict[str, Any]) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(source, names, namespace)
    method: Callable[..., Any] = namespace[name]
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    method.__module__ = cls.__module__
    return method


def _compile_init(cls: type, frozen: bool, kw_only: bool) -> Callable[..., Any]:
    """The ``__init__`` ``dataclasses`` would write for ``cls``."""
    names: dict[str, Any] = {"_HAS_FACTORY": _HAS_FACTORY, "_setattr": object.__setattr__}
    params: list[str] = []
    body: list[str] = []
    for f in cls.__value_fields__:  # type: ignore[attr-defined]
        name = f.name
        if f.default_factory is not _MISSING:
            names[f"_factory_{name}"] = f.default_factory
            if f.init:
                params.append(f"{name}=_HAS_FACTORY")
                value = f"_factory_{name}() if {name} is _HAS_FACTORY else {name}"
            else:
                value = f"_factory_{name}()"
        elif f.default is not _MISSING:
            names[f"_default_{name}"] = f.default
            if f.init:
                params.append(f"{name}=_default_{name}")
                value = name
            else:
                value = f"_default_{name}"
        elif f.init:
            params.append(name)
            value = name
        else:
            continue  # init=False without a default: set later, by __post_init__
        body.append(
            f"    _setattr(self, {name!r}, {value})" if frozen else f"    self.{name} = {value}"
        )
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    star = ["*"] if kw_only and params else []
    head = f"def __init__(self, {', '.join(star + params)}):\n"
    return _compiled(cls, "__init__", head + ("\n".join(body) or "    pass"), names)


def _compared(cls: type, of: str) -> str:
    """``(of.a, of.b, )``: the compared fields as a tuple expression."""
    return "(" + "".join(f"{of}.{f.name}, " for f in cls.__value_fields__ if f.compare) + ")"  # type: ignore[attr-defined]


def _compile_eq(cls: type) -> Callable[..., Any]:
    source = (
        "def __eq__(self, other):\n"
        "    if other.__class__ is self.__class__:\n"
        f"        return {_compared(cls, 'self')} == {_compared(cls, 'other')}\n"
        "    return NotImplemented"
    )
    return _compiled(cls, "__eq__", source, {})


def _compile_hash(cls: type) -> Callable[..., Any]:
    return _compiled(
        cls, "__hash__", f"def __hash__(self):\n    return hash({_compared(cls, 'self')})", {}
    )


COMPILE_AFTER = 8
"""Constructions a class takes through the generic ``__init__`` before its own is compiled."""


def _generic_init(cls: type, frozen: bool, kw_only: bool) -> Callable[..., None]:
    """An ``__init__`` for any field list, binding arguments as the compiled one would:
    slower per call (a dict of the arguments), but nothing to compile. A class built
    once or twice (the node's settings, the genesis block) never needs more."""
    every: tuple[Field, ...] = cls.__value_fields__  # type: ignore[attr-defined]
    taken = {f.name for f in every if f.init}
    positional = () if kw_only else tuple(f.name for f in every if f.init)
    post_init = hasattr(cls, "__post_init__")
    assign = object.__setattr__ if frozen else setattr
    where = f"{cls.__qualname__}.__init__()"
    required = sum(
        1
        for f in every
        if f.name in positional and f.default is _MISSING and f.default_factory is _MISSING
    )
    takes = (  # Python's own wording, counting self
        f"{len(positional) + 1}"
        if required == len(positional)
        else f"from {required + 1} to {len(positional) + 1}"
    )

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(positional):
            raise TypeError(
                f"{where} takes {takes} positional arguments but {len(args) + 1} were given"
            )
        given = dict(zip(positional, args, strict=False))
        for name, value in kwargs.items():
            if name not in taken:
                raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
            if name in given:
                raise TypeError(f"{where} got multiple values for argument {name!r}")
            given[name] = value
        for f in every:
            name = f.name
            if name in given:
                value = given[name]
            elif f.default_factory is not _MISSING:
                value = f.default_factory()
            elif f.default is not _MISSING:
                value = f.default
            elif f.init:
                raise TypeError(f"{where} missing 1 required argument: {name!r}")
            else:
                continue  # init=False without a default: set later, by __post_init__
            assign(self, name, value)
        if post_init:
            self.__post_init__()

    return __init__


def _init_until_hot(cls: type, frozen: bool, kw_only: bool) -> Callable[..., None]:
    """The generic ``__init__`` for the first :data:`COMPILE_AFTER` constructions, then the
    compiled one: a class built once at start-up (most of those the node builds before
    its first answer) compiles nothing; a record built per transaction gets the fast one."""
    generic: Callable[..., None] | None = None  # built on the first construction
    calls = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls, generic
        calls += 1
        if calls < COMPILE_AFTER:
            if generic is None:
                generic = _generic_init(cls, frozen, kw_only)
            generic(self, *args, **kwargs)
            return
        init = _compile_init(cls, frozen, kw_only)
        type.__setattr__(cls, "__init__", init)
        init(self, *args, **kwargs)

    return __init__


def _on_first_use(
    cls: type,
    name: str,
    compile: Callable[[type], Callable[..., Any]],
) -> Callable[..., Any]:
    """A stand-in for method ``name`` that compiles the real one, installs it on ``cls``
    and runs it: the class pays for the compile only if the method is ever called."""

    def first_use(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = compile(cls)
        type.__setattr__(cls, name, method)
        return method(self, *args, **kwargs)

    first_use.__name__ = name
    return first_use


class _Signature:
    """``inspect.signature(cls)`` (and so ``help()``) reads ``cls.__signature__`` before
    looking at ``__init__``, which is a stand-in here until compiled: this class attribute
    builds the signature ``dataclasses`` would give when it is looked at (rarely: by
    inspect, help() or a documentation tool), never at import."""

    def __get__(self, obj: Any, cls: type) -> Any:
        if obj is not None:
            raise AttributeError("__signature__")
        import inspect

        kind = (
            inspect.Parameter.KEYWORD_ONLY
            if self.kw_only
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        params = [
            inspect.Parameter(
                f.name,
                kind,
                default=(
                    f.default
                    if f.default is not _MISSING
                    else _FACTORY_DEFAULT
                    if f.default_factory is not _MISSING
                    else inspect.Parameter.empty
                ),
                annotation=f.type,
            )
            for f in cls.__value_fields__  # type: ignore[attr-defined]
            if f.init
        ]
        return inspect.Signature(params, return_annotation=None)

    def __init__(self, kw_only: bool) -> None:
        self.kw_only = kw_only


class _FactoryDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY_DEFAULT = _FactoryDefault()


# --- the decorator -----------------------------------------------------------------------

_CLASSVAR_PREFIXES = ("ClassVar", "typing.ClassVar", "t.ClassVar")


def _collect(cls: type) -> list[Field]:
    """The fields of ``cls`` in order: inherited value fields, then its own annotations."""
    collected: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in base.__dict__.get("__value_fields__", ()):
            collected[f.name] = f
    # the class's own annotations (strings here: ``from __future__ import annotations``);
    # inspect.get_annotations would do the same, with more work
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if isinstance(annotation, str) and annotation.startswith(_CLASSVAR_PREFIXES):
            continue
        given = cls.__dict__.get(name, _MISSING)
        if isinstance(given, Field):
            f = given
        else:
            if isinstance(given, (list, dict, set)):
                raise ValueError(
                    f"mutable default {type(given)} for field {name} is not allowed: "
                    "use default_factory"
                )
            f = Field(given, _MISSING, True, True, True)
        f.name = name
        f.type = annotation
        collected[name] = f
    return list(collected.values())


def _check_order(cls: type, found: list[Field], kw_only: bool) -> None:
    if kw_only:
        return
    seen_default = False
    for f in found:
        if not f.init:
            continue
        has_default = f.default is not _MISSING or f.default_factory is not _MISSING
        if seen_default and not has_default:
            raise TypeError(
                f"non-default argument {f.name!r} follows default argument in {cls.__qualname__}"
            )
        seen_default = seen_default or has_default


def _build(cls: type, frozen: bool, slots: bool, eq: bool, kw_only: bool) -> type:
    found = _collect(cls)
    _check_order(cls, found, kw_only)
    own = cls.__dict__
    for attribute in ("__setattr__", "__delattr__"):
        if frozen and attribute in own:
            raise TypeError(f"cannot overwrite attribute {attribute} in class {cls.__name__}")
    if slots:
        if "__slots__" in own:
            raise TypeError(f"{cls.__name__} already specifies __slots__")
        namespace = {k: v for k, v in own.items() if k not in ("__dict__", "__weakref__")}
        inherited = {n for base in cls.__mro__[1:] for n in base.__dict__.get("__slots__", ())}
        for f in found:
            namespace.pop(f.name, None)  # a slot cannot also be a class attribute
        namespace["__slots__"] = tuple(f.name for f in found if f.name not in inherited)
        qualname = cls.__qualname__
        cls = type(cls)(cls.__name__, cls.__bases__, namespace)
        cls.__qualname__ = qualname
    else:
        for f in found:
            if isinstance(own.get(f.name), Field):
                if f.default is _MISSING:
                    type.__delattr__(cls, f.name)
                else:
                    type.__setattr__(cls, f.name, f.default)
    own = cls.__dict__

    def put(name: str, value: Any) -> None:
        if name not in own:
            type.__setattr__(cls, name, value)

    put("__value_fields__", tuple(found))
    put("__value_repr__", tuple(f.name for f in found if f.repr))
    put("__match_args__", tuple(f.name for f in found if f.init))
    put("__signature__", _Signature(kw_only))
    put("__init__", _init_until_hot(cls, frozen, kw_only))
    put("__repr__", _repr)
    if eq:
        put("__eq__", _on_first_use(cls, "__eq__", _compile_eq))
        if "__hash__" not in own or own["__hash__"] is None:
            # dataclasses: eq and frozen hash the fields; eq alone is unhashable
            hashed = _on_first_use(cls, "__hash__", _compile_hash)
            type.__setattr__(cls, "__hash__", hashed if frozen else None)
    if frozen:
        setattr_, delattr_ = _frozen(cls, frozenset(f.name for f in found))
        type.__setattr__(cls, "__setattr__", setattr_)
        type.__setattr__(cls, "__delattr__", delattr_)
        if slots:  # pickle and copy restore slots through setattr, which frozen refuses
            put("__getstate__", _frozen_getstate)
            put("__setstate__", _frozen_setstate)
    return cls


def _dataclass(
    cls: type | None = None,
    /,
    *,
    frozen: bool = False,
    slots: bool = False,
    eq: bool = True,
    kw_only: bool = False,
) -> Any:
    def wrap(cls: type) -> type:
        return _build(cls, frozen, slots, eq, kw_only)

    return wrap if cls is None else wrap(cls)


if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import fields as fields
    from dataclasses import replace as replace
else:
    dataclass = _dataclass
    field = _field
    fields = _fields
    replace = _replace
