"""The fast paths are proven equal to the general ones: same bytes in, same bytes and
events out, at every step.

Hypothesis builds byte streams (keep-alive sequences, pipelining, valid and invalid
requests, oversized bodies, wrong content types, bad paths, WebSocket upgrades followed
by frames masked or not, fragmented, pings, closes, IPC streams with garbage and deep
nesting), cuts them at arbitrary points, and feeds the same pieces to a connection with
``fast_path=True`` and one with ``fast_path=False``. After each piece both must have
produced the same events and exactly the same bytes to send; replies (JSON, nothing,
failures, status answers, out-of-band answers, WebSocket sends and closes) are chosen by
the example and applied to both alike.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_helpers import connected_ws, ws_client

from mocknode.values import replace
from mocknode.wire.events import NEED_DATA, Closed, Garbage, Message
from mocknode.wire.http import LOCAL_HOSTS, LOCAL_ORIGINS, HttpConnection, HttpOptions, Upgraded
from mocknode.wire.ipc import IpcConnection
from mocknode.wire.ws import WsConnection

T = TypeVar("T")

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- replies --------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpReply:
    kind: str  # json | none | fail | status | oob
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    keep_alive: bool = True


@dataclass(frozen=True)
class WsReply:
    kind: str  # send | binary | close | none
    code: int = 1000


http_replies = st.one_of(
    st.just(HttpReply("json")),
    st.just(HttpReply("none")),
    st.just(HttpReply("oob")),
    st.builds(HttpReply, st.just("fail"), st.sampled_from([500, 503])),
    st.builds(
        HttpReply,
        st.just("status"),
        st.sampled_from([200, 404, 413, 429, 500, 502, 503, 599]),
        st.sampled_from([b"", b"slow down\n", b"<html>bad gateway</html>"]),
        st.lists(
            st.sampled_from(
                [
                    ("Retry-After", "2"),
                    ("Content-Type", "text/html"),
                    ("Content-Length", "999"),
                    ("Connection", "keep-alive"),
                    ("Access-Control-Allow-Origin", "https://x.example"),
                    ("X-Empty", ""),
                ]
            ),
            max_size=3,
        ).map(tuple),
        st.booleans(),
    ),
    st.builds(HttpReply, st.just("status"), st.just(204), st.just(b"")),
)
ws_replies = st.one_of(
    st.just(WsReply("send")),
    st.just(WsReply("binary")),
    st.just(WsReply("none")),
    st.builds(WsReply, st.just("close"), st.sampled_from([1000, 1001, 1008, 1011, 4000])),
)


def answer_http(conn: HttpConnection, payload: bytes, reply: HttpReply) -> None:
    if reply.kind == "json":
        conn.respond(b'{"echo":' + str(len(payload)).encode() + b"}")
    elif reply.kind == "none":
        conn.respond(None)
    elif reply.kind == "fail":
        conn.fail(reply.status, "session failed")
    elif reply.kind == "oob":
        conn.respond_out_of_band()
    else:
        conn.respond_status(reply.status, reply.body, reply.headers, keep_alive=reply.keep_alive)


def answer_ws(ws: WsConnection, payload: bytes, reply: WsReply) -> Closed | None:
    if reply.kind == "send":
        ws.send_message(payload)
    elif reply.kind == "binary":
        ws.send_message(b"\xff" + payload)
    elif reply.kind == "close":
        return ws.close(reply.code, "bye")
    return None


# -- drivers: every step is (event, bytes queued after it) ------------------------------


def key(event: object) -> object:
    if isinstance(event, Upgraded):
        return ("upgraded", event.target)
    return event  # Message, Garbage and Closed compare by value


def run_http(
    options: HttpOptions,
    pieces: list[bytes],
    http_script: list[HttpReply],
    ws_script: list[WsReply],
) -> list[object]:
    conn = HttpConnection(options)
    ws: WsConnection | None = None
    trace: list[object] = []
    http_answers = itertools.cycle(http_script)
    ws_answers = itertools.cycle(ws_script)
    for piece in pieces:
        trace.append(("piece", len(piece)))
        if ws is None:
            conn.receive_data(piece)
        else:
            ws.receive_data(piece)
        while True:
            if ws is None:
                http_event = conn.next_event()
                trace.append((key(http_event), conn.data_to_send()))
                if http_event is NEED_DATA:
                    break
                if isinstance(http_event, Closed):
                    return trace
                if isinstance(http_event, Upgraded):
                    ws = http_event.ws
                    trace.append(("101", ws.data_to_send()))
                    continue
                assert isinstance(http_event, Message)
                answer_http(conn, http_event.payload, next(http_answers))
                trace.append(("answer", conn.data_to_send()))
            else:
                ws_event = ws.next_event()
                trace.append((key(ws_event), ws.data_to_send()))
                if ws_event is NEED_DATA:
                    break
                if isinstance(ws_event, Closed):
                    return trace
                closed = answer_ws(ws, ws_event.payload, next(ws_answers))
                trace.append(("answer", ws.data_to_send()))
                if closed is not None:
                    return trace
    return trace


def run_ipc(max_message: int, fast_path: bool, pieces: list[bytes]) -> list[object]:
    conn = IpcConnection(max_message=max_message, fast_path=fast_path)
    trace: list[object] = []
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            event = conn.next_event()
            trace.append(event)
            if event is NEED_DATA:
                break
            if isinstance(event, Closed | Garbage):
                return trace
            conn.send_message(event.payload)
            trace.append(conn.data_to_send())
    return trace


# -- HTTP requests --------------------------------------------------------------------

json_bodies = st.one_of(
    st.just(b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'),
    st.sampled_from([b"[]", b'{"a":"\xc3\xa9"}', b""]),
    st.binary(max_size=80),
)
CONTENT_TYPES = (
    b"application/json; charset=utf-8",
    b"Application/JSON;charset=UTF-8",
    b"application/json-rpc",
    b"application/jsonrequest ; x=y",
    b"text/plain",
    b"application/xml",
    None,
)
extra_headers = st.lists(
    st.sampled_from(
        [
            b"Origin: http://ok.example",
            b"Origin: http://evil.example",
            b"Origin: http://localhost:3000",
            b"Connection: keep-alive",
            b"Connection: close",
            b"Connection: Keep-Alive, Upgrade",
            b"Expect: 100-continue",
            b"X-Request-Id: 7",
            b"Accept: */*",
            b"Upgrade: h2c",
            b"TE: trailers",
            b"Access-Control-Request-Headers: content-type",
            b"bad header line",
            b"X-Ctl: a\x01b",
            b"Content-Length: 3",
        ]
    ),
    max_size=3,
)


def usually(default: T, *others: T) -> st.SearchStrategy[T]:
    """``default`` most of the time (plain requests must dominate, or the fast path is
    barely exercised), one of ``others`` now and then."""
    return st.integers(0, 15).flatmap(
        lambda roll: st.sampled_from(others) if roll == 0 else st.just(default)
    )


@st.composite
def http_request(draw: st.DrawFn) -> bytes:
    method = draw(usually(b"POST", b"GET", b"HEAD", b"OPTIONS", b"PUT", b"PATCH", b"post"))
    target = draw(usually(b"/", b"/rpc", b"/rpc/v1?x=1", b"/other", b"/?q=1", b"*"))
    version = draw(usually(b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1 "))
    body = draw(json_bodies)
    if draw(st.integers(0, 9)) == 0:
        body = body * 40  # past the smaller body limits below
    assert method is not None
    assert target is not None
    assert version is not None
    lines = [method + b" " + target + b" " + version]
    host = draw(usually(b"Host: localhost", b"host:127.0.0.1:8545", b"Host: evil.example:1", None))
    if host is not None:
        lines.append(host)
    ctype = draw(usually(b"application/json", *CONTENT_TYPES))
    if ctype is not None:
        name = draw(usually(b"Content-Type", b"content-type", b"CONTENT-TYPE"))
        space = draw(usually(b" ", b"", b"  ", b"\t"))
        assert name is not None
        assert space is not None
        lines.append(name + b":" + space + ctype)
    if draw(st.integers(0, 7)) == 0:
        lines += draw(extra_headers)
    framing = draw(usually(b"length", b"chunked", b"none", b"short", b"long"))
    if framing == b"chunked":
        lines.append(b"Transfer-Encoding: chunked")
        cut = draw(st.integers(0, len(body)))
        chunks = [part for part in (body[:cut], body[cut:]) if part]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    elif framing == b"none":
        payload = b""
    else:
        length = len(body) + {b"length": 0, b"short": -1, b"long": 3}[framing or b""]
        lines.append(b"Content-Length: " + str(max(length, 0)).encode())
        payload = body
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def ws_upgrade(target: bytes = b"/") -> bytes:
    return ws_client(target.decode())[1]


@st.composite
def mutated(draw: st.DrawFn, inner: st.SearchStrategy[bytes]) -> bytes:
    data = draw(inner)
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + draw(st.binary(min_size=0, max_size=2)) + data[at + 1 :]


# -- WebSocket frames ---------------------------------------------------------------


def rarely(roll: int) -> bool:
    return roll == 0


@st.composite
def ws_frame(draw: st.DrawFn) -> bytes:
    """Mostly what clients send (final, masked, text or binary, minimal lengths, some
    pings); now and then a fragment, a close, a reserved opcode or bit, an unmasked
    frame, a non-minimal length or a text frame that is not UTF-8."""
    odd = st.integers(0, 15)
    opcode = draw(usually(1, 2, 2, 9, 9, 10, 0, 8, 3, 11))
    if opcode == 8:
        payload = draw(
            st.sampled_from(
                [b"", b"\x03\xe8", b"\x03\xe8bye", b"\x03", b"\x03\xedgone", b"\x00\x01"]
            )
        )
    elif opcode == 1 and not rarely(draw(odd)):
        payload = draw(
            st.one_of(
                st.sampled_from(
                    [b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', b"[1]", b"\xc3\xa9"]
                ),
                st.text(max_size=20).map(str.encode),
                st.sampled_from([b"x" * 130, b"y" * 300]),
            )
        )
    else:
        payload = draw(st.one_of(st.binary(max_size=40), st.sampled_from([b"z" * 200])))
    fin = not rarely(draw(odd)) or opcode in (8, 9, 10)
    rsv = 0x40 if rarely(draw(st.integers(0, 30))) else 0
    masked = not rarely(draw(st.integers(0, 30)))
    n = len(payload)
    minimal = "7" if n < 126 else "16" if n < 65536 else "64"
    encoding = minimal if not rarely(draw(odd)) else draw(st.sampled_from(["16", "64"]))
    head = bytes(((0x80 if fin else 0) | rsv | opcode,))
    mask_bit = 0x80 if masked else 0
    if encoding == "7":
        head += bytes((mask_bit | n,))
    elif encoding == "16":
        head += bytes((mask_bit | 126,)) + n.to_bytes(2, "big")
    else:
        head += bytes((mask_bit | 127,)) + n.to_bytes(8, "big")
    if masked:
        mask = draw(st.binary(min_size=4, max_size=4))
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


# -- splitting ------------------------------------------------------------------------


@st.composite
def split(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at arbitrary points, then maybe EOF (``b""``)."""
    cuts = sorted(set(draw(st.lists(st.integers(1, max(len(data) - 1, 1)), max_size=6))))
    bounds = [0, *(c for c in cuts if c < len(data)), len(data)]
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    if draw(st.booleans()):
        pieces.append(b"")
    return pieces or [b""]


