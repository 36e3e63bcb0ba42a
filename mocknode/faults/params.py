"""Parameter types of fault actions: validation, normal form and a one-line description.

Every fault kind in :mod:`mocknode.faults.catalogue` lists its parameters as :class:`Param`
values. A parameter type turns a JSON value (from a plan file, ``mock_addFault`` or Python)
into its normal form, or raises :class:`FaultSpecError` naming the field; the same object
describes itself for the reference table, so the documentation and the validation cannot
drift apart.

Normal forms are immutable where the JSON value is a container: lists become tuples and
objects become ``MappingProxyType``; :func:`to_json` turns them back for rendering. Numbers
that mean seconds are floats (``2`` and ``2.0`` are the same rule), counts are ints and must
be written as ints (``2.0`` is refused: a count written as a float is usually a unit mistake).
Units are seconds and bytes throughout; no seconds value may exceed a day
(:data:`MAX_SECONDS`), which catches milliseconds written where seconds were meant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Protocol

from mocknode.faults.errors import FaultSpecError, join_path, show
from mocknode.values import dataclass

__all__ = [
    "MAX_SECONDS",
    "REQUIRED",
    "Boolean",
    "Choice",
    "Distribution",
    "Hex",
    "Int",
    "IntList",
    "Json",
    "JsonId",
    "Maybe",
    "Number",
    "Param",
    "ParamType",
    "Text",
    "freeze_json",
    "headers",
    "seconds",
    "to_json",
]

MAX_SECONDS: Final = 86_400.0


class _Required:
    """Marker for a parameter without a default (it must be given)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final[Any] = _Required()


class ParamType(Protocol):
    def parse(self, value: object, path: str) -> Any:
        """The normal form of ``value``; raises :class:`FaultSpecError` at ``path``."""
        ...

    def describe(self) -> str:
        """What values are accepted, for error messages and the reference table."""
        ...


def _reject(path: str, expected: str, value: object) -> FaultSpecError:
    return FaultSpecError(path, f"expected {expected}, got {show(value)}")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


@dataclass(frozen=True, slots=True)
class Int:
    """An integer (JSON ``true``/``false`` and floats refused) within ``[min, max]``."""

    min: int | None = None
    max: int | None = None

    def parse(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _reject(path, self.describe(), value)
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            raise _reject(path, self.describe(), value)
        return value

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"an integer from {self.min} to {self.max}"
        if self.min is not None:
            return f"an integer >= {self.min}"
        if self.max is not None:
            return f"an integer <= {self.max}"
        return "an integer"


@dataclass(frozen=True, slots=True)
class Number:
    """A finite number, normalised to float, with ``ge``/``gt`` lower and ``le`` upper bounds."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None

    def parse(self, value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _reject(path, self.describe(), value)
        number = float(value)
        if (
            not math.isfinite(number)
            or (self.ge is not None and number < self.ge)
            or (self.gt is not None and number <= self.gt)
            or (self.le is not None and number > self.le)
        ):
            raise _reject(path, self.describe(), value)
        return number

    def describe(self) -> str:
        parts = []
        if self.ge is not None:
            parts.append(f">= {_fmt(self.ge)}")
        if self.gt is not None:
            parts.append(f"> {_fmt(self.gt)}")
        if self.le is not None:
            parts.append(f"<= {_fmt(self.le)}")
        return "a number" + (" " + " and ".join(parts) if parts else "")


def seconds(*, positive: bool = False) -> Number:
    """Seconds: ``>= 0`` (or ``> 0``), at most a day."""
    return Number(gt=0.0, le=MAX_SECONDS) if positive else Number(ge=0.0, le=MAX_SECONDS)


@dataclass(frozen=True, slots=True)
class Choice:
    """One of a fixed set of strings or integers (compared exactly, no case folding)."""

    values: tuple[str | int, ...]

    def parse(self, value: object, path: str) -> str | int:
        for allowed in self.values:
            if type(value) is type(allowed) and value == allowed:
                return allowed
        raise _reject(path, self.describe(), value)

    def describe(self) -> str:
        shown = [f'"{v}"' if isinstance(v, str) else str(v) for v in self.values]
        return "one of " + ", ".join(shown)


@dataclass(frozen=True, slots=True)
class Text:
    """A string of at most ``max_length`` characters."""

    max_length: int = 4096

    def parse(self, value: object, path: str) -> str:
        if not isinstance(value, str) or len(value) > self.max_length:
            raise _reject(path, self.describe(), value)
        return value

    def describe(self) -> str:
        return f"a string of at most {self.max_length} characters"


@dataclass(frozen=True, slots=True)
class Boolean:
    def parse(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            raise _reject(path, self.describe(), value)
        return value

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True, slots=True)
class Maybe:
    """``inner`` or ``null`` (absent and ``null`` mean the same)."""

    inner: ParamType

    def parse(self, value: object, path: str) -> Any:
        if value is None:
            return None
        try:
            return self.inner.parse(value, path)
        except FaultSpecError as error:
            if error.path == path and error.reason.startswith("expected "):
                raise _reject(path, self.describe(), value) from None
            raise

    def describe(self) -> str:
        return f"{self.inner.describe()}, or null"


def freeze_json(value: object, path: str) -> Any:
    """Validate a JSON value (str keys, finite numbers) and return it frozen."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _reject(path, "a finite number", value)
        return value
    if isinstance(value, list | tuple):
        return tuple(freeze_json(item, join_path(path, f"[{i}]")) for i, item in enumerate(value))
    if isinstance(value, Mapping):
        frozen: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _reject(path, "an object with string keys", value)
            frozen[key] = freeze_json(item, join_path(path, key))
        return MappingProxyType(frozen)
    raise _reject(path, "a JSON value", value)


def to_json(value: Any) -> Any:
    """The plain JSON value (lists, dicts) of a normal form made by :func:`freeze_json`."""
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Json:
    """Any JSON value (an error's ``data``)."""

    def parse(self, value: object, path: str) -> Any:
        return freeze_json(value, path)

    def describe(self) -> str:
        return "any JSON value"


@dataclass(frozen=True, slots=True)
class JsonId:
    """A JSON-RPC id: an integer, a string or null."""

    def parse(self, value: object, path: str) -> int | str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _reject(path, self.describe(), value)

    def describe(self) -> str:
        return "an integer, a string or null"


_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True, slots=True)
class _Headers:
    """HTTP header fields as an object of name -> value (names are RFC 9110 tokens)."""

    def parse(self, value: object, path: str) -> Mapping[str, str]:
        if not isinstance(value, Mapping):
            raise _reject(path, self.describe(), value)
        fields: dict[str, str] = {}
        for name, text in value.items():
            where = join_path(path, str(name))
            if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                raise FaultSpecError(where, f"not a valid header name: {show(name)}")
            if not isinstance(text, str) or any(c in text for c in "\r\n\0"):
                raise _reject(where, "a header value (a string without CR, LF or NUL)", text)
            fields[name] = text
        return MappingProxyType(fields)

    def describe(self) -> str:
        return "an object of header name -> string value"


