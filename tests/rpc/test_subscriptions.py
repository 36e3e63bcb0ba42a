"""Subscriptions on a real chain, without sockets: bookkeeping, notification bytes, the
notify hook, and eth_subscribe/eth_unsubscribe as geth answers them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import Filters, LogFilter
from mocknode.rpc import (
    methods,  # noqa: F401  (registers every method)
    render,
)
from mocknode.rpc.context import Context
from mocknode.rpc.errors import RpcError
from mocknode.rpc.jsonrpc import RawJson, subscription_notification
from mocknode.rpc.registry import registry
from mocknode.rpc.subscriptions import Subscriptions
from mocknode.types import Address, Hash32

EMITTER = Address(b"\xee" * 20)
TOPIC0 = Hash32(b"\x01" * 32)
TOPIC1 = Hash32(b"\x02" * 32)
OTHER = Hash32(b"\x03" * 32)
# memory[30:32] = 0x0001; LOG2(offset 30, size 2, TOPIC0, TOPIC1); STOP
EMITTER_CODE = (
    bytes.fromhex("6100016000527f") + TOPIC1 + b"\x7f" + TOPIC0 + bytes.fromhex("6002601ea200")
)


def notification(sub_id: str, result: Any) -> bytes:
    return (
        '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"'
        + sub_id
        + '","result":'
        + json.dumps(result, separators=(",", ":"))
        + "}}"
    ).encode()


def counter_ids() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"0xsub{n}"


@pytest.fixture
def chain() -> Chain:
    chain = Chain(ChainConfig(clock=FixedClock(1_700_000_000)))
    chain.set_code(EMITTER, EMITTER_CODE)
    return chain


@pytest.fixture
def sent() -> list[bytes]:
    return []


@pytest.fixture
def subs(chain: Chain, sent: list[bytes]) -> Iterator[Subscriptions]:
    subscriptions = Subscriptions(chain, sent.append, ids=counter_ids().__next__)
    yield subscriptions
    subscriptions.close()


def emit(chain: Chain) -> Hash32:
    return chain.send_transaction(TxArgs(sender=chain.accounts[0].address, to=EMITTER))


def test_a_prerendered_result_is_spliced_byte_for_byte() -> None:
    result = {"number": "0x1", "hash": "0x" + "ab" * 32}
    spliced = subscription_notification("0xabc", RawJson(json.dumps(result, separators=(",", ":"))))
    assert spliced == subscription_notification("0xabc", result) == notification("0xabc", result)


# -- bookkeeping ---------------------------------------------------------------------------


def test_subscribe_and_unsubscribe(subs: Subscriptions) -> None:
    heads = subs.subscribe_heads()
    logs = subs.subscribe_logs(LogFilter())
    pending = subs.subscribe_pending(False)
    syncing = subs.subscribe_syncing()
    assert [heads, logs, pending, syncing] == ["0xsub1", "0xsub2", "0xsub3", "0xsub4"]
    assert [subs.kind_of(i) for i in (heads, logs, pending, syncing, "0xnone")] == [
        "newHeads",
        "logs",
        "newPendingTransactions",
        "syncing",
        None,
    ]
    assert subs.unsubscribe(logs) is True
    assert subs.unsubscribe(logs) is False
    assert subs.unsubscribe("0xnone") is False
    assert subs.kind_of(logs) is None
    assert subs.kind_of(heads) == "newHeads"


# -- notification bytes ----------------------------------------------------------------------


def test_new_heads(chain: Chain, subs: Subscriptions, sent: list[bytes]) -> None:
    first = subs.subscribe_heads()
    second = subs.subscribe_heads()
    block = chain.mine_block()
    header = render.header_json(block)
    assert header["hash"] == "0x" + block.hash.hex()
    assert header["number"] == hex(block.number)
    # One notification per subscription, in subscription order.
    assert sent == [notification(first, header), notification(second, header)]
    sent.clear()
    # A block a reorg removes is not a new head.
    for listener in list(chain.block_listeners):
        listener(block, True)
    assert sent == []


def test_logs(chain: Chain, subs: Subscriptions, sent: list[bytes]) -> None:
    everything = subs.subscribe_logs(LogFilter())
    by_address = subs.subscribe_logs(LogFilter(addresses=(EMITTER,), topics=((TOPIC0,),)))
    elsewhere = subs.subscribe_logs(LogFilter(topics=((OTHER,),)))
    emit(chain)
    block = chain.head
    log = {
        "address": "0x" + EMITTER.hex(),
        "topics": ["0x" + TOPIC0.hex(), "0x" + TOPIC1.hex()],
        "data": "0x0001",
        "blockNumber": hex(block.number),
        "transactionHash": "0x" + block.transactions[0].hash.hex(),
        "transactionIndex": "0x0",
        "blockHash": "0x" + block.hash.hex(),
        "blockTimestamp": hex(block.header.timestamp),
        "logIndex": "0x0",
        "removed": False,
    }
    assert sent == [notification(everything, log), notification(by_address, log)]
    assert all(elsewhere.encode() not in payload for payload in sent)
    sent.clear()
    # Logs of a block a reorg removes are sent again, marked removed.
    for listener in list(chain.block_listeners):
        listener(block, True)
    removed = {**log, "removed": True}
    assert sent == [notification(everything, removed), notification(by_address, removed)]


def test_pending_transactions(chain: Chain, subs: Subscriptions, sent: list[bytes]) -> None:
    chain.set_automine(False)
    hashes = subs.subscribe_pending(False)
    full = subs.subscribe_pending(True)
    tx_hash = emit(chain)
    tx = chain.pool.get(tx_hash)
    assert tx is not None
    assert sent == [
        notification(hashes, "0x" + tx_hash.hex()),
        notification(full, render.tx_json(tx, None, None, None)),
    ]
    assert json.loads(sent[1])["params"]["result"]["blockHash"] is None


def test_syncing_never_fires(chain: Chain, subs: Subscriptions, sent: list[bytes]) -> None:
    subs.subscribe_syncing()
    emit(chain)
    chain.mine_block()
    assert sent == []


def test_unsubscribed_gets_nothing(chain: Chain, subs: Subscriptions, sent: list[bytes]) -> None:
    gone = subs.subscribe_heads()
    kept = subs.subscribe_heads()
    subs.unsubscribe(gone)
    chain.mine_block()
    assert [json.loads(p)["params"]["subscription"] for p in sent] == [kept]


def test_close_releases_the_chain(chain: Chain, sent: list[bytes]) -> None:
    listeners = (list(chain.block_listeners), list(chain.pending_listeners))
    subs = Subscriptions(chain, sent.append, ids=counter_ids().__next__)
    other_sent: list[bytes] = []
    other = Subscriptions(chain, other_sent.append, ids=counter_ids().__next__)
    heads = subs.subscribe_heads()
    subs.subscribe_pending(False)
    other.subscribe_heads()
    subs.close()
    assert subs.kind_of(heads) is None
    assert subs.unsubscribe(heads) is False
    chain.mine_block()
    assert sent == []
    assert len(other_sent) == 1  # another connection's subscriptions live on
    other.close()
    assert (chain.block_listeners, chain.pending_listeners) == listeners
    subs.close()  # closing twice is harmless


# -- the notify hook ----------------------------------------------------------------------------


def test_notify_hook_sees_kind_id_and_bytes(chain: Chain, sent: list[bytes]) -> None:
    seen: list[tuple[str, str, bytes]] = []

    def notify(kind: str, sub_id: str, payload: bytes) -> None:
        seen.append((kind, sub_id, payload))

    subs = Subscriptions(chain, sent.append, ids=counter_ids().__next__, notify=notify)
    heads = subs.subscribe_heads()
    logs = subs.subscribe_logs(LogFilter())
    pending = subs.subscribe_pending(False)
    tx_hash = emit(chain)
    block = chain.head
    assert sent == []  # the hook decides what reaches send
    assert [(kind, sub_id) for kind, sub_id, _ in seen] == [
        ("newPendingTransactions", pending),
        ("newHeads", heads),
        ("logs", logs),
    ]
    assert seen[0][2] == notification(pending, "0x" + tx_hash.hex())
    assert seen[1][2] == notification(heads, render.header_json(block))
    # Unset, notifications go straight to send again.
    subs.notify = None
    chain.mine_block()
    assert [json.loads(p)["params"]["subscription"] for p in sent] == [heads]
    subs.close()


# -- eth_subscribe and eth_unsubscribe ---------------------------------------------------------


@pytest.fixture
def dispatch(chain: Chain, subs: Subscriptions) -> Any:
    ctx = Context(chain=chain, filters=Filters(chain), transport="ws", subscriptions=subs)
    return partial(registry.dispatch, ctx)


def error_of(dispatch: Any, method: str, args: Any) -> tuple[int, str]:
    with pytest.raises(RpcError) as info:
        dispatch(method, args)
    return info.value.code, info.value.message


def test_eth_subscribe_kinds(dispatch: Any, subs: Subscriptions) -> None:
    assert dispatch("eth_subscribe", ["newHeads"]) == "0xsub1"
    assert dispatch("eth_subscribe", ["logs", {"address": "0x" + EMITTER.hex()}]) == "0xsub2"
    assert dispatch("eth_subscribe", ["logs", {}]) == "0xsub3"
    assert dispatch("eth_subscribe", ["newPendingTransactions"]) == "0xsub4"
    assert dispatch("eth_subscribe", ["newPendingTransactions", True]) == "0xsub5"
    assert dispatch("eth_subscribe", ["syncing"]) == "0xsub6"
    assert [subs.kind_of(f"0xsub{i}") for i in range(1, 7)] == [
        "newHeads",
        "logs",
        "logs",
        "newPendingTransactions",
        "newPendingTransactions",
        "syncing",
    ]
    assert dispatch("eth_unsubscribe", ["0xsub1"]) is True


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (None, (-32602, "non-array args")),
        ({"name": "newHeads"}, (-32602, "non-array args")),
        ([], (-32602, "expected subscription name as first argument")),
        ([1], (-32602, "expected subscription name as first argument")),
        (["newBlocks"], (-32601, 'no "newBlocks" subscription in eth namespace')),
        (["newHeads", {}], (-32602, "too many arguments, want at most 1")),
        (["logs"], (-32602, "missing value for required argument 1")),
        (["logs", {}, 1], (-32602, "too many arguments, want at most 2")),
        (
            ["logs", "x"],
            (
                -32602,
                "invalid argument 1: json: cannot unmarshal string "
                "into Go value of type filters.input",
            ),
        ),
        (["logs", {"fromBlock": "0x1"}], (-32000, "invalid from and to block combination")),
        (
            ["newPendingTransactions", "yes"],
            (
                -32602,
                "invalid argument 1: json: cannot unmarshal string into Go value of type bool",
            ),
        ),
    ],
)
def test_eth_subscribe_errors(dispatch: Any, args: Any, error: tuple[int, str]) -> None:
    assert error_of(dispatch, "eth_subscribe", args) == error


def test_eth_unsubscribe_errors(dispatch: Any) -> None:
    assert error_of(dispatch, "eth_unsubscribe", ["0xsub9"]) == (-32000, "subscription not found")
    assert error_of(dispatch, "eth_unsubscribe", [7]) == (
        -32602,
        "invalid argument 0: json: cannot unmarshal number into Go value of type rpc.ID",
    )
    assert error_of(dispatch, "eth_unsubscribe", []) == (
        -32602,
        "missing value for required argument 0",
    )


def test_over_http_subscriptions_are_unsupported(chain: Chain) -> None:
    ctx = Context(chain=chain, filters=Filters(chain), transport="http")
    dispatch = partial(registry.dispatch, ctx)
    # geth checks the transport before it reads any argument.
    for args in (["newHeads"], ["nope"], None, [1]):
        assert error_of(dispatch, "eth_subscribe", args) == (-32601, "notifications not supported")
    assert error_of(dispatch, "eth_unsubscribe", ["0x1"]) == (-32000, "subscription not found")