http_options = st.builds(
    HttpOptions,
    max_body=st.sampled_from([5 * 1024 * 1024] * 4 + [200, 16]),
    max_ws_message=st.sampled_from([64, 32 * 1024 * 1024]),
    cors_origins=st.sampled_from([("*",), (), ("http://ok.example",), LOCAL_ORIGINS]),
    ws_origins=st.sampled_from([LOCAL_ORIGINS, ("*",)]),
    allowed_hosts=st.sampled_from([LOCAL_HOSTS, ("*",), ("evil.example",)]),
    path_prefix=st.sampled_from(["/"] * 4 + ["/rpc"]),
    max_header_bytes=st.sampled_from([64 * 1024] * 4 + [300]),
)


@st.composite
def http_stream(draw: st.DrawFn) -> bytes:
    items = draw(
        st.lists(
            st.one_of(
                http_request(),
                http_request(),
                http_request(),
                http_request(),
                mutated(http_request()),
                st.binary(min_size=1, max_size=20),
            ),
            min_size=1,
            max_size=5,
        )
    )
    data = b"".join(items)
    if draw(st.integers(0, 3)) == 0:
        data += ws_upgrade(draw(st.sampled_from([b"/", b"/rpc"])))
        data += b"".join(draw(st.lists(ws_frame(), max_size=6)))
    return data


