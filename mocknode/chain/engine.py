"""The one narrow door to the EVM implementation (py-evm today).

Everything py-evm-specific lives here: decoding and signing transactions, running a
transaction or a call against a :class:`JournalAccounts`, and translating the
outcome into plain records. The rest of the chain never imports ``eth``, so another
EVM could replace py-evm behind these few functions.

py-evm is driven at the level of its ``PragueState`` and transaction executor: its
``Chain``/``VM`` classes, header validation and database layers are not used at all,
which is where most of eth-tester's time goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth.abc import SignedTransactionAPI
from eth.exceptions import (
    InsufficientFunds,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfGas,
    Revert,
    StackDepthLimit,
    WriteProtection,
)
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.prague.state import PragueState
from eth.vm.forks.prague.transactions import PragueTransactionBuilder

from mocknode.chain.journal import JournalAccounts
from mocknode.chain.records import Authorization, Log, Tx
from mocknode.types import Address, Hash32

_BUILDER = PragueTransactionBuilder


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """The block a transaction or call executes in."""

    number: int
    timestamp: int
    coinbase: Address
    gas_limit: int
    base_fee: int
    prev_randao: Hash32
    chain_id: int
    ancestor_hashes: Callable[[], Iterable[Hash32]]
    excess_blob_gas: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What executing a transaction or a call produced."""

    success: bool
    gas_used: int
    output: bytes
    logs: tuple[Log, ...]
    error: str | None  # geth's wording for a failed execution ("execution reverted", ...)
    reverted: bool


class _State(PragueState):  # type: ignore[misc]
    """PragueState over our journal, built without py-evm's database plumbing."""

    def __init__(self, accounts: JournalAccounts, env: BlockEnv) -> None:
        self._db = None
        self._account_db = accounts
        self.execution_context = ExecutionContext(
            coinbase=env.coinbase,
            timestamp=env.timestamp,
            block_number=env.number,
            difficulty=0,
            mix_hash=env.prev_randao,
            gas_limit=env.gas_limit,
            prev_hashes=env.ancestor_hashes(),
            chain_id=env.chain_id,
            base_fee_per_gas=env.base_fee,
            excess_blob_gas=env.excess_blob_gas,
        )


def _vm_error_message(error: Exception) -> str:
    """geth's text for an EVM failure (core/vm/errors.go)."""
    if isinstance(error, Revert):
        return "execution reverted"
    if isinstance(error, OutOfGas):
        return "out of gas"
    if isinstance(error, InvalidJumpDestination):
        return "invalid jump destination"
    if isinstance(error, InvalidInstruction):
        return "invalid opcode: INVALID"
    if isinstance(error, StackDepthLimit):
        return "max call depth exceeded"
    if isinstance(error, WriteProtection):
        return "write protection"
    if isinstance(error, InsufficientFunds):
        return "insufficient balance for transfer"
    text = str(error) or type(error).__name__
    return text[0].lower() + text[1:] if text else "execution failed"


def _outcome(computation: Any, gas_used: int) -> Outcome:
    logs = tuple(
        Log(Address(address), tuple(Hash32(t.to_bytes(32, "big")) for t in topics), bytes(data))
        for address, topics, data in computation.get_log_entries()
    )
    if computation.is_error:
        error = computation.error
        reverted = isinstance(error, Revert)
        output = bytes(error.args[0]) if reverted and error.args else b""
        return Outcome(False, gas_used, output, (), _vm_error_message(error), reverted)
    return Outcome(True, gas_used, bytes(computation.output), logs, None, False)


