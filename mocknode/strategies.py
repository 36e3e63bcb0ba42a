"""Hypothesis strategies: fault rules and plans to throw at a client, and transactions to send.

The point is properties of the form "for every plan of up to N faults, my indexer ends with the
same balances as without faults": Hypothesis draws plans, and when one breaks the property it
shrinks it to the smallest plan that still does (fewer rules, no trigger, default
parameters, seed 0), which is then a readable bug report::

    from hypothesis import given
    from mocknode.strategies import fault_plans

    @given(fault_plans(max_rules=3, kinds=["error", "delay", "close", "http_status"]))
    def test_indexer_survives(plan): ...

Every generated rule and plan is valid (it parses, and ``parse_plan(render_plan(p)) == p``).
Seconds are bounded by ``max_seconds`` (default 0.5) so a generated plan never stalls a test
for long, and with ``bounded=True`` (the default) kinds whose absent parameter means
"forever" (``hang`` without ``seconds``, ``delay_tx`` with neither ``blocks`` nor
``seconds``) always get a bound. Pick ``kinds`` to the faults your client is meant to
survive; the default is every kind in the catalogue.

:func:`transactions` draws argument dicts for web3.py's ``eth.send_transaction``: transfers
between the given accounts, deployments of the given init codes, and calls with the given
calldata.

This module needs Hypothesis (a test dependency of mocknode; import it from tests only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from hypothesis import strategies as st

from mocknode.faults.catalogue import CATALOGUE, KINDS, SEND_METHODS, KindSpec, spec_for
from mocknode.faults.events import Point, ScopeMatch, TransportMatch
from mocknode.faults.params import (
    MAX_SECONDS,
    Boolean,
    Choice,
    Distribution,
    Hex,
    Int,
    IntList,
    Json,
    JsonId,
    Maybe,
    Number,
    Param,
    ParamType,
    Text,
)
from mocknode.faults.personas import PERSONAS
from mocknode.faults.plan import FaultPlan
from mocknode.faults.rules import Action, Match, Rule, Trigger

__all__ = ["fault_plans", "fault_rules", "transactions"]

_COMMON_METHODS: Final = (
    "eth_blockNumber",
    "eth_call",
    "eth_getBalance",
    "eth_getLogs",
    "eth_getTransactionReceipt",
    "eth_sendRawTransaction",
    "eth_chainId",
    "eth_get*",
)
_HEADER_NAMES: Final = ("Retry-After", "X-Mocknode", "Cache-Control")
_CLOSE_CODES: Final = (1000, 1001, 1006, 1008, 1009, 1011, 1013, 4000)
_SMALL: Final = 1_000


def _value(kind: ParamType, name: str, max_seconds: float) -> st.SearchStrategy[Any]:
    """A strategy for valid values of one parameter type (small values first)."""
    if isinstance(kind, Maybe):
        return st.none() | _value(kind.inner, name, max_seconds)
    if isinstance(kind, Int):
        low = kind.min if kind.min is not None else -_SMALL
        high = kind.max if kind.max is not None else low + _SMALL
        return st.integers(low, min(high, low + _SMALL))
    if isinstance(kind, Number):
        bottom = kind.ge if kind.ge is not None else kind.gt if kind.gt is not None else 0.0
        top = kind.le if kind.le is not None else bottom + _SMALL
        if top == MAX_SECONDS:
            top = max_seconds
        top = min(top, bottom + _SMALL)
        return st.floats(bottom, top, exclude_min=kind.gt is not None, allow_nan=False)
    if isinstance(kind, Choice):
        return st.sampled_from(kind.values)
    if isinstance(kind, Text):
        return st.text(
            st.characters(min_codepoint=32, max_codepoint=126), max_size=min(kind.max_length, 16)
        )
    if isinstance(kind, Boolean):
        return st.booleans()
    if isinstance(kind, JsonId):
        return st.none() | st.integers(0, 2**31) | st.text("abc123", max_size=6)
    if isinstance(kind, Json):
        return st.none() | st.integers(-(2**31), 2**31) | st.text("abc0x", max_size=8)
    if isinstance(kind, Distribution):
        seconds = st.floats(0.0, max_seconds, allow_nan=False)
        return st.one_of(
            seconds,
            st.tuples(seconds, seconds).map(lambda p: {"uniform": sorted(p)}),
            st.tuples(st.floats(-7.0, -2.0), st.floats(0.0, 0.5)).map(
                lambda p: {"lognormal": list(p)}
            ),
        )
    if isinstance(kind, IntList):
        return st.lists(
            _value(kind.item, name, max_seconds),
            min_size=kind.min_length,
            max_size=min(kind.max_length, 4),
        )
    if isinstance(kind, Hex):
        return st.binary(min_size=kind.size, max_size=kind.size).map(lambda b: "0x" + b.hex())
    if name == "headers":
        return st.dictionaries(
            st.sampled_from(_HEADER_NAMES), st.text("0123456789abc", max_size=8), max_size=2
        )
    raise TypeError(f"no strategy for parameter type {kind!r}")  # pragma: no cover


@st.composite
def _params(draw: st.DrawFn, spec: KindSpec, max_seconds: float, bounded: bool) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for param in spec.params:
        too_long = isinstance(param.default, float) and param.default > max_seconds
        if param.required or too_long:
            # a default longer than max_seconds (late_response's 60 s) is never left in place
            params[param.name] = draw(_value(param.type, param.name, max_seconds))
        else:
            value = draw(st.none() | _value(param.type, param.name, max_seconds))
            if value is not None:
                params[param.name] = value
    _make_consistent(draw, spec, params, max_seconds, bounded)
    return params


def _bounded_seconds(param: Param, max_seconds: float) -> st.SearchStrategy[float]:
    inner = param.type.inner if isinstance(param.type, Maybe) else param.type
    assert isinstance(inner, Number)
    return st.floats(
        inner.ge if inner.ge is not None else inner.gt or 0.0,
        max_seconds,
        exclude_min=inner.gt is not None,
        allow_nan=False,
    )


def _make_consistent(
    draw: st.DrawFn, spec: KindSpec, params: dict[str, Any], max_seconds: float, bounded: bool
) -> None:
    """Adjust drawn parameters to the kind's cross-parameter rules (catalogue ``check``)."""
    name = spec.name
    if name == "reset" and params.get("at", "request") != "response":
        params.pop("after_bytes", None)
    elif name == "dribble":
        params.clear()
        if draw(st.booleans()):
            params["bytes_per_second"] = draw(st.floats(1.0, 100_000.0))
        else:
            params["chunks"] = draw(st.integers(1, 8))
            params["seconds"] = draw(_bounded_seconds(spec.param("seconds"), max_seconds))
    elif name == "ws_close":
        params["code"] = draw(st.sampled_from(_CLOSE_CODES))
        if "after_messages" in params:
            params.pop("after_seconds", None)
    elif name == "error":
        if "template" not in params:
            params["code"] = params.get("code", -32000)
            params["message"] = params.get("message", "mocknode fault")
    elif name == "delay_tx":
        if "blocks" in params:
            params.pop("seconds", None)
        elif bounded and "seconds" not in params:
            params["blocks"] = draw(st.integers(1, 3))
    elif name == "hang" and bounded and "seconds" not in params:
        params["seconds"] = draw(_bounded_seconds(spec.param("seconds"), max_seconds))