def _general(options: HttpOptions) -> HttpOptions:
    return replace(options, fast_path=False)


@SETTINGS
@given(
    st.data(),
    http_options,
    http_stream(),
    st.lists(http_replies, min_size=1, max_size=4),
    st.lists(ws_replies, min_size=1, max_size=3),
)
def test_http_fast_path_equals_h11(
    data: st.DataObject,
    options: HttpOptions,
    stream: bytes,
    http_script: list[HttpReply],
    ws_script: list[WsReply],
) -> None:
    pieces = data.draw(split(stream))
    fast = run_http(options, pieces, http_script, ws_script)
    general = run_http(_general(options), pieces, http_script, ws_script)
    assert fast == general


def run_ws(max_message: int, fast_path: bool, pieces: list[bytes], script: list[WsReply]) -> object:
    client, ws = connected_ws(HttpOptions(max_ws_message=max_message, fast_path=fast_path))
    del client
    trace: list[object] = []
    answers = itertools.cycle(script)
    for piece in pieces:
        ws.receive_data(piece)
        while True:
            event = ws.next_event()
            trace.append((event, ws.data_to_send()))
            if event is NEED_DATA:
                break
            if isinstance(event, Closed):
                return trace
            closed = answer_ws(ws, event.payload, next(answers))
            trace.append(("answer", ws.data_to_send()))
            if closed is not None:
                return trace
    return trace


