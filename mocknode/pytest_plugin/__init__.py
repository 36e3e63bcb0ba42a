"""pytest plugin: a served mock node for every test, in sync, asyncio and trio tests alike.

Installed through the ``pytest11`` entry point, so installing mocknode enables it. Importing
it is cheap on purpose (py-evm, trio and web3 load only when a test asks for a node): it is
loaded by *every* pytest run in the environment, most of which never touch a node.

Fixtures
--------
::

    _mocknode_cache (session)          nodes by config, started on first use, closed at session end
    ├── mocknode_session (session)     the default-config node, shared and never reset
    └── mocknode (function)            the test's node, on a clean chain
        ├── mocknode_http_url, mocknode_ws_url, mocknode_ipc_path, mocknode_accounts
        ├── faults                     the node's fault controller, journaling (see below)
        ├── w3                         web3 ``Web3`` over HTTP (when web3 is installed)
        └── async_w3                   web3 ``AsyncWeb3`` over WebSocket (asyncio tests)

This package holds the hooks and the node fixtures; ``w3`` and ``async_w3`` live in
:mod:`~mocknode.pytest_plugin.web3_fixtures` (a plugin of their own, registered through
``pytest_plugins`` below), and :mod:`~mocknode.pytest_plugin.options` turns options and
markers into each test's config.

Everything hangs off ``mocknode``, so a test that asks only for ``w3`` gets the same
isolation as one that asks for ``mocknode`` itself. ``@pytest.mark.mocknode(**config)``
(any :class:`ChainConfig` field, plus ``interval``) picks the chain; command-line and ini
options (``--mocknode-chain-id``, ``mocknode_chain_id``, ...) set the defaults under it.

Sync and asyncio tests: a threaded node, reset by snapshot
-----------------------------------------------------------
They get a :class:`mocknode.MockNode` (trio in a background thread) from a
session-wide cache keyed by the resolved chain config: tests with equal config share one
node, a test whose marker differs gets its own, started once and kept. (Interval mining is
the exception: it is switched on per test, after the snapshot.) Isolation is a snapshot at
setup and a revert at teardown. The chain's snapshot covers blocks, state, the pool (pending
transactions), filters, automine, interval mining and time travel, so none of those leak.
What it cannot cover are connections (and the subscriptions living on them), so
``async_w3`` closes at teardown a WebSocket that ever had a subscription, and keeps for the
next test only a quiet one (``w3``'s HTTP connections carry no state and stay open; what the
web3 fixtures reuse, and when, is in :mod:`~mocknode.pytest_plugin.web3_fixtures`).
Snapshotting at each test's setup (rather than reverting to one taken at genesis) keeps
whatever a session fixture deployed on ``mocknode_session`` before the test. The snapshot a
teardown reverts to stays valid, and is the chain's state until something else runs: so the
next test reuses it instead of crossing into the node's thread for a new one, unless a
fixture other than pytest's, pytest-asyncio's, pytest-trio's, xdist's and this plugin's was
set up or torn down in between (:func:`pytest_fixture_setup`). The teardown's revert does
not wait for the node's thread either when the test took the chain no lower than its
snapshot (the chain's ``rewinds`` count unchanged, no faults): it is queued
(``MockNode._revert_soon``) and made before anything else reaches the chain, a request on
any transport, a call into the node's thread, an interval block (``Node.revert_soon``);
the node's thread is not woken for it. Waiting costs two thread wake-ups, about a quarter
of a millisecond a test, and a wake-up alone more in asyncio tests (issue 12). A
test that reverted or reorged the chain itself, or used faults, is reset the waiting way,
so a lost snapshot is still reported at its own teardown. Not seen: code outside fixtures
(a hook, a thread) changing a shared node between two tests; its change is undone by the
next test's teardown.

Trio tests: the node runs inside the test's own trio run
--------------------------------------------------------
``autojump_clock`` can only skip time for deadlines of the run it is the clock of; the
threaded node's interval miner sleeps in *another* run on a real clock, so a trio test
waiting two minutes for twelve-second blocks would really wait two minutes. A trio test
therefore gets a fresh :class:`mocknode.TrioMockNode` from :func:`mocknode.open_mocknode`,
inside its own run (genesis takes milliseconds; no snapshot is needed as the node dies with
the test): the very object trio code outside pytest gets.

How one fixture name resolves two ways: pytest-trio (0.8) sets up a trio test's async
fixtures inside the test's run by intercepting ``pytest_fixture_setup``: for a fixture it
must run in trio it returns a placeholder (``TrioFixture``) instead of a value, and when the
run starts it resolves every placeholder found among the arguments of the test and of other
such fixtures; a fixture that receives a placeholder becomes one itself. ``mocknode`` is a
plain sync fixture that, for an item marked ``trio`` (by hand or by ``trio_mode``), yields
``request.getfixturevalue("_mocknode_in_trio")``. That fixture carries pytest-trio's
``_force_trio_fixture`` flag (what ``pytest_trio.trio_fixture`` sets), so its value *is* such
a placeholder; the test then receives the :class:`TrioMockNode`, and ``w3``,
``mocknode_http_url`` and friends, which take ``mocknode`` as an argument, are run inside the
run after the node is up. Sync and asyncio items never request ``_mocknode_in_trio``.
``_mocknode_in_trio`` is a sync function returning an async generator (pytest-trio accepts
both) rather than an ``async def``, so that pytest-asyncio in ``auto`` mode, which claims
every ``async def`` fixture, leaves it alone.

The object a test gets
----------------------
The same methods in every style (:class:`mocknode.NodeControls`): endpoints, ``accounts``,
``block_number()``, ``mine()``, ``snapshot()``/``revert()``, ``set_balance()``,
``set_nonce()``, ``set_code()``, ``set_storage()``, ``increase_time()``,
``set_next_block_timestamp()``, ``set_automine()``, ``set_interval_mining()``,
``with_chain()``. They are plain (not awaitable) calls everywhere. In a trio test they run
directly on the chain, which lives on the test's own thread, so each is atomic and costs no
checkpoint (the interval miner notices a mode change at the test's next ``await``); called
from a worker thread (``trio.to_thread``) they cross into the run with ``trio.from_thread``.
The trio handle adds ``await mocknode.request(method, *params)``: JSON-RPC through the
node's real JSON-RPC layer without a socket, the one way to query the chain that never
leaves the run (see the autojump caveat in ``docs/testing.md``).

Faults
------
``@pytest.mark.faults(*rules_or_plans, seed=N, persona=NAME)`` and the
``mocknode_faults_plan`` ini option (``--mocknode-faults-plan``) put the test's node under
fault rules (resolved in :func:`~mocknode.pytest_plugin.options.faults_for_test`); the
``faults`` fixture is the node's controller with every request journaled. On the shared
threaded node they are applied at setup and undone at teardown, like the chain snapshot,
and the node's connection ids, subscription ids and clock restart, so a test's journal
does not depend on the tests that ran before it on its worker. That reset also runs after
any test that left rules on the node without the fixture. A trio test's fresh node is
built with the plan (``NodeConfig.faults``). Nothing of this runs for a test that uses
neither.

Failure reports
---------------
A failed test that used a node gets a "mocknode" report section (endpoints, head, pending
count, mining mode, time offset). pytest-trio 0.8 on trio 0.25+ delivers every trio test
failure as an exception group of one, which hides pytest's assertion details; for trio tests
using the node, ``pytest_runtest_call`` unwraps such a group into its one exception.

Parallel runs
-------------
Each pytest-xdist worker is its own session, so it has its own cache and nodes: TCP on port
0, IPC sockets in a per-process directory named after the worker. Unix socket paths are
limited to about 104-107 bytes and pytest's ``tmp_path`` can be longer, so that directory
is made under a short temp root instead.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from mocknode import values
from mocknode.pytest_plugin import options
from mocknode.pytest_plugin.options import NodeSettings, is_trio_test

if TYPE_CHECKING:
    from mocknode.chain.chain import Chain
    from mocknode.controls import FaultsProxy, NodeAccount, NodeControls
    from mocknode.embedded import MockNode
    from mocknode.faults.controller import Faults
    from mocknode.faults.plan import FaultPlan
    from mocknode.node import Node, NodeConfig
    from mocknode.trio_node import TrioMockNode

T = TypeVar("T")

# The web3 fixtures: a plugin module of their own, loaded with this one (and only then).
pytest_plugins = ["mocknode.pytest_plugin.web3_fixtures"]

_DESCRIBE = pytest.StashKey["Callable[[], str]"]()
FAULTS_FIXTURE = "faults"


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    options.configure(config)


# -- what a test gets ------------------------------------------------------------------------


def _describe(node: NodeControls, note: str = "") -> str:
    """The node's endpoints and chain state, for the report of a failed test."""

    def summary(chain: Chain) -> str:
        head = chain.head
        interval = "off" if chain.interval is None else f"every {chain.interval:g} s"
        return (
            f"chain id {chain.config.chain_id}, head block {head.number} "
            f"(0x{bytes(head.hash).hex()}), {len(chain.pool)} pending tx, "
            f"automine {'on' if chain.automine else 'off'}, interval mining {interval}, "
            f"time offset {chain.time.offset:+d} s"
        )

    try:
        endpoints = f"{node.http_url} {node.ws_url} ipc:{node.ipc_path}"
        state = node.with_chain(summary)
    except Exception as exc:  # a report must not fail because the node did
        return f"node state unavailable: {exc!r}"
    return f"{endpoints}{note}\n{state}"


