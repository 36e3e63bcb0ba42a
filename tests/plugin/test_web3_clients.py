"""The ``w3`` and ``async_w3`` the plugin builds (``web3_clients``) behave as web3's stock
providers do: same values and types, same exceptions, on real sockets. Where they differ
on purpose (no proxy, kept-alive connections, answers awaited), the difference is shown
against the stock provider in the same environment, so each test can fail.

Most tests build the clients directly on the session's node (``node``, from the root
conftest); the proxy test goes through the plugin's own fixtures with pytester.
"""

from __future__ import annotations

import asyncio
import http.client
import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import websockets.asyncio.server
from web3 import AsyncWeb3, HTTPProvider, Web3, WebSocketProvider
from web3.exceptions import TimeExhausted, TransactionNotFound

from mocknode import MockNode
from mocknode.pytest_plugin import web3_clients
from mocknode.pytest_plugin.http_transport import KeptAliveTransport

HEADERS = {"Content-Type": "application/json"}
BLOCK_NUMBER = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'


@pytest.fixture
def clean(node: MockNode) -> Iterator[MockNode]:
    snapshot = node.snapshot()
    yield node
    assert node.revert(snapshot)


@pytest.fixture
def transport() -> Iterator[KeptAliveTransport]:
    kept = KeptAliveTransport()
    yield kept
    kept.close()


def ours(url: str, transport: KeptAliveTransport) -> Any:
    provider = web3_clients.http_provider_class(HTTPProvider)(url, transport)
    return web3_clients.web3_class(Web3)(provider)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raised(call: Callable[[], object]) -> BaseException:
    """The exception ``call`` raises (any: the tests compare what two clients raise)."""
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError(f"{call} raised nothing")


def assert_same_error(mine: BaseException, stock: BaseException) -> None:
    assert type(mine) is type(stock)
    assert str(mine) == str(stock)
    assert getattr(mine, "data", None) == getattr(stock, "data", None)


# -- values and JSON-RPC errors ---------------------------------------------------------------


def test_same_values_and_types_as_the_stock_provider(
    clean: MockNode, transport: KeptAliveTransport
) -> None:
    w3, stock = ours(clean.http_url, transport), Web3(HTTPProvider(clean.http_url))
    alice, bob = stock.eth.accounts[:2]
    tx = w3.eth.send_transaction({"from": alice, "to": bob, "value": 7})
    assert type(tx) is type(stock.eth.send_transaction({"from": alice, "to": bob, "value": 7}))
    for call in (
        lambda x: x.eth.chain_id,
        lambda x: x.eth.accounts,
        lambda x: x.eth.block_number,
        lambda x: x.eth.get_balance(bob),
        lambda x: x.eth.get_block("latest", full_transactions=True),
        lambda x: x.eth.get_transaction(tx),
        lambda x: x.eth.get_transaction_receipt(tx),
        lambda x: x.eth.get_code(bob),
        lambda x: x.eth.call({"from": alice, "to": bob, "value": 1}),
        lambda x: x.net.version,
    ):
        mine, theirs = call(w3), call(stock)
        assert mine == theirs
        assert type(mine) is type(theirs)
    receipt = w3.eth.get_transaction_receipt(tx)
    assert type(receipt.blockHash) is type(stock.eth.get_transaction_receipt(tx).blockHash)


