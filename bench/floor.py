"""The floor under a cheap read: how fast can a Python server answer at all?

Issue 12 asks ``eth_blockNumber`` at anvil's speed on HTTP, WebSocket and IPC. This
measures what is under mocknode's answer, so the part that is ours can be told from the
part any trio server pays. Four servers, each a process of its own, take the same
sequential requests from the same lean client (``bench.clients``), interleaved round by
round:

- **anvil** (Rust, tokio);
- **mocknode**, the CLI as ``scripts/bench`` starts it;
- **trio floor**: a trio server that finds the request's end (HTTP: the head, then
  ``Content-Length`` bytes; IPC: a newline) and writes a fixed answer. It reads and
  writes the socket's descriptor directly and parks in ``trio.lowlevel.wait_readable``
  only when nothing is there, as mocknode's fast path does: the least a trio node can do;
- **blocking floor**: the same with a thread per connection blocked in ``read``, no event
  loop at all: the least Python can do.

For each it reports the round trip (median of rounds) and the server's own CPU per request
(user and system, from ``/proc/<pid>/stat``: the other processes' load moves it far less
than the wall clock). WebSocket is left out: a floor would need its own framing, and the
IPC row already shows the event loop's share.

With ``--connections N`` it then measures the same four servers under N concurrent
HTTP keep-alive clients, one process each (``bench.load``, as the bench's "8 connections"
workload), in requests per second. On a two-core machine the clients and the server share
the cores, so the machine is saturated and a server's CPU per request decides: this shows
whether even a trio server that does nothing but write a fixed answer keeps up with anvil.

    python -m bench.floor [--anvil PATH] [--rounds 8] [--requests 2000] [--connections 8]

Why HTTP costs every server two wake-ups a request: Python's ``http.client`` (and urllib3,
under ``requests`` and web3.py's ``HTTPProvider``) writes the head and the body in two
sends, so a server that is waiting reads the head, finds the body missing, and waits
again.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.clients import HttpTransport, IpcTransport, Transport
from bench.peers import HOST, free_port, spawn, start_anvil, start_mocknode, stop
from bench.startup import process_cpu_s

BODY = b'{"jsonrpc":"2.0","id":1,"result":"0x0"}'
HTTP_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (len(BODY), BODY)
)
IPC_ANSWER = BODY + b"\n"
REQUEST = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
WARM_UP = 300

EndOf = Callable[[bytes], int]


def http_end(buffer: bytes) -> int:
    """Where the first whole HTTP request in ``buffer`` ends, or -1."""
    head = buffer.find(b"\r\n\r\n")
    if head < 0:
        return -1
    start = buffer.lower().find(b"content-length:")
    length = 0 if start < 0 else int(buffer[start + 15 : buffer.find(b"\r\n", start)])
    end = head + 4 + length
    return end if len(buffer) >= end else -1


def ipc_end(buffer: bytes) -> int:
    """Where the first IPC request ends (a newline), or -1."""
    newline = buffer.find(b"\n")
    return newline + 1 if newline >= 0 else -1


def _answer_all(buffer: bytes, end_of: EndOf, fd: int, answer: bytes) -> bytes:
    """Answer every whole request in ``buffer``; what is left of it."""
    while (end := end_of(buffer)) >= 0:
        buffer = buffer[end:]
        os.write(fd, answer)
    return buffer


def serve_trio(port: int, path: str) -> None:
    import trio

    async def serve(stream: trio.SocketStream, answer: bytes, end_of: EndOf) -> None:
        fd = stream.socket.fileno()
        buffer = b""
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(fd)
                continue
            if not data:
                return
            buffer = _answer_all(buffer + data, end_of, fd, answer)

    async def main() -> None:
        tcp = await trio.open_tcp_listeners(port, host=HOST)
        unix = trio.socket.socket(socket.AF_UNIX)
        await unix.bind(path)
        unix.listen(128)

        async def http(stream: trio.SocketStream) -> None:
            await serve(stream, HTTP_ANSWER, http_end)

        async def ipc(stream: trio.SocketStream) -> None:
            await serve(stream, IPC_ANSWER, ipc_end)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, http, tcp)
            nursery.start_soon(trio.serve_listeners, ipc, [trio.SocketListener(unix)])
            print("ready", flush=True)

    trio.run(main)


def serve_blocking(port: int, path: str) -> None:
    def serve(conn: socket.socket, answer: bytes, end_of: EndOf) -> None:
        fd = conn.fileno()
        buffer = b""
        while data := os.read(fd, 65536):
            buffer = _answer_all(buffer + data, end_of, fd, answer)

    def accept(listener: socket.socket, answer: bytes, end_of: EndOf) -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn, answer, end_of), daemon=True).start()

    tcp = socket.create_server((HOST, port))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen(128)
    threading.Thread(target=accept, args=(tcp, HTTP_ANSWER, http_end), daemon=True).start()
    print("ready", flush=True)
    accept(unix, IPC_ANSWER, ipc_end)


class _Floor:
    def __init__(self, kind: str, workdir: Path) -> None:
        self.port = free_port()
        self.ipc_path = str(workdir / f"{kind}.ipc")
        argv = [sys.executable, "-m", "bench.floor", "serve", kind, str(self.port)]
        self.proc = spawn([*argv, self.ipc_path], stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the {kind} floor did not start")
        self.pid = self.proc.pid

    def close(self) -> None:
        stop(self.proc)


def _user_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK")


def measure(
    anvil: str, rounds: int, requests: int, connections: int = 0, seconds: float = 2.0
) -> tuple[list[dict[str, object]], dict[str, list[float]]]:
    """Sequential round trips (rows), and with ``connections``, requests per second
    under that many concurrent HTTP clients (per server, one figure a round)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    anvil_peer = start_anvil(anvil, workdir)
    node = start_mocknode(workdir)
    # Its EVM loads in a thread once it listens: done before timing (a call waits for it).
    node.setup.call("eth_call", [{"to": "0x" + "11" * 20}, "latest"])
    floors = {"trio floor": _Floor("trio", workdir), "blocking floor": _Floor("blocking", workdir)}
    servers: dict[str, tuple[int, int, str]] = {
        "anvil": (anvil_peer.pid or 0, anvil_peer.port, anvil_peer.ipc_path),
        "mocknode": (node.pid or 0, node.port, node.ipc_path),
    }
    servers |= {name: (f.pid, f.port, f.ipc_path) for name, f in floors.items()}
    rows: list[dict[str, object]] = []
    try:
        for transport in ("http", "ipc"):
            clients: dict[str, Transport] = {
                name: HttpTransport(HOST, port) if transport == "http" else IpcTransport(path)
                for name, (_, port, path) in servers.items()
            }
            times: dict[str, list[float]] = {name: [] for name in servers}
            cpu = dict.fromkeys(servers, 0.0)
            user = dict.fromkeys(servers, 0.0)
            body = REQUEST if transport == "http" else REQUEST + b"\n"
            for client in clients.values():
                for _ in range(WARM_UP):
                    client.send(body)
            for _ in range(rounds):
                for name, client in clients.items():
                    pid = servers[name][0]
                    send = client.send
                    cpu_before, user_before = process_cpu_s(pid) or 0.0, _user_s(pid)
                    start = time.perf_counter()
                    for _ in range(requests):
                        send(body)
                    times[name].append((time.perf_counter() - start) / requests)
                    cpu[name] += (process_cpu_s(pid) or 0.0) - cpu_before
                    user[name] += _user_s(pid) - user_before
            for client in clients.values():
                client.close()
            total = rounds * requests
            anvil_rtt = statistics.median(times["anvil"])
            anvil_cpu = cpu["anvil"] / total
            for name in servers:
                rtt = statistics.median(times[name])
                rows.append(
                    {
                        "transport": transport,
                        "server": name,
                        "round_trip_us": rtt * 1e6,
                        "vs_anvil": rtt / anvil_rtt,
                        "server_cpu_us": cpu[name] / total * 1e6,
                        "server_user_us": user[name] / total * 1e6,
                        "cpu_vs_anvil": (cpu[name] / total) / anvil_cpu,
                    }
                )
        throughput = _throughput(servers, connections, rounds, seconds) if connections else {}
    finally:
        for floor in floors.values():
            floor.close()
        node.close()
        anvil_peer.close()
    return rows, throughput


