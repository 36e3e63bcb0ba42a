"""The blob parts of eth_signTransaction's arguments, filled in as geth fills them.

geth 1.16's ``eth_signTransaction`` takes ``blobs`` (and optionally their
``commitments`` and ``proofs``), builds or checks the sidecar (``setBlobTxSidecar``),
derives the versioned hashes, defaults ``maxFeePerBlobGas`` to twice the head's blob
base fee, and answers the signed transaction in its network form. Under Prague the
sidecar is version 0 (one blob proof per blob). ``eth_sendTransaction`` refuses blob
transactions outright (``signing blob transactions not supported``), as geth does;
that check is the chain's, before anything here runs.

Only called for arguments that name blob fields, so other transactions pay nothing.
"""

from __future__ import annotations

from mocknode.chain.args import TxArgs
from mocknode.chain.errors import InvalidTxArgs
from mocknode.chain.evm import kzg
from mocknode.chain.fees import blob_base_fee
from mocknode.chain.tx.blobs import MAX_BLOBS_PER_TX, BlobSidecar, versioned_hash
from mocknode.types import Hash32
from mocknode.values import replace

__all__ = ["blob_defaults"]


def blob_defaults(args: TxArgs, *, head_excess_blob_gas: int) -> tuple[TxArgs, BlobSidecar | None]:
    """``args`` with the blob hashes and the blob fee cap filled in, and the sidecar
    made of ``blobs`` (None without blobs), in geth's order and with its texts.
    ``head_excess_blob_gas``: the head block's (its blob base fee, doubled, is the
    default cap)."""
    sidecar = None
    if args.blobs is not None:
        sidecar = _sidecar(args)
        args = replace(args, blob_versioned_hashes=tuple(map(versioned_hash, sidecar.commitments)))
    if args.max_fee_per_blob_gas == 0:
        raise InvalidTxArgs("maxFeePerBlobGas, if specified, must be non-zero")
    hashes = args.blob_versioned_hashes
    if hashes is not None and args.max_fee_per_blob_gas is None:
        args = replace(args, max_fee_per_blob_gas=2 * blob_base_fee(head_excess_blob_gas))
    if hashes is not None and not hashes:
        raise InvalidTxArgs("need at least 1 blob for a blob transaction")
    if hashes is not None and len(hashes) > MAX_BLOBS_PER_TX:
        raise InvalidTxArgs(
            f"too many blobs in transaction (have={len(hashes)}, max={MAX_BLOBS_PER_TX})"
        )
    if hashes is not None and args.to is None:
        raise InvalidTxArgs('missing "to" in blob transaction')
    return args, sidecar


def _sidecar(args: TxArgs) -> BlobSidecar:
    """geth's ``setBlobTxSidecar`` for version 0: commitments and proofs computed when
    absent, checked when given; given hashes must be the commitments'."""
    blobs = args.blobs or ()
    commitments, proofs, hashes = args.commitments, args.proofs, args.blob_versioned_hashes
    if commitments is None and proofs is not None:
        raise InvalidTxArgs("blob proofs provided while commitments were not")
    if commitments is not None and proofs is None:
        raise InvalidTxArgs("blob commitments provided while proofs were not")
    n = len(blobs)
    if hashes is not None and len(hashes) != n:
        raise InvalidTxArgs(f"number of blobs and hashes mismatch (have={len(hashes)}, want={n})")
    if commitments is not None and len(commitments) != n:
        raise InvalidTxArgs(
            f"number of blobs and commitments mismatch (have={len(commitments)}, want={n})"
        )
    if proofs is not None and len(proofs) != n:
        raise InvalidTxArgs(f"number of blobs and proofs mismatch (have={len(proofs)}, want={n})")
    if commitments is None or proofs is None:
        made = []
        for i, blob in enumerate(blobs):
            try:
                made.append(kzg.blob_commitment_and_proof(blob))
            except kzg.KzgError as exc:
                raise InvalidTxArgs(f"blobs[{i}]: error computing commitment: {exc}") from None
        commitments = tuple(c for c, _ in made)
        proofs = tuple(p for _, p in made)
    else:
        for blob, commitment, proof in zip(blobs, commitments, proofs, strict=True):
            if not kzg.verify_blob_proof(blob, commitment, proof):
                raise InvalidTxArgs("failed to verify blob proof: can't verify opening proof")
    if hashes is not None:
        for given, commitment in zip(hashes, commitments, strict=True):
            want = versioned_hash(commitment)
            if Hash32(given) != want:
                raise InvalidTxArgs(
                    f"blob hash verification failed (have=0x{given.hex()}, want=0x{want.hex()})"
                )
    return BlobSidecar(0, blobs, commitments, proofs)
