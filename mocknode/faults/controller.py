"""The node's fault controller: :class:`Faults`, one per node, and :class:`FaultHandle`.

It owns the :class:`~mocknode.faults.engine.FaultEngine`, the
:class:`~mocknode.faults.journal.Journal`, the persona and the seed, and hands the node the
hooks that apply decisions on the real socket path: :meth:`Faults.session` wraps every
connection's JSON-RPC session (request-point kinds, :mod:`mocknode.faults.session`),
:meth:`Faults.on_accept` and :meth:`Faults.wrap_stream` go to the listeners, and
:meth:`Faults.notification` sees every subscription notification while armed.

Cost when unused. The hot path asks one attribute, :attr:`Faults.armed`: false until a
rule exists, a persona is set or :attr:`Faults.recording` is switched on. The fault core
(catalogue, engine, journal, plan parsers) is imported when first needed, not when a node
is built, so ``import mocknode`` and a node that never injects a fault pay nothing for it
(the package's names are lazy too, see :mod:`mocknode.faults`). While unarmed, live
sessions do not even route notifications through here (:meth:`_set_armed` installs and
removes their hooks).

Threading: every method runs on the node's trio thread (the threaded ``MockNode`` proxies
its calls there), like the chain. Times are the node clock: trio's clock, in seconds since
the node started serving, so ``autojump_clock`` tests replay exactly.

Personas apply their provider's limits as rules of their own, in a second engine that is
consulted after the user's rules (a user rule always wins): the batch limit and shape
(Alchemy's smaller WebSocket limit first), the ``eth_getLogs`` caps and the rate limit.
Their journal entries carry ``rule: null``. Filter expiry is a chain behaviour and is not
applied by a persona yet.

Chain faults (:mod:`mocknode.faults.chain_events`, ``chain_reads``, ``chain_pool``) need
the node's chain, given as ``chain``: the ``tx`` and ``block`` kinds hook it only while
such a rule exists (:meth:`_sync_chain`, on every rule change); the request-point chain
kinds are applied by the session like the others and keep their state (filter owners,
idle clocks, held logs) in :attr:`chain_faults`, forgotten when the rules are cleared.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Protocol

import trio

from mocknode.io.reply import Reply
from mocknode.io.session import ConnInfo, Push, Session

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.faults.chain_events import ChainFaults
    from mocknode.faults.engine import Decision, FaultEngine, RuleStatus
    from mocknode.faults.events import Event, Transport
    from mocknode.faults.journal import EntryKind, Journal, JournalEntry, JournalPage
    from mocknode.faults.plan import FaultPlan
    from mocknode.faults.request import Conn
    from mocknode.faults.rules import Rule
    from mocknode.faults.session import Inner
    from mocknode.rpc.subscriptions import SubscriptionKind

__all__ = [
    "DEFAULT_JOURNAL_CAP",
    "DEFAULT_JOURNAL_PAGE",
    "FaultControlAdapter",
    "FaultHandle",
    "Faults",
    "RuleOwner",
]

# journal.DEFAULT_CAP and DEFAULT_PAGE, repeated so that building a node does not import
# the fault core (a test keeps them equal).
DEFAULT_JOURNAL_CAP: Final = 10_000
DEFAULT_JOURNAL_PAGE: Final = 1_000


class RuleOwner(Protocol):
    """Where a :class:`FaultHandle` removes and lists its rule (a :class:`Faults`, or the
    threaded node's proxy that carries the call into the node's thread)."""

    def remove(self, rule_id: int) -> bool: ...

    def list(self) -> builtins.list[RuleStatus]: ...


class FaultHandle:
    """A rule added to a node: its ``id``, ``remove()``, its ``status`` (counts so far), and a
    context manager that removes the rule on exit."""

    __slots__ = ("_faults", "id")

    def __init__(self, faults: RuleOwner, rule_id: int) -> None:
        self._faults = faults
        self.id = rule_id

    def remove(self) -> bool:
        """Remove the rule; ``False`` if it was already gone."""
        return self._faults.remove(self.id)

    @property
    def status(self) -> RuleStatus | None:
        """The rule with its match and fire counts, or ``None`` once removed."""
        for status in self._faults.list():
            if status.id == self.id:
                return status
        return None

    @property
    def fired(self) -> int:
        """How often the rule fired so far (0 once removed)."""
        status = self.status
        return 0 if status is None else status.fired

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"FaultHandle(id={self.id})"


class Faults:
    """One per node: the engine, the journal, the persona, the node clock and the head."""

    def __init__(
        self,
        *,
        seed: int = 0,
        journal_cap: int = DEFAULT_JOURNAL_CAP,
        persona: str | None = None,
        clock: Callable[[], float],
        head: Callable[[], int],
        chain: Chain | None = None,
    ) -> None:
        self.armed = False
        """True when a rule exists, a persona is set or recording is on (the hot path
        checks only this)."""
        self._recording = False
        self.journal_epoch = 0
        """Goes up whenever the journal starts afresh (sessions journal their connection
        again in the new run, and never close a connection the new run did not see)."""
        self._clock = clock
        self._head = head
        self._seed = seed
        self._journal_cap = journal_cap
        self._engine: FaultEngine | None = None
        self._journal: Journal | None = None
        self._persona: str | None = None
        self._persona_engine: FaultEngine | None = None
        self._sessions: dict[Conn, None] = {}
        self._control: FaultControlAdapter | None = None
        self._chain = chain
        self._chain_faults: ChainFaults | None = None
        # Set by the serving node (hooks for the accept and stream kinds, F2):
        self.restart_ipc: Callable[[float], None] | None = None
        """Close every IPC connection, remove the socket file and bind it again after
        the given seconds (``ipc_recreate``); ``None`` while no IPC listener runs."""
        self.on_restart: Callable[[], None] | None = None
        """The node's part of :meth:`restart_run` (connection ids and node clock)."""
        if seed != 0 or journal_cap != DEFAULT_JOURNAL_CAP:
            self._core()  # validates them now, where they were given
        if persona is not None:
            self.persona = persona

    # ------------------------------------------------------------------ the core

    def _core(self) -> tuple[FaultEngine, Journal]:
        if self._engine is None or self._journal is None:
            from mocknode.faults.engine import FaultEngine
            from mocknode.faults.journal import Journal

            self._engine = FaultEngine(self._seed)
            self._journal = Journal(self._journal_cap)
        return self._engine, self._journal

    @property
    def engine(self) -> FaultEngine:
        return self._core()[0]

    @property
    def journal(self) -> Journal:
        return self._core()[1]

    @property
    def persona_engine(self) -> FaultEngine | None:
        """The persona's own rules (consulted after the user's), or ``None``."""
        return self._persona_engine

    @property
    def chain_faults(self) -> ChainFaults:
        """The chain faults' hooks and state (made on first use; needs ``chain``)."""
        if self._chain_faults is None:
            if self._chain is None:
                raise RuntimeError("chain faults need the node's chain (Faults(chain=...))")
            from mocknode.faults.chain_events import ChainFaults

            self._chain_faults = ChainFaults(self, self._chain)
        return self._chain_faults

    def _sync_chain(self) -> None:
        """Hook the chain while a ``tx`` or ``block`` rule exists (chain faults)."""
        engine = self._engine
        if engine is None or self._chain is None:
            return
        if self._chain_faults is not None or engine.wants("tx") or engine.wants("block"):
            self.chain_faults.sync()

    def now(self) -> float:
        """Node-clock seconds since the node started serving."""
        return self._clock()

    def head(self) -> int:
        """The head block number."""
        return self._head()

    # ------------------------------------------------------------------ arming

    @property
    def recording(self) -> bool:
        """Journal all traffic even without rules (the ``faults`` fixture, ``--journal``)."""
        return self._recording

    @recording.setter
    def recording(self, value: bool) -> None:
        self._recording = bool(value)
        if value:
            self._core()
        self._update_armed()

    def _update_armed(self) -> None:
        self._sync_chain()
        engine = self._engine
        armed = (
            self._recording
            or self._persona_engine is not None
            or (engine is not None and len(engine) > 0)
        )
        if armed != self.armed:
            self._set_armed(armed)

    def _set_armed(self, armed: bool) -> None:
        self.armed = armed
        for session in self._sessions:
            session.hook_notifications(armed)

    # ------------------------------------------------------------------ rules

    def add(self, rule: Rule | Mapping[str, Any]) -> FaultHandle:
        """Add a rule (a :class:`~mocknode.faults.rules.Rule` or its JSON shape), evaluated
        after the existing ones. Raises :class:`~mocknode.faults.errors.FaultSpecError` for
        a rule that cannot be accepted."""
        from mocknode.faults.wiring import check_wired, to_rule

        parsed = to_rule(rule)
        check_wired(parsed)
        rule_id = self.engine.add(parsed)
        self._update_armed()
        return FaultHandle(self, rule_id)

    @contextmanager
    def inject(
        self, rule: Rule | Mapping[str, Any] | None = None, /, **kw: Any
    ) -> Iterator[FaultHandle]:
        """``with faults.inject(kind="delay", seconds=2, match={"method": "eth_call"}):``
        adds the rule (or ``rule``) for the block and removes it at exit. Keywords:
        ``kind``, ``match``, ``trigger`` (objects or their dataclasses), and the action's
        parameters."""
        from mocknode.faults.wiring import rule_from_keywords

        if rule is None:
            rule = rule_from_keywords(kw)
        elif kw:
            raise TypeError("give a rule or keywords, not both")
        handle = self.add(rule)
        try:
            yield handle
        finally:
            handle.remove()

    def remove(self, rule_id: int) -> bool:
        """Remove the rule with that id; ``False`` if there is none."""
        if self._engine is None:
            return False
        removed = self._engine.remove(rule_id)
        self._update_armed()
        return removed

    def clear(self) -> None:
        """Remove every rule (ids start at 1 again). The persona and the journal stay."""
        if self._engine is not None:
            self._engine.clear()
        if self._chain_faults is not None:
            self._chain_faults.reset()
        self._update_armed()

    def list(self) -> builtins.list[RuleStatus]:
        """The rules in evaluation order, with their counts."""
        return [] if self._engine is None else self._engine.list()

    @property
    def seed(self) -> int:
        return self._seed if self._engine is None else self._engine.seed

    def set_seed(self, seed: int) -> None:
        """A new seed: every counter, rate bucket and down-window starts afresh."""
        self.engine.set_seed(seed)
        self._seed = self.engine.seed
        if self._persona_engine is not None:
            self._persona_engine.set_seed(self._seed)

    # ------------------------------------------------------------------ persona

    @property
    def persona(self) -> str | None:
        """``geth``, ``infura``, ``alchemy``, ``erigon`` or ``None``: that provider's limits
        and error shapes, applied after the rules."""
        return self._persona

    @persona.setter
    def persona(self, name: str | None) -> None:
        if name is None:
            self._persona = None
            self._persona_engine = None
        else:
            from mocknode.faults.engine import FaultEngine
            from mocknode.faults.wiring import persona_rules

            rules = persona_rules(name)
            engine = FaultEngine(self.seed)
            for rule in rules:
                engine.add(rule)
            self._persona = name
            self._persona_engine = engine if rules else None
        self._update_armed()

    # ------------------------------------------------------------------ journal, plans

    def journal_page(self, since: int = 0, limit: int = DEFAULT_JOURNAL_PAGE) -> JournalPage:
        """Entries with ``seq > since``, oldest first, at most ``limit``."""
        return self.journal.page(since, limit)

    def clear_journal(self) -> None:
        """Forget every journal entry (``seq`` starts at 1 again): a fresh run, in which a
        connection still open appears again (``connect``) with its next message."""
        if self._journal is not None:
            self._journal.clear()
        self.journal_epoch += 1

    def load_plan(self, plan: FaultPlan | str | os.PathLike[str]) -> builtins.list[FaultHandle]:
        """Apply a plan (or a ``.toml``/``.json`` plan file): its seed, persona, journal cap
        (a new, empty journal when the cap changes) and its rules, after any present."""
        from mocknode.faults.plan import FaultPlan, load_plan
        from mocknode.faults.wiring import check_wired

        if not isinstance(plan, FaultPlan):
            plan = load_plan(plan)
        for rule in plan.rules:
            check_wired(rule)
        if plan.journal_cap != self.journal.cap:
            from mocknode.faults.journal import Journal

            self._journal_cap = plan.journal_cap
            self._journal = Journal(plan.journal_cap)
            self.journal_epoch += 1
        self.set_seed(plan.seed)
        self.persona = plan.persona
        return [self.add(rule) for rule in plan.rules]

    def record(
        self,
        kind: EntryKind,
        info: ConnInfo | None,
        *,
        method: str | None = None,
        id: Any = None,
        size: int | None = None,
        transport: Transport | None = None,
        time: float | None = None,
    ) -> JournalEntry:
        """Journal one entry for ``info``'s connection, at ``time`` (default: now, on the
        node clock)."""
        return self.journal.record(
            kind,
            time=self.now() if time is None else time,
            connection=0 if info is None else info.id,
            transport=transport if info is None else info.transport,
            method=method,
            id=id,
            size=size,
        )

    def record_fault(self, decision: Decision, event: Event, *, id: Any = None) -> None:
        """Journal that ``decision`` was applied to ``event``."""
        self.journal.record_fault(decision, event, id=id)

    # ------------------------------------------------------------------ hooks

    def session(self, inner: Inner, info: ConnInfo, push: Push | None) -> Session:
        """The connection's session: ``inner`` behind the request-point faults."""
        from mocknode.faults.session import FaultSession

        return FaultSession(self, inner, info, push)

    def on_accept(self, info: ConnInfo) -> Reply | None:
        """For ``serve_tcp``/``serve_ipc(on_accept=)``: refuse or reset a new connection,
        or refuse its WebSocket upgrade (``info.transport == "ws"``), as the accept-point
        rules decide (:mod:`~mocknode.faults.apply_accept`)."""
        if not self.armed:
            return None
        from mocknode.faults.apply_accept import accept_reply

        return accept_reply(self, info)

    def wrap_stream(
        self, stream: trio.abc.HalfCloseableStream, info: ConnInfo
    ) -> trio.abc.HalfCloseableStream:
        """For ``serve_tcp``/``serve_ipc(wrap_stream=)``: the stream itself unless a
        stream-level rule needs to see the bytes."""
        return stream

    def notification(self, conn: Conn, kind: SubscriptionKind, sub_id: str, payload: bytes) -> None:
        """Every notification of ``conn`` while armed: dropped, duplicated, delayed,
        reordered or silenced as the rules decide, journaled as sent
        (:mod:`~mocknode.faults.apply_notify`)."""
        from mocknode.faults.apply_notify import notify

        notify(self, conn, kind, sub_id, payload)

    def restart_run(self) -> None:
        """Start a fresh run on this node: an empty journal, the node clock at 0 and
        connection ids from 1 (rules, seed and persona are left as they are). The pytest
        plugin calls it per test, so a test's journal and draws on a shared node are
        those it would get on a fresh one."""
        self.clear_journal()
        if self.on_restart is not None:
            self.on_restart()
        if self._chain_faults is not None:
            self._chain_faults.reset()  # its filter clocks were on the old node clock

    @property
    def control(self) -> FaultControlAdapter:
        """This controller as the rpc layer's ``FaultControl`` (the ``mock_*`` methods)."""
        if self._control is None:
            self._control = FaultControlAdapter(self)
        return self._control

    def attach(self, session: Conn) -> None:
        """A session opened (so arming can hook and unhook its notifications)."""
        self._sessions[session] = None

    def detach(self, session: Conn) -> None:
        """A session closed."""
        self._sessions.pop(session, None)


class FaultControlAdapter:
    """:class:`~mocknode.rpc.control.FaultControl` over a :class:`Faults`: JSON in, JSON out,
    every refusal a ``ValueError`` (:class:`~mocknode.faults.errors.FaultSpecError`) whose
    text the ``mock_*`` methods answer with ``-32602``."""

    __slots__ = ("_faults",)

    def __init__(self, faults: Faults) -> None:
        self._faults = faults

    def add(self, rule: Any) -> int:
        from mocknode.faults.rules import parse_rule

        return self._faults.add(parse_rule(rule)).id

    def remove(self, rule_id: int) -> bool:
        return self._faults.remove(rule_id)

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> builtins.list[dict[str, Any]]:
        return [status.render() for status in self._faults.list()]

    def set_seed(self, seed: Any) -> None:
        self._faults.set_seed(seed)

    def journal(self, query: Any) -> dict[str, Any]:
        from mocknode.faults.journal import parse_page_request

        since, limit = parse_page_request(query)
        return self._faults.journal_page(since, limit).render()
