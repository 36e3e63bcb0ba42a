"""Client-side byte builders and a server driver for the sans-io wire tests.

Requests are serialised with h11's client side and WebSocket frames with wsproto's
client side, so the tests speak to our server the way real libraries do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import h11
from wsproto import WSConnection
from wsproto.connection import ConnectionType
from wsproto.events import AcceptConnection, Request

from mocknode.wire.events import NEED_DATA, Closed, Message, NeedData
from mocknode.wire.http import HttpConnection, HttpOptions, Upgraded
from mocknode.wire.ws import WsConnection

JSON = [(b"Content-Type", b"application/json")]

# The mode-aware factories tests/wire/conftest.py hands out as fixtures.
NewHttp = Callable[..., HttpConnection]
ConnectWs = Callable[..., tuple[WSConnection, WsConnection]]


def request(
    method: bytes = b"POST",
    target: bytes = b"/",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    chunks: list[bytes] | None = None,
    http10: bool = False,
) -> bytes:
    """Bytes of one request as h11's client writes them (chunked when ``chunks``)."""
    client = h11.Connection(h11.CLIENT)
    hdrs = [(b"Host", b"localhost"), *(JSON if headers is None else headers)]
    if chunks is not None:
        hdrs.append((b"Transfer-Encoding", b"chunked"))
    elif body or method in (b"POST", b"PUT"):
        hdrs.append((b"Content-Length", str(len(body)).encode()))
    out = client.send(h11.Request(method=method, target=target, headers=hdrs))
    assert out is not None
    if http10:  # h11 only writes 1.1; rewrite the request line
        out = out.replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)
    for part in chunks if chunks is not None else ([body] if body else []):
        out += client.send(h11.Data(data=part)) or b""
    out += client.send(h11.EndOfMessage()) or b""
    return out


@dataclass
class Resp:
    status: int
    headers: dict[bytes, bytes]
    body: bytes = b""
    closes: bool = False


def parse_responses(data: bytes, head: bool = False) -> list[Resp]:
    """Every response in ``data`` (informational ones included), in order."""
    client = h11.Connection(h11.CLIENT)
    method = b"HEAD" if head else b"GET"
    client.send(h11.Request(method=method, target=b"/", headers=[(b"Host", b"localhost")]))
    client.send(h11.EndOfMessage())
    client.receive_data(data)
    out: list[Resp] = []
    while True:
        ev = client.next_event()
        if ev is h11.NEED_DATA or ev is h11.PAUSED or isinstance(ev, h11.ConnectionClosed):
            return out
        if isinstance(ev, h11.InformationalResponse | h11.Response):
            hdrs = {k: v for k, v in ev.headers}
            out.append(Resp(ev.status_code, hdrs, closes=b"close" in hdrs.get(b"connection", b"")))
        elif isinstance(ev, h11.Data):
            out[-1].body += ev.data
        elif isinstance(ev, h11.EndOfMessage):
            if client.our_state is h11.MUST_CLOSE or client.their_state is h11.MUST_CLOSE:
                return out
            client.start_next_cycle()
            client.send(h11.Request(method=method, target=b"/", headers=[(b"Host", b"localhost")]))
            client.send(h11.EndOfMessage())


def upper(payload: bytes) -> bytes | None:
    return payload.upper()


@dataclass
class Run:
    """What the server produced from some input."""

    events: list[object] = field(default_factory=list)
    out: bytes = b""

    @property
    def messages(self) -> list[bytes]:
        return [e.payload for e in self.events if isinstance(e, Message)]

    @property
    def closed(self) -> bool:
        return any(isinstance(e, Closed) for e in self.events)


def drive(
    conn: HttpConnection,
    *pieces: bytes,
    reply: Callable[[bytes], bytes | None] = upper,
    run: Run | None = None,
) -> Run:
    """Feed each piece and answer every message with ``reply``; stop at Closed/Upgraded."""
    run = run or Run()
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            ev = conn.next_event()
            run.out += conn.data_to_send()
            if isinstance(ev, NeedData):
                break
            run.events.append(ev)
            if isinstance(ev, Closed | Upgraded):
                return run
            assert isinstance(ev, Message)
            conn.respond(reply(ev.payload))
            run.out += conn.data_to_send()
    return run


def ws_client(target: str = "/") -> tuple[WSConnection, bytes]:
    """A wsproto client and the bytes of its upgrade request."""
    client = WSConnection(ConnectionType.CLIENT)
    return client, client.send(Request(host="localhost", target=target))


def ws_accept(client: WSConnection, data: bytes) -> None:
    client.receive_data(data)
    events = list(client.events())
    assert any(isinstance(e, AcceptConnection) for e in events), events


def connected_ws(options: HttpOptions) -> tuple[WSConnection, WsConnection]:
    """A wsproto client and the server connection its upgrade produced."""
    client, upgrade = ws_client("/")
    run = drive(HttpConnection(options), upgrade)
    event = run.events[-1]
    assert isinstance(event, Upgraded)
    ws_accept(client, event.ws.data_to_send())
    return client, event.ws


def pump(ws: WsConnection, *pieces: bytes) -> list[object]:
    """Feed pieces to a WebSocket connection; every event up to Closed."""
    events: list[object] = []
    for piece in pieces:
        ws.receive_data(piece)
        while True:
            ev = ws.next_event()
            if ev is NEED_DATA:
                break
            events.append(ev)
            if isinstance(ev, Closed):
                return events
    return events


def client_events(client: WSConnection, data: bytes) -> list[object]:
    client.receive_data(data)
    return list(client.events())
