"""Transactions the node writes itself: eth_sendTransaction's, and replacements.

The chain resolves what these need (the base fee, the nonce, the gas, the sender's key
if it holds one) and these functions assemble the transaction from those explicit
inputs. A sender whose key the node does not hold is impersonated: the transaction gets
anvil's placeholder signature (:func:`mocknode.chain.tx.codec.impersonate`).
"""

from __future__ import annotations

from typing import Any

from mocknode.chain import fees
from mocknode.chain.args import TxArgs
from mocknode.chain.records import Authorization, Tx
from mocknode.chain.tx import codec as txcodec
from mocknode.chain.tx.pool import BLOB_PRICE_BUMP_PERCENT
from mocknode.types import Address, Hash32


def from_args(
    args: TxArgs,
    *,
    sender: Address,
    chain_id: int,
    fee: fees.FeeFields,
    nonce: int,
    gas: int,
    authorization_list: tuple[Authorization, ...] | None = None,
) -> Tx:
    """The unsigned transaction eth_sendTransaction makes of ``args`` with ``fee``
    (geth's fee defaults, :func:`mocknode.chain.fees.fee_defaults`). An
    ``authorization_list`` (signed; even empty) makes it an EIP-7702 set-code
    transaction, as geth does; blob hashes (with a dynamic fee) an EIP-4844 one."""
    tx_type = fee.tx_type if authorization_list is None else 4
    blob_fields: dict[str, Any] = {}
    if tx_type == 2 and args.blob_versioned_hashes is not None:
        tx_type = 3
        blob_fields = {
            "max_fee_per_blob_gas": args.max_fee_per_blob_gas or 0,
            "blob_versioned_hashes": tuple(Hash32(h) for h in args.blob_versioned_hashes),
        }
    return txcodec.unsigned(
        sender=sender,
        chain_id=chain_id,
        tx_type=tx_type,
        nonce=nonce,
        gas=gas,
        to=args.to,
        value=args.value or 0,
        data=args.data or b"",
        gas_price=fee.gas_price,
        max_fee_per_gas=fee.max_fee_per_gas,
        max_priority_fee_per_gas=fee.max_priority_fee_per_gas,
        access_list=args.access_list or (),
        authorization_list=authorization_list or (),
        **blob_fields,
    )


def bumped(fee: int, percent: int) -> int:
    """``fee`` raised by ``percent`` (rounded up), and by at least 1 wei."""
    return max(fee + 1, -(-fee * (100 + percent) // 100))


def replacement(old: Tx, *, chain_id: int, fee_bump_percent: int, cancel: bool) -> Tx:
    """The unsigned transaction that replaces ``old``: same sender and nonce, both fees
    raised by ``fee_bump_percent``; the same call, or with ``cancel`` a 0-value
    transfer from the sender to itself (what wallets send to cancel).

    A blob transaction stays one, with the same blobs (its versioned hashes), and all
    three fee caps raised by at least the blob pool's 100% price bump."""
    if old.type == 3:
        fee_bump_percent = max(fee_bump_percent, BLOB_PRICE_BUMP_PERCENT)
    blob_fields: dict[str, Any] = {}
    if old.type == 3:
        blob_fields = {
            "max_fee_per_blob_gas": bumped(old.max_fee_per_blob_gas, fee_bump_percent),
            "blob_versioned_hashes": old.blob_versioned_hashes,
        }
    if old.type in (0, 1):
        price = bumped(old.max_fee_per_gas, fee_bump_percent)
        max_fee = tip = price
    else:
        price = 0
        max_fee = bumped(old.max_fee_per_gas, fee_bump_percent)
        tip = bumped(old.max_priority_fee_per_gas, fee_bump_percent)
    if cancel:
        return txcodec.unsigned(
            sender=old.sender,
            chain_id=chain_id,
            tx_type=2 if old.type == 4 else old.type,
            nonce=old.nonce,
            gas=21000,
            to=old.sender,
            value=0,
            data=b"",
            gas_price=price,
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=tip,
            **blob_fields,
        )
    return txcodec.unsigned(
        sender=old.sender,
        chain_id=chain_id,
        tx_type=old.type,
        nonce=old.nonce,
        gas=old.gas,
        to=old.to,
        value=old.value,
        data=old.data,
        gas_price=price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=tip,
        access_list=old.access_list,
        authorization_list=old.authorization_list,
        **blob_fields,
    )


def finish(tx: Tx, key: bytes | None) -> Tx:
    """Sign an unsigned transaction with ``key``, or, without one, impersonate its sender."""
    return txcodec.sign_with(key, tx) if key is not None else txcodec.impersonate(tx)
