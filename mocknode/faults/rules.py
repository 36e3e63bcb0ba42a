"""The rule model: match, trigger, action, and its JSON shape.

A :class:`Rule` is data. Python builds it directly; plan files and ``mock_addFault`` give the
JSON shape, which :func:`parse_rule` reads and :func:`render_rule` writes::

    {"match":   {"transport": "http", "method": "eth_get*", "params": [...], "scope": "single",
                 "connection": 3},
     "trigger": {"probability": 0.25, "first": 3, "every": 5, "after": 10, "times": 2,
                 "window_seconds": [5, 20], "window_blocks": [10, null], "per": "connection"},
     "action":  {"kind": "http_status", "status": 429, "headers": {"Retry-After": "2"}}}

Every field but ``action.kind`` is optional. Validation happens once, in the dataclasses'
``__post_init__``, whichever way a rule is built, and is strict: an unknown field, kind or
parameter, a wrong type, a value out of range, or a match that can never meet the action
(``http_status`` on ``ws``, a method on a fault decided at accept time, ``pool_error`` on
``eth_call``) raises :class:`FaultSpecError` naming the field. ``parse_rule(render_rule(r))
== r`` for every rule without a Python predicate.

Match semantics (the engine applies them):

* ``transport``: the connection's transport; ``any`` matches every transport and the events
  that have none (chain events).
* ``method``: a case-sensitive glob (``*``, ``?``, ``[...]``, as :func:`fnmatch.fnmatchcase`).
  For a whole batch it matches when any call in the batch matches. Control methods
  (``mock_*``) are never faulted, so a pattern naming them is refused.
* ``params``: a JSON subset of the request's params: an object matches when each of its keys is
  present and matches; an array matches the request's first elements position by position;
  scalars compare equal (numbers by value, ``true`` is not ``1``); strings starting with ``0x``
  compare case-insensitively, since addresses and hashes travel in both cases.
* ``predicate`` (Python only): ``predicate(event) -> bool`` on the
  :class:`~mocknode.faults.events.Event`; rendered as ``"python:<qualified name>"`` and refused
  when parsed.
* ``scope``: ``single`` call, whole ``batch``, batch ``item``, or ``any``.
* ``connection``: one connection id (ids count from 1 per node, in accept order).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

from mocknode.faults.catalogue import KindSpec, parse_params, spec_for
from mocknode.faults.errors import FaultSpecError, join_path, show
from mocknode.faults.events import TRANSPORTS, Event, Point, ScopeMatch, TransportMatch
from mocknode.faults.params import Choice, Int, Number, freeze_json, to_json
from mocknode.values import dataclass, field

__all__ = [
    "CONTROL_PREFIX",
    "Action",
    "Match",
    "Predicate",
    "Rule",
    "Trigger",
    "is_control",
    "parse_rule",
    "render_rule",
]

Predicate = Callable[[Event], bool]
CountPer = Literal["rule", "connection"]

CONTROL_PREFIX: Final = "mock_"
_MAX_METHOD: Final = 2048
# Windows are on the node clock, in seconds since the node started serving.
_WINDOW_SECONDS: Final = Number(ge=0.0, le=1e9)
_WINDOW_BLOCKS: Final = Int(0)

# Which match fields mean something at each decision point (see events.py).
_FIELDS_AT: Final[Mapping[Point, frozenset[str]]] = MappingProxyType(
    {
        "accept": frozenset({"transport", "connection", "predicate"}),
        "request": frozenset({"transport", "method", "params", "predicate", "scope", "connection"}),
        "notification": frozenset({"transport", "connection", "predicate"}),
        "tx": frozenset({"transport", "method", "connection", "predicate"}),
        "block": frozenset({"predicate"}),
    }
)
_WHEN: Final[Mapping[Point, str]] = MappingProxyType(
    {
        "accept": "when a connection is accepted",
        "request": "per request",
        "notification": "per notification",
        "tx": "when a transaction enters the pool",
        "block": "when a block is mined",
    }
)


def is_control(method: str | None) -> bool:
    """True for mocknode's own control methods (``mock_*``): never faulted, never counted."""
    return method is not None and method.startswith(CONTROL_PREFIX)


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class Match:
    """Which events a rule considers (every field optional; see the module doc)."""

    transport: TransportMatch = "any"
    method: str | None = None
    params: Any = None
    predicate: Predicate | None = field(default=None)
    scope: ScopeMatch = "any"
    connection: int | None = None

    def __post_init__(self) -> None:
        _set(
            self, "transport", Choice(("any", *TRANSPORTS)).parse(self.transport, "match.transport")
        )
        if self.method is not None:
            method: object = self.method
            if not isinstance(method, str) or not 0 < len(method) <= _MAX_METHOD:
                raise FaultSpecError(
                    "match.method", f"expected a method name or glob, got {show(method)}"
                )
            if method.startswith(CONTROL_PREFIX):
                raise FaultSpecError("match.method", "control methods (mock_*) are never faulted")
        if self.params is not None:
            if not isinstance(self.params, list | tuple | Mapping):
                raise FaultSpecError(
                    "match.params",
                    f"expected an array or object (a subset of the request params), "
                    f"got {show(self.params)}",
                )
            _set(self, "params", freeze_json(self.params, "match.params"))
        if self.predicate is not None and not callable(self.predicate):
            raise FaultSpecError("match.predicate", "expected a callable taking the event")
        _set(
            self,
            "scope",
            Choice(("any", "single", "batch", "item")).parse(self.scope, "match.scope"),
        )
        if self.connection is not None:
            _set(self, "connection", Int(1).parse(self.connection, "match.connection"))

    def set_fields(self) -> frozenset[str]:
        """The names of the fields that narrow the match (not at their default)."""
        names = set()
        if self.transport != "any":
            names.add("transport")
        if self.scope != "any":
            names.add("scope")
        for name in ("method", "params", "predicate", "connection"):
            if getattr(self, name) is not None:
                names.add(name)
        return frozenset(names)


