"""The instrumented run: py-evm's own instructions, one at a time, with a tracer told
of every frame and step (:mod:`.hooks`).

Why a loop of our own rather than py-evm's: its loop has no hook, and geth's traces
need the state *before* each instruction (stack, memory, the slot an SLOAD reads),
its cost, and frames opened in geth's terms (from the executing contract, to the code
address for DELEGATECALL/CALLCODE, SELFDESTRUCT as a frame). Every instruction still
runs as py-evm's opcode function, so gas and semantics are py-evm's; stack checks come
first with geth's texts, as in :mod:`mocknode.chain.evm.interpreter`, whose tables this
module shares. The fast path never sees this module: only a trace builds these classes
(:func:`traced_state`), one set per trace.

Costs: py-evm charges while an instruction runs, so a step's cost is what the frame's
gas meter was charged during it (:class:`_Meter`), less, for CREATE/CREATE2, the gas
handed to the new frame (geth counts that outside the instruction's cost, while for
the CALL family it counts the callee's allowance in).

Imported lazily by :mod:`mocknode.chain.evm.engine` only, with py-evm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eth.exceptions import (
    FullStack,
    Halt,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfGas,
    Revert,
)
from eth.vm.gas_meter import GasMeter

from mocknode.chain.evm import interpreter
from mocknode.chain.evm.tracing import hooks
from mocknode.types import Address

_CREATES = {hooks.CREATE: "CREATE", hooks.CREATE2: "CREATE2"}
# After these the refund counter may have moved (SSTORE; a child frame kept or dropped
# its refunds): the only steps after which it is summed again.
_REFUND_MOVERS = frozenset({0x55, 0xF0, 0xF1, 0xF2, 0xF4, 0xF5, 0xFA})
_CHECK_EVERY = 1024  # steps between two looks at the clock


class _Meter(GasMeter):  # type: ignore[misc]
    """py-evm's gas meter, counting what the current instruction is charged (an
    attempt that runs out of gas included, as geth reports the cost it could not pay)."""

    def __init__(self, start_gas: int) -> None:
        super().__init__(start_gas)
        self.spent = 0
        self.marks = 0
        self.child = 0

    def consume_gas(self, amount: int, reason: str) -> None:
        if reason == "CREATE" or reason == "CREATE2":
            self.marks += 1
            if self.marks == 2:  # the second charge of a CREATE is the new frame's gas
                self.child = amount
        self.spent += amount
        super().consume_gas(amount, reason)


def _word(value: Any) -> int:
    return value if value.__class__ is int else int.from_bytes(value, "big")


class _Run:
    """One traced transaction: the tracer, the frames open now and the clock."""

    def __init__(
        self,
        tracer: hooks.Tracer,
        view: hooks.StateView,
        error_text: Callable[[Exception], str],
        deadline: float | None,
    ) -> None:
        self.tracer = tracer
        self.view = view
        self.error_text = error_text
        self.deadline = deadline
        self.frames: list[Any] = []  # computations running now, outermost first
        self.ops: list[int] = []  # the instruction each running frame is executing
        self.steps: list[hooks.Step | None] = []  # ... and its step, while it runs
        self.count = 0
        self.refund = 0

    # -- frames -------------------------------------------------------------------

    def enter(self, message: Any, parent: Any) -> None:
        if parent is None:
            kind = hooks.CREATE if message.is_create else hooks.CALL
            sender = message.sender
        else:
            kind = self.ops[-1]
            sender = parent.msg.storage_address
            self._settle(parent)
        if message.is_create:
            to = message.storage_address
            data = message.code
        else:
            to = (
                message.code_address if kind in (hooks.DELEGATECALL, hooks.CALLCODE) else message.to
            )
            data = message.data
        value = None if kind == hooks.STATICCALL else message.value
        self.tracer.on_enter(message.depth, kind, sender, to, data, message.gas, value)

    def exit(self, message: Any, computation: Any) -> None:
        error = computation.error if computation.is_error else None
        output = bytes(computation.output)
        if error is not None and not isinstance(error, Revert):
            output = b""
        text = None if error is None else self.error_text(error)
        gas_used = message.gas - computation.get_gas_remaining()
        self.tracer.on_exit(message.depth, output, gas_used, text, error is not None)

    def _settle(self, computation: Any) -> None:
        """Fix the cost of the step ``computation`` is running (see the module docstring)."""
        step = self.steps[-1] if self.steps else None
        if step is not None:
            meter = computation._gas_meter
            step.cost = meter.spent - meter.child

    # -- the loop -----------------------------------------------------------------

    def _refund(self) -> int:
        return sum(int(c.get_gas_refund()) for c in self.frames)

    def _tick(self) -> None:
        self.count += 1
        deadline = self.deadline
        if deadline is not None and not self.count % _CHECK_EVERY and time.monotonic() > deadline:
            raise hooks.TraceTimeout("execution timeout")

    def run(self, computation: Any) -> None:
        """Execute ``computation``'s code, telling the tracer of each instruction."""
        tracer = self.tracer
        view = self.view
        want_steps = tracer.wants_steps
        want_memory = tracer.wants_memory
        want_return_data = tracer.wants_return_data
        code = computation.code
        raw = code._raw_code_bytes
        size = len(raw)
        stack = computation._stack.values
        meter = computation._gas_meter
        memory = computation._memory
        opcodes = computation.opcodes
        message = computation.msg
        depth = message.depth + 1
        address = Address(message.storage_address)
        min_stack, max_stack = interpreter._MIN, interpreter._MAX
        self.frames.append(computation)
        self.ops.append(0)
        self.steps.append(None)
        self.refund = self._refund()
        try:
            while True:
                pc = code.program_counter
                op = raw[pc] if pc < size else 0
                self.ops[-1] = op
                meter.spent = meter.marks = meter.child = 0
                step = None
                if want_steps:
                    step = hooks.Step(
                        pc,
                        op,
                        meter.gas_remaining,
                        depth,
                        address,
                        [_word(v) for v in stack],
                        bytes(memory._bytes) if want_memory or op == 0xF5 else None,
                        bytes(computation.return_data) if want_return_data else b"",
                        self.refund,
                    )
                    self.steps[-1] = step
                    tracer.on_opcode(step, view)
                self._tick()
                code.program_counter = pc + 1
                function = opcodes.get(op)
                halted = False
                try:
                    height = len(stack)
                    if height < min_stack[op]:
                        raise InsufficientStack(f"stack underflow ({height} <=> {min_stack[op]})")
                    if height > max_stack[op]:
                        raise FullStack(f"stack limit reached {height} ({max_stack[op]})")
                    if function is None:
                        if op == 0xFE:
                            raise InvalidInstruction("invalid opcode: INVALID")
                        raise interpreter.UndefinedInstruction(
                            f"invalid opcode: opcode {op:#x} not defined"
                        )
                    if op == 0xFF:
                        self._selfdestruct(computation, stack, function)
                    else:
                        function(computation)
                except Halt:
                    halted = True
                except (InsufficientStack, FullStack) as exc:
                    if step is not None:
                        step.cost = getattr(function, "gas_cost", 0) or 0
                        step.error = str(exc)
                    raise
                except OutOfGas:
                    if step is not None:
                        step.cost = meter.spent - meter.child
                        step.error = "out of gas"
                    raise
                except InvalidInstruction:
                    if op == 0x56 or op == 0x57:  # into push data: geth's wording
                        raise InvalidJumpDestination("invalid jump destination") from None
                    raise
                finally:
                    if step is not None and step.error is None:
                        step.cost = meter.spent - meter.child
                if stack and stack[-1].__class__ is not int:
                    stack[-1] = _word(stack[-1])
                if 0xA0 <= op <= 0xA4:
                    _, log_address, topics, data = computation._log_entries[-1]
                    tracer.on_log(Address(log_address), tuple(topics), bytes(data))
                if halted:
                    return
                if op in _REFUND_MOVERS and want_steps:
                    self.refund = self._refund()
        finally:
            self.frames.pop()
            self.ops.pop()
            self.steps.pop()

    def _selfdestruct(self, computation: Any, stack: list[Any], function: Any) -> None:
        """SELFDESTRUCT, reported as geth reports it: a frame of its own, entered and
        left at once, carrying the balance to the beneficiary."""
        sender = computation.msg.storage_address
        beneficiary = Address(_word(stack[-1]).to_bytes(32, "big")[12:])
        balance = computation.state.get_balance(sender)
        depth = computation.msg.depth + 1
        try:
            function(computation)
        except Halt:
            self.tracer.on_enter(depth, hooks.SELFDESTRUCT, sender, beneficiary, b"", 0, balance)
            self.tracer.on_exit(depth, b"", 0, None, False)
            raise


