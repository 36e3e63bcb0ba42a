"""eth_simulateV1: calls run as transactions in blocks built on a chain block, never kept.

geth's simulator (``internal/ethapi/simulate.go``), step by step: the blocks are put in
order first (numbers and timestamps strictly increasing, gaps filled with empty blocks 12
seconds apart, at most 256 blocks past the base); then each block's state overrides are
written, its calls run one after the other as transactions (nonce, fees and refunds
settled, so a later call sees an earlier one's effects), and the block is sealed over
their receipts. Without ``validation`` the base fee is 0 unless overridden and nonces are
not checked; with it, geth's transaction checks apply with geth's codes (-38010 ...).

Everything runs on one :class:`JournalAccounts` over the base block's state, dropped at
the end: nothing is committed. The state root of each block is learnt the way the pending
block learns its own (commit, read the root, revert) when the base is the chain's latest
state, through the ``state_root`` callable the caller passes; otherwise it is zero (the
trie of an older state is not kept).

Differences from geth, kept small: the system calls of EIP-4788 / EIP-2935 are not run in
simulated blocks; a log's ``logIndex`` counts the logs that survived (geth's tracer counts
the ones a reverted frame dropped too); ``blobBaseFee`` is accepted and not applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mocknode.chain.args import TxArgs
from mocknode.chain.block.mining import Executed, seal_block, tx_receipt
from mocknode.chain.errors import ChainError
from mocknode.chain.evm import calls, engine
from mocknode.chain.evm.overrides import (
    BlockOverrides,
    StateOverride,
    apply_state,
    default_precompiles,
    header_env,
)
from mocknode.chain.evm.revert import revert_message
from mocknode.chain.evm.variant import CallVariant
from mocknode.chain.fees import next_base_fee
from mocknode.chain.limits import max_initcode_size
from mocknode.chain.primitives.hashing import checksum_address, keccak
from mocknode.chain.records import Authorization, Block, Log, Receipt, Tx, logs_bloom
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import BlockDiff, StateReader, WorldState
from mocknode.chain.tx import codec
from mocknode.types import ZERO_ADDRESS, ZERO_HASH, Address, Hash32
from mocknode.values import dataclass, replace

__all__ = [
    "MAX_BLOCKS",
    "CallResult",
    "SimBlock",
    "SimOptions",
    "SimulatedBlock",
    "SimulationError",
    "scratch_root",
    "simulate",
]

MAX_BLOCKS = 256  # geth's maxSimulateBlocks
_TIMESTAMP_INCREMENT = 12

# geth's codes (internal/ethapi/errors.go).
NONCE_TOO_LOW = -38010
NONCE_TOO_HIGH = -38011
INTRINSIC_GAS = -38013
INSUFFICIENT_FUNDS = -38014
BLOCK_GAS_LIMIT_REACHED = -38015
BLOCK_NUMBER_INVALID = -38020
BLOCK_TIMESTAMP_INVALID = -38021
MAX_INITCODE_SIZE_EXCEEDED = -38025
CLIENT_LIMIT_EXCEEDED = -38026
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
REVERTED = -32000
VM_ERROR = -32015
SERVER_ERROR = -32000


class SimulationError(ChainError):
    """A simulation geth refuses as a whole, with geth's code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SimBlock:
    """One entry of ``blockStateCalls``."""

    block_overrides: BlockOverrides | None = None
    state_overrides: StateOverride = ()
    calls: tuple[TxArgs, ...] = ()


@dataclass(frozen=True, slots=True)
class SimOptions:
    blocks: tuple[SimBlock, ...]
    trace_transfers: bool = False
    validation: bool = False
    full_transactions: bool = False


@dataclass(frozen=True, slots=True)
class CallResult:
    """geth's ``simCallResult``; ``error`` is (code, message, revert data or None)."""

    return_data: bytes
    logs: tuple[Log, ...]
    first_log_index: int
    gas_used: int
    success: bool
    error: tuple[int, str, bytes | None] | None


@dataclass(frozen=True, slots=True)
class SimulatedBlock:
    block: Block
    calls: tuple[CallResult, ...]


def _ordered(base: Block, blocks: tuple[SimBlock, ...]) -> list[tuple[SimBlock, int, int]]:
    """geth's sanitizeChain: each block with its number and timestamp, gaps filled."""
    out: list[tuple[SimBlock, int, int]] = []
    number, timestamp = base.number, base.header.timestamp
    for block in blocks:
        overrides = block.block_overrides or BlockOverrides()
        wanted = overrides.number if overrides.number is not None else number + 1
        if wanted <= number:
            raise SimulationError(
                BLOCK_NUMBER_INVALID, f"block numbers must be in order: {wanted} <= {number}"
            )
        if wanted - base.number > MAX_BLOCKS:
            raise SimulationError(CLIENT_LIMIT_EXCEEDED, "too many blocks")
        for gap in range(number + 1, wanted):
            timestamp += _TIMESTAMP_INCREMENT
            out.append((SimBlock(), gap, timestamp))
        number = wanted
        if overrides.time is None:
            timestamp += _TIMESTAMP_INCREMENT
        else:
            if overrides.time <= timestamp:
                raise SimulationError(
                    BLOCK_TIMESTAMP_INVALID,
                    f"block timestamps must be in order: {overrides.time} <= {timestamp}",
                )
            timestamp = overrides.time
        out.append((block, number, timestamp))
    return out


