"""The typed arguments of ``eth_sendTransaction``, ``eth_call`` and ``eth_estimateGas``.

A module of its own rather than a record in :mod:`mocknode.chain.records`: records are
what the chain holds (signed transactions, receipts, blocks), while :class:`TxArgs` is
what a caller asks for, every field optional until the chain fills geth's defaults
(:mod:`mocknode.chain.fees`, :mod:`mocknode.chain.evm.calls`). Both the RPC layer,
which builds it, and those helpers, which read it, import it from here.
"""

from __future__ import annotations

from mocknode.chain.records import Authorization
from mocknode.types import Address, Hash32
from mocknode.values import dataclass


@dataclass(frozen=True, slots=True)
class UnsignedAuthorization:
    """An EIP-7702 authorization given without a signature to ``eth_sendTransaction`` or
    ``eth_signTransaction``: the node signs it with the sender's key (a mocknode
    extension; geth requires ``yParity``, ``r`` and ``s``). ``None`` fields take the
    node's chain id and the nonce the sender's account will have when it applies."""

    address: Address
    chain_id: int | None = None
    nonce: int | None = None


@dataclass(frozen=True, slots=True)
class TxArgs:
    """Arguments of eth_sendTransaction / eth_call / eth_estimateGas, typed."""

    sender: Address | None = None
    to: Address | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int | None = None
    data: bytes | None = None
    nonce: int | None = None
    chain_id: int | None = None
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] | None = None
    type: int | None = None
    # EIP-7702; any entry is an Authorization for calls (their decoder requires signatures).
    authorization_list: tuple[Authorization | UnsignedAuthorization, ...] | None = None
    # EIP-4844 (geth's BlobFeeCap, BlobHashes, and the sidecar eth_signTransaction takes).
    max_fee_per_blob_gas: int | None = None
    blob_versioned_hashes: tuple[Hash32, ...] | None = None
    blobs: tuple[bytes, ...] | None = None
    commitments: tuple[bytes, ...] | None = None
    proofs: tuple[bytes, ...] | None = None

    @property
    def is_blob(self) -> bool:
        """geth's IsEIP4844: blob hashes or a blob fee cap make a blob transaction."""
        return self.blob_versioned_hashes is not None or self.max_fee_per_blob_gas is not None
