"""Accept-point faults seen by real clients: refuse (node down for a window), reset on
connect, and a refused WebSocket upgrade (``ws_reject``); each replayed from its seed."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
import requests
from edge_helpers import faults_of, fresh, journal, kinds, replayable, wait_closed
from web3 import AsyncWeb3, HTTPProvider, Web3, WebSocketProvider
from web3.exceptions import ProviderConnectionError
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from websockets.exceptions import InvalidMessage, InvalidStatus

BLOCK_NUMBER = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}


def post(session: requests.Session, url: str, *, last: bool = False) -> Any:
    """One ``eth_blockNumber``; ``last`` asks the node to close the connection after it.

    Why ``last``: a test that waits for the node to journal a ``close`` needs the client's
    socket closed, and leaving a ``requests.Session`` does not do it. Since urllib3 2.0,
    ``PoolManager.clear`` drops its pools without closing them (a pool closes its
    sockets when it is collected, urllib3 #2661), and a pool that a caught
    ``ConnectionError`` still reaches through its traceback lives until the cyclic GC
    runs: the kept-alive connection stayed open, and the node rightly journaled no close."""
    headers = {"Connection": "close"} if last else None
    return session.post(url, json=BLOCK_NUMBER, headers=headers, timeout=5).json()


def read_one_byte(url: str) -> bytes:
    """Connect and read (the reset shows at connect or at the read, as the RST races)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        return sock.recv(1)


def test_refused_twice_then_served_and_replayed(mocknode: Any, faults: Any) -> None:
    rule = {"match": {"transport": "http"}, "trigger": {"first": 2}, "action": {"kind": "refuse"}}

    def run() -> list[dict[str, Any]]:
        fresh(faults, 7, [rule])
        with requests.Session() as session:
            for _ in range(2):
                with pytest.raises(requests.ConnectionError):
                    post(session, mocknode.http_url)
            assert post(session, mocknode.http_url, last=True)["result"] == "0x0"
        wait_closed(faults, 1, mocknode)
        return journal(faults)

    first = run()
    # A refused connection is journaled by its fault alone (it never sent a message).
    assert kinds(first) == [
        ("fault", "refuse"),
        ("fault", "refuse"),
        ("connect", None),
        ("request", None),
        ("response", None),
        ("close", None),
    ]
    assert [e["connection"] for e in first] == [1, 2, 3, 3, 3, 3]
    assert {e["rule"] for e in faults_of(first, "refuse")} == {1}
    assert replayable(run()) == replayable(first)


def test_node_down_for_a_window_and_web3_retries(mocknode: Any, faults: Any) -> None:
    window = 0.4
    down = {"trigger": {"first": 1}, "action": {"kind": "refuse", "seconds": window}}

    # web3's default retry list names the builtin ConnectionError, which requests never
    # raises: a node that resets the connection fails the call at once, even for
    # eth_blockNumber, a method web3 means to retry.
    with faults.inject(down):
        w3 = Web3(HTTPProvider(mocknode.http_url, request_kwargs={"timeout": 5}))
        with pytest.raises(requests.ConnectionError, match="Connection reset by peer"):
            _ = w3.eth.block_number
    assert len(faults_of(journal(faults), "refuse")) == 1

    # Told to retry requests' ConnectionError, it backs off (0.125 s, 0.25 s, ...) until
    # the node is back.
    faults.restart_run()
    faults.add(down)
    retry = ExceptionRetryConfiguration(errors=(requests.ConnectionError,), retries=8)
    w3 = Web3(
        HTTPProvider(
            mocknode.http_url,
            request_kwargs={"timeout": 5},
            exception_retry_configuration=retry,
        )
    )
    start = time.monotonic()
    assert w3.eth.block_number == 0
    assert time.monotonic() - start >= window
    entries = journal(faults)
    refused = faults_of(entries, "refuse")
    # The first refusal opened the window; every retry inside it was refused as well,
    # without consulting the rule again.
    assert len(refused) >= 2
    assert {e["rule"] for e in refused} == {2}
    assert refused[-1]["time"] - refused[0]["time"] < window
    [served] = [e for e in entries if e["kind"] == "request"]
    assert served["time"] - refused[0]["time"] >= window
    assert [e["connection"] for e in refused] == list(range(1, len(refused) + 1))
    assert served["connection"] == len(refused) + 1
    assert faults.list()[0].fired == 1


def test_refusing_websocket_leaves_http_up(mocknode: Any, faults: Any) -> None:
    faults.add({"match": {"transport": "ws"}, "action": {"kind": "refuse", "seconds": 60}})
    with requests.Session() as session:
        assert post(session, mocknode.http_url)["result"] == "0x0"

    async def connect() -> None:
        async with AsyncWeb3(WebSocketProvider(mocknode.ws_url, max_connection_retries=1)):
            pass

    with pytest.raises(ProviderConnectionError) as raised:
        asyncio.run(connect())
    handshake = raised.value.__cause__
    assert isinstance(handshake, InvalidMessage)
    # asyncio reports the RST as EOF or as a reset, depending on whether it arrived
    # before the handshake was read
    assert isinstance(handshake.__cause__, EOFError | ConnectionResetError)
    # The TCP connection was accepted as HTTP, then refused at its upgrade.
    ws = [e for e in journal(faults) if e["transport"] == "ws"]
    assert kinds(ws) == [("fault", "refuse")]


def test_reset_on_connect(mocknode: Any, faults: Any) -> None:
    rule = {"trigger": {"first": 1}, "action": {"kind": "reset", "at": "connect"}}

    def run() -> list[dict[str, Any]]:
        fresh(faults, 3, [rule])
        with pytest.raises(ConnectionResetError):
            read_one_byte(mocknode.http_url)
        with requests.Session() as session:
            assert post(session, mocknode.http_url, last=True)["result"] == "0x0"
        wait_closed(faults, 1, mocknode)
        return journal(faults)

    first = run()
    assert kinds(first) == [
        ("fault", "reset"),
        ("connect", None),
        ("request", None),
        ("response", None),
        ("close", None),
    ]
    assert replayable(run()) == replayable(first)


def test_refused_ipc_connection_reads_eof(mocknode: Any, faults: Any) -> None:
    faults.add(
        {"match": {"transport": "ipc"}, "trigger": {"first": 1}, "action": {"kind": "refuse"}}
    )
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(mocknode.ipc_path)
        assert sock.recv(1) == b""  # a unix socket has no reset: the peer sees EOF
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(mocknode.ipc_path)
        sock.sendall(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}\n')
        assert sock.recv(4096) == b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}\n'
    wait_closed(faults, 1, mocknode)
    assert kinds(journal(faults)) == [
        ("fault", "refuse"),
        ("connect", None),
        ("request", None),
        ("response", None),
        ("close", None),
    ]