def _throughput(
    servers: dict[str, tuple[int, int, str]], connections: int, rounds: int, seconds: float
) -> dict[str, list[float]]:
    """Requests per second of each server under ``connections`` concurrent HTTP clients,
    servers interleaved round by round (the same clients for every one)."""
    from bench.load import LoadGenerator

    load = LoadGenerator(connections)
    found: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for _ in range(rounds):
            for name, (_, port, _) in servers.items():
                found[name].append(load.requests_per_second(HOST, port, REQUEST, 0.3, seconds))
    finally:
        load.close()
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        kind, port, path = args[1], int(args[2]), args[3]
        (serve_trio if kind == "trio" else serve_blocking)(port, path)
        return 0
    from bench.__main__ import find_anvil

    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--anvil", help="anvil binary (default: as scripts/bench finds it)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000, help="per round and server")
    parser.add_argument(
        "--connections", type=int, default=0, help="also measure N concurrent HTTP clients"
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput round")
    options = parser.parse_args(args)
    rows, throughput = measure(
        find_anvil(options.anvil),
        options.rounds,
        options.requests,
        options.connections,
        options.seconds,
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| transport | server | round trip | vs anvil | server CPU / request (user) | vs anvil |")
    print("|---|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['transport']} | {row['server']} | {row['round_trip_us']:.1f} µs "
            f"| {row['vs_anvil']:.2f}x | {row['server_cpu_us']:.1f} µs "
            f"({row['server_user_us']:.1f}) | {row['cpu_vs_anvil']:.2f}x |"
        )
    if throughput:
        anvil_rps = statistics.median(throughput["anvil"])
        print(f"\nHTTP, {options.connections} connections (median of {options.rounds} rounds):")
        print("| server | requests/s | vs anvil | rounds |")
        print("|---|---:|---:|---|")
        for name, rps in throughput.items():
            median = statistics.median(rps)
            each = ", ".join(f"{x:,.0f}" for x in rps)
            print(f"| {name} | {median:,.0f} | {median / anvil_rps:.2f}x | {each} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
