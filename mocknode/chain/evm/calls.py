"""eth_call and eth_estimateGas: execution that never commits.

Each call runs on a fresh :class:`JournalAccounts` over the state it is given, which
is then dropped. The inputs are explicit: a reader of the state asked for and the
environment of that block (:func:`call_env`), which the chain resolves. Defaults and
checks follow geth's ``DoCall`` and gas estimator: no fee fields means a zero base
fee, the balance check covers ``gas * price + value``, and estimation does geth's
optimistic first try followed by a binary search that stops within 1.5%.

The gas cap is geth's ``--rpc.gascap`` (mocknode's ``--rpc-gas-cap``): the gas of a call
that names none, and the most any call may use, a caller's larger figure clamped to it
(0: no cap). State and block overrides (:mod:`mocknode.chain.evm.overrides`) are applied
to the reader and environment handed in, never to the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mocknode.chain.args import TxArgs
from mocknode.chain.errors import ExecutionFailed
from mocknode.chain.evm import engine
from mocknode.chain.evm.overrides import BlockOverrides, StateOverride, apply_block, overlay
from mocknode.chain.evm.revert import revert_message
from mocknode.chain.evm.variant import CallVariant
from mocknode.chain.limits import max_initcode_size
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH, checksum_address
from mocknode.chain.records import Authorization, Header
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import StateReader
from mocknode.types import ZERO_ADDRESS, Hash32
from mocknode.values import dataclass, replace

# geth's --rpc.gascap default: a call that names no gas may use this much.
CALL_GAS_CAP = 50_000_000
# geth's gas for a call naming none when the cap is 0 (math.MaxUint64 / 2).
_UNCAPPED_GAS = 2**63 - 1


@dataclass(frozen=True, slots=True)
class CallOverrides:
    """eth_call's third and fourth arguments: state and block overrides."""

    state: StateOverride | None = None
    block: BlockOverrides | None = None


def with_overrides(
    reader: StateReader, env: engine.BlockEnv, overrides: CallOverrides | None
) -> tuple[StateReader, engine.BlockEnv, CallVariant | None]:
    if overrides is None:
        return reader, env, None
    env = apply_block(env, overrides.block)
    if not overrides.state:
        return reader, env, None
    reader, variant = overlay(reader, overrides.state)
    return reader, env, variant


def capped_gas(gas: int | None, gas_cap: int) -> int:
    """geth's CallDefaults: no gas means the cap; more than the cap is clamped to it."""
    if gas is None:
        return gas_cap or _UNCAPPED_GAS
    return min(gas, gas_cap) if gas_cap else gas


def call_env(
    header: Header, *, chain_id: int, ancestor_hashes: Callable[[], Iterable[Hash32]]
) -> engine.BlockEnv:
    """The environment of the block ``header`` heads, as a call on top of it sees it.
    ``ancestor_hashes`` yields the hashes BLOCKHASH sees, newest first."""
    return engine.BlockEnv(
        number=header.number,
        timestamp=header.timestamp,
        coinbase=header.coinbase,
        gas_limit=header.gas_limit,
        base_fee=header.base_fee_per_gas,
        prev_randao=header.mix_hash,
        chain_id=chain_id,
        ancestor_hashes=ancestor_hashes,
    )


def call_request(
    args: TxArgs, env: engine.BlockEnv, gas: int
) -> tuple[engine.CallRequest, engine.BlockEnv]:
    """The call and its environment, with geth's defaults (CallDefaults/ToMessage)."""
    if args.gas_price is not None:
        max_fee = tip = price = args.gas_price
    else:
        max_fee = args.max_fee_per_gas or 0
        tip = args.max_priority_fee_per_gas or 0
        price = min(tip + env.base_fee, max_fee) if (max_fee or tip) else 0
    # geth runs a call whose effective gas price is zero with a zero base fee (NoBaseFee),
    # so BASEFEE reads 0 and no fee check applies.
    if not price and env.base_fee:
        env = _without_base_fee(env)
    call = engine.CallRequest(
        sender=args.sender or ZERO_ADDRESS,
        to=args.to,
        gas=gas,
        value=args.value or 0,
        data=args.data or b"",
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=tip,
        access_list=args.access_list or (),
        authorization_list=tuple(a for a in args.authorization_list if isinstance(a, Authorization))
        if args.authorization_list
        else (),
    )
    return call, env


# The last environment a zero-priced call ran in, and its zero-base-fee twin: calls
# mostly hit one block, whose environment the chain keeps (one object per block). One
# tuple, replaced whole, so worker threads (the EVM time limit) read a consistent pair.
_zero_fee: tuple[engine.BlockEnv, engine.BlockEnv] | None = None


