"""The decision engine: ordered rules, seeded draws, and nothing that depends on scheduling.

:class:`FaultEngine` holds the rules in the order they were added; :meth:`FaultEngine.decide`
walks them for one :class:`~mocknode.faults.events.Event` and returns the first rule that
matches *and* whose trigger fires, as a :class:`Decision`, or ``None``. A rule that matches
but does not fire lets the event go on to the next rule.

Determinism. The same seed and the same traffic give the same decisions, whatever the task
scheduling:

* A probability draw is not taken from a shared random stream (which would make connection
  A's draws depend on how many requests connection B sent first). It is a keyed hash:
  ``blake2b(seed, rule id, event key)`` read as a float in ``[0, 1)``, where the event key is
  the connection id and that connection's own sequence number (plus the item index in a
  batch), or the transaction hash, or the block number (see
  :mod:`~mocknode.faults.events`). Two interleavings of the same per-connection traffic
  draw the same numbers for the same requests.
* Whatever else a decision needs at random (a sampled delay, the bytes of ``garbage``, IPC
  split offsets, a shuffled batch) comes from :meth:`Decision.rng`, seeded from the same key.
* Counters. ``first``/``every``/``after``/``times`` count the events that reached the rule
  and matched it, in arrival order, **per rule** across all connections by default: their
  outcome depends on how connections interleave, exactly as a provider's global limits do.
  With ``trigger.per == "connection"`` they count per connection instead and are then
  independent of other connections. Rate-limit buckets are per method, connection or node
  as the rule says and refill on the node clock. Events outside a trigger window, control
  calls, and events a kind does not apply to are never counted.

Rule ids are small ints from 1, per engine, never reused while the engine lives, except that
:meth:`FaultEngine.clear` starts them at 1 again: a test that clears the engine and adds its
rules gets the same ids, and so the same draws, whatever ran before it.
:meth:`FaultEngine.set_seed` changes the seed and resets every counter, bucket and
down-window, so a run can be replayed from a known state.

Control methods (``mock_*``) are never faulted and never counted; a batch containing one is
never faulted as a whole (its other items still are).

Cost when unused: the node asks :meth:`FaultEngine.wants` (a dict lookup) before building an
event, so a node with no rules for a point does no fault work there.
"""

from __future__ import annotations

import builtins
import fnmatch
import hashlib
import re
from collections.abc import Mapping
from random import Random
from types import MappingProxyType
from typing import Any, Final

from mocknode.faults.catalogue import KindSpec
from mocknode.faults.events import POINTS, Event, Point
from mocknode.faults.params import Int
from mocknode.faults.rules import Action, Rule, is_control, render_rule
from mocknode.values import dataclass, field

__all__ = ["Decision", "FaultEngine", "RuleStatus", "draw", "is_control", "params_match"]

_SEED_FIELD: Final = Int(0, 2**64 - 1)


def _digest(seed: int, *parts: object) -> bytes:
    text = "|".join(str(part) for part in (seed, *parts))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def draw(seed: int, rule_id: int, key: str) -> float:
    """The probability draw for rule ``rule_id`` on the event with ``key``: a float in
    ``[0, 1)`` from the top 53 bits of ``blake2b(seed | rule id | key)``."""
    return (int.from_bytes(_digest(seed, "draw", rule_id, key)[:8], "big") >> 11) / 2.0**53


