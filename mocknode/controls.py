"""The node's admin surface, written once for every way a node is run.

:class:`~mocknode.embedded.MockNode` (trio in a background thread) and
:class:`~mocknode.trio_node.TrioMockNode` (inside the caller's own trio run) differ only in
how a call reaches the thread that owns the chain (:meth:`NodeControls.run`) and where
the served :class:`~mocknode.node.Node` is. Everything a test or a script does to a
node (mine, snapshot, revert, edit state, move time, change mining mode) is defined
here once on top of those two, so both objects offer exactly the same methods. The small
values both hand out (:class:`NodeAccount`, the config they start from) live here too.
"""

from __future__ import annotations

import builtins
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from mocknode.chain.chain import Chain
from mocknode.chain.config import ChainConfig
from mocknode.chain.primitives.hashing import checksum_address
from mocknode.chain.tx.keys import DevAccount
from mocknode.faults.controller import DEFAULT_JOURNAL_PAGE, FaultHandle, Faults
from mocknode.node import Endpoints, Node, NodeConfig
from mocknode.types import Address
from mocknode.values import replace

if TYPE_CHECKING:
    from mocknode.faults.engine import RuleStatus
    from mocknode.faults.journal import JournalPage
    from mocknode.faults.plan import FaultPlan
    from mocknode.faults.rules import Rule

T = TypeVar("T")


def parse_address(value: str | bytes) -> Address:
    """An address from ``0x`` hex (any case) or 20 raw bytes."""
    if isinstance(value, str):
        raw = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
    else:
        raw = bytes(value)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {value!r}")
    return Address(raw)


def node_config(config: NodeConfig | None, chain_options: Mapping[str, Any]) -> NodeConfig:
    """The config an embedded node starts from: ``config`` (by default any free port),
    with ``chain_options`` replacing fields of its chain config."""
    config = config or NodeConfig(port=0)
    if chain_options:
        config = replace(config, chain=replace(config.chain, **chain_options))
    return config


class NodeAccount(NamedTuple):
    """A funded dev account as clients write it: checksummed address and private key,
    both ``0x`` hex (``DevAccount`` holds the same as raw bytes)."""

    address: str
    private_key: str

    @classmethod
    def of(cls, account: DevAccount) -> NodeAccount:
        return cls(checksum_address(account.address), "0x" + bytes(account.private_key).hex())


class NodeControls(ABC):
    """Endpoints and admin calls of a served node, whatever runs it."""

    @abstractmethod
    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the thread that owns the chain and return its result."""

    @abstractmethod
    def _served(self) -> Node:
        """The running :class:`Node`; raises RuntimeError when it is not running."""

    def _chain_call(self, name: str, *args: Any) -> Any:
        return self.run(lambda: getattr(self._served().chain, name)(*args))

    # -- where it listens -----------------------------------------------------------------

    @property
    def endpoints(self) -> Endpoints:
        endpoints = self._served().endpoints
        if endpoints is None:
            raise RuntimeError("the node is not serving")
        return endpoints

    @property
    def http_url(self) -> str:
        return self.endpoints.http_url

    @property
    def ws_url(self) -> str:
        return self.endpoints.ws_url

    @property
    def ipc_path(self) -> str | None:
        return self.endpoints.ipc_path

    @property
    def chain_config(self) -> ChainConfig:
        return self._served().config.chain

    @property
    def accounts(self) -> tuple[DevAccount, ...]:
        return self._served().chain.accounts  # immutable after genesis: no crossing needed

    # -- chain controls -------------------------------------------------------------------

    def block_number(self) -> int:
        return int(self.run(lambda: self._served().chain.head.number))

    def mine(self, blocks: int = 1, timestamp: int | None = None) -> None:
        """Mine ``blocks`` blocks now (with pending transactions), optionally at ``timestamp``."""
        self._chain_call("mine", blocks, timestamp)

    def snapshot(self, name: str | None = None) -> int:
        """Take a snapshot; it survives reverting to it, so it can be reused."""
        return int(self._chain_call("snapshot", name))

    def revert(self, snapshot: int | str) -> bool:
        """Back to a snapshot, by id or name. False if it no longer exists."""
        return bool(self._chain_call("revert", snapshot))

    def set_balance(self, address: str | bytes, wei: int) -> None:
        self._chain_call("set_balance", parse_address(address), wei)

    def set_nonce(self, address: str | bytes, nonce: int) -> None:
        self._chain_call("set_nonce", parse_address(address), nonce)

    def set_code(self, address: str | bytes, code: bytes) -> None:
        self._chain_call("set_code", parse_address(address), code)

    def set_storage(self, address: str | bytes, slot: int, value: int) -> None:
        self._chain_call("set_storage", parse_address(address), slot, value)

    def increase_time(self, seconds: int) -> int:
        """Move the clock forward for the next blocks; returns the total offset."""
        return int(self.run(lambda: self._served().chain.time.increase(seconds)))

    def set_next_block_timestamp(self, timestamp: int) -> None:
        self._chain_call("set_next_timestamp", timestamp)

    def advance(self, seconds: float) -> int:
        """Let ``seconds`` pass on the node's virtual clock (``NodeConfig(virtual_time=
        True)``): every interval block that falls due on the way is mined at once, each
        stamped the interval after its parent; returns how many were. Unlike
        :meth:`increase_time` (a jump added to the next block), time passes. Raises
        :class:`~mocknode.chain.errors.InvalidRequest` on a node without virtual time."""
        return int(self.run(lambda: self._served().chain.time.advance(seconds)))

    def dump_state(self, path: str | os.PathLike[str]) -> None:
        """Save the whole chain to ``path`` (atomically; ``mocknode --load-state`` and
        :meth:`load_state` read it)."""
        from mocknode.persist.files import save_state

        self.run(lambda: save_state(self._served().chain, path))

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Replace the chain with the one saved at ``path``: blocks, receipts, state
        history, pool and time travel; snapshots are forgotten. Raises
        :class:`~mocknode.persist.errors.StateFileError` (nothing changed) when the file
        is not a state this mocknode reads."""
        from mocknode.persist.document import install, read_document
        from mocknode.persist.files import read_state_file

        # Read, checked and rebuilt here, off the node's thread; only swapped in there.
        restored = read_document(read_state_file(path), self.chain_config)
        self.run(lambda: install(self._served().chain, restored))

    def set_automine(self, enabled: bool) -> None:
        self._chain_call("set_automine", enabled)

    def set_interval_mining(self, seconds: float | None) -> None:
        """Mine every ``seconds`` of the node's clock (None or 0 turns it off)."""
        self._chain_call("set_interval", seconds)

    def with_chain(self, fn: Callable[[Chain], T]) -> T:
        """Run ``fn(chain)`` where the chain lives: for anything the methods above lack."""
        return self.run(lambda: fn(self._served().chain))

    # -- faults -----------------------------------------------------------------------------

    @property
    def faults(self) -> Faults | FaultsProxy:
        """The node's fault controller (rules, seed, persona, journal): the
        :class:`~mocknode.faults.controller.Faults` itself where calls already run on the
        node's thread, else a :class:`FaultsProxy` with the same methods."""
        return FaultsProxy(self)


