"""The EVM's instruction loop, ours; py-evm still supplies the calls, creates,
SELFDESTRUCT, transient storage and the rarer context instructions.

Why: an ERC-20 ``balanceOf`` spends ~78% of its time in py-evm's loop, where every
instruction goes through ``Opcode.__call__``, a gas-meter method with a reason string,
stack methods that validate each value and a generator over the code: ~5 µs an
instruction. Contracts are mostly PUSH/DUP/SWAP/JUMP, arithmetic and memory, so this
loop runs those inline over py-evm's own stack list (holding only ints here), its
memory buffer and a local gas counter. Storage, account reads, logs, copies, RETURN
and REVERT run through the handlers of :mod:`mocknode.chain.evm.interpreter_state`
(the same work on the journal directly). Every other instruction goes to py-evm's
opcode function after syncing the program counter and gas back to the computation, so
whatever py-evm does for CALL or CREATE is unchanged. The differential tests in
``tests/chain/test_interpreter.py`` run the same code through py-evm's own loop and
compare output, gas, refunds, logs, storage, accounts and errors.

Stack checks come first for every instruction, as in geth, with geth's texts
("stack underflow (1 <=> 2)"); a jump into push data is "invalid jump destination",
as in geth (py-evm calls it an invalid instruction).

Dispatch is a chain of tests, so each loop step costs ~50 bytecodes before any work:
the loop takes fewer steps where that changes nothing observable. A PUSH whose next
instruction is a jump to a valid destination runs with it (:func:`analyse` marks those),
and a taken jump runs the JUMPDEST it lands on; the checks and the gas come in the
order single steps would make them, so failures are the same (a traced run steps
through every instruction in its own loop, mocknode.chain.evm.tracing.stepper).

Only :mod:`mocknode.chain.evm.engine` imports this module (lazily, with py-evm), and
this module alone imports :mod:`mocknode.chain.evm.interpreter_state`.
"""

from __future__ import annotations

from typing import Any

from eth.exceptions import (
    FullStack,
    Halt,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfGas,
)

from mocknode.chain.evm.deadline import CHECK_EVERY
from mocknode.chain.evm.deadline import current as _deadline
from mocknode.chain.evm.interpreter_state import HANDLERS
from mocknode.chain.evm.interpreter_state import return_ as frame_return
from mocknode.chain.primitives.hashing import keccak

UINT_MAX = (1 << 256) - 1
SIGN_BIT = 1 << 255
STACK_LIMIT = 1024
_PAD = bytes(33)  # PUSH32 as the last byte still reads whole zero words past the end

# (pops, pushes) of every instruction that exists in Prague. The loop checks these before
# anything else, so py-evm's opcode functions never see a short or full stack.
_STACK: dict[int, tuple[int, int]] = {
    **{op: (2, 1) for op in (*range(0x01, 0x08), 0x0A, 0x0B, *range(0x10, 0x15))},
    0x08: (3, 1),
    0x09: (3, 1),
    0x15: (1, 1),
    **{op: (2, 1) for op in (0x16, 0x17, 0x18, 0x1A, 0x1B, 0x1C, 0x1D, 0x20)},
    0x19: (1, 1),
    **{op: (0, 1) for op in (0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3A, 0x3D)},
    **{op: (1, 1) for op in (0x31, 0x35, 0x3B, 0x3F, 0x40, 0x49, 0x51, 0x54, 0x5C)},
    0x37: (3, 0),
    0x39: (3, 0),
    0x3C: (4, 0),
    0x3E: (3, 0),
    **{op: (0, 1) for op in (*range(0x41, 0x49), 0x4A, 0x58, 0x59, 0x5A, 0x5F)},
    0x50: (1, 0),
    0x52: (2, 0),
    0x53: (2, 0),
    0x55: (2, 0),
    0x56: (1, 0),
    0x57: (2, 0),
    0x5B: (0, 0),
    0x5D: (2, 0),
    0x5E: (3, 0),
    **{op: (0, 1) for op in range(0x60, 0x80)},
    **{op: (op - 0x7F, op - 0x7F + 1) for op in range(0x80, 0x90)},
    **{op: (op - 0x8E, op - 0x8E) for op in range(0x90, 0xA0)},
    **{op: (op - 0xA0 + 2, 0) for op in range(0xA0, 0xA5)},
    0xF0: (3, 1),
    0xF1: (7, 1),
    0xF2: (7, 1),
    0xF3: (2, 0),
    0xF4: (6, 1),
    0xF5: (4, 1),
    0xFA: (6, 1),
    0xFD: (2, 0),
    0xFF: (1, 0),
}
# Smallest stack an instruction accepts, and largest (so that its pushes fit in 1024).
_MIN = [_STACK.get(op, (0, 0))[0] for op in range(256)]
_MAX = [
    STACK_LIMIT + pops - pushes for pops, pushes in (_STACK.get(op, (0, 0)) for op in range(256))
]


