"""Signing with the dev accounts' keys: messages, transactions, EIP-712 typed data.

geth 1.16 answers ``eth_sign`` and ``eth_signTransaction``; ``personal_sign`` and
``eth_signTypedData`` left it with the personal namespace, and are answered here as the
dev nodes and wallets clients talk to answer them (``personal_sign`` takes the data
first; ``eth_signTypedData`` is v4, as on hardhat and anvil's ``_v4``). Every signature
is ``r || s || v`` with ``v`` 27 or 28. An address whose key the node lacks is geth's
``unknown account``, checked before the data is hashed.
"""

from __future__ import annotations

from typing import Any

from mocknode.chain.args import TxArgs
from mocknode.chain.records import Tx
from mocknode.chain.tx.blobs import BlobSidecar
from mocknode.chain.tx.messages import text_hash
from mocknode.rpc import params, render, typed_data
from mocknode.rpc.context import Context
from mocknode.rpc.registry import method
from mocknode.types import Address


@method("eth_sign", params.address, params.data, result=render.hex_data)
def eth_sign(ctx: Context, address: Address, data: bytes) -> bytes:
    """EIP-191: the key of ``address`` over ``keccak("\\x19Ethereum Signed Message:\\n"
    + len(data) + data)``."""
    return ctx.chain.sign_digest(address, text_hash(data))


@method("personal_sign", params.data, params.address, result=render.hex_data)
def personal_sign(ctx: Context, data: bytes, address: Address) -> bytes:
    """eth_sign with the arguments the other way round (MetaMask's order)."""
    return ctx.chain.sign_digest(address, text_hash(data))


@method("eth_signTransaction", params.tx_args, result=render.signed_transaction_json)
def eth_signTransaction(ctx: Context, args: TxArgs) -> tuple[Tx, BlobSidecar | None]:
    """geth's SignTransaction: ``{"raw", "tx"}``, nothing submitted; with ``blobs``, a
    blob transaction in its network form, sidecar included."""
    return ctx.chain.sign_transaction_with_sidecar(args)


def _typed_data(value: Any) -> typed_data.TypedData:
    return typed_data.parse(value)


@method(
    "eth_signTypedData",
    params.address,
    _typed_data,
    result=render.hex_data,
    aliases=("eth_signTypedData_v4",),
)
def eth_signTypedData(ctx: Context, address: Address, data: typed_data.TypedData) -> bytes:
    """EIP-712: the key of ``address`` over the typed data's digest."""
    ctx.chain.key_of(address)
    return ctx.chain.sign_digest(address, typed_data.digest(data))