def simulate(
    reader: StateReader,
    base: Block,
    base_env: engine.BlockEnv,
    options: SimOptions,
    *,
    gas_cap: int = calls.CALL_GAS_CAP,
    state_root: Callable[[BlockDiff], Hash32] | None = None,
) -> list[SimulatedBlock]:
    """Run ``options``' blocks on top of ``base`` (whose state ``reader`` reads and whose
    call environment is ``base_env``); raises :class:`SimulationError`."""
    if not options.blocks:
        raise SimulationError(INVALID_PARAMS, "empty input")
    if len(options.blocks) > MAX_BLOCKS:
        raise SimulationError(CLIENT_LIMIT_EXCEEDED, "too many blocks")
    ordered = _ordered(base, options.blocks)
    journal = JournalAccounts(reader)
    pool = [gas_cap or 2**64 - 1]  # geth's gas pool: the cap, shared by every call
    parent = base
    hashes: list[Hash32] = []  # simulated blocks so far, newest first
    results = []
    for block, number, timestamp in ordered:
        overrides = replace(
            block.block_overrides or BlockOverrides(), number=number, time=timestamp
        )
        base_fee = overrides.base_fee
        if base_fee is None:
            base_fee = next_base_fee(parent.header) if options.validation else 0
        env = header_env(
            engine.BlockEnv(
                number=number,
                timestamp=timestamp,
                coinbase=parent.header.coinbase,
                gas_limit=parent.header.gas_limit,
                base_fee=base_fee,
                prev_randao=ZERO_HASH,
                chain_id=base_env.chain_id,
                ancestor_hashes=_ancestors(tuple(hashes), base, base_env),
                code_size_limit=base_env.code_size_limit,
            ),
            replace(overrides, base_fee=base_fee),
        )
        precompiles = default_precompiles()
        unchanged = dict(precompiles)
        apply_state(journal, block.state_overrides, precompiles)
        moved = None if precompiles == unchanged else precompiles
        sealed = _run_block(journal, env, parent, block.calls, options, moved, pool)
        diff = journal.diff()
        root = state_root(diff) if state_root is not None else ZERO_HASH
        executed, call_results = sealed
        sim_block = seal_block(executed, root, parent, env)
        results.append(SimulatedBlock(sim_block, call_results))
        hashes.insert(0, sim_block.hash)
        parent = sim_block
    return results


def _ancestors(
    simulated: tuple[Hash32, ...], base: Block, base_env: engine.BlockEnv
) -> Callable[[], Iterable[Hash32]]:
    def hashes() -> Iterable[Hash32]:
        yield from simulated
        yield base.hash
        yield from base_env.ancestor_hashes()

    return hashes


def _run_block(
    journal: JournalAccounts,
    env: engine.BlockEnv,
    parent: Block,
    block_calls: tuple[TxArgs, ...],
    options: SimOptions,
    precompiles: dict[Address, Address] | None,
    pool: list[int],
) -> tuple[Executed, tuple[CallResult, ...]]:
    txs: list[Tx] = []
    receipts: list[Receipt] = []
    results: list[CallResult] = []
    gas_used = bloom = log_index = 0
    for args in block_calls:
        tx = _transaction(journal, env, args, gas_used, options.validation, pool[0])
        variant = CallVariant(
            precompiles=precompiles,
            transfer_logs=options.trace_transfers,
            commit=True,
            nonce=tx.nonce,
        )
        call = engine.CallRequest(
            sender=tx.sender,
            to=tx.to,
            gas=tx.gas,
            value=tx.value,
            data=tx.data,
            max_fee_per_gas=tx.max_fee_per_gas,
            max_priority_fee_per_gas=tx.max_priority_fee_per_gas,
            access_list=tx.access_list,
            authorization_list=tx.authorization_list,
        )
        outcome = engine.apply_call(journal, env, call, variant)
        pool[0] -= outcome.gas_used
        gas_used += outcome.gas_used
        tx_bloom = logs_bloom(outcome.logs)
        bloom |= tx_bloom
        receipts.append(tx_receipt(tx, outcome, gas_used, tx_bloom, env.base_fee, log_index))
        results.append(_result(outcome, log_index))
        log_index += len(outcome.logs)
        txs.append(tx)
    executed = Executed(journal.diff(), tuple(txs), tuple(receipts), gas_used, bloom)
    return executed, tuple(results)


