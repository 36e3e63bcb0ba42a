"""The events every sans-io connection in :mod:`mocknode.wire` hands to its driver.

Each connection (:class:`~mocknode.wire.http.HttpConnection`,
:class:`~mocknode.wire.ws.WsConnection`, :class:`~mocknode.wire.ipc.IpcConnection`) is
driven the same way, as h11 and wsproto are: feed received bytes with ``receive_data``,
pull events with ``next_event`` until :data:`NEED_DATA`, and write whatever
``data_to_send()`` returns after every call. Sharing one small event vocabulary keeps the
trio driver in :mod:`mocknode.io` a single loop per transport instead of three dialects.

Protocol housekeeping (pongs, close handshakes, 4xx answers, 100-continue) never reaches
the driver as an event: the connection answers it itself and only queues the bytes.
"""

from __future__ import annotations

from typing import Any, Final

from mocknode.values import dataclass, field

# geth's read limit for WebSocket and IPC messages (32 MiB); both transports default to it.
DEFAULT_MAX_MESSAGE: Final = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class NeedData:
    """Nothing more can happen until more bytes (or EOF) are received."""


NEED_DATA: Final = NeedData()


@dataclass(frozen=True, slots=True)
class Message:
    """One complete inbound message for the session; its reply goes back by ``respond``
    (HTTP) or ``send_message`` (WebSocket, IPC).

    IPC has to parse each message to frame it, so it hands the result on: ``text`` is
    the message decoded (its first character the value's) and ``value`` what
    :func:`mocknode.jsonread.decode_first` makes of it, and the session answers from
    them instead of parsing ``payload`` again. ``text`` is None when there is no such
    value (HTTP, WebSocket, and the IPC messages :mod:`mocknode.wire.ipc` leaves to be
    parsed as bytes); ``value`` is then None too. Both derive from ``payload``, so they
    take no part in equality."""

    payload: bytes
    value: Any = field(default=None, compare=False, repr=False)
    text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that cannot be framed (IPC only). geth's stream decoder cannot resync after
    a syntax error, so it answers once and hangs up: the driver hands ``payload`` to the
    session for its parse-error reply, writes the reply, then closes."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection is over: flush ``data_to_send()`` and close the socket.

    ``reason`` is for logs only (``"eof"``, ``"bad request"``, ``"message too large"``...).
    """

    reason: str