class FaultsProxy:
    """:class:`~mocknode.faults.controller.Faults` for code outside the node's thread: the
    same methods, each run on the node's thread (:meth:`NodeControls.run`); handles it
    returns remove their rule there too."""

    __slots__ = ("_controls",)

    def __init__(self, controls: NodeControls) -> None:
        self._controls = controls

    def _call(self, name: str, *args: Any) -> Any:
        controls = self._controls
        return controls.run(lambda: getattr(controls._served().faults, name)(*args))

    def _get(self, name: str) -> Any:
        controls = self._controls
        return controls.run(lambda: getattr(controls._served().faults, name))

    def _set(self, name: str, value: Any) -> None:
        controls = self._controls
        controls.run(lambda: setattr(controls._served().faults, name, value))

    def add(self, rule: Rule | Mapping[str, Any]) -> FaultHandle:
        return FaultHandle(self, self._call("add", rule).id)

    @contextmanager
    def inject(
        self, rule: Rule | Mapping[str, Any] | None = None, /, **kw: Any
    ) -> Iterator[FaultHandle]:
        if rule is None:
            from mocknode.faults.wiring import rule_from_keywords

            rule = rule_from_keywords(kw)
        elif kw:
            raise TypeError("give a rule or keywords, not both")
        handle = self.add(rule)
        try:
            yield handle
        finally:
            handle.remove()

    def remove(self, rule_id: int) -> bool:
        return bool(self._call("remove", rule_id))

    def clear(self) -> None:
        self._call("clear")

    def list(self) -> builtins.list[RuleStatus]:
        result: builtins.list[RuleStatus] = self._call("list")
        return result

    @property
    def seed(self) -> int:
        return int(self._get("seed"))

    def set_seed(self, seed: int) -> None:
        self._call("set_seed", seed)

    @property
    def persona(self) -> str | None:
        persona: str | None = self._get("persona")
        return persona

    @persona.setter
    def persona(self, name: str | None) -> None:
        self._set("persona", name)

    @property
    def recording(self) -> bool:
        return bool(self._get("recording"))

    @recording.setter
    def recording(self, value: bool) -> None:
        self._set("recording", value)

    @property
    def armed(self) -> bool:
        return bool(self._get("armed"))

    def journal_page(self, since: int = 0, limit: int = DEFAULT_JOURNAL_PAGE) -> JournalPage:
        page: JournalPage = self._call("journal_page", since, limit)
        return page

    def restart_run(self) -> None:
        self._call("restart_run")

    def clear_journal(self) -> None:
        self._call("clear_journal")

    def load_plan(self, plan: FaultPlan | str | os.PathLike[str]) -> builtins.list[FaultHandle]:
        handles: builtins.list[FaultHandle] = self._call("load_plan", plan)
        return [FaultHandle(self, handle.id) for handle in handles]
