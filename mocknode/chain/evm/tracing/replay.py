"""Re-running history under a tracer, with explicit inputs (no chain object).

A mined transaction is re-executed where it ran: on the state its block was built on
(the commit before the block's own, so dev edits made before it was mined count), after
the block's system writes and every earlier transaction of the block, which run on the
fast path untraced. Nothing is committed: everything happens on a throw-away journal.

Each function takes the tracer (or a factory of tracers, one per transaction) and a
timeout in seconds, and returns the execution outcome beside what the tracer collected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from mocknode.chain.args import TxArgs
from mocknode.chain.block.mining import block_system_writes
from mocknode.chain.evm import engine
from mocknode.chain.evm.tracing.hooks import Tracer, TraceRefused, TraceTimeout
from mocknode.chain.evm.variant import CallVariant
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.chain.records import Block, Tx
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import StateReader
from mocknode.types import ZERO_ADDRESS, ZERO_HASH, Hash32
from mocknode.values import dataclass


@dataclass(frozen=True, slots=True)
class Traced:
    """One transaction's trace: its tracer, or why tracing it stopped."""

    tx: Tx | None
    tracer: Tracer
    outcome: engine.Outcome | None
    error: str | None = None  # "execution timeout", a refusal ...


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def trace_block(
    reader: StateReader,
    parent: Block,
    block: Block,
    env: engine.BlockEnv,
    make_tracer: Callable[[], Tracer],
    timeout: float | None,
    only: int | None = None,
) -> list[Traced]:
    """Trace the transactions of ``block`` (all of them, or only the one at index
    ``only``) on ``reader``, the state ``block`` was built on; ``env`` is the block's
    environment. Each traced transaction gets its own tracer and its own timeout."""
    journal = JournalAccounts(reader)
    block_system_writes(journal, env, parent)
    results = []
    transactions: Sequence[Tx] = block.transactions
    for index, tx in enumerate(transactions):
        if only is not None and index != only:
            engine.apply_transaction(journal, env, tx)
            if index > only:
                break
            continue
        tracer = make_tracer()
        try:
            outcome = engine.trace_transaction(journal, env, tx, tracer, _deadline(timeout))
        except TraceTimeout as exc:
            results.append(Traced(tx, tracer, None, str(exc)))
            if only is not None:
                break
            # The rest of the block needs this transaction's effects: run it untraced.
            journal = _rerun_from(reader, parent, env, transactions[: index + 1])
            continue
        results.append(Traced(tx, tracer, outcome))
    return results


def _rerun_from(
    reader: StateReader, parent: Block, env: engine.BlockEnv, transactions: Sequence[Tx]
) -> JournalAccounts:
    """A fresh journal with the block's system writes and ``transactions`` applied
    (after a trace stopped half-way through one, its journal is not to be trusted)."""
    journal = JournalAccounts(reader)
    block_system_writes(journal, env, parent)
    for tx in transactions:
        engine.apply_transaction(journal, env, tx)
    return journal


def call_request(
    args: TxArgs, env: engine.BlockEnv, gas_cap: int
) -> tuple[engine.CallRequest, engine.BlockEnv]:
    """The call ``args`` describe with geth's defaults (CallDefaults/ToMessage): no
    fee fields is a zero price at a zero base fee (NoBaseFee); no gas is ``gas_cap``."""
    if args.gas_price is not None:
        max_fee = tip = price = args.gas_price
    else:
        max_fee = args.max_fee_per_gas or 0
        tip = args.max_priority_fee_per_gas or 0
        price = min(tip + env.base_fee, max_fee) if (max_fee or tip) else 0
    if not price and env.base_fee:
        env = env.without_base_fee()
    request = engine.CallRequest(
        sender=args.sender or ZERO_ADDRESS,
        to=args.to,
        gas=args.gas if args.gas is not None else gas_cap,
        value=args.value or 0,
        data=args.data or b"",
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=tip,
        access_list=args.access_list or (),
    )
    return request, env


def state_at_transaction(
    reader: StateReader, parent: Block, block: Block, env: engine.BlockEnv, index: int
) -> JournalAccounts:
    """geth's StateAtTransaction: the state transaction ``index`` of ``block`` ran on
    (``reader`` being the state ``block`` was built on): the block's system writes and
    its earlier transactions applied, untraced. debug_traceCall's ``txIndex``."""
    if block.number == 0:
        raise TraceRefused("no transaction in genesis")
    transactions = block.transactions
    if index >= len(transactions) and not (index == 0 and not transactions):
        raise TraceRefused(
            f"transaction index {index} out of range for block {'0x' + block.hash.hex()}"
        )
    journal = JournalAccounts(reader)
    block_system_writes(journal, env, parent)
    for tx in transactions[:index]:
        engine.apply_transaction(journal, env, tx)
    journal.lock_changes()
    return journal


def overridden_hashes(
    number: int, ref: int, hash_of: Callable[[int], Hash32]
) -> Callable[[], Iterator[Hash32]]:
    """The hashes BLOCKHASH sees in a block whose number is overridden to ``number``,
    newest first, as geth's GetHashFn answers them from the header it runs on (number
    ``ref``): the real hash below ``ref``, zero from ``ref`` up (py-evm reads them by
    depth below the block's number, geth by number below the header's)."""

    def hashes() -> Iterator[Hash32]:
        for n in range(number - 1, max(-1, number - 257), -1):
            yield hash_of(n) if n < ref else ZERO_HASH

    return hashes


def trace_call(
    state: StateReader | JournalAccounts,
    env: engine.BlockEnv,
    args: TxArgs,
    tracer: Tracer,
    timeout: float | None,
    gas_cap: int,
    variant: CallVariant | None = None,
) -> Traced:
    """debug_traceCall: ``args`` run as a transaction on top of ``state`` (a reader, or
    a journal already holding a block's earlier transactions and state overrides), in
    the block ``env`` describes; nothing is kept. ``variant``: precompiles that state
    overrides moved or removed."""
    request, env = call_request(args, env, gas_cap)
    journal = state if isinstance(state, JournalAccounts) else JournalAccounts(state)
    cost = request.gas * request.max_fee_per_gas + request.value
    balance = journal.get_balance(request.sender)
    if cost > balance:
        raise TraceRefused(
            f"insufficient funds for gas * price + value: address "
            f"{checksum_address(request.sender)} have {balance} want {cost}"
        )
    try:
        outcome = engine.trace_call(journal, env, request, tracer, _deadline(timeout), variant)
    except TraceTimeout as exc:
        return Traced(None, tracer, None, str(exc))
    return Traced(None, tracer, outcome)
