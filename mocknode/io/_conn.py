"""Per-connection plumbing shared by the TCP and unix-socket servers.

Every accepted stream gets one :class:`Connection`: the reading task (the transport
loop) and a single writer task joined by a queue of ready-to-send bytes.

Why a queue and one writer, not a lock around ``send_all``: the session's ``push`` is
called from other tasks (the miner announcing a block to every subscriber). With a lock
a client that stops reading would block that caller inside ``send_all`` and stall the
notifications of every other client. Here ``push`` only enqueues, never waits.
Bytes are produced by the sans-io objects synchronously at enqueue time, so the order
on the wire is the order of the calls, as a lock would give.

Fairness (issue 11): the writer takes *everything* queued each time it wakes and writes
it in one send. Writing one message per wake-up, as a channel reader does, let twenty
HTTP clients (each transaction a block, each block a notification) queue twenty
messages per scheduler pass while the writer sent one, and a subscriber reading as fast
as it could was dropped as "not reading". Now a client that reads keeps every message.
A client that does not read is closed, alone, when either bound of
:class:`~mocknode.io.limits.ConnLimits` is passed: more than ``max_queued_bytes`` owed
(a push that would pass it closes the connection; replies instead wait for room, which
is plain back-pressure on that client's own reads), or a write that the socket does not
take within ``write_timeout`` seconds. One message larger than the bound alone is still
sent (a 25 MB batch answer).

Fast path: a reply written while nothing is queued or being written goes straight to
the socket from the reading task. Handing it to the writer task costs an extra trip
through trio's scheduler per request (~15-20% of an ``eth_blockNumber`` round trip);
the counters below keep the order exact, since a reply only bypasses the queue when
the queue is empty and the writer holds nothing in hand. On a stream that is exactly a
:class:`trio.SocketStream` (a type check: a wrapped stream is never mistaken for one),
reads and writes that the kernel can satisfy at once also skip trio's stream layer and
use the socket's file descriptor directly. Any other stream (a fault layer's wrapper,
memory streams in tests) takes trio's general path for everything.

The connection-level actions replies need live here, once, for every transport:
:meth:`Connection.hang_up` (FIN after what is queued), :meth:`Connection.reset` (RST),
:meth:`Connection.idle` (a stall), :meth:`Connection.put_paced` (a dribble), and
:func:`apply_accept_reply` for a reply chosen before anything was read.

Failures stay inside their connection: :func:`run_connection` logs any exception and
closes that stream; the listener never sees it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import struct
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

import trio

from mocknode.io._quiet import Poller, wait_alone
from mocknode.io.limits import DEFAULT_MAX_QUEUED_BYTES, DEFAULT_WRITE_TIMEOUT
from mocknode.io.reply import (
    CloseConnection,
    Delayed,
    RawBytes,
    Reply,
    ResetConnection,
    Stall,
    WsClose,
)
from mocknode.io.session import Push, Session
from mocknode.values import dataclass
from mocknode.wire.events import Closed, Garbage, Message, NeedData

log = logging.getLogger("mocknode.io")

RECEIVE_SIZE = 65536
READS_PER_CHECKPOINT = 16
FLUSH_TIMEOUT = 5.0
LINGER_TIMEOUT = 0.5
SESSION_CLOSE_TIMEOUT = 1.0
_LINGER_ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class MessageProtocol(Protocol):
    """What the WS and IPC loops need from a sans-io connection."""

    def receive_data(self, data: bytes) -> None: ...

    def next_event(self) -> Message | Garbage | NeedData | Closed: ...

    def send_message(self, payload: bytes) -> None: ...

    def data_to_send(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _Paced:
    """Bytes the writer sends a chunk at a time, ``interval`` seconds apart."""

    chunks: tuple[bytes, ...]
    interval: float

    @property
    def seconds(self) -> float:
        return self.interval * (len(self.chunks) - 1)


class _ResetMark:
    """Queued after bytes that must reach the peer before an abortive close."""


_RESET: Final = _ResetMark()


async def wait_delayed(reply: Delayed) -> None:
    """A :class:`Delayed` reply's wait: its seconds, then its ``until`` if any."""
    if reply.seconds:
        await trio.sleep(reply.seconds)
    if reply.until is not None:
        await reply.until()


