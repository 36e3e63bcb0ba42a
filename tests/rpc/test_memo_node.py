"""The read memo inside the node: every kept answer is the one the full path gives at
that moment, whatever happened to the chain in between.

Each example drives one node with random reads (the methods the memo keeps and some it
does not, with ids and spacings as clients write them, by real block and transaction
hashes too) between random changes (blocks, dev edits, snapshots and reverts, reorgs and
rollbacks, the chain id, pending transactions, a revert queued from another thread, time
moves, ``anvil_reset``, a dumped state loaded back). Every read goes first to
``quick``, the IPC transport's way in, then to ``handle_later``, the HTTP and WebSocket
one; the answer must be the bytes the synchronous path (``answer``, which never looks at
the memo) gives at that moment.
"""

from __future__ import annotations

import json
from typing import Any

import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mocknode.node import Node, NodeConfig, RpcSession
from mocknode.rpc.memo import MEMO_METHODS

FRESH = "0x" + "ab" * 20
CODE = "0x6001600055"

TAGS = ["latest", "earliest", "pending", "safe", "finalized", "0x0", "0x1", "0x2", "0x5"]


def encode(message: dict[str, Any], style: int) -> bytes:
    if style == 0:
        return json.dumps(message, separators=(",", ":")).encode()
    if style == 1:  # web3.py: spaces, id last
        ident = message.pop("id")
        return json.dumps({**message, "id": ident}).encode()
    return json.dumps(dict(reversed(message.items())), separators=(",", ":")).encode()


def read_params(method: str, draw: st.DrawFn, accounts: list[str]) -> list[Any]:
    address = draw(st.sampled_from([*accounts[:2], FRESH]))
    tag = draw(st.sampled_from(TAGS))
    if method in ("eth_getBalance", "eth_getTransactionCount", "eth_getCode"):
        return [address, tag]
    if method == "eth_getStorageAt":
        return [FRESH, "0x0", tag]
    if method == "eth_getBlockByNumber":
        return [tag, draw(st.booleans())]
    if method == "eth_getBlockByHash":
        return [draw(st.sampled_from(["$head", "$parent", "0x" + "00" * 32])), draw(st.booleans())]
    if method in ("eth_getTransactionReceipt", "eth_getTransactionByHash"):
        return [draw(st.sampled_from(["$tx", "0x" + "11" * 32]))]
    if method == "eth_getBalance" and draw(st.booleans()):  # EIP-1898, as viem sends it
        return [address, {"blockHash": "$head", "requireCanonical": draw(st.booleans())}]
    return []


@st.composite
def read(draw: st.DrawFn, accounts: list[str]) -> bytes:
    method = draw(
        st.sampled_from(sorted(MEMO_METHODS | {"eth_gasPrice", "eth_getTransactionByHash"}))
    )
    ident = draw(st.one_of(st.integers(0, 10**12), st.sampled_from(["a", "req 2", "0x1f"])))
    message = {
        "jsonrpc": "2.0",
        "id": ident,
        "method": method,
        "params": read_params(method, draw, accounts),
    }
    return encode(message, draw(st.integers(0, 2)))


CHANGES = st.sampled_from(
    [
        "send",
        "mine",
        "set_balance",
        "set_balance_again",
        "set_code",
        "set_storage",
        "snapshot",
        "revert",
        "revert_soon",
        "reorg",
        "rollback",
        "chain_id",
        "automine_off",
        "automine_on",
        "set_nonce",
        "increase_time",
        "reset",
        "dump",
        "load",
    ]
)