# -- the nodes -------------------------------------------------------------------------------


def _short_temp_root() -> str:
    """A temp root short enough for unix socket paths (about 104-107 bytes in all)."""
    root = tempfile.gettempdir()
    if len(root) > 40 and os.path.isdir("/tmp"):
        return "/tmp"
    return root


def _load_evm_here() -> None:
    """Import py-evm (and the chain's lazily loaded modules) on this, the test's, thread.

    A node imports them in a background thread once it listens (so that a CLI node answers
    reads at once). Beside a test that imports at the same time (web3, eth-account, the
    test's own modules) two threads import the same circular packages and one can get a
    partially initialised module ("cannot import name 'BaseSignature' from partially
    initialized module 'eth_keys.datatypes'"). Loaded here before the first node starts,
    the node's import finds everything loaded, whatever fixture or import the test
    makes; the cost is the same (an import holds the GIL either way), only moved to before
    the first test instead of into its first transaction.
    """
    from mocknode.chain.chain import warm_up

    warm_up()


_LIVE_CACHES: list[_NodeCache] = []  # this process's open caches (pytester runs nest them)


class _NodeCache:
    """One threaded node per distinct config, started on first use, all closed at the end.

    Once the first node is up, ``gc_freeze`` (the ``mocknode_gc_freeze`` ini value, on by
    default) moves every object alive then out of the cyclic collector's reach: some
    120,000 objects (modules, py-evm, web3, the collected tests) that each full collection
    would walk again, about 70 ms a time on this project's two-core machine, and pytest
    runs five at the session's end. Only garbage cycles among those objects are never
    freed; objects made later are collected as before.
    """

    def __init__(self, gc_freeze: bool = False) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        prefix = f"mocknode-{worker}-" if worker else "mocknode-"
        self.ipc_dir = tempfile.mkdtemp(prefix=prefix, dir=_short_temp_root())
        self._nodes: dict[tuple[object, ...], MockNode] = {}
        self._serial = itertools.count()
        self._loaded = False
        self.gc_freeze = gc_freeze
        # Per node: the snapshot the last test's teardown reverted to, still valid (a
        # revert keeps its snapshot) and still the chain's state as long as nothing ran
        # since; the next test then starts from it without a crossing of its own.
        # Forgotten as soon as any fixture but the quiet ones below is set up or torn
        # down (``pytest_fixture_setup``/``pytest_fixture_post_finalizer``).
        self.kept: dict[tuple[object, ...], int] = {}
        _LIVE_CACHES.append(self)

    def ipc_path(self, kind: str) -> str:
        return os.path.join(self.ipc_dir, f"{kind}{next(self._serial)}.ipc")

    def node_for(self, settings: NodeSettings) -> MockNode:
        node = self._nodes.get(settings.key)
        if node is None:
            from mocknode.embedded import MockNode

            first = not self._loaded
            if first:
                _load_evm_here()
                self._loaded = True
            node = MockNode(settings.node_config(self.ipc_path("n"))).start()
            self._nodes[settings.key] = node
            if first and self.gc_freeze and gc.get_freeze_count() == 0:
                gc.freeze()  # once a process (pytester's in-process runs start many caches)
        return node

    def close(self) -> None:
        if self in _LIVE_CACHES:
            _LIVE_CACHES.remove(self)
        self.kept.clear()
        nodes, self._nodes = list(self._nodes.values()), {}
        try:
            for node in nodes:
                node.close()
        finally:
            shutil.rmtree(self.ipc_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def _mocknode_cache(request: pytest.FixtureRequest) -> Iterator[_NodeCache]:
    cache = _NodeCache(gc_freeze=bool(request.config.getini("mocknode_gc_freeze")))
    try:
        yield cache
    finally:
        cache.close()


@pytest.fixture(scope="session")
def mocknode_session(request: pytest.FixtureRequest, _mocknode_cache: _NodeCache) -> MockNode:
    """The session's shared node with the default config; never reset between tests.

    For state you build once per session: a session fixture that deploys contracts here
    runs before any test's ``mocknode`` snapshot, so every test starts from it. Tests on
    the default config get this same node from ``mocknode``, reset after each test; tests
    with a ``mocknode`` marker run on other nodes, without it.
    """
    return _mocknode_cache.node_for(
        options.resolve(options.defaults(request.config), "mocknode options")
    )


@pytest.fixture
def mocknode(request: pytest.FixtureRequest, _mocknode_cache: _NodeCache) -> Iterator[Any]:
    """The test's node, on a clean chain: whatever the test does is undone after it.

    Sync and asyncio tests get a ``MockNode`` (served from a background thread) shared
    with tests of the same config and reset by snapshot/revert; trio tests get a
    ``TrioMockNode`` served inside their own trio run (so ``autojump_clock`` drives interval
    mining). Both offer the same plain admin methods: ``mine``, ``snapshot``, ``revert``,
    ``set_balance``, ``increase_time``, ``set_automine``, ``set_interval_mining``, ...
    Configure with ``@pytest.mark.mocknode(chain_id=..., accounts=..., automine=...)``.
    """
    item = request.node
    if is_trio_test(item):
        # pytest-trio's placeholder: the test receives the TrioMockNode (module docstring).
        yield request.getfixturevalue("_mocknode_in_trio")
        return
    settings = options.for_test(item)
    plan = options.faults_for_test(item)
    node = _mocknode_cache.node_for(settings)
    served = node._served()
    _report_lost_reverts(served)
    snapshot = _mocknode_cache.kept.pop(settings.key, None)
    if snapshot is None:
        snapshot = node.snapshot()
    rewinds = _foreign_rewinds(served)
    item.stash[_DESCRIBE] = lambda: _describe(node)
    with_faults = plan is not None or FAULTS_FIXTURE in item.fixturenames
    if with_faults:
        _fresh_faults(node.faults, plan)
    if settings.interval is not None:
        node.set_interval_mining(settings.interval)
    yield node
    _report_lost_reverts(served)
    if not with_faults and not served.faults.armed and _foreign_rewinds(served) == rewinds:
        # Nothing took the chain below the snapshot: it is reachable, and the revert can
        # be left to the node's thread (MockNode._revert_soon), no waiting here.
        node._revert_soon(snapshot)
        _mocknode_cache.kept[settings.key] = snapshot
    elif node.run(_reset_on_node_thread, node, snapshot, with_faults):
        _mocknode_cache.kept[settings.key] = snapshot  # until anything else may run
    else:
        pytest.fail(
            f"mocknode could not reset the chain: snapshot {snapshot}, taken before the test, "
            "is gone (the test reverted to an earlier snapshot); later tests may see its state",
            pytrace=False,
        )


def _foreign_rewinds(served: Node) -> int:
    """How often the chain went back other than by the plugin's own deferred reverts,
    read from the test's thread while no settle is under way: a settle bumps
    ``settles_started``, then the chain's ``rewinds``, then ``settled_reverts``, so equal
    counts read around ``rewinds`` (settled first, started last) mean that no settle
    started or ran between the reads, and ``rewinds`` holds exactly the settled ones."""
    while True:
        settled = served.settled_reverts
        rewinds = served.chain.rewinds
        if served.settles_started == settled:
            return rewinds - settled
        time.sleep(0)  # a settle is under way on the node's thread: it takes microseconds


def _report_lost_reverts(served: Node) -> None:
    """A deferred revert that found its snapshot gone (nothing should make it so: the
    plugin defers only when no rewind happened): fail loudly rather than go on."""
    if served.lost_reverts:
        lost = served.lost_reverts.pop(0)
        pytest.fail(
            f"mocknode could not reset the chain to snapshot {lost} after the previous "
            "test; this test may see its state",
            pytrace=False,
        )


# Fixtures that leave the shared nodes' chains alone, by the module defining them: the
# plugin's own, pytest's built-ins (tmp_path, monkeypatch, capsys, ...), and the event loop
# and worker fixtures of pytest-asyncio, pytest-trio and xdist.
_QUIET_FIXTURE_MODULES = (
    "mocknode.pytest_plugin",
    "_pytest.",
    "pytest_asyncio",
    "pytest_trio",
    "xdist",
)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> None:
    _forget_kept(fixturedef)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any]) -> None:
    _forget_kept(fixturedef)