def _window(value: object, path: str, number: Int | Number) -> tuple[Any, Any] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        unknown = set(value) - {"start", "end"}
        if unknown:
            raise FaultSpecError(
                join_path(path, str(sorted(unknown, key=str)[0])),
                "unknown field (a window has start and end)",
            )
        start, end = value.get("start"), value.get("end")
    elif isinstance(value, list | tuple) and len(value) == 2:
        start, end = value
    else:
        raise FaultSpecError(
            path, f"expected [start, end] or {{start, end}} (either may be null), got {show(value)}"
        )
    if start is None and end is None:
        raise FaultSpecError(path, "a window needs a start or an end")
    low = None if start is None else number.parse(start, join_path(path, "[0]"))
    high = None if end is None else number.parse(end, join_path(path, "[1]"))
    if low is not None and high is not None and low > high:
        raise FaultSpecError(path, f"start {show(low)} is after end {show(high)}")
    return (low, high)


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a matching event fires the rule (every field optional; all given must agree).

    Counting, in this order, for each event the rule matches:

    1. outside ``window_seconds`` (``start <= time < end``, node clock) or ``window_blocks``
       (``start <= head block <= end``): not counted, no fault;
    2. the rule's match count ``n`` goes up by one (per rule, or per connection with
       ``per: "connection"``); ``m = n - after``;
    3. no fault unless ``m >= 1``, ``m <= first`` (if given), ``m % every == 0`` (if given);
    4. ``probability``: a draw in ``[0, 1)`` keyed on (seed, rule id, the event's key) must be
       below it;
    5. ``times``: no fault once the rule has fired that many times (per rule or connection).

    So ``{"after": 10, "first": 3}`` fires on matches 11-13, ``{"every": 5}`` on 5, 10, ...
    """

    probability: float | None = None
    first: int | None = None
    every: int | None = None
    after: int | None = None
    times: int | None = None
    window_seconds: tuple[float | None, float | None] | None = None
    window_blocks: tuple[int | None, int | None] | None = None
    per: CountPer = "rule"

    def __post_init__(self) -> None:
        if self.probability is not None:
            _set(
                self,
                "probability",
                Number(ge=0.0, le=1.0).parse(self.probability, "trigger.probability"),
            )
        for name, minimum in (("first", 1), ("every", 1), ("after", 0), ("times", 1)):
            value = getattr(self, name)
            if value is not None:
                _set(self, name, Int(minimum).parse(value, f"trigger.{name}"))
        _set(
            self,
            "window_seconds",
            _window(self.window_seconds, "trigger.window_seconds", _WINDOW_SECONDS),
        )
        _set(
            self,
            "window_blocks",
            _window(self.window_blocks, "trigger.window_blocks", _WINDOW_BLOCKS),
        )
        _set(self, "per", Choice(("rule", "connection")).parse(self.per, "trigger.per"))


@dataclass(frozen=True, slots=True)
class Action:
    """A fault kind from the catalogue and its parameters, validated and with defaults filled
    in (``Action("delay", {"seconds": 1}).params == {"seconds": 1.0, "direction":
    "response"}``)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        spec = spec_for(self.kind, "action.kind")
        if not isinstance(self.params, Mapping):
            raise FaultSpecError(
                "action", f"expected parameters as an object, got {show(self.params)}"
            )
        _set(self, "params", parse_params(spec, self.params, "action"))

    @property
    def spec(self) -> KindSpec:
        return spec_for(self.kind)

    @property
    def point(self) -> Point:
        return self.spec.point(self.params)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """``Rule(match=..., trigger=..., action=...)``; only ``action`` is required."""

    match: Match = Match()
    trigger: Trigger = Trigger()
    action: Action

    def __post_init__(self) -> None:
        spec = self.action.spec
        point = self.action.point
        match = self.match
        kind = spec.name
        if match.transport != "any":
            if not spec.transports:
                raise FaultSpecError(
                    "match.transport",
                    f'{kind} acts on the chain, not on a connection: leave transport "any"',
                )
            if match.transport not in spec.transports:
                raise FaultSpecError(
                    "match.transport", f"{kind} applies to {', '.join(spec.transports)} only"
                )
        extra = sorted(match.set_fields() - _FIELDS_AT[point])
        if extra:
            raise FaultSpecError(
                f"match.{extra[0]}",
                f"{kind} is decided {_WHEN[point]}, where there is no {extra[0]} to match",
            )
        if match.scope != "any" and match.scope not in spec.scopes:
            raise FaultSpecError(
                "match.scope", f"{kind} acts at scope {' or '.join(spec.scopes)} only"
            )
        pattern = match.method
        methods = spec.methods
        if (
            methods is not None
            and pattern is not None
            and not any(fnmatch.fnmatchcase(m, pattern) for m in methods)
        ):
            raise FaultSpecError("match.method", f"{kind} only acts on {', '.join(methods)}")
        if self.trigger.per == "connection" and point == "block":
            raise FaultSpecError(
                "trigger.per", f"{kind} is decided {_WHEN[point]}, where there is no connection"
            )

    @classmethod
    def of(
        cls,
        kind: str,
        /,
        *,
        match: Match | None = None,
        trigger: Trigger | None = None,
        **params: Any,
    ) -> Rule:
        """``Rule.of("delay", seconds=2, match=Match(method="eth_call"))``."""
        return cls(
            match=match if match is not None else Match(),
            trigger=trigger if trigger is not None else Trigger(),
            action=Action(kind, params),
        )

    @property
    def point(self) -> Point:
        return self.action.point


# ----------------------------------------------------------------------- JSON shape

_RULE_KEYS: Final = frozenset({"match", "trigger", "action"})
_MATCH_KEYS: Final = frozenset({"transport", "method", "params", "scope", "connection"})
_TRIGGER_KEYS: Final = frozenset(
    {"probability", "first", "every", "after", "times", "window_seconds", "window_blocks", "per"}
)


def _object(value: object, path: str, keys: frozenset[str], what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise FaultSpecError(path, f"expected {what} object, got {show(value)}")
    for key in value:
        if key not in keys:
            if key == "predicate" and path.endswith("match"):
                raise FaultSpecError(
                    join_path(path, "predicate"),
                    "a predicate can only be given from Python; use params (a JSON subset of "
                    "the request params) here",
                )
            raise FaultSpecError(
                join_path(path, str(key)),
                f"unknown field (a {what} has: {', '.join(sorted(keys))})",
            )
    return dict(value)


def parse_rule(data: object, path: str = "") -> Rule:
    """A :class:`Rule` from its JSON shape; errors name the field, prefixed with ``path``."""
    try:
        if not isinstance(data, Mapping):
            raise FaultSpecError(
                "", f"expected a rule object {{match, trigger, action}}, got {show(data)}"
            )
        _object(data, "", _RULE_KEYS, "rule")
        raw_action = data.get("action")
        if raw_action is None:
            raise FaultSpecError("action", 'required (an object with at least "kind")')
        if not isinstance(raw_action, Mapping):
            raise FaultSpecError("action", f"expected an object, got {show(raw_action)}")
        if "kind" not in raw_action:
            raise FaultSpecError("action.kind", "required")
        params = {k: v for k, v in raw_action.items() if k != "kind"}
        action = Action(raw_action["kind"], params)
        match = Match(**_object(data.get("match"), "match", _MATCH_KEYS, "match"))
        trigger = Trigger(**_object(data.get("trigger"), "trigger", _TRIGGER_KEYS, "trigger"))
        return Rule(match=match, trigger=trigger, action=action)
    except FaultSpecError as error:
        raise error.within(path) from None


def _render_window(window: tuple[Any, Any]) -> list[Any]:
    return [window[0], window[1]]


def render_rule(rule: Rule) -> dict[str, Any]:
    """The JSON shape of ``rule``: defaults left out of match and trigger, every action
    parameter that has a value written out (so a listing shows what is in effect)."""
    out: dict[str, Any] = {}
    match = rule.match
    rendered_match: dict[str, Any] = {}
    if match.transport != "any":
        rendered_match["transport"] = match.transport
    if match.method is not None:
        rendered_match["method"] = match.method
    if match.params is not None:
        rendered_match["params"] = to_json(match.params)
    if match.predicate is not None:
        name = getattr(match.predicate, "__qualname__", type(match.predicate).__qualname__)
        rendered_match["predicate"] = f"python:{name}"
    if match.scope != "any":
        rendered_match["scope"] = match.scope
    if match.connection is not None:
        rendered_match["connection"] = match.connection
    if rendered_match:
        out["match"] = rendered_match
    trigger = rule.trigger
    rendered_trigger: dict[str, Any] = {}
    for name in ("probability", "first", "every", "after", "times"):
        value = getattr(trigger, name)
        if value is not None:
            rendered_trigger[name] = value
    if trigger.window_seconds is not None:
        rendered_trigger["window_seconds"] = _render_window(trigger.window_seconds)
    if trigger.window_blocks is not None:
        rendered_trigger["window_blocks"] = _render_window(trigger.window_blocks)
    if trigger.per != "rule":
        rendered_trigger["per"] = trigger.per
    if rendered_trigger:
        out["trigger"] = rendered_trigger
    action: dict[str, Any] = {"kind": rule.action.kind}
    for name, value in rule.action.params.items():
        if value is not None:
            action[name] = to_json(value)
    out["action"] = action
    return out
