"""The decision engine: exact firing sequences, matching, and scheduling-free determinism."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.faults import Action, Event, FaultEngine, FaultSpecError, Match, Rule, Trigger
from mocknode.faults.engine import draw, params_match
from mocknode.faults.events import Transport


def req(
    connection: int = 1,
    sequence: int = 1,
    method: str = "eth_call",
    params: Any = None,
    *,
    transport: Transport = "http",
    time: float = 0.0,
    block: int = 0,
    index: int | None = None,
) -> Event:
    return Event.request(
        transport, connection, sequence, method, params, time=time, block=block, index=index
    )


def calls(count: int, method: str = "eth_call", connection: int = 1) -> list[Event]:
    """``count`` requests on one connection, sequence 1..count."""
    return [req(connection, seq, method) for seq in range(1, count + 1)]


def engine_with(*rules: Rule, seed: int = 0) -> FaultEngine:
    engine = FaultEngine(seed)
    for rule in rules:
        engine.add(rule)
    return engine


def outcomes(engine: FaultEngine, events: Iterable[Event]) -> list[int | None]:
    """The id of the rule that fired for each event (None: no fault)."""
    return [None if (d := engine.decide(e)) is None else d.rule_id for e in events]


def fired_at(engine: FaultEngine, events: Sequence[Event]) -> list[int]:
    """1-based positions of the events that got a fault."""
    return [i for i, rule in enumerate(outcomes(engine, events), 1) if rule is not None]


CLOSE = Action("close")


def close_when(**trigger: Any) -> Rule:
    return Rule(trigger=Trigger(**trigger), action=CLOSE)


# ----------------------------------------------------------------------- trigger sequences


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ({}, list(range(1, 13))),
        ({"first": 3}, [1, 2, 3]),
        ({"every": 3}, [3, 6, 9, 12]),
        ({"after": 9}, [10, 11, 12]),
        ({"times": 2}, [1, 2]),
        ({"after": 4, "first": 3}, [5, 6, 7]),
        ({"after": 2, "every": 2}, [4, 6, 8, 10, 12]),
        ({"every": 2, "first": 6}, [2, 4, 6]),
        ({"every": 2, "times": 2}, [2, 4]),
        ({"after": 1, "every": 5, "times": 1}, [6]),
        ({"probability": 0.0}, []),
        ({"probability": 1.0}, list(range(1, 13))),
    ],
)
def test_trigger_fires_on_exactly_these_matches(
    trigger: dict[str, Any], expected: list[int]
) -> None:
    assert fired_at(engine_with(close_when(**trigger)), calls(12)) == expected


def test_probability_fires_where_the_keyed_draw_is_below_it() -> None:
    engine = engine_with(close_when(probability=0.3), seed=42)
    events = [req(c, s) for c in (1, 2, 3) for s in range(1, 401)]
    decisions = [engine.decide(e) for e in events]
    expected = [draw(42, 1, e.key()) < 0.3 for e in events]
    assert [d is not None for d in decisions] == expected
    assert 300 <= sum(expected) <= 420  # about 30% of 1200
    assert all(d.draw is not None and d.draw < 0.3 for d in decisions if d is not None)


def test_draws_are_pinned_to_seed_rule_and_event_key() -> None:
    # The documented formula, and a pinned value: changing the key scheme would silently
    # change every replayed run.
    key = req(1, 1).key()
    assert key == "request|single|1|1|0"
    digest = hashlib.blake2b(b"0|draw|1|request|single|1|1|0", digest_size=16).digest()
    assert draw(0, 1, key) == (int.from_bytes(digest[:8], "big") >> 11) / 2**53
    assert draw(0, 1, key) == 0.6899587839554158
    assert draw(7, 1, key) != draw(0, 1, key)
    assert draw(0, 2, key) != draw(0, 1, key)
    assert req(1, 1, index=0).key() == "request|item|1|1|0"
    assert req(1, 1, index=0).key() != Event.batch("http", 1, 1, (), time=0, block=0).key()
    assert Event.new_block(5, time=0.0).key() == "block|5"
    assert 0.0 <= draw(2**64 - 1, 10**9, "x") < 1.0


def test_probability_and_times_together_cap_the_firings() -> None:
    engine = engine_with(close_when(probability=0.5, times=3), seed=1)
    assert len(fired_at(engine, calls(200))) == 3


def test_events_outside_the_time_window_are_not_counted() -> None:
    engine = engine_with(close_when(first=1, window_seconds=(5.0, 10.0)))
    times = [1.0, 4.999, 5.0, 6.0, 10.0]
    events = [req(1, i, time=t) for i, t in enumerate(times, 1)]
    assert fired_at(engine, events) == [3]  # t=5 is the window's first match
    engine = engine_with(close_when(window_seconds=(5.0, 10.0)))
    assert fired_at(engine, events) == [3, 4]  # start inclusive, end exclusive


def test_block_windows_include_both_ends() -> None:
    engine = engine_with(close_when(window_blocks=(2, 3)))
    events = [req(1, b + 1, block=b) for b in range(6)]
    assert fired_at(engine, events) == [3, 4]  # blocks 2 and 3
    open_ended = engine_with(close_when(window_blocks=(4, None)))
    assert fired_at(open_ended, events) == [5, 6]


def test_per_connection_counting() -> None:
    engine = engine_with(close_when(first=1, per="connection"))
    events = [req(1, 1), req(2, 1), req(1, 2), req(3, 1), req(2, 2)]
    assert fired_at(engine, events) == [1, 2, 4]
    status = engine.list()[0]
    assert (status.matched, status.fired) == (5, 3)


# ----------------------------------------------------------------------- rule order


def test_first_firing_rule_wins_and_later_rules_count_only_what_reaches_them() -> None:
    first = close_when(every=2)  # fires on its 2nd, 4th ... match
    second = Rule(trigger=Trigger(first=2), action=Action("hang"))
    engine = engine_with(first, second)
    assert outcomes(engine, calls(6)) == [2, 1, 2, 1, None, 1]
    # the second rule saw events 1, 3, 5 only (2, 4, 6 were taken by the first)
    assert [(s.id, s.matched, s.fired) for s in engine.list()] == [(1, 6, 3), (2, 3, 2)]


def test_a_rule_that_matches_but_does_not_fire_passes_the_event_on() -> None:
    engine = engine_with(close_when(probability=0.0), Rule(action=Action("hang")))
    assert outcomes(engine, calls(3)) == [2, 2, 2]


# ----------------------------------------------------------------------- matching


def test_transport_method_glob_scope_and_connection() -> None:
    rule = Rule(
        match=Match(transport="ws", method="eth_get*", scope="single", connection=2),
        action=Action("error", {"template": "geth.header_not_found"}),
    )
    engine = engine_with(rule)
    events = [
        req(2, 1, "eth_getBalance", transport="ws"),  # yes
        req(2, 2, "eth_getBalance", transport="http"),  # transport
        req(1, 1, "eth_getBalance", transport="ws"),  # connection
        req(2, 3, "eth_call", transport="ws"),  # method
        req(2, 4, "ETH_GETBALANCE", transport="ws"),  # globs are case-sensitive
        req(2, 5, "eth_getLogs", transport="ws", index=0),  # scope: an item, not single
        req(2, 6, "eth_getLogs", transport="ws"),  # yes
    ]
    assert fired_at(engine, events) == [1, 7]
    assert engine.list()[0].matched == 2


def test_params_subset_matching() -> None:
    address = "0xAbC0000000000000000000000000000000000001"
    assert params_match([{"address": address.lower()}], [{"address": address, "topics": []}])
    assert params_match(["latest"], ["latest", True])
    assert not params_match(["latest", True], ["latest"])
    assert not params_match(["Latest"], ["latest"])  # only 0x strings fold case
    assert params_match({"a": {"b": [1]}}, {"a": {"b": [1.0, 2]}, "c": 3})
    assert not params_match({"a": 1}, {"a": True})  # true is not 1
    assert not params_match({"a": True}, {"a": 1})
    assert not params_match({"a": None}, {})  # a key must be present
    assert params_match({"a": None}, {"a": None})
    assert not params_match([1], {"0": 1})
    assert not params_match({"a": 1}, None)
    rule = Rule(match=Match(params=[{"to": address}]), action=CLOSE)
    engine = engine_with(rule)
    events = [
        req(1, 1, params=[{"to": address.upper().replace("0X", "0x")}]),
        req(1, 2, params=[{}]),
    ]
    assert fired_at(engine, events) == [1]


def test_predicate_sees_the_event() -> None:
    rule = Rule(match=Match(predicate=lambda e: e.sequence % 2 == 1), action=CLOSE)
    assert fired_at(engine_with(rule), calls(5)) == [1, 3, 5]


def test_kinds_only_count_events_on_their_transports() -> None:
    engine = engine_with(
        Rule(trigger=Trigger(first=1), action=Action("http_status", {"status": 503}))
    )
    events = [req(1, 1, transport="ws"), req(2, 1, transport="ipc"), req(3, 1, transport="http")]
    assert fired_at(engine, events) == [3]


def test_kinds_with_methods_only_count_those_methods() -> None:
    engine = engine_with(Rule(trigger=Trigger(every=2), action=Action("pool_error")))
    events = [
        req(1, 1, "eth_sendRawTransaction"),
        req(1, 2, "eth_call"),
        req(1, 3, "eth_blockNumber"),
        req(1, 4, "eth_sendTransaction"),
    ]
    assert fired_at(engine, events) == [4]


def test_control_methods_are_never_faulted_nor_counted() -> None:
    engine = engine_with(close_when(first=1))
    assert engine.is_control("mock_journal")
    assert not engine.is_control("eth_call")
    events = [req(1, 1, "mock_addFault"), req(1, 2, "mock_journal"), req(1, 3, "eth_call")]
    assert fired_at(engine, events) == [3]
    # a batch with a control call in it is not faulted as a whole ...
    batch_rule = Rule(action=Action("batch_reorder"))
    engine = engine_with(batch_rule)
    with_control = Event.batch("http", 1, 1, ("eth_call", "mock_journal"), time=0.0, block=0)
    without = Event.batch("http", 1, 2, ("eth_call", "eth_chainId"), time=0.0, block=0)
    assert outcomes(engine, [with_control, without]) == [None, 1]
    # ... and its control item is not faulted as an item
    engine = engine_with(Rule(action=Action("batch_missing")))
    items = [req(1, 1, "mock_journal", index=0), req(1, 1, "eth_call", index=1)]
    assert outcomes(engine, items) == [None, 1]


def test_batches_and_items_are_separate_scopes() -> None:
    error = Rule(action=Action("error", {"code": -32000, "message": "boom"}))
    engine = engine_with(error)
    batch = Event.batch("http", 1, 1, ("eth_call", "eth_call"), time=0.0, block=0)
    events = [batch, req(1, 1, index=0), req(1, 1, index=1), req(1, 2)]
    # error acts at single and item scope: the batch event itself is not counted
    assert outcomes(engine, events) == [None, 1, 1, 1]
    assert engine.list()[0].matched == 3


def test_batch_method_glob_matches_any_call_in_the_batch() -> None:
    engine = engine_with(Rule(match=Match(method="eth_getLogs"), action=Action("batch_reorder")))
    hit = Event.batch("ws", 1, 1, ("eth_chainId", "eth_getLogs"), time=0.0, block=0)
    miss = Event.batch("ws", 1, 2, ("eth_chainId", "eth_call"), time=0.0, block=0)
    assert outcomes(engine, [hit, miss]) == [1, None]


def test_batch_limit_applies_only_to_longer_batches() -> None:
    engine = engine_with(Rule(trigger=Trigger(first=1), action=Action("batch_limit", {"limit": 2})))
    short = Event.batch("http", 1, 1, ("a", "b"), time=0.0, block=0)
    long = Event.batch("http", 1, 2, ("a", "b", "c"), time=0.0, block=0)
    assert outcomes(engine, [short, long, long]) == [None, 1, None]


def test_notifications_filter_by_subscription_kind() -> None:
    engine = engine_with(Rule(action=Action("drop_notification", {"subscription": "logs"})))
    heads = Event.notification("ws", 1, 1, "newHeads", time=0.0, block=1)
    logs = Event.notification("ws", 1, 2, "logs", time=0.0, block=1)
    assert outcomes(engine, [heads, logs]) == [None, 1]
    # and notifications never reach request-point rules
    engine = engine_with(Rule(action=CLOSE))
    assert outcomes(engine, [logs]) == [None]


def test_transactions_filter_by_hash_and_sender_and_draw_by_hash() -> None:
    sender = "0x" + "aa" * 20
    tx_hash = "0x" + "11" * 32
    rule = Rule(action=Action("drop_tx", {"sender": sender.upper().replace("0X", "0x")}))
    engine = engine_with(rule)

    def tx(h: str, s: str, connection: int) -> Event:
        return Event.tx(
            h,
            s,
            transport="http",
            connection=connection,
            method="eth_sendRawTransaction",
            time=0.0,
            block=0,
        )

    assert outcomes(engine, [tx(tx_hash, "0x" + "bb" * 20, 1), tx(tx_hash, sender, 1)]) == [None, 1]
    by_hash = engine_with(Rule(action=Action("delay_tx", {"hash": tx_hash})))
    assert outcomes(
        by_hash,
        [tx("0x" + "22" * 32, sender, 1), tx(tx_hash.upper().replace("0X", "0x"), sender, 1)],
    ) == [None, 1]
    # the draw depends on the transaction, not on which connection sent it
    assert tx(tx_hash, sender, 1).key() == tx(tx_hash, sender, 9).key()


def test_reorg_at_one_block() -> None:
    engine = engine_with(
        Rule(trigger=Trigger(window_blocks=(5, 5)), action=Action("reorg", {"depth": 2}))
    )
    blocks = [Event.new_block(n, time=float(n)) for n in range(1, 9)]
    assert fired_at(engine, blocks) == [5]
    # block events reach only block-point rules
    assert outcomes(engine_with(close_when()), blocks[:1]) == [None]


# ----------------------------------------------------------------------- stateful kinds


def test_refuse_keeps_the_node_down_for_its_window() -> None:
    engine = engine_with(Rule(trigger=Trigger(first=1), action=Action("refuse", {"seconds": 2})))

    def accept(connection: int, time: float) -> Event:
        return Event.accept("http", connection, time=time, block=0)

    decisions = [engine.decide(accept(c, t)) for c, t in [(1, 0.0), (2, 1.0), (3, 1.99), (4, 2.0)]]
    assert [d is not None for d in decisions] == [True, True, True, False]
    assert [d.held for d in decisions if d is not None] == [False, True, True]
    assert engine.list()[0].matched == 2  # held connections are not counted; 4 was (first=1)
    # requests never reach accept-point rules
    assert engine.decide(req()) is None


def test_rate_limit_token_bucket_per_node() -> None:
    rule = Rule(action=Action("rate_limit", {"rate": 2.0, "burst": 2}))
    engine = engine_with(rule)
    times = [0.0, 0.0, 0.0, 0.25, 0.5, 0.5, 2.0, 2.0, 2.0]
    decisions = [engine.decide(req(1, i, time=t)) for i, t in enumerate(times, 1)]
    assert [d is not None for d in decisions] == [
        False,
        False,
        True,
        True,
        False,
        True,
        False,
        False,
        True,
    ]
    assert [d.params["retry_after"] for d in decisions if d is not None] == [0.5, 0.25, 0.5, 0.5]


def test_rate_limit_buckets_per_connection_and_per_method() -> None:
    per_connection = engine_with(
        Rule(action=Action("rate_limit", {"rate": 1.0, "per": "connection"}))
    )
    events = [req(1, 1), req(2, 1), req(1, 2), req(2, 2)]
    assert fired_at(per_connection, events) == [3, 4]
    per_method = engine_with(Rule(action=Action("rate_limit", {"rate": 1.0, "per": "method"})))
    events = [req(1, 1, "eth_call"), req(1, 2, "eth_getBalance"), req(1, 3, "eth_call")]
    assert fired_at(per_method, events) == [3]


def test_rate_limit_trigger_narrows_which_calls_are_limited() -> None:
    rule = Rule(trigger=Trigger(after=2), action=Action("rate_limit", {"rate": 1.0}))
    engine = engine_with(rule)
    # calls 1-2 are not subject to the bucket; 3 takes the token, 4 is refused
    assert fired_at(engine, calls(4)) == [4]


# ----------------------------------------------------------------------- resolved values


def test_distributions_and_random_choices_are_resolved_per_decision() -> None:
    engine = engine_with(Rule(action=Action("delay", {"seconds": {"uniform": [1, 2]}})), seed=3)
    samples = [engine.decide(e).params["seconds"] for e in calls(50)]  # type: ignore[union-attr]
    assert all(1.0 <= s <= 2.0 for s in samples)
    assert len(set(samples)) == 50
    again = engine_with(Rule(action=Action("delay", {"seconds": {"uniform": [1, 2]}})), seed=3)
    assert [again.decide(e).params["seconds"] for e in calls(50)] == samples  # type: ignore[union-attr]
    fixed = engine_with(Rule(action=Action("delay", {"seconds": 0.5})))
    assert fixed.decide(req()).params["seconds"] == 0.5  # type: ignore[union-attr]


def test_stale_head_lag_stays_within_its_jitter() -> None:
    engine = engine_with(Rule(action=Action("stale_head", {"blocks": 2, "jitter": 3})))
    lags = {engine.decide(e).params["lag"] for e in calls(200, "eth_blockNumber")}  # type: ignore[union-attr]
    assert lags == {2, 3, 4, 5}


@pytest.mark.parametrize(
    ("policy", "connections", "expected"),
    [
        ("round_robin", [1, 1, 2, 2, 1], [0, 1, 2, 0, 1]),
        ("sticky", [1, 2, 3, 4, 1], [0, 1, 2, 0, 0]),
    ],
)
def test_replica_choice(policy: str, connections: list[int], expected: list[int]) -> None:
    engine = engine_with(Rule(action=Action("replicas", {"lags": [0, 5, 9], "policy": policy})))
    events = [req(c, i) for i, c in enumerate(connections, 1)]
    decisions = [engine.decide(e) for e in events]
    assert [d.params["replica"] for d in decisions] == expected  # type: ignore[union-attr]
    assert [d.params["lag"] for d in decisions] == [[0, 5, 9][i] for i in expected]  # type: ignore[union-attr]


def test_decision_rng_is_a_pure_function_of_seed_rule_and_event() -> None:
    engine = engine_with(Rule(action=Action("garbage")), seed=9)
    a, b = engine.decide(req(1, 1)), engine.decide(req(1, 2))
    again = engine_with(Rule(action=Action("garbage")), seed=9).decide(req(1, 1))
    assert a is not None
    assert b is not None
    assert again is not None
    assert a.rng().randbytes(16) == again.rng().randbytes(16)
    assert a.rng().randbytes(16) != b.rng().randbytes(16)
    assert (a.rule_id, a.kind, a.seed, a.draw, a.held) == (1, "garbage", 9, None, False)


# ----------------------------------------------------------------------- management


def test_add_remove_clear_and_ids() -> None:
    engine = FaultEngine()
    assert not engine.wants("request")
    assert len(engine) == 0
    first = engine.add(close_when())
    second = engine.add(Rule(action=Action("refuse")))
    assert (first, second) == (1, 2)
    assert engine.wants("request")
    assert engine.wants("accept")
    assert not engine.wants("block")
    assert engine.get(2) == Rule(action=Action("refuse"))
    assert engine.remove(1) is True
    assert engine.remove(1) is False
    assert not engine.wants("request")
    assert engine.add(close_when()) == 3  # ids are not reused while the engine lives
    assert [s.id for s in engine.list()] == [2, 3]
    engine.clear()
    assert len(engine) == 0
    assert engine.list() == []
    assert not engine.wants("accept")
    assert engine.add(close_when()) == 1  # ... but start again after clear()
    with pytest.raises(TypeError):
        engine.add({"action": {"kind": "close"}})  # type: ignore[arg-type]


def test_set_seed_resets_counters_and_changes_draws() -> None:
    engine = engine_with(close_when(first=1))
    assert fired_at(engine, calls(3)) == [1]
    engine.set_seed(5)
    assert engine.seed == 5
    assert engine.list()[0].matched == 0
    assert fired_at(engine, calls(3)) == [1]  # the counter started again
    events = calls(64)
    one = engine_with(close_when(probability=0.5), seed=1)
    two = engine_with(close_when(probability=0.5), seed=2)
    with_one, with_two = fired_at(one, events), fired_at(two, events)
    assert with_one != with_two
    one.set_seed(2)
    assert fired_at(one, events) == with_two
    with pytest.raises(FaultSpecError, match=r"^seed: expected an integer from 0 to"):
        FaultEngine(-1)
    with pytest.raises(FaultSpecError, match=r"^seed: "):
        engine.set_seed(2**64)


def test_rule_status_renders_for_listing() -> None:
    engine = engine_with(
        Rule(match=Match(method="eth_call"), trigger=Trigger(first=1), action=CLOSE)
    )
    outcomes(engine, calls(2))
    assert engine.list()[0].render() == {
        "id": 1,
        "match": {"method": "eth_call"},
        "trigger": {"first": 1},
        "action": {"kind": "close"},
        "matched": 2,
        "fired": 1,
    }


# ----------------------------------------------------------------------- determinism

# Rules whose decisions depend only on each connection's own traffic: probabilities (keyed
# draws), per-connection counters, per-connection buckets, seeded resolved values.
ORDER_FREE_RULES = (
    Rule(
        match=Match(method="eth_getBalance"),
        trigger=Trigger(probability=0.3),
        action=Action("error", {"template": "geth.header_not_found"}),
    ),
    Rule(
        trigger=Trigger(every=3, per="connection"),
        action=Action("delay", {"seconds": {"uniform": [0, 1]}}),
    ),
    Rule(
        trigger=Trigger(probability=0.5, after=2, times=2, per="connection"),
        action=Action("close"),
    ),
    Rule(
        match=Match(method="eth_call"),
        trigger=Trigger(probability=0.4),
        action=Action("stale_head", {"jitter": 4}),
    ),
    Rule(action=Action("rate_limit", {"rate": 1.0, "burst": 2, "per": "connection"})),
)

METHODS = st.sampled_from(("eth_call", "eth_getBalance", "eth_blockNumber", "eth_chainId"))


def connection_traffic(connection: int, methods: list[str], step: float) -> list[Event]:
    return [
        req(connection, seq, method, time=seq * step, block=seq // 3)
        for seq, method in enumerate(methods, 1)
    ]


def run(seed: int, rules: Sequence[Rule], events: Iterable[Event]) -> dict[tuple[int, int], Any]:
    engine = engine_with(*rules, seed=seed)
    out: dict[tuple[int, int], Any] = {}
    for event in events:
        decision = engine.decide(event)
        out[(event.connection, event.sequence)] = (
            None
            if decision is None
            else (decision.rule_id, dict(decision.params), decision.draw, decision.rng().random())
        )
    return out


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**64 - 1),
    first=st.lists(METHODS, max_size=25),
    second=st.lists(METHODS, max_size=25),
    data=st.data(),
)
def test_decisions_do_not_depend_on_how_two_connections_interleave(
    seed: int, first: list[str], second: list[str], data: st.DataObject
) -> None:
    queues = {1: connection_traffic(1, first, 0.3), 2: connection_traffic(2, second, 0.7)}
    order = data.draw(st.permutations([1] * len(first) + [2] * len(second)))
    cursor = {1: 0, 2: 0}
    interleaved = []
    for connection in order:
        interleaved.append(queues[connection][cursor[connection]])
        cursor[connection] += 1
    one_after_the_other = queues[1] + queues[2]
    assert run(seed, ORDER_FREE_RULES, interleaved) == run(
        seed, ORDER_FREE_RULES, one_after_the_other
    )


def test_global_counters_follow_arrival_order_as_documented() -> None:
    a, b = req(1, 1), req(2, 1)
    assert outcomes(engine_with(close_when(first=1)), [a, b]) == [1, None]
    assert outcomes(engine_with(close_when(first=1)), [b, a]) == [1, None]  # b got it this time
    # the same order replays the same decisions, global counters included
    events = [req(c, s) for s in range(1, 20) for c in (1, 2, 3)]
    rules = (close_when(every=4), close_when(probability=0.3, times=5))
    assert run(11, rules, events) == run(11, rules, events)
