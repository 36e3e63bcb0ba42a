"""eth_createAccessList: geth's iterative search for a call's access list.

geth runs the call with an access-list tracer, feeds the list it found back in as the
call's own access list, and repeats until a run finds nothing new (the list changes
the gas of the calls made, so it can change the path taken). The sender, the
recipient (or the address a creation makes) and the precompiles are left out as bare
addresses, as in geth, but the slots read or written in them are kept (geth's tracer adds
every SLOAD/SSTORE slot with its contract); entries the caller passed in stay in.

Fees are the caller's: with none the call pays nothing and runs at a zero base fee (as
anvil, and geth before 1.15, run it), with some the sender must afford ``gas * fee +
value``. geth 1.16 fills its fee defaults first, so a call from an address without funds
(the zero address when ``from`` is left out, as ``cast access-list`` leaves it) fails
there with "insufficient funds"; a dev node answering it is what the clients expect.

geth's tracer records what the SLOAD/SSTORE and the account-reading opcodes (BALANCE,
EXTCODE*, the CALLs, SELFDESTRUCT) touch, whether or not their frame later reverts.
py-evm asks the journal whether an address or slot is warm exactly at those opcodes
(and marks creations and the transaction's own pre-warmed addresses warm without
asking), so a journal that records the questions, and never forgets them on a revert,
sees what geth's tracer sees.
"""

from __future__ import annotations

from mocknode.chain.args import TxArgs
from mocknode.chain.block.mining import create_address
from mocknode.chain.errors import ExecutionFailed
from mocknode.chain.evm import calls, engine
from mocknode.chain.evm.overrides import default_precompiles
from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import checksum_address, keccak
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import StateReader
from mocknode.types import ZERO_ADDRESS, Address, Hash32
from mocknode.values import dataclass, replace

__all__ = ["AccessListResult", "create_access_list"]

AccessList = tuple[tuple[Address, tuple[Hash32, ...]], ...]


@dataclass(frozen=True, slots=True)
class AccessListResult:
    """geth's ``accessListResult``: the list, the gas of the last run, its VM error."""

    access_list: AccessList
    gas_used: int
    error: str | None


class _RecordingAccounts(JournalAccounts):
    """A journal that remembers every address and slot an opcode asked about."""

    def __init__(self, reader: StateReader) -> None:
        super().__init__(reader)
        self.asked_addresses: set[bytes] = set()
        self.asked_slots: set[tuple[bytes, int]] = set()

    def is_address_warm(self, address: Address) -> bool:
        self.asked_addresses.add(address)
        return super().is_address_warm(address)

    def is_storage_warm(self, address: Address, slot: int) -> bool:
        self.asked_slots.add((address, slot))
        return super().is_storage_warm(address, slot)


def _as_sets(access_list: AccessList) -> dict[Address, set[int]]:
    out: dict[Address, set[int]] = {}
    for address, keys in access_list:
        out.setdefault(address, set()).update(int.from_bytes(k, "big") for k in keys)
    return out


def _as_list(found: dict[Address, set[int]]) -> AccessList:
    """Sorted by address, keys sorted (geth's order)."""
    return tuple(
        (address, tuple(Hash32(k.to_bytes(32, "big")) for k in sorted(found[address])))
        for address in sorted(found)
    )


def create_access_list(
    reader: StateReader,
    env: engine.BlockEnv,
    args: TxArgs,
    *,
    gas_cap: int = calls.CALL_GAS_CAP,
    overrides: calls.CallOverrides | None = None,
) -> AccessListResult:
    """The access list of the call ``args`` describes on the state ``reader`` reads."""
    reader, env, variant = calls.with_overrides(reader, env, overrides)
    sender = args.sender or ZERO_ADDRESS
    nonce = args.nonce if args.nonce is not None else _nonce(reader, sender)
    to = args.to if args.to is not None else create_address(sender, nonce)
    precompiles = variant.precompiles if variant and variant.precompiles else default_precompiles()
    excluded = {sender, to, *precompiles}
    call, env = calls.call_request(args, env, calls.capped_gas(args.gas, gas_cap))
    given = _as_sets(args.access_list or ())
    current = {a: set(k) for a, k in given.items() if a not in excluded or k}
    while True:
        journal = _RecordingAccounts(reader)
        run = replace(call, access_list=_as_list(current))
        balance = journal.get_balance(sender)
        want = run.gas * run.max_fee_per_gas + run.value
        if want > balance:
            raise ExecutionFailed(
                f"failed to apply transaction: {_legacy_hash(args, nonce, run.gas)} err: "
                f"insufficient funds for gas * price + value: address {checksum_address(sender)} "
                f"have {balance} want {want}"
            )
        outcome = engine.apply_call(journal, env, run, variant)
        found = {a: set(k) for a, k in current.items()}
        for address in journal.asked_addresses:
            if address not in excluded:
                found.setdefault(Address(address), set())
        for address, slot in journal.asked_slots:
            # Slots are kept whatever their address, as geth's tracer keeps them: only
            # the address-only entries of the sender, recipient and precompiles are
            # left out.
            found.setdefault(Address(address), set()).add(slot)
        if found == current:
            return AccessListResult(_as_list(found), outcome.gas_used, outcome.error)
        current = found


def _legacy_hash(args: TxArgs, nonce: int, gas: int) -> str:
    """The hash geth names in its error: the call as an unsigned legacy transaction."""
    fields = (
        rlp.encode_int(nonce),
        rlp.encode_int(args.gas_price or 0),
        rlp.encode_int(gas),
        rlp.encode_bytes(args.to or b""),
        rlp.encode_int(args.value or 0),
        rlp.encode_bytes(args.data or b""),
        rlp.encode_int(0),
        rlp.encode_int(0),
        rlp.encode_int(0),
    )
    return "0x" + keccak(rlp.encode_list(fields)).hex()


def _nonce(reader: StateReader, address: Address) -> int:
    account = reader.account(address)
    return account.nonce if account else 0
