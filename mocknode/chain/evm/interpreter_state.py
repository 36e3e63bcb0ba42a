"""The instructions that touch state, calldata, code, logs and the frame's end, run by
our loop (:mod:`mocknode.chain.evm.interpreter`) instead of py-evm's opcode functions.

Why: through py-evm, one SLOAD costs ``Opcode.__call__``, a gas-meter method with a
reason string, stack methods that validate each value and two state wrappers before it
reaches :class:`JournalAccounts`; one RETURN builds a memory view, validates its
operands twice and raises ``Halt``. For an ERC-20 ``balanceOf`` these few instructions
cost as much as the hundred others. Each handler here does exactly what py-evm's Prague
function does (same gas, refunds, warm sets, failures) directly on the journal, the
stack list and the gas counter; the differential tests in
``tests/chain/test_interpreter.py`` hold them to py-evm's own loop.

A handler takes ``(computation, stack, gas)`` with the stack already checked by the loop
(depth before anything else, as geth), and returns the gas left. REVERT ends the frame
as py-evm's does: it settles the meter and raises ``Revert``. RETURN sets the output and
returns the gas; the loop ends the frame after it, settling the meter as py-evm's
``Halt`` would.

Not here, on purpose: TLOAD/TSTORE (py-evm's Cancun TSTORE omits the static-call check
that geth makes; running it ourselves would make the oracle disagree, and they are rare),
the CALL and CREATE families and SELFDESTRUCT (py-evm's frame set-up is most of their
cost and all of their subtlety), and EXTCODECOPY.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth.exceptions import OutOfGas, Revert, WriteProtection

ADDRESS_MASK = (1 << 160) - 1

# EIP-2929 (Berlin), EIP-2200 (Istanbul) with EIP-3529's refund (London).
COLD_SLOAD = 2100
COLD_ACCOUNT = 2600
WARM_READ = 100
SSTORE_SET = 20_000
SSTORE_RESET = 5000 - COLD_SLOAD
SSTORE_CLEAR_REFUND = SSTORE_RESET + 1900  # EIP-3529: reset cost + an access-list key's
SSTORE_SENTRY = 2300  # EIP-2200: SSTORE fails with this much gas left or less

Handler = Callable[[Any, list[int], int], int]


def _out_of_gas(needed: int, gas: int) -> OutOfGas:
    return OutOfGas(f"Out of gas: needed {needed}, {gas} left")


def _write_protection() -> WriteProtection:
    return WriteProtection("Cannot modify state while inside of a STATICCALL context")


def _memory_cost(words: int) -> int:
    return 3 * words + words * words // 512


def _grow(memory: Any, offset: int, size: int, gas: int) -> int:
    """Extend memory to cover ``[offset, offset + size)`` (nothing for a zero size, as
    py-evm and geth); returns the gas left after paying for it."""
    if not size:
        return gas
    end = offset + size
    have = len(memory._bytes)
    if end <= have:
        return gas
    words = (end + 31) >> 5
    cost = _memory_cost(words) - _memory_cost(have >> 5)
    if cost > gas:
        raise _out_of_gas(cost, gas)
    extra = bytearray((words << 5) - have)
    try:
        memory._bytes.extend(extra)
    except BufferError:  # a live memoryview from py-evm's read(): grow a copy instead
        memory._bytes = memory._bytes + extra
    return gas - cost


def _read(memory: Any, offset: int, size: int) -> bytes:
    return bytes(memory._bytes[offset : offset + size]) if size else b""


def sload(computation: Any, stack: list[int], gas: int) -> int:
    accounts = computation.state._account_db
    address = computation.msg.storage_address
    slot = stack[-1]
    if accounts.is_storage_warm(address, slot):
        cost = WARM_READ
    else:
        accounts.mark_storage_warm(address, slot)
        cost = COLD_SLOAD
    if gas < cost:
        raise _out_of_gas(cost, gas)
    stack[-1] = accounts.get_storage(address, slot)
    return gas - cost


def sstore(computation: Any, stack: list[int], gas: int) -> int:
    message = computation.msg
    if message.is_static:
        raise _write_protection()
    if gas <= SSTORE_SENTRY:
        raise OutOfGas("Net-metered SSTORE always fails below 2300 gas, per EIP-2200", gas)
    accounts = computation.state._account_db
    address = message.storage_address
    slot = stack.pop()
    value = stack.pop()
    current = accounts.get_storage(address, slot)
    original = accounts.get_storage(address, slot, from_journal=False)
    refund = 0
    if current == value:
        cost = WARM_READ
    elif original == current:
        if original == 0:
            cost = SSTORE_SET
        else:
            cost = SSTORE_RESET
            if value == 0:
                refund = SSTORE_CLEAR_REFUND
    else:
        cost = WARM_READ
        if original != 0:
            if current == 0:
                refund -= SSTORE_CLEAR_REFUND
            if value == 0:
                refund += SSTORE_CLEAR_REFUND
        if original == value:
            refund += (SSTORE_SET if original == 0 else SSTORE_RESET) - WARM_READ
    # py-evm charges the write, stores, then charges the implicit cold SLOAD: running out
    # between the two fails the frame all the same, so one check covers both.
    if not accounts.is_storage_warm(address, slot):
        cost += COLD_SLOAD
        accounts.mark_storage_warm(address, slot)
    if gas < cost:
        raise _out_of_gas(cost, gas)
    if refund:
        computation._gas_meter.refund_gas(refund)
    accounts.set_storage(address, slot, value)
    return gas - cost


def _account_access(computation: Any, accounts: Any, address: bytes, gas: int) -> int:
    """EIP-2929's charge for touching another account, warming it (precompiles are
    always warm)."""
    if accounts.is_address_warm(address) or address in computation.precompiles:
        cost = WARM_READ
    else:
        accounts.mark_address_warm(address)
        cost = COLD_ACCOUNT
    if gas < cost:
        raise _out_of_gas(cost, gas)
    return gas - cost


def balance(computation: Any, stack: list[int], gas: int) -> int:
    accounts = computation.state._account_db
    address = (stack[-1] & ADDRESS_MASK).to_bytes(20, "big")
    gas = _account_access(computation, accounts, address, gas)
    stack[-1] = accounts.get_balance(address)
    return gas


def extcodesize(computation: Any, stack: list[int], gas: int) -> int:
    accounts = computation.state._account_db
    address = (stack[-1] & ADDRESS_MASK).to_bytes(20, "big")
    gas = _account_access(computation, accounts, address, gas)
    stack[-1] = len(accounts.get_code(address))
    return gas


def extcodehash(computation: Any, stack: list[int], gas: int) -> int:
    accounts = computation.state._account_db
    address = (stack[-1] & ADDRESS_MASK).to_bytes(20, "big")
    gas = _account_access(computation, accounts, address, gas)
    if accounts.account_is_empty(address):
        stack[-1] = 0
    else:
        stack[-1] = int.from_bytes(accounts.get_code_hash(address), "big")
    return gas


def selfbalance(computation: Any, stack: list[int], gas: int) -> int:
    if gas < 5:
        raise _out_of_gas(5, gas)
    stack.append(computation.state._account_db.get_balance(computation.msg.storage_address))
    return gas - 5


def _copy(computation: Any, stack: list[int], gas: int, source: bytes) -> int:
    """CALLDATACOPY and CODECOPY: 3 gas, memory, 3 a word, zeros past the source's end."""
    destination, start, size = stack.pop(), stack.pop(), stack.pop()
    cost = 3 + 3 * ((size + 31) >> 5)
    if gas < cost:
        raise _out_of_gas(cost, gas)
    memory = computation._memory
    gas = _grow(memory, destination, size, gas - cost)
    if size:
        chunk = source[start : start + size] if start < len(source) else b""
        memory._bytes[destination : destination + size] = chunk.ljust(size, b"\x00")
    return gas


