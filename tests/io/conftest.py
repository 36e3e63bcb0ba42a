"""The io tests run in both modes: with the fast paths (hand-written HTTP/WS/IPC parsing
and the raw-socket shortcut) and without (h11/wsproto/the scanner, trio's general
stream path), against the same assertions."""

from __future__ import annotations

import pytest


@pytest.fixture(params=[True, False], ids=["fast", "general"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)
