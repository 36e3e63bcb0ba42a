"""The top frame's message, built without py-evm's per-field validation.

Why: py-evm's ``Message.__init__`` validates all thirteen fields (canonical addresses,
uint256 ranges, booleans), ~5% of an ``eth_call`` of a view function. The top frame's
fields come from a :class:`~mocknode.chain.records.Tx` that the codec or the call's
argument parser already checked, so :func:`top_message` sets them directly. Child
frames (CALL, CREATE) still go through py-evm's own constructor.

Imported lazily by :mod:`mocknode.chain.evm.engine` (it imports py-evm).
"""

from __future__ import annotations

from typing import Any

from eth.vm.message import Message


class _TopMessage(Message):  # type: ignore[misc]
    __slots__ = ()


def top_message(
    *,
    gas: int,
    to: bytes,
    sender: bytes,
    value: int,
    data: bytes,
    code: bytes,
    create_address: bytes | None,
    refund: int,
    is_delegation: bool,
) -> Any:
    """A depth-0 message as ``Message(...)`` with these arguments builds it."""
    message = _TopMessage.__new__(_TopMessage)
    message.gas = gas
    message.to = to
    message.sender = sender
    message.value = value
    message.data = data
    message.depth = 0
    message.code = code
    message._storage_address = create_address
    message._code_address = None
    message.should_transfer_value = True
    message.is_static = False
    message._is_delegation = is_delegation
    message.refund = refund
    return message