def change(
    node: Node,
    session: RpcSession,
    kind: str,
    snapshots: list[str],
    sent: list[str],
    dumps: list[str],
) -> None:
    accounts = node.chain.accounts

    def call(method: str, *params: Any) -> Any:
        message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        answer = session.answer(json.dumps(message).encode())
        assert answer is not None
        return json.loads(answer).get("result")

    sender, receiver = "0x" + accounts[0].address.hex(), "0x" + accounts[1].address.hex()
    if kind == "send":
        sent.append(call("eth_sendTransaction", {"from": sender, "to": receiver, "value": "0x1"}))
    elif kind == "set_nonce":
        call("anvil_setNonce", FRESH, "0x3")
    elif kind == "increase_time":
        call("evm_increaseTime", 60)
    elif kind == "reset":
        call("anvil_reset")
    elif kind == "dump":
        dumps.append(call("anvil_dumpState"))
    elif kind == "load" and dumps:
        assert call("anvil_loadState", dumps[-1]) is True  # new objects, the same contents
    elif kind == "mine":
        call("evm_mine")
    elif kind in ("set_balance", "set_balance_again"):
        call("anvil_setBalance", FRESH, "0x5" if kind == "set_balance" else "0x7")
    elif kind == "set_code":
        call("anvil_setCode", FRESH, CODE)
    elif kind == "set_storage":
        call("anvil_setStorageAt", FRESH, "0x0", "0x" + "00" * 31 + "09")
    elif kind == "snapshot":
        snapshots.append(call("evm_snapshot"))
    elif kind == "revert" and snapshots:
        call("evm_revert", snapshots[-1])
    elif kind == "revert_soon" and snapshots:
        node.revert_soon(int(snapshots[-1], 16))
    elif kind == "reorg" and node.chain.head.number >= 1:
        call("anvil_reorg", 1)
    elif kind == "rollback" and node.chain.head.number >= 1:
        call("anvil_rollback", 1)
    elif kind == "chain_id":
        call("anvil_setChainId", node.chain.config.chain_id + 1)
    elif kind == "automine_off":
        call("evm_setAutomine", False)
    elif kind == "automine_on":
        call("evm_setAutomine", True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_kept_answer_is_the_full_paths_answer(data: st.DataObject) -> None:
    node = Node(NodeConfig(port=0, ipc_path=None))
    session = node.rpc_session("ipc")
    reference = node.rpc_session("http")
    accounts = ["0x" + account.address.hex() for account in node.chain.accounts]
    reads = st.lists(read(accounts), min_size=1, max_size=4)
    steps = data.draw(st.lists(st.tuples(CHANGES, reads), min_size=1, max_size=12))
    snapshots: list[str] = []
    sent: list[str] = []
    dumps: list[str] = []

    def filled(message: bytes) -> bytes:
        """Real hashes where the read names the head, its parent or the last transaction."""
        blocks = node.chain.blocks
        parent = blocks[-2] if len(blocks) > 1 else blocks[-1]
        return (
            message.replace(b"$head", b"0x" + blocks[-1].hash.hex().encode())
            .replace(b"$parent", b"0x" + parent.hash.hex().encode())
            .replace(b"$tx", (sent[-1] if sent and sent[-1] else "0x" + "22" * 32).encode())
        )

    async def main() -> None:
        for kind, templates in steps:
            change(node, reference, kind, snapshots, sent, dumps)
            for message in map(filled, templates):
                first = session.quick(message)
                if first is None:
                    first = await session.handle_later(message)
                assert first == reference.answer(message), message
                # Asked again with nothing changed: a read the memo keeps is found now.
                again = session.quick(message)
                if keepable(message, first):
                    assert again == first, message
                else:
                    assert again is None, message

    trio.run(main)


def keepable(message: bytes, answer: bytes | None) -> bool:
    method = json.loads(message)["method"]
    return (
        method in MEMO_METHODS
        and b"pending" not in message
        and answer is not None
        and b'"result":' in answer
    )


def test_a_kept_answer_is_found_and_follows_the_chain() -> None:
    """The plain case the property above covers at random, step by step."""
    node = Node(NodeConfig(port=0, ipc_path=None))
    session = node.rpc_session("ipc")
    balance = b'{"jsonrpc":"2.0","id":%d,"method":"eth_getBalance","params":["%s","latest"]}'

    async def main() -> None:
        first = balance % (1, FRESH.encode())
        assert session.quick(first) is None  # nothing kept yet
        assert await session.handle_later(first) == b'{"jsonrpc":"2.0","id":1,"result":"0x0"}'
        assert session.quick(balance % (2, FRESH.encode())) == (
            b'{"jsonrpc":"2.0","id":2,"result":"0x0"}'
        )
        snapshot = node.chain.snapshot()
        node.chain.set_balance(bytes.fromhex(FRESH[2:]), 5)  # type: ignore[arg-type]
        assert session.quick(balance % (3, FRESH.encode())) is None  # the state moved
        assert await session.handle_later(balance % (3, FRESH.encode())) == (
            b'{"jsonrpc":"2.0","id":3,"result":"0x5"}'
        )
        # Back, then another edit: the same commit number as the one kept, new contents.
        assert node.chain.revert(snapshot)
        node.chain.set_balance(bytes.fromhex(FRESH[2:]), 7)  # type: ignore[arg-type]
        assert session.quick(balance % (4, FRESH.encode())) is None
        assert await session.handle_later(balance % (4, FRESH.encode())) == (
            b'{"jsonrpc":"2.0","id":4,"result":"0x7"}'
        )

    trio.run(main)


def test_answers_from_another_chain_are_neither_kept_nor_served() -> None:
    """What the fault layer does to answer from a view of the chain (it swaps the
    session's chain for the call): such an answer is not the node's own."""
    from mocknode.chain.chain import Chain

    node = Node(NodeConfig(port=0, ipc_path=None))
    node.chain.mine()
    session = node.rpc_session("ipc")
    ask = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'

    async def main() -> None:
        session.context.chain = Chain()
        try:
            assert await session.handle_later(ask) == b'{"jsonrpc":"2.0","id":1,"result":"0x0"}'
            assert len(node.memo) == 0
            assert await session.handle_later(ask) == b'{"jsonrpc":"2.0","id":1,"result":"0x0"}'
        finally:
            session.context.chain = node.chain
        assert session.quick(ask) is None
        assert await session.handle_later(ask) == b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
        assert session.quick(ask) == b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
        session.context.chain = Chain()
        try:
            assert session.quick(ask) is None  # kept, but not for this chain
        finally:
            session.context.chain = node.chain

    trio.run(main)
