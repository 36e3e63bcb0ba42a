"""KZG proofs (EIP-4844 blob proofs, EIP-7594 cell proofs), checked with ``ckzg``.

``ckzg`` (C-KZG-4844) comes as a binary wheel; the Ethereum trusted setup it needs is
the copy py-evm's wheel ships for its point-evaluation precompile, which is why this
lives beside the other door to py-evm: nothing is downloaded, and the path is
py-evm's business. Loading the setup costs a few seconds of CPU, so it happens on the
first blob transaction (once per process, thread-safe), never in a node that sees none.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Final

__all__ = [
    "CELLS_PER_EXT_BLOB",
    "KzgError",
    "blob_commitment_and_proof",
    "verify_blob_proof",
    "verify_cell_proofs",
]

CELLS_PER_EXT_BLOB: Final = 128  # EIP-7594: cells (and cell proofs) per extended blob

_setup_lock = threading.Lock()
_setup: Any = None


def _trusted_setup() -> Any:
    """The KZG trusted setup, loaded once from py-evm's copy."""
    global _setup
    if _setup is None:
        with _setup_lock:
            if _setup is None:
                import ckzg
                import eth

                here = os.path.dirname(eth.__file__)
                path = os.path.join(here, "_utils", "kzg_trusted_setup.txt")
                _setup = ckzg.load_trusted_setup(path, 0)
    return _setup


def verify_blob_proof(blob: bytes, commitment: bytes, proof: bytes) -> bool:
    """EIP-4844's ``verify_blob_kzg_proof``; False for a malformed blob, point or proof
    as well as for one that does not verify."""
    import ckzg

    setup = _trusted_setup()
    try:
        return bool(ckzg.verify_blob_kzg_proof(blob, commitment, proof, setup))
    except (RuntimeError, ValueError, TypeError):
        return False


def verify_cell_proofs(
    blobs: Sequence[bytes], commitments: Sequence[bytes], proofs: Sequence[bytes]
) -> bool:
    """EIP-7594's ``verify_cell_kzg_proof_batch`` over every cell of every blob (128
    proofs per blob, in order), as geth's ``VerifyCellProofs`` computes the cells."""
    import ckzg

    setup = _trusted_setup()
    all_commitments: list[bytes] = []
    indices: list[int] = []
    cells: list[Any] = []
    try:
        for blob, commitment in zip(blobs, commitments, strict=True):
            cells.extend(ckzg.compute_cells(blob, setup))
            all_commitments.extend([commitment] * CELLS_PER_EXT_BLOB)
            indices.extend(range(CELLS_PER_EXT_BLOB))
        return bool(
            ckzg.verify_cell_kzg_proof_batch(all_commitments, indices, cells, list(proofs), setup)
        )
    except (RuntimeError, ValueError, TypeError):
        return False


class KzgError(ValueError):
    """A blob ckzg cannot commit to (a field element not below the BLS modulus)."""


def blob_commitment_and_proof(blob: bytes) -> tuple[bytes, bytes]:
    """The commitment to ``blob`` and its blob proof (a version-0 sidecar's entries);
    KzgError for a blob that is not one."""
    import ckzg

    setup = _trusted_setup()
    try:
        commitment = bytes(ckzg.blob_to_kzg_commitment(blob, setup))
        return commitment, bytes(ckzg.compute_blob_kzg_proof(blob, commitment, setup))
    except (RuntimeError, ValueError, TypeError):
        raise KzgError("invalid blob: a field element is not below the BLS modulus") from None
