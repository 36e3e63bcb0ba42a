"""Deferred reverts (``Node.revert_soon``): a revert queued from another thread is made
before anything else reaches the chain, whichever way it is reached, over real sockets.

The pytest plugin queues its per-test reset this way instead of waiting for the node's
thread (issue 12: fixture set-up plus teardown). The tests below queue with
``Node.revert_soon`` and nothing else wakes the node's thread, so only the path under
test can make the revert: the answer then shows it was made first.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from websockets.sync.client import connect as ws_connect

from mocknode import MockNode, NodeConfig

BLOCK_NUMBER = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}


@pytest.fixture
def node() -> Iterator[MockNode]:
    directory = tempfile.mkdtemp(prefix="mnr")
    os.chmod(directory, 0o700)
    try:
        with MockNode(NodeConfig(port=0, ipc_path=os.path.join(directory, "n.ipc"))) as node:
            yield node
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def over_http(node: MockNode) -> object:
    body = json.dumps(BLOCK_NUMBER).encode()
    request = urllib.request.Request(node.http_url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["result"]


def over_ws(node: MockNode) -> object:
    with ws_connect(node.ws_url) as ws:
        ws.send(json.dumps(BLOCK_NUMBER))
        return json.loads(ws.recv(timeout=30))["result"]


def over_ipc(node: MockNode) -> object:
    assert node.ipc_path is not None
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(node.ipc_path)
        sock.sendall(json.dumps(BLOCK_NUMBER).encode() + b"\n")
        buffer = b""
        while not buffer.endswith(b"\n"):
            buffer += sock.recv(65536)
    return json.loads(buffer)["result"]


@pytest.mark.parametrize("ask", [over_http, over_ws, over_ipc], ids=["http", "ws", "ipc"])
def test_a_queued_revert_is_made_before_the_next_request(
    node: MockNode, ask: Callable[[MockNode], object]
) -> None:
    snapshot = node.snapshot()
    node.mine(3)
    served = node._served()
    served.revert_soon(snapshot)  # queued only: nothing wakes the node's thread for it
    assert served.settled_reverts == 0
    assert ask(node) == "0x0"
    assert served.settled_reverts == 1
    assert served.lost_reverts == []


def test_a_call_into_the_node_thread_settles_first(node: MockNode) -> None:
    snapshot = node.snapshot()
    node.mine(2)
    node._served().revert_soon(snapshot)
    assert node.block_number() == 0


def test_queued_reverts_are_made_in_order_and_a_lost_one_is_noted(node: MockNode) -> None:
    first = node.snapshot()
    node.mine()
    second = node.snapshot()
    node.mine()
    served = node._served()
    served.revert_soon(first)
    served.revert_soon(second)  # gone once the chain is back at the first
    assert node.block_number() == 0
    assert served.settled_reverts == 2
    assert served.lost_reverts == [second]


def test_the_plugin_entry_leaves_it_to_the_next_request(node: MockNode) -> None:
    """``MockNode._revert_soon`` does not wake the node's thread (a wake-up took the GIL
    from the test's thread as it went on): the revert waits for the next request."""
    snapshot = node.snapshot()
    node.mine(2)
    served = node._served()
    node._revert_soon(snapshot)
    time.sleep(0.1)
    assert served.settled_reverts == 0
    assert list(served.deferred_reverts) == [snapshot]
    assert over_http(node) == "0x0"
    assert served.settled_reverts == 1
    assert served.lost_reverts == []


def test_the_same_revert_is_queued_once(node: MockNode) -> None:
    """Tests that make no request each queue the same revert: it is kept once, and the
    chain ends where one revert leaves it."""
    snapshot = node.snapshot()
    node.mine(2)
    served = node._served()
    for _ in range(5):
        node._revert_soon(snapshot)
    assert list(served.deferred_reverts) == [snapshot]
    assert over_ws(node) == "0x0"
    assert served.settled_reverts == 1
    node.mine()  # the snapshot is still there, and a revert to it works as before
    node._revert_soon(snapshot)
    assert over_ipc(node) == "0x0"
    assert served.lost_reverts == []


def test_an_interval_block_settles_first(node: MockNode) -> None:
    """The interval miner makes a queued revert before mining: the revert switches
    interval mining off again (it was off at the snapshot), so mining stops there."""
    snapshot = node.snapshot()
    node.set_interval_mining(0.1)
    served = node._served()
    deadline = time.monotonic() + 10
    while served.chain.head.number < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    served.revert_soon(snapshot)
    while served.settled_reverts == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # no request, no call: only the miner can make it
    assert served.settled_reverts == 1
    assert over_http(node) == "0x0"
    assert served.chain.interval is None
