"""geth's ``callTracer``: the tree of frames a transaction opened, with ``onlyTopCall``
(no sub-frames) and ``withLog`` (each frame's logs, with their position among its
sub-calls; logs of failed frames and their children dropped, as geth drops them).
"""

from __future__ import annotations

from mocknode.chain.evm.revert import revert_reason
from mocknode.chain.evm.tracing import hooks
from mocknode.types import Address
from mocknode.values import dataclass, field

OP_NAMES = {
    hooks.CALL: "CALL",
    hooks.CALLCODE: "CALLCODE",
    hooks.DELEGATECALL: "DELEGATECALL",
    hooks.CREATE: "CREATE",
    hooks.CREATE2: "CREATE2",
    hooks.STATICCALL: "STATICCALL",
    hooks.SELFDESTRUCT: "SELFDESTRUCT",
}


@dataclass(frozen=True, slots=True)
class CallLog:
    address: Address
    topics: tuple[int, ...]
    data: bytes
    position: int  # how many sub-calls of the frame came before it


@dataclass(slots=True)
class CallFrame:
    kind: int
    sender: Address
    to: Address | None  # None for a deployment that failed
    gas: int
    value: int | None
    data: bytes
    gas_used: int = 0
    output: bytes = b""
    error: str | None = None
    revert_reason: str | None = None
    calls: list[CallFrame] = field(default_factory=list)
    logs: list[CallLog] = field(default_factory=list)

    @property
    def type(self) -> str:
        return OP_NAMES[self.kind]


@dataclass(frozen=True, slots=True)
class CallTracerOptions:
    only_top_call: bool = False
    with_log: bool = False


class CallTracer(hooks.Tracer):
    wants_steps = False

    def __init__(self, options: CallTracerOptions) -> None:
        self.options = options
        self.stack: list[CallFrame] = []
        self.root: CallFrame | None = None
        self.gas_limit = 0
        self.depth = 0

    def on_tx_start(self, tx: hooks.TxStart, state: hooks.StateView) -> None:
        self.gas_limit = tx.gas

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
        self.depth = depth
        if self.options.only_top_call and depth > 0:
            return
        frame = CallFrame(kind, sender, to, self.gas_limit if depth == 0 else gas, value, data)
        self.stack.append(frame)

    def on_exit(
        self, depth: int, output: bytes, gas_used: int, error: str | None, reverted: bool
    ) -> None:
        if depth == 0:
            if len(self.stack) == 1:
                _finish(self.stack[0], output, error)
            return
        self.depth = depth - 1
        if self.options.only_top_call or len(self.stack) <= 1:
            return
        frame = self.stack.pop()
        frame.gas_used = gas_used
        _finish(frame, output, error)
        self.stack[-1].calls.append(frame)

    def on_log(self, address: Address, topics: tuple[int, ...], data: bytes) -> None:
        if not self.options.with_log or (self.options.only_top_call and self.depth > 0):
            return
        frame = self.stack[-1]
        frame.logs.append(CallLog(address, topics, data, len(frame.calls)))

    def on_tx_end(self, gas_used: int, state: hooks.StateView) -> None:
        root = self.stack[0]
        root.gas_used = gas_used
        if self.options.with_log:
            _drop_failed_logs(root, False)
        self.root = root


def _finish(frame: CallFrame, output: bytes, error: str | None) -> None:
    """geth's processOutput: output on success; on failure the error, the revert data
    and its decoded reason for a revert, and no address for a failed deployment."""
    if error is None:
        frame.output = output
        return
    frame.error = error
    if frame.kind in (hooks.CREATE, hooks.CREATE2):
        frame.to = None
    if not error.startswith("execution reverted") or not output:
        return
    frame.output = output
    if len(output) >= 4:
        frame.revert_reason = revert_reason(output)


def _drop_failed_logs(frame: CallFrame, parent_failed: bool) -> None:
    failed = parent_failed or frame.error is not None
    if failed:
        frame.logs = []
    for call in frame.calls:
        _drop_failed_logs(call, failed)
