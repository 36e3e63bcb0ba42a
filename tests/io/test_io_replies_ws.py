"""Every reply kind over WebSocket, on a real TCP socket: what a WebSocket client
(wsproto's client side, and the ``websockets`` library for close codes) receives."""

from __future__ import annotations

import pytest
import trio
from io_helpers import Script, WsClient, read_to_eof, tcp_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from wsproto.events import CloseConnection as WsCloseEvent
from wsproto.events import TextMessage

from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    Dribble,
    Frames,
    HttpStatus,
    RawBytes,
    ResetConnection,
    Stall,
    Truncated,
    WsClose,
)

PAYLOAD = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'


def frame(payload: bytes) -> bytes:
    """A server text frame as the server writes it (short payloads)."""
    assert len(payload) < 126
    return bytes((0x81, len(payload))) + payload


@pytest.mark.trio
async def test_http_status_body_is_a_message_and_empty_is_nothing(fast_path: bool) -> None:
    script = Script({b"[1]": HttpStatus(429, b'{"limited":1}'), b"[2]": HttpStatus(503)})
    async with tcp_server(script, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        for text in ("[1]", "[2]", "[3]"):
            await ws.send_text(text)
        assert await ws.recv() == '{"limited":1}'
        assert await ws.recv() == "[3]"  # [2] got nothing


@pytest.mark.trio
async def test_frames_are_separate_messages(fast_path: bool) -> None:
    script = Script({b"[1]": Frames((b'{"id":1}', b'{"id":1}', b'{"stray":true}'))})
    async with tcp_server(script, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.send_text("[1]")
        assert [await ws.recv() for _ in range(3)] == ['{"id":1}', '{"id":1}', '{"stray":true}']


@pytest.mark.trio
async def test_close_connection_is_eof_without_close_frame(fast_path: bool) -> None:
    script = Script({b"[1]": CloseConnection()})
    async with tcp_server(script, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.stream.send_all(ws.ws.send(TextMessage("[1]")) + ws.ws.send(TextMessage("[2]")))
        assert await read_to_eof(ws.stream) == b""
        assert script.seen == [b"[1]"]  # nothing after the close is served


@pytest.mark.trio
async def test_reset_is_econnreset(fast_path: bool) -> None:
    async with tcp_server(Script({b"[1]": ResetConnection()}), fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.send_text("[1]")
        with pytest.raises(trio.BrokenResourceError) as info:
            await read_to_eof(ws.stream)
        assert isinstance(info.value.__cause__, ConnectionResetError)


@pytest.mark.trio
async def test_raw_bytes_bypass_framing(fast_path: bool) -> None:
    # A hand-made server frame (text "hi") as raw bytes, then a normal reply.
    script = Script({b"[1]": RawBytes(b"\x81\x02hi", close_after=False), b"[2]": RawBytes(b"zz")})
    async with tcp_server(script, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.send_text("[1]")
        assert await ws.recv() == "hi"
        await ws.send_text("[0]")
        assert await ws.recv() == "[0]"
        await ws.send_text("[2]")
        assert await read_to_eof(ws.stream) == b"zz"


@pytest.mark.trio
@pytest.mark.parametrize("after", [0, 1, 2, 30, 100])
async def test_truncated_frame_leaves_exactly_n_bytes(fast_path: bool, after: int) -> None:
    async with tcp_server(Script({b"[1]": Truncated(PAYLOAD, after)}), fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        await ws.send_text("[1]")
        assert await read_to_eof(ws.stream) == frame(PAYLOAD)[:after]


@pytest.mark.trio
async def test_stall_leaves_one_request_unanswered_and_others_flow(
    fast_path: bool, autojump_clock: object
) -> None:
    script = Script({b"[1]": Stall(60), b"[2]": Stall(None)})
    async with tcp_server(script, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        for text in ("[1]", "[2]", "[3]"):
            await ws.send_text(text)
        assert await ws.recv() == "[3]"
        await trio.sleep(120)
        await ws.send_text("[4]")
        assert await ws.recv() == "[4]"  # nothing for [1] or [2] came in between


@pytest.mark.trio
async def test_delayed_replies_come_out_of_order(fast_path: bool, autojump_clock: object) -> None:
    script = Script({b"[1]": Delayed(2, b'{"late":1}'), b"[2]": Delayed(1, b'{"late":2}')})
    async with tcp_server(script, fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        start = trio.current_time()
        for text in ("[1]", "[2]", "[3]"):
            await ws.send_text(text)
        assert await ws.recv() == "[3]"
        assert await ws.recv() == '{"late":2}'
        assert trio.current_time() - start == pytest.approx(1)
        assert await ws.recv() == '{"late":1}'
        assert trio.current_time() - start == pytest.approx(2)


@pytest.mark.trio
async def test_delayed_close_while_other_requests_are_answered(
    fast_path: bool, autojump_clock: object
) -> None:
    async with tcp_server(
        Script({b"[1]": Delayed(5, CloseConnection())}), fast_path=fast_path
    ) as port:
        ws = await WsClient.connect(port)
        start = trio.current_time()
        await ws.send_text("[1]")
        await ws.send_text("[2]")
        assert await ws.recv() == "[2]"
        assert await read_to_eof(ws.stream) == b""
        assert trio.current_time() - start == pytest.approx(5)


@pytest.mark.trio
async def test_dribble_keeps_the_frame_whole(fast_path: bool, autojump_clock: object) -> None:
    async with tcp_server(Script({b"[1]": Dribble(PAYLOAD, 7, 0.25)}), fast_path=fast_path) as port:
        ws = await WsClient.connect(port)
        start = trio.current_time()
        await ws.send_text("[1]")
        await ws.send_text("[2]")  # answered after the dribbled frame, never inside it
        expected = frame(PAYLOAD) + frame(b"[2]")
        got = b""
        times = []
        while len(got) < len(expected):
            got += await ws.stream.receive_some(65536)
            times.append(trio.current_time() - start)
        assert got == expected
        chunks = -(-len(frame(PAYLOAD)) // 7)
        assert times[-1] == pytest.approx(0.25 * (chunks - 1))


def run_client(port: int, send: list[str]) -> tuple[list[str], int | None, str | None]:
    """A ``websockets`` client in a thread: what it received, and the close code and
    reason it saw from the server (None: no close frame, the library reports 1006)."""
    received: list[str] = []
    with connect(f"ws://127.0.0.1:{port}/", open_timeout=5, close_timeout=2) as client:
        for text in send:
            client.send(text)
        try:
            while True:
                message = client.recv(timeout=5)
                received.append(message if isinstance(message, str) else message.decode())
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            return received, (rcvd.code if rcvd else None), (rcvd.reason if rcvd else None)


@pytest.mark.trio
@pytest.mark.parametrize(("code", "reason"), [(1000, ""), (1001, "going away"), (4000, "bye")])
async def test_ws_close_code_seen_by_a_real_client(fast_path: bool, code: int, reason: str) -> None:
    async with tcp_server(Script({b"[2]": WsClose(code, reason)}), fast_path=fast_path) as port:
        received, seen_code, seen_reason = await trio.to_thread.run_sync(
            run_client, port, ["[1]", "[2]"]
        )
    assert received == ["[1]"]
    assert (seen_code, seen_reason) == (code, reason)


@pytest.mark.trio
async def test_ws_close_1006_drops_tcp_without_close_frame(fast_path: bool) -> None:
    async with tcp_server(Script({b"[1]": WsClose(1006)}), fast_path=fast_path) as port:
        received, seen_code, _ = await trio.to_thread.run_sync(run_client, port, ["[1]"])
        assert (received, seen_code) == ([], None)
        ws = await WsClient.connect(port)  # and at the frame level: no close frame at all
        await ws.send_text("[1]")
        event = await ws.next_event()
        assert isinstance(event, WsCloseEvent)
        assert event.code == 1006


@pytest.mark.trio
async def test_ws_close_from_a_delayed_reply_after_other_messages(fast_path: bool) -> None:
    async with tcp_server(
        Script({b"[1]": Delayed(0.2, WsClose(1013))}), fast_path=fast_path
    ) as port:
        received, seen_code, _ = await trio.to_thread.run_sync(
            run_client, port, ["[1]", "[2]", "[3]"]
        )
    assert received == ["[2]", "[3]"]
    assert seen_code == 1013
