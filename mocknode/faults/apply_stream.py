"""Appliers of the IPC stream kinds: how a reply's bytes reach (or fail to reach) the socket.

Decided per request (the engine's ``request`` point, on ``ipc`` connections), applied as
:mod:`~mocknode.io.reply` values, so ``io`` writes them in order with everything else on
the connection:

================================  ===========================================================
kind                              what is written
================================  ===========================================================
``ipc_split``                     the framed reply in pieces of seeded sizes (1 to
                                  ``max_chunk`` bytes, from the decision's own random
                                  stream), ``seconds`` apart (:class:`Dribble` with
                                  ``sizes``); later messages wait behind it
``ipc_framing`` ``no_newline``    the reply without its trailing newline (:class:`RawBytes`):
                                  the next message follows on the same line
``ipc_framing`` ``coalesce``      nothing yet: the reply is held and written in the same
                                  write as the next message on the connection, a reply or
                                  a notification (``held`` in :mod:`~mocknode.faults.
                                  edge_state`; :func:`release_held`)
``ipc_eof``                       the first ``after_bytes`` bytes of the framed reply, then
                                  EOF (:class:`Truncated`)
``ipc_recreate``                  no reply: every IPC connection closes, the socket file is
                                  removed and recreated after ``seconds`` (the node's IPC
                                  listener restarts, :attr:`Faults.restart_ipc`)
================================  ===========================================================

Why replies and not a stream wrapper around the socket (``wrap_stream``): a wrapper is
chosen when a connection is accepted, so a rule added later (over ``mock_addFault``, on the
very connection that added it) could not act on it, and a wrapped socket loses ``io``'s
raw-descriptor fast path for every request. A reply value acts on any connection, costs
nothing while no rule fires, and keeps ``io``'s single writer, so a split reply never
interleaves with a notification.

A coalesced reply waits for the next message: a client that sends nothing until it gets
that reply (web3's synchronous ``IPCProvider``) waits until its own timeout, while clients
that pipeline or subscribe (``AsyncIPCProvider``) get two messages in one read, which is
what the fault is for. When the node's faults are disarmed, a held reply is written alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from mocknode.faults.edge_state import edge_of
from mocknode.io.reply import CloseConnection, Dribble, RawBytes, Reply, Truncated

if TYPE_CHECKING:
    from mocknode.faults.engine import Decision
    from mocknode.faults.request import Applier, Conn, Request

__all__ = ["STREAM_APPLIERS", "flush_held", "release_held", "split_sizes"]

log = logging.getLogger("mocknode.faults")

NEWLINE: Final = b"\n"


def split_sizes(length: int, max_chunk: int, decision: Decision) -> tuple[int, ...]:
    """Piece sizes (each 1 to ``max_chunk``) covering ``length`` bytes, drawn from the
    decision's random stream: the same seed, rule and request give the same pieces."""
    rng = decision.rng()
    sizes: list[int] = []
    covered = 0
    while covered < length:
        size = rng.randint(1, max_chunk)
        sizes.append(size)
        covered += size
    return tuple(sizes)


async def _split(request: Request, decision: Decision) -> bytes | Reply | None:
    reply = request.run()
    if reply is None:
        return None
    max_chunk: int = decision.params["max_chunk"]
    sizes = split_sizes(len(reply) + len(NEWLINE), max_chunk, decision)
    return Dribble(reply, max_chunk, decision.params["seconds"], sizes)


async def _framing(request: Request, decision: Decision) -> bytes | Reply | None:
    reply = request.run()
    if reply is None:
        return None
    if decision.params["form"] == "no_newline":
        return RawBytes(reply, close_after=False)
    state = edge_of(request.conn)
    # a second coalesce before the first was released: both wait for the next message
    state.held = reply if state.held is None else state.held + NEWLINE + reply
    return None


async def _eof(request: Request, decision: Decision) -> bytes | Reply | None:
    reply = request.run()
    if reply is None:
        return CloseConnection()
    return Truncated(reply, decision.params["after_bytes"])


async def _recreate(request: Request, decision: Decision) -> bytes | Reply | None:
    restart = request.faults.restart_ipc
    if restart is None:
        log.warning("ipc_recreate: this node serves no IPC listener; closing the connection")
    else:
        restart(decision.params["seconds"])
    return CloseConnection()


STREAM_APPLIERS: Final[dict[str, Applier]] = {
    "ipc_split": _split,
    "ipc_framing": _framing,
    "ipc_eof": _eof,
    "ipc_recreate": _recreate,
}


def release_held(conn: Conn, out: bytes | Reply | None) -> bytes | Reply | None:
    """The reply ``out`` of ``conn``, with a coalesced reply held before it joined in front
    (one write). A reply that is not plain bytes (a delay, a close...) lets the held one go
    first, alone; ``None`` (nothing to send) keeps it held."""
    state = conn.edge
    if state is None or state.held is None or out is None:
        return out
    held, state.held = state.held, None
    if isinstance(out, bytes):
        return RawBytes(held + NEWLINE + out + NEWLINE, close_after=False)
    if conn.push is not None:
        conn.push(held)  # framed and queued: written ahead of ``out``
    return out


def flush_held(conn: Conn) -> None:
    """Write a held reply alone now (the faults were disarmed: no rule will release it)."""
    state = conn.edge
    if state is not None and state.held is not None:
        held, state.held = state.held, None
        if conn.push is not None:
            conn.push(held)