def _forget_kept(fixturedef: pytest.FixtureDef[Any]) -> None:
    """Any other fixture may change a shared chain (a session fixture deploying on
    ``mocknode_session``, a module fixture reverting its own snapshot): the next test then
    takes a snapshot of its own at set-up, as every test did before snapshots were kept."""
    if not _LIVE_CACHES:
        return
    module = getattr(fixturedef.func, "__module__", None) or ""
    if module.startswith(_QUIET_FIXTURE_MODULES):
        return
    for cache in _LIVE_CACHES:
        cache.kept.clear()


def _reset_on_node_thread(node: MockNode, snapshot: int, with_faults: bool) -> bool:
    """A test's teardown, in one crossing into the node's thread: the faults made fresh
    when the test used them or left rules armed, then the chain back to ``snapshot``
    (False if that snapshot is gone). One crossing rather than three (armed? revert)."""
    served = node._served()
    if with_faults or served.faults.armed:
        _fresh_faults(served.faults, None)
    return bool(served.chain.revert(snapshot))


def _trio_fixture(fn: Callable[..., T]) -> Callable[..., T]:
    """Flag ``fn`` the way ``pytest_trio.trio_fixture`` does, without importing pytest-trio."""
    fn.__dict__["_force_trio_fixture"] = True
    return fn


