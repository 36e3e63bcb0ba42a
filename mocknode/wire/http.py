"""Server side of one HTTP/1.1 connection carrying JSON-RPC, sans-io, on h11.

:class:`HttpConnection` turns request bytes into :class:`~mocknode.wire.events.Message`
events (one per JSON-RPC POST body) and answers everything else itself, the way geth's
``rpc/http.go`` does, so clients see the statuses and texts they already handle:

==========================================  ===============================================
request                                     answer
==========================================  ===============================================
path not under ``path_prefix``              404 ``404 page not found``
``Host`` a name not in ``allowed_hosts``    403 ``invalid host specified`` (geth's vhosts)
GET + ``Upgrade: websocket`` (+ Connection  :class:`Upgraded`: the connection becomes a
contains ``upgrade``)                       :class:`~mocknode.wire.ws.WsConnection`
GET without body or query string; HEAD      200, empty body (geth's health check)
OPTIONS                                     200 CORS preflight answer, empty body
any method but GET/HEAD/POST/OPTIONS        405 ``method not allowed``
``Content-Length`` > ``max_body``           413 ``content length too large (N>M)``, close
chunked body growing past ``max_body``      413 ``request body too large``, close
content type not JSON                       415 ``invalid content type, only
                                            application/json is supported``
POST (or GET with a body) with JSON type    :class:`Message`; :meth:`respond` sends 200
                                            ``application/json`` (empty body for ``None``)
bytes that are not HTTP                     400 ``400 Bad Request``, close
a head over ``max_header_bytes``            431 ``431 Request Header Fields Too Large``,
                                            close (whole or still arriving)
==========================================  ===============================================

Besides :meth:`HttpConnection.respond`, the layer above may answer a message with
:meth:`~HttpConnection.respond_status` (any final status, its own headers, keep-alive
or not: a fault's 429 or 502), :meth:`~HttpConnection.fail` (500 and close) or
:meth:`~HttpConnection.respond_out_of_band` (it wrote raw bytes itself).

Choices where geth and anvil differ (and why):

- Methods: geth only refuses PUT and DELETE (405) and lets e.g. PATCH fall through to
  the content-type check; we answer 405 for every method we do not serve, with an
  ``Allow`` header, since no client sends PATCH on purpose and 405 names the mistake.
- Path: ``path_prefix`` defaults to ``/``, which (as geth's prefix check does for
  ``--http.rpcprefix /``) accepts every path. A dev node that answers
  ``http://127.0.0.1:8545/anything`` saves users debugging copied provider URLs.
- Body limit: geth's default (5 MiB), not anvil's 2 MB. For a chunked body that outgrows
  it, geth answers a JSON-RPC error with status 200; we answer 413 like for a declared
  length, because retrying clients read the status, not the body.
- CORS: pages of this machine by default (``http://localhost``, ``http://127.0.0.1``,
  ``http://[::1]``, any port), not anvil's ``*``: with ``*`` any page on the web could
  drive the unlocked dev accounts. A listed ``Origin`` is echoed (with ``Vary:
  Origin``); ``("*",)`` answers ``*``; an empty tuple disables CORS headers like geth
  without ``--http.corsdomain``. A WebSocket upgrade whose ``Origin`` is not in
  ``ws_origins`` gets geth's ``403 Forbidden`` (no ``Origin``: not a browser, served).
- Host: geth's ``--http.vhosts`` rule with geth's default (``localhost``; any IP
  address passes), checked after the path and the WebSocket upgrade as geth's handler
  stack does; a refusal carries no CORS headers (geth's vhost handler runs first).
- Error answers copy Go's ``http.Error``: ``text/plain; charset=utf-8``, ``nosniff``, and
  the text followed by a newline.

Keep-alive and pipelining come from h11: one request is answered before the next is
parsed. A rejected request's body is read and dropped to keep the connection usable,
unless the client waits for ``100 Continue`` or the body is too large; then we close.

Fast path: h11 costs ~100-200 µs per request on the reference machine (event objects,
header validation by regex, state transitions), more than a whole ``eth_blockNumber``
round trip of anvil. Nearly every JSON-RPC request is the same shape: ``POST``,
HTTP/1.1, a ``Host``, a ``Content-Length``, a JSON content type, nothing else that
changes framing. Such requests are recognised by
:func:`~mocknode.wire._http_head.simple_request` (a few C-level scans) and answered with
pre-built header bytes identical to what h11 would write. Every rule that decides an
answer (path prefix, content type, body limit) is one function in
:mod:`mocknode.wire._http_head` that both paths call; the fast path only uses them to
decide a request is plain and leaves every refusal to h11.
The first request that is not of that shape (chunked body, ``Expect``, ``Upgrade``,
``Connection: close``, HTTP/1.0, a bad header, any error answer ...) hands the
connection, with every unparsed byte, to h11 for good, so every unusual case keeps
exactly h11's behaviour and the fast path never has to be right about them; it hands
over at the byte where h11 would act (an obviously bad request line is refused at
once), so even the timing of an error answer is h11's. ``HttpOptions(fast_path=False)``
uses h11 from the first byte; ``tests/wire/test_wire_fastpath_equal.py`` feeds both
modes the same split byte streams and requires the same events and bytes at every step.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from mocknode.values import dataclass, field
from mocknode.wire._http_head import (
    ACCEPTED_CONTENT_TYPES,
    encode_header,
    host_allowed,
    is_json_content_type,
    origin_allowed,
    oversize_text,
    path_allowed,
    simple_request,
)
from mocknode.wire._lazy import LazyModule
from mocknode.wire.events import DEFAULT_MAX_MESSAGE, NEED_DATA, Closed, Message, NeedData
from mocknode.wire.fastpath import FastPathBuffer

if TYPE_CHECKING:
    import h11

    from mocknode.wire.ws import WsConnection
else:  # imported on the first request the fast path hands over
    h11 = LazyModule("h11")

DEFAULT_MAX_BODY = 5 * 1024 * 1024
# Safe defaults (docs/limits.md): pages and names of this machine only.
LOCAL_ORIGINS = ("http://localhost", "http://127.0.0.1", "http://[::1]")
LOCAL_HOSTS = ("localhost",)
TEXT_403_HOST = "invalid host specified"  # geth's answer to a Host not in --http.vhosts
SERVED_METHODS = (b"GET", b"HEAD", b"POST", b"OPTIONS")
_REASONS = {int(s): s.phrase.encode() for s in HTTPStatus}
TEXT_415 = "invalid content type, only application/json is supported"
# Framing headers belong to this module: a status reply's own are dropped.
_FRAMING_HEADERS = frozenset((b"content-length", b"transfer-encoding", b"connection"))

_NOT_PLAIN: tuple[int, bytes | None] = (-1, None)  # a judged head the fast path leaves to h11
_PLAIN_HEADS_SIZE = 64

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "HttpConnection",
    "HttpOptions",
    "Upgraded",
    "encode_header",
]


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """What the HTTP port accepts; every field is a user-visible knob of the node."""

    max_body: int = DEFAULT_MAX_BODY
    max_ws_message: int = DEFAULT_MAX_MESSAGE
    # Browser pages allowed to call: CORS answers (``*`` any, ``()`` no CORS headers) and
    # WebSocket upgrades carrying an ``Origin`` (``*`` any). Rules as
    # :func:`~mocknode.wire._http_head.origin_allowed` reads them, lower-case.
    cors_origins: tuple[str, ...] = LOCAL_ORIGINS
    ws_origins: tuple[str, ...] = LOCAL_ORIGINS
    # geth's --http.vhosts: Host names served (IP addresses always are), lower-case.
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    path_prefix: str = "/"
    max_header_bytes: int = 64 * 1024
    # False: h11 (and wsproto after an upgrade) read every request from the first byte.
    # Same bytes out either way (proven by tests/wire/test_wire_fastpath_equal.py); the
    # switch exists to debug the fast paths and to prove them equal.
    fast_path: bool = True


@dataclass(frozen=True, slots=True)
class Upgraded:
    """The request was a WebSocket upgrade: continue with ``ws`` (its ``data_to_send()``
    holds the ``101`` and it has been fed any bytes that followed the request)."""

    ws: WsConnection
    target: bytes = field(default=b"/")


class HttpConnection:
    """One keep-alive HTTP/1.1 server connection.

    Drive it like h11: ``receive_data(bytes)`` (``b""`` for EOF), ``next_event()``, and
    write ``data_to_send()`` after every call. After a :class:`Message`, call
    :meth:`respond` (or :meth:`fail`) before asking for the next event.
    """

    def __init__(self, options: HttpOptions | None = None) -> None:
        self._opts = options or HttpOptions()
        self._h11_conn: h11.Connection | None = None
        self._out: list[bytes] = []
        self._closed: Closed | None = None
        self._awaiting_reply = False
        self._mode = "idle"  # idle | body | discard | upgrade
        self._body: list[bytes] = []
        self._body_size = 0
        self._request: h11.Request | None = None
        # Fast path state: bytes not yet parsed, and the Origin of the request owed a reply.
        self._pending = FastPathBuffer(self._opts.fast_path)
        self._fed = 0  # bytes given to h11
        self._fast_origin: bytes | None = None
        # Heads seen on this connection, judged against its options: a keep-alive client
        # repeats the same few heads, so a request costs one dict lookup (bounded).
        self._plain_heads: dict[bytes, tuple[int, bytes | None]] = {}
        # "HTTP/1.1 200 OK" plus the headers before Content-Length, per request origin:
        # built once, since a client's origin rarely changes between its requests.
        self._ok_heads: dict[bytes | None, bytes] = {}

    @property
    def _h11(self) -> h11.Connection:
        """h11's connection, made when the first unusual request needs it."""
        conn = self._h11_conn
        if conn is None:
            conn = self._h11_conn = h11.Connection(
                h11.SERVER, max_incomplete_event_size=self._opts.max_header_bytes
            )
        return conn

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the socket; ``b""`` means the peer closed its side."""
        if self._closed is not None:
            return
        if self._pending.active:
            self._pending.feed(data)
        else:
            self._feed_h11(data)

    def _feed_h11(self, data: bytes) -> None:
        """h11 gets bytes (``b""``: EOF), counted: the size of a whole request head is
        the bytes h11 consumed to produce it (see :meth:`next_event`)."""
        self._fed += len(data)
        self._h11.receive_data(data)

    @property
    def between_requests(self) -> bool:
        """True when no byte of a next request has arrived (for idle timeouts)."""
        if self._pending.active:
            return not self._pending.buffer
        conn = self._h11_conn
        return conn is None or (conn.their_state is h11.IDLE and not conn.trailing_data[0])

    @property
    def _fast(self) -> bool:
        return self._pending.active

    def _to_h11(self) -> None:
        """Give up the fast path: h11 gets every byte not parsed yet, and keeps them."""
        self._pending.hand_over(self._feed_h11, lambda: self._feed_h11(b""))

    def _fast_event(self) -> Message | NeedData | None:
        """The next plain JSON POST from the buffer, NEED_DATA, or None to use h11."""
        buffer = self._pending.buffer
        if not buffer:
            return NEED_DATA  # next_event has handled EOF on an empty buffer
        eof = self._pending.eof
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if eof or len(buffer) > self._opts.max_header_bytes or _h11_would_act(buffer):
                return None
            return NEED_DATA
        head = bytes(buffer[:end])
        plain = self._plain_heads.get(head)
        if plain is None:
            plain = self._judge(head)
            if len(self._plain_heads) >= _PLAIN_HEADS_SIZE:
                self._plain_heads.clear()
            self._plain_heads[head] = plain
        length, origin = plain
        if length < 0 or len(head) > self._opts.max_header_bytes:
            return None
        start = end + 4
        if len(buffer) < start + length:
            return None if eof else NEED_DATA
        payload = bytes(buffer[start : start + length])
        del buffer[: start + length]
        self._fast_origin = origin
        self._awaiting_reply = True
        return Message(payload)

    def _judge(self, head: bytes) -> tuple[int, bytes | None]:
        """(content length, Origin) if the fast path may serve a request with this head,
        else ``_NOT_PLAIN``. The same rules as :meth:`_on_request`'s, through the same
        functions; any refusal is left to h11's side to answer."""
        parsed = simple_request(head)
        if parsed is None:
            return _NOT_PLAIN
        target, length, origin, json_type, host = parsed
        if (
            not json_type
            or oversize_text(length, self._opts.max_body) is not None
            or not path_allowed(target, self._opts.path_prefix)
            or not host_allowed(host, self._opts.allowed_hosts)
        ):
            return _NOT_PLAIN
        return length, origin

    def data_to_send(self) -> bytes:
        """Bytes queued for the socket since the last call."""
        out = b"".join(self._out)
        self._out.clear()
        return out

    def next_event(self) -> Message | Upgraded | NeedData | Closed:
        """Advance until something needs the driver: a message, more data, or the end."""
        if self._awaiting_reply:
            raise RuntimeError("respond() to the current message before next_event()")
        if self._fast and self._closed is None:
            if self._pending.eof and not self._pending.buffer:
                return self._finish("eof")
            fast = self._fast_event()
            if fast is not None:
                return fast
            self._to_h11()
        while self._closed is None:
            if self._h11.our_state in (h11.MUST_CLOSE, h11.CLOSED):
                return self._finish("connection close")
            if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
                self._h11.start_next_cycle()
                self._mode = "idle"
            h = self._h11
            start = self._fed - len(h.trailing_data[0]) if h.their_state is h11.IDLE else 0
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                return self._bad_request(exc)
            if isinstance(event, h11.Request):
                # h11 limits only a head still arriving; a whole one that arrived in one
                # read is held to the same bound here (the head without its blank line).
                head_size = self._fed - len(h.trailing_data[0]) - start - 4
                if head_size > self._opts.max_header_bytes:
                    self._request = None
                    self._send_error(431, "431 Request Header Fields Too Large", close=True)
                    return self._finish("request head too large")
            if event is h11.NEED_DATA:
                return NEED_DATA
            if isinstance(event, h11.ConnectionClosed):
                return self._finish("eof")
            if isinstance(event, h11.Request):
                self._on_request(event)
            elif isinstance(event, h11.Data):
                self._on_data(event.data)
            elif isinstance(event, h11.EndOfMessage):
                result = self._on_end()
                if result is not None:
                    return result
            else:  # PAUSED with no reply owed cannot happen; refuse to spin.
                raise RuntimeError(f"unexpected h11 event {event!r} in mode {self._mode}")
        return self._closed

    def respond(self, reply: bytes | None) -> None:
        """Answer the current :class:`Message`: 200, ``application/json``, ``reply``."""
        self._require_reply()
        if self._fast:
            self._awaiting_reply = False
            body = reply or b""
            head = self._ok_heads.get(self._fast_origin)
            if head is None:
                cors = b"".join(name + b": " + value + b"\r\n" for name, value in self._cors())
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + cors
                self._ok_heads[self._fast_origin] = head
            self._out.append(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            return
        headers = [(b"Content-Type", b"application/json"), *self._cors()]
        self._send(200, reply or b"", headers)

    def respond_status(
        self,
        status: int,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        *,
        keep_alive: bool = True,
    ) -> None:
        """Answer the current :class:`Message` with any final status (a fault's 429 with
        ``Retry-After``, a gateway's 502 page...).

        ``Content-Type`` defaults to ``text/plain; charset=utf-8``; the usual CORS headers
        are added unless ``headers`` sets ``Access-Control-Allow-Origin``; framing headers
        in ``headers`` (``Content-Length``, ``Transfer-Encoding``, ``Connection``) are
        dropped: the length written is always the body's, and ``keep_alive=False`` adds
        ``Connection: close`` and ends the connection after this answer. Raises ValueError
        (before anything is queued) for a status or header HTTP cannot carry.
        """
        self._require_reply()
        if not 200 <= status <= 599:
            raise ValueError(f"HTTP status {status} is not a final status (200-599)")
        if status in (204, 304) and body:
            raise ValueError(f"HTTP status {status} cannot carry a body")
        given = [encode_header(name, value) for name, value in headers]
        names = {name.lower() for name, _ in given}
        out: list[tuple[bytes, bytes]] = []
        if b"content-type" not in names:
            out.append((b"Content-Type", b"text/plain; charset=utf-8"))
        if b"access-control-allow-origin" not in names:
            out += self._cors()
        out += [(name, value) for name, value in given if name.lower() not in _FRAMING_HEADERS]
        if not keep_alive:
            out.append((b"Connection", b"close"))
        self._write_response(status, body, out)
        if not keep_alive:
            self._finish("connection close")

    def respond_out_of_band(self) -> None:
        """Count the current :class:`Message` as answered by bytes HTTP did not frame (a
        fault's raw bytes), so that the next request can be read."""
        self._require_reply()
        if self._fast:
            self._awaiting_reply = False
            return
        # h11 must see a response to move on; the bytes it writes are not sent.
        self._send(200, b"", [])
        self._out.clear()

    def fail(self, status: int = 500, text: str = "internal server error") -> None:
        """Answer the current :class:`Message` with an error status and close, for when
        the session itself failed."""
        self._require_reply()
        self._send_error(status, text, close=True)
        self._finish("failed")

    def _write_response(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """Queue a whole response with these headers and a Content-Length: by hand on
        the fast path (the bytes h11 would write, which the equality tests check), else
        through h11."""
        if not self._fast:
            self._send(status, body, headers)
            return
        self._awaiting_reply = False
        head = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self._out.append(head + lines + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    # -- request handling ------------------------------------------------------------

    def _on_request(self, req: h11.Request) -> None:
        self._request = req
        self._body.clear()
        self._body_size = 0
        method = req.method.upper()
        query = req.target.partition(b"?")[2]
        if not path_allowed(req.target, self._opts.path_prefix):
            return self._reject(404, "404 page not found")
        if method == b"GET" and _is_websocket(req):
            self._mode = "upgrade"
            return None
        if not host_allowed(_header(req, b"host"), self._opts.allowed_hosts):
            return self._reject(403, TEXT_403_HOST, cors=False)
        if method not in SERVED_METHODS:
            return self._reject(405, "method not allowed", [(b"Allow", b"GET, POST, OPTIONS")])
        length = _content_length(req)
        chunked = _header(req, b"transfer-encoding") is not None
        if method == b"HEAD" or (method == b"GET" and not length and not chunked and not query):
            return self._early_answer(200, b"", self._cors())
        too_large = None if length is None else oversize_text(length, self._opts.max_body)
        if too_large is not None:
            self._send_error(413, too_large, close=True)
            return None
        if method == b"OPTIONS":
            return self._early_answer(200, b"", self._preflight_headers())
        if not is_json_content_type(_header(req, b"content-type")):
            return self._reject(415, TEXT_415)
        self._mode = "body"
        if self._h11.they_are_waiting_for_100_continue:
            go_on = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
            self._out.append(self._h11.send(go_on))
        return None

    def _on_data(self, data: bytes) -> None:
        self._body_size += len(data)
        if self._body_size > self._opts.max_body:
            if self._mode == "body":
                self._body.clear()
                self._send_error(413, "request body too large", close=True)
            else:
                self._finish("discarded body too large")
            return
        if self._mode == "body":
            self._body.append(data)

    def _on_end(self) -> Message | Upgraded | Closed | None:
        if self._mode == "body":
            self._awaiting_reply = True
            payload = b"".join(self._body)
            self._body.clear()
            return Message(payload)
        if self._mode == "upgrade":
            return self._upgrade()
        return None  # discard: the answer is already out; loop starts the next cycle

    def _upgrade(self) -> Upgraded | Closed:
        from mocknode.wire.ws import WsHandshakeError, accept_upgrade

        req = self._request
        assert req is not None
        try:
            ws = accept_upgrade(
                req.headers,
                req.target,
                max_message=self._opts.max_ws_message,
                fast_path=self._opts.fast_path,
            )
        except WsHandshakeError as exc:
            self._send_error(exc.status, exc.text, close=True)
            return self._finish("bad websocket upgrade")
        origin = _header(req, b"origin")
        if origin is not None and not origin_allowed(origin, self._opts.ws_origins):
            # geth (gorilla's Upgrader): 403, its status text, and the version it speaks.
            version = [(b"Sec-Websocket-Version", b"13")]
            self._send_error(403, "Forbidden", version, close=True, cors=False)
            return self._finish("websocket origin not allowed")
        trailing, _ = self._h11.trailing_data
        if trailing:
            ws.receive_data(trailing)
        self._closed = Closed("upgraded to websocket")
        return Upgraded(ws, req.target)

    # -- answers -----------------------------------------------------------------------

    def _reject(
        self,
        status: int,
        text: str,
        extra: list[tuple[bytes, bytes]] | None = None,
        *,
        cors: bool = True,
    ) -> None:
        close = self._h11.they_are_waiting_for_100_continue
        self._send_error(status, text, extra, close=close, cors=cors)

    def _early_answer(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        close = self._h11.they_are_waiting_for_100_continue
        self._send(status, body, headers + ([(b"Connection", b"close")] if close else []))

    def _send_error(
        self,
        status: int,
        text: str,
        extra: list[tuple[bytes, bytes]] | None = None,
        *,
        close: bool = False,
        cors: bool = True,
    ) -> None:
        """Go's ``http.Error`` answer; the only path to it on the fast path is :meth:`fail`.
        ``cors=False`` for the answers geth gives before its CORS handler runs."""
        headers = [
            (b"Content-Type", b"text/plain; charset=utf-8"),
            (b"X-Content-Type-Options", b"nosniff"),
            *(self._cors() if cors else []),
            *(extra or []),
        ]
        if close:
            headers.append((b"Connection", b"close"))
        self._write_response(status, (text + "\n").encode(), headers)

    def _send(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """Write a whole response; afterwards drop the rest of the request body."""
        self._awaiting_reply = False
        req = self._request
        if req is not None and req.method.upper() == b"HEAD":
            body = b""
        headers = [*headers, (b"Content-Length", str(len(body)).encode())]
        reason = _REASONS.get(status, b"")
        response = h11.Response(status_code=status, headers=headers, reason=reason)
        self._out.append(self._h11.send(response))
        if body:
            self._out.append(self._h11.send(h11.Data(data=body)))
        self._out.append(self._h11.send(h11.EndOfMessage()))
        self._mode = "discard"

    def _bad_request(self, exc: h11.RemoteProtocolError) -> Closed:
        if self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            status = exc.error_status_hint
            phrase = _REASONS.get(status, b"").decode()
            try:
                self._request = None
                self._send_error(status, f"{status} {phrase}".strip(), close=True)
            except h11.LocalProtocolError:  # pragma: no cover - state allowed it above
                pass
        return self._finish(f"bad request: {exc}")

    def _require_reply(self) -> None:
        if not self._awaiting_reply:
            raise RuntimeError("no message is waiting for a reply")

    def _finish(self, reason: str) -> Closed:
        self._mode = "closed"
        if self._closed is None:
            self._closed = Closed(reason)
        return self._closed

    # -- CORS --------------------------------------------------------------------------

    def _cors(self) -> list[tuple[bytes, bytes]]:
        allowed = self._opts.cors_origins
        if not allowed:
            return []
        if "*" in allowed:
            return [(b"Access-Control-Allow-Origin", b"*")]
        if self._fast:
            origin = self._fast_origin
        else:
            origin = _header(self._request, b"origin") if self._request else None
        if origin is not None and origin_allowed(origin, allowed):
            return [(b"Access-Control-Allow-Origin", origin), (b"Vary", b"Origin")]
        return [(b"Vary", b"Origin")]

    def _preflight_headers(self) -> list[tuple[bytes, bytes]]:
        headers = self._cors()
        if not any(name == b"Access-Control-Allow-Origin" for name, _ in headers):
            return headers
        req = self._request
        asked = _header(req, b"access-control-request-headers") if req else None
        return [
            *headers,
            (b"Access-Control-Allow-Methods", b"GET, POST, OPTIONS"),
            (b"Access-Control-Allow-Headers", asked or b"Content-Type"),
            (b"Access-Control-Max-Age", b"600"),
        ]


def _h11_would_act(buffer: bytearray) -> bool:
    """Whether h11 would answer this incomplete-looking head already: it refuses a
    request line starting with a control byte or space at once, and ends a head at a
    bare-LF blank line too (``\\n\\n``, ``\\n\\r\\n``). Handing such input over keeps
    the 400 as early as h11 sends it."""
    return (bool(buffer) and buffer[0] < 0x21) or b"\n\n" in buffer or b"\n\r\n" in buffer


def _header(req: h11.Request, name: bytes) -> bytes | None:
    """First value of a header; h11 already lower-cases names."""
    for key, value in req.headers:
        if key == name:
            return bytes(value)
    return None


def _content_length(req: h11.Request) -> int | None:
    value = _header(req, b"content-length")
    return int(value) if value is not None else None  # h11 validated the digits


def _is_websocket(req: h11.Request) -> bool:
    """geth's ``isWebsocket``: ``Upgrade: websocket`` and ``Connection`` names upgrade."""
    upgrade = (_header(req, b"upgrade") or b"").strip().lower()
    connection = (_header(req, b"connection") or b"").lower()
    return upgrade == b"websocket" and b"upgrade" in connection
