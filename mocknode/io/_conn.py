"""Per-connection plumbing shared by the TCP and unix-socket servers.

Every accepted stream gets one :class:`Connection`: the reading task (the transport
loop) and a single writer task joined by a bounded queue of ready-to-send bytes.

Why a queue and one writer, not a lock around ``send_all``: the session's ``push`` is
called from other tasks (the miner announcing a block to every subscriber). With a lock
a client that stops reading would block that caller inside ``send_all`` and stall the
notifications of every other client. Here ``push`` only enqueues, never waits; when a
client lets the queue fill up it is too slow and its connection is closed, alone.
Replies wait for queue space, which is plain back-pressure on that client's own reads.
Bytes are produced by the sans-io objects synchronously at enqueue time, so the order
on the wire is the order of the calls, as a lock would give.

Fast path: a reply written while nothing is queued or being written goes straight to
the socket from the reading task. Handing it to the writer task costs an extra trip
through trio's scheduler per request (~15-20% of an ``eth_blockNumber`` round trip);
the counters below keep the order exact, since a reply only bypasses the queue when
the queue is empty and the writer holds nothing in hand.

Failures stay inside their connection: :func:`run_connection` logs any exception and
closes that stream; the listener never sees it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Protocol

import trio

from mocknode.io.session import Push, Session
from mocknode.wire.events import Closed, Garbage, Message, NeedData

log = logging.getLogger("mocknode.io")

RECEIVE_SIZE = 65536
READS_PER_CHECKPOINT = 16
DEFAULT_MAX_QUEUED = 4096
FLUSH_TIMEOUT = 5.0
LINGER_TIMEOUT = 0.5
SESSION_CLOSE_TIMEOUT = 1.0


class MessageProtocol(Protocol):
    """What :func:`serve_messages` needs from a sans-io WebSocket or IPC connection."""

    def receive_data(self, data: bytes) -> None: ...

    def next_event(self) -> Message | Garbage | NeedData | Closed: ...

    def send_message(self, payload: bytes) -> None: ...

    def data_to_send(self) -> bytes: ...


class Connection:
    """One accepted stream: ``receive`` for the reading task, ``put`` for every writer."""

    def __init__(
        self, stream: trio.abc.HalfCloseableStream, scope: trio.CancelScope, max_queued: int
    ) -> None:
        self._stream = stream
        self._scope = scope
        self._send, self._recv = trio.open_memory_channel[bytes](max_queued)
        self._writer_scope = trio.CancelScope()
        self.closed = False
        self._unwritten = 0  # queued or in the writer's hands, not yet on the wire
        self._writing = False  # a send_all is in progress (reader or writer)
        self._turn = trio.Event()  # set when a direct write ends, to wake the writer
        # The raw non-blocking socket under a SocketStream, for the request/response fast
        # path below; None for any other stream (tests use memory streams).
        inner = getattr(stream, "socket", None)
        self._raw: socket.socket | None = getattr(inner, "_sock", None)
        self._reads_without_checkpoint = 0

    async def receive(self) -> bytes:
        """Next chunk from the peer; ``b""`` for EOF or a reset (both just end reading).

        On a socket, a read that finds data already there returns it at once: trio's
        stream layer would first pass through the scheduler (conflict detection, a
        checkpoint) even then, a cost paid on every request. Fairness is kept by a real
        checkpoint every :data:`READS_PER_CHECKPOINT` immediate reads, and a read that
        finds nothing waits in trio (cancellable) like any other.
        """
        raw = self._raw
        if raw is None:
            try:
                return bytes(await self._stream.receive_some(RECEIVE_SIZE))
            except trio.BrokenResourceError:
                return b""
        self._reads_without_checkpoint += 1
        if self._reads_without_checkpoint >= READS_PER_CHECKPOINT:
            self._reads_without_checkpoint = 0
            await trio.lowlevel.checkpoint()
        while True:
            try:
                return raw.recv(RECEIVE_SIZE)
            except BlockingIOError:
                self._reads_without_checkpoint = 0
                await trio.lowlevel.wait_readable(raw)
            except OSError:  # reset, or the socket was closed under us
                return b""

    async def _send_now(self, data: bytes) -> None:
        """Write ``data``: straight to the socket when it takes it all, else via trio."""
        raw = self._raw
        if raw is not None:
            try:
                sent = raw.send(data)
            except BlockingIOError:
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        await self._stream.send_all(data)

    async def put(self, data: bytes) -> None:
        """Write bytes from the reading task: directly when nothing is ahead of them,
        else through the queue, waiting for room (back-pressure on this client only)."""
        if not data:
            return
        if not self._unwritten and not self._writing and not self.closed:
            self._writing = True
            try:
                await self._send_now(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                self.abort()
            finally:
                self._writing = False
                self._turn.set()
            return
        self._unwritten += 1
        try:
            await self._send.send(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self._unwritten -= 1
            self.abort()

    def put_nowait(self, data: bytes) -> bool:
        """Queue bytes without waiting (pushes from other tasks); False if no room."""
        if not data or self.closed:
            return True
        try:
            self._send.send_nowait(data)
        except trio.WouldBlock:
            return False
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return True
        self._unwritten += 1
        return True

    def make_push(self, proto: MessageProtocol) -> Push:
        """The ``push`` handed to a WS or IPC session."""

        def push(payload: bytes) -> None:
            if self.closed:
                return  # the session learns of the end through close()
            proto.send_message(payload)
            if not self.put_nowait(proto.data_to_send()):
                log.warning("client is not reading; %d messages queued: closing it", self.queued)
                self.abort()

        return push

    @property
    def queued(self) -> int:
        return self._send.statistics().current_buffer_used

    def abort(self) -> None:
        """Drop the connection now (from any task): cancels reader and writer."""
        self.closed = True
        self._scope.cancel()

    def finish(self) -> None:
        """The reader is done: let the writer flush what is queued, then close."""
        self.closed = True
        self._send.close()
        self._writer_scope.deadline = min(
            self._writer_scope.deadline, trio.current_time() + FLUSH_TIMEOUT
        )

    async def write_loop(self) -> None:
        """The only task that writes to the stream."""
        with self._writer_scope:
            try:
                async with self._recv:
                    async for data in self._recv:
                        while self._writing:  # a direct write from the reader is on the wire
                            self._turn = trio.Event()
                            await self._turn.wait()
                        self._writing = True
                        try:
                            await self._stream.send_all(data)
                        finally:
                            self._writing = False
                            self._unwritten -= 1
                await self._linger()
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                log.debug("peer went away while writing: %r", exc)
                self.abort()

    async def _linger(self) -> None:
        """Half-close, then read until the peer closes (briefly), as Go's server does:
        closing with unread request bytes in our buffer sends a reset that can destroy
        the answer we just wrote (a 413 for a body we never read)."""
        await self._stream.send_eof()
        with trio.move_on_after(LINGER_TIMEOUT):
            while await self._stream.receive_some(RECEIVE_SIZE):
                pass


async def run_connection(
    stream: trio.abc.HalfCloseableStream,
    body: Callable[[Connection], Awaitable[None]],
    *,
    max_queued: int = DEFAULT_MAX_QUEUED,
) -> None:
    """Run one connection's reading ``body`` beside its writer; contain every failure."""
    try:
        async with trio.open_nursery() as nursery:
            conn = Connection(stream, nursery.cancel_scope, max_queued)
            nursery.start_soon(conn.write_loop)
            try:
                await body(conn)
            finally:
                conn.finish()
    except Exception:
        log.exception("connection failed; closing it")


async def serve_messages(conn: Connection, proto: MessageProtocol, session: Session) -> None:
    """Feed a message-oriented connection (WS, IPC) to its session, in order, until
    the peer or the protocol ends it. Garbage gets its one answer, then we hang up."""
    while True:
        event = proto.next_event()
        out = proto.data_to_send()
        if out:
            await conn.put(out)
        if isinstance(event, NeedData):
            proto.receive_data(await conn.receive())
            continue
        if isinstance(event, Closed):
            log.debug("connection closed: %s", event.reason)
            return
        reply = await session.handle(event.payload)
        if reply is not None:
            proto.send_message(reply)
            await conn.put(proto.data_to_send())
        if isinstance(event, Garbage):
            log.debug("unframeable input; answered and closing")
            return


async def close_session(session: Session) -> None:
    """Tell the session its connection ended, even while being cancelled (shutdown)."""
    with trio.CancelScope(shield=True) as scope:
        scope.deadline = trio.current_time() + SESSION_CLOSE_TIMEOUT
        try:
            await session.close()
        except Exception:
            log.exception("session.close() failed")