def calldatacopy(computation: Any, stack: list[int], gas: int) -> int:
    return _copy(computation, stack, gas, computation.msg.data)


def codecopy(computation: Any, stack: list[int], gas: int) -> int:
    return _copy(computation, stack, gas, computation.code._raw_code_bytes)


def _log(topics: int) -> Handler:
    base = 375 + 375 * topics

    def log(computation: Any, stack: list[int], gas: int) -> int:
        if gas < base:
            raise _out_of_gas(base, gas)
        gas -= base
        message = computation.msg
        if message.is_static:
            raise _write_protection()
        offset, size = stack.pop(), stack.pop()
        found = tuple([stack.pop() for _ in range(topics)])
        cost = 8 * size
        if gas < cost:
            raise _out_of_gas(cost, gas)
        memory = computation._memory
        gas = _grow(memory, offset, size, gas - cost)
        computation.add_log_entry(message.storage_address, found, _read(memory, offset, size))
        return gas

    return log


def return_(computation: Any, stack: list[int], gas: int) -> int:
    """RETURN, less the ending: the loop stops after it and settles the gas left, as
    py-evm's Halt would (a raise and a catch per call otherwise). The output is set
    on the computation directly: it is bytes, which py-evm's setter would check."""
    offset, size = stack.pop(), stack.pop()
    memory = computation._memory
    gas = _grow(memory, offset, size, gas)
    computation._output = _read(memory, offset, size)
    return gas


def revert(computation: Any, stack: list[int], gas: int) -> int:
    offset, size = stack.pop(), stack.pop()
    memory = computation._memory
    gas = _grow(memory, offset, size, gas)
    output = _read(memory, offset, size)
    computation.output = output
    computation._gas_meter.gas_remaining = gas  # REVERT keeps the gas left
    raise Revert(output)


HANDLERS: list[Handler | None] = [None] * 256
for _op, _handler in (
    (0x31, balance),
    (0x37, calldatacopy),
    (0x39, codecopy),
    (0x3B, extcodesize),
    (0x3F, extcodehash),
    (0x47, selfbalance),
    (0x54, sload),
    (0x55, sstore),
    *((0xA0 + n, _log(n)) for n in range(5)),
    (0xFD, revert),
):
    HANDLERS[_op] = _handler
