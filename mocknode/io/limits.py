"""What one listener allows its connections: sizes of queues, timeouts, how many.

One frozen value per node (``NodeConfig.limits``), handed to every listener. The
defaults are geth's where geth has one, and documented in ``docs/limits.md``:

- ``max_queued_bytes`` (32 MiB) and ``write_timeout`` (10 s, geth's RPC write timeout):
  a WebSocket or IPC client owed more than ``max_queued_bytes`` of notifications, or
  whose socket takes nothing for ``write_timeout`` seconds, is not reading and is
  closed, alone (see :mod:`mocknode.io._conn`). A client that reads keeps every message:
  the writer sends everything queued in one write per wake-up.
- ``read_timeout`` (30 s, geth's ``ReadHeaderTimeout`` and ``ReadTimeout``, which are
  equal): an HTTP request must arrive whole, head and body, within that many seconds of
  its first byte (or of the connection's start); else the connection is closed.
- ``idle_timeout`` (120 s, geth's ``IdleTimeout``): a kept-alive HTTP connection with
  no request under way is closed after that long. Both timeouts are enforced by one
  :class:`~mocknode.io._conn.Watchdog` task per listener (no per-request timer), so
  they fire up to half a timeout late (two ticks of a quarter of the shortest), never
  early. WebSocket and IPC connections have
  none: a subscriber waits for blocks as long as it likes (as on geth).
- ``max_connections`` (1000) and ``max_connections_per_address`` (0: no cap of its
  own; on a dev node every client is 127.0.0.1): connections past either are refused
  at once, HTTP and WebSocket with ``503 too many connections`` (what a proxy in front
  of a full geth answers), IPC by closing the socket. IPC connections count towards the
  total, under the address ``"ipc"``.

- ``busy_poll`` (seconds; 0: off; the ``mocknode`` command's default is 200 µs, given
  there in microseconds): how long a connection's reading task keeps polling its socket
  without blocking after an answer, for a client that sends its next request at once
  (:mod:`mocknode.io._quiet` says why and what it costs). Not a limit on the client but
  on the node's own spinning; it sits here because every listener hands these values to
  each connection it serves.

``None`` or 0 turns a limit off (for the timeouts: ``None``).
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from mocknode.values import dataclass

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_QUEUED_BYTES",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_WRITE_TIMEOUT",
    "ConnLimits",
    "ConnSlots",
]

DEFAULT_MAX_QUEUED_BYTES: Final = 32 * 1024 * 1024
DEFAULT_WRITE_TIMEOUT: Final = 10.0
DEFAULT_READ_TIMEOUT: Final = 30.0
DEFAULT_IDLE_TIMEOUT: Final = 120.0
DEFAULT_MAX_CONNECTIONS: Final = 1000


@dataclass(frozen=True, slots=True)
class ConnLimits:
    """The connection limits of a node's listeners (module docstring)."""

    max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES
    write_timeout: float | None = DEFAULT_WRITE_TIMEOUT
    read_timeout: float | None = DEFAULT_READ_TIMEOUT
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_address: int = 0
    busy_poll: float = 0.0


class ConnSlots:
    """Open connections, counted per address and in all, against a :class:`ConnLimits`:
    shared by all of a node's listeners so the total spans HTTP, WebSocket and IPC."""

    def __init__(self, limits: ConnLimits) -> None:
        self._limits = limits
        self._per_address: Counter[str] = Counter()
        self.open = 0

    def take(self, address: str) -> bool:
        """Count a new connection from ``address``; False (nothing counted) if a cap is
        reached."""
        limits = self._limits
        if limits.max_connections and self.open >= limits.max_connections:
            return False
        per = limits.max_connections_per_address
        if per and self._per_address[address] >= per:
            return False
        self.open += 1
        self._per_address[address] += 1
        return True

    def give_back(self, address: str) -> None:
        self.open -= 1
        left = self._per_address[address] - 1
        if left:
            self._per_address[address] = left
        else:
            del self._per_address[address]


def peer_address(peer: str) -> str:
    """The address part of a :class:`~mocknode.io.session.ConnInfo` peer
    (``"127.0.0.1:5555"`` → ``"127.0.0.1"``, ``"[::1]:5555"`` → ``"::1"``); an IPC peer
    counts as ``"ipc"``."""
    if peer.startswith("["):
        return peer[1 : peer.find("]")]
    host, sep, port = peer.rpartition(":")
    if sep and port.isdigit():
        return host
    return "ipc"
