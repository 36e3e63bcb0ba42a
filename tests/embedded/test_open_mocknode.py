"""``open_mocknode`` from trio code: the plugin's trio node, outside pytest's fixtures.

The node is served in the test's own run; web3.py reaches it over a real HTTP socket from a
worker thread (its calls block, and the run's thread is the one serving them).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
import trio
from web3 import HTTPProvider, Web3

from mocknode import (
    ETHER,
    MockNode,
    NodeAccount,
    NodeConfig,
    NodeControls,
    RPCError,
    TrioMockNode,
    open_mocknode,
)
from mocknode.node import Node


@pytest.mark.trio
async def test_the_full_control_surface_over_a_real_client(tmp_path: Path) -> None:
    ipc = tmp_path / "node.ipc"
    config = NodeConfig(port=0, ipc_path=str(ipc))
    async with open_mocknode(config, chain_id=5, automine=False) as node:
        assert isinstance(node, TrioMockNode)
        assert isinstance(node, NodeControls)
        assert isinstance(node.node, Node)  # the composition root, for code wiring onto it
        assert node.endpoints is node.node.endpoints
        assert node.http_url.startswith("http://127.0.0.1:")
        assert node.ws_url == "ws" + node.http_url[4:]
        assert node.ipc_path == str(ipc)
        assert ipc.exists()
        assert node.chain_config.chain_id == 5
        assert node.chain_config.automine is False

        alice = NodeAccount.of(node.accounts[0]).address  # checksummed, as web3 wants
        bob = Web3.to_checksum_address("0x" + "b0" * 20)
        snap = node.snapshot()
        node.set_balance(bob, 7 * ETHER)
        node.mine(2)
        assert node.block_number() == 2
        assert await node.request("eth_getBalance", bob, "latest") == hex(7 * ETHER)

        session = requests.Session()
        w3 = Web3(HTTPProvider(node.http_url, session=session))

        def client() -> tuple[int, int, int, int]:
            """web3.py over HTTP: sees the admin calls, sends a transaction, and makes
            admin calls itself, which cross into the run from this worker thread."""
            seen = (w3.eth.chain_id, w3.eth.block_number, w3.eth.get_balance(bob))
            w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
            node.mine()
            return (*seen, w3.eth.get_balance(bob))

        try:
            chain_id, head, balance, after = await trio.to_thread.run_sync(client)
        finally:
            session.close()
        assert (chain_id, head, balance) == (5, 2, 7 * ETHER)
        assert after == 7 * ETHER + 1
        assert node.block_number() == 3
        block = await node.request("eth_getBlockByNumber", "0x3", False)
        assert len(block["transactions"]) == 1

        assert node.revert(snap)
        assert node.block_number() == 0
        assert await node.request("eth_getBalance", bob, "latest") == "0x0"

        with pytest.raises(RPCError) as error:
            await node.request("eth_getBalance", "0x12", "latest")
        assert error.value.code == -32602
        assert error.value.message == (
            "invalid argument 0: hex string has length 2, want 40 for common.Address"
        )
        port = int(node.http_url.rsplit(":", 1)[1])

    # closed: the socket file is gone and the port refuses connections
    assert not ipc.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


@pytest.mark.trio
async def test_interval_mining_on_the_autojump_clock(autojump_clock: trio.abc.Clock) -> None:
    """The node's miner sleeps on the run's clock: a minute of blocks in no real time."""
    async with open_mocknode(NodeConfig(port=0, ipc_path=None)) as node:
        node.set_interval_mining(12)
        await trio.sleep(61)
        assert node.block_number() == 5
        assert await node.request("eth_blockNumber") == "0x5"


def test_mock_node_offers_the_same_controls() -> None:
    """One surface: the threaded node's public methods are the trio node's, less
    ``request`` (JSON-RPC without a socket only makes sense inside the run) and plus its
    own lifecycle."""

    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(TrioMockNode) - public(MockNode) == {"request"}
    assert public(MockNode) - public(TrioMockNode) == {"start", "close"}
    assert public(NodeControls) == public(TrioMockNode) & public(MockNode)
