"""The checks a transaction passes before it enters the pool, as geth's txpool makes them.

Order and wording follow geth's ``ValidateTransaction`` and
``ValidateTransactionWithState`` (core/txpool/validation.go): clients decide what to do
by matching these messages. One deliberate difference: with automine, a fee cap below
the next block's base fee is refused at once (anvil does the same) instead of waiting
in the pool for a base fee that, on an idle dev chain, only falls.

The inputs are explicit (the state to check nonce and balance against, the next
block's base fee, the chain id, the head's gas limit): the chain supplies them, and a
test can check one rule without building a chain. A nonce above the account's is not
an error here: as in geth's pool, the transaction waits for the gap to fill.

The checks come in two halves: :func:`validate_static` needs only the transaction and
the chain's settings, :func:`validate_with_state` reads the state. A reorg checks the
transactions it is handed with the first half up front and lets the block it builds
decide the second.

EIP-3607 (a sender with code is refused, ``sender not an eoa``) is geth's
state-transition check, made here at the pool so the sender hears of it; an
impersonated sender skips it, as on anvil (which skips it for everyone by default).
"""

from __future__ import annotations

from mocknode.chain import fees
from mocknode.chain.errors import TxRejected
from mocknode.chain.limits import CODE_SIZE_LIMIT, max_initcode_size
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH, checksum_address
from mocknode.chain.records import Tx
from mocknode.chain.state.world import StateReader
from mocknode.chain.tx import blobs
from mocknode.chain.tx import codec as txcodec
from mocknode.chain.tx.pool import BLOB_PRICE_BUMP_PERCENT, PRICE_BUMP_PERCENT

MAX_INITCODE_SIZE = max_initcode_size(CODE_SIZE_LIMIT)
MAX_TX_SIZE = 128 * 1024


# EIP-7702: code that only delegates to another account keeps its owner an EOA.
DELEGATION_PREFIX = b"\xef\x01\x00"


def validate_for_pool(
    tx: Tx,
    *,
    reader: StateReader,
    base_fee: int,
    chain_id: int,
    gas_limit: int,
    allow_code: bool = False,
    max_initcode: int = MAX_INITCODE_SIZE,
    blob_base_fee: int = fees.MIN_BLOB_BASE_FEE,
    sidecar: blobs.BlobSidecar | None = None,
    network_size: int = 0,
) -> None:
    """geth's txpool checks, in geth's order, with geth's messages.

    ``reader``: the latest state; ``base_fee``: the next block's; ``gas_limit``: the
    next block's; ``allow_code``: skip EIP-3607 (the sender is impersonated);
    ``max_initcode``: EIP-3860's limit (twice a raised ``--code-size-limit``).
    Blob transactions only: ``blob_base_fee``, the next block's; ``sidecar`` and
    ``network_size`` (the bytes sent), given for a transaction sent raw, whose sidecar
    geth's blob pool requires and checks (see :func:`validate_static`).
    """
    validate_static(
        tx,
        chain_id=chain_id,
        gas_limit=gas_limit,
        max_initcode=max_initcode,
        sidecar=sidecar,
        network_size=network_size,
    )
    validate_with_state(
        tx, reader=reader, base_fee=base_fee, allow_code=allow_code, blob_base_fee=blob_base_fee
    )


def validate_static(
    tx: Tx,
    *,
    chain_id: int,
    gas_limit: int,
    max_initcode: int = MAX_INITCODE_SIZE,
    sidecar: blobs.BlobSidecar | None = None,
    network_size: int = 0,
) -> None:
    """The checks that need no state (geth's ``ValidateTransaction``).

    A blob transaction given with ``network_size`` (sent raw: the size of what was sent)
    must come with its ``sidecar``, as geth's blob pool requires; one the node built
    itself (a replacement) has none to check."""
    if tx.type == 3:
        _blob_limits(tx, network_size)
    elif tx.type not in (0, 1, 2, 4):
        raise TxRejected("transaction type not supported")
    # A raised code size limit raises the size limit by as much, or it could not be used.
    if len(tx.raw) > MAX_TX_SIZE + max(0, max_initcode - MAX_INITCODE_SIZE):
        raise TxRejected("oversized data")
    if tx.to is None and len(tx.data) > max_initcode:
        raise TxRejected(
            f"max initcode size exceeded: code size {len(tx.data)}, limit {max_initcode}"
        )
    if tx.gas > gas_limit:
        raise TxRejected("exceeds block gas limit")
    if tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
        raise TxRejected("max priority fee per gas higher than max fee per gas")
    if tx.chain_id is not None and tx.chain_id != chain_id:
        raise TxRejected(
            f"invalid sender: invalid chain id for signer: have {tx.chain_id} want {chain_id}"
        )
    if tx.type == 4 and not tx.authorization_list:
        raise TxRejected("EIP-7702 transaction with empty auth list")
    if tx.type == 4 and tx.to is None:
        raise TxRejected("EIP-7702 transaction cannot be used to create contract")
    needed = txcodec.intrinsic_gas(tx)
    if tx.gas < needed:
        raise TxRejected(f"intrinsic gas too low: gas {tx.gas}, minimum needed {needed}")
    floor = txcodec.floor_data_gas(tx)
    if tx.gas < floor:
        raise TxRejected(
            f"insufficient gas for floor data gas cost: gas {tx.gas}, minimum needed {floor}"
        )
    if tx.type == 3:
        _blob_fields(tx, sidecar, network_size > 0)


