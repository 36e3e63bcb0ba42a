"""SIGTERM and Ctrl-C stop ``mocknode`` within a second whatever it is doing (issue 11).

Before, a call looping with a huge gas held the event loop, and the signal was never
looked at: the process had to be killed. Now calls run in a worker thread that the
node aborts when it stops, and mining and batches let the event loop in between blocks
and items; the signal ends the process at once. The calls here have no time limit
(``--rpc-evm-timeout 0``), so only the signal can end them.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Server, start

LOOP = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP
LOOP_AT = "0x" + "10" * 20
SENDER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"


def heavy(kind: str) -> Any:
    def request(method: str, params: list[Any], ident: int = 1) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}

    if kind == "call":
        return request("eth_call", [{"to": LOOP_AT, "gas": "0xffffffffffffffff"}, "latest"])
    if kind == "mine":
        return request("anvil_mine", [100_000])
    transfer = {"from": SENDER, "to": SENDER, "value": "0x1"}
    return [request("eth_sendTransaction", [transfer], i) for i in range(1000)]


def post(server: Server, body: Any, timeout: float) -> bytes:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer: bytes = response.read()
        return answer


def send_in_background(server: Server, body: Any) -> threading.Thread:
    def send() -> None:
        with contextlib.suppress(OSError):  # the node went away mid-request: the point
            post(server, body, timeout=60)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("kind", ["call", "mine", "batch"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_node_during_heavy_work(tmp_path: Path, kind: str, sig: int) -> None:
    # No gas cap either: 50M gas of LOOP is a second or less on a fast machine.
    server = start(
        "--silent",
        "--rpc-evm-timeout",
        "0",
        "--rpc-gas-cap",
        "0",
        "--ipc-path",
        str(tmp_path / "n.ipc"),
    )
    try:
        assert server.http("anvil_setCode", [LOOP_AT, LOOP])["result"] is None
        # Load the EVM first: the import is a start-up cost, not heavy work (and it can
        # take more than the helper's 10 s on a loaded machine).
        warm = {"jsonrpc": "2.0", "id": 1, "method": "eth_call"}
        warm["params"] = [{"to": LOOP_AT, "gas": "0x100"}, "latest"]
        post(server, warm, timeout=120)
        worker = send_in_background(server, heavy(kind))
        time.sleep(0.5)
        assert worker.is_alive(), "the heavy request ended before the signal"
        started = time.monotonic()
        server.proc.send_signal(sig)
        assert server.proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 1.0
        worker.join(10)
        assert not (tmp_path / "n.ipc").exists()
    finally:
        server.stop()