def test_same_exceptions_for_a_missing_transaction_and_reverts(
    clean: MockNode,
    transport: KeptAliveTransport,
    greeter_artifact: dict[str, Any],
) -> None:
    w3, stock = ours(clean.http_url, transport), Web3(HTTPProvider(clean.http_url))
    missing = "0x" + "ab" * 32
    error = raised(lambda: w3.eth.get_transaction(missing))
    assert isinstance(error, TransactionNotFound)
    assert_same_error(error, raised(lambda: stock.eth.get_transaction(missing)))
    assert_same_error(
        raised(lambda: w3.eth.wait_for_transaction_receipt(missing, timeout=0.2)),
        raised(lambda: stock.eth.wait_for_transaction_receipt(missing, timeout=0.2)),
    )

    owner = stock.eth.accounts[0]
    factory = stock.eth.contract(abi=greeter_artifact["abi"], bytecode=greeter_artifact["bytecode"])
    address = stock.eth.wait_for_transaction_receipt(
        factory.constructor("hello").transact({"from": owner})
    ).contractAddress
    mine = w3.eth.contract(address=address, abi=greeter_artifact["abi"])
    theirs = stock.eth.contract(address=address, abi=greeter_artifact["abi"])
    for name, args in (("fail", ()), ("failCustom", (7,)), ("failEmpty", ()), ("failPanic", ())):
        mine_fn = getattr(mine.functions, name)(*args)
        their_fn = getattr(theirs.functions, name)(*args)
        assert_same_error(raised(mine_fn.call), raised(their_fn.call))
        assert_same_error(
            raised(lambda f=mine_fn: f.transact({"from": owner})),
            raised(lambda f=their_fn: f.transact({"from": owner})),
        )
    assert mine.functions.greet().call() == "hello"


# -- transport errors -----------------------------------------------------------------------


def test_an_http_error_status_raises_what_requests_raises(
    clean: MockNode, transport: KeptAliveTransport
) -> None:
    """The node answers a body over its limit (5 MiB) with 413 and closes the connection."""
    w3, stock = ours(clean.http_url, transport), Web3(HTTPProvider(clean.http_url))
    huge = [{"data": "0x" + "00" * (3 * 1024 * 1024)}, "latest"]
    mine = raised(lambda: w3.provider.make_request("eth_call", huge))
    theirs = raised(lambda: stock.provider.make_request("eth_call", huge))
    assert_same_error(mine, theirs)
    assert isinstance(mine, requests.HTTPError)
    assert isinstance(theirs, requests.HTTPError)
    assert mine.response is not None
    assert theirs.response is not None
    assert mine.response.status_code == theirs.response.status_code == 413
    assert mine.response.text == theirs.response.text
    assert w3.eth.block_number == stock.eth.block_number  # a new connection, after the close