def _gas_used(transaction: Any, computation: Any) -> int:
    remaining: int = computation.get_gas_remaining()
    used: int = transaction.gas - remaining
    refund = min(int(computation.get_gas_refund()), used // 5)
    floor: int = getattr(computation, "data_floor_gas", 0)
    return used - refund + floor


def apply_transaction(accounts: JournalAccounts, env: BlockEnv, tx: Tx) -> Outcome:
    """Execute a signed transaction; the caller checked it is valid for this state."""
    state = _State(accounts, env)
    accounts.lock_changes()
    evm_tx = tx.evm
    computation = state.apply_transaction(evm_tx)
    gas_used = _gas_used(evm_tx, computation)
    accounts.lock_changes()
    return _outcome(computation, gas_used)


class _CallTx:
    """The transaction-shaped object py-evm's executor reads during a call.

    ``eth_call`` has no signature and may name any sender; py-evm only needs these
    attributes, so a tiny object beats wrapping a real unsigned transaction.
    """

    def __init__(
        self,
        sender: Address,
        nonce: int,
        gas: int,
        to: Address | None,
        value: int,
        data: bytes,
        max_fee_per_gas: int,
        max_priority_fee_per_gas: int,
        access_list: Sequence[tuple[Address, Sequence[int]]],
        authorization_list: Sequence[Any],
    ) -> None:
        self.sender = sender
        self.nonce = nonce
        self.gas = gas
        self.to = to if to is not None else b""
        self.value = value
        self.data = data
        self.max_fee_per_gas = max_fee_per_gas
        self.max_priority_fee_per_gas = max_priority_fee_per_gas
        self.gas_price = max_fee_per_gas
        self.access_list = access_list
        self.authorization_list = authorization_list
        self.type_id = 4 if authorization_list else 2
        self.blob_versioned_hashes: tuple[Hash32, ...] = ()
        self.max_fee_per_blob_gas = 0
        probe = _BUILDER.new_unsigned_dynamic_fee_transaction(
            1, nonce, 0, 0, gas, self.to, value, data, access_list
        )
        self.intrinsic_gas = probe.intrinsic_gas + (
            25000 * len(authorization_list) if authorization_list else 0
        )

    def get_sender(self) -> Address:
        return self.sender


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A call as ``eth_call``/``eth_estimateGas`` describe it, fees already resolved."""

    sender: Address
    to: Address | None
    gas: int
    value: int
    data: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    access_list: tuple[tuple[Address, tuple[int, ...]], ...] = ()


def apply_call(accounts: JournalAccounts, env: BlockEnv, call: CallRequest) -> Outcome:
    """Run a call on ``accounts``; the caller throws the journal away afterwards."""
    state = _State(accounts, env)
    accounts.lock_changes()
    nonce = accounts.get_nonce(call.sender)
    tx = _CallTx(
        call.sender,
        nonce,
        call.gas,
        call.to,
        call.value,
        call.data,
        call.max_fee_per_gas,
        call.max_priority_fee_per_gas,
        call.access_list,
        (),
    )
    if tx.intrinsic_gas > call.gas:
        return Outcome(False, call.gas, b"", (), "intrinsic gas too low", False)
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    computation = executor.finalize_computation(tx, computation)
    state.clear_transient_storage()
    return _outcome(computation, _gas_used(tx, computation))


# -- transactions -------------------------------------------------------------


def decode_transaction(raw: bytes) -> SignedTransactionAPI:
    """Decode a raw signed transaction (any type py-evm's Prague builder knows)."""
    return _BUILDER.decode(raw)


def sign_transaction(
    *,
    private_key: bytes,
    chain_id: int,
    tx_type: int,
    nonce: int,
    gas: int,
    to: Address | None,
    value: int,
    data: bytes,
    gas_price: int = 0,
    max_fee_per_gas: int = 0,
    max_priority_fee_per_gas: int = 0,
    access_list: Sequence[tuple[Address, Sequence[int]]] = (),
    authorization_list: Sequence[Any] = (),
) -> SignedTransactionAPI:
    """Build and sign a transaction for an account whose key the node holds."""
    from eth_keys import keys

    key = keys.PrivateKey(private_key)
    target = to if to is not None else b""
    if tx_type == 0:
        legacy = _BUILDER.create_unsigned_transaction(
            nonce=nonce, gas_price=gas_price, gas=gas, to=target, value=value, data=data
        )
        return legacy.as_signed_transaction(key, chain_id=chain_id)
    if tx_type == 1:
        unsigned_al = _BUILDER.new_unsigned_access_list_transaction(
            chain_id, nonce, gas_price, gas, target, value, data, list(access_list)
        )
        return unsigned_al.as_signed_transaction(key)
    if tx_type == 4:
        unsigned_sc = _BUILDER.new_unsigned_set_code_transaction(
            chain_id,
            nonce,
            max_priority_fee_per_gas,
            max_fee_per_gas,
            gas,
            target,
            value,
            data,
            list(access_list),
            list(authorization_list),
        )
        return unsigned_sc.as_signed_transaction(key)
    unsigned_df = _BUILDER.new_unsigned_dynamic_fee_transaction(
        chain_id,
        nonce,
        max_priority_fee_per_gas,
        max_fee_per_gas,
        gas,
        target,
        value,
        data,
        list(access_list),
    )
    return unsigned_df.as_signed_transaction(key)


def to_record(evm_tx: Any) -> Tx:
    """Typed record of a py-evm signed transaction (recovers the sender once)."""
    tx_type = 0 if not hasattr(evm_tx, "type_id") or evm_tx.type_id is None else evm_tx.type_id
    inner = evm_tx if tx_type == 0 else evm_tx._inner
    to = Address(bytes(evm_tx.to)) if evm_tx.to else None
    access_list = tuple(
        (Address(bytes(addr)), tuple(Hash32(int(k).to_bytes(32, "big")) for k in keys))
        for addr, keys in getattr(evm_tx, "access_list", ())
    )
    authorizations = tuple(
        Authorization(a.chain_id, Address(bytes(a.address)), a.nonce, a.y_parity, a.r, a.s)
        for a in (inner.authorization_list if tx_type == 4 else ())
    )
    if tx_type == 0:
        raw = evm_tx.encode()
        v = evm_tx.v
        chain_id = evm_tx.chain_id
        gas_price: int | None = evm_tx.gas_price
        max_fee = max_tip = evm_tx.gas_price
    else:
        raw = evm_tx.encode()
        v = evm_tx.y_parity
        chain_id = evm_tx.chain_id
        if tx_type == 1:
            gas_price = max_fee = max_tip = evm_tx.gas_price
        else:
            gas_price = None
            max_fee = evm_tx.max_fee_per_gas
            max_tip = evm_tx.max_priority_fee_per_gas
    return Tx(
        hash=Hash32(bytes(evm_tx.hash)),
        type=tx_type,
        sender=Address(bytes(evm_tx.sender)),
        nonce=evm_tx.nonce,
        gas=evm_tx.gas,
        to=to,
        value=evm_tx.value,
        data=bytes(evm_tx.data),
        chain_id=chain_id,
        gas_price=gas_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=max_tip,
        access_list=access_list,
        authorization_list=authorizations,
        v=v,
        r=evm_tx.r,
        s=evm_tx.s,
        raw=raw,
        evm=evm_tx,
    )


def intrinsic_gas(tx: Tx) -> int:
    gas: int = tx.evm.intrinsic_gas
    return gas


def system_contracts() -> list[tuple[Address, bytes]]:
    """Prague's predeploys that block processing writes to (EIP-4788, EIP-2935)."""
    from eth.vm.forks.cancun.constants import BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CONTRACT_CODE
    from eth.vm.forks.prague.constants import HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CONTRACT_CODE

    return [
        (Address(bytes(BEACON_ROOTS_ADDRESS)), bytes(BEACON_ROOTS_CONTRACT_CODE)),
        (Address(bytes(HISTORY_STORAGE_ADDRESS)), bytes(HISTORY_STORAGE_CONTRACT_CODE)),
    ]


BEACON_ROOTS_BUFFER = 8191  # EIP-4788 HISTORY_BUFFER_LENGTH
HISTORY_SERVE_WINDOW = 8191  # EIP-2935
