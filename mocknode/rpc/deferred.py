"""Answers that wait for the chain: a call that cannot answer yet says what it waits for.

A method runs synchronously (the JSON-RPC layer is sans-io), so one that must wait for a
block someone else produces (``eth_sendRawTransactionSync`` with automine off) cannot
block. Instead it files a :class:`Deferred` on its :class:`~mocknode.rpc.context.Context`
and returns :attr:`Deferred.placeholder` as its result. The envelope is built as usual,
with the placeholder where the result goes; the session (``mocknode.node``, which may
use trio) sees the filed entry and hands io a ``Later`` reply, which waits for blocks
(``chain.block_listeners``), polls, and calls :func:`fill` with what each entry
produced. Why a placeholder rather than an awaitable threaded through the envelope: the
envelope, batches and the fault layer stay as they are, and a call that does not wait
costs one emptiness check per message.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Final

from mocknode.rpc.errors import RpcError
from mocknode.rpc.jsonrpc import RawJson, error_response
from mocknode.values import dataclass, field

__all__ = ["Deferred", "fill"]

_serial = itertools.count(1)
_ERROR_PREFIX: Final = b'{"jsonrpc":"2.0","id":null,'


@dataclass(eq=False, slots=True)
class Deferred:
    """One call waiting for the chain.

    ``poll()`` returns the result as compact JSON once it is there (``None`` until then);
    ``expire()`` is the error to answer when ``seconds`` pass first.
    """

    poll: Callable[[], str | None]
    expire: Callable[[], RpcError]
    seconds: float
    placeholder: RawJson = field(init=False)

    def __post_init__(self) -> None:
        # A JSON string no result can hold (a NUL inside), unique per call.
        self.placeholder = RawJson(f'"\\u0000deferred:{next(_serial)}"')


def fill(reply: bytes, entry: Deferred, outcome: str | RpcError) -> bytes:
    """``reply`` with ``entry``'s placeholder replaced by its result, or its whole
    ``"result":...`` member by ``"error":{...}``. A reply without the placeholder (the
    call was a notification) comes back unchanged."""
    member = b'"result":' + entry.placeholder.encode()
    if member not in reply:
        return reply
    if isinstance(outcome, RpcError):
        replacement = error_response(outcome)[len(_ERROR_PREFIX) : -1]
    else:
        replacement = b'"result":' + outcome.encode()
    return reply.replace(member, replacement, 1)