class Connection:
    """One accepted stream: ``receive`` for the reading task, ``put`` for every writer."""

    def __init__(
        self,
        stream: trio.abc.HalfCloseableStream,
        scope: trio.CancelScope,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        *,
        write_timeout: float | None = DEFAULT_WRITE_TIMEOUT,
        busy_poll: float = 0.0,
        shortcut: bool = True,
        reset_socket: trio.socket.SocketType | None = None,
    ) -> None:
        self._stream = stream
        self._scope = scope  # the whole connection: reader and writer
        self._reader_scope = trio.CancelScope()  # the reading task and what it started
        self._queue: deque[bytes | _Paced | _ResetMark] = deque()
        self._queued_bytes = 0  # bytes in the queue (not yet taken by the writer)
        self._max_bytes = max_queued_bytes
        self._write_timeout = math.inf if write_timeout is None else write_timeout
        self._wake = trio.Event()  # set when something is queued, or the reader is done
        self._room = trio.Event()  # set when the writer takes bytes off the queue
        self._finished = False
        self._writer_scope = trio.CancelScope()
        self.closed = False
        self._unwritten = 0  # queued or in the writer's hands, not yet on the wire
        self._writing = False  # a send is in progress (reader or writer)
        self._direct = False  # ... and it is a direct one, from inside the reader's scope
        self._hang_up_pending = False
        self._paced_seconds = 0.0  # pacing still ahead in the queue (extends the flush)
        self._turn = trio.Event()  # set when a direct write ends, to wake the writer
        # The socket's descriptor for the request/response fast path below, only for
        # exactly a SocketStream; -1 for any other stream.
        self._fd = stream.socket.fileno() if shortcut and type(stream) is trio.SocketStream else -1
        self._reset_socket = reset_socket
        self._reads_without_checkpoint = 0
        # Used only on the descriptor path (fd >= 0).
        self._poller = Poller(self._fd, busy_poll)
        self._waits_first = False  # the peer's last read found nothing (see receive)
        # When the wait for the peer's next bytes must end (trio time), for the
        # :class:`Watchdog` to enforce; set by the transport loop, inf while it works.
        self.wait_deadline = math.inf

    async def receive(self) -> bytes:
        """Next chunk from the peer; ``b""`` for EOF or a reset (both just end reading).

        On a socket, a read that finds data already there returns it at once: trio's
        stream layer would first pass through the scheduler (conflict detection, a
        checkpoint) even then, a cost paid on every request. A read that finds nothing
        first tries a quiet wait (:mod:`mocknode.io._quiet`: blocking in ``poll`` while
        nothing else in the run has work), then waits in trio (cancellable) like any
        other. Fairness is kept by a real checkpoint every :data:`READS_PER_CHECKPOINT`
        reads that did not go through trio's wait.

        A peer whose last read found nothing (a sequential client: its next request
        comes after our answer) is waited for first and read after: the read that
        would find nothing again cost a system call and a ``BlockingIOError`` per
        request. A wait finds bytes already there at once, so a peer that turns out
        to be ahead loses nothing; one whose read finds bytes without waiting is read
        first again.
        """
        fd = self._fd
        if fd < 0:
            try:
                return bytes(await self._stream.receive_some(RECEIVE_SIZE))
            except trio.BrokenResourceError:
                return b""
        self._reads_without_checkpoint += 1
        if self._reads_without_checkpoint >= READS_PER_CHECKPOINT:
            self._reads_without_checkpoint = 0
            await trio.lowlevel.checkpoint()
        # One quiet wait per call at most: one that ran out is not repeated at once.
        quiet_tried = self._waits_first
        if quiet_tried:
            wait_alone(self._poller)  # whatever ended it, the read below tells
        while True:
            try:
                data = os.read(fd, RECEIVE_SIZE)
            except BlockingIOError:
                self._waits_first = True
                if not quiet_tried:
                    quiet_tried = True
                    if wait_alone(self._poller):
                        continue  # counted as an immediate read: see mocknode.io._quiet
                self._reads_without_checkpoint = 0
                await trio.lowlevel.wait_readable(fd)
                continue
            except OSError:  # reset, or the socket was closed under us
                return b""
            if not quiet_tried:
                self._waits_first = False
            return data

    async def _send_now(self, data: bytes) -> None:
        """Write ``data``: straight to the socket when it takes it all, else via trio,
        within :attr:`_write_timeout` (a peer that takes nothing for that long is
        dropped: it is not reading)."""
        fd = self._fd
        if fd >= 0:
            try:
                sent = os.write(fd, data)
            except BlockingIOError:
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        with trio.move_on_after(self._write_timeout) as timer:
            await self._stream.send_all(data)
        if timer.cancelled_caught:
            log.warning(
                "client is not reading: a write waited %ss; closing it", self._write_timeout
            )
            # Reset, not a plain close: the write may have stopped mid-frame, and a peer
            # reading a cut frame followed by EOF or a close frame would report a
            # protocol error; a reset says what happened.
            self.reset()

    def write_now(self, data: bytes) -> bytes:
        """Write ``data`` from the reading task without awaiting, when nothing is ahead
        of it and the socket takes it; what is left for :meth:`put` (``b""``: nothing).

        A cheap read's answer thus costs one ``os.write`` and no coroutine: :meth:`put`
        and :meth:`_send_now` are two frames and two awaits per request. Calling
        ``put`` right after with what is left keeps the order (no await in between)."""
        if self._fd < 0 or self._unwritten or self._writing or self.closed or not data:
            return data
        try:
            sent = os.write(self._fd, data)
        except BlockingIOError:
            return data
        except OSError:
            self.abort()
            return b""
        return data[sent:] if sent < len(data) else b""

    async def put(self, data: bytes) -> None:
        """Write bytes from the reading task: directly when nothing is ahead of them,
        else through the queue, waiting for room (back-pressure on this client only).
        Dropped once the connection is closing."""
        if not data or self.closed:
            return
        if not self._unwritten and not self._writing:
            self._writing = self._direct = True
            try:
                await self._send_now(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                self.abort()
            finally:
                self._end_direct_write()
            return
        await self._enqueue(data)

    async def put_paced(
        self, data: bytes, chunk_size: int, interval: float, sizes: tuple[int, ...] = ()
    ) -> None:
        """Queue ``data`` for the writer to send ``chunk_size`` bytes every ``interval``
        seconds (the first pieces ``sizes`` bytes each, when given). The writer task paces
        it, so the reading task goes on, and anything written later waits behind it
        (frames never interleave)."""
        if not data or self.closed:
            return
        pieces: list[bytes] = []
        start = 0
        for size in sizes:
            if start >= len(data):
                break
            pieces.append(data[start : start + size])
            start += size
        pieces += [data[i : i + chunk_size] for i in range(start, len(data), chunk_size)]
        chunks = tuple(pieces)
        paced = _Paced(chunks, interval)
        self._paced_seconds += paced.seconds
        await self._enqueue(paced)

    async def put_then_reset(self, data: bytes) -> None:
        """Write ``data`` (in order with what is queued), then reset the connection (RST):
        the writer resets once everything before the mark is on the wire."""
        if self.closed:
            return
        await self.put(data)
        if not self.closed:
            await self._enqueue(_RESET)
            self.closed = True  # nothing more is read or queued

    async def _enqueue(self, item: bytes | _Paced | _ResetMark) -> None:
        """Queue from the reading task; while earlier bytes fill the bound, wait for the
        writer to take them (the reader reads nothing more meanwhile)."""
        size = len(item) if isinstance(item, bytes) else 0
        while self._queued_bytes and self._queued_bytes + size > self._max_bytes:
            self._room = trio.Event()
            await self._room.wait()
        self._append(item, size)

    def _append(self, item: bytes | _Paced | _ResetMark, size: int) -> None:
        self._queue.append(item)
        self._queued_bytes += size
        self._unwritten += 1
        self._wake.set()

    def _end_direct_write(self) -> None:
        self._writing = self._direct = False
        self._turn.set()
        if self._hang_up_pending:
            self._reader_scope.cancel()

    def put_nowait(self, data: bytes) -> bool:
        """Queue bytes without waiting (pushes from other tasks); False if they would
        take the queue past its bound (one message alone is always taken)."""
        if not data or self.closed:
            return True
        size = len(data)
        if self._queued_bytes and self._queued_bytes + size > self._max_bytes:
            return False
        self._append(data, size)
        return True

    def make_push(self, proto: MessageProtocol) -> Push:
        """The ``push`` handed to a WS or IPC session."""

        def push(payload: bytes) -> None:
            if self.closed:
                return  # the session learns of the end through close()
            proto.send_message(payload)
            if not self.put_nowait(proto.data_to_send()):
                log.warning(
                    "client is not reading; %d bytes queued (bound %d): closing it",
                    self._queued_bytes,
                    self._max_bytes,
                )
                self.abort()

        return push

    @property
    def queued(self) -> int:
        """Bytes queued for the writer and not yet taken by it."""
        return self._queued_bytes

    # -- ending a connection ---------------------------------------------------------

    def hang_up(self) -> None:
        """Stop reading and close once everything already queued is written (FIN). From
        any task; a write in progress from the reading side is finished first, so no
        reply is cut short by someone else's close."""
        if self.closed:
            return
        self.closed = True
        if self._direct:
            self._hang_up_pending = True
        else:
            self._reader_scope.cancel()

    def reset(self) -> None:
        """Abortive close, from any task: the peer sees ``ECONNRESET`` (on TCP; a unix
        socket has no reset and the peer sees EOF; a stream that is not a socket is just
        closed). Whatever is queued is dropped."""
        sock = self._reset_socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ABORT)
        self.abort()

    def abort(self) -> None:
        """Drop the connection now (from any task): cancels reader and writer."""
        self.closed = True
        self._scope.cancel()

    async def idle(self, seconds: float | None) -> None:
        """A stall: read and drop whatever the peer sends until it closes its side or
        ``seconds`` pass (``None``: no limit). Reading is how a client that gives up is
        noticed; nothing read here is ever answered."""
        with trio.move_on_after(math.inf if seconds is None else seconds):
            while await self.receive():
                pass

    def finish(self) -> None:
        """The reader is done: let the writer flush what is queued (a dribble queued
        gets its whole pacing time on top), then close."""
        self.closed = True
        self._finished = True
        self._wake.set()
        self._writer_scope.deadline = min(
            self._writer_scope.deadline,
            trio.current_time() + FLUSH_TIMEOUT + self._paced_seconds,
        )

    async def write_loop(self) -> None:
        """The only task that writes to the stream, besides direct writes (see above).

        Each time it wakes it takes *everything* queued (up to the next paced write or
        reset mark) and writes it in one send: however many notifications other tasks
        queued meanwhile, a client that reads keeps up in one write per wake-up."""
        queue = self._queue
        with self._writer_scope:
            try:
                while True:
                    if not queue:
                        if self._finished:
                            break
                        self._wake = trio.Event()
                        await self._wake.wait()
                        continue
                    while self._writing:  # a direct write from the reader is on the wire
                        self._turn = trio.Event()
                        await self._turn.wait()
                    item = queue.popleft()
                    taken = 1
                    if isinstance(item, bytes):
                        if queue and type(queue[0]) is bytes:
                            chunks = [item]
                            while queue and type(queue[0]) is bytes:
                                chunks.append(queue.popleft())  # type: ignore[arg-type]
                            taken = len(chunks)
                            item = b"".join(chunks)
                        self._queued_bytes -= len(item)
                        self._room.set()
                    self._writing = True
                    try:
                        if isinstance(item, _Paced):
                            await self._write_paced(item)
                            await trio.lowlevel.checkpoint()  # its last chunk goes alone
                        elif isinstance(item, _ResetMark):
                            self.reset()
                            return
                        else:
                            await self._send_now(item)
                    finally:
                        self._writing = False
                        self._unwritten -= taken
                await self._linger()
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
                log.debug("peer went away while writing: %r", exc)
                self.abort()

    async def _write_paced(self, paced: _Paced) -> None:
        try:
            for i, chunk in enumerate(paced.chunks):
                if i:
                    await trio.sleep(paced.interval)
                await self._stream.send_all(chunk)
        finally:
            self._paced_seconds -= paced.seconds

    async def _linger(self) -> None:
        """Half-close, then read until the peer closes (briefly), as Go's server does:
        closing with unread request bytes in our buffer sends a reset that can destroy
        the answer we just wrote (a 413 for a body we never read)."""
        await self._stream.send_eof()
        with trio.move_on_after(LINGER_TIMEOUT):
            while await self._stream.receive_some(RECEIVE_SIZE):
                pass