def params_match(expected: Any, actual: Any) -> bool:
    """Whether request params ``actual`` contain the JSON subset ``expected`` (see rules.py)."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and params_match(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, tuple | list):
        return (
            isinstance(actual, list | tuple)
            and len(expected) <= len(actual)
            and all(params_match(e, a) for e, a in zip(expected, actual, strict=False))
        )
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return False
        if expected[:2].lower() == "0x":
            return expected.lower() == actual.lower()
        return expected == actual
    if expected is None or isinstance(expected, bool):
        return actual is expected
    return not isinstance(actual, bool) and isinstance(actual, int | float) and actual == expected


@dataclass(frozen=True, slots=True)
class Decision:
    """The fault to apply: the rule that fired, its action, and what was drawn.

    ``params`` are the action's parameters with this decision's random choices resolved (a
    distribution's ``seconds`` sampled, ``stale_head``'s ``lag``, ``replicas``' ``replica``
    and ``lag``, ``rate_limit``'s ``retry_after``); ``draw`` is the probability draw when the
    rule has a probability; ``held`` is true for a connection refused inside a ``refuse``
    rule's down-window (the rule was not consulted again).
    """

    rule_id: int
    action: Action
    params: Mapping[str, Any]
    draw: float | None
    key: str
    seed: int
    held: bool = False

    @property
    def kind(self) -> str:
        return self.action.kind

    def rng(self) -> Random:
        """A random stream for this decision alone (same seed, rule and event: same stream)."""
        return Random(int.from_bytes(_digest(self.seed, "rng", self.rule_id, self.key), "big"))


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """A rule as listed: its id, the rule, and how often it matched and fired so far
    (summed over connections for per-connection counting)."""

    id: int
    rule: Rule
    matched: int
    fired: int

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **render_rule(self.rule),
            "matched": self.matched,
            "fired": self.fired,
        }


@dataclass(slots=True)
class _Counter:
    matched: int = 0
    fired: int = 0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass(slots=True)
class _Entry:
    id: int
    rule: Rule
    spec: KindSpec
    point: Point
    method: re.Pattern[str] | None
    counters: dict[int, _Counter] = field(default_factory=dict)
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    down_until: float | None = None

    def counter(self, event: Event) -> _Counter:
        key = event.connection if self.rule.trigger.per == "connection" else 0
        counter = self.counters.get(key)
        if counter is None:
            counter = self.counters[key] = _Counter()
        return counter

    def reset(self) -> None:
        self.counters.clear()
        self.buckets.clear()
        self.down_until = None


def _matches(entry: _Entry, event: Event) -> bool:
    """Match fields, the kind's methods and its own filter (a cheap check first)."""
    rule = entry.rule
    match = rule.match
    if match.transport != "any" and match.transport != event.transport:
        return False
    spec = entry.spec
    if spec.transports and event.transport is not None and event.transport not in spec.transports:
        return False
    if event.point == "request":
        if event.scope not in spec.scopes:
            return False
        if match.scope != "any" and match.scope != event.scope:
            return False
    if match.connection is not None and match.connection != event.connection:
        return False
    if event.scope == "batch":
        methods = event.batch_methods
        if entry.method is not None and not any(entry.method.fullmatch(m) for m in methods):
            return False
        if spec.methods is not None and not any(m in spec.methods for m in methods):
            return False
    else:
        if entry.method is not None and (
            event.method is None or not entry.method.fullmatch(event.method)
        ):
            return False
        if spec.methods is not None and event.method not in spec.methods:
            return False
    if match.params is not None and not params_match(match.params, event.params):
        return False
    if spec.applies is not None and not spec.applies(rule.action.params, event):
        return False
    return match.predicate is None or bool(match.predicate(event))


def _in_windows(rule: Rule, event: Event) -> bool:
    window = rule.trigger.window_seconds
    if window is not None:
        start, end = window
        if (start is not None and event.time < start) or (end is not None and event.time >= end):
            return False
    blocks = rule.trigger.window_blocks
    if blocks is not None:
        low, high = blocks
        if (low is not None and event.block < low) or (high is not None and event.block > high):
            return False
    return True


class FaultEngine:
    """Ordered fault rules and the seeded decisions they make (see the module doc)."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = _SEED_FIELD.parse(seed, "seed")
        self._entries: list[_Entry] = []
        self._next_id = 1
        self._per_point: dict[Point, int] = dict.fromkeys(POINTS, 0)

    # ------------------------------------------------------------------ rules

    @property
    def seed(self) -> int:
        return self._seed

    def add(self, rule: Rule) -> int:
        """Append ``rule`` (evaluated after the existing ones); returns its id."""
        if not isinstance(rule, Rule):
            raise TypeError(f"expected a Rule, got {type(rule).__name__}")
        method = rule.match.method
        entry = _Entry(
            id=self._next_id,
            rule=rule,
            spec=rule.action.spec,
            point=rule.point,
            method=re.compile(fnmatch.translate(method)) if method is not None else None,
        )
        self._next_id += 1
        self._entries.append(entry)
        self._per_point[entry.point] += 1
        return entry.id

    def remove(self, rule_id: int) -> bool:
        """Remove the rule with that id; ``False`` if there is none."""
        for position, entry in enumerate(self._entries):
            if entry.id == rule_id:
                del self._entries[position]
                self._per_point[entry.point] -= 1
                return True
        return False

    def clear(self) -> None:
        """Remove every rule; ids start at 1 again."""
        self._entries.clear()
        self._per_point = dict.fromkeys(POINTS, 0)
        self._next_id = 1

    def get(self, rule_id: int) -> Rule | None:
        for entry in self._entries:
            if entry.id == rule_id:
                return entry.rule
        return None

    def list(self) -> builtins.list[RuleStatus]:
        """The rules in evaluation order, with their counts."""
        return [
            RuleStatus(
                entry.id,
                entry.rule,
                sum(c.matched for c in entry.counters.values()),
                sum(c.fired for c in entry.counters.values()),
            )
            for entry in self._entries
        ]

    def set_seed(self, seed: int) -> None:
        """A new seed; every trigger counter, rate bucket and down-window starts afresh."""
        self._seed = _SEED_FIELD.parse(seed, "seed")
        for entry in self._entries:
            entry.reset()

    def __len__(self) -> int:
        return len(self._entries)

    def wants(self, point: Point) -> bool:
        """Whether any rule is decided at ``point`` (callers skip building events if not)."""
        return self._per_point[point] > 0

    @staticmethod
    def is_control(method: str | None) -> bool:
        return is_control(method)

    # ------------------------------------------------------------------ decisions

    def decide(self, event: Event) -> Decision | None:
        """The first rule that matches ``event`` and fires, or ``None`` (see the module doc)."""
        if self._per_point[event.point] == 0:
            return None
        if is_control(event.method) or any(is_control(m) for m in event.batch_methods):
            return None
        key = event.key()
        for entry in self._entries:
            if entry.point != event.point or not _matches(entry, event):
                continue
            if entry.down_until is not None:
                if event.time < entry.down_until:
                    return self._decision(entry, event, key, None, {}, held=True)
                entry.down_until = None
            if not _in_windows(entry.rule, event):
                continue
            decision = self._fire(entry, event, key)
            if decision is not None:
                return decision
        return None

    def _fire(self, entry: _Entry, event: Event, key: str) -> Decision | None:
        trigger = entry.rule.trigger
        counter = entry.counter(event)
        counter.matched += 1
        m = counter.matched - (trigger.after or 0)
        if m < 1:
            return None
        if trigger.first is not None and m > trigger.first:
            return None
        if trigger.every is not None and m % trigger.every:
            return None
        drawn = None
        if trigger.probability is not None:
            drawn = draw(self._seed, entry.id, key)
            if drawn >= trigger.probability:
                return None
        if trigger.times is not None and counter.fired >= trigger.times:
            return None
        extra: dict[str, Any] = {}
        if entry.spec.name == "rate_limit":
            retry_after = self._take_token(entry, event)
            if retry_after is None:
                return None
            extra["retry_after"] = retry_after
        counter.fired += 1
        params = entry.rule.action.params
        if entry.spec.name == "refuse" and params["seconds"] is not None:
            entry.down_until = event.time + params["seconds"]
        decision = self._decision(entry, event, key, drawn, extra)
        return decision

    def _decision(
        self,
        entry: _Entry,
        event: Event,
        key: str,
        drawn: float | None,
        extra: dict[str, Any],
        *,
        held: bool = False,
    ) -> Decision:
        action = entry.rule.action
        params: Mapping[str, Any] = action.params
        resolve = entry.spec.resolve
        if resolve is not None or extra:
            resolved = dict(params)
            if resolve is not None:
                rng = Random(int.from_bytes(_digest(self._seed, "resolve", entry.id, key), "big"))
                matched = entry.counter(event).matched
                resolved.update(resolve(params, rng, event, matched))
            resolved.update(extra)
            params = MappingProxyType(resolved)
        return Decision(entry.id, action, params, drawn, key, self._seed, held)

    def _take_token(self, entry: _Entry, event: Event) -> float | None:
        """Spend a token of the event's bucket: ``None`` if there was one (no fault), else the
        seconds until the next token (the ``Retry-After``)."""
        params = entry.rule.action.params
        per = params["per"]
        bucket_key = (
            str(event.method)
            if per == "method"
            else str(event.connection)
            if per == "connection"
            else ""
        )
        rate: float = params["rate"]
        burst: int = params["burst"]
        bucket = entry.buckets.get(bucket_key)
        if bucket is None:
            bucket = entry.buckets[bucket_key] = _Bucket(float(burst), event.time)
        elapsed = max(event.time - bucket.updated, 0.0)
        bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
        bucket.updated = max(bucket.updated, event.time)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate
