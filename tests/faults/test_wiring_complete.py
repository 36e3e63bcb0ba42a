"""Every kind of the catalogue is applied somewhere: none is refused as not wired."""

from __future__ import annotations

from mocknode.faults.wiring import NOT_WIRED


def test_no_kind_is_left_unwired() -> None:
    assert not NOT_WIRED, sorted(NOT_WIRED)
