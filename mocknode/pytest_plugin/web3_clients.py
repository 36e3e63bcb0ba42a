"""How the plugin's ``w3`` and ``async_w3`` are built: web3's own classes, made cheap for a
node on this machine.

Why this exists: in a user's suite most of the time went to the client, not the node
(issue 12). Profiled on a generated suite (web3 8, requests 2.34), a plain
``HTTPProvider`` spends per request about as long in ``requests`` as the node spends
answering: ``Session.request`` reads the proxy variables and ``~/.netrc`` from the
environment on every call (``trust_env``), urllib3 sends the head and the body in two
writes (so the node thread wakes twice), and web3's ``ValidationMiddleware`` asks for
``eth_chainId`` before every ``eth_call``, ``eth_estimateGas`` and
``eth_sendTransaction`` (16 of the 34 requests of a deploy-and-call test).

What is changed, and why it is invisible to a test:

- **Transport** (:class:`~mocknode.pytest_plugin.http_transport.KeptAliveTransport`): the
  provider is still web3's ``HTTPProvider`` (same class hierarchy, same encoding,
  decoding, retries, request cache and middleware); only the object it posts its bytes
  through, web3's session manager, is replaced by kept-alive ``http.client`` connections,
  one write per request, raising what ``requests`` raises. Proxies: none. The node is on
  this machine; a ``requests`` session would send ``http://127.0.0.1`` through
  ``HTTP_PROXY`` when one is set, and the stock fixture did.
- **chain id**: web3's own request cache, for ``eth_chainId`` only. A node's chain id is
  fixed for its life (``ChainConfig``; no RPC method changes it), and each test gets its
  own provider, so the cache lives no longer than a test.
- **Kept alive across tests**: HTTP holds no state per connection (filters and snapshots
  are the chain's; subscriptions need a WebSocket), so the threaded nodes' connections
  are shared by every test of the session and closed at its end; a trio test's node dies
  with the test, and its connections with it.
- **WebSocket**: no proxy either (``websockets`` 15+ reads the proxy variables too), and
  the same chain-id cache.
- **``Web3`` itself** (:func:`web3_class`): ``eth`` is built with the object, the other
  modules (``net``, ``geth`` and its three, ``tracing``, ``testing``) when first used.
  Building all eight took half a millisecond a test, mostly ``inspect.signature``; a test
  sees the same attributes, built from the same definitions.

No middleware is removed: each of web3's defaults changes what a test can observe (ENS
names, attribute dicts, chain-id and fee validation, gas estimation).

Everything web3-specific is built on first use (``functools.cache`` keyed by web3's base
class, as pytester's in-process runs may import web3 afresh), so importing the plugin
does not import web3.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from typing import Any

from mocknode.pytest_plugin.http_transport import DEFAULT_TIMEOUT_S, KeptAliveTransport

CACHED_METHODS = frozenset({"eth_chainId"})

TRIO_WEB3_HINT = (
    "in a trio test the node runs in the test's own trio run, and web3's sync calls block "
    "that run's thread: call w3 from a worker thread "
    "(await trio.to_thread.run_sync(lambda: w3.eth.block_number)), "
    "or use await mocknode.request('eth_blockNumber')"
)


def refuse_on_trio_thread() -> None:
    if "trio" in sys.modules and sys.modules["trio"].lowlevel.in_trio_run():
        raise RuntimeError("sync web3 call on a trio thread would deadlock: " + TRIO_WEB3_HINT)


def chain_id_cache() -> dict[str, Any]:
    """web3 provider arguments: cache ``eth_chainId`` answers, nothing else, unvalidated
    (validation would ask the node which blocks are final, for a cache that never needs it)."""
    from web3.types import RPCEndpoint

    return {
        "cache_allowed_requests": True,
        "cacheable_requests": {RPCEndpoint(m) for m in CACHED_METHODS},
        "request_cache_validation_threshold": None,
    }


# -- HTTP --------------------------------------------------------------------------------


@functools.cache
def http_provider_class(http_provider: type[Any]) -> type[Any]:
    """web3's ``HTTPProvider`` over a :class:`KeptAliveTransport`, refusing to block a trio
    run's thread (a sync call there would deadlock the node served in that run)."""
    from web3.types import RPCEndpoint, RPCResponse

    class MockNodeHTTPProvider(http_provider):  # type: ignore[misc,valid-type]
        """``HTTPProvider`` for the test's node: kept-alive, proxy-free, chain id cached.

        ``transport`` belongs to the caller, who closes it.
        """

        def __init__(
            self,
            endpoint_uri: str,
            transport: KeptAliveTransport,
            timeout: float = DEFAULT_TIMEOUT_S,
        ) -> None:
            super().__init__(endpoint_uri, request_kwargs={"timeout": timeout}, **chain_id_cache())
            if not hasattr(self, "_request_session_manager"):
                raise RuntimeError(
                    f"web3 {web3_version()} posts its requests in a way mocknode does not know"
                )
            self._request_session_manager = transport
            self._kwargs: dict[str, Any] = dict(super().get_request_kwargs())

        def get_request_kwargs(self) -> dict[str, Any]:
            """The same headers and timeout as web3 builds, built once, not per request."""
            return self._kwargs

        def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
            refuse_on_trio_thread()
            response: RPCResponse = super().make_request(method, params)
            return response

        def make_batch_request(
            self, batch_requests: list[tuple[RPCEndpoint, Any]]
        ) -> list[RPCResponse] | RPCResponse:
            refuse_on_trio_thread()
            responses: list[RPCResponse] | RPCResponse = super().make_batch_request(batch_requests)
            return responses

    return MockNodeHTTPProvider


