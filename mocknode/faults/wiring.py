"""Rules as the controller takes them, the persona's implied rules, and which kinds are wired.

Kept apart from :mod:`mocknode.faults.controller` so that building a node imports none of
this (it pulls in the catalogue, the engine and the parsers); the controller imports it on
first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mocknode.faults.catalogue import CATALOGUE
from mocknode.faults.dispatch import ITEM_APPLIERS, REQUEST_APPLIERS
from mocknode.faults.errors import FaultSpecError, show
from mocknode.faults.personas import PERSONAS
from mocknode.faults.rules import Match, Rule, Trigger, parse_rule

__all__ = ["NOT_WIRED", "check_wired", "persona_rules", "rule_from_keywords", "to_rule"]

# Chain kinds decided at the request point that no applier handles. Empty today (every kind
# of the catalogue is applied; tests/faults/test_wiring_complete.py holds it so); kept as a
# guard: a kind added to the catalogue before its applier is refused rather than accepted
# and ignored, since a rule that never acts would also shadow the rules after it.
NOT_WIRED: Final = frozenset(
    spec.name
    for spec in CATALOGUE.values()
    if spec.layer == "chain"
    and "request" in spec.points
    and spec.name not in REQUEST_APPLIERS
    and spec.name not in ITEM_APPLIERS
)


def to_rule(rule: object) -> Rule:
    """A :class:`Rule` as given, or parsed from its JSON shape."""
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, Mapping):
        return parse_rule(rule)
    raise FaultSpecError("", f"expected a Rule or a rule object, got {show(rule)}")


def check_wired(rule: Rule) -> None:
    """Refuse a rule whose kind is decided per request but not applied by anything yet."""
    if rule.point != "request":
        return
    kind = rule.action.kind
    scope = rule.match.scope
    scopes = rule.action.spec.scopes if scope == "any" else (scope,)
    whole = any(s != "item" for s in scopes)
    if (whole and kind not in REQUEST_APPLIERS) or ("item" in scopes and kind not in ITEM_APPLIERS):
        raise FaultSpecError(
            "action.kind",
            f"{kind} is not wired yet: mocknode cannot apply it to requests in this version",
        )


def rule_from_keywords(kw: dict[str, Any]) -> Rule:
    """``inject(kind=..., match=..., trigger=..., **params)`` as a rule."""
    kw = dict(kw)
    kind = kw.pop("kind", None)
    if kind is None:
        raise TypeError("inject() needs a rule or kind=...")
    match = kw.pop("match", None)
    trigger = kw.pop("trigger", None)
    if isinstance(match, Mapping):
        match = Match(**match)
    if isinstance(trigger, Mapping):
        trigger = Trigger(**trigger)
    return Rule.of(kind, match=match, trigger=trigger, **kw)


def persona_rules(name: str) -> list[Rule]:
    """The rules that make a node behave as provider ``name`` (see the controller doc)."""
    persona = PERSONAS.get(name)
    if persona is None:
        raise FaultSpecError(
            "persona", f"unknown persona {show(name)} (one of {', '.join(PERSONAS)})"
        )
    rules: list[Rule] = []
    if persona.ws_batch_limit is not None:
        rules.append(
            Rule.of(
                "batch_limit",
                match=Match(transport="ws"),
                limit=persona.ws_batch_limit,
                shape=persona.batch_shape,
            )
        )
    if persona.batch_limit is not None:
        rules.append(Rule.of("batch_limit", limit=persona.batch_limit, shape=persona.batch_shape))
    if persona.name in ("infura", "alchemy") and (
        persona.logs_block_range is not None or persona.logs_result_cap is not None
    ):
        rules.append(Rule.of("provider_limit", provider=persona.name))
    if persona.rate is not None:
        rules.append(
            Rule.of(
                "rate_limit",
                rate=persona.rate,
                burst=persona.burst or 1,
                per="node",
                reply="http_429",
                template=persona.rate_limit_template,
            )
        )
    return rules