@pytest.fixture(name="_mocknode_in_trio")
@_trio_fixture
def _mocknode_in_trio_fixture(
    request: pytest.FixtureRequest, _mocknode_cache: _NodeCache
) -> AsyncIterator[TrioMockNode]:
    item = request.node
    settings = options.for_test(item)
    config = settings.node_config(_mocknode_cache.ipc_path("t"))
    plan = options.faults_for_test(item)
    if plan is not None or FAULTS_FIXTURE in item.fixturenames:
        config = values.replace(config, faults=plan, journal=FAULTS_FIXTURE in item.fixturenames)
    return _serve_in_run(item, config, settings)


async def _serve_in_run(
    item: pytest.Item, config: NodeConfig, settings: NodeSettings
) -> AsyncIterator[TrioMockNode]:
    from mocknode.trio_node import open_mocknode

    async with open_mocknode(config) as handle:
        if settings.interval is not None:
            handle.set_interval_mining(settings.interval)
        # Reported after the run: the chain outlives it, and the report runs on this thread.
        item.stash[_DESCRIBE] = lambda: _describe(handle, " (served in the test's trio run)")
        yield handle


def _fresh_faults(faults: Faults | FaultsProxy, plan: FaultPlan | None) -> None:
    """The shared node's faults as a fresh node's, then ``plan`` applied: no rules (ids
    from 1), its seed and persona (else 0 and none), an empty journal, recording off, the
    node clock at 0 and connection ids from 1, so that a test's journal and draws do not
    depend on the tests that ran before it on this node (or on this xdist worker).
    ``faults`` is the controller itself on the node's thread, else its proxy."""
    from mocknode.faults.plan import FaultPlan

    faults.recording = False
    faults.clear()
    faults.load_plan(plan if plan is not None else FaultPlan())
    faults.restart_run()


