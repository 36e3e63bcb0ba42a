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
  fixed for its life (``ChainConfig``; no RPC method changes it), and a provider is only
  ever reused by tests on the same node (kept by URL), so the cache never outlives it.
- **Kept alive across tests**: HTTP holds no state per connection (filters and snapshots
  are the chain's; subscriptions need a WebSocket), so the threaded nodes' connections
  are shared by every test of the session and closed at its end; a trio test's node dies
  with the test, and its connections with it.
- **WebSocket**: no proxy either (``websockets`` 15+ reads the proxy variables too), the
  same chain-id cache, answers awaited rather than polled, and web3's per-request
  bookkeeping without its needless hashing and piling-up
  (:mod:`~mocknode.pytest_plugin.ws_bookkeeping`).
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
            # web3 makes its default retry configuration on the first request; made now,
            # so that a request does not look like a change to the provider (Web3State).
            getattr(self, "exception_retry_configuration", None)

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
    from mocknode.pytest_plugin import ws_bookkeeping

    bookkeeping = ws_bookkeeping.available()

    class MockNodeWebSocketProvider(websocket_provider):  # type: ignore[misc,valid-type]
        """``WebSocketProvider`` for the test's node: no polling, no proxy, chain id cached."""

        def __init__(
            self, endpoint_uri: str, *, pool: SocketPool | None = None, **kwargs: Any
        ) -> None:
            super().__init__(endpoint_uri, **kwargs)
            self._pool = pool
            self._subscribed = False
            self._arrived = asyncio.Event()  # made again at each connect, on its loop
            processor = self._request_processor
            store = processor.cache_raw_response

            async def cache_raw_response(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await store(*args, **kwargs)
                finally:
                    self._arrived.set()

            processor.cache_raw_response = cache_raw_response
            if bookkeeping:
                ws_bookkeeping.install(self)

        async def socket_send(self, request_data: bytes) -> None:
            if b"eth_subscribe" in request_data:  # the node keeps state on this connection
                self._subscribed = True
            await super().socket_send(request_data)

        async def _provider_specific_connect(self) -> None:
            parked = self._pool.take(self.endpoint_uri) if self._pool is not None else None
            if parked is None:
                await super()._provider_specific_connect()
            else:
                self._ws = await parked.resume()

        async def _provider_specific_disconnect(self) -> None:
            if self._pool is not None and self._ws is not None and not self._subscribed:
                parked = ParkedConnection.park(self._ws, self._request_processor)
                if parked is not None:
                    self._ws = None
                    self._pool.put(self.endpoint_uri, parked)
                    await asyncio.sleep(0)  # the old transport lets go of its socket now
                    return
            await super()._provider_specific_disconnect()

        async def connect(self) -> None:
            # An asyncio.Event belongs to the loop it first waits on; a provider the
            # plugin reuses connects again on the next test's loop.
            arrived = self._arrived = asyncio.Event()
            await super().connect()
            task = self._message_listener_task
            if task is not None:  # its end (or failure) wakes every waiter too
                task.add_done_callback(lambda _: arrived.set())

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
                # A deadline on this task, not ``wait_for``'s task of its own per request.
                async with asyncio.timeout(timeout):
                    return await answer()
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


def reusable(async_w3: Any) -> bool:
    """A disconnected ``AsyncWeb3`` of :func:`websocket_provider`'s that never subscribed:
    nothing of a subscription (web3's subscription manager, handlers) stays behind on it."""
    provider = getattr(async_w3, "provider", None)
    return getattr(provider, "_subscribed", True) is False and getattr(provider, "_ws", 1) is None


def websocket_provider(
    endpoint_uri: str, timeout: float = DEFAULT_TIMEOUT_S, pool: SocketPool | None = None
) -> Any:
    """web3's ``WebSocketProvider`` for the test's node: awaited, proxy-free, chain id cached;
    with ``pool``, connected through a parked connection when there is one, and parked
    there again at disconnect when the test left it quiet (:class:`ParkedConnection`)."""
    from web3 import WebSocketProvider

    cls = websocket_provider_class(WebSocketProvider)
    extra = {"pool": pool} if pool is not None and cls is not WebSocketProvider else {}
    return cls(
        endpoint_uri,
        **extra,
        websocket_kwargs=websocket_kwargs(),
        request_timeout=timeout,
        **chain_id_cache(),
    )


# -- reuse across tests ----------------------------------------------------------------------


class Web3State:
    """What a test can change on a ``Web3`` object, as it was: to hand the same object to
    the next test only when nothing changed.

    Building a ``Web3`` (provider, manager, middleware onion, ``eth``) took about a quarter
    of a millisecond a test. Recorded, by identity: every attribute of the ``Web3``, of its
    ``eth`` module, manager, provider and middleware onion, and the items of those
    attributes that are dicts, lists or sets (changed in place: the onion's middleware,
    the provider's request arguments). So ``default_account``, ``default_block``, a gas
    price strategy, middleware added or removed, a provider swapped, ``strict_bytes``,
    ``ens`` used or a lazily built module (``w3.net``, ...) each make the object
    "changed". Values are held, not their ids (a freed object's id can be reused). The
    chain-id cache is left out on purpose: the node's chain id is fixed for its life.
    """

    # The chain-id cache, web3's caches of the middleware chain it composed (keyed by
    # the middleware, which is compared itself; the WebSocket provider makes its own on
    # first use), and the event the WebSocket provider makes again at each connect.
    IGNORED = frozenset(
        {
            "_request_cache",
            "_request_cache_lock",
            "_request_func_cache",
            "_batch_request_func_cache",
            "_send_func_cache",
            "_recv_func_cache",
            "_send_batch_func_cache",
            "_recv_batch_func_cache",
            "_arrived",
        }
    )

    __slots__ = ("_parts",)

    def __init__(self, parts: list[tuple[object, str, object, tuple[object, ...] | None]]) -> None:
        self._parts = parts

    @staticmethod
    def _owners(w3: Any) -> tuple[object, ...]:
        return (w3, w3.eth, w3.manager, w3.provider, w3.middleware_onion)

    @classmethod
    def of(cls, w3: Any) -> Web3State:
        parts: list[tuple[object, str, object, tuple[object, ...] | None]] = []
        for owner in cls._owners(w3):
            for key, value in vars(owner).items():
                if key not in cls.IGNORED:
                    parts.append((owner, key, value, _items(value)))
        return cls(parts)

    def unchanged(self, w3: Any) -> bool:
        try:
            owners = self._owners(w3)
        except AttributeError:
            return False  # something vital deleted
        now = {id(owner): vars(owner) for owner in owners}
        if len(now) != len(owners) or {id(part[0]) for part in self._parts} - now.keys():
            return False
        if sum(len(d.keys() - self.IGNORED) for d in now.values()) != len(self._parts):
            return False  # an attribute added
        for owner, key, value, items in self._parts:
            current = now[id(owner)].get(key, _MISSING)
            if current is not value or (items is not None and not _same(_items(current), items)):
                return False
        return True


_MISSING = object()


def _items(value: object) -> tuple[object, ...] | None:
    """A mutable container's items, keys and values (None for anything else)."""
    if isinstance(value, dict):
        return (*value.keys(), *value.values())
    if isinstance(value, (list, set)):
        return tuple(value)
    return None


def _same(now: tuple[object, ...] | None, then: tuple[object, ...]) -> bool:
    """The same objects in the same order (by identity: a value equal but new is a change)."""
    return (
        now is not None
        and len(now) == len(then)
        and all(a is b for a, b in zip(now, then, strict=True))
    )


# -- one WebSocket connection across tests and event loops ---------------------------------


class ParkedConnection:
    """An open WebSocket connection between two tests, bound to no event loop.

    Opening and closing a WebSocket cost 4-6 ms of CPU a test (both ends in this
    process: TCP, the HTTP upgrade, the closing handshake), more than the rest of a typical
    test's fixtures. A connection cannot simply be kept, though: pytest-asyncio gives each
    test its own event loop by default, and an asyncio connection belongs to its loop. What
    outlives a loop is the socket and websockets' sans-I/O protocol object (the
    connection's parser, state and negotiated extensions, compression context included);
    only the asyncio half (transport and ``ClientConnection``) is made again on the next
    test's loop, around the same two. The node sees one connection, never closed.

    Parked only when nothing can be in flight or buffered: the connection open, no
    request awaiting its answer and no answer unread (web3's caches), nothing in the
    protocol's or the transport's buffers, and never when ``eth_subscribe`` was sent on it
    (subscriptions live on the node's connection; its notifications would reach the next
    test). Anything else is closed as before. Needs websockets' asyncio client (13+)."""

    __slots__ = ("_handshake", "_protocol", "_sock")

    def __init__(self, sock: Any, protocol: Any, handshake: tuple[Any, Any]) -> None:
        self._sock = sock
        self._protocol = protocol
        self._handshake = handshake  # the opening request and response, as websockets kept them

    @classmethod
    def park(cls, ws: Any, processor: Any) -> ParkedConnection | None:
        import asyncio

        from websockets.protocol import State

        try:
            protocol = ws.protocol
            transport = ws.transport
            quiet = (
                protocol.state is State.OPEN
                and not protocol.reader.buffer
                and not protocol.events
                and not protocol.writes
                and len(ws.recv_messages.frames) == 0
                and not transport.is_closing()
                and transport.get_write_buffer_size() == 0
                and _nothing_awaited(processor._request_information_cache.items())
                and len(processor._request_response_cache) == 0
            )
            if not quiet:
                return None
            sock = transport.get_extra_info("socket").dup()
        except (AttributeError, OSError):
            return None
        if ws.keepalive_task is not None:
            ws.keepalive_task.cancel()
        transport.set_protocol(asyncio.Protocol())  # the old connection hears no abort
        transport.abort()  # closes its own descriptor; ``sock`` keeps the connection
        return cls(sock, protocol, (ws.request, ws.response))

    def still_open(self) -> bool:
        """Nothing is readable on a quiet parked connection unless the node closed it."""
        import select

        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    async def resume(self) -> Any:
        """A websockets ``ClientConnection`` on the running loop, over the parked socket."""
        import asyncio

        from websockets.asyncio.client import ClientConnection

        loop = asyncio.get_running_loop()
        protocol = self._protocol
        request, response = self._handshake

        def opened() -> ClientConnection:
            connection = ClientConnection(protocol)
            connection.request, connection.response = request, response  # handshake done
            connection.response_rcvd.set_result(None)
            return connection

        _, connection = await loop.create_connection(opened, sock=self._sock)
        connection.start_keepalive()
        return connection

    def close(self) -> None:
        self._sock.close()


def _nothing_awaited(requests: Any) -> bool:
    """No request awaits its answer. web3 also leaves the information of requests it answered
    from its cache (``eth_chainId`` here) behind; those were never sent."""
    return all(getattr(info, "method", None) in CACHED_METHODS for _, info in requests)


class SocketPool:
    """Parked WebSocket connections by endpoint, for one pytest session (or worker)."""

    def __init__(self) -> None:
        self._parked: dict[str, list[ParkedConnection]] = {}

    def put(self, endpoint_uri: str, parked: ParkedConnection) -> None:
        self._parked.setdefault(endpoint_uri, []).append(parked)

    def take(self, endpoint_uri: str) -> ParkedConnection | None:
        parked = self._parked.get(endpoint_uri)
        while parked:
            connection = parked.pop()
            if connection.still_open():
                return connection
            connection.close()
        return None

    def close(self) -> None:
        parked, self._parked = self._parked, {}
        for connections in parked.values():
            for connection in connections:
                connection.close()


class AsyncKept:
    """What ``async_w3`` keeps for one pytest session (or worker): the parked connections,
    the disconnected ``AsyncWeb3`` objects by WebSocket URL (each with its
    :class:`Web3State` as built), and whether the test being set up is under faults, set
    by ``async_w3`` for its asyncio half just before that runs (True otherwise: a
    connection and object of its own is always safe)."""

    def __init__(self) -> None:
        self.pool = SocketPool()
        self.objects: dict[str, tuple[Any, Web3State]] = {}
        self.faulty = True

    def close(self) -> None:
        self.objects.clear()
        self.pool.close()
