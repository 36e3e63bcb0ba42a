"""Chain faults decided at the chain's own events: a transaction entering the pool (``tx``:
``drop_tx``, ``replace_tx``, ``delay_tx``) and a block mined (``block``: ``reorg``).

:class:`ChainFaults` (one per node, made by the controller on first use) hooks the chain
only while a rule at one of those points exists, or a delayed transaction waits to be
released: the chain's ``admission_hooks`` see every transaction sent, once it is pooled
and announced and before automine mines it; its ``mined_hooks`` see every mined block
once every block listener (filters, subscriptions) has heard it, so a reorg or a release
there reaches every listener in order. Unhooked, the chain pays nothing.

What each decision does, with the chain's own operations (nothing else is changed):

* ``drop_tx``: the transaction leaves the pool (``Chain.drop_transaction``); its sender got
  its hash, and no receipt ever comes.
* ``replace_tx``: a transaction with the same sender and nonce and both fees raised by
  ``fee_bump`` percent replaces it (``Chain.replace_transaction``), signed with the
  sender's dev key or the impersonation placeholder; with automine it is mined at once.
  If the pool refuses the replacement (the sender cannot pay the higher fees), the
  original stays; the fault is journaled either way.
* ``delay_tx``: the transaction is held (``Chain.hold``). ``blocks=K``: the K blocks after
  it are mined without it and the next one includes it (with automine it is released when
  the K-th is mined, so that next block is mined at once); ``seconds=T``: released T
  seconds later on the node clock (trio's, so an ``autojump_clock`` test waits for
  nothing); neither: held until the node ends. The held transaction stays pending and
  blocks its sender's later nonces, as a stuck transaction does.
* ``reorg``: ``Chain.reorg`` replaces the top ``depth`` blocks (at most every block but
  genesis) with as many new ones: subscribers and filters get the orphaned logs again with
  ``removed: true`` and the new heads. ``transactions``: ``pool`` (orphans wait in the
  pool; with automine the next block re-mines them at once), ``reinclude`` (mined again
  in the new blocks at their old offsets), ``drop`` (gone).

Recursion. A fault's own transaction (a replacement) is not a ``tx`` event. A reorg's new
blocks are not mined blocks (the chain does not call ``mined_hooks`` for them). A block
that only re-mines transactions a fault reorg put back in the pool is not a ``block``
event either: otherwise a rule without a trigger would, under automine, reorg the same
transaction forever.

Journal: a ``fault`` entry per decision, with the submitting call's connection,
transport, method and id for a ``tx`` event (connection 0 and no method when the
transaction came from Python), none for a ``block`` event; the time is the node clock.

Which request sent a transaction is known through
:data:`~mocknode.faults.chain_submitter.SUBMITTER`, set by the fault session.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, Protocol

import trio

from mocknode.chain.errors import ChainError
from mocknode.faults.chain_submitter import SUBMITTER
from mocknode.faults.events import Event

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.chain.records import Block, Tx
    from mocknode.faults.engine import Decision, FaultEngine
    from mocknode.types import Hash32

__all__ = ["ChainFaults", "Host"]


class Host(Protocol):
    """What chain faults need from the controller
    (:class:`~mocknode.faults.controller.Faults`)."""

    @property
    def engine(self) -> FaultEngine: ...

    def now(self) -> float: ...

    def record_fault(self, decision: Decision, event: Event, *, id: Any = None) -> None: ...


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


class ChainFaults:
    """The node's chain faults: chain hooks for ``tx`` and ``block`` decisions, and the
    state the request-point chain kinds keep between calls (see
    :mod:`mocknode.faults.chain_reads`)."""

    def __init__(self, host: Host, chain: Chain) -> None:
        self.host = host
        self.chain = chain
        self._tx_hooked = False
        self._block_hooked = False
        self._own = False  # a fault is submitting a transaction: not an event
        self._due: dict[Hash32, int] = {}  # delayed by blocks: released when head reaches
        self._returned: set[Hash32] = set()  # put back in the pool by a fault reorg
        # Request-point state, node-wide as filters are (chain_reads).
        self.filter_owner: dict[tuple[int, str], int] = {}
        self.filter_active: dict[str, float] = {}
        self.held_logs: dict[str, list[Any]] = {}

    # ------------------------------------------------------------------ hooks

    def sync(self) -> None:
        """Hook or unhook the chain after the rules changed."""
        engine = self.host.engine
        want_tx = engine.wants("tx")
        want_block = engine.wants("block") or bool(self._due)
        chain = self.chain
        if want_tx != self._tx_hooked:
            if want_tx:
                chain.admission_hooks.append(self._on_tx)
            else:
                chain.admission_hooks.remove(self._on_tx)
            self._tx_hooked = want_tx
        if want_block != self._block_hooked:
            if want_block:
                chain.mined_hooks.append(self._on_block)
            else:
                chain.mined_hooks.remove(self._on_block)
                self._returned.clear()
            self._block_hooked = want_block

    def reset(self) -> None:
        """Forget what the rules remembered (they were cleared). Delayed transactions are
        still released: their decision was taken."""
        self.filter_owner.clear()
        self.filter_active.clear()
        self.held_logs.clear()
        self._returned.clear()

    # ------------------------------------------------------------------ tx

    def _on_tx(self, tx: Tx) -> None:
        if self._own:
            return
        host = self.host
        submitter = SUBMITTER.get()
        info, method, id_text = submitter if submitter is not None else (None, None, None)
        event = Event.tx(
            _hex(tx.hash),
            _hex(tx.sender),
            transport=None if info is None else info.transport,
            connection=0 if info is None else info.id,
            method=method,
            time=host.now(),
            block=self.chain.head.number,
        )
        decision = host.engine.decide(event)
        if decision is None:
            return
        host.record_fault(decision, event, id=None if id_text is None else json.loads(id_text))
        self._apply_tx(decision, tx)

    def _apply_tx(self, decision: Decision, tx: Tx) -> None:
        chain = self.chain
        params = decision.params
        kind = decision.kind
        if kind == "drop_tx":
            chain.drop_transaction(tx.hash)
        elif kind == "replace_tx":
            self._own = True
            try:
                chain.replace_transaction(tx.hash, fee_bump_percent=params["fee_bump"])
            except ChainError:
                pass  # the pool refused the replacement: the original stays
            finally:
                self._own = False
        elif kind == "delay_tx":
            head = chain.head.number
            blocks: int | None = params["blocks"]
            if blocks is not None:
                chain.hold(tx.hash, not_before_block=head + blocks + 1)
                self._due[tx.hash] = head + blocks
                self.sync()
            else:
                chain.hold(tx.hash)
                seconds: float | None = params["seconds"]
                if seconds is not None:
                    trio.lowlevel.spawn_system_task(self._release_later, tx.hash, seconds)
        else:  # pragma: no cover - the catalogue has no other tx kind
            raise AssertionError(kind)

    async def _release_later(self, tx_hash: Hash32, seconds: float) -> None:
        # A trio system task: it needs a running node, and outlives nothing but the run.
        await trio.sleep(seconds)
        with contextlib.suppress(ChainError):
            self.chain.release(tx_hash)  # False (nothing) if it left the pool meanwhile

    # ------------------------------------------------------------------ block

    def _on_block(self, block: Block) -> None:
        # The block's own decision first, then the releases it allows (which may mine the
        # next block at once, a block event of its own).
        if self.host.engine.wants("block"):
            self._decide_block(block)
        if self._due:
            self._release_due(self.chain.head.number)

    def _decide_block(self, block: Block) -> None:
        if block.transactions and self._returned:
            hashes = [tx.hash for tx in block.transactions]
            if all(h in self._returned for h in hashes):
                self._returned.difference_update(hashes)
                return
        host = self.host
        event = Event.new_block(block.number, time=host.now())
        decision = host.engine.decide(event)
        if decision is None:
            return
        host.record_fault(decision, event)
        self._reorg(decision, block)

    def _release_due(self, number: int) -> None:
        due = [h for h, at in self._due.items() if at <= number]
        for tx_hash in due:
            del self._due[tx_hash]
        if not self._due:
            self.sync()
        for tx_hash in due:
            self.chain.release(tx_hash)

    def _reorg(self, decision: Decision, block: Block) -> None:
        params = decision.params
        depth = min(params["depth"], block.number)
        mode: str = params["transactions"]
        try:
            outcome = self.chain.reorg(
                depth,
                reinclude="same" if mode == "reinclude" else "none",
                drop="all" if mode == "drop" else (),
            )
        except ChainError:
            return  # the chain refused the new branch: it stays as it was
        self._returned.update(tx.hash for tx in outcome.pooled)
