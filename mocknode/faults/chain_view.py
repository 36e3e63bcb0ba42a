"""Read-only views of the chain, for reads answered as a lagging or pruning node would.

``stale_head`` and ``replicas`` answer a read from a node whose head is ``k`` blocks
behind; ``pruned_state`` from a node that has dropped the state of old blocks. Rather
than rewrite each method's parameters and guess at what geth answers for a block it does
not have, the read runs through the node's own method code on a view of the chain: a
:class:`~mocknode.chain.chain.Chain` whose blocks stop at the lagged head
(:class:`LaggedChain`), or whose state lookups fail for old blocks (:class:`PrunedChain`).
So ``latest`` means the lagged head, a block above it is ``null`` or ``header not found``
exactly as for a block that does not exist yet, ``eth_getLogs`` stops at it, and a
pending nonce counts from the lagged state (the nonce flip-flop behind a load balancer).

A view shares everything with the real chain (state, pool, blocks, indexes) and copies
nothing but the list of its visible blocks, so building one per faulted read is cheap; it
never writes: it is only handed to the read methods listed in
:mod:`mocknode.faults.chain_reads`, and the operations that would change blocks refuse.
The rendered-JSON caches are per block object and the blocks are the chain's own, so
they are neither copied nor changed.

Why subclasses built without ``Chain.__init__``: the rpc layer's context holds a
``Chain``, and every read method reaches the chain through a handful of lookups
(``resolve``, ``canon``, ``state_at``); overriding exactly those keeps the answers the
node's own, with nothing to keep in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NoReturn

from mocknode.chain.canon import Canon
from mocknode.chain.chain import Chain
from mocknode.chain.errors import ChainError
from mocknode.chain.records import Block, TxLocation
from mocknode.types import Address, BlockRef, Hash32

if TYPE_CHECKING:
    from mocknode.chain.state.world import StateReader

__all__ = ["CanonView", "LaggedChain", "PrunedChain", "lagged_head", "missing_trie_node"]

# go-ethereum trie/errors.go MissingNodeError, hash scheme: the state root's node is not
# in the database, so geth reports it with an empty path and no wrapped error.
_MISSING_TRIE_NODE: Final = "missing trie node {node} (path ) <nil>"


def missing_trie_node(block: Block) -> str:
    """geth's error text for a read of ``block``'s pruned state."""
    return _MISSING_TRIE_NODE.format(node=block.header.state_root.hex())


def lagged_head(head: int, lag: int) -> int:
    """The head a node ``lag`` blocks behind ``head`` has (never below genesis)."""
    return max(head - lag, 0)


def _read_only(*_: object, **__: object) -> NoReturn:
    raise RuntimeError("a chain view is read-only")


class CanonView(Canon):
    """``canon`` up to block ``top``: what a node whose head is ``top`` has seen."""

    def __init__(self, canon: Canon, top: int) -> None:  # shares canon's indexes
        self._canon = canon
        self._top = top
        self.blocks = canon.blocks[: top + 1]
        self.commits = canon.commits
        self.log_index = canon.log_index

    def by_number(self, number: int) -> Block | None:
        return self._canon.by_number(number) if number <= self._top else None

    def by_hash(self, block_hash: Hash32) -> Block | None:
        block = self._canon.by_hash(block_hash)
        return block if block is not None and block.number <= self._top else None

    def locate(self, tx_hash: Hash32) -> TxLocation | None:
        where = self._canon.locate(tx_hash)
        return where if where is not None and where.block.number <= self._top else None

    append = _read_only
    truncate = _read_only


class _View(Chain):
    """A chain that shares ``chain``'s parts (see the module doc) and never writes."""

    def __init__(self, chain: Chain) -> None:  # no Chain.__init__: nothing is built
        self.__dict__.update(chain.__dict__)
        self._real = chain

    _build = _read_only
    _submit = _read_only
    _edit = _read_only
    reorg = _read_only
    revert = _read_only


class LaggedChain(_View):
    """``chain`` as a node whose head is block ``head`` sees it: later blocks, their
    transactions and receipts do not exist; tags resolve against ``head``."""

    def __init__(self, chain: Chain, head: int) -> None:
        super().__init__(chain)
        self.canon = CanonView(chain.canon, head)

    def state_at(self, block: Block) -> StateReader:
        # The real chain's rule: its head includes dev edits made since, older blocks
        # read their commit (the lagged head is an older block).
        return self._real.state_at(block)

    def _commit_of(self, block: Block) -> int:
        return self._real._commit_of(block)

    def resolve(self, ref: BlockRef) -> Block:
        # The real chain builds a pending block on its own head and state: the lagged
        # node shows its head for "pending" (what this view answered before there was one).
        if ref.tag == "pending":
            return self.head
        return super().resolve(ref)

    def nonce(self, address: Address, ref: BlockRef) -> int:
        # The real chain counts a pending nonce from its latest state (geth's pool): a
        # lagged node's pool counts from its own head's.
        if ref.tag == "pending":
            account = self.state_at(self.head).account(address)
            return self.pool.pending_nonce(address, account.nonce if account else 0)
        return super().nonce(address, ref)


class PrunedChain(_View):
    """``chain`` as a non-archive node keeps it: the state of the ``keep`` most recent
    blocks (and genesis's, which geth's hash scheme keeps on disk); a state read of any
    other block fails with geth's ``missing trie node``."""

    def __init__(self, chain: Chain, keep: int) -> None:
        super().__init__(chain)
        self._oldest = chain.head.number - keep + 1  # oldest block whose state is kept

    def resolve(self, ref: BlockRef) -> Block:
        # Every state method finds its block through here first, as geth's
        # StateAndHeaderByNumberOrHash does, so the error comes where geth's does.
        block = super().resolve(ref)
        if 0 < block.number < self._oldest:
            raise ChainError(missing_trie_node(block))
        return block