def traced_state(
    base: type,
    tracer: hooks.Tracer,
    view: hooks.StateView,
    error_text: Callable[[Exception], str],
    deadline: float | None,
) -> type:
    """A subclass of the engine's py-evm state class ``base`` whose computations run
    the instrumented loop for ``tracer``. ``error_text`` words a VM error as geth does."""
    run = _Run(tracer, view, error_text, deadline)

    def traced(computation_class: type) -> type:
        class Traced(computation_class):  # type: ignore[misc,valid-type]
            def _configure_gas_meter(self) -> Any:
                return _Meter(self.msg.gas)

            @classmethod
            def apply_message(
                cls,
                state: Any,
                message: Any,
                transaction_context: Any,
                parent_computation: Any = None,
            ) -> Any:
                if message.is_create:  # opened (and closed) by apply_create_message
                    return super().apply_message(
                        state, message, transaction_context, parent_computation
                    )
                run.enter(message, parent_computation)
                computation = super().apply_message(
                    state, message, transaction_context, parent_computation
                )
                run.exit(message, computation)
                return computation

            @classmethod
            def apply_create_message(
                cls,
                state: Any,
                message: Any,
                transaction_context: Any,
                parent_computation: Any = None,
            ) -> Any:
                run.enter(message, parent_computation)
                computation = super().apply_create_message(
                    state, message, transaction_context, parent_computation
                )
                run.exit(message, computation)
                return computation

            @classmethod
            def run_code(cls, computation: Any) -> None:
                # The engine's frame set-up (Computation.apply_computation), our loop.
                run.run(computation)

        return Traced

    class TracedState(base):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            base_class: type = getattr(self, "computation_class")  # noqa: B009
            setattr(self, "computation_class", traced(base_class))  # noqa: B010

    return TracedState
