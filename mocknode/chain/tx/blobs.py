"""Blob sidecars (EIP-4844): what a type-3 transaction carries besides itself on the
network, and geth's checks of it.

A blob transaction is sent to a node in its *network form*, ``0x03 || rlp([tx, blobs,
commitments, proofs])`` (sidecar version 0, Prague's; version 1, ``[tx, 1, blobs,
commitments, cell_proofs]``, is Osaka's), while blocks and hashes use the canonical
form without the sidecar. The sidecar is checked once, when the transaction is
submitted, in geth's order and with geth's texts (``core/txpool/validation.go``
``validateBlobTx``): the counts match, each versioned hash is
``0x01 || sha256(commitment)[1:]``, and the KZG proofs verify against the commitments.
Then it is dropped: nothing after the pool reads blobs (BLOBHASH reads the versioned
hashes, which the transaction itself carries).

Both sidecar versions are taken, as geth 1.16 takes them after Osaka, although the
chain's rules are Prague's: geth before Osaka refuses version 1 ("cell proof is not
supported yet"), but eth-account 0.14 (web3.py 8) builds nothing else, so refusing it
would leave Python clients no way to send a blob. A deliberate difference, listed in
``docs/eth-namespace.md``.

KZG verification is :mod:`mocknode.chain.evm.kzg`'s (``ckzg`` with the trusted setup
py-evm ships; loaded on the first blob transaction). geth verifies with go-eth-kzg, whose
text for a proof that does not verify is ``can't verify opening proof``; that text is
used here for every failed proof, malformed points and field elements included (where
go-eth-kzg would name the malformed value).
"""

from __future__ import annotations

import hashlib
from typing import Final

from mocknode.chain.errors import TxRejected
from mocknode.chain.evm.kzg import CELLS_PER_EXT_BLOB, verify_blob_proof, verify_cell_proofs
from mocknode.types import Hash32
from mocknode.values import dataclass

__all__ = [
    "BYTES_PER_BLOB",
    "MAX_BLOBS_PER_TX",
    "VERSIONED_HASH_VERSION_KZG",
    "BlobSidecar",
    "check_sidecar",
    "versioned_hash",
]

BYTES_PER_BLOB: Final = 131072  # 4096 field elements of 32 bytes
COMMITMENT_SIZE: Final = 48
PROOF_SIZE: Final = 48
VERSIONED_HASH_VERSION_KZG: Final = 0x01
# geth's blobpool takes at most this many blobs per transaction (params.BlobTxMaxBlobs;
# blocks take up to 9 under Prague, EIP-7691).
MAX_BLOBS_PER_TX: Final = 6
# geth's blobpool: the largest transaction it takes, sidecar included (txMaxSize).
MAX_BLOB_TX_SIZE: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BlobSidecar:
    """The blobs, commitments and proofs sent with a blob transaction."""

    version: int  # 0: one proof per blob (Prague); 1: cell proofs (Osaka)
    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]


def versioned_hash(commitment: bytes) -> Hash32:
    """EIP-4844's ``kzg_to_versioned_hash``: the version byte, then sha256's last 31."""
    return Hash32(bytes((VERSIONED_HASH_VERSION_KZG,)) + hashlib.sha256(commitment).digest()[1:])


def check_sidecar(hashes: tuple[Hash32, ...], sidecar: BlobSidecar) -> None:
    """geth's ``validateBlobTx`` after the blob counts: the sidecar's counts match the
    versioned hashes, each hash is its commitment's, and the proofs verify."""
    if len(sidecar.blobs) != len(hashes):
        raise TxRejected(
            f"invalid number of {len(sidecar.blobs)} blobs compared to {len(hashes)} blob hashes"
        )
    if len(sidecar.commitments) != len(hashes):
        raise TxRejected(
            f"invalid number of {len(sidecar.commitments)} blob commitments compared to "
            f"{len(hashes)} blob hashes"
        )
    for i, (want, commitment) in enumerate(zip(hashes, sidecar.commitments, strict=True)):
        computed = versioned_hash(commitment)
        if computed != want:
            raise TxRejected(
                f"blob {i}: computed hash 0x{computed.hex()} mismatches transaction one "
                f"0x{want.hex()}"
            )
    if sidecar.version == 1:
        _check_cell_proofs(sidecar, len(hashes))
        return
    if len(sidecar.proofs) != len(hashes):
        raise TxRejected(
            f"invalid number of {len(sidecar.proofs)} blob proofs expected {len(hashes)}"
        )
    for blob, commitment, proof in zip(
        sidecar.blobs, sidecar.commitments, sidecar.proofs, strict=True
    ):
        if not verify_blob_proof(blob, commitment, proof):
            raise TxRejected(
                "KZG verification error: invalid blob proof: can't verify opening proof"
            )


def _check_cell_proofs(sidecar: BlobSidecar, count: int) -> None:
    """Version 1 (EIP-7594): 128 cell proofs per blob, checked as one batch (geth's
    ``validateBlobSidecarOsaka``)."""
    want = count * CELLS_PER_EXT_BLOB
    if len(sidecar.proofs) != want:
        raise TxRejected(f"invalid number of {len(sidecar.proofs)} blob proofs expected {want}")
    if not verify_cell_proofs(sidecar.blobs, sidecar.commitments, sidecar.proofs):
        raise TxRejected("KZG verification error: can't verify opening proof")