@pytest.fixture
def faults(mocknode: NodeControls) -> Any:
    """The test's node's fault controller, journaling everything from the start.

    ``faults.add(rule)``, ``with faults.inject(kind=..., ...):``, ``faults.journal_page()``,
    ``faults.set_seed(n)``, ``faults.persona = "infura"`` (see docs/faults.md). Every test
    starts from no rules (ids from 1), the seed and persona of its ``faults`` markers and
    ``mocknode_faults_plan`` (else 0 and none), an empty journal, the node clock at 0 and
    connection ids from 1: the same test with the same seed records the same journal,
    whatever ran before it. In sync and asyncio tests it is a proxy running each call on
    the node's thread; in trio tests, the node's ``Faults`` itself.
    """
    controller = mocknode.faults
    controller.recording = True
    return controller


@pytest.fixture
def mocknode_http_url(mocknode: NodeControls) -> str:
    """HTTP JSON-RPC URL of the test's node (``http://127.0.0.1:<port>``), clean chain."""
    return mocknode.http_url


@pytest.fixture
def mocknode_ws_url(mocknode: NodeControls) -> str:
    """WebSocket URL of the test's node (same port as HTTP), clean chain."""
    return mocknode.ws_url


@pytest.fixture
def mocknode_ipc_path(mocknode: NodeControls) -> str:
    """Path of the test's node's IPC socket (a short per-process temp dir), clean chain."""
    path = mocknode.ipc_path
    assert path is not None, "mocknode nodes always serve IPC"
    return path


