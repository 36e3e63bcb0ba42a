"""The rule model: the JSON shape both ways, and every way a rule is refused (sans-io)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from mocknode.faults import (
    Action,
    Event,
    FaultSpecError,
    Match,
    Rule,
    Trigger,
    parse_rule,
    render_rule,
)

FULL_RULE: dict[str, Any] = {
    "match": {
        "transport": "http",
        "method": "eth_get*",
        "params": [{"address": "0xAbC0000000000000000000000000000000000001"}, "latest"],
        "scope": "single",
        "connection": 3,
    },
    "trigger": {
        "probability": 0.25,
        "first": 3,
        "every": 2,
        "after": 10,
        "times": 2,
        "window_seconds": [5.0, 20.5],
        "window_blocks": [10, None],
        "per": "connection",
    },
    "action": {
        "kind": "http_status",
        "status": 429,
        "headers": {"Retry-After": "2"},
        "body": "slow down",
        "keep_alive": False,
    },
}


def test_a_full_rule_renders_back_to_the_same_json() -> None:
    rule = parse_rule(FULL_RULE)
    assert render_rule(rule) == FULL_RULE
    assert parse_rule(render_rule(rule)) == rule
    # and survives a trip through JSON text, as over mock_addFault / mock_listFaults
    assert parse_rule(json.loads(json.dumps(render_rule(rule)))) == rule


def test_parsed_values_are_typed_and_frozen() -> None:
    rule = parse_rule(FULL_RULE)
    assert rule.match.params == (
        {"address": "0xAbC0000000000000000000000000000000000001"},
        "latest",
    )
    assert rule.trigger.window_seconds == (5.0, 20.5)
    assert rule.trigger.window_blocks == (10, None)
    with pytest.raises(TypeError):
        rule.action.params["status"] = 500  # type: ignore[index]
    with pytest.raises(TypeError):
        rule.match.params[0]["address"] = "0x"  # type: ignore[index]


def test_only_action_kind_is_required_and_defaults_are_filled_in() -> None:
    rule = parse_rule({"action": {"kind": "delay", "seconds": 2}})
    assert rule == Rule(action=Action("delay", {"seconds": 2.0}))
    assert rule.match == Match()
    assert rule.trigger == Trigger()
    assert dict(rule.action.params) == {"seconds": 2.0, "direction": "response"}
    # render writes the parameters in effect, leaves match and trigger out when default
    assert render_rule(rule) == {
        "action": {"kind": "delay", "seconds": 2.0, "direction": "response"}
    }


def test_absent_and_null_parameters_are_the_same_and_render_leaves_nulls_out() -> None:
    rule = parse_rule({"action": {"kind": "hang", "seconds": None}})
    assert rule == parse_rule({"action": {"kind": "hang"}})
    assert render_rule(rule) == {"action": {"kind": "hang"}}


def test_python_construction_validates_like_json() -> None:
    assert Rule.of("delay", seconds=1, match=Match(method="eth_call")) == parse_rule(
        {"match": {"method": "eth_call"}, "action": {"kind": "delay", "seconds": 1}}
    )
    with pytest.raises(FaultSpecError, match=r"^action.seconds: required by delay$"):
        Action("delay")
    with pytest.raises(FaultSpecError, match=r"^trigger.first: expected an integer >= 1, got 0$"):
        Trigger(first=0)


def test_distributions_normalise_to_floats() -> None:
    rule = parse_rule({"action": {"kind": "delay", "seconds": {"uniform": [1, 2]}}})
    assert rule.action.params["seconds"] == {"uniform": (1.0, 2.0)}
    assert render_rule(rule)["action"]["seconds"] == {"uniform": [1.0, 2.0]}
    lognormal = Action("delay", {"seconds": {"lognormal": [-2, 0.5]}})
    assert lognormal.params["seconds"] == {"lognormal": (-2.0, 0.5)}


def test_windows_accept_a_table_with_one_open_end() -> None:
    trigger = Trigger(window_blocks={"start": 10}, window_seconds={"end": 3})  # type: ignore[arg-type]
    assert trigger.window_blocks == (10, None)
    assert trigger.window_seconds == (None, 3.0)


def test_a_predicate_renders_by_name_and_json_cannot_give_one() -> None:
    def only_big_blocks(event: Event) -> bool:
        return event.block > 5

    rule = Rule(match=Match(predicate=only_big_blocks), action=Action("close"))
    rendered = render_rule(rule)
    assert rendered["match"] == {
        "predicate": "python:test_a_predicate_renders_by_name_and_json_cannot_give_one"
        ".<locals>.only_big_blocks"
    }
    with pytest.raises(FaultSpecError, match=r"^match.predicate: a predicate can only be given"):
        parse_rule(rendered)
    with pytest.raises(FaultSpecError, match=r"^match.predicate: expected a callable"):
        Match(predicate=5)  # type: ignore[arg-type]


def test_hex_parameters_are_normalised_to_lower_case() -> None:
    action = Action("drop_tx", {"sender": "0x" + "AB" * 20})
    assert action.params["sender"] == "0x" + "ab" * 20


def test_parse_rule_prefixes_errors_with_the_given_path() -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_rule({"action": {"kind": "truncate"}}, "rules[4]")
    assert str(caught.value) == "rules[4].action.after_bytes: required by truncate"
    assert caught.value.path == "rules[4].action.after_bytes"
    assert caught.value.reason == "required by truncate"


A = {"kind": "close"}

REJECTED: list[tuple[object, str]] = [
    # the rule object
    ([], "expected a rule object {match, trigger, action}, got []"),
    ({"action": A, "when": 1}, "when: unknown field (a rule has: action, match, trigger)"),
    ({}, 'action: required (an object with at least "kind")'),
    ({"action": 1}, "action: expected an object, got 1"),
    ({"action": {"status": 500}}, "action.kind: required"),
    # kinds
    ({"action": {"kind": 5}}, "action.kind: expected a fault kind (a string), got 5"),
    (
        {"action": {"kind": "dely"}},
        'action.kind: unknown fault kind "dely"; did you mean "delay"? '
        "(the kinds are listed in docs/faults.md)",
    ),
    (
        {"action": {"kind": "zzz"}},
        'action.kind: unknown fault kind "zzz" (the kinds are listed in docs/faults.md)',
    ),
    # parameters
    (
        {"action": {"kind": "close", "colour": "red"}},
        "action.colour: unknown parameter of close (its parameters: none)",
    ),
    (
        {"action": {"kind": "delay", "secs": 1}},
        "action.secs: unknown parameter of delay (its parameters: direction, seconds)",
    ),
    ({"action": {"kind": "truncate"}}, "action.after_bytes: required by truncate"),
    (
        {"action": {"kind": "truncate", "after_bytes": "10"}},
        'action.after_bytes: expected an integer >= 0, got "10"',
    ),
    (
        {"action": {"kind": "truncate", "after_bytes": 10.0}},
        "action.after_bytes: expected an integer >= 0, got 10.0",
    ),
    (
        {"action": {"kind": "truncate", "after_bytes": True}},
        "action.after_bytes: expected an integer >= 0, got true",
    ),
    (
        {"action": {"kind": "http_status", "status": 199}},
        "action.status: expected an integer from 200 to 599, got 199",
    ),
    (
        {"action": {"kind": "http_status", "status": 600}},
        "action.status: expected an integer from 200 to 599, got 600",
    ),
    (
        {"action": {"kind": "reset", "at": "later"}},
        'action.at: expected one of "connect", "request", "response", got "later"',
    ),
    (
        {"action": {"kind": "hang", "seconds": 0}},
        "action.seconds: expected a number > 0 and <= 86400, or null, got 0",
    ),
    (
        {"action": {"kind": "delay", "seconds": 100_000}},
        "action.seconds: expected a number >= 0 and <= 86400, got 100000",
    ),
    (
        {"action": {"kind": "delay", "seconds": math.nan}},
        "action.seconds: expected a number >= 0 and <= 86400, got nan",
    ),
    (
        {"action": {"kind": "delay", "seconds": "1s"}},
        'action.seconds: expected a number >= 0 and <= 86400, got "1s"',
    ),
    (
        {"action": {"kind": "delay", "seconds": {"normal": [1, 2]}}},
        'action.seconds.normal: unknown distribution (use "uniform" or "lognormal")',
    ),
    (
        {"action": {"kind": "delay", "seconds": {"uniform": [2, 1]}}},
        "action.seconds.uniform: the lower bound 2 exceeds 1",
    ),
    (
        {"action": {"kind": "delay", "seconds": {"uniform": [1]}}},
        "action.seconds.uniform: expected a list of two numbers, got [1]",
    ),
    (
        {"action": {"kind": "delay", "seconds": {"uniform": [1, 2], "lognormal": [1, 2]}}},
        "action.seconds: expected seconds (0 to 86400), or "
        '{"uniform": [a, b]} or {"lognormal": [mu, sigma]}, '
        "got {'uniform': [1, 2], 'lognormal': [1, 2]}",
    ),
    (
        {"action": {"kind": "delay", "seconds": {"lognormal": [0, -1]}}},
        "action.seconds.lognormal[1]: expected a number >= 0 and <= 10, got -1",
    ),
    (
        {"action": {"kind": "http_status", "status": 500, "headers": {"Bad Name": "x"}}},
        'action.headers.Bad Name: not a valid header name: "Bad Name"',
    ),
    (
        {"action": {"kind": "http_status", "status": 500, "headers": {"X-A": "a\r\nb"}}},
        "action.headers.X-A: expected a header value (a string without CR, LF or NUL), "
        'got "a\\r\\nb"',
    ),
    (
        {"action": {"kind": "http_status", "status": 500, "headers": ["X-A"]}},
        "action.headers: expected an object of header name -> string value, got ['X-A']",
    ),
    (
        {"action": {"kind": "ws_close", "reason": "x" * 124}},
        "action.reason: expected a string of at most 123 characters, got " + '"' + "x" * 56 + "...",
    ),
    (
        {"action": {"kind": "drop_tx", "hash": "0x12"}},
        'action.hash: expected a transaction hash (0x and 64 hex digits), or null, got "0x12"',
    ),
    (
        {"action": {"kind": "replicas", "lags": []}},
        "action.lags: expected a list of 1 to 16 entries, each an integer from 0 to 1000, got []",
    ),
    (
        {"action": {"kind": "replicas", "lags": [0, -1]}},
        "action.lags[1]: expected an integer from 0 to 1000, got -1",
    ),
    (
        {"action": {"kind": "error", "template": "infura.nope"}},
        "action.template: expected one of",
    ),
    (
        {"action": {"kind": "error", "code": -32000, "message": "x", "data": {"a": math.inf}}},
        "action.data.a: expected a finite number, got inf",
    ),
    # combinations the catalogue refuses
    (
        {"action": {"kind": "reset", "after_bytes": 5}},
        'action.after_bytes: only meaningful with "at": "response"',
    ),
    (
        {"action": {"kind": "dribble"}},
        "action: give either bytes_per_second, or chunks and seconds",
    ),
    (
        {"action": {"kind": "dribble", "bytes_per_second": 10, "chunks": 2, "seconds": 1}},
        "action: give either bytes_per_second, or chunks and seconds",
    ),
    (
        {"action": {"kind": "dribble", "chunks": 2}},
        "action: give either bytes_per_second, or chunks and seconds",
    ),
    (
        {"action": {"kind": "ws_close", "code": 1005}},
        "action.code: 1005 is not a close code a server may send "
        "(1000-1003, 1006 for no close frame, 1007-1014, 3000-4999)",
    ),
    (
        {"action": {"kind": "ws_close", "after_messages": 1, "after_seconds": 1}},
        "action: give after_messages or after_seconds, not both",
    ),
    (
        {"action": {"kind": "error", "code": -32000}},
        "action: give a template, or both code and message",
    ),
    (
        {"action": {"kind": "delay_tx", "blocks": 1, "seconds": 1}},
        "action: give blocks or seconds (or neither: never), not both",
    ),
    # match fields
    (
        {"match": {"verb": "x"}, "action": A},
        "match.verb: unknown field (a match has: connection, method, params, scope, transport)",
    ),
    ({"match": [], "action": A}, "match: expected match object, got []"),
    (
        {"match": {"transport": "tcp"}, "action": A},
        'match.transport: expected one of "any", "http", "ws", "ipc", got "tcp"',
    ),
    (
        {"match": {"method": ""}, "action": A},
        'match.method: expected a method name or glob, got ""',
    ),
    ({"match": {"method": 5}, "action": A}, "match.method: expected a method name or glob, got 5"),
    (
        {"match": {"method": "mock_addFault"}, "action": A},
        "match.method: control methods (mock_*) are never faulted",
    ),
    (
        {"match": {"params": 5}, "action": A},
        "match.params: expected an array or object (a subset of the request params), got 5",
    ),
    (
        {"match": {"scope": "whole"}, "action": A},
        'match.scope: expected one of "any", "single", "batch", "item", got "whole"',
    ),
    (
        {"match": {"connection": 0}, "action": A},
        "match.connection: expected an integer >= 1, got 0",
    ),
    (
        {"match": {"connection": "1"}, "action": A},
        'match.connection: expected an integer >= 1, got "1"',
    ),
    # a match that can never meet its action
    (
        {"match": {"transport": "ws"}, "action": {"kind": "http_status", "status": 500}},
        "match.transport: http_status applies to http only",
    ),
    (
        {"match": {"transport": "http"}, "action": {"kind": "reorg"}},
        'match.transport: reorg acts on the chain, not on a connection: leave transport "any"',
    ),
    (
        {"match": {"method": "eth_call"}, "action": {"kind": "refuse"}},
        "match.method: refuse is decided when a connection is accepted, "
        "where there is no method to match",
    ),
    (
        {"match": {"method": "eth_call"}, "action": {"kind": "reset", "at": "connect"}},
        "match.method: reset is decided when a connection is accepted, "
        "where there is no method to match",
    ),
    (
        {"match": {"params": {"a": 1}}, "action": {"kind": "drop_notification"}},
        "match.params: drop_notification is decided per notification, "
        "where there is no params to match",
    ),
    (
        {"match": {"connection": 1}, "action": {"kind": "reorg"}},
        "match.connection: reorg is decided when a block is mined, "
        "where there is no connection to match",
    ),
    (
        {"match": {"scope": "item"}, "action": {"kind": "close"}},
        "match.scope: close acts at scope single or batch only",
    ),
    (
        {
            "match": {"scope": "batch"},
            "action": {"kind": "error", "template": "geth.header_not_found"},
        },
        "match.scope: error acts at scope single or item only",
    ),
    (
        {"match": {"method": "eth_call"}, "action": {"kind": "pool_error"}},
        "match.method: pool_error only acts on eth_sendTransaction, eth_sendRawTransaction",
    ),
    # trigger fields
    (
        {"trigger": {"chance": 1}, "action": A},
        "trigger.chance: unknown field (a trigger has: after, every, first, per, probability, "
        "times, window_blocks, window_seconds)",
    ),
    (
        {"trigger": {"probability": 1.5}, "action": A},
        "trigger.probability: expected a number >= 0 and <= 1, got 1.5",
    ),
    (
        {"trigger": {"probability": "0.5"}, "action": A},
        'trigger.probability: expected a number >= 0 and <= 1, got "0.5"',
    ),
    ({"trigger": {"first": 0}, "action": A}, "trigger.first: expected an integer >= 1, got 0"),
    ({"trigger": {"every": 0}, "action": A}, "trigger.every: expected an integer >= 1, got 0"),
    ({"trigger": {"after": -1}, "action": A}, "trigger.after: expected an integer >= 0, got -1"),
    ({"trigger": {"times": 0}, "action": A}, "trigger.times: expected an integer >= 1, got 0"),
    (
        {"trigger": {"window_seconds": [5, 1]}, "action": A},
        "trigger.window_seconds: start 5.0 is after end 1.0",
    ),
    (
        {"trigger": {"window_seconds": [None, None]}, "action": A},
        "trigger.window_seconds: a window needs a start or an end",
    ),
    (
        {"trigger": {"window_seconds": "soon"}, "action": A},
        "trigger.window_seconds: expected [start, end] or {start, end} (either may be null), "
        'got "soon"',
    ),
    (
        {"trigger": {"window_blocks": [1.5, 2]}, "action": A},
        "trigger.window_blocks[0]: expected an integer >= 0, got 1.5",
    ),
    (
        {"trigger": {"window_blocks": {"from": 1}}, "action": A},
        "trigger.window_blocks.from: unknown field (a window has start and end)",
    ),
    (
        {"trigger": {"per": "thread"}, "action": A},
        'trigger.per: expected one of "rule", "connection", got "thread"',
    ),
    (
        {"trigger": {"per": "connection"}, "action": {"kind": "reorg"}},
        "trigger.per: reorg is decided when a block is mined, where there is no connection",
    ),
]


@pytest.mark.parametrize(("data", "message"), REJECTED, ids=[m[:60] for _, m in REJECTED])
def test_rejected_rules_name_the_field(data: object, message: str) -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_rule(data)
    assert str(caught.value).startswith(message)
    if not message.endswith(("expected one of", "...")):
        assert str(caught.value) == message
