"""Head-of-line blocking (issue 11): how long a cheap read waits while another client's
heavy request runs.

For each heavy request (a batch of 1000 ``eth_sendTransaction``, ``anvil_mine 20000``, an
``eth_call`` looping until the node's time limit, 5 s by default) on its own HTTP
connection, a second client sends ``eth_blockNumber`` one after the other on HTTP, WS or
IPC until the heavy one is answered; every read's latency is a sample (the table's p99
is the figure the issue asks for: under 100 ms). Rows are named ``hol: <heavy> /
<transport>``, in the mocknode column; one heavy request per row (two in a full run),
on a mocknode of its own started for them (they mine tens of thousands of blocks). The
first execution, which imports py-evm, happens before any row.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from bench.clients import HttpTransport, IpcTransport, SocketRpc, Transport, WsTransport
from bench.peers import HOST, ProcessPeer
from bench.runner import Results

LOOP = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP
LOOP_AT = "0x" + "10" * 20
HEAVY = ("batch of 1000 sends", "anvil_mine 20000", "eth_call to the time limit")
TRANSPORTS = ("http", "ws", "ipc")
NAMES = [f"hol: {heavy} / {transport}" for heavy in HEAVY for transport in TRANSPORTS]
PEER = "mocknode"


def _body(heavy: str, sender: str) -> bytes:
    def request(method: str, params: list[Any], ident: int = 1) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}

    if heavy == HEAVY[0]:
        transfer = {"from": sender, "to": sender, "value": "0x1", "gas": "0x5208"}
        value: Any = [request("eth_sendTransaction", [transfer], i) for i in range(1000)]
    elif heavy == HEAVY[1]:
        value = request("anvil_mine", [hex(20_000)])
    else:
        value = request("eth_call", [{"to": LOOP_AT, "gas": "0xffffffffffffffff"}, "latest"])
    return json.dumps(value).encode()


def _transport(peer: ProcessPeer, kind: str) -> Transport:
    if kind == "http":
        return HttpTransport(HOST, peer.port)
    if kind == "ws":
        return WsTransport(f"ws://{HOST}:{peer.port}")
    return IpcTransport(peer.ipc_path)


def reads_during(peer: ProcessPeer, heavy: str, transport: str) -> tuple[list[float], float]:
    """The latencies of the reads answered while ``heavy`` ran, and how long it ran."""
    sender = peer.accounts[6]
    body = _body(heavy, sender)
    heavy_conn = HttpTransport(HOST, peer.port)
    reader = SocketRpc(_transport(peer, transport))
    done = threading.Event()

    def run() -> None:
        try:
            heavy_conn.send(body)
        finally:
            done.set()

    try:
        reader.call("eth_blockNumber", [])
        thread = threading.Thread(target=run, daemon=True)
        started = time.perf_counter()
        thread.start()
        time.sleep(0.05)  # the heavy request has arrived
        latencies = []
        while not done.is_set():
            sent = time.perf_counter()
            reader.call("eth_blockNumber", [])
            if not done.is_set():
                latencies.append(time.perf_counter() - sent)
        thread.join()
        return latencies, time.perf_counter() - started
    finally:
        heavy_conn.close()
        reader.close()


def run_hol(peers: list[ProcessPeer], rounds: int, results: Results, log: Any, want: Any) -> None:
    for peer in peers:
        peer.setup.call("anvil_setCode", [LOOP_AT, LOOP])
        # The first execution imports py-evm (seconds, holding the import lock): a
        # start-up cost (measured by the start-up rows), not head-of-line blocking.
        peer.setup.call("eth_call", [{"to": peer.accounts[0]}, "latest"])
    for heavy in HEAVY:
        for transport in TRANSPORTS:
            name = f"hol: {heavy} / {transport}"
            if not want(name):
                continue
            for _ in range(rounds):
                for peer in peers:
                    latencies, took = reads_during(peer, heavy, transport)
                    # Under the peer's kind (the main table's column), whatever its name.
                    results.extend(name, PEER, latencies)
                    series = results.get(name, PEER)
                    if series is not None:
                        series.info["heavy_s"] = round(took, 2)
                        series.info["reads"] = len(series.samples)
            summary = []
            for peer in peers:
                series = results.get(name, PEER)
                if series is not None and series.samples:
                    summary.append(
                        f"{peer.name} {len(series.samples)} reads, "
                        f"p99 {series.p99 * 1000:.1f} ms, max {max(series.samples) * 1000:.1f} ms, "
                        f"heavy {series.info['heavy_s']} s"
                    )
            log(f"  {name}: " + "; ".join(summary))