@pytest.fixture
def mocknode_accounts(mocknode: NodeControls) -> tuple[NodeAccount, ...]:
    """The funded dev accounts of the test's node, as ``NodeAccount(address, private_key)``.

    Addresses are checksummed, ready for web3's ``"from"``; the node signs for them.
    """
    from mocknode.controls import NodeAccount

    return tuple(NodeAccount.of(account) for account in mocknode.accounts)


# -- reports ---------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """A trio test on the node fails with its own error, not a group of one.

    pytest-trio 0.8 runs the test in a nursery, and trio (0.25+) wraps whatever escapes a
    nursery in an ``ExceptionGroup``; pytest then prints the group's traceback instead of
    its usual report (no ``E`` lines, no assertion details). For trio tests using the
    node, a group holding exactly one exception is replaced by that exception; real
    multi-error groups are left alone. Raised outside the ``except`` block so the group
    does not become its context.
    """
    if not (is_trio_test(item) and "mocknode" in getattr(item, "fixturenames", ())):
        return (yield)
    single: BaseException | None = None
    try:
        return (yield)
    except BaseExceptionGroup as group:
        single = _only_exception(group)
        if single is None:
            raise
    raise single


def _only_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    while len(group.exceptions) == 1:
        inner = group.exceptions[0]
        if not isinstance(inner, BaseExceptionGroup):
            return inner
        group = inner
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report gets a "mocknode" section: endpoints and chain state."""
    report = yield
    if report.when == "call" and report.failed:
        describe = item.stash.get(_DESCRIBE, None)
        if describe is not None:
            report.sections.append(("mocknode", describe()))
    return report