def test_nothing_listening_raises_requests_connection_error(
    transport: KeptAliveTransport,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    w3, stock = ours(url, transport), Web3(HTTPProvider(url))
    for client in (w3, stock):
        client.provider.exception_retry_configuration = None  # web3 would retry 5 times
    mine = raised(lambda: w3.eth.block_number)
    assert isinstance(mine, requests.exceptions.ConnectionError)
    assert type(mine) is type(raised(lambda: stock.eth.block_number))


class _Recorder(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive: records each request's client port; ``/close`` closes after
    answering, ``/fail`` answers 500."""

    protocol_version = "HTTP/1.1"
    ports: list[int] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.ports.append(self.client_address[1])
        status, body = (500, b"broken\n") if self.path == "/fail" else (200, b'{"ok":1}')
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = self.path == "/close"

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.ports = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_one_connection_kept_alive_and_replaced_once_closed(
    recorder: str, transport: KeptAliveTransport
) -> None:
    def post(path: str = "/") -> bytes:
        return transport.make_post_request(recorder + path, BLOCK_NUMBER, headers=HEADERS)

    assert [post() for _ in range(5)] == [b'{"ok":1}'] * 5
    assert len(set(_Recorder.ports)) == 1
    post("/close")  # the server closes this one after answering
    post()
    post()
    assert len(set(_Recorder.ports)) == 2
    assert _Recorder.ports[-1] == _Recorder.ports[-2] != _Recorder.ports[0]
    with pytest.raises(requests.HTTPError) as mine:
        post("/fail")
    with pytest.raises(requests.HTTPError) as theirs:
        requests.post(recorder + "/fail", data=BLOCK_NUMBER, headers=HEADERS).raise_for_status()
    expected = f"500 Server Error: Internal Server Error for url: {recorder}/fail"
    assert str(mine.value) == str(theirs.value) == expected
    assert mine.value.response is not None
    assert mine.value.response.text == "broken\n"


def test_each_request_is_one_write_with_the_whole_body(
    recorder: str, transport: KeptAliveTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Head and body leave in one ``send`` (the node wakes once per request); the stock
    ``http.client`` sends them apart, which the same count shows."""
    port = int(recorder.rsplit(":", 1)[1])
    writes: list[bytes] = []  # what clients wrote to the recorder
    sendall = socket.socket.sendall

    def counted(sock: socket.socket, data: Any, *flags: int) -> None:
        if sock.getpeername()[1] == port:
            writes.append(bytes(data))
        sendall(sock, data, *flags)

    monkeypatch.setattr(socket.socket, "sendall", counted)
    big = b'{"jsonrpc":"2.0","id":1,"method":"eth_call","params":["' + b"ab" * 40_000 + b'"]}'
    for body in (BLOCK_NUMBER, big):
        writes.clear()
        assert transport.make_post_request(recorder, body, headers=HEADERS) == b'{"ok":1}'
        [write] = writes
        head, _, rest = write.partition(b"\r\n\r\n")
        assert b"Content-Length: %d" % len(body) in head
        assert rest == body
    writes.clear()
    stock = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    stock.request("POST", "/", BLOCK_NUMBER, HEADERS)
    assert stock.getresponse().read() == b'{"ok":1}'
    stock.close()
    assert [w.endswith(b"\r\n\r\n") for w in writes] == [True, False]  # head, then body


def test_threads_get_a_connection_each(clean: MockNode, transport: KeptAliveTransport) -> None:
    w3 = ours(clean.http_url, transport)
    expected = {account: w3.eth.get_balance(account) for account in w3.eth.accounts}
    seen: dict[str, int] = {}

    def read(account: str) -> None:
        for _ in range(20):
            seen[account] = w3.eth.get_balance(account)

    threads = [threading.Thread(target=read, args=(account,)) for account in expected]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == expected


# -- proxies, through the plugin's fixtures --------------------------------------------------


def test_proxy_variables_are_ignored(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every proxy variable pointing at a closed port, the stock providers fail (so the
    variables are in effect) and the plugin's ``w3`` and ``async_w3`` reach the node."""
    proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(
        """
        import pytest
        import requests
        from web3 import AsyncWeb3, HTTPProvider, Web3, WebSocketProvider
        from web3.exceptions import ProviderConnectionError

        def test_sync(w3, mocknode):
            assert w3.eth.block_number == 0
            stock = Web3(HTTPProvider(mocknode.http_url))
            stock.provider.exception_retry_configuration = None
            with pytest.raises(requests.exceptions.ProxyError):
                stock.eth.block_number

        @pytest.mark.asyncio
        async def test_async(async_w3, mocknode):
            assert await async_w3.eth.block_number == 0
            stock = WebSocketProvider(mocknode.ws_url, max_connection_retries=1)
            with pytest.raises(ProviderConnectionError):
                await stock.connect()
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


# -- WebSocket ---------------------------------------------------------------------------------


def ws_ours(url: str, timeout: float = 30) -> Any:
    return web3_clients.web3_class(AsyncWeb3)(web3_clients.websocket_provider(url, timeout))


def test_concurrent_websocket_requests_get_their_own_answers(clean: MockNode) -> None:
    async def main() -> tuple[list[int], list[int]]:
        async with ws_ours(clean.ws_url) as w3, AsyncWeb3(WebSocketProvider(clean.ws_url)) as stock:
            accounts = await stock.eth.accounts
            await stock.eth.send_transaction({"from": accounts[0], "to": accounts[1], "value": 5})
            expected = [await stock.eth.get_balance(a) for a in accounts * 3]
            return await asyncio.gather(*(w3.eth.get_balance(a) for a in accounts * 3)), expected

    got, expected = asyncio.run(main())
    assert got == expected
    assert len(set(got)) > 1


def test_cached_chain_id_answers_run_each_middleware_once(clean: MockNode) -> None:
    """web3 keeps the information of an answer it serves from its cache, and its middleware
    appended their response processors to it on every call (the n-th ``chain_id`` ran 2n);
    ours hands each answer its own. Through a reconnect the cached answer keeps what
    formatting it needs (web3 alone returned the raw JSON-RPC dict then)."""

    def processors(w3: Any) -> list[int]:
        infos = w3.provider._request_processor._request_information_cache.items()
        return [len(info.middleware_response_processors) for _, info in infos]

    async def main() -> tuple[list[object], list[int]]:
        w3 = ws_ours(clean.ws_url)
        async with w3:
            got: list[object] = [await w3.eth.chain_id for _ in range(20)]
            counts = processors(w3)
        async with w3:
            got.append(await w3.eth.chain_id)
        return got, counts

    got, counts = asyncio.run(main())
    assert got == [31337] * 21
    assert all(type(value) is int for value in got)
    assert counts
    assert max(counts) == 0


def test_no_answer_raises_time_exhausted_as_web3_does() -> None:
    """A WebSocket server that never answers: both providers give up after their timeout."""

    async def swallow(connection: Any) -> None:
        async for _ in connection:
            pass

    async def main() -> tuple[BaseException, BaseException]:
        async with websockets.asyncio.server.serve(swallow, "127.0.0.1", 0) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            errors = []
            stock = AsyncWeb3(WebSocketProvider(url, request_timeout=0.3))
            for client in (ws_ours(url, 0.3), stock):
                async with client as w3:
                    with pytest.raises(TimeExhausted) as info:
                        await w3.eth.block_number
                    errors.append(info.value)
            return errors[0], errors[1]

    mine, stock = asyncio.run(main())
    assert_same_error(mine, stock)


# -- the Web3 object ---------------------------------------------------------------------------


def test_web3_modules_are_built_on_first_use(
    clean: MockNode, transport: KeptAliveTransport
) -> None:
    w3, stock = ours(clean.http_url, transport), Web3(HTTPProvider(clean.http_url))
    assert isinstance(w3, Web3)
    assert type(w3).__name__ == "Web3"
    assert "eth" in vars(w3)
    assert "testing" not in vars(w3)
    assert set(dir(stock)) <= set(dir(w3))
    for path in ("net", "geth", "geth.admin", "geth.txpool", "geth.debug", "tracing", "testing"):
        mine, theirs = w3, stock
        for name in path.split("."):
            mine, theirs = getattr(mine, name), getattr(theirs, name)
        assert type(mine) is type(theirs)
        assert mine.w3 is w3
    assert w3.testing is w3.testing
    head = clean.block_number()
    snapshot = w3.testing.snapshot()
    stock.eth.send_transaction({"from": stock.eth.accounts[0], "to": w3.eth.accounts[1]})
    assert w3.eth.block_number == head + 1
    w3.testing.revert(snapshot)
    assert w3.eth.block_number == stock.eth.block_number == head
    with pytest.raises(AttributeError, match="'Web3' object has no attribute 'nothing'"):
        w3.nothing  # noqa: B018


def test_a_module_is_built_once_whatever_the_threads(
    transport: KeptAliveTransport,
) -> None:
    w3 = ours("http://127.0.0.1:1", transport)
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        seen.append(w3.tracing)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert all(module is seen[0] for module in seen)


def test_async_web3_keeps_its_module_definitions(clean: MockNode) -> None:
    w3 = ws_ours(clean.ws_url)
    assert set(w3._modules) == {"eth", "net", "geth"}
    assert type(w3.geth.admin).__name__ == "AsyncGethAdmin"


def test_web3_is_imported_before_the_node_starts(pytester: pytest.Pytester) -> None:
    """A node imports py-evm in a background thread once it listens; web3 imported beside
    it can fail on eth-keys' circular imports. So the web3 fixtures import web3 first."""
    pytester.makeconftest(
        """
        import sys
        from mocknode.embedded import MockNode

        SEEN = []
        start = MockNode.start

        def recording_start(self):
            SEEN.append("web3" in sys.modules)
            return start(self)

        MockNode.start = recording_start
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from conftest import SEEN

        @pytest.mark.mocknode(chain_id=11)
        def test_sync(w3):
            assert SEEN == [True]

        @pytest.mark.mocknode(chain_id=12)
        @pytest.mark.asyncio
        async def test_async(async_w3):
            assert SEEN == [True, True]
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(
        passed=2
    )