class Watchdog:
    """Read and idle timeouts for many connections, by one task.

    A cancel-scope deadline per wait would cost a trio deadline update twice per
    request (measured at several microseconds, on every keep-alive request). Instead
    the transport loop writes :attr:`Connection.wait_deadline` (computed from
    :attr:`now`, a clock this task refreshes each tick, so not even a clock read per
    request), and this task hangs up every connection whose deadline has passed. A
    timeout then fires up to two ticks late; a tick is a quarter of the shortest
    timeout (at most 1 s).
    """

    def __init__(self, shortest: float) -> None:
        self.tick = min(max(shortest / 4, 0.01), 1.0)
        self.now = trio.current_time()
        self.connections: set[Connection] = set()

    async def run(self) -> None:
        while True:
            await trio.sleep(self.tick)
            now = self.now = trio.current_time()
            for conn in [c for c in self.connections if c.wait_deadline <= now]:
                log.debug("read or idle timeout: closing the connection")
                conn.wait_deadline = math.inf
                conn.hang_up()


async def apply_accept_reply(conn: Connection, reply: Reply | bytes) -> bool:
    """Apply a reply chosen when the connection was accepted, before anything was read;
    True if the connection should then be served as usual.

    Only what needs no request makes sense here: :class:`CloseConnection` (and
    :class:`WsClose`) refuse, :class:`ResetConnection` resets, :class:`Stall` hangs then
    closes, :class:`RawBytes` (or plain bytes, after a :class:`Delayed`) greets with
    unframed bytes, :class:`Delayed` waits first. Anything else is a ValueError.
    """
    if isinstance(reply, bytes):
        await conn.put(reply)
        return True
    if isinstance(reply, CloseConnection | WsClose | ResetConnection | Stall | RawBytes):
        return await apply_connection_reply(conn, reply)
    if isinstance(reply, Delayed):
        await wait_delayed(reply)
        return await apply_accept_reply(conn, reply.then)
    raise ValueError(f"{type(reply).__name__} needs a request to answer; not on accept")


