"""What a tracer hears while a transaction runs, modelled on geth's ``tracing.Hooks``.

The instrumented loop (:mod:`.stepper`) calls, in order: :meth:`Tracer.on_tx_start`,
then for each frame :meth:`Tracer.on_enter` ... :meth:`Tracer.on_exit` (the top frame
at depth 0, as geth numbers ``OnEnter``), :meth:`Tracer.on_opcode` before each
instruction, :meth:`Tracer.on_log` for each log, and :meth:`Tracer.on_tx_end` with the
gas the receipt shows.

One difference from geth, and why: geth knows an instruction's cost before running it;
py-evm only charges while it runs. So :meth:`Tracer.on_opcode` receives a :class:`Step`
whose ``cost`` (and ``error``) the loop fills in once the instruction has charged, which
is always before the next step is reported or a child frame's first step. Tracers that
keep steps (the struct logger) read ``cost`` when they render, after the run.
"""

from __future__ import annotations

from typing import Protocol

from mocknode.types import Address
from mocknode.values import dataclass, field

# Frame kinds, by the opcode that opens them (geth passes the opcode byte).
CALL = 0xF1
CALLCODE = 0xF2
DELEGATECALL = 0xF4
CREATE = 0xF0
CREATE2 = 0xF5
STATICCALL = 0xFA
SELFDESTRUCT = 0xFF


class StateView(Protocol):
    """The state as it stands at the moment of the hook (the transaction's journal)."""

    def get_balance(self, address: Address) -> int: ...
    def get_nonce(self, address: Address) -> int: ...
    def get_code(self, address: Address) -> bytes: ...
    def get_code_hash(self, address: Address) -> bytes: ...
    def get_storage(self, address: Address, slot: int, from_journal: bool = True) -> int: ...


@dataclass(frozen=True, slots=True)
class TxStart:
    """The transaction about to run; ``to`` is the created address for a deployment."""

    sender: Address
    to: Address
    create: bool
    gas: int
    value: int
    data: bytes
    coinbase: Address


@dataclass(slots=True)
class Step:
    """One instruction, as seen just before it runs. ``stack`` is bottom first;
    ``memory`` is the frame's whole memory, copied for tracers that ask for it, and for
    every CREATE2 (whose address depends on the init code in memory)."""

    pc: int
    op: int
    gas: int
    depth: int  # 1 for the transaction's own frame, as geth's struct logs count
    address: Address  # whose storage the frame reads and writes
    stack: list[int]
    memory: bytes | None
    return_data: bytes
    refund: int
    cost: int = 0
    error: str | None = None
    storage: dict[int, int] | None = field(default=None)


class Tracer:
    """A tracer with every hook doing nothing; tracers override what they need.

    ``wants_memory`` asks the loop to copy memory into each :class:`Step` (geth's
    ``enableMemory``), ``wants_return_data`` the last call's output (``enableReturnData``);
    ``wants_steps`` False lets the loop skip building steps at all.
    """

    wants_memory = False
    wants_return_data = False
    wants_steps = True

    def on_tx_start(self, tx: TxStart, state: StateView) -> None:
        """Before the sender pays for gas or its nonce moves."""

    def on_enter(
        self,
        depth: int,
        kind: int,
        sender: Address,
        to: Address,
        data: bytes,
        gas: int,
        value: int | None,
    ) -> None:
        """A frame opens; ``value`` is None where geth passes none (STATICCALL)."""

    def on_exit(
        self, depth: int, output: bytes, gas_used: int, error: str | None, reverted: bool
    ) -> None:
        """The frame opened by the matching :meth:`on_enter` closes."""

    def on_opcode(self, step: Step, state: StateView) -> None:
        """An instruction is about to run (see the module docstring for ``cost``)."""

    def on_log(self, address: Address, topics: tuple[int, ...], data: bytes) -> None:
        """A LOG instruction succeeded."""

    def on_tx_end(self, gas_used: int, state: StateView) -> None:
        """The transaction is settled (fees paid); ``gas_used`` is the receipt's."""


class TraceTimeout(Exception):
    """The trace ran past its deadline (geth: ``execution timeout``)."""


class TraceRefused(Exception):
    """The call cannot start (geth's state transition refuses it before any frame)."""