def headers() -> ParamType:
    return _Headers()


@dataclass(frozen=True, slots=True)
class Distribution:
    """Seconds, fixed or drawn per decision: ``1.5``, ``{"uniform": [a, b]}`` or
    ``{"lognormal": [mu, sigma]}`` (the logarithm's mean and deviation, as ``random``)."""

    def parse(self, value: object, path: str) -> Any:
        if not isinstance(value, Mapping):
            return seconds().parse(value, path)
        if len(value) != 1:
            raise _reject(path, self.describe(), value)
        ((name, pair),) = value.items()
        where = join_path(path, str(name))
        if name not in ("uniform", "lognormal"):
            raise FaultSpecError(where, 'unknown distribution (use "uniform" or "lognormal")')
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise _reject(where, "a list of two numbers", pair)
        if name == "uniform":
            low = seconds().parse(pair[0], join_path(where, "[0]"))
            high = seconds().parse(pair[1], join_path(where, "[1]"))
            if low > high:
                raise FaultSpecError(where, f"the lower bound {_fmt(low)} exceeds {_fmt(high)}")
            return MappingProxyType({"uniform": (low, high)})
        mu = Number(ge=-20.0, le=20.0).parse(pair[0], join_path(where, "[0]"))
        sigma = Number(ge=0.0, le=10.0).parse(pair[1], join_path(where, "[1]"))
        return MappingProxyType({"lognormal": (mu, sigma)})

    def describe(self) -> str:
        return 'seconds (0 to 86400), or {"uniform": [a, b]} or {"lognormal": [mu, sigma]}'


@dataclass(frozen=True, slots=True)
class IntList:
    """A list of integers, each checked by ``item``, with ``min_length..max_length`` entries."""

    item: Int
    min_length: int = 1
    max_length: int = 16

    def parse(self, value: object, path: str) -> tuple[int, ...]:
        if (
            not isinstance(value, Sequence)
            or isinstance(value, str)
            or not self.min_length <= len(value) <= self.max_length
        ):
            raise _reject(path, self.describe(), value)
        return tuple(self.item.parse(v, join_path(path, f"[{i}]")) for i, v in enumerate(value))

    def describe(self) -> str:
        return (
            f"a list of {self.min_length} to {self.max_length} entries, each {self.item.describe()}"
        )


@dataclass(frozen=True, slots=True)
class Hex:
    """``0x`` + exactly ``size`` bytes of hex (a hash or an address), normalised to lower case."""

    size: int
    what: str

    def parse(self, value: object, path: str) -> str:
        if (
            not isinstance(value, str)
            or len(value) != 2 + 2 * self.size
            or value[:2] not in ("0x", "0X")
            or not all(c in "0123456789abcdefABCDEF" for c in value[2:])
        ):
            raise _reject(path, self.describe(), value)
        return "0x" + value[2:].lower()

    def describe(self) -> str:
        return f"{self.what} (0x and {2 * self.size} hex digits)"


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a fault kind: name, type, default (or :data:`REQUIRED`), meaning."""

    name: str
    type: ParamType
    default: Any = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """``name``: what it means; accepted values; default."""
        if self.required:
            tail = "required"
        elif self.default is None:
            tail = "optional"
        else:
            default = to_json(self.default)
            tail = f"default {_fmt(default) if isinstance(default, float) else show(default)}"
        return f"`{self.name}`: {self.doc} ({self.type.describe()}; {tail})"