def _blob_limits(tx: Tx, network_size: int) -> None:
    """geth's first checks of a transaction for its blob pool: the blob count, then
    the size with the sidecar (``ValidateTransaction``'s opening)."""
    count = len(tx.blob_versioned_hashes)
    if count > blobs.MAX_BLOBS_PER_TX:
        raise TxRejected(
            f"transaction blob limit exceeded: blob count {count}, limit {blobs.MAX_BLOBS_PER_TX}"
        )
    if network_size > blobs.MAX_BLOB_TX_SIZE:
        raise TxRejected(
            f"oversized data: transaction size {network_size}, limit {blobs.MAX_BLOB_TX_SIZE}"
        )


def _blob_fields(tx: Tx, sidecar: blobs.BlobSidecar | None, sent_raw: bool) -> None:
    """geth's ``validateBlobTx``: the sidecar is there (for a transaction sent raw), the
    blob fee cap is at least the least blob base fee, there is a blob, and the sidecar
    matches the hashes with proofs that verify."""
    if sent_raw and sidecar is None:
        raise TxRejected("missing sidecar in blob transaction")
    if tx.max_fee_per_blob_gas < fees.MIN_BLOB_BASE_FEE:
        raise TxRejected(
            f"transaction gas price below minimum: blob fee cap {tx.max_fee_per_blob_gas}, "
            f"minimum needed {fees.MIN_BLOB_BASE_FEE}"
        )
    if not tx.blob_versioned_hashes:
        raise TxRejected("blobless blob transaction")
    if sidecar is not None:
        blobs.check_sidecar(tx.blob_versioned_hashes, sidecar)


def validate_with_state(
    tx: Tx,
    *,
    reader: StateReader,
    base_fee: int,
    allow_code: bool = False,
    blob_base_fee: int = fees.MIN_BLOB_BASE_FEE,
) -> None:
    """The checks against the latest state and the next block's base fee (and, for a
    blob transaction, its blob base fee)."""
    account = reader.account(tx.sender)
    state_nonce = account.nonce if account else 0
    if tx.nonce < state_nonce:
        raise TxRejected(f"nonce too low: next nonce {state_nonce}, tx nonce {tx.nonce}")
    if (
        account is not None
        and account.code_hash != EMPTY_CODE_HASH
        and not (allow_code or tx.impersonated)
    ):
        code = reader.code(account.code_hash)
        if code and not (len(code) == 23 and code.startswith(DELEGATION_PREFIX)):
            raise TxRejected(
                f"sender not an eoa: address {checksum_address(tx.sender)}, len(code): {len(code)}"
            )
    balance = account.balance if account else 0
    cost = tx.gas * tx.max_fee_per_gas + tx.value
    if tx.type == 3:  # geth's tx.Cost(): the blob fee cap too
        cost += fees.blob_gas(len(tx.blob_versioned_hashes)) * tx.max_fee_per_blob_gas
    if balance < cost:
        raise TxRejected(
            f"insufficient funds for gas * price + value: balance {balance}, "
            f"tx cost {cost}, overshot {cost - balance}"
        )
    if tx.max_fee_per_gas < base_fee:
        raise TxRejected(
            f"max fee per gas less than block base fee: address {checksum_address(tx.sender)}, "
            f"maxFeePerGas: {tx.max_fee_per_gas}, baseFee: {base_fee}"
        )
    if tx.type == 3 and tx.max_fee_per_blob_gas < blob_base_fee:
        # geth's blob pool keeps it until the blob fee falls; refused at once here for
        # the base fee's reason above, with geth's state-transition text.
        raise TxRejected(
            f"max fee per blob gas less than block blob gas fee: address "
            f"{checksum_address(tx.sender)} blobGasFeeCap: {tx.max_fee_per_blob_gas}, "
            f"blobBaseFee: {blob_base_fee}"
        )


def validate_replacement(existing: Tx | None, tx: Tx) -> None:
    """A transaction with the nonce of a pooled one must raise both its fee cap and its
    tip by geth's price bump (txpool.PriceBump) to replace it."""
    if existing is None:
        return
    if tx.type == 3 and existing.type == 3:
        _validate_blob_replacement(existing, tx)
        return
    bump = 100 + PRICE_BUMP_PERCENT
    if (
        tx.max_fee_per_gas * 100 < existing.max_fee_per_gas * bump
        or tx.max_priority_fee_per_gas * 100 < existing.max_priority_fee_per_gas * bump
    ):
        raise TxRejected("replacement transaction underpriced")


def _validate_blob_replacement(existing: Tx, tx: Tx) -> None:
    """geth's blob pool: each of the three fee caps must rise, then by its price bump,
    checked in that order with its texts."""
    pairs = (
        ("gas fee cap", tx.max_fee_per_gas, existing.max_fee_per_gas),
        ("gas tip cap", tx.max_priority_fee_per_gas, existing.max_priority_fee_per_gas),
        ("blob gas fee cap", tx.max_fee_per_blob_gas, existing.max_fee_per_blob_gas),
    )
    for name, new, old in pairs:
        if new <= old:
            raise TxRejected(
                f"replacement transaction underpriced: new tx {name} {new} <= {old} queued"
            )
    for name, new, old in pairs:
        if new < (100 + BLOB_PRICE_BUMP_PERCENT) * old // 100:
            raise TxRejected(
                f"replacement transaction underpriced: new tx {name} {new} < {old} queued + "
                f"{BLOB_PRICE_BUMP_PERCENT}% replacement penalty"
            )
