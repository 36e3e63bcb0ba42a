"""The plugin's web3 fixtures: ``w3`` (sync, over HTTP) and ``async_w3`` (asyncio, over WebSocket).

A plugin module of its own, registered by the package's ``pytest_plugins``, so the node
fixtures read without web3 around them (``-p no:mocknode.pytest_plugin.web3_fixtures``
turns just these off). Both take ``mocknode``, so they get its per-test isolation. Like
the package, importing this is cheap: web3 is imported when a test first asks for it, and
the fixtures exist only when web3 (and, for ``async_w3``, pytest-asyncio) is installed.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Literal

import pytest

from mocknode.pytest_plugin.options import is_trio_test

if TYPE_CHECKING:
    from mocknode.controls import NodeControls

HAVE_WEB3 = importlib.util.find_spec("web3") is not None
HAVE_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None

_TRIO_WEB3_HINT = (
    "in a trio test the node runs in the test's own trio run, and web3's sync calls block "
    "that run's thread: call w3 from a worker thread "
    "(await trio.to_thread.run_sync(lambda: w3.eth.block_number)), "
    "or use await mocknode.request('eth_blockNumber')"
)


def _refuse_on_trio_thread() -> None:
    if "trio" in sys.modules and sys.modules["trio"].lowlevel.in_trio_run():
        raise RuntimeError("sync web3 call on a trio thread would deadlock: " + _TRIO_WEB3_HINT)


@functools.cache
def _trio_safe(http_provider: type[Any]) -> type[Any]:
    """web3's ``HTTPProvider``, refusing to block a trio run's thread.

    Built on first use, so that only runs that use ``w3`` import web3; keyed by the base
    class, in case web3 is imported afresh (as pytester's in-process runs do).
    """
    from web3.types import RPCEndpoint, RPCResponse

    class TrioSafeHTTPProvider(http_provider):  # type: ignore[misc,valid-type]
        def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
            _refuse_on_trio_thread()
            response: RPCResponse = super().make_request(method, params)
            return response

        def make_batch_request(
            self, batch_requests: list[tuple[RPCEndpoint, Any]]
        ) -> list[RPCResponse] | RPCResponse:
            _refuse_on_trio_thread()
            responses: list[RPCResponse] | RPCResponse = super().make_batch_request(batch_requests)
            return responses

    return TrioSafeHTTPProvider


if HAVE_WEB3:

    @pytest.fixture
    def w3(mocknode: NodeControls) -> Iterator[Any]:
        """web3 ``Web3`` over HTTP to the test's node, on its clean chain.

        Its HTTP connections are closed after the test. In trio tests, call it from a
        worker thread (``trio.to_thread.run_sync``): a call on the run's own thread
        raises at once instead of deadlocking.
        """
        import requests  # type: ignore[import-untyped]
        from web3 import HTTPProvider, Web3

        session = requests.Session()
        provider = _trio_safe(HTTPProvider)(
            mocknode.http_url, session=session, request_kwargs={"timeout": 30}
        )
        try:
            yield Web3(provider)
        finally:
            session.close()

    @pytest.fixture
    def async_w3(request: pytest.FixtureRequest) -> Any:
        """web3 ``AsyncWeb3`` over WebSocket to the test's node, connected (asyncio tests).

        WebSocket rather than async HTTP so that ``eth_subscribe`` works; the connection,
        and every subscription on it, is closed after the test. It runs on the test's own
        asyncio loop (whatever its ``loop_scope``). Needs pytest-asyncio.
        """
        item = request.node
        if is_trio_test(item):
            pytest.fail(
                "async_w3 is asyncio-only (web3's async providers need asyncio); "
                + _TRIO_WEB3_HINT,
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

        async def connect(mocknode: NodeControls) -> AsyncIterator[Any]:
            from web3 import AsyncWeb3, WebSocketProvider

            async with AsyncWeb3(WebSocketProvider(mocknode.ws_url, request_timeout=30)) as aw3:
                yield aw3

        return pytest_asyncio.fixture(connect, loop_scope=scope, name=f"_mocknode_async_w3_{scope}")

    _SCOPES: tuple[_LoopScope, ...] = ("function", "class", "module", "package", "session")
    for _scope in _SCOPES:
        globals()[f"_mocknode_async_w3_{_scope}"] = _async_w3_for(_scope)
