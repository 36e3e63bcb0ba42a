"""Load and fault run (issue 11 point 7): a few hundred clients across HTTP, WebSocket and
IPC against one ``mocknode`` process, for a bounded time, then the books are checked.

``scripts/bench soak`` (or ``python -m bench.soak``) runs it; ``--duration`` and
``--clients`` scale it. One asyncio process drives every client (the node is a separate
process with its own GIL); each client is a coroutine on its own connection:

- **senders** (HTTP): ``eth_sendTransaction`` in a loop from the dev accounts, each hash kept;
- **readers** (HTTP, WS, IPC): ``eth_blockNumber`` / ``eth_getBalance`` / a 10-item batch,
  latency recorded per transport;
- **subscribers** (WS, IPC): ``newHeads``, every head number recorded. Each takes what the
  socket holds as soon as its loop runs, like the IPC subscriber's 16 MB stream buffer:
  the WebSocket one with ``max_queue=None``. With the library's default (stop reading
  the socket once 16 messages wait for ``recv``), a subscriber coroutine starved by the
  300 others of this one process let the node's write wait 10 s, and the node closed it
  as not reading (the default run at a load average of 7: 19 of 45 WebSocket
  subscribers, no IPC one). That measured this process, not the node;
- **vanishers**: connections that go away mid-request (half a request, then close),
  mid-batch (a 100-item batch, then close without reading), mid-notification (subscribe,
  then reset the connection with unread notifications queued), mid-handshake (half a
  WebSocket upgrade).

Afterwards it checks, over fresh connections: zero client errors; every hash a sender got
back is in the chain exactly once and the chain holds no transaction nobody sent; every
subscriber saw every head from the one after it subscribed to the last before it stopped,
once and in order; the node still answers on every transport; its open file descriptors
went back to where they started (no leaked connections) and its thread count did not grow.
Memory per transaction is the node's RSS growth over the run divided by the transactions
mined (Linux ``/proc``; RSS, so an upper bound that includes allocator slack).

The existing :mod:`bench.load` stays the throughput generator of the main benchmark; this
module answers a different question (does anything get lost or stuck) and reports figures
rather than comparing peers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening on http://([\d.]+):(\d+) ws://[\d.]+:\d+(?: ipc:(.+))?$")
DEV = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
]


# -- the node ------------------------------------------------------------------------------


class Node:
    def __init__(self, ipc_path: str, extra: list[str]) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        argv = [sys.executable, "-m", "mocknode", "--host", "127.0.0.1", "--port", "0"]
        argv += ["--ipc-path", ipc_path, "--silent", *extra]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.ipc_path = ipc_path
        self.port = 0
        self.output: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                self.output.append(line)
                match = LISTENING.search(line)
                if match and not ready.is_set():
                    self.port = int(match.group(2))
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60):
            self.stop()
            raise RuntimeError(f"mocknode did not start: {self.output}")

    def _status(self, key: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return -1

    def rss_kib(self) -> int:
        return self._status("VmRSS")

    def hwm_kib(self) -> int:
        return self._status("VmHWM")

    def threads(self) -> int:
        return self._status("Threads")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# -- clients ---------------------------------------------------------------------------------


def body(method: str, params: list[Any], ident: int = 1) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}).encode()


class Http:
    """One keep-alive HTTP/1.1 connection (Content-Length replies, as mocknode sends)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, payload: bytes) -> Any:
        if self.writer is None:
            await self.open()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
        data = await self.reader.readexactly(length)
        if status != b"200":
            raise RuntimeError(f"HTTP {status.decode()}: {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Ipc:
    """One IPC connection: newline-ended JSON replies and notifications."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_unix_connection(self.path, limit=2**24)

    async def send(self, payload: bytes) -> None:
        assert self.writer is not None
        self.writer.write(payload + b"\n")

    async def recv(self) -> Any:
        assert self.reader is not None
        line = await self.reader.readline()
        if not line:
            raise EOFError("IPC connection closed by the node")
        return json.loads(line)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Books:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    heads: list[tuple[str, int, list[int]]] = field(default_factory=list)  # (kind, first, seen)
    closed_subscribers: list[str] = field(default_factory=list)
    vanished: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    drain_s: float = 0.0  # how long after the load the subscribers took to catch up

    def error(self, where: str, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        if len(self.errors) < 10_000:
            self.errors.append(f"{where}: {text}")


def checked(reply: Any) -> Any:
    items = reply if isinstance(reply, list) else [reply]
    for item in items:
        if "error" in item:
            raise RuntimeError(f"JSON-RPC error {item['error']}")
    return reply


async def sender(port: int, index: int, stop: float, books: Books) -> None:
    http = Http(port)
    frm = DEV[index % len(DEV)]
    to = "0x" + "be" * 18 + f"{index:04x}"  # far from the precompiles at 0x01..0x11
    try:
        while time.monotonic() < stop:
            started = time.monotonic()
            reply = checked(
                await http.post(
                    body("eth_sendTransaction", [{"from": frm, "to": to, "value": "0x1"}])
                )
            )
            books.latencies["http eth_sendTransaction"].append(time.monotonic() - started)
            books.sent.append(reply["result"])
    except Exception as exc:
        books.error(f"sender {index}", exc)
    finally:
        http.close()


READS = [
    body("eth_blockNumber", []),
    body("eth_getBalance", [DEV[0], "latest"]),
    b"[" + b",".join(body("eth_getBalance", [DEV[i % 8], "latest"], i) for i in range(10)) + b"]",
]
READ_NAMES = ["eth_blockNumber", "eth_getBalance", "batch of 10"]


async def http_reader(port: int, index: int, stop: float, books: Books) -> None:
    http = Http(port)
    try:
        while time.monotonic() < stop:
            which = index % 3 if random.random() < 0.5 else 0
            started = time.monotonic()
            checked(await http.post(READS[which]))
            books.latencies[f"http {READ_NAMES[which]}"].append(time.monotonic() - started)
    except Exception as exc:
        books.error(f"http reader {index}", exc)
    finally:
        http.close()


async def ws_reader(port: int, index: int, stop: float, books: Books) -> None:
    try:
        started = time.monotonic()
        async with ws_connect(
            f"ws://127.0.0.1:{port}", max_size=2**24, ping_interval=None, open_timeout=60
        ) as ws:
            books.latencies["ws handshake"].append(time.monotonic() - started)
            while time.monotonic() < stop:
                which = index % 3 if random.random() < 0.5 else 0
                started = time.monotonic()
                await ws.send(READS[which].decode())
                checked(json.loads(await ws.recv()))
                books.latencies[f"ws {READ_NAMES[which]}"].append(time.monotonic() - started)
    except Exception as exc:
        books.error(f"ws reader {index}", exc)


async def ipc_reader(path: str, index: int, stop: float, books: Books) -> None:
    ipc = Ipc(path)
    try:
        await ipc.open()
        while time.monotonic() < stop:
            which = index % 3 if random.random() < 0.5 else 0
            started = time.monotonic()
            await ipc.send(READS[which])
            checked(await ipc.recv())
            books.latencies[f"ipc {READ_NAMES[which]}"].append(time.monotonic() - started)
    except Exception as exc:
        books.error(f"ipc reader {index}", exc)
    finally:
        ipc.close()


def head_number(message: Any) -> int:
    return int(message["params"]["result"]["number"], 16)


class Final:
    """The last head, once the load is over. Subscribers read until they have seen it, or
    until nothing came for ``QUIET`` seconds (a backlog still draining is not a loss: on a
    starved machine the node can be minutes behind), or ``CAP`` seconds after the end."""

    QUIET = 15.0
    CAP = 300.0

    def __init__(self) -> None:
        self.head: int | None = None
        self.give_up = float("inf")

    def done(self, seen: list[int], stop: float, last: float) -> bool:
        now = time.monotonic()
        if now < stop or self.head is None:
            return False
        if now > self.give_up or now - last > self.QUIET:
            return True
        return bool(seen) and seen[-1] >= self.head


def take(message: Any, seen: list[int], replies: dict[int, Any]) -> float:
    if message.get("method") == "eth_subscription":
        seen.append(head_number(message))
    else:
        replies[message["id"]] = checked(message)
    return time.monotonic()


async def ws_subscriber(port: int, index: int, stop: float, books: Books, final: Final) -> None:
    seen: list[int] = []
    replies: dict[int, Any] = {}
    try:
        async with ws_connect(
            f"ws://127.0.0.1:{port}",
            max_size=2**24,
            max_queue=None,  # read the socket as soon as the loop runs (module docstring)
            ping_interval=None,
            open_timeout=60,
        ) as ws:
            await ws.send(body("eth_subscribe", ["newHeads"], 2).decode())
            await ws.send(body("eth_blockNumber", [], 3).decode())
            last = time.monotonic()
            while not final.done(seen, stop, last):
                with contextlib.suppress(TimeoutError):
                    last = take(json.loads(await asyncio.wait_for(ws.recv(), 0.5)), seen, replies)
    except Exception as exc:
        books.error(f"ws subscriber {index}", exc)
        books.closed_subscribers.append(f"ws {index}: {type(exc).__name__}: {exc}")
    after = int(replies[3]["result"], 16) if 3 in replies else -1
    books.heads.append(("ws", after, seen))


async def ipc_subscriber(path: str, index: int, stop: float, books: Books, final: Final) -> None:
    ipc = Ipc(path)
    seen: list[int] = []
    replies: dict[int, Any] = {}
    try:
        await ipc.open()
        await ipc.send(body("eth_subscribe", ["newHeads"], 2))
        await ipc.send(body("eth_blockNumber", [], 3))
        last = time.monotonic()
        while not final.done(seen, stop, last):
            with contextlib.suppress(TimeoutError):
                last = take(await asyncio.wait_for(ipc.recv(), 0.5), seen, replies)
    except Exception as exc:
        books.error(f"ipc subscriber {index}", exc)
        books.closed_subscribers.append(f"ipc {index}: {type(exc).__name__}: {exc}")
    finally:
        ipc.close()
    after = int(replies[3]["result"], 16) if 3 in replies else -1
    books.heads.append(("ipc", after, seen))


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0): the client vanishes, unread data and all."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family != socket.AF_UNIX:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def vanisher(port: int, path: str, index: int, stop: float, books: Books) -> None:
    kinds = [
        "mid-request",
        "mid-batch",
        "mid-notification",
        "mid-handshake",
        "ipc mid-batch",
        "ipc mid-notification",
    ]
    try:
        while time.monotonic() < stop:
            kind = random.choice(kinds)
            if kind.startswith("ipc"):
                reader, writer = await asyncio.open_unix_connection(path)
            else:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if kind == "mid-request":
                payload = body("eth_getBalance", [DEV[0], "latest"])
                writer.write(
                    b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                    + str(len(payload)).encode()
                    + b"\r\n\r\n"
                    + payload[:10]
                )
            elif kind in ("mid-batch", "ipc mid-batch"):
                batch = (
                    b"["
                    + b",".join(
                        body("eth_getBlockByNumber", ["latest", True], i) for i in range(100)
                    )
                    + b"]"
                )
                if kind == "mid-batch":
                    writer.write(
                        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                        + str(len(batch)).encode()
                        + b"\r\n\r\n"
                        + batch
                    )
                else:
                    writer.write(batch + b"\n")
            elif kind == "mid-handshake":
                writer.write(
                    b"GET / HTTP/1.1\r\nHost: localhost\r\n"
                    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                )
            elif kind == "mid-notification":
                async with ws_connect(
                    f"ws://127.0.0.1:{port}", ping_interval=None, open_timeout=60
                ) as ws:
                    await ws.send(body("eth_subscribe", ["newHeads"]).decode())
                    await ws.recv()
                    await asyncio.sleep(random.uniform(0.05, 0.3))
                    transport = ws.transport
                    sock = transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    transport.abort()
            else:  # ipc mid-notification
                writer.write(body("eth_subscribe", ["newHeads"]) + b"\n")
                await reader.readline()
                await asyncio.sleep(random.uniform(0.05, 0.3))
            await writer.drain()
            await asyncio.sleep(random.uniform(0.0, 0.05))
            reset(writer)
            books.vanished[kind] += 1
            await asyncio.sleep(random.uniform(0.05, 0.2))
    except Exception as exc:
        books.error(f"vanisher {index}", exc)


# -- the run ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


async def drive(node: Node, duration: float, mix: dict[str, int], books: Books) -> None:
    start = time.monotonic()
    stop = start + duration
    port, path = node.port, node.ipc_path
    tasks = []
    final = Final()
    # Subscribers first, so they are in place before the first head.
    subscribers = [
        *(
            asyncio.create_task(ws_subscriber(port, i, stop, books, final))
            for i in range(mix["ws_subscribers"])
        ),
        *(
            asyncio.create_task(ipc_subscriber(path, i, stop, books, final))
            for i in range(mix["ipc_subscribers"])
        ),
    ]
    await asyncio.sleep(0.5)
    for i in range(mix["senders"]):
        tasks.append(asyncio.create_task(sender(port, i, stop, books)))
    for i in range(mix["http_readers"]):
        tasks.append(asyncio.create_task(http_reader(port, i, stop, books)))
    for i in range(mix["ws_readers"]):
        tasks.append(asyncio.create_task(ws_reader(port, i, stop, books)))
    for i in range(mix["ipc_readers"]):
        tasks.append(asyncio.create_task(ipc_reader(path, i, stop, books)))
    for i in range(mix["vanishers"]):
        tasks.append(asyncio.create_task(vanisher(port, path, i, stop, books)))
    _done, pending = await asyncio.wait(tasks, timeout=duration + 60)
    for task in pending:
        task.cancel()
        books.error("client", "did not finish within 60 s of the end (a stuck request)")
    http = Http(port)
    final.head = int(checked(await http.post(body("eth_blockNumber", [])))["result"], 16)
    http.close()
    final.give_up = time.monotonic() + final.CAP
    ended = time.monotonic()
    await asyncio.wait(subscribers)
    books.drain_s = time.monotonic() - ended


async def audit(node: Node, books: Books) -> dict[str, Any]:
    http = Http(node.port)
    head = int(checked(await http.post(body("eth_blockNumber", [])))["result"], 16)
    in_chain: list[str] = []
    for start in range(1, head + 1, 100):
        batch = (
            b"["
            + b",".join(
                body("eth_getBlockByNumber", [hex(n), False], n)
                for n in range(start, min(head, start + 99) + 1)
            )
            + b"]"
        )
        for block in sorted(checked(await http.post(batch)), key=lambda r: r["id"]):
            in_chain.extend(block["result"]["transactions"])
    pooled = checked(await http.post(body("txpool_status", [])))["result"]
    http.close()
    sent = books.sent
    lost = set(sent) - set(in_chain)
    unknown = set(in_chain) - set(sent)
    duplicated = len(in_chain) - len(set(in_chain)) + (len(sent) - len(set(sent)))
    # A subscriber's heads must run on, one by one, from no later than the one after the
    # block number it read just after subscribing, to the last head.
    gaps = 0
    incomplete: list[str] = []
    for kind, after, seen in books.heads:
        if not seen or seen[0] > after + 1 or seen != list(range(seen[0], seen[-1] + 1)):
            gaps += 1
        if (
            not seen
            or seen[0] > after + 1
            or seen != list(range(seen[0], seen[-1] + 1))
            or seen[-1] != head
        ):
            span = f"{seen[0]}..{seen[-1]}" if seen else "nothing"
            incomplete.append(f"{kind}: head at subscribe {after}, saw {len(seen)} heads {span}")
    subscribers_complete = sum(1 for _, _after, seen in books.heads if seen and seen[-1] == head)
    return {
        "head": head,
        "transactions_sent": len(sent),
        "transactions_in_chain": len(in_chain),
        "lost": len(lost),
        "unknown": len(unknown),
        "duplicated": duplicated,
        "pool": pooled,
        "subscribers": len(books.heads),
        "subscribers_with_gaps_or_duplicates": gaps,
        "subscribers_reaching_the_head": subscribers_complete,
        "incomplete_subscribers": incomplete[:20],
    }


async def memory_per_transaction(node: Node, count: int) -> dict[str, Any]:
    """RSS growth over ``count`` transfers sent one after another on a quiet node (each
    mined in its own block: automine), after the load has settled."""
    http = Http(node.port)
    to = "0x" + "cd" * 20
    before = node.rss_kib()
    for _ in range(count):
        checked(
            await http.post(
                body("eth_sendTransaction", [{"from": DEV[0], "to": to, "value": "0x1"}])
            )
        )
    after = node.rss_kib()
    http.close()
    return {
        "transactions": count,
        "rss_kib_before_after": [before, after],
        "rss_bytes_per_transaction": round((after - before) * 1024 / count),
    }


async def still_serving(node: Node) -> bool:
    http = Http(node.port)
    ok = "result" in await http.post(body("eth_chainId", []))
    http.close()
    async with ws_connect(f"ws://127.0.0.1:{node.port}", ping_interval=None, open_timeout=60) as ws:
        await ws.send(body("eth_chainId", []).decode())
        ok = ok and "result" in json.loads(await ws.recv())
    ipc = Ipc(node.ipc_path)
    await ipc.open()
    await ipc.send(body("eth_chainId", []))
    ok = ok and "result" in await ipc.recv()
    ipc.close()
    return ok


def mix_for(clients: int) -> dict[str, int]:
    share = {
        "senders": 0.10,
        "http_readers": 0.20,
        "ws_readers": 0.15,
        "ipc_readers": 0.15,
        "ws_subscribers": 0.15,
        "ipc_subscribers": 0.15,
        "vanishers": 0.10,
    }
    return {k: max(1, round(clients * v)) for k, v in share.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench soak", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=300, help="connections in all (default 300)")
    parser.add_argument(
        "--memory-txs", type=int, default=500, help="transfers for the quiet memory figure"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--node-arg", action="append", default=[], help="extra mocknode flag (repeatable)"
    )
    args = parser.parse_args(argv)
    mix = mix_for(args.clients)
    books = Books()
    with tempfile.TemporaryDirectory() as tmp:
        node = Node(str(Path(tmp) / "soak.ipc"), args.node_arg)
        try:
            time.sleep(0.5)
            fds0, threads0, rss0, cpu0 = node.fds(), node.threads(), node.rss_kib(), node.cpu_s()
            print(
                f"soak: {sum(mix.values())} clients {mix} for {args.duration:.0f} s",
                file=sys.stderr,
            )
            wall = time.monotonic()
            client_cpu0 = time.process_time()
            asyncio.run(drive(node, args.duration, mix, books))
            wall = time.monotonic() - wall
            rss1, cpu1 = node.rss_kib(), node.cpu_s()
            books_check = asyncio.run(audit(node, books))
            serving = asyncio.run(still_serving(node))
            quiet = asyncio.run(memory_per_transaction(node, args.memory_txs))
            time.sleep(1.0)  # let the node notice the last closes
            fds1, threads1 = node.fds(), node.threads()
            mined = books_check["transactions_in_chain"]
            result: dict[str, Any] = {
                "duration_s": round(wall, 1),
                "clients": mix,
                "errors": len(books.errors),
                "error_samples": sorted(set(e.split(": ", 1)[1] for e in books.errors))[:10],
                "subscribers_closed": len(books.closed_subscribers),
                "subscribers_catch_up_s": round(books.drain_s, 1),
                **books_check,
                "vanished": dict(books.vanished),
                "still_serving_all_transports": serving,
                "node_closed_slow_subscribers": sum("not reading" in line for line in node.output),
                "node_log_samples": [line for line in node.output if "not reading" in line][:3],
                "fds_before_after": [fds0, fds1],
                "threads_before_after": [threads0, threads1],
                "rss_kib_before_after": [rss0, rss1],
                "rss_bytes_per_transaction_under_load": round((rss1 - rss0) * 1024 / mined)
                if mined
                else None,
                "memory_quiet": quiet,
                "rss_kib_peak": node.hwm_kib(),
                "client_cpu_s": round(time.process_time() - client_cpu0, 1),
                "node_cpu_s": round(cpu1 - cpu0, 1),
                "transactions_per_s": round(mined / wall, 1),
                "loadavg": os.getloadavg(),
                "latency_ms": {
                    name: {
                        "n": len(v),
                        "p50": round(pct(v, 0.5) * 1e3, 1),
                        "p99": round(pct(v, 0.99) * 1e3, 1),
                    }
                    for name, v in sorted(books.latencies.items())
                },
            }
        finally:
            node.stop()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    ok = (
        result["errors"] == 0
        and result["lost"] == 0
        and result["unknown"] == 0
        and result["duplicated"] == 0
        and result["subscribers_with_gaps_or_duplicates"] == 0
        and result["subscribers_reaching_the_head"] == result["subscribers"]
        and serving
        and fds1 <= fds0
    )
    print("soak: " + ("PASS" if ok else "FAIL"), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
