"""MockNode from sync and asyncio code: start, serve, admin calls, and a clean close."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest
from web3 import AsyncWeb3, HTTPProvider, Web3, WebSocketProvider

from mocknode import MockNode, NodeConfig


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_close_leaves_no_thread_socket_or_file(tmp_path: Path) -> None:
    ipc = tmp_path / "node.ipc"
    threads_before = {t.ident for t in threading.enumerate()}
    fds_before = open_fds()
    node = MockNode(NodeConfig(port=0, ipc_path=str(ipc))).start()
    try:
        w3 = Web3(HTTPProvider(node.http_url))
        assert w3.eth.chain_id == 31337
        assert ipc.exists()
        w3.provider._request_session_manager.cache_and_return_session(node.http_url).close()  # type: ignore[attr-defined]
    finally:
        node.close()
    assert not ipc.exists()
    leftover = {t for t in threading.enumerate() if t.ident not in threads_before and t.is_alive()}
    assert leftover == set()
    assert open_fds() - fds_before == set()
    node.close()  # closing twice is harmless


def test_admin_calls_cross_into_the_node_thread() -> None:
    with MockNode(NodeConfig(port=0, ipc_path=None)) as node:
        alice = node.accounts[0].address
        snap = node.snapshot("start")
        node.set_balance(alice, 5)
        node.mine(3)
        assert node.block_number() == 3
        w3 = Web3(HTTPProvider(node.http_url))
        assert w3.eth.get_balance(w3.to_checksum_address(alice)) == 5
        assert node.revert("start")
        assert node.block_number() == 0
        assert w3.eth.get_balance(w3.to_checksum_address(alice)) == 10_000 * 10**18
        assert node.revert(snap)  # still there: reverting does not consume it


def test_not_running_is_a_clear_error() -> None:
    node = MockNode(NodeConfig(port=0, ipc_path=None))
    with pytest.raises(RuntimeError, match="not running"):
        node.block_number()
    with pytest.raises(RuntimeError, match="not running"):
        _ = node.http_url


def test_async_with_from_asyncio() -> None:
    async def main() -> int:
        node = MockNode(NodeConfig(port=0, ipc_path=None))
        async with node, AsyncWeb3(WebSocketProvider(node.ws_url)) as w3:
            return await w3.eth.chain_id

    assert asyncio.run(main()) == 31337


def test_port_in_use_fails_start_cleanly() -> None:
    with MockNode(NodeConfig(port=0, ipc_path=None)) as first:
        port = int(first.http_url.rsplit(":", 1)[1])
        second = MockNode(NodeConfig(port=port, ipc_path=None))
        with pytest.raises(OSError, match="Address already in use"):
            second.start()
