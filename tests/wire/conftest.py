"""Every wire test runs twice: with the hand-written fast paths, and with h11/wsproto (and
the IPC scanner) reading everything (``fast_path=False``). Same assertions, both modes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from wire_helpers import connected_ws
from wsproto import WSConnection

from mocknode.wire.http import HttpConnection, HttpOptions
from mocknode.wire.ipc import IpcConnection
from mocknode.wire.ws import WsConnection


@pytest.fixture(params=[True, False], ids=["fast", "general"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def new_http(fast_path: bool) -> Callable[..., HttpConnection]:
    """``new_http(**HttpOptions fields)`` in this test's mode."""

    def make(**options: Any) -> HttpConnection:
        return HttpConnection(HttpOptions(fast_path=fast_path, **options))

    return make


@pytest.fixture
def new_ipc(fast_path: bool) -> Callable[..., IpcConnection]:
    def make(**options: Any) -> IpcConnection:
        return IpcConnection(fast_path=fast_path, **options)

    return make


@pytest.fixture
def connect_ws(fast_path: bool) -> Callable[..., tuple[WSConnection, WsConnection]]:
    """``connect_ws(max_message=...)``: a wsproto client and our upgraded connection."""

    def make(max_message: int = 32 * 1024 * 1024) -> tuple[WSConnection, WsConnection]:
        return connected_ws(HttpOptions(max_ws_message=max_message, fast_path=fast_path))

    return make
