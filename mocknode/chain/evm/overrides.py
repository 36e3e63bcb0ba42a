"""State and block overrides of ``eth_call``, ``eth_estimateGas``, ``eth_createAccessList``
and ``eth_simulateV1``, as geth 1.16 applies them (``internal/ethapi/override``).

Overrides are written into the call's own :class:`JournalAccounts` and nothing else: the
journal is thrown away with the call, so the chain's state never sees them. They are
written, then the journal is locked, so they read as the state before the call (their
slots are the "original" values of EIP-2200, as after geth's ``Finalise``).

geth's rules, kept here: ``state`` replaces an account's whole storage and ``stateDiff``
changes some slots, never both for one account; overriding a precompile's account in any
way removes the precompile, and ``movePrecompileToAddress`` moves it first (only a
precompile moves, never onto an address overridden itself or one a precompile moved to).
"""

from __future__ import annotations

from mocknode.chain.errors import ChainError
from mocknode.chain.evm import engine
from mocknode.chain.evm.variant import CallVariant
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import Account, BlockDiff, StateReader
from mocknode.types import Address, Hash32
from mocknode.values import dataclass, replace

__all__ = [
    "AccountOverride",
    "BlockOverrides",
    "OverrideError",
    "StateOverride",
    "apply_block",
    "apply_state",
    "overlay",
]


class OverrideError(ChainError):
    """An override geth refuses while applying it (-32000 with geth's text)."""


@dataclass(frozen=True, slots=True)
class AccountOverride:
    """geth's ``OverrideAccount``: every field optional."""

    nonce: int | None = None
    code: bytes | None = None
    balance: int | None = None
    state: tuple[tuple[int, int], ...] | None = None
    state_diff: tuple[tuple[int, int], ...] | None = None
    move_precompile_to: Address | None = None


# Accounts in the order the client named them (geth iterates a Go map: any order; the
# errors that depend on the order are the precompile ones, which name the address).
StateOverride = tuple[tuple[Address, AccountOverride], ...]


@dataclass(frozen=True, slots=True)
class BlockOverrides:
    """geth's ``BlockOverrides``. ``difficulty`` is accepted and has no effect after the
    merge; ``beacon_root`` and ``withdrawals`` only mean something to eth_simulateV1."""

    number: int | None = None
    difficulty: int | None = None
    time: int | None = None
    gas_limit: int | None = None
    fee_recipient: Address | None = None
    prev_randao: Hash32 | None = None
    base_fee: int | None = None
    blob_base_fee: int | None = None
    beacon_root: Hash32 | None = None
    withdrawals: bool = False  # given (even empty); mocknode has no withdrawals to apply


def apply_state(
    journal: JournalAccounts, overrides: StateOverride, precompiles: dict[Address, Address]
) -> None:
    """Write ``overrides`` into ``journal``; ``precompiles`` (address -> the precompile
    running there) is updated in place for moves and removals. Raises
    :class:`OverrideError` with geth's text."""
    named = {address for address, _ in overrides}
    moved_to: set[Address] = set()
    for address, account in overrides:
        if address in moved_to:
            raise OverrideError(
                f"account {checksum_address(address)} has already been overridden by a precompile"
            )
        source = precompiles.get(address)
        if account.move_precompile_to is not None:
            if source is None:
                raise OverrideError(f"account {checksum_address(address)} is not a precompile")
            target = account.move_precompile_to
            if target in named:
                raise OverrideError(f"account {checksum_address(target)} is already overridden")
            precompiles[target] = source
            moved_to.add(target)
        if source is not None:
            del precompiles[address]
        if account.nonce is not None:
            journal.set_nonce(address, account.nonce)
        if account.code is not None:
            journal.set_code(address, account.code)
        if account.balance is not None:
            journal.set_balance(address, account.balance)
        if account.state is not None and account.state_diff is not None:
            raise OverrideError(
                f"account {checksum_address(address)} has both 'state' and 'stateDiff'"
            )
        if account.state is not None:
            journal.touch_account(address)
            journal.delete_storage(address)
            for slot, value in account.state:
                journal.set_storage(address, slot, value)
        if account.state_diff is not None:
            for slot, value in account.state_diff:
                journal.set_storage(address, slot, value)
    journal.lock_changes()


def apply_block(env: engine.BlockEnv, overrides: BlockOverrides | None) -> engine.BlockEnv:
    """``env`` with the overridden fields (geth's ``BlockOverrides.Apply``); raises
    :class:`OverrideError` for the two fields geth refuses outside simulations."""
    if overrides is None:
        return env
    if overrides.beacon_root is not None:
        raise OverrideError('block override "beaconRoot" is not supported for this RPC method')
    if overrides.withdrawals:
        raise OverrideError('block override "withdrawals" is not supported for this RPC method')
    return header_env(env, overrides)


def header_env(env: engine.BlockEnv, overrides: BlockOverrides) -> engine.BlockEnv:
    """``env`` with every header field ``overrides`` names (simulations check the rest)."""
    changes: dict[str, object] = {}
    if overrides.number is not None:
        changes["number"] = overrides.number
    if overrides.time is not None:
        changes["timestamp"] = overrides.time
    if overrides.gas_limit is not None:
        changes["gas_limit"] = overrides.gas_limit
    if overrides.fee_recipient is not None:
        changes["coinbase"] = overrides.fee_recipient
    if overrides.prev_randao is not None:
        changes["prev_randao"] = overrides.prev_randao
    if overrides.base_fee is not None:
        changes["base_fee"] = overrides.base_fee
    return replace(env, **changes) if changes else env  # type: ignore[arg-type]


def default_precompiles() -> dict[Address, Address]:
    """The fork's precompiles, each at its own address."""
    return {address: address for address in engine.precompile_addresses()}


def overlay(
    reader: StateReader, overrides: StateOverride
) -> tuple[StateReader, CallVariant | None]:
    """The state ``reader`` reads with ``overrides`` on top, and the variant a call on it
    needs when the overrides moved or removed precompiles (None otherwise). Applied once,
    so estimateGas's many runs share them."""
    journal = JournalAccounts(reader)
    precompiles = default_precompiles()
    unchanged = dict(precompiles)
    apply_state(journal, overrides, precompiles)
    variant = None if precompiles == unchanged else CallVariant(precompiles=precompiles)
    return _Overridden(reader, journal.diff()), variant


class _Overridden(StateReader):
    """``base`` (any reader, the pending block's overlay included) with a diff on top.
    :class:`OverlayReader` reads its base as a plain commit, which would lose the
    pending block's own diff under the overrides; this one asks the base reader."""

    __slots__ = ("_base", "_diff")

    def __init__(self, base: StateReader, diff: BlockDiff) -> None:
        super().__init__(base._state, base.block)
        self._base = base
        self._diff = diff

    def account(self, address: Address) -> Account | None:
        accounts = self._diff.accounts
        return accounts[address] if address in accounts else self._base.account(address)

    def storage(self, address: Address, slot: int) -> int:
        slots = self._diff.storage.get(address)
        if slots is not None:
            value = slots.get(slot)
            if value is not None:
                return value
        return self._base.storage(address, slot)

    def code(self, code_hash: bytes) -> bytes:
        code = self._diff.codes.get(code_hash)
        return code if code is not None else self._base.code(code_hash)

    def slots_of(self, address: Address) -> list[int]:
        slots = dict.fromkeys(self._base.slots_of(address))
        slots.update(dict.fromkeys(self._diff.storage.get(address, {})))
        return [s for s in slots if self.storage(address, s) != 0]
