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

- **Transport** (:class:`KeptAliveTransport`): the provider is still web3's
  ``HTTPProvider`` (same class hierarchy, same encoding, decoding, retries, request cache
  and middleware); only the object it posts its bytes through, web3's session manager, is
  replaced by kept-alive ``http.client`` connections, one write per request. Failures
  raise what ``requests`` raises (``requests.ConnectionError``, ``ConnectTimeout``,
  ``ReadTimeout``, and ``HTTPError`` from ``requests.Response.raise_for_status`` itself for
  a 4xx/5xx status), so ``except requests.RequestException`` and web3's retry
  configuration see the same types. Proxies: none. The node is on this machine; a
  ``requests`` session would send ``http://127.0.0.1`` through ``HTTP_PROXY`` when one is
  set, and the stock fixture did.
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
import http.client
import inspect
import select
import socket
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_S = 30.0
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


class KeptAliveTransport:
    """Posts JSON-RPC bodies over kept-alive HTTP/1.1 connections.

    It offers the one method web3's ``HTTPProvider`` calls on its session manager,
    ``make_post_request(endpoint_uri, data, **kwargs) -> bytes``, with the keyword
    arguments the provider passes (``headers``, ``timeout``). Idle connections wait in a
    pool, so calls from several threads each get their own; one found closed by the
    server is replaced before use.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def make_post_request(self, endpoint_uri: str, data: bytes, **kwargs: Any) -> bytes:
        import requests  # type: ignore[import-untyped]

        url = urlsplit(endpoint_uri)
        if url.scheme != "http" or url.hostname is None:
            raise requests.exceptions.InvalidURL(f"the node is served over http: {endpoint_uri}")
        key = (url.hostname, url.port or 80)
        timeout = kwargs.get("timeout") or DEFAULT_TIMEOUT_S
        conn = self._checkout(key, timeout, endpoint_uri)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        try:
            conn.request("POST", path, data, kwargs.get("headers") or {})
            response = conn.getresponse()
            body = response.read()
        except TimeoutError as exc:
            conn.close()
            raise requests.exceptions.ReadTimeout(
                f"no answer from {endpoint_uri} within {timeout} s"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise requests.exceptions.ConnectionError(
                f"connection to {endpoint_uri} failed: {exc!r}"
            ) from exc
        if response.will_close:
            conn.close()
        else:
            self._checkin(key, conn)
        if response.status >= 400:
            _raise_http_error(endpoint_uri, response, body)
        return body

    def _checkout(
        self, key: tuple[str, int], timeout: float, endpoint_uri: str
    ) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if _still_open(conn):
                    conn.timeout = timeout
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout)
                    return conn
                conn.close()
        return _connect(key, timeout, endpoint_uri)

    def _checkin(self, key: tuple[str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def close(self) -> None:
        """Close the idle connections; later requests open new ones."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _connect(key: tuple[str, int], timeout: float, endpoint_uri: str) -> http.client.HTTPConnection:
    import requests

    conn = http.client.HTTPConnection(key[0], key[1], timeout=timeout)
    try:
        conn.connect()
    except TimeoutError as exc:
        conn.close()
        raise requests.exceptions.ConnectTimeout(
            f"connecting to {endpoint_uri} took over {timeout} s"
        ) from exc
    except OSError as exc:
        conn.close()
        raise requests.exceptions.ConnectionError(
            f"cannot connect to {endpoint_uri}: {exc!r}"
        ) from exc
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle connection is readable only when the server closed it (or broke HTTP)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _raise_http_error(endpoint_uri: str, response: http.client.HTTPResponse, body: bytes) -> None:
    """Raise the ``requests.HTTPError`` that ``requests`` raises for this status, built by
    ``requests.Response.raise_for_status`` itself (same message, ``.response`` attached)."""
    import requests
    from requests.structures import CaseInsensitiveDict  # type: ignore[import-untyped]

    prepared = requests.PreparedRequest()
    prepared.prepare_url(endpoint_uri, None)  # requests' form of the URL ("http://h:p/")
    failed = requests.Response()
    failed.status_code = response.status
    failed.reason = response.reason
    failed.url = prepared.url or endpoint_uri
    failed.headers = CaseInsensitiveDict(response.getheaders())
    failed.encoding = requests.utils.get_encoding_from_headers(failed.headers)
    failed._content = body  # what requests' adapters set, so .text and .json() work
    failed.raise_for_status()


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