@SETTINGS
@given(
    st.data(),
    st.sampled_from([64, 1000, 32 * 1024 * 1024]),
    st.lists(ws_frame(), min_size=1, max_size=8).map(b"".join),
    st.lists(ws_replies, min_size=1, max_size=3),
)
def test_ws_fast_path_equals_wsproto(
    data: st.DataObject, max_message: int, frames: bytes, script: list[WsReply]
) -> None:
    pieces = data.draw(split(frames))
    assert run_ws(max_message, True, pieces, script) == run_ws(max_message, False, pieces, script)


# -- IPC ------------------------------------------------------------------------------

ipc_values = st.one_of(
    st.sampled_from(
        [
            b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
            b'[{"id":1},{"id":2}]',
            rb'{"s":"}{][\"\\"}',
            b'{"u":"\xc3\xa9"}',
            b'{"bad":"\xff\xfe"}',
            b"{]",
            b'{"a":nope}',
            b"123",
            b"\xff",
            b"  \n\t",
            b"[" * 600 + b"]" * 600,
            b"[" * 300 + b"]" * 300 + b"{}" * 300,
            b'{"big":"' + b"z" * 300 + b'"}',
        ]
    ),
    st.binary(max_size=12),
)


@SETTINGS
@given(
    st.data(),
    st.sampled_from([100, 32 * 1024 * 1024]),
    st.lists(ipc_values, min_size=1, max_size=6).map(b"".join),
)
def test_ipc_fast_path_equals_the_scanner(
    data: st.DataObject, max_message: int, stream: bytes
) -> None:
    pieces = data.draw(split(stream))
    assert run_ipc(max_message, True, pieces) == run_ipc(max_message, False, pieces)