def _without_base_fee(env: engine.BlockEnv) -> engine.BlockEnv:
    global _zero_fee
    cached = _zero_fee
    if cached is not None and cached[0] is env:
        return cached[1]
    zero = env.without_base_fee()
    _zero_fee = (env, zero)
    return zero


class _Precheck(Exception):
    """A call geth refuses before executing it (funds, fee cap); wrapped per caller."""


def _run_call(
    call: engine.CallRequest,
    env: engine.BlockEnv,
    reader: StateReader,
    variant: CallVariant | None = None,
) -> engine.Outcome:
    limit = max_initcode_size(env.code_size_limit)
    if call.to is None and len(call.data) > limit:
        # geth's state transition refuses it before executing (EIP-3860); py-evm would
        # raise out of the message instead of failing it.
        raise _Precheck(f"max initcode size exceeded: code size {len(call.data)}, limit {limit}")
    journal = JournalAccounts(reader)
    cost = call.gas * call.max_fee_per_gas + call.value
    balance = journal.get_balance(call.sender)
    if cost > balance:
        raise _Precheck(
            f"insufficient funds for gas * price + value: address {checksum_address(call.sender)} "
            f"have {balance} want {cost}"
        )
    if call.max_fee_per_gas and call.max_fee_per_gas < env.base_fee:
        raise _Precheck(
            f"max fee per gas less than block base fee: address {checksum_address(call.sender)}, "
            f"maxFeePerGas: {call.max_fee_per_gas}, baseFee: {env.base_fee}"
        )
    return engine.apply_call(journal, env, call, variant)


def call(
    reader: StateReader,
    env: engine.BlockEnv,
    args: TxArgs,
    *,
    gas_cap: int = CALL_GAS_CAP,
    overrides: CallOverrides | None = None,
) -> bytes:
    """eth_call on the state ``reader`` reads, in the block ``env`` describes: execute
    without committing; raise ExecutionFailed as geth reports it."""
    reader, env, variant = with_overrides(reader, env, overrides)
    call, env = call_request(args, env, capped_gas(args.gas, gas_cap))
    try:
        outcome = _run_call(call, env, reader, variant)
    except _Precheck as exc:
        raise ExecutionFailed(f"err: {exc} (supplied gas {call.gas})") from None
    if outcome.success:
        return outcome.output
    raise _failure(outcome)


def estimate_gas(
    reader: StateReader,
    env: engine.BlockEnv,
    args: TxArgs,
    *,
    gas_cap: int = CALL_GAS_CAP,
    overrides: CallOverrides | None = None,
) -> int:
    """eth_estimateGas on the state ``reader`` reads, in the block ``env`` describes,
    with geth's search: optimistic guess, then binary search."""
    reader, env, variant = with_overrides(reader, env, overrides)
    call, env = call_request(args, env, args.gas if args.gas is not None else env.gas_limit)
    hi = min(call.gas, gas_cap) if gas_cap else call.gas
    price = call.max_fee_per_gas
    if price:
        balance = reader.account(call.sender)
        available = (balance.balance if balance else 0) - call.value
        if available < 0:
            raise ExecutionFailed("insufficient funds for transfer")
        hi = min(hi, available // price)

    def succeeds(gas: int) -> engine.Outcome:
        try:
            return _run_call(_with_gas(call, gas), env, reader, variant)
        except _Precheck as exc:
            raise ExecutionFailed(f"failed with {gas} gas: {exc}") from None

    if call.to is not None and not call.data:
        target = reader.account(call.to)
        if target is None or target.code_hash == EMPTY_CODE_HASH:
            if hi < 21000:
                raise ExecutionFailed(f"gas required exceeds allowance ({hi})")
            if succeeds(21000).success:
                return 21000
    outcome = succeeds(hi)
    if not outcome.success:
        if outcome.reverted:
            raise _failure(outcome)
        if outcome.error in ("out of gas", "intrinsic gas too low"):
            raise ExecutionFailed(f"gas required exceeds allowance ({hi})")
        raise _failure(outcome)
    lo = outcome.gas_used - 1
    optimistic = (outcome.gas_used + 2300) * 64 // 63
    if optimistic < hi:
        if succeeds(optimistic).success:
            hi = optimistic
        else:
            lo = optimistic
    while lo + 1 < hi:
        if (hi - lo) / hi < 0.015:
            break
        mid = min((hi + lo) // 2, lo * 2)
        if succeeds(mid).success:
            hi = mid
        else:
            lo = mid
    return hi


def _with_gas(call: engine.CallRequest, gas: int) -> engine.CallRequest:
    return replace(call, gas=gas)


def _failure(outcome: engine.Outcome) -> ExecutionFailed:
    if outcome.reverted:
        return ExecutionFailed(
            revert_message(outcome.output), revert_data=outcome.output, reverted=True
        )
    return ExecutionFailed(outcome.error or "execution failed")