def _match(draw: st.DrawFn, spec: KindSpec, point: Point) -> Match:
    transport: TransportMatch = "any"
    if spec.transports:
        transport = draw(st.sampled_from(("any", *spec.transports)))
    method = None
    scope: ScopeMatch = "any"
    connection = None
    if point in ("request", "tx"):
        choices = spec.methods or (SEND_METHODS if point == "tx" else _COMMON_METHODS)
        method = draw(st.none() | st.sampled_from(choices))
    if point == "request":
        scope = draw(st.sampled_from(("any", *spec.scopes)))
    if point != "block":
        connection = draw(st.none() | st.integers(1, 4))
    return Match(transport=transport, method=method, scope=scope, connection=connection)


def _trigger(draw: st.DrawFn, point: Point) -> Trigger:
    small = st.none() | st.integers(1, 5)
    blocks = draw(st.none() | st.tuples(st.integers(0, 5), st.integers(0, 5)).map(sorted))
    return Trigger(
        probability=draw(st.none() | st.floats(0.0, 1.0)),
        first=draw(small),
        every=draw(small),
        after=draw(st.none() | st.integers(0, 5)),
        times=draw(small),
        window_blocks=None if blocks is None else (blocks[0], blocks[1]),
        per="rule" if point == "block" else draw(st.sampled_from(("rule", "connection"))),
    )


