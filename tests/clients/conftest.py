"""Fixtures for the client suite: per-test chain isolation and one web3 client per transport.

Every scenario in ``test_web3_providers.py`` is written once, as an ``async`` function
taking a web3 instance, and runs against each of web3.py's five providers. Sync
``Web3`` objects return plain values where ``AsyncWeb3`` returns coroutines, so the
scenarios pass every web3 call through :func:`helpers.aw`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from web3 import (
    AsyncHTTPProvider,
    AsyncIPCProvider,
    AsyncWeb3,
    HTTPProvider,
    IPCProvider,
    Web3,
    WebSocketProvider,
)

from mocknode import MockNode

PROVIDERS = ("http", "async_http", "websocket", "ipc", "async_ipc")


@pytest.fixture(autouse=True)
def isolated_chain(node: MockNode) -> Iterator[int]:
    """Snapshot before each test and revert after, so each test starts from the same head.

    Yields the head block number at the start of the test.
    """
    snap = node.snapshot()
    try:
        yield node.block_number()
    finally:
        assert node.revert(snap), f"revert to snapshot {snap} failed"


@pytest.fixture
def start_block(isolated_chain: int) -> int:
    return isolated_chain


@pytest_asyncio.fixture(params=PROVIDERS)
async def w3(request: pytest.FixtureRequest, node: MockNode) -> AsyncIterator[Any]:
    kind = request.param
    if kind == "http":
        yield Web3(HTTPProvider(node.http_url, request_kwargs={"timeout": 10}))
    elif kind == "async_http":
        provider = AsyncHTTPProvider(node.http_url, request_kwargs={"timeout": 10})
        try:
            yield AsyncWeb3(provider)
        finally:
            await provider.disconnect()
    elif kind == "websocket":
        async with AsyncWeb3(WebSocketProvider(node.ws_url, request_timeout=10)) as aw3:
            yield aw3
    elif kind == "ipc":
        assert node.ipc_path is not None
        provider = IPCProvider(node.ipc_path, timeout=10)
        try:
            yield Web3(provider)
        finally:
            sock = provider._socket.sock
            if sock is not None:
                sock.close()
    elif kind == "async_ipc":
        assert node.ipc_path is not None
        async with AsyncWeb3(AsyncIPCProvider(node.ipc_path, request_timeout=10)) as aw3:
            yield aw3
    else:  # pragma: no cover
        raise AssertionError(kind)
