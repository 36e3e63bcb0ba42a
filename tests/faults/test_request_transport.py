"""Transport-level faults decided per request, seen by real clients over real sockets:
delay, hang, close, reset, dribble, truncate, http_status, garbage, ws_close.

Clients: web3.py sync (``HTTPProvider``, ``IPCProvider``) and async (``AsyncHTTPProvider``,
``WebSocketProvider``), and raw sockets where the exact bytes and how the connection ended
are the point. Timeouts are short (0.5 s) so hangs end fast.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import requests
import websockets
from faultwire import TIMEOUT, Raw, body, entries, http3, post, reset, serve, summary
from web3 import AsyncHTTPProvider, AsyncWeb3, WebSocketProvider
from web3.exceptions import TimeExhausted

from mocknode import MockNode, NodeConfig


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockNode]:
    yield from serve(tmp_path_factory.mktemp("transport"))


@pytest.fixture(autouse=True)
def _clean(node: MockNode) -> Iterator[None]:
    yield
    reset(node)


def once(node: MockNode, action: dict[str, Any], **match: Any) -> None:
    rule: dict[str, Any] = {"trigger": {"first": 1}, "action": action}
    if match:
        rule["match"] = match
    node.faults.add(rule)


def async_http(node: MockNode) -> AsyncWeb3:
    return AsyncWeb3(
        AsyncHTTPProvider(
            node.http_url, request_kwargs={"timeout": TIMEOUT}, exception_retry_configuration=None
        )
    )


def ws(node: MockNode) -> AsyncWeb3:
    return AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=TIMEOUT))


def normal_http_reply(
    node: MockNode, payload: bytes, *, close: bool = False
) -> tuple[bytes, bytes]:
    raw = Raw.tcp(node)
    raw.send(post(raw.port, payload, close=close))
    head, reply = raw.read_http()
    raw.close()
    return head, reply


# ----------------------------------------------------------------------- delay


def test_delay_holds_the_response(node: MockNode) -> None:
    once(node, {"kind": "delay", "seconds": 0.3})
    w3 = http3(node)
    start = time.monotonic()
    assert w3.eth.block_number == node.block_number()
    assert time.monotonic() - start >= 0.3
    once(node, {"kind": "delay", "seconds": 1.0})
    with pytest.raises(requests.exceptions.ReadTimeout, match=r"read timeout=0\.5"):
        w3.eth.get_block_number()


@pytest.mark.parametrize(("direction", "sees_new_block"), [("request", True), ("response", False)])
def test_delay_direction_decides_when_the_call_runs(
    node: MockNode, direction: str, sees_new_block: bool
) -> None:
    before = node.block_number()
    once(node, {"kind": "delay", "seconds": 0.4, "direction": direction})
    answer: list[int] = []
    client = threading.Thread(target=lambda: answer.append(http3(node, timeout=2).eth.block_number))
    client.start()
    time.sleep(0.15)
    node.mine()
    client.join()
    assert answer == [before + 1 if sees_new_block else before]


def test_delayed_ws_reply_is_overtaken_by_later_ones(node: MockNode) -> None:
    once(node, {"kind": "delay", "seconds": 0.2}, method="eth_blockNumber")

    async def main() -> list[int]:
        async with websockets.connect(node.ws_url) as socket:
            await socket.send(body("eth_blockNumber", ident=1))
            await socket.send(body("eth_chainId", ident=2))
            return [json.loads(await socket.recv())["id"] for _ in range(2)]

    assert asyncio.run(main()) == [2, 1]


# ----------------------------------------------------------------------- hang


def test_hang_times_out_sync_http_then_closes_when_it_ends(node: MockNode) -> None:
    once(node, {"kind": "hang"})
    w3 = http3(node)
    with pytest.raises(requests.exceptions.ReadTimeout, match=r"read timeout=0\.5"):
        w3.eth.get_block_number()
    once(node, {"kind": "hang", "seconds": 0.1})
    with pytest.raises(requests.exceptions.ConnectionError, match="RemoteDisconnected"):
        w3.eth.get_block_number()
    assert w3.eth.block_number == node.block_number()


def test_hang_on_ws_stalls_one_request_and_serves_the_next(node: MockNode) -> None:
    once(node, {"kind": "hang"}, method="eth_chainId")

    async def main() -> int:
        async with ws(node) as w3:
            with pytest.raises(TimeExhausted, match=r"request id `0` after 0\.5 second"):
                await w3.eth.chain_id
            return await w3.eth.block_number

    assert asyncio.run(main()) == node.block_number()


def test_hang_on_async_http_is_a_timeout(node: MockNode) -> None:
    once(node, {"kind": "hang"})

    async def main() -> None:
        w3 = async_http(node)
        with pytest.raises(TimeoutError):
            await w3.eth.block_number
        await w3.provider.disconnect()

    asyncio.run(main())


# ----------------------------------------------------------------------- close


def test_close_without_a_reply(node: MockNode) -> None:
    once(node, {"kind": "close"})
    with pytest.raises(requests.exceptions.ConnectionError, match="RemoteDisconnected"):
        http3(node).eth.get_block_number()

    async def main() -> None:
        once(node, {"kind": "close"})
        w3 = async_http(node)
        with pytest.raises(aiohttp.ServerDisconnectedError, match="Server disconnected"):
            await w3.eth.block_number
        await w3.provider.disconnect()
        once(node, {"kind": "close"})
        with pytest.raises(websockets.ConnectionClosedError, match="no close frame"):
            async with ws(node) as w3ws:
                await w3ws.eth.block_number

    asyncio.run(main())
    once(node, {"kind": "close"})
    raw = Raw.ipc(node)
    raw.send(body("eth_blockNumber") + b"\n")
    assert raw.read_until_end() == (b"", "eof")
    raw.close()


# ----------------------------------------------------------------------- reset


def test_reset_at_request_is_econnreset_and_the_call_never_runs(node: MockNode) -> None:
    before = node.block_number()
    once(node, {"kind": "reset"})
    with pytest.raises(requests.exceptions.ConnectionError, match="Connection reset by peer"):
        http3(node).provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert node.block_number() == before

    async def main() -> None:
        once(node, {"kind": "reset"})
        w3 = async_http(node)
        with pytest.raises(aiohttp.ClientOSError, match="Connection reset by peer") as caught:
            await w3.eth.block_number
        assert caught.value.errno == 104
        await w3.provider.disconnect()

    asyncio.run(main())


def test_reset_mid_response_after_n_bytes_and_the_call_ran(node: MockNode) -> None:
    before = node.block_number()
    once(node, {"kind": "reset", "at": "response", "after_bytes": 12})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, body("evm_mine")))
    assert raw.read_until_end() == (b"HTTP/1.1 200", "reset")
    raw.close()
    assert node.block_number() == before + 1
    once(node, {"kind": "reset", "at": "response", "after_bytes": 9})
    raw = Raw.ipc(node)
    raw.send(body("eth_chainId") + b"\n")
    assert raw.read_until_end() == (b'{"jsonrpc', "eof")  # a unix socket has no RST
    raw.close()
    ipc_entries = [e[2:] for e in summary(node) if e[0] in ("fault", "response")][-2:]
    assert ipc_entries == [("eth_chainId", 1, 2, "reset"), ("eth_chainId", 1, None, None)]


# ----------------------------------------------------------------------- dribble


def test_dribble_paces_the_reply_in_chunks(node: MockNode) -> None:
    payload = body("eth_chainId")
    head, reply = normal_http_reply(node, payload)
    once(node, {"kind": "dribble", "chunks": 4, "seconds": 0.4})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, payload))
    start = time.monotonic()
    arrivals = []
    data = b""
    while len(data) < len(head) + 4 + len(reply):
        data += raw.sock.recv(65536)
        arrivals.append(time.monotonic() - start)
    raw.close()
    assert data == head + b"\r\n\r\n" + reply
    assert len(arrivals) >= 4
    assert arrivals[-1] >= 0.3
    once(node, {"kind": "dribble", "bytes_per_second": 1000})
    start = time.monotonic()
    assert http3(node, timeout=3).eth.chain_id == 31337
    assert time.monotonic() - start >= (len(head) + 4 + len(reply) - 50) / 1000


# ----------------------------------------------------------------------- truncate


def test_truncate_cuts_the_framed_reply_then_closes(node: MockNode) -> None:
    payload = body("eth_chainId")
    head, reply = normal_http_reply(node, payload)
    cut = len(head) + 4 + 10
    once(node, {"kind": "truncate", "after_bytes": cut})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, payload))
    assert raw.read_until_end() == ((head + b"\r\n\r\n" + reply)[:cut], "eof")
    raw.close()

    # web3's aiohttp session asks for "Connection: close", which the answer repeats.
    closing_head, _ = normal_http_reply(node, payload, close=True)
    whole = len(closing_head) + 4 + len(reply)

    async def main() -> None:
        once(node, {"kind": "truncate", "after_bytes": whole - 5})
        w3 = async_http(node)
        with pytest.raises(
            aiohttp.ClientPayloadError,
            match=rf"content length header \(received {len(reply) - 5} of {len(reply)} bytes",
        ):
            await w3.eth.chain_id
        await w3.provider.disconnect()
        once(node, {"kind": "truncate", "after_bytes": 5})
        with pytest.raises(websockets.ConnectionClosedError, match="no close frame"):
            async with ws(node) as w3ws:
                await w3ws.eth.chain_id

    asyncio.run(main())
    once(node, {"kind": "truncate", "after_bytes": cut})
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        _ = http3(node).eth.chain_id
    once(node, {"kind": "truncate", "after_bytes": 7})
    raw = Raw.ipc(node)
    raw.send(payload + b"\n")
    assert raw.read_until_end() == (b'{"jsonr', "eof")
    raw.close()


# ----------------------------------------------------------------------- http_status


def test_http_status_with_a_gateway_page(node: MockNode) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    once(
        node,
        {
            "kind": "http_status",
            "status": 502,
            "body": page,
            "headers": {"Content-Type": "text/html"},
            "keep_alive": False,
        },
    )
    with pytest.raises(requests.exceptions.HTTPError, match="502 Server Error: Bad Gateway"):
        _ = http3(node).eth.chain_id
    once(node, {"kind": "http_status", "status": 503, "body": page})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, body("eth_chainId")))
    head, reply = raw.read_http()
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 503 Service Unavailable"
    assert reply == page.encode()
    raw.send(post(raw.port, body("eth_chainId")))  # kept alive: the next request is served
    assert json.loads(raw.read_http()[1])["result"] == "0x7a69"
    raw.close()


def test_http_429_with_retry_after_is_retried_by_web3(node: MockNode) -> None:
    node.faults.add(
        {
            "trigger": {"first": 2},
            "action": {"kind": "http_status", "status": 429, "headers": {"Retry-After": "1"}},
        }
    )
    w3 = http3(node, retry=True)  # web3's default: 5 tries on HTTPError for safe methods
    assert w3.eth.chain_id == 31337
    assert [k for k, *_ in summary(node) if k in ("request", "fault")] == [
        "request",
        "fault",
        "request",
        "fault",
        "request",
    ]
    once(node, {"kind": "http_status", "status": 429, "headers": {"Retry-After": "1"}})
    raw = Raw.tcp(node)
    raw.send(post(raw.port, body("eth_chainId")))
    head, _ = raw.read_http()
    assert b"\r\nRetry-After: 1" in head
    raw.close()


# ----------------------------------------------------------------------- garbage


def garbage_bytes(node: MockNode) -> bytes:
    raw = Raw.tcp(node)
    raw.send(post(raw.port, body("eth_chainId")))
    data, end = raw.read_until_end()
    raw.close()
    assert end == "eof"
    return data


def test_garbage_is_seeded_random_bytes_then_close(node: MockNode) -> None:
    once(node, {"kind": "garbage", "length": 48})
    with pytest.raises(requests.exceptions.ConnectionError, match="BadStatusLine"):
        _ = http3(node).eth.chain_id

    def fresh_run(seed: int) -> bytes:
        with MockNode(NodeConfig(port=0, ipc_path=None, fault_seed=seed)) as fresh:
            fresh.faults.add({"action": {"kind": "garbage", "length": 48}})
            return garbage_bytes(fresh)

    first, again, other = fresh_run(7), fresh_run(7), fresh_run(8)
    assert len(first) == 48
    assert first == again
    assert first != other


# ----------------------------------------------------------------------- ws_close


@pytest.mark.parametrize(
    ("code", "reason", "error", "message"),
    [
        (1011, "bye", websockets.ConnectionClosedError, "received 1011 (internal error) bye"),
        (1013, "", websockets.ConnectionClosedError, "received 1013 (try again later)"),
        (1006, "", websockets.ConnectionClosedError, "no close frame received or sent"),
        # web3 takes a clean close as the end of its listener: the call just times out.
        (1000, "", TimeExhausted, "request id `0` after 0.5 second"),
    ],
)
def test_ws_close_with_a_code_instead_of_the_reply(
    node: MockNode, code: int, reason: str, error: type[Exception], message: str
) -> None:
    once(node, {"kind": "ws_close", "code": code, "reason": reason})

    async def main() -> None:
        with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
            async with ws(node) as w3:
                await w3.eth.chain_id

    asyncio.run(main())


def test_ws_close_after_more_messages_counts_notifications(node: MockNode) -> None:
    once(node, {"kind": "ws_close", "code": 1001, "after_messages": 1}, method="eth_chainId")

    async def main() -> tuple[int, list[str]]:
        got: list[str] = []
        async with ws(node) as w3:
            await w3.eth.subscribe("newHeads")
            chain = await w3.eth.chain_id  # answered; the close waits for one more message
            await asyncio.to_thread(node.mine)
            async for message in w3.socket.process_subscriptions():
                got.append(message["result"]["number"])  # ends when the socket closes
            with pytest.raises(
                websockets.ConnectionClosedOK, match=r"received 1001 \(going away\)"
            ):
                await w3.eth.chain_id
        return chain, got

    chain, heads = asyncio.run(main())
    assert chain == 31337
    assert heads == [node.block_number()]


def test_ws_close_after_seconds_answers_first(node: MockNode) -> None:
    once(node, {"kind": "ws_close", "code": 1008, "after_seconds": 0.2}, method="eth_chainId")

    async def main() -> int:
        async with websockets.connect(node.ws_url) as socket:
            await socket.send(body("eth_chainId"))
            answer = json.loads(await socket.recv())
            start = time.monotonic()
            with pytest.raises(websockets.ConnectionClosedError, match="received 1008"):
                await socket.recv()
            assert time.monotonic() - start >= 0.15
            return int(answer["result"], 16)

    assert asyncio.run(main()) == 31337
    journal = entries(node)
    # (the "close" entry follows once the server has noticed the end of the connection)
    assert [e["kind"] for e in journal][:4] == ["connect", "request", "fault", "response"]