async def apply_connection_reply(
    conn: Connection, reply: CloseConnection | WsClose | ResetConnection | Stall | RawBytes
) -> bool:
    """Apply a reply that acts on the connection itself, not on a protocol's framing;
    True if the connection stays open.

    One owner for what these mean where a stalled answer blocks the whole connection (on
    accept, and for HTTP/1.1, which answers in order): close (a :class:`WsClose` too,
    having no WebSocket to close), reset, stall then close, and unframed bytes (closing
    after them if asked). The message transports differ on purpose (a stall there leaves
    only that request unanswered; a close sends a close frame) and keep their own.
    """
    if isinstance(reply, CloseConnection | WsClose):
        conn.hang_up()
        return False
    if isinstance(reply, ResetConnection):
        conn.reset()
        return False
    if isinstance(reply, Stall):
        await conn.idle(reply.seconds)
        conn.hang_up()
        return False
    await conn.put(reply.data)
    if reply.close_after:
        conn.hang_up()
        return False
    return True


async def run_connection(
    stream: trio.abc.HalfCloseableStream,
    body: Callable[[Connection], Awaitable[None]],
    *,
    max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
    write_timeout: float | None = DEFAULT_WRITE_TIMEOUT,
    busy_poll: float = 0.0,
    shortcut: bool = True,
    reset_socket: trio.socket.SocketType | None = None,
    accept_reply: Reply | None = None,
    watchdog: Watchdog | None = None,
) -> None:
    """Run one connection's reading ``body`` beside its writer; contain every failure.

    ``busy_poll`` is the connection's :class:`~mocknode.io._quiet.Poller` spin (seconds);
    ``shortcut=False`` keeps even a plain socket stream on trio's general path;
    ``reset_socket`` is the accepted socket (under any wrapper) that
    :meth:`Connection.reset` aborts; ``accept_reply`` is applied before ``body`` runs;
    ``watchdog`` enforces the connection's :attr:`Connection.wait_deadline`.
    """
    try:
        async with trio.open_nursery() as nursery:
            conn = Connection(
                stream,
                nursery.cancel_scope,
                max_queued_bytes,
                write_timeout=write_timeout,
                busy_poll=busy_poll,
                shortcut=shortcut,
                reset_socket=reset_socket,
            )
            nursery.start_soon(conn.write_loop)
            if watchdog is not None:
                watchdog.connections.add(conn)
            try:
                with conn._reader_scope:
                    if accept_reply is None or await apply_accept_reply(conn, accept_reply):
                        await body(conn)
            finally:
                conn.finish()
                if watchdog is not None:
                    watchdog.connections.discard(conn)
    except Exception:
        log.exception("connection failed; closing it")


async def close_session(session: Session) -> None:
    """Tell the session its connection ended, even while being cancelled (shutdown)."""
    with trio.CancelScope(shield=True) as scope:
        scope.deadline = trio.current_time() + SESSION_CLOSE_TIMEOUT
        try:
            await session.close()
        except Exception:
            log.exception("session.close() failed")
