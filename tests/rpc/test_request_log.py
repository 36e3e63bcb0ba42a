"""The request log (sans-io): what it writes for single calls and batches, in both
formats, and that a session dispatching without it writes nothing."""

from __future__ import annotations

import json
from typing import Any

from mocknode.rpc.jsonrpc import handle_payload
from mocknode.rpc.request_log import RequestLog


def answer(method: str, params: Any) -> Any:
    return method


def test_each_call_is_written_as_it_is_served() -> None:
    lines: list[str] = []
    log = RequestLog(lines.append, enabled=True)
    logged = log.wrap(answer)
    handle_payload(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', logged)
    batch = [
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"},
        {"jsonrpc": "2.0", "method": "net_version"},  # a notification is served too
        {"jsonrpc": "2.0", "id": 3},  # not a call: nothing served, nothing written
    ]
    handle_payload(json.dumps(batch).encode(), logged)
    assert lines == ["eth_chainId", "eth_blockNumber", "net_version"]


def test_json_lines() -> None:
    lines: list[str] = []
    log = RequestLog(lines.append, enabled=True, as_json=True)
    handle_payload(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', log.wrap(answer))
    assert lines == ['{"method":"eth_chainId"}']
    assert json.loads(lines[0]) == {"method": "eth_chainId"}


def test_off_by_default() -> None:
    log = RequestLog()
    assert log.enabled is False
    assert log.as_json is False
