"""Typed failures of the chain. The RPC layer maps each to geth's error object.

Messages are geth's own text (clients match on it); ``revert_data`` stays raw bytes
until the codec renders it.
"""

from __future__ import annotations


class ChainError(Exception):
    """Base of every error the chain reports to a caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TxRejected(ChainError):
    """The transaction cannot enter the pool (nonce too low, insufficient funds ...)."""


class BlockNotFound(ChainError):
    """A block reference names no block of this chain (geth: ``header not found``)."""


class InvalidTxArgs(ChainError):
    """Transaction arguments contradict each other (both gasPrice and maxFeePerGas ...)."""


class ExecutionFailed(ChainError):
    """``eth_call``/``eth_estimateGas`` failed; ``reverted`` means a REVERT with data."""

    def __init__(self, message: str, *, revert_data: bytes = b"", reverted: bool = False) -> None:
        super().__init__(message)
        self.revert_data = revert_data
        self.reverted = reverted


class UnknownAccount(ChainError):
    """``eth_sendTransaction`` from an address whose key the node does not hold."""


class InvalidRequest(ChainError):
    """A dev operation that does not fit the chain as it is (a reorg deeper than the
    chain, a hold on a transaction that is not pooled ...)."""