def _signed(value: int) -> int:
    return value - (1 << 256) if value & SIGN_BIT else value


def _sdiv(a: int, b: int) -> int:
    if not b:
        return 0
    sa, sb = _signed(a), _signed(b)
    quotient = abs(sa) // abs(sb)
    return (-quotient if (sa < 0) != (sb < 0) else quotient) & UINT_MAX


def _smod(a: int, b: int) -> int:
    if not b:
        return 0
    sa, sb = _signed(a), _signed(b)
    remainder = abs(sa) % abs(sb)
    return (-remainder if sa < 0 else remainder) & UINT_MAX


def _signextend(byte: int, value: int) -> int:
    if byte >= 31:
        return value
    sign = 1 << (byte * 8 + 7)
    low = (sign << 1) - 1
    return value | (UINT_MAX ^ low) if value & sign else value & low


def _byte(index: int, value: int) -> int:
    return (value >> (248 - index * 8)) & 0xFF if index < 32 else 0


def _sar(shift: int, value: int) -> int:
    if shift >= 256:
        return UINT_MAX if value & SIGN_BIT else 0
    return (_signed(value) >> shift) & UINT_MAX


# Two-operand instructions: (function of (top, second), gas). Written with the EVM's
# operand order: ``a`` is the top of the stack.
_BINARY: list[tuple[Any, int] | None] = [None] * 256
for _op, _fn, _gas in (
    (0x01, lambda a, b: (a + b) & UINT_MAX, 3),
    (0x02, lambda a, b: (a * b) & UINT_MAX, 5),
    (0x03, lambda a, b: (a - b) & UINT_MAX, 3),
    (0x04, lambda a, b: a // b if b else 0, 5),
    (0x05, _sdiv, 5),
    (0x06, lambda a, b: a % b if b else 0, 5),
    (0x07, _smod, 5),
    (0x0B, _signextend, 5),
    (0x10, lambda a, b: int(a < b), 3),
    (0x11, lambda a, b: int(a > b), 3),
    (0x12, lambda a, b: int(_signed(a) < _signed(b)), 3),
    (0x13, lambda a, b: int(_signed(a) > _signed(b)), 3),
    (0x14, lambda a, b: int(a == b), 3),
    (0x16, lambda a, b: a & b, 3),
    (0x17, lambda a, b: a | b, 3),
    (0x18, lambda a, b: a ^ b, 3),
    (0x1A, _byte, 3),
    (0x1B, lambda a, b: (b << a) & UINT_MAX if a < 256 else 0, 3),
    (0x1C, lambda a, b: b >> a if a < 256 else 0, 3),
    (0x1D, _sar, 3),
):
    _BINARY[_op] = (_fn, _gas)

_JUMPDEST = 0x5B
# Pseudo-instructions of the analysed code (above any byte): PUSHn then JUMP or JUMPI to a
# valid destination, run as one step; the low byte is n, the bytes of the immediate.
_PUSH_JUMP = 0x100
_PUSH_JUMPI = 0x200
Analysis = tuple[list[int], frozenset[int], dict[int, int]]
_analyses: dict[bytes, Analysis] = {}
# An analysis holds an int per PUSH (~50x the code's size at worst, all PUSH1) and a
# list slot per byte (8x): the cache starts over past this much code, so it stays
# within tens of megabytes.
_ANALYSED_BYTES_LIMIT = 1 << 20
_analysed_bytes = 0


def analyse(code: bytes) -> Analysis:
    """The code's instructions as a list of ints, padded with zeros (STOP); its valid
    jump destinations (JUMPDEST bytes that are not push data) and the value each
    PUSH1..PUSH32 pushes, by the offset just past the opcode. A PUSH whose value is a
    valid destination and whose next instruction is JUMP or JUMPI becomes one
    pseudo-instruction (:data:`_PUSH_JUMP`, :data:`_PUSH_JUMPI`): Solidity's jumps are
    nearly all of this form. Depends on the code alone, so it is cached by the code
    bytes: a call decodes no immediate twice."""
    found = _analyses.get(code)
    if found is not None:
        return found
    padded = code + _PAD
    targets = set()
    immediates: dict[int, int] = {}
    pushes = []
    pc, size = 0, len(code)
    while pc < size:
        op = code[pc]
        if op == _JUMPDEST:
            targets.add(pc)
        if 0x60 <= op <= 0x7F:
            end = pc + op - 0x5E
            immediates[pc + 1] = int.from_bytes(padded[pc + 1 : end], "big")
            pushes.append(pc)
            pc = end
        else:
            pc += 1
    ops = list(padded)
    for pc in pushes:
        width = ops[pc] - 0x5F
        after = pc + 1 + width
        if after < size and immediates[pc + 1] in targets:
            if code[after] == 0x56:
                ops[pc] = _PUSH_JUMP + width
            elif code[after] == 0x57:
                ops[pc] = _PUSH_JUMPI + width
    global _analysed_bytes
    _analysed_bytes += size
    if len(_analyses) >= 4096 or _analysed_bytes > _ANALYSED_BYTES_LIMIT:
        _analyses.clear()
        _analysed_bytes = size
    found = _analyses[code] = (ops, frozenset(targets), immediates)
    return found


def _grow(memory: Any, end: int, gas: int) -> int:
    """Extend memory to cover ``[0, end)``; returns the gas left after paying for it."""
    have = len(memory._bytes)
    if end <= have:
        return gas
    words = (end + 31) >> 5
    held = have >> 5
    cost = 3 * (words - held) + words * words // 512 - held * held // 512  # yellow paper's C_mem
    if cost > gas:
        raise OutOfGas(f"Out of gas: needed {cost} to expand memory, {gas} left")
    extra = bytearray((words << 5) - have)
    try:
        memory._bytes.extend(extra)
    except BufferError:  # a live memoryview from py-evm's read(): grow a copy instead
        memory._bytes = memory._bytes + extra
    return gas - cost


class UndefinedInstruction(InvalidInstruction):  # type: ignore[misc]
    """A byte Prague defines no instruction for; its text is geth's, kept as is."""


def _out_of_gas(needed: int, gas: int) -> OutOfGas:
    return OutOfGas(f"Out of gas: needed {needed}, {gas} left")


def run(computation: Any) -> None:
    """Execute ``computation``'s code from the start until it halts or fails.

    Failures are raised as py-evm's exceptions, so py-evm's computation records them
    and burns the gas exactly as it does for its own instructions.
    """
    raw, targets, immediates = analyse(computation.code._raw_code_bytes)
    code_stream = computation.code
    stack: list[Any] = computation._stack.values
    push = stack.append
    pop = stack.pop
    meter = computation._gas_meter
    memory = computation._memory
    message = computation.msg
    calldata = message.data
    opcodes = computation.opcodes
    binary = _BINARY
    handlers = HANDLERS
    min_stack, max_stack = _MIN, _MAX
    gas = meter.gas_remaining
    pc = 0
    # A call's time limit (mocknode.chain.evm.deadline): checked here and every
    # CHECK_EVERY taken jumps, the only way code runs long; None when mining.
    deadline = _deadline()
    if deadline is not None:
        deadline.check()
    countdown = CHECK_EVERY
    try:
        while True:
            op = raw[pc]
            pc += 1
            # Dispatch by range first, most frequent instructions earliest: one
            # comparison sends an instruction to its half of the opcode space.
            if op >= 0x60:
                if op < 0x80:  # PUSH1..PUSH32
                    if len(stack) >= STACK_LIMIT:
                        raise FullStack(f"stack limit reached {len(stack)} ({STACK_LIMIT - 1})")
                    if gas < 3:
                        raise _out_of_gas(3, gas)
                    gas -= 3
                    push(immediates[pc])
                    pc += op - 0x5F
                    continue
                if op < 0x90:  # DUP1..DUP16
                    n = op - 0x7F
                    depth = len(stack)
                    if depth < n:
                        raise InsufficientStack(f"stack underflow ({depth} <=> {n})")
                    if depth >= STACK_LIMIT:
                        raise FullStack(f"stack limit reached {depth} ({STACK_LIMIT - 1})")
                    if gas < 3:
                        raise _out_of_gas(3, gas)
                    gas -= 3
                    push(stack[-n])
                    continue
                if op < 0xA0:  # SWAP1..SWAP16
                    n = op - 0x8E
                    depth = len(stack)
                    if depth < n:
                        raise InsufficientStack(f"stack underflow ({depth} <=> {n})")
                    if gas < 3:
                        raise _out_of_gas(3, gas)
                    gas -= 3
                    stack[-1], stack[-n] = stack[-n], stack[-1]
                    continue
                if op >= _PUSH_JUMP:  # PUSHn and JUMP/JUMPI, the destination valid
                    # PUSH's checks, then JUMPI's underflow (the pushed value is one of
                    # its two), then the two instructions' gas together: the failures
                    # come in the order they would one instruction at a time.
                    if len(stack) >= STACK_LIMIT:
                        raise FullStack(f"stack limit reached {len(stack)} ({STACK_LIMIT - 1})")
                    if gas < 3:
                        raise _out_of_gas(3, gas)
                    if op < _PUSH_JUMPI:
                        if gas < 11:
                            raise _out_of_gas(8, gas - 3)
                        gas -= 11
                    else:
                        if not stack:
                            raise InsufficientStack("stack underflow (1 <=> 2)")
                        if gas < 13:
                            raise _out_of_gas(10, gas - 3)
                        gas -= 13
                        if not pop():
                            pc += (op & 0xFF) + 1
                            continue
                    pc = immediates[pc]
                    if deadline is not None:
                        countdown -= 1
                        if not countdown:
                            countdown = CHECK_EVERY
                            deadline.check()
                    # A valid destination is a JUMPDEST: run it here too (1 gas, nothing
                    # else), after the deadline's check as it would come.
                    if gas < 1:
                        raise _out_of_gas(1, gas)
                    gas -= 1
                    pc += 1
                    continue
            else:
                entry = binary[op]
                if entry is not None:
                    depth = len(stack)
                    if depth < 2:
                        raise InsufficientStack(f"stack underflow ({depth} <=> 2)")
                    cost = entry[1]
                    if gas < cost:
                        raise _out_of_gas(cost, gas)
                    gas -= cost
                    top = pop()
                    stack[-1] = entry[0](top, stack[-1])
                    continue
                if op == 0x5B:  # JUMPDEST
                    if gas < 1:
                        raise _out_of_gas(1, gas)
                    gas -= 1
                    continue
                if op == 0x56 or op == 0x57:  # JUMP, JUMPI (a destination from the stack)
                    depth = len(stack)
                    if op == 0x56:
                        if not depth:
                            raise InsufficientStack("stack underflow (0 <=> 1)")
                        if gas < 8:
                            raise _out_of_gas(8, gas)
                        gas -= 8
                        target = pop()
                    else:
                        if depth < 2:
                            raise InsufficientStack(f"stack underflow ({depth} <=> 2)")
                        if gas < 10:
                            raise _out_of_gas(10, gas)
                        gas -= 10
                        target = pop()
                        if not pop():
                            continue
                    if target not in targets:
                        raise InvalidJumpDestination("invalid jump destination")
                    pc = target
                    if deadline is not None:
                        countdown -= 1
                        if not countdown:
                            countdown = CHECK_EVERY
                            deadline.check()
                    # A valid destination is a JUMPDEST: run it here too (1 gas, nothing
                    # else), after the deadline's check as it would come.
                    if gas < 1:
                        raise _out_of_gas(1, gas)
                    gas -= 1
                    pc += 1
                    continue
                if op == 0x50:  # POP
                    if not stack:
                        raise InsufficientStack("stack underflow (0 <=> 1)")
                    if gas < 2:
                        raise _out_of_gas(2, gas)
                    gas -= 2
                    pop()
                    continue
                if op == 0x5F:  # PUSH0
                    if len(stack) >= STACK_LIMIT:
                        raise FullStack(f"stack limit reached {len(stack)} ({STACK_LIMIT - 1})")
                    if gas < 2:
                        raise _out_of_gas(2, gas)
                    gas -= 2
                    push(0)
                    continue
                if op == 0x00:  # STOP (and running off the end of the code)
                    break
                if op == 0x15:  # ISZERO
                    if not stack:
                        raise InsufficientStack("stack underflow (0 <=> 1)")
                    if gas < 3:
                        raise _out_of_gas(3, gas)
                    gas -= 3
                    stack[-1] = 0 if stack[-1] else 1
                    continue
                if op == 0x52 or op == 0x51:  # MSTORE, MLOAD
                    depth = len(stack)
                    need = 2 if op == 0x52 else 1
                    if depth < need:
                        raise InsufficientStack(f"stack underflow ({depth} <=> {need})")
                    if gas < 3:
                        raise _out_of_gas(3, gas)
                    offset = stack[-1]
                    end = offset + 32
                    buffer = memory._bytes
                    if end > len(buffer):  # no call when the memory is big enough already
                        gas = _grow(memory, end, gas - 3)
                        buffer = memory._bytes
                    else:
                        gas -= 3
                    if op == 0x51:
                        stack[-1] = int.from_bytes(buffer[offset:end], "big")
                    else:
                        pop()
                        buffer[offset:end] = pop().to_bytes(32, "big")
                    continue
            depth = len(stack)
            if depth < min_stack[op]:
                raise InsufficientStack(f"stack underflow ({depth} <=> {min_stack[op]})")
            if depth > max_stack[op]:
                raise FullStack(f"stack limit reached {depth} ({max_stack[op]})")
            # The most frequent first: hashing (mappings), then storage, logs, copies.
            if op == 0x20:  # KECCAK256
                offset, size = stack[-1], stack[-2]
                cost = 30 + 6 * ((size + 31) >> 5)
                if gas < cost:
                    raise _out_of_gas(cost, gas)
                gas -= cost
                end = offset + size
                if size and end > len(memory._bytes):
                    gas = _grow(memory, end, gas)
                pop()
                stack[-1] = int.from_bytes(keccak(memory._bytes[offset:end]), "big")
            elif (handler := handlers[op]) is not None:  # state, logs, copies, REVERT
                gas = handler(computation, stack, gas)
            elif op == 0x35:  # CALLDATALOAD
                if gas < 3:
                    raise _out_of_gas(3, gas)
                gas -= 3
                start = stack[-1]
                word = calldata[start : start + 32]
                stack[-1] = int.from_bytes(word, "big") << (8 * (32 - len(word)))
            elif op == 0x19:  # NOT
                if gas < 3:
                    raise _out_of_gas(3, gas)
                gas -= 3
                stack[-1] = UINT_MAX ^ stack[-1]
            elif op == 0x53:  # MSTORE8
                if gas < 3:
                    raise _out_of_gas(3, gas)
                offset = stack[-1]
                buffer = memory._bytes
                if offset + 1 > len(buffer):  # no call when the memory is big enough already
                    gas = _grow(memory, offset + 1, gas - 3)
                    buffer = memory._bytes
                else:
                    gas -= 3
                pop()
                buffer[offset] = pop() & 0xFF
            elif op == 0x34 or op == 0x36 or op == 0x5A or op == 0x33:
                # CALLVALUE, CALLDATASIZE, GAS, CALLER
                if gas < 2:
                    raise _out_of_gas(2, gas)
                gas -= 2
                if op == 0x34:
                    push(message.value)
                elif op == 0x36:
                    push(len(calldata))
                elif op == 0x5A:
                    push(gas)
                else:
                    push(int.from_bytes(message.sender, "big"))
            elif op == 0x08 or op == 0x09:  # ADDMOD, MULMOD
                if gas < 8:
                    raise _out_of_gas(8, gas)
                gas -= 8
                a, b, modulus = pop(), pop(), stack[-1]
                if not modulus:
                    stack[-1] = 0
                else:
                    stack[-1] = (a + b if op == 0x08 else a * b) % modulus
            elif op == 0x0A:  # EXP
                base, exponent = stack[-1], stack[-2]
                cost = 10 + 50 * ((exponent.bit_length() + 7) >> 3)
                if gas < cost:
                    raise _out_of_gas(cost, gas)
                gas -= cost
                pop()
                stack[-1] = pow(base, exponent, 1 << 256)
            elif op == 0xF3:  # RETURN: the frame ends here, no Halt raised through the loop
                gas = frame_return(computation, stack, gas)
                break
            else:
                function = opcodes.get(op)
                if function is None:
                    if op == 0xFE:  # INVALID, the designated one
                        raise InvalidInstruction("invalid opcode: INVALID")
                    raise UndefinedInstruction(f"invalid opcode: opcode {op:#x} not defined")
                meter.gas_remaining = gas
                code_stream.program_counter = pc
                function(computation)
                gas = meter.gas_remaining
                pc = code_stream.program_counter
                if stack and stack[-1].__class__ is not int:
                    stack[-1] = int.from_bytes(stack[-1], "big")
    except Halt:
        return  # a py-evm instruction halted, having settled the gas itself
    # Errors raised here need no gas written back: every one of them burns all the gas
    # (py-evm zeroes the meter), and REVERT, the one that does not, settles it itself.
    meter.gas_remaining = gas
