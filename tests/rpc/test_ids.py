"""Filter and subscription ids: geth's format, per node, the same for the same traffic."""

from __future__ import annotations

import json
import re

import trio

from mocknode.chain.chain import Chain
from mocknode.chain.config import ChainConfig
from mocknode.chain.logs.query import Filters
from mocknode.io.session import ConnInfo
from mocknode.node import Node, NodeConfig
from mocknode.rpc.ids import IdSource

# geth's encodeID: 0x + hex of 16 bytes without leading zeros ("0x0" for zero).
GETH_ID = re.compile(r"0x(0|[1-9a-f][0-9a-f]{0,31})")


def test_format_is_gethlike() -> None:
    source = IdSource()
    ids = [source() for _ in range(2000)]
    assert all(GETH_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)
    # Almost all are full width, as geth's random ones are (1 in 16 starts with a 0 nibble).
    assert sum(len(i) == 34 for i in ids) > 1700


def test_same_seed_same_ids_other_seed_other_ids() -> None:
    first, again, other = IdSource(7), IdSource(7), IdSource(8)
    run = [first() for _ in range(5)]
    assert [again() for _ in range(5)] == run
    assert [other() for _ in range(5)] != run
    assert IdSource()() == IdSource(0)()


def test_filters_use_the_source_they_are_given() -> None:
    chain = Chain(ChainConfig())
    expected = IdSource(3)
    filters = Filters(chain, ids=IdSource(3))
    assert [filters.install("blocks"), filters.install("pending")] == [expected(), expected()]
    # Without one, a counter of their own (still per instance, never process-wide).
    assert [Filters(chain).install("blocks"), Filters(chain).install("blocks")] == ["0x1", "0x1"]


TRAFFIC = [
    ("http", "eth_newFilter", [{"address": "0x" + "11" * 20}]),
    ("ws", "eth_subscribe", ["newHeads"]),
    ("http", "eth_newBlockFilter", []),
    ("ipc", "eth_subscribe", ["logs", {}]),
    ("ws", "eth_subscribe", ["newPendingTransactions"]),
    ("http", "eth_newPendingTransactionFilter", []),
]


async def ids_handed_out(node: Node) -> list[str]:
    pushed: list[bytes] = []
    sessions = {
        "http": node.session(ConnInfo(1, "http", "test"), None),
        "ws": node.session(ConnInfo(2, "ws", "test"), pushed.append),
        "ipc": node.session(ConnInfo(3, "ipc", "test"), pushed.append),
    }
    out = []
    for request_id, (transport, method, params) in enumerate(TRAFFIC):
        request = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        answer = await sessions[transport].handle(json.dumps(request).encode())
        assert answer is not None
        out.append(json.loads(answer)["result"])
    for session in sessions.values():
        await session.close()
    return out


def test_two_nodes_in_one_process_hand_out_the_same_ids() -> None:
    async def main() -> tuple[list[str], list[str], list[str]]:
        first = Node(NodeConfig(port=0, ipc_path=None))
        second = Node(NodeConfig(port=0, ipc_path=None))
        one = await ids_handed_out(first)
        two = await ids_handed_out(second)
        again = await ids_handed_out(first)  # the same node goes on, never repeating
        return one, two, again

    one, two, again = trio.run(main)
    assert one == two
    assert all(GETH_ID.fullmatch(i) for i in one)
    # Filters and subscriptions share one id space, as in geth.
    assert len(set(one + again)) == len(one) * 2
