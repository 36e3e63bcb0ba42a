"""Notification faults seen by a web3.py WebSocket subscriber: dropped, duplicated, late,
reordered and silenced notifications, per subscription kind; each replayed from its seed.

The chain uses the fixed clock, so every run mines byte-identical blocks and the journal
(sizes included) can only differ where the faults do. One trio test checks delays on
trio's own clock (``autojump_clock``) with a raw WebSocket client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
from edge_helpers import closed, faults_of, fresh, journal, replayable, wait_until
from web3 import AsyncWeb3, WebSocketProvider
from wsproto import WSConnection
from wsproto.connection import ConnectionType
from wsproto.events import AcceptConnection, Request, TextMessage

pytestmark = pytest.mark.mocknode(clock="fixed")

WS = {"transport": "ws"}
Scenario = Callable[[AsyncWeb3[Any]], Awaitable[Any]]


async def receive(w3: AsyncWeb3[Any], count: int, quiet: float = 0.15) -> list[Any]:
    """The next ``count`` notifications, then checks nothing more arrives for ``quiet`` s."""
    messages: list[Any] = []
    stream = w3.socket.process_subscriptions()
    async with asyncio.timeout(5):
        while len(messages) < count:
            messages.append(await anext(stream))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(quiet):
            messages.append(await anext(stream))
    return messages


def sent_count(faults: Any) -> int:
    return sum(e["kind"] == "notification" for e in journal(faults))


async def replay(
    mocknode: Any, faults: Any, seed: int, rules: list[Any], scenario: Scenario
) -> tuple[Any, list[dict[str, Any]]]:
    """Run ``scenario`` on a fresh subscriber from a fresh state: its result and journal."""
    snapshot = mocknode.snapshot()
    fresh(faults, seed, rules)
    try:
        async with AsyncWeb3(WebSocketProvider(mocknode.ws_url)) as w3:
            result = await scenario(w3)
        await asyncio.to_thread(wait_until, closed(faults, 1))
        return result, journal(faults)
    finally:
        mocknode.revert(snapshot)


def heads(messages: list[Any]) -> list[int]:
    return [message["result"]["number"] for message in messages]


def mine(mocknode: Any, blocks: int) -> None:
    for _ in range(blocks):
        mocknode.mine()


@pytest.mark.asyncio
async def test_dropped_heads_are_missed_and_the_same_seed_drops_the_same(
    mocknode: Any, faults: Any
) -> None:
    rule = {
        "match": WS,
        "trigger": {"probability": 0.5},
        "action": {"kind": "drop_notification", "subscription": "newHeads"},
    }

    async def scenario(w3: AsyncWeb3[Any]) -> list[int]:
        await w3.eth.subscribe("newHeads")
        mine(mocknode, 10)
        await asyncio.to_thread(wait_until, lambda: len(notification_entries(faults)) == 10)
        return heads(await receive(w3, sent_count(faults)))

    seen, entries = await replay(mocknode, faults, 12, [rule], scenario)
    # The journal has one entry per head, in order: sent, or dropped by rule 1 with its draw.
    outcome = notification_entries(entries)
    assert [
        n for n, e in zip(range(1, 11), outcome, strict=True) if e["kind"] == "notification"
    ] == seen
    dropped = faults_of(entries, "drop_notification")
    assert 0 < len(dropped) < 10
    assert all(e["rule"] == 1 and e["draw"] < 0.5 for e in dropped)
    again, replayed = await replay(mocknode, faults, 12, [rule], scenario)
    assert again == seen
    assert replayable(replayed) == replayable(entries)
    other, _ = await replay(mocknode, faults, 13, [rule], scenario)
    assert other != seen  # another seed, other drops


def notification_entries(entries_or_faults: Any) -> list[dict[str, Any]]:
    entries = (
        entries_or_faults if isinstance(entries_or_faults, list) else journal(entries_or_faults)
    )
    return [
        e
        for e in entries
        if e["kind"] == "notification"
        or (e["kind"] == "fault" and e["method"] == "eth_subscription")
    ]


@pytest.mark.asyncio
async def test_duplicated_heads_arrive_twice(mocknode: Any, faults: Any) -> None:
    rule = {
        "match": WS,
        "trigger": {"every": 2},
        "action": {"kind": "duplicate_notification", "copies": 3},
    }

    async def scenario(w3: AsyncWeb3[Any]) -> list[int]:
        await w3.eth.subscribe("newHeads")
        mine(mocknode, 4)
        return heads(await receive(w3, 8))

    seen, entries = await replay(mocknode, faults, 1, [rule], scenario)
    assert seen == [1, 2, 2, 2, 3, 4, 4, 4]
    assert len(faults_of(entries, "duplicate_notification")) == 2
    again, replayed = await replay(mocknode, faults, 1, [rule], scenario)
    assert (again, replayable(replayed)) == (seen, replayable(entries))


@pytest.mark.asyncio
async def test_delayed_head_arrives_after_the_next_one(mocknode: Any, faults: Any) -> None:
    delay = 0.3
    rule = {
        "match": WS,
        "trigger": {"first": 1},
        "action": {"kind": "delay_notification", "seconds": delay},
    }

    async def scenario(w3: AsyncWeb3[Any]) -> list[int]:
        await w3.eth.subscribe("newHeads")
        mine(mocknode, 2)
        return heads(await receive(w3, 2))

    seen, entries = await replay(mocknode, faults, 1, [rule], scenario)
    assert seen == [2, 1]  # late, and overtaken
    [fault] = faults_of(entries, "delay_notification")
    (late,) = [e for e in entries if e["kind"] == "notification"][1:]
    assert late["time"] - fault["time"] >= delay
    again, replayed = await replay(mocknode, faults, 1, [rule], scenario)
    assert (again, replayable(replayed)) == (seen, replayable(entries))


@pytest.mark.asyncio
async def test_reordered_heads_arrive_reversed(mocknode: Any, faults: Any) -> None:
    rule = {
        "match": WS,
        "trigger": {"first": 1},
        "action": {"kind": "reorder_notifications", "count": 3},
    }

    async def scenario(w3: AsyncWeb3[Any]) -> list[int]:
        await w3.eth.subscribe("newHeads")
        mine(mocknode, 4)
        return heads(await receive(w3, 4))

    seen, entries = await replay(mocknode, faults, 1, [rule], scenario)
    assert seen == [3, 2, 1, 4]
    assert len(faults_of(entries, "reorder_notifications")) == 1  # the held ones are not decided
    again, replayed = await replay(mocknode, faults, 1, [rule], scenario)
    assert (again, replayable(replayed)) == (seen, replayable(entries))


@pytest.mark.asyncio
async def test_zombie_subscription_goes_silent_while_the_socket_answers(
    mocknode: Any, faults: Any
) -> None:
    rule = {
        "match": WS,
        "trigger": {"after": 2, "first": 1},
        "action": {"kind": "zombie_subscription"},
    }

    async def scenario(w3: AsyncWeb3[Any]) -> tuple[list[int], int, list[int]]:
        first = await w3.eth.subscribe("newHeads")
        mine(mocknode, 5)
        before = heads(await receive(w3, 2))
        number = await w3.eth.block_number  # the connection still answers
        await w3.eth.subscribe("newHeads")  # and a new subscription still notifies
        mine(mocknode, 1)
        [message] = await receive(w3, 1)
        assert message["subscription"] != first
        return before, number, heads([message])

    seen, entries = await replay(mocknode, faults, 1, [rule], scenario)
    assert seen == ([1, 2], 5, [6])
    assert len(faults_of(entries, "zombie_subscription")) == 1
    again, replayed = await replay(mocknode, faults, 1, [rule], scenario)
    assert (again, replayable(replayed)) == (seen, replayable(entries))


@pytest.mark.asyncio
async def test_rules_act_per_subscription_kind(
    mocknode: Any, faults: Any, greeter_artifact: dict[str, Any]
) -> None:
    drop_pending = {
        "match": WS,
        "action": {"kind": "drop_notification", "subscription": "newPendingTransactions"},
    }
    dup_logs = {"match": WS, "action": {"kind": "duplicate_notification", "subscription": "logs"}}

    async def scenario(w3: AsyncWeb3[Any]) -> list[tuple[str, Any]]:
        accounts = await w3.eth.accounts
        factory = w3.eth.contract(
            abi=greeter_artifact["abi"], bytecode=greeter_artifact["bytecode"]
        )
        receipt = await w3.eth.wait_for_transaction_receipt(
            await factory.constructor("hello").transact({"from": accounts[0]})
        )
        greeter = w3.eth.contract(address=receipt["contractAddress"], abi=greeter_artifact["abi"])
        names = {
            await w3.eth.subscribe("newHeads"): "head",
            await w3.eth.subscribe("logs", {"address": greeter.address}): "log",
            await w3.eth.subscribe("newPendingTransactions"): "pending",
        }
        await greeter.functions.setGreeting("again").transact({"from": accounts[0]})
        got = await receive(w3, 3)
        return [
            (names[m["subscription"]], m["result"].get("number", m["result"].get("logIndex")))
            for m in got
        ]

    rules = [drop_pending, dup_logs]
    seen, entries = await replay(mocknode, faults, 1, rules, scenario)
    # pending: dropped (rule 1); head: sent once; log: sent twice (rule 2)
    assert seen == [("head", 2), ("log", 0), ("log", 0)]
    assert [e["rule"] for e in faults_of(entries, "drop_notification")] == [1]
    assert [e["rule"] for e in faults_of(entries, "duplicate_notification")] == [2]
    again, replayed = await replay(mocknode, faults, 1, rules, scenario)
    assert (again, replayable(replayed)) == (seen, replayable(entries))


# -- on trio's clock ----------------------------------------------------------------------


async def ws_connect(url: str) -> tuple[trio.SocketStream, WSConnection]:
    host, port = url.removeprefix("ws://").split(":")
    stream = await trio.open_tcp_stream(host, int(port))
    ws = WSConnection(ConnectionType.CLIENT)
    await stream.send_all(ws.send(Request(host=host, target="/")))
    while True:
        ws.receive_data(await stream.receive_some(65536))
        for event in ws.events():
            assert isinstance(event, AcceptConnection)
            return stream, ws


async def ws_next(stream: trio.SocketStream, ws: WSConnection) -> Any:
    while True:
        for event in ws.events():
            assert isinstance(event, TextMessage)
            return json.loads(event.data)
        ws.receive_data(await stream.receive_some(65536))


@pytest.mark.trio
async def test_notification_delay_runs_on_trios_clock(
    mocknode: Any, faults: Any, autojump_clock: object
) -> None:
    rule = {
        "match": WS,
        "trigger": {"every": 2},
        "action": {"kind": "delay_notification", "seconds": {"uniform": [20, 40]}},
    }

    async def run() -> tuple[list[tuple[float, int]], list[dict[str, Any]]]:
        fresh(faults, 77, [rule])
        stream, ws = await ws_connect(mocknode.ws_url)
        await stream.send_all(
            ws.send(
                TextMessage(
                    json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": 1,
                            "method": "eth_subscribe",
                            "params": ["newHeads"],
                        }
                    )
                )
            )
        )
        assert (await ws_next(stream, ws))["id"] == 1
        start = trio.current_time()
        base = mocknode.block_number()
        for _ in range(4):
            mocknode.mine()
        arrivals = []
        for _ in range(4):
            message = await ws_next(stream, ws)
            arrivals.append(
                (
                    round(trio.current_time() - start, 6),
                    int(message["params"]["result"]["number"], 16) - base,
                )
            )
        await stream.aclose()
        with trio.fail_after(5):
            while not closed(faults, 1)():  # noqa: ASYNC110
                await trio.sleep(0.01)
        return arrivals, journal(faults)

    arrivals, entries = await run()
    assert [n for _, n in arrivals] == [1, 3, 2, 4]  # the seeded delays: 2 is due first
    late = [t for t, n in arrivals if n in (2, 4)]
    assert all(20 <= t <= 40 for t in late)  # drawn from the distribution, on trio's clock
    # autojump: the replay is exact, times included
    assert await run() == (arrivals, entries)