def fault_rules(
    *,
    kinds: Sequence[str] | None = None,
    max_seconds: float = 0.5,
    bounded: bool = True,
) -> st.SearchStrategy[Rule]:
    """Valid rules of the given ``kinds`` (default: all), shrinking toward the first kind,
    an empty match, no trigger and default parameters."""
    chosen = tuple(KINDS if kinds is None else kinds)
    if not chosen:
        raise ValueError("kinds must name at least one fault kind")
    for kind in chosen:
        spec_for(kind)
    if not 0.0 < max_seconds <= MAX_SECONDS:
        raise ValueError(f"max_seconds must be in (0, {MAX_SECONDS}]")

    @st.composite
    def rule(draw: st.DrawFn) -> Rule:
        spec = CATALOGUE[draw(st.sampled_from(chosen))]
        action = Action(spec.name, draw(_params(spec, max_seconds, bounded)))
        point = action.point
        return Rule(match=_match(draw, spec, point), trigger=_trigger(draw, point), action=action)

    return rule()


def fault_plans(
    *,
    max_rules: int = 3,
    kinds: Sequence[str] | None = None,
    max_seconds: float = 0.5,
    bounded: bool = True,
    personas: bool = True,
) -> st.SearchStrategy[FaultPlan]:
    """Valid plans of up to ``max_rules`` rules (see :func:`fault_rules`), with a seed and,
    if ``personas``, sometimes a persona; shrinking toward no rules and seed 0."""
    if max_rules < 0:
        raise ValueError("max_rules must be >= 0")
    persona = st.none() | st.sampled_from(tuple(PERSONAS)) if personas else st.none()
    return st.builds(
        FaultPlan,
        seed=st.integers(0, 2**32 - 1),
        persona=persona,
        # Each slot may be empty: Hypothesis shrinks a slot to "empty" far more reliably than
        # it deletes a list element whose draws are as varied as a rule's, so failing plans
        # shrink to the rules that matter.
        rules=st.lists(
            st.none() | fault_rules(kinds=kinds, max_seconds=max_seconds, bounded=bounded),
            max_size=max_rules,
        ).map(lambda slots: tuple(rule for rule in slots if rule is not None)),
    )


def _address(value: object, what: str) -> str:
    if (
        not isinstance(value, str)
        or len(value) != 42
        or value[:2] != "0x"
        or not all(c in "0123456789abcdefABCDEF" for c in value[2:])
    ):
        raise ValueError(f"{what} must be 0x-prefixed 20-byte hex addresses, got {value!r}")
    return value


def transactions(
    accounts: Sequence[str],
    *,
    max_value: int = 10**18,
    initcodes: Sequence[bytes] = (),
    calls: Sequence[tuple[str, bytes]] = (),
) -> st.SearchStrategy[dict[str, Any]]:
    """Argument dicts for web3.py's ``send_transaction``, from one of ``accounts``:

    * transfers ``{"from", "to", "value"}`` between ``accounts`` (value ``0..max_value`` wei);
    * with ``initcodes``: deployments ``{"from", "data"}`` of one of them;
    * with ``calls`` (``(contract address, calldata)`` pairs known to succeed): calls
      ``{"from", "to", "data"}``.

    Addresses are passed through as given (web3.py wants them checksummed); ``data`` is
    ``0x`` hex. Shrinks toward a zero-value transfer from the first account to itself.
    """
    senders = [_address(a, "accounts") for a in accounts]
    if not senders:
        raise ValueError("accounts must not be empty")
    if max_value < 0:
        raise ValueError("max_value must be >= 0")
    for address, _ in calls:
        _address(address, "call targets")
    sender = st.sampled_from(senders)
    options: list[st.SearchStrategy[dict[str, Any]]] = [
        st.fixed_dictionaries(
            {"from": sender, "to": st.sampled_from(senders), "value": st.integers(0, max_value)}
        )
    ]
    if initcodes:
        options.append(
            st.fixed_dictionaries(
                {"from": sender, "data": st.sampled_from(list(initcodes)).map(_hex)}
            )
        )
    if calls:
        options.append(
            st.tuples(sender, st.sampled_from(list(calls))).map(
                lambda pick: {"from": pick[0], "to": pick[1][0], "data": _hex(pick[1][1])}
            )
        )
    return st.one_of(options)


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()
