"""The trio side of :mod:`mocknode.rpc.deferred`: wait for the chain, then fill the reply.

A session whose message filed deferred calls hands io ``Later(partial(settle, ...))``.
:func:`settle` wakes on every block the chain announces (``chain.block_listeners``: a
block mined by any client, the interval miner, a reorg), polls each entry, and answers
with what it produced, or with its timeout error when its time is up. Each entry's time
runs from the moment the message was answered, on trio's clock (``autojump_clock`` tests
wait for nothing).
"""

from __future__ import annotations

import trio

from mocknode.chain.chain import Chain
from mocknode.chain.records import Block
from mocknode.rpc.deferred import Deferred, fill

__all__ = ["settle"]


async def settle(chain: Chain, entries: list[Deferred], reply: bytes | None) -> bytes | None:
    """``reply`` with every entry's placeholder filled, once each is settled."""
    if reply is None:
        return None
    started = trio.current_time()
    woken = trio.Event()

    def on_block(block: Block, removed: bool) -> None:
        woken.set()

    chain.block_listeners.append(on_block)
    try:
        for entry in entries:
            deadline = started + entry.seconds
            while True:
                result = entry.poll()
                if result is not None:
                    reply = fill(reply, entry, result)
                    break
                if trio.current_time() >= deadline:
                    reply = fill(reply, entry, entry.expire())
                    break
                with trio.move_on_at(deadline):
                    await woken.wait()
                woken = trio.Event()
    finally:
        chain.block_listeners.remove(on_block)
    return reply
