"""Chain faults decided at the chain's events, as web3.py sees them over real sockets:
dropped, replaced and delayed transactions (``tx``), and reorgs every N blocks or in a
block window (``block``) with ``removed: true`` logs and the new heads for subscribers on
WebSocket and IPC."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import trio
import trio.testing
from eth_account import Account
from faultwire import deploy_logger, http3, reset, serve, summary
from web3 import AsyncIPCProvider, AsyncWeb3, HTTPProvider, Web3, WebSocketProvider
from web3.exceptions import TimeExhausted, TransactionNotFound

from mocknode import MockNode, NodeConfig, open_mocknode
from mocknode.faults.engine import draw

WAIT = 0.5  # how long a test waits for a receipt that must never come


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    yield from serve(tmp_path_factory.mktemp("chain-events"))


@pytest.fixture(autouse=True)
def _isolated(node: MockNode) -> Iterator[None]:
    snapshot = node.snapshot()
    yield
    reset(node)
    assert node.revert(snapshot)


def pay(w3: Web3, sender: int, value: int = 1) -> bytes:
    accounts = w3.eth.accounts
    return bytes(
        w3.eth.send_transaction({"from": accounts[sender], "to": accounts[9], "value": value})
    )


def never_mined(w3: Web3, tx_hash: bytes) -> None:
    with pytest.raises(TimeExhausted):
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=WAIT, poll_latency=0.05)


def faults_of(node: MockNode) -> list[tuple[Any, ...]]:
    """The journal's fault entries as (connection, method, id, rule, fault)."""
    return [(c, m, i, r, f) for kind, c, m, i, r, f in summary(node) if kind == "fault"]


# ----------------------------------------------------------------------- drop_tx


