"""Log queries and polling filters (eth_getLogs, eth_newFilter and friends).

A query walks the blocks of its range and skips a block whose bloom cannot match
before looking at its receipts. Filters are node-wide, as in geth: each remembers
what arrived since it was last polled. The chain tells them about new blocks and new
pool transactions through listener callbacks, so this module never polls. A reorg
reports each orphaned block as removed before the new branch (oldest first): a log
filter then hands out the orphaned logs again with ``removed`` set, in geth's order,
before the new branch's logs; a block filter only ever lists blocks added.

What a query reads and what the filters hook into are named here as protocols
(:class:`LogSource`, :class:`FilterSource`) rather than by importing the chain, which
sits above this module: the chain satisfies them structurally, and they say exactly
which five lookups a query uses. The filters need the live object, not values,
because they register listeners that fire long after they are installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import count
from typing import Literal, Protocol

from mocknode.chain.errors import ChainError
from mocknode.chain.logs.index import LogIndex
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Block, Log, Tx
from mocknode.chain.snapshots import SnapshotHook
from mocknode.types import Address, BlockRef, Hash32
from mocknode.values import dataclass, field


class LogSource(Protocol):
    """The blocks a log query reads (:class:`mocknode.chain.chain.Chain` is one)."""

    @property
    def head(self) -> Block: ...

    @property
    def blocks(self) -> Sequence[Block]: ...

    @property
    def log_index(self) -> LogIndex: ...

    def block_by_hash(self, block_hash: Hash32) -> Block | None: ...

    def resolve(self, ref: BlockRef) -> Block:
        """The block ``ref`` names; raises BlockNotFound."""
        ...


class FilterSource(LogSource, Protocol):
    """A :class:`LogSource` that also reports new blocks and pool transactions, and
    lets the filters join its snapshots as a hook."""

    @property
    def block_listeners(self) -> list[Callable[[Block, bool], None]]: ...

    @property
    def pending_listeners(self) -> list[Callable[[Tx], None]]: ...

    @property
    def snapshot_hooks(self) -> list[SnapshotHook]: ...


class FilterNotFound(ChainError):
    def __init__(self) -> None:
        super().__init__("filter not found")


@dataclass(frozen=True, slots=True)
class LogFilter:
    from_block: BlockRef | None = None
    to_block: BlockRef | None = None
    block_hash: Hash32 | None = None
    addresses: tuple[Address, ...] = ()
    # One entry per topic position: None matches anything, else any of the hashes.
    topics: tuple[tuple[Hash32, ...] | None, ...] = ()

    def matches(self, log: Log) -> bool:
        if self.addresses and log.address not in self.addresses:
            return False
        if len(self.topics) > len(log.topics):
            return False
        for wanted, topic in zip(self.topics, log.topics, strict=False):
            if wanted is not None and wanted and topic not in wanted:
                return False
        return True

    def may_match(self, bloom: int) -> bool:
        """Bloom test: False means no log in a block with this bloom can match."""
        if self.addresses and not any(_in_bloom(bloom, a) for a in self.addresses):
            return False
        for wanted in self.topics:
            if wanted and not any(_in_bloom(bloom, t) for t in wanted):
                return False
        return True


def _in_bloom(bloom: int, item: bytes) -> bool:
    h = keccak(item)
    return all(bloom >> (((h[i] << 8) | h[i + 1]) & 2047) & 1 for i in (0, 2, 4))


@dataclass(frozen=True, slots=True)
class LogEntry:
    block: Block
    tx_index: int
    log_index: int
    log: Log
    removed: bool = False


def block_logs(block: Block, filt: LogFilter, removed: bool = False) -> Iterator[LogEntry]:
    if not filt.may_match(int.from_bytes(block.header.logs_bloom, "big")):
        return
    for tx_index, receipt in enumerate(block.receipts):
        for i, log in enumerate(receipt.logs):
            if filt.matches(log):
                yield LogEntry(block, tx_index, receipt.first_log_index + i, log, removed)


def query_logs(chain: LogSource, filt: LogFilter) -> list[LogEntry]:
    if filt.block_hash is not None:
        block = chain.block_by_hash(filt.block_hash)
        if block is None:
            raise ChainError("unknown block")
        return list(block_logs(block, filt))
    if (filt.from_block and filt.from_block.tag == "pending") or (
        filt.to_block and filt.to_block.tag == "pending"
    ):
        # geth 1.16 (filter.go): the pending block has no logs to offer any more.
        raise ChainError("pending logs are not supported")
    head = chain.head.number
    if filt.from_block and filt.from_block.number is not None and filt.from_block.number > head:
        return []  # nothing there yet (geth answers an empty list too)
    start = chain.resolve(filt.from_block).number if filt.from_block else head
    if filt.to_block and filt.to_block.number is not None and filt.to_block.number > head:
        end = head
    else:
        end = chain.resolve(filt.to_block).number if filt.to_block else head
    if start > end:
        raise ChainError("invalid block range params")
    out: list[LogEntry] = []
    blocks = chain.blocks
    # With one constraint and no wildcard positions after it, the index's candidates are
    # exactly the matches (a trailing wildcard still demands that many topics).
    constrained = [i for i, wanted in enumerate(filt.topics) if wanted]
    check = bool(filt.addresses) + len(constrained) > 1 or len(filt.topics) != (
        constrained[-1] + 1 if constrained else 0
    )
    for number, tx_index, i in chain.log_index.candidates(filt.addresses, filt.topics, start, end):
        block = blocks[number]
        receipt = block.receipts[tx_index]
        log = receipt.logs[i]
        if not check or filt.matches(log):
            out.append(LogEntry(block, tx_index, receipt.first_log_index + i, log))
    return out


FilterKind = Literal["blocks", "logs", "pending"]


@dataclass
class _Filter:
    kind: FilterKind
    criteria: LogFilter | None = None
    blocks: list[Hash32] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    txs: list[Hash32] = field(default_factory=list)
    polled: float = 0.0  # the clock's time when installed or last polled


# geth's filter timeout (eth/filters/api.go): a filter nobody polls for 5 minutes goes.
DEFAULT_FILTER_TIMEOUT = 300.0


class Filters:
    """Installed polling filters, fed by the chain's block and pool events.

    Expiry, as geth's: a filter not polled (``eth_getFilterChanges`` or
    ``eth_getFilterLogs``) for ``timeout`` seconds of ``clock`` is uninstalled, and asking
    for it then answers "filter not found". geth sweeps every ``timeout``, so its filters
    live between one and two timeouts; here a filter is gone exactly at its timeout
    (checked when it is asked for, and swept at most every quarter timeout when filters
    are installed or blocks arrive, so an abandoned filter stops collecting).
    ``timeout=None`` or no ``clock`` keeps filters until uninstalled."""

    def __init__(
        self,
        chain: FilterSource,
        ids: Callable[[], str] | None = None,
        *,
        clock: Callable[[], float] | None = None,
        timeout: float | None = DEFAULT_FILTER_TIMEOUT,
    ) -> None:
        self._chain = chain
        self._filters: dict[str, _Filter] = {}
        # The node's id source (ids stay per node, replayable); a counter otherwise.
        self._ids = ids if ids is not None else map(hex, count(1)).__next__
        self._clock = clock if timeout is not None else None
        self._timeout = timeout if timeout is not None else 0.0
        self._next_sweep = 0.0
        chain.block_listeners.append(self._on_block)
        chain.pending_listeners.append(self._on_pending)
        chain.snapshot_hooks.append(self)

    def _new_id(self) -> str:
        return self._ids()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else 0.0

    def _sweep(self) -> None:
        """Drop expired filters, at most every quarter timeout."""
        if self._clock is None or not self._filters:
            return
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._timeout / 4
        limit = now - self._timeout
        for filter_id in [fid for fid, f in self._filters.items() if f.polled <= limit]:
            del self._filters[filter_id]

    def _live(self, filter_id: str) -> _Filter:
        """The filter, its timeout restarted; FilterNotFound if unknown or expired."""
        filt = self._filters.get(filter_id)
        if filt is None:
            raise FilterNotFound()
        if self._clock is not None:
            now = self._clock()
            if now - filt.polled >= self._timeout:
                del self._filters[filter_id]
                raise FilterNotFound()
            filt.polled = now
        return filt

    def install(self, kind: FilterKind, criteria: LogFilter | None = None) -> str:
        self._sweep()
        filter_id = self._new_id()
        self._filters[filter_id] = _Filter(kind, criteria, polled=self._now())
        return filter_id

    def uninstall(self, filter_id: str) -> bool:
        return self._filters.pop(filter_id, None) is not None

    def changes(self, filter_id: str) -> list[Hash32] | list[LogEntry]:
        filt = self._live(filter_id)
        if filt.kind == "blocks":
            blocks, filt.blocks = filt.blocks, []
            return blocks
        if filt.kind == "pending":
            txs, filt.txs = filt.txs, []
            return txs
        logs, filt.logs = filt.logs, []
        return logs

    def logs(self, filter_id: str) -> list[LogEntry]:
        filt = self._live(filter_id)
        if filt.criteria is None:
            raise FilterNotFound()
        return query_logs(self._chain, filt.criteria)

    def _on_block(self, block: Block, removed: bool) -> None:
        if self._clock is not None:
            self._sweep()
        for filt in self._filters.values():
            if filt.kind == "blocks" and not removed:
                filt.blocks.append(block.hash)
            elif filt.kind == "logs" and filt.criteria is not None:
                filt.logs.extend(block_logs(block, filt.criteria, removed))

    def _on_pending(self, tx: Tx) -> None:
        for filt in self._filters.values():
            if filt.kind == "pending":
                filt.txs.append(tx.hash)

    # A snapshot takes the installed filters and what each has not yet delivered, so a
    # test that installs filters and reverts leaves nothing behind for the next test.
    def capture(self) -> object:
        return {
            fid: _Filter(f.kind, f.criteria, list(f.blocks), list(f.logs), list(f.txs), f.polled)
            for fid, f in self._filters.items()
        }

    def restore(self, token: object) -> None:
        assert isinstance(token, dict)
        now = self._now()
        self._filters = {
            # a revert counts as a poll: the restored filters' timeouts start again
            fid: _Filter(f.kind, f.criteria, list(f.blocks), list(f.logs), list(f.txs), now)
            for fid, f in token.items()
        }
