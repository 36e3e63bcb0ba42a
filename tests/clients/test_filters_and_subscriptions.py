"""Polling filters over HTTP and eth_subscribe over WebSocket and IPC, through web3.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncIPCProvider, AsyncWeb3, HTTPProvider, Web3, WebSocketProvider

from mocknode import MockNode

GREETER = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/artifacts/Greeter.json").read_text()
)


def deploy(w3: Web3) -> Any:
    contract = w3.eth.contract(abi=GREETER["abi"], bytecode=GREETER["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        contract.constructor("hello").transact({"from": w3.eth.accounts[0]})
    )
    return w3.eth.contract(address=receipt.contractAddress, abi=GREETER["abi"])


def test_block_and_log_filters_deliver_each_change_once(node: MockNode) -> None:
    snap = node.snapshot()
    try:
        w3 = Web3(HTTPProvider(node.http_url))
        greeter = deploy(w3)
        blocks = w3.eth.filter("latest")
        start = w3.eth.block_number
        logs = greeter.events.GreetingChanged.create_filter(from_block=start)
        greeter.functions.setGreeting("one").transact({"from": w3.eth.accounts[1]})
        greeter.functions.increment().transact({"from": w3.eth.accounts[1]})
        new_blocks = blocks.get_new_entries()
        assert [bytes(h) for h in new_blocks] == [
            bytes(w3.eth.get_block(n)["hash"]) for n in (start + 1, start + 2)
        ]
        assert blocks.get_new_entries() == []  # delivered once
        (event,) = logs.get_new_entries()
        assert event["args"]["greeting"] == "one"
        assert event["blockNumber"] == start + 1
        assert logs.get_new_entries() == []
        # eth_getFilterLogs re-runs the query: from `start` to the (new) head
        assert [e["args"]["greeting"] for e in logs.get_all_entries()] == ["one"]
        assert w3.eth.uninstall_filter(blocks.filter_id)
        assert not w3.eth.uninstall_filter(blocks.filter_id)
    finally:
        node.revert(snap)


async def _subscribe_and_send(w3: AsyncWeb3, node: MockNode) -> None:
    accounts = await w3.eth.accounts
    heads = await w3.eth.subscribe("newHeads")
    pending = await w3.eth.subscribe("newPendingTransactions")
    start = await w3.eth.block_number
    tx_hash = await w3.eth.send_transaction({"from": accounts[0], "to": accounts[1], "value": 1})
    seen: dict[Any, list[Any]] = {heads: [], pending: []}
    async with asyncio.timeout(5):
        async for message in w3.socket.process_subscriptions():
            seen[message["subscription"]].append(message["result"])
            if seen[heads] and seen[pending]:
                break
    assert seen[heads][0]["number"] == start + 1
    assert "transactions" not in seen[heads][0]  # a header, as geth sends it
    assert bytes(seen[pending][0]) == bytes(tx_hash)
    assert await w3.eth.unsubscribe(heads)
    assert await w3.eth.unsubscribe(pending)


@pytest.mark.parametrize("transport", ["ws", "ipc"])
def test_subscriptions(node: MockNode, transport: str) -> None:
    async def main() -> None:
        assert node.ipc_path is not None
        provider = (
            WebSocketProvider(node.ws_url) if transport == "ws" else AsyncIPCProvider(node.ipc_path)
        )
        async with AsyncWeb3(provider) as w3:
            await _subscribe_and_send(w3, node)

    snap = node.snapshot()
    try:
        asyncio.run(main())
    finally:
        node.revert(snap)


def test_subscribe_over_http_is_refused(node: MockNode) -> None:
    import requests

    answer = requests.post(
        node.http_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]},
        timeout=5,
    ).json()
    assert answer["error"] == {"code": -32601, "message": "notifications not supported"}


def test_log_subscription_sees_only_matching_logs(node: MockNode) -> None:
    snap = node.snapshot()
    try:
        sync = Web3(HTTPProvider(node.http_url))
        greeter, other = deploy(sync), deploy(sync)
        changed = greeter.events.GreetingChanged().topic

        async def main() -> list[Any]:
            async with AsyncWeb3(WebSocketProvider(node.ws_url)) as w3:
                await w3.eth.subscribe("logs", {"address": greeter.address, "topics": [changed]})
                sender = sync.eth.accounts[2]
                other.functions.setGreeting("elsewhere").transact({"from": sender})
                greeter.functions.deposit().transact({"from": sender, "value": 5})
                greeter.functions.setGreeting("here").transact({"from": sender})
                async with asyncio.timeout(5):
                    async for message in w3.socket.process_subscriptions():
                        return [message["result"]]
            return []

        (log,) = asyncio.run(main())
        decoded = greeter.events.GreetingChanged().process_log(log)
        assert decoded["args"]["greeting"] == "here"
        assert log["address"] == greeter.address
        assert log["removed"] is False
    finally:
        node.revert(snap)
