"""The plugin's web3 fixtures: ``w3`` (sync, over HTTP) and ``async_w3`` (asyncio, over WebSocket).

A plugin module of its own, registered by the package's ``pytest_plugins``, so the node
fixtures read without web3 around them (``-p no:mocknode.pytest_plugin.web3_fixtures``
turns just these off). Both take ``mocknode``, so they get its per-test isolation. Like
the package, importing this is cheap: web3 is imported when a test first asks for it, and
the fixtures exist only when web3 (and, for ``async_w3``, pytest-asyncio) is installed.
The providers they build, web3's own made cheap for a local node (kept-alive, proxy-free,
chain id cached), are in :mod:`~mocknode.pytest_plugin.web3_clients`, loaded with them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Literal

import pytest

from mocknode.pytest_plugin.options import faults_for_test, is_trio_test

if TYPE_CHECKING:
    from mocknode.controls import NodeControls
    from mocknode.pytest_plugin.http_transport import KeptAliveTransport
    from mocknode.pytest_plugin.web3_clients import AsyncKept, SocketPool

HAVE_WEB3 = importlib.util.find_spec("web3") is not None
HAVE_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None


if HAVE_WEB3:

    @pytest.fixture(scope="session")
    def _mocknode_web3() -> Any:
        """web3, imported before the test's node starts (session fixtures are set up first).

        A node imports py-evm in a background thread once it listens; web3 imported in
        the test's thread meanwhile imports eth-keys too, and two threads importing its
        circular modules at once can fail ("cannot import name 'BaseSignature' from
        partially initialized module 'eth_keys.datatypes'").
        """
        import web3

        return web3

    @pytest.fixture(scope="session")
    def _mocknode_http(_mocknode_web3: Any) -> Iterator[KeptAliveTransport]:
        """Kept-alive HTTP connections to the session's threaded nodes, closed at its end."""
        from mocknode.pytest_plugin.http_transport import KeptAliveTransport

        transport = KeptAliveTransport()
        try:
            yield transport
        finally:
            transport.close()

    @pytest.fixture(scope="session")
    def _mocknode_w3s(_mocknode_web3: Any) -> dict[str, Any]:
        """The threaded nodes' ``w3`` objects, by node URL, each with its state as built
        (a :class:`~mocknode.pytest_plugin.web3_clients.Web3State`), reused while unchanged."""
        return {}

    @pytest.fixture
    def w3(
        request: pytest.FixtureRequest,
        mocknode: NodeControls,
        _mocknode_http: KeptAliveTransport,
        _mocknode_w3s: dict[str, Any],
    ) -> Iterator[Any]:
        """web3 ``Web3`` over HTTP to the test's node, on its clean chain.

        Proxy settings in the environment are ignored (the node is local), and HTTP
        connections are kept alive, across tests too (HTTP keeps no state on them). The
        ``Web3`` object is reused by the next test on the same node only when this test
        left it as built: any attribute set or replaced on it, on ``w3.eth``, on its
        provider or manager, or a change to its middleware makes the next test get a new
        one (see docs/testing.md). In trio tests, call it from a worker thread
        (``trio.to_thread.run_sync``): a call on the run's own thread raises at once
        instead of deadlocking.
        """
        from web3 import HTTPProvider, Web3

        from mocknode.pytest_plugin import web3_clients
        from mocknode.pytest_plugin.http_transport import KeptAliveTransport

        def build(transport: KeptAliveTransport) -> Any:
            provider_class = web3_clients.http_provider_class(HTTPProvider)
            return web3_clients.web3_class(Web3)(provider_class(mocknode.http_url, transport))

        if is_trio_test(request.node):  # its node dies with the test: so do its connections
            transport = KeptAliveTransport()
            try:
                yield build(transport)
            finally:
                transport.close()
            return
        url = mocknode.http_url
        kept = _mocknode_w3s.pop(url, None)  # popped: a w3 in use is never handed out twice
        if kept is None:
            built = build(_mocknode_http)
            kept = (built, web3_clients.Web3State.of(built))
        yield kept[0]
        if kept[1].unchanged(kept[0]):
            _mocknode_w3s[url] = kept

    @pytest.fixture(scope="session")
    def _mocknode_async(_mocknode_web3: Any) -> Iterator[AsyncKept]:
        """What ``async_w3`` keeps between asyncio tests: WebSocket connections parked and
        ``AsyncWeb3`` objects disconnected, closed (the connections) at the session's end."""
        from mocknode.pytest_plugin.web3_clients import AsyncKept

        kept = AsyncKept()
        try:
            yield kept
        finally:
            kept.close()

    @pytest.fixture
    def async_w3(request: pytest.FixtureRequest, _mocknode_async: AsyncKept) -> Any:
        """web3 ``AsyncWeb3`` over WebSocket to the test's node, connected (asyncio tests).

        WebSocket rather than async HTTP so that ``eth_subscribe`` works. Connected on
        the test's own asyncio loop (whatever its ``loop_scope``), disconnected after it.
        Its WebSocket connection is kept for the next test when the test left it quiet
        (no subscription ever made on it, nothing in flight; not under faults), moved
        onto that test's loop, else closed (and every subscription with it). The
        ``AsyncWeb3`` object itself is reused by the next test on the same node, as
        ``w3`` is, only when this test left it as built and made no subscription; a test
        under faults gets a new one. Needs pytest-asyncio.
        """
        item = request.node
        if is_trio_test(item):
            from mocknode.pytest_plugin.web3_clients import TRIO_WEB3_HINT

            pytest.fail(
                "async_w3 is asyncio-only (web3's async providers need asyncio); " + TRIO_WEB3_HINT,
                pytrace=False,
            )
        if not HAVE_PYTEST_ASYNCIO:
            pytest.fail("async_w3 needs pytest-asyncio", pytrace=False)
        import pytest_asyncio

        if not pytest_asyncio.is_async_test(item):
            pytest.fail(
                "async_w3 is for asyncio tests (async def, run by pytest-asyncio); "
                "a sync test can use w3",
                pytrace=False,
            )
        marker = item.get_closest_marker("asyncio")
        kwargs = marker.kwargs if marker is not None else {}
        scope = (
            kwargs.get("loop_scope")
            or kwargs.get("scope")
            or item.config.getini("asyncio_default_test_loop_scope")
            or "function"
        )
        # Told here, where the test is known, so that the asyncio half needs no
        # ``request`` (pytest makes three fixture definitions a test for each user of it).
        _mocknode_async.faulty = "faults" in item.fixturenames or faults_for_test(item) is not None
        return request.getfixturevalue(f"_mocknode_async_w3_{scope}")


if HAVE_WEB3 and HAVE_PYTEST_ASYNCIO:
    _LoopScope = Literal["function", "class", "module", "package", "session"]

    def _async_w3_for(scope: _LoopScope) -> object:
        """``async_w3``'s asyncio half, bound to the loop of one ``loop_scope``.

        pytest-asyncio fixes a fixture's loop when the fixture is defined, but the
        connection must live on the loop the test runs on; so there is one per scope and
        ``async_w3`` picks the test's.
        """
        import pytest_asyncio

        async def connect(mocknode: NodeControls, _mocknode_async: AsyncKept) -> AsyncIterator[Any]:
            from web3 import AsyncWeb3

            from mocknode.pytest_plugin import web3_clients

            def build(pool: SocketPool | None) -> Any:
                provider = web3_clients.websocket_provider(mocknode.ws_url, pool=pool)
                return web3_clients.web3_class(AsyncWeb3)(provider)

            # A test under faults gets a connection and object of its own (ids from 1,
            # nothing reused that rules may have broken), closed after it.
            faulty, _mocknode_async.faulty = _mocknode_async.faulty, True
            if faulty:
                async with build(None) as aw3:
                    yield aw3
                return
            url = mocknode.ws_url
            kept = _mocknode_async.objects.pop(url, None)  # popped: never handed out twice
            if kept is None:
                built = build(_mocknode_async.pool)
                kept = (built, web3_clients.Web3State.of(built))
            async with kept[0] as aw3:
                yield aw3
            if web3_clients.reusable(aw3) and kept[1].unchanged(aw3):
                _mocknode_async.objects[url] = kept

        return pytest_asyncio.fixture(connect, loop_scope=scope, name=f"_mocknode_async_w3_{scope}")

    _SCOPES: tuple[_LoopScope, ...] = ("function", "class", "module", "package", "session")
    for _scope in _SCOPES:
        globals()[f"_mocknode_async_w3_{_scope}"] = _async_w3_for(_scope)
