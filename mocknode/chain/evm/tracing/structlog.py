"""geth's default tracer, the struct logger: every instruction with its gas, cost,
depth, stack and (on request) memory, storage and return data.

The steps are kept as :class:`~.hooks.Step` records; the JSON shape (and geth's
``limit``, which counts encoded bytes) is the RPC layer's business
(:mod:`mocknode.rpc.methods.debug_render`).
"""

from __future__ import annotations

from mocknode.chain.evm.tracing import hooks
from mocknode.types import Address
from mocknode.values import dataclass

SLOAD = 0x54
SSTORE = 0x55


@dataclass(frozen=True, slots=True)
class StructLogOptions:
    """geth's logger.Config: its switches and defaults (stack and storage on, memory
    and return data off, no limit)."""

    enable_memory: bool = False
    disable_stack: bool = False
    disable_storage: bool = False
    enable_return_data: bool = False
    limit: int = 0


class StructLogger(hooks.Tracer):
    """Collects the steps of one transaction, and storage as geth shows it: on each
    SLOAD/SSTORE, every slot of that contract seen so far in the trace."""

    def __init__(self, options: StructLogOptions) -> None:
        self.options = options
        self.wants_memory = options.enable_memory
        self.wants_return_data = options.enable_return_data
        self.steps: list[hooks.Step] = []
        self._storage: dict[Address, dict[int, int]] = {}
        self.gas_used = 0
        self.output = b""
        self.error: str | None = None
        self.reverted = False

    def on_opcode(self, step: hooks.Step, state: hooks.StateView) -> None:
        options = self.options
        op = step.op
        if not options.disable_storage and op in (SLOAD, SSTORE):
            seen = self._storage.setdefault(step.address, {})
            stack = step.stack
            if op == SLOAD and stack:
                seen[stack[-1]] = state.get_storage(step.address, stack[-1])
                step.storage = dict(seen)
            elif op == SSTORE and len(stack) >= 2:
                seen[stack[-1]] = stack[-2]
                step.storage = dict(seen)
        if not options.enable_memory:
            step.memory = None  # the loop copies it for a CREATE2 all the same
        self.steps.append(step)

    def on_exit(
        self, depth: int, output: bytes, gas_used: int, error: str | None, reverted: bool
    ) -> None:
        if depth == 0:
            self.output = output
            self.error = error

    def on_tx_end(self, gas_used: int, state: hooks.StateView) -> None:
        self.gas_used = gas_used

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def return_value(self) -> bytes:
        """The output when it succeeded, the revert data when it reverted, else nothing."""
        if self.error is not None and not self.error.startswith("execution reverted"):
            return b""
        return self.output