def test_ws_reject_fails_the_handshake_with_the_status(mocknode: Any, faults: Any) -> None:
    rule = {"trigger": {"first": 1}, "action": {"kind": "ws_reject", "status": 429}}

    async def connect(retries: int) -> int:
        provider = WebSocketProvider(mocknode.ws_url, max_connection_retries=retries)
        async with AsyncWeb3(provider) as w3:
            return await w3.eth.chain_id

    def run() -> list[dict[str, Any]]:
        fresh(faults, 11, [rule])
        with pytest.raises(ProviderConnectionError, match="Retries exceeded max of 1") as raised:
            asyncio.run(connect(1))
        cause = raised.value.__cause__
        assert isinstance(cause, InvalidStatus)
        assert cause.response.status_code == 429
        assert cause.response.body == b"429 Too Many Requests\n"
        assert asyncio.run(connect(1)) == 31337  # the rule fired once: the next one is served
        wait_closed(faults, 1, mocknode)
        return journal(faults)

    first = run()
    assert kinds(first) == [
        ("fault", "ws_reject"),
        ("connect", None),
        ("request", None),
        ("response", None),
        ("close", None),
    ]
    assert [(e["transport"], e["connection"]) for e in first] == [("ws", 1)] + [("ws", 2)] * 4
    assert replayable(run()) == replayable(first)


def test_web3_websocket_connect_retries_past_a_rejected_upgrade(mocknode: Any, faults: Any) -> None:
    faults.add({"trigger": {"first": 1}, "action": {"kind": "ws_reject", "status": 503}})

    async def connect() -> int:
        # web3 retries a failed connect after 1.75 s (its first back-off step)
        async with AsyncWeb3(WebSocketProvider(mocknode.ws_url, max_connection_retries=2)) as w3:
            return await w3.eth.chain_id

    assert asyncio.run(connect()) == 31337
    rejected = faults_of(journal(faults), "ws_reject")
    assert len(rejected) == 1