def web3_version() -> str:
    from importlib.metadata import version

    return version("web3")


_BUILD_LOCK = threading.Lock()


@functools.cache
def web3_class(web3: type[Any]) -> type[Any]:
    """web3's ``Web3`` (or ``AsyncWeb3``), ``eth`` built at once, its other modules on first use."""
    from web3.main import get_async_default_modules, get_default_modules

    defaults = get_async_default_modules if web3.__name__ == "AsyncWeb3" else get_default_modules

    class LazyWeb3(web3):  # type: ignore[misc,valid-type]
        __doc__ = web3.__doc__

        def __init__(self, provider: Any) -> None:
            super().__init__(provider, modules={})
            modules = defaults()
            if hasattr(self, "_modules"):  # AsyncWeb3 keeps the definitions it was given
                self._modules = dict(modules)
            self.attach_modules({"eth": modules.pop("eth")})
            self.__dict__["_mocknode_unbuilt"] = modules

        def __getattr__(self, name: str) -> Any:
            unbuilt = self.__dict__.get("_mocknode_unbuilt")
            if unbuilt is None or name not in unbuilt:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            with _BUILD_LOCK:
                if name in unbuilt:  # not built by another thread meanwhile
                    self.attach_modules({name: unbuilt.pop(name)})
            return self.__dict__[name]

        def __dir__(self) -> list[str]:
            return sorted({*super().__dir__(), *self.__dict__.get("_mocknode_unbuilt", ())})

    LazyWeb3.__name__ = LazyWeb3.__qualname__ = web3.__name__
    return LazyWeb3


# -- WebSocket -----------------------------------------------------------------------------


@functools.cache
def websocket_kwargs() -> dict[str, Any]:
    """``websockets.connect`` arguments: no proxy (where the installed websockets has
    proxy support at all, 15.0 and later, which reads the proxy variables by default)."""
    try:
        from websockets.asyncio.client import connect
    except ImportError:  # pragma: no cover - websockets before 13
        return {}
    if "proxy" in inspect.signature(connect.__init__).parameters:
        return {"proxy": None}
    return {}  # pragma: no cover - websockets 13-14 read no proxy settings


@functools.cache
def websocket_provider_class(websocket_provider: type[Any]) -> type[Any]:
    """web3's ``WebSocketProvider``, waiting for its answers instead of polling for them.

    web3 (7, 8) waits for the answer to a request by polling its response cache on every
    pass of the event loop (``await asyncio.sleep(0)`` in a loop). Against a node served
    by a thread of this same process, that spinning thread holds the GIL the node needs
    to answer: ``eth_blockNumber`` took 0.8-1.5 ms against 0.5 ms without the polling.
    Here the answer is awaited on an ``asyncio.Event`` that web3's listener sets each time
    it stores a message (and when the listener ends); the checks are web3's own (the
    listener's exceptions are raised, ``TimeExhausted`` after ``request_timeout``).

    Only done where web3 has the internals this relies on; elsewhere it is web3's class.
    """
    import asyncio

    from web3._utils.caching.caching_utils import generate_cache_key
    from web3.exceptions import TimeExhausted

    internals = ("_get_response_for_request_id", "_handle_listener_task_exceptions")
    if not all(hasattr(websocket_provider, name) for name in internals):
        return websocket_provider  # pragma: no cover - a web3 unlike 7 and 8

    class MockNodeWebSocketProvider(websocket_provider):  # type: ignore[misc,valid-type]
        """``WebSocketProvider`` for the test's node: no polling, no proxy, chain id cached."""

        def __init__(self, endpoint_uri: str, **kwargs: Any) -> None:
            super().__init__(endpoint_uri, **kwargs)
            self._arrived = asyncio.Event()
            processor = self._request_processor
            store = processor.cache_raw_response
            arrived = self._arrived

            async def cache_raw_response(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await store(*args, **kwargs)
                finally:
                    arrived.set()

            processor.cache_raw_response = cache_raw_response

        async def connect(self) -> None:
            await super().connect()
            task = self._message_listener_task
            if task is not None:  # its end (or failure) wakes every waiter too
                task.add_done_callback(lambda _: self._arrived.set())

        async def _get_response_for_request_id(
            self,
            request_id: Any,
            timeout: float | None = None,  # noqa: ASYNC109 (web3 signature)
        ) -> Any:
            if timeout is None:
                timeout = self.request_timeout
            key = generate_cache_key(request_id)
            processor = self._request_processor
            arrived = self._arrived

            async def answer() -> Any:
                while True:
                    self._handle_listener_task_exceptions()
                    if key in processor._request_response_cache:
                        return await processor.pop_raw_response(cache_key=key)
                    # No await between the check and the wait: whatever is stored
                    # after the check sets the event after this clear.
                    arrived.clear()
                    await arrived.wait()

            try:
                return await asyncio.wait_for(answer(), timeout)
            except TimeoutError:
                # Chained as web3 chains it (implicitly), so tracebacks read the same.
                raise TimeExhausted(  # noqa: B904
                    f"Timed out waiting for response with request id `{request_id}` after "
                    f"{self.request_timeout} second(s). This may be due to the provider "
                    "not returning a response with the same id that was sent in the "
                    "request or an exception raised during the request was caught and "
                    "allowed to continue."
                )

    return MockNodeWebSocketProvider


def websocket_provider(endpoint_uri: str, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """web3's ``WebSocketProvider`` for the test's node: awaited, proxy-free, chain id cached."""
    from web3 import WebSocketProvider

    return websocket_provider_class(WebSocketProvider)(
        endpoint_uri,
        websocket_kwargs=websocket_kwargs(),
        request_timeout=timeout,
        **chain_id_cache(),
    )
