"""The journal: what happened on every connection, and which faults were applied, in order.

Tests assert on it ("the client retried three times", "it resubscribed after the close"),
from Python or over ``mock_journal({"since": N, "limit": N})``. It is a bounded ring:
:data:`DEFAULT_CAP` (10,000) entries unless configured, the oldest dropped first; every
entry has a sequence number ``seq`` (1, 2, ... in recording order, never reused until
:meth:`Journal.clear`), so a reader pages with ``since`` = the last ``seq`` it saw and can
tell from ``oldest`` whether entries were dropped in between.

Replay: an entry holds only what the caller passed in: the node-clock time (seconds since the
node started serving, never the wall clock), connection ids from the node's own counter,
methods, JSON-RPC ids, rule ids, draws and sizes. With the same seed and the same traffic,
two runs record identical journals.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

from mocknode.faults.engine import Decision
from mocknode.faults.errors import FaultSpecError, join_path, show
from mocknode.faults.events import Event, Transport
from mocknode.faults.params import Int
from mocknode.values import dataclass

__all__ = [
    "DEFAULT_CAP",
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "EntryKind",
    "Journal",
    "JournalEntry",
    "JournalPage",
    "parse_page_request",
]

DEFAULT_CAP: Final = 10_000
DEFAULT_PAGE: Final = 1_000
MAX_PAGE: Final = 10_000

EntryKind = Literal["connect", "request", "response", "notification", "fault", "close"]
_KINDS: Final = frozenset(("connect", "request", "response", "notification", "fault", "close"))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One thing that happened. ``id`` is the JSON-RPC id as a JSON value; for ``fault``
    entries ``fault`` is the kind, ``rule`` the rule id and ``draw`` the probability draw (if
    the rule had a probability); ``size`` is the message size in bytes where one applies."""

    seq: int
    time: float
    connection: int
    transport: Transport | None
    kind: EntryKind
    method: str | None = None
    id: Any = None
    rule: int | None = None
    fault: str | None = None
    draw: float | None = None
    size: int | None = None

    def render(self) -> dict[str, Any]:
        """The JSON object of this entry; every key is always present (``null`` if unset)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "connection": self.connection,
            "transport": self.transport,
            "kind": self.kind,
            "method": self.method,
            "id": self.id,
            "rule": self.rule,
            "fault": self.fault,
            "draw": self.draw,
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class JournalPage:
    """Entries after ``since``; ``next`` is the ``since`` for the following page (the last
    ``seq`` returned, or the given ``since`` when nothing was newer); ``oldest`` is the
    oldest ``seq`` still held (0 when empty) and ``dropped`` how many entries the ring has
    discarded since it was created or cleared."""

    entries: tuple[JournalEntry, ...]
    next: int
    oldest: int
    dropped: int

    def render(self) -> dict[str, Any]:
        return {
            "entries": [entry.render() for entry in self.entries],
            "next": self.next,
            "oldest": self.oldest,
            "dropped": self.dropped,
        }


class Journal:
    """A bounded, ordered record of traffic and fault decisions."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self._cap = Int(1, 10_000_000).parse(cap, "journal_cap")
        self._entries: deque[JournalEntry] = deque(maxlen=self._cap)
        self._seq = 0

    @property
    def cap(self) -> int:
        return self._cap

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest entry (0 if none was recorded)."""
        return self._seq

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def record(
        self,
        kind: EntryKind,
        *,
        time: float,
        connection: int,
        transport: Transport | None,
        method: str | None = None,
        id: Any = None,
        rule: int | None = None,
        fault: str | None = None,
        draw: float | None = None,
        size: int | None = None,
    ) -> JournalEntry:
        """Append one entry and return it."""
        if kind not in _KINDS:
            raise ValueError(f"unknown journal entry kind {kind!r}")
        self._seq += 1
        entry = JournalEntry(
            self._seq, time, connection, transport, kind, method, id, rule, fault, draw, size
        )
        self._entries.append(entry)
        return entry

    def record_fault(self, decision: Decision, event: Event, *, id: Any = None) -> JournalEntry:
        """Record that ``decision`` was applied to ``event`` (``id``: the call's JSON-RPC id)."""
        return self.record(
            "fault",
            time=event.time,
            connection=event.connection,
            transport=event.transport,
            method=event.method,
            id=id,
            rule=decision.rule_id,
            fault=decision.kind,
            draw=decision.draw,
        )

    def page(self, since: int = 0, limit: int = DEFAULT_PAGE) -> JournalPage:
        """Up to ``limit`` entries with ``seq > since``, oldest first."""
        held = len(self._entries)
        oldest = self._entries[0].seq if held else 0
        skip = max(0, since - oldest + 1) if held else 0
        entries = tuple(itertools.islice(self._entries, skip, skip + max(limit, 0)))
        return JournalPage(
            entries,
            entries[-1].seq if entries else max(since, 0),
            oldest,
            self._seq - held,
        )

    def clear(self) -> None:
        """Forget everything; ``seq`` starts at 1 again (a fresh run)."""
        self._entries.clear()
        self._seq = 0

    def render(self) -> list[dict[str, Any]]:
        """Every held entry as JSON objects."""
        return [entry.render() for entry in self._entries]


def parse_page_request(params: object, path: str = "") -> tuple[int, int]:
    """``(since, limit)`` from ``mock_journal``'s argument: ``null``/absent or an object with
    optional ``since`` (int >= 0, default 0) and ``limit`` (1..MAX_PAGE, default
    DEFAULT_PAGE). Anything else raises :class:`FaultSpecError`."""
    if params is None:
        return 0, DEFAULT_PAGE
    if not isinstance(params, Mapping):
        raise FaultSpecError(path, f'expected {{"since": N, "limit": N}}, got {show(params)}')
    for key in params:
        if key not in ("since", "limit"):
            raise FaultSpecError(join_path(path, str(key)), "unknown field (use since and limit)")
    since = params.get("since")
    limit = params.get("limit")
    return (
        0 if since is None else Int(0).parse(since, join_path(path, "since")),
        DEFAULT_PAGE if limit is None else Int(1, MAX_PAGE).parse(limit, join_path(path, "limit")),
    )