def _result(outcome: engine.Outcome, first_log_index: int) -> CallResult:
    error: tuple[int, str, bytes | None] | None = None
    if outcome.reverted:
        error = (REVERTED, revert_message(outcome.output), outcome.output)
    elif not outcome.success:
        error = (VM_ERROR, outcome.error or "execution failed", None)
    return CallResult(
        outcome.output, outcome.logs, first_log_index, outcome.gas_used, outcome.success, error
    )


def _transaction(
    journal: JournalAccounts,
    env: engine.BlockEnv,
    args: TxArgs,
    gas_used: int,
    validation: bool,
    pool: int,
) -> Tx:
    """geth's sanitizeCall, CallDefaults and pre-checks: the call as the transaction it
    becomes, or :class:`SimulationError` with geth's code."""
    sender = args.sender or ZERO_ADDRESS
    state_nonce = journal.get_nonce(sender)
    nonce = args.nonce if args.nonce is not None else state_nonce
    gas = args.gas if args.gas is not None else env.gas_limit - gas_used
    if gas_used + gas > env.gas_limit:
        raise SimulationError(
            BLOCK_GAS_LIMIT_REACHED, f"block gas limit reached: {gas_used} >= {env.gas_limit}"
        )
    if args.gas_price is not None and (
        args.max_fee_per_gas is not None or args.max_priority_fee_per_gas is not None
    ):
        raise SimulationError(
            SERVER_ERROR, "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"
        )
    if args.chain_id is not None and args.chain_id != env.chain_id:
        raise SimulationError(
            SERVER_ERROR,
            f"chainId does not match node's (have={args.chain_id}, want={env.chain_id})",
        )
    gas = calls.capped_gas(gas, pool)
    if args.gas_price is not None:
        fee_cap = tip = args.gas_price
    else:
        fee_cap = args.max_fee_per_gas or 0
        tip = args.max_priority_fee_per_gas or 0
    who = checksum_address(sender)
    if validation:
        if nonce < state_nonce:
            raise SimulationError(
                NONCE_TOO_LOW, f"nonce too low: address {who}, tx: {nonce} state: {state_nonce}"
            )
        if nonce > state_nonce:
            raise SimulationError(
                NONCE_TOO_HIGH, f"nonce too high: address {who}, tx: {nonce} state: {state_nonce}"
            )
    if validation or fee_cap or tip:
        if tip > fee_cap:
            raise SimulationError(
                INVALID_PARAMS,
                f"max priority fee per gas higher than max fee per gas: address {who}, "
                f"maxPriorityFeePerGas: {tip}, maxFeePerGas: {fee_cap}",
            )
        if fee_cap < env.base_fee:
            raise SimulationError(
                INVALID_PARAMS,
                f"max fee per gas less than block base fee: address {who}, "
                f"maxFeePerGas: {fee_cap}, baseFee: {env.base_fee}",
            )
    value = args.value or 0
    want = gas * fee_cap + value
    have = journal.get_balance(sender)
    if have < want:
        raise SimulationError(
            INSUFFICIENT_FUNDS,
            f"insufficient funds for gas * price + value: address {who} have {have} want {want}",
        )
    if gas > pool:  # geth's buyGas: the simulation's gas pool (the cap) is spent
        raise SimulationError(INTERNAL_ERROR, "gas limit reached")
    auths = tuple(a for a in args.authorization_list or () if isinstance(a, Authorization))
    tx = codec.unsigned(
        sender=sender,
        chain_id=env.chain_id,
        tx_type=4 if args.authorization_list is not None else 2,
        nonce=nonce,
        gas=gas,
        to=args.to,
        value=value,
        data=args.data or b"",
        max_fee_per_gas=fee_cap,
        max_priority_fee_per_gas=tip,
        access_list=args.access_list or (),
        authorization_list=auths,
    )
    intrinsic = codec.intrinsic_gas(tx)
    if gas < intrinsic:
        raise SimulationError(INTRINSIC_GAS, f"intrinsic gas too low: have {gas}, want {intrinsic}")
    limit = max_initcode_size(env.code_size_limit)
    if tx.to is None and len(tx.data) > limit:
        raise SimulationError(
            MAX_INITCODE_SIZE_EXCEEDED,
            f"max initcode size exceeded: code size {len(tx.data)}, limit {limit}",
        )
    raw = codec.encode_signed(tx)
    return replace(tx, raw=raw, hash=Hash32(keccak(raw)))


def scratch_root(state: WorldState) -> Callable[[BlockDiff], Hash32]:
    """The state root of ``state``'s latest commit plus a diff, learnt as the pending
    block learns its own: commit, read the root, revert. ``state`` is left as it was."""

    def root(diff: BlockDiff) -> Hash32:
        head = state.head
        try:
            return Hash32(state.commit(diff))
        finally:
            state.revert_to(head)

    return root