def test_a_dropped_transaction_is_accepted_and_never_mined(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    sender = w3.eth.accounts[0]
    nonce = w3.eth.get_transaction_count(sender)
    node.faults.add({"action": {"kind": "drop_tx", "sender": sender}})
    dropped = pay(w3, 0)
    never_mined(w3, dropped)
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction(dropped)
    assert w3.eth.get_transaction_count(sender, "pending") == nonce  # the nonce is free again
    other = pay(w3, 1)  # another sender: not matched
    assert w3.eth.wait_for_transaction_receipt(other, timeout=2)["status"] == 1
    (fault,) = faults_of(node)
    connection, method, ident, rule, kind = fault
    assert (method, rule, kind) == ("eth_sendTransaction", 1, "drop_tx")
    assert isinstance(ident, int)
    assert connection >= 1


def test_drop_by_hash_spares_the_others(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    key = node.accounts[2].private_key
    sender = Account.from_key(key).address
    nonce = w3.eth.get_transaction_count(sender)
    fee = {"gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "chainId": 31337}
    first = Account.sign_transaction({"to": sender, "value": 1, "nonce": nonce, **fee}, key)
    node.faults.add({"action": {"kind": "drop_tx", "hash": "0x" + bytes(first.hash).hex()}})
    assert bytes(w3.eth.send_raw_transaction(first.raw_transaction)) == bytes(first.hash)
    never_mined(w3, bytes(first.hash))
    second = Account.sign_transaction({"to": sender, "value": 2, "nonce": nonce, **fee}, key)
    assert w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(second.raw_transaction))
    assert [(m, r, k) for _, m, _, r, k in faults_of(node)] == [
        ("eth_sendRawTransaction", 1, "drop_tx")
    ]


def test_probability_drops_exactly_the_drawn_transactions(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    node.faults.set_seed(7)
    node.faults.add({"trigger": {"probability": 0.5}, "action": {"kind": "drop_tx"}})
    sent = [pay(w3, 3, value) for value in range(1, 9)]
    mined = {h for h in sent if _mined(w3, h)}
    expected = {h for h in sent if draw(7, 1, "tx|0x" + h.hex()) >= 0.5}
    assert mined == expected
    assert 0 < len(mined) < len(sent)
    assert len(faults_of(node)) == len(sent) - len(mined)


def _mined(w3: Web3, tx_hash: bytes) -> bool:
    try:
        return w3.eth.get_transaction_receipt(tx_hash) is not None
    except TransactionNotFound:
        return False


# ----------------------------------------------------------------------- replace_tx


def test_a_replaced_transaction_is_detected_by_its_nonce(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    sender = w3.eth.accounts[4]
    nonce = w3.eth.get_transaction_count(sender)
    node.faults.add({"trigger": {"first": 1}, "action": {"kind": "replace_tx", "fee_bump": 25}})
    original_hash = pay(w3, 4)
    never_mined(w3, original_hash)
    assert w3.eth.get_transaction_count(sender) == nonce + 1  # the nonce is used
    block = w3.eth.get_block("latest", full_transactions=True)
    (replacement,) = block["transactions"]
    assert replacement["from"] == sender
    assert replacement["nonce"] == nonce
    assert bytes(replacement["hash"]) != original_hash
    receipt = w3.eth.get_transaction_receipt(replacement["hash"])
    assert receipt["status"] == 1
    assert [(m, r, k) for _, m, _, r, k in faults_of(node)] == [
        ("eth_sendTransaction", 1, "replace_tx")
    ]


def test_the_replacement_pays_the_bumped_fees(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    sender = w3.eth.accounts[5]
    fees = {"maxFeePerGas": 4 * 10**9, "maxPriorityFeePerGas": 10**9}
    node.faults.add({"action": {"kind": "replace_tx", "fee_bump": 50}})
    sent = w3.eth.send_transaction({"from": sender, "to": sender, "value": 0, **fees})  # type: ignore[typeddict-item]
    never_mined(w3, bytes(sent))
    replacement = w3.eth.get_block("latest", full_transactions=True)["transactions"][0]
    assert replacement["maxFeePerGas"] == 6 * 10**9
    assert replacement["maxPriorityFeePerGas"] == 15 * 10**8


# ----------------------------------------------------------------------- delay_tx


def test_a_delayed_transaction_is_mined_after_k_blocks(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    start = w3.eth.block_number
    node.faults.add({"trigger": {"first": 1}, "action": {"kind": "delay_tx", "blocks": 2}})
    delayed = pay(w3, 6)
    assert w3.eth.get_transaction(delayed)["blockNumber"] is None  # pending
    first = w3.eth.wait_for_transaction_receipt(pay(w3, 7))
    assert first["blockNumber"] == start + 1
    assert w3.eth.get_transaction(delayed)["blockNumber"] is None
    second = w3.eth.wait_for_transaction_receipt(pay(w3, 7))
    assert second["blockNumber"] == start + 2
    receipt = w3.eth.wait_for_transaction_receipt(delayed, timeout=2)
    assert receipt["blockNumber"] == start + 3  # mined at once after the second block
    assert w3.eth.block_number == start + 3


def test_a_transaction_delayed_forever_blocks_its_sender(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    node.faults.add({"trigger": {"first": 1}, "action": {"kind": "delay_tx"}})
    stuck = pay(w3, 8)
    behind = pay(w3, 8)  # the next nonce waits behind the stuck one
    never_mined(w3, stuck)
    assert w3.eth.get_transaction(behind)["blockNumber"] is None


@pytest.mark.trio
async def test_a_transaction_delayed_by_seconds_follows_the_node_clock(
    mock_clock: trio.testing.MockClock,
) -> None:
    async with open_mocknode(NodeConfig(port=0, ipc_path=None)) as node:
        node.faults.add({"action": {"kind": "delay_tx", "seconds": 30}})
        w3 = Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 5}))
        tx_hash = await trio.to_thread.run_sync(pay, w3, 0)
        mock_clock.jump(29.9)
        await trio.testing.wait_all_tasks_blocked()
        assert await trio.to_thread.run_sync(_mined, w3, tx_hash) is False
        mock_clock.jump(0.2)
        await trio.testing.wait_all_tasks_blocked()
        receipt = await trio.to_thread.run_sync(w3.eth.get_transaction_receipt, tx_hash)
        assert receipt["blockNumber"] == 1


# ----------------------------------------------------------------------- reorg


def _provider(node: MockNode, transport: str) -> Any:
    if transport == "ws":
        return WebSocketProvider(node.ws_url, request_timeout=5)
    assert node.ipc_path is not None
    return AsyncIPCProvider(node.ipc_path, request_timeout=5)


async def _notifications(aw3: AsyncWeb3, heads: Any, count: int) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    async with asyncio.timeout(5):
        async for message in aw3.socket.process_subscriptions():
            result = message["result"]
            if message["subscription"] == heads:
                seen.append(("head", result["number"], bytes(result["hash"])))
            else:
                seen.append(
                    ("log", result["blockNumber"], bytes(result["blockHash"]), result["removed"])
                )
            if len(seen) == count:
                break
    return seen


@pytest.mark.parametrize("transport", ["ws", "ipc"])
def test_a_reorg_every_two_blocks_as_a_subscriber_sees_it(node: MockNode, transport: str) -> None:
    w3 = http3(node, timeout=10)
    logger = deploy_logger(w3)
    start = w3.eth.block_number
    sender = w3.eth.accounts[0]

    async def main() -> tuple[list[tuple[Any, ...]], Any]:
        async with AsyncWeb3(_provider(node, transport)) as aw3:
            heads = await aw3.eth.subscribe("newHeads")
            await aw3.eth.subscribe("logs", {"address": logger})
            await aw3.provider.make_request(
                "mock_addFault",
                [
                    {
                        "trigger": {"every": 2},
                        "action": {"kind": "reorg", "transactions": "reinclude"},
                    }
                ],
            )
            for _ in range(2):
                await aw3.eth.send_transaction({"from": sender, "to": logger, "gas": 50_000})
            return await _notifications(aw3, heads, 7), heads

    seen, _ = asyncio.run(main())
    first, orphan, replacement = (
        bytes(w3.eth.get_block(start + 1)["hash"]),
        seen[2][2],
        bytes(w3.eth.get_block(start + 2)["hash"]),
    )
    assert orphan != replacement
    assert seen == [
        ("head", start + 1, first),
        ("log", start + 1, first, False),
        ("head", start + 2, orphan),
        ("log", start + 2, orphan, False),
        ("log", start + 2, orphan, True),  # the reorg: the orphaned log, removed
        ("head", start + 2, replacement),  # then the new branch's head and its log
        ("log", start + 2, replacement, False),
    ]
    assert [f[1:] for f in faults_of(node)] == [(None, None, 1, "reorg")]


def test_a_reorg_in_a_block_window_sends_removed_logs_to_filters(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    logger = deploy_logger(w3)
    sender = w3.eth.accounts[0]
    start = w3.eth.block_number
    log_filter = w3.eth.filter({"address": logger})
    window = {"window_blocks": [start + 2, start + 2]}
    node.faults.add({"trigger": window, "action": {"kind": "reorg", "transactions": "drop"}})
    calls = [
        w3.eth.send_transaction({"from": sender, "to": logger, "gas": 50_000}) for _ in range(3)
    ]
    changes = [(c["blockNumber"], c["removed"]) for c in log_filter.get_new_entries()]
    # block start+2 was reorged away with its transaction dropped; the third call then
    # landed in the new start+3
    assert changes == [
        (start + 1, False),
        (start + 2, False),
        (start + 2, True),
        (start + 3, False),
    ]
    assert w3.eth.get_transaction_count(sender) == w3.eth.get_transaction_count(sender, start) + 2
    never_mined(w3, bytes(calls[1]))
    assert len(faults_of(node)) == 1


def test_a_reorg_rule_without_trigger_does_not_chase_its_own_transactions(node: MockNode) -> None:
    w3 = http3(node, timeout=10)
    start = w3.eth.block_number
    node.faults.add({"action": {"kind": "reorg"}})  # every mined block; orphans to the pool
    sent = pay(w3, 1)
    # mined in start+1, reorged out (back to the pool), re-mined at once in start+2, which
    # is not a block event: only re-mining what the fault put back
    receipt = w3.eth.wait_for_transaction_receipt(sent, timeout=2)
    assert receipt["blockNumber"] == start + 2
    assert w3.eth.block_number == start + 2
    assert w3.eth.get_block(start + 1)["transactions"] == []
    assert len(faults_of(node)) == 1
    node.mine(1)  # a block of its own: reorged (depth 1), the new one is empty
    assert w3.eth.block_number == start + 3
    assert len(faults_of(node)) == 2
    assert w3.eth.get_transaction_receipt(sent)["blockNumber"] == start + 2
