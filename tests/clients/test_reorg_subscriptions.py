"""What a reorg looks like to a subscriber and to a polling filter, through web3.py on
WebSocket, IPC and HTTP.

geth's order: every orphaned log again with ``"removed": true``, oldest block first and
in log order (core/blockchain.go emits the removed logs before it writes the new chain),
then the new branch block by block, each head before its logs. Subscriptions receive
the new branch's every head (as anvil sends them), not only the last.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from client_helpers import DEV
from dev_helpers import LOGGER_RUNTIME, call, deploy, mine_logs, topic
from web3 import AsyncIPCProvider, AsyncWeb3, HTTPProvider, Web3, WebSocketProvider

from mocknode import MockNode


@pytest.fixture
def w3(node: MockNode) -> Web3:
    return Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))


def provider(node: MockNode, transport: str) -> Any:
    if transport == "ws":
        return WebSocketProvider(node.ws_url, request_timeout=10)
    assert node.ipc_path is not None
    return AsyncIPCProvider(node.ipc_path, request_timeout=10)


def block_hash(w3: Web3, number: int) -> bytes:
    return bytes(w3.eth.get_block(number)["hash"])


async def collect(w3: AsyncWeb3, count: int) -> list[tuple[Any, Any]]:
    """The next ``count`` notifications, as (subscription id, result)."""
    seen: list[tuple[Any, Any]] = []
    async with asyncio.timeout(10):
        async for message in w3.socket.process_subscriptions():
            seen.append((message["subscription"], message["result"]))
            if len(seen) == count:
                break
    return seen


def summary(seen: list[tuple[Any, Any]], heads: Any) -> list[tuple[Any, ...]]:
    """Each notification as ("head", number, hash) or ("log", block hash, log index,
    topic, removed)."""
    out: list[tuple[Any, ...]] = []
    for sub_id, result in seen:
        if sub_id == heads:
            out.append(("head", result["number"], bytes(result["hash"])))
        else:
            out.append(
                (
                    "log",
                    bytes(result["blockHash"]),
                    result["logIndex"],
                    bytes(result["topics"][0]).hex(),
                    result["removed"],
                )
            )
    return out


@pytest.mark.parametrize("transport", ["ws", "ipc"])
def test_subscribers_see_removed_logs_then_the_new_branch(
    node: MockNode, w3: Web3, transport: str
) -> None:
    logger = deploy(w3, LOGGER_RUNTIME, DEV[0])
    mine_logs(w3, logger, [(DEV[0], 1)], [(DEV[1], 2), (DEV[2], 3)])
    head = w3.eth.block_number
    old = [block_hash(w3, head - 1), block_hash(w3, head)]

    async def main() -> tuple[list[tuple[Any, Any]], Any, dict[str, Any]]:
        async with AsyncWeb3(provider(node, transport)) as aw3:
            heads = await aw3.eth.subscribe("newHeads")
            await aw3.eth.subscribe("logs", {"address": logger})
            response = await aw3.provider.make_request(
                "mock_reorg", [{"depth": 2, "reinclude": "same"}]
            )
            # 3 removed logs, then 2 x (head, logs): 3 + (1 + 1) + (1 + 2)
            return await collect(aw3, 8), heads, response

    seen, heads, response = asyncio.run(main())
    new = [block_hash(w3, head - 1), block_hash(w3, head)]
    assert response["result"]["added"] == ["0x" + h.hex() for h in new]
    assert summary(seen, heads) == [
        ("log", old[0], 0, topic(1)[2:], True),
        ("log", old[1], 0, topic(2)[2:], True),
        ("log", old[1], 1, topic(3)[2:], True),
        ("head", head - 1, new[0]),
        ("log", new[0], 0, topic(1)[2:], False),
        ("head", head, new[1]),
        ("log", new[1], 0, topic(2)[2:], False),
        ("log", new[1], 1, topic(3)[2:], False),
    ]


@pytest.mark.parametrize("transport", ["ws", "ipc"])
def test_anvil_reorg_and_rollback_as_a_subscriber_sees_them(
    node: MockNode, w3: Web3, transport: str
) -> None:
    logger = deploy(w3, LOGGER_RUNTIME, DEV[0])
    mine_logs(w3, logger, [(DEV[0], 1)], [(DEV[1], 2)])
    head = w3.eth.block_number
    old = [block_hash(w3, head - 1), block_hash(w3, head)]

    async def main() -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]], Any]:
        async with AsyncWeb3(provider(node, transport)) as aw3:
            heads = await aw3.eth.subscribe("newHeads")
            await aw3.eth.subscribe("logs", {})
            await aw3.provider.make_request("anvil_reorg", [2, [[{"to": DEV[3]}, 1]]])
            reorged = await collect(aw3, 4)  # 2 removed logs, 2 heads (no logs: none re-sent)
            await aw3.provider.make_request("anvil_rollback", [1])
            await aw3.provider.make_request("evm_mine", [])
            rolled = await collect(aw3, 1)  # a rollback removes no log here; then one head
            return reorged, rolled, heads

    reorged, rolled, heads = asyncio.run(main())
    removed_a, removed_b, new_a, new_b = summary(reorged, heads)
    assert [removed_a, removed_b] == [
        ("log", old[0], 0, topic(1)[2:], True),
        ("log", old[1], 0, topic(2)[2:], True),
    ]
    assert new_a == ("head", head - 1, block_hash(w3, head - 1))  # still there
    assert new_b[:2] == ("head", head)
    assert new_b[2] not in (old[1], block_hash(w3, head))  # rolled back, then replaced
    assert summary(rolled, heads) == [("head", head, block_hash(w3, head))]


def test_a_log_filter_polls_removed_logs_and_a_block_filter_the_new_hashes(w3: Web3) -> None:
    logger = deploy(w3, LOGGER_RUNTIME, DEV[0])
    start = w3.eth.block_number
    logs = call(w3, "eth_newFilter", [{"fromBlock": hex(start), "address": logger}])
    blocks = call(w3, "eth_newBlockFilter", [])
    mine_logs(w3, logger, [(DEV[0], 1)], [(DEV[1], 2)])
    head = w3.eth.block_number
    old = ["0x" + block_hash(w3, n).hex() for n in (head - 1, head)]
    assert len(call(w3, "eth_getFilterChanges", [logs])) == 2
    assert call(w3, "eth_getFilterChanges", [blocks]) == old
    call(w3, "mock_reorg", [{"depth": 2, "blocks": 1, "reinclude": "same"}])
    new = "0x" + block_hash(w3, head - 1).hex()
    changes = call(w3, "eth_getFilterChanges", [logs])
    assert [(c["blockHash"], c["logIndex"], c["topics"][0], c["removed"]) for c in changes] == [
        (old[0], "0x0", topic(1), True),
        (old[1], "0x0", topic(2), True),
        (new, "0x0", topic(1), False),
        (new, "0x1", topic(2), False),
    ]
    assert call(w3, "eth_getFilterChanges", [logs]) == []
    assert call(w3, "eth_getFilterChanges", [blocks]) == [new]
    # eth_getFilterLogs re-runs the query on the chain as it is now: no removed logs.
    assert [c["removed"] for c in call(w3, "eth_getFilterLogs", [logs])] == [False, False]


@pytest.mark.parametrize("transport", ["ws", "ipc"])
def test_evm_revert_is_silent_to_subscribers(node: MockNode, w3: Web3, transport: str) -> None:
    logger = deploy(w3, LOGGER_RUNTIME, DEV[0])

    async def main() -> list[tuple[Any, Any]]:
        async with AsyncWeb3(provider(node, transport)) as aw3:
            snap = (await aw3.provider.make_request("evm_snapshot", []))["result"]
            heads = await aw3.eth.subscribe("newHeads")
            await aw3.eth.subscribe("logs", {})
            mine_logs(w3, logger, [(DEV[0], 1)])
            first = await collect(aw3, 2)  # the head and its log
            await aw3.provider.make_request("evm_revert", [snap])
            await aw3.provider.make_request("evm_mine", [])
            # Nothing about the reverted block: the next notification is the new head.
            after = await collect(aw3, 1)
            return [*first, *after], heads

    seen, heads = asyncio.run(main())  # type: ignore[misc]
    kinds = [entry[0] for entry in summary(seen, heads)]
    assert kinds == ["head", "log", "head"]
    assert summary(seen, heads)[1][4] is False
