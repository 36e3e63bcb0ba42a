"""Quiet waits (:mod:`mocknode.io._quiet`): a reading task that alone has work coming
blocks in ``poll`` for its client instead of passing through trio's scheduler, and never
while anything else in the run needs the thread.

The unit tests run :func:`wait_alone` inside a real trio run on real sockets, with the
longest wait raised to 30 s: a wait that ends within seconds was ended by what the test
arranged (another task's bytes, a call from a thread, a deadline), not by its bound. The
end-to-end tests serve the real node and count trio's I/O waits with an instrument.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import trio
import trio.testing
from websockets.sync.client import connect as ws_connect

from mocknode.io import _conn, _quiet
from mocknode.io._quiet import Poller, available, wait_alone
from mocknode.io.limits import ConnLimits
from mocknode.node import Node, NodeConfig, open_node

LONG = 30.0
CALL = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
ANSWER = b'{"jsonrpc":"2.0","id":1,"result":"0x0"}'


@pytest.fixture
def long_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_quiet, "QUIET_WAIT", LONG)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def later(seconds: float, action: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def timed_wait(sock: socket.socket) -> tuple[bool, float]:
    """One quiet wait on ``sock``, from inside the run: its answer and how long it took."""
    start = time.monotonic()
    woke = wait_alone(Poller(sock.fileno()))
    return woke, time.monotonic() - start


def test_quiet_waits_work_with_the_trio_this_project_installs() -> None:
    """The private run state it reads is there: a trio upgrade that moves it fails here,
    not silently in the benchmarks."""

    async def main() -> bool:
        return available()

    assert trio.run(main) is True


def test_the_client_bytes_end_the_wait(
    long_waits: None, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, peer = pair

    async def main() -> tuple[bool, float]:
        await trio.testing.wait_all_tasks_blocked()
        later(0.05, lambda: peer.sendall(b"x"))
        return timed_wait(ours)

    woke, seconds = trio.run(main)
    assert woke is True
    assert seconds < LONG / 3
    assert ours.recv(10) == b"x"


def test_no_quiet_wait_while_another_task_is_runnable(
    long_waits: None, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _ = pair

    async def main() -> tuple[bool, float]:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.sleep, 0)  # runnable until its first step
            return timed_wait(ours)

    woke, seconds = trio.run(main)
    assert woke is False
    assert seconds < LONG / 3


@pytest.mark.parametrize("busy_poll", [0.0, LONG], ids=["quiet wait", "busy poll"])
def test_bytes_for_another_task_end_the_wait(
    long_waits: None, pair: tuple[socket.socket, socket.socket], busy_poll: float
) -> None:
    """Another task's bytes end the wait (a 30 s spin too), and start the back-off."""
    ours, _ = pair
    other, other_peer = socket.socketpair()
    other.setblocking(False)
    poller = Poller(ours.fileno(), busy_poll)

    async def main() -> tuple[bool, float, bytes]:
        got: list[bytes] = []

        async def reader() -> None:
            await trio.lowlevel.wait_readable(other.fileno())
            got.append(other.recv(10))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(reader)
            await trio.testing.wait_all_tasks_blocked()
            later(0.05, lambda: other_peer.sendall(b"y"))
            start = time.monotonic()
            woke = wait_alone(poller)
            seconds = time.monotonic() - start
        return woke, seconds, got[0]

    try:
        woke, seconds, got = trio.run(main)
    finally:
        other.close()
        other_peer.close()
    assert woke is False
    assert seconds < LONG / 3
    assert poller.skip == _quiet.BACK_OFF
    assert got == b"y"  # and trio then served the other task


def test_a_wait_ended_by_other_work_backs_off(
    long_waits: None, pair: tuple[socket.socket, socket.socket]
) -> None:
    """Other work ending a quiet wait means other clients are active: that connection
    takes trio's wait for its next ``BACK_OFF`` reads (no ``poll`` first), then tries
    quiet waits again."""
    ours, peer = pair
    other, other_peer = socket.socketpair()
    other.setblocking(False)

    async def main() -> tuple[bool, list[bool], float, bool]:
        poller = Poller(ours.fileno())

        async def reader() -> None:
            await trio.lowlevel.wait_readable(other.fileno())
            other.recv(10)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(reader)
            await trio.testing.wait_all_tasks_blocked()
            later(0.05, lambda: other_peer.sendall(b"y"))
            ended = wait_alone(poller)
        await trio.testing.wait_all_tasks_blocked()
        peer.sendall(b"x")  # readable now: a quiet wait would return True at once
        start = time.monotonic()
        skipped = [wait_alone(poller) for _ in range(_quiet.BACK_OFF)]
        seconds = time.monotonic() - start
        return ended, skipped, seconds, wait_alone(poller)

    try:
        ended, skipped, seconds, resumed = trio.run(main)
    finally:
        other.close()
        other_peer.close()
    assert ended is False
    assert skipped == [False] * _quiet.BACK_OFF
    assert seconds < LONG / 3
    assert resumed is True
    assert ours.recv(10) == b"x"


def test_a_call_from_another_thread_ends_the_wait(
    long_waits: None, pair: tuple[socket.socket, socket.socket]
) -> None:
    ours, _ = pair

    async def main() -> tuple[bool, float, list[str]]:
        await trio.testing.wait_all_tasks_blocked()  # trio's own tasks are waiting
        token = trio.lowlevel.current_trio_token()
        ran: list[str] = []
        later(0.05, lambda: token.run_sync_soon(ran.append, "called"))
        woke, seconds = timed_wait(ours)
        await trio.lowlevel.checkpoint()  # the call queued from the thread runs
        return woke, seconds, ran

    woke, seconds, ran = trio.run(main)
    assert woke is False
    assert seconds < LONG / 3
    assert ran == ["called"]


@pytest.mark.parametrize("busy_poll", [0.0, LONG], ids=["quiet wait", "busy poll"])
def test_the_next_deadline_ends_the_wait(
    long_waits: None, pair: tuple[socket.socket, socket.socket], busy_poll: float
) -> None:
    """The wait, spin and blocking part together, ends by trio's next deadline."""
    ours, _ = pair

    async def main() -> tuple[bool, float, bool]:
        slept: list[bool] = []

        async def sleeper() -> None:
            await trio.sleep(0.2)
            slept.append(True)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            await trio.testing.wait_all_tasks_blocked()
            start = time.monotonic()
            woke = wait_alone(Poller(ours.fileno(), busy_poll))
            seconds = time.monotonic() - start
        return woke, seconds, bool(slept)

    woke, seconds, slept = trio.run(main)
    assert woke is False
    assert 0.1 < seconds < 0.35  # waited, but no further than the sleeper's deadline
    assert slept


# -- busy polling (Poller's busy_poll) ------------------------------------------------


def test_a_busy_poll_finds_bytes_already_there(pair: tuple[socket.socket, socket.socket]) -> None:
    """The first non-blocking poll of a spin finds bytes waiting: the wait says so, and a
    spin that found its bytes starts no back-off."""
    ours, peer = pair
    peer.sendall(b"x")

    async def main() -> tuple[bool, int]:
        await trio.testing.wait_all_tasks_blocked()
        poller = Poller(ours.fileno(), busy_poll=LONG)
        return wait_alone(poller), poller.spin_skip

    woke, skip = trio.run(main)
    assert woke is True
    assert skip == 0
    assert ours.recv(10) == b"x"


def test_a_busy_poll_the_client_outlasts_blocks_then_backs_off(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """Nothing comes within the spin (2 ms): the wait blocks for the rest of the quiet
    wait, and the connection's next ``SPIN_BACK_OFF`` waits block without spinning; then
    it spins again, and a spin that finds its bytes leaves the count at 0."""
    ours, peer = pair

    async def main() -> tuple[bool, int, list[bool], int, bool, int]:
        await trio.testing.wait_all_tasks_blocked()
        poller = Poller(ours.fileno(), busy_poll=0.002)
        first = wait_alone(poller)
        after_first = poller.spin_skip
        skipped = [wait_alone(poller) for _ in range(_quiet.SPIN_BACK_OFF)]
        after_back_off = poller.spin_skip
        peer.sendall(b"x")
        return first, after_first, skipped, after_back_off, wait_alone(poller), poller.spin_skip

    first, after_first, skipped, after_back_off, found, last = trio.run(main)
    assert first is False
    assert after_first == _quiet.SPIN_BACK_OFF
    assert skipped == [False] * _quiet.SPIN_BACK_OFF
    assert after_back_off == 0
    assert found is True
    assert last == 0
    assert ours.recv(10) == b"x"


# Run by another process: says it is ready, waits for the go, sleeps 50 ms, writes one
# byte to the socket it is given, then stays until the go pipe closes, so that its exit
# does not take the CPU while the spin runs (descriptors: ready pipe, go pipe, socket).
WRITE_LATER = """
import os, sys, time
ready, go, sock = map(int, sys.argv[1:])
os.write(ready, b"r")
os.read(go, 1)
time.sleep(0.05)
os.write(sock, b"x")
os.read(go, 1)
"""


def thread_blocked() -> int:
    """How often this thread has blocked (voluntary context switches, ``/proc``)."""
    with open(f"/proc/self/task/{threading.get_native_id()}/status") as status:
        for line in status:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches")


class SteadyClock:
    """``perf_counter`` for the spin, 1 µs a call: the spin's own checks (ran out, was
    preempted) then never fire within a test's milliseconds, whatever else the machine
    runs, and what is left to see is whether it waits without blocking."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1e-6
        return self.now


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
@pytest.mark.parametrize("busy_poll", [2.0, 0.0])
def test_a_busy_poll_waits_through_the_clients_pause_without_blocking(
    long_waits: None,
    pair: tuple[socket.socket, socket.socket],
    busy_poll: float,
) -> None:
    """Bytes that another process writes 50 ms into the wait are found by the spin
    without the thread ever blocking (voluntary context switches, ``/proc``); without a
    spin the same wait blocks. Another process, since a thread of this one would need the
    GIL, which the spin takes back between its polls; started and ready before the wait,
    so that its start-up does not compete for the CPUs. The spin's clock is steady
    (:class:`SteadyClock`): the run-out and preemption checks, tested on their own above,
    would otherwise end the spin whenever the machine (pytest-xdist's other worker) takes
    this CPU, which is what they are for."""
    ours, peer = pair
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    fds = (ready_w, go_r, peer.fileno())
    writer = subprocess.Popen([sys.executable, "-c", WRITE_LATER, *map(str, fds)], pass_fds=fds)
    try:
        assert os.read(ready_r, 1) == b"r"

        async def main() -> tuple[bool, int, int]:
            await trio.testing.wait_all_tasks_blocked()
            poller = Poller(ours.fileno(), busy_poll=busy_poll)
            real_clock = time.perf_counter
            time.perf_counter = SteadyClock()  # the spin's clock, for this wait only
            try:
                os.write(go_w, b"g")
                before = thread_blocked()
                woke = wait_alone(poller)
                return woke, poller.spin_skip, thread_blocked() - before
            finally:
                time.perf_counter = real_clock

        woke, skip, blocked = trio.run(main)
    finally:
        os.close(go_w)  # the writer leaves
        writer.wait(timeout=10)
        for fd in (ready_r, ready_w, go_r):
            os.close(fd)
    assert ours.recv(10) == b"x"
    assert woke is True
    assert skip == 0
    if busy_poll:
        assert blocked == 0
    else:
        assert blocked >= 1


def test_a_spin_leaves_the_blocking_wait_only_what_remains(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """``_spin`` on a socket that stays quiet: 2 ms of a 10 ms wait spent spinning leave
    at most 8 ms to block for (never the whole wait again, which would run past the
    deadline the 10 ms came from), and start the back-off."""
    ours, _ = pair
    poll = select.poll()
    poll.register(ours.fileno(), select.POLLIN)
    poller = Poller(ours.fileno(), busy_poll=0.002)
    ready, left = poller._spin(poll, 10)
    assert ready == []
    assert left <= 8
    assert poller.spin_skip == _quiet.SPIN_BACK_OFF


def test_a_spin_that_loses_its_cpu_gives_up(
    monkeypatch: pytest.MonkeyPatch, pair: tuple[socket.socket, socket.socket]
) -> None:
    """One pass of the spin that took longer than ``PREEMPTED`` (the clock jumps 1 ms,
    as for a thread descheduled) ends a 10 s spin at once and starts the back-off."""
    ours, _ = pair
    poll = select.poll()
    poll.register(ours.fileno(), select.POLLIN)
    poller = Poller(ours.fileno(), busy_poll=10.0)
    ticks = iter([100.0, 100.0001, 100.0011])
    monkeypatch.setattr(_quiet.time, "perf_counter", lambda: next(ticks))
    ready, left = poller._spin(poll, 20_000)
    assert ready == []
    assert poller.spin_skip == _quiet.SPIN_BACK_OFF
    assert left >= 19_998  # 1.1 ms spent (rounded up) of the 20 s allowed


# -- end to end: the node, its transports, trio's I/O waits counted ------------------


class IoWaits(trio.abc.Instrument):
    """Counts trio's passes through its I/O wait (``epoll_wait``)."""

    def __init__(self) -> None:
        self.count = 0

    def before_io_wait(self, timeout: float) -> None:
        self.count += 1


def ipc_client(path: str, requests: int) -> list[bytes]:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        answers = []
        for _ in range(requests):
            sock.sendall(CALL + b"\n")
            buffer = b""
            while not buffer.endswith(b"\n"):
                buffer += sock.recv(65536)
            answers.append(buffer.rstrip(b"\n"))
        return answers


def http_client(port: int, requests: int) -> list[bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}
    answers = []
    try:
        for _ in range(requests):
            conn.request("POST", "/", CALL, headers)  # head and body: two writes
            answers.append(conn.getresponse().read())
    finally:
        conn.close()
    return answers


def ws_client(port: int, requests: int) -> list[bytes]:
    with ws_connect(f"ws://127.0.0.1:{port}") as ws:
        answers = []
        for _ in range(requests):
            ws.send(CALL.decode())
            answer = ws.recv()
            answers.append(answer.encode() if isinstance(answer, str) else answer)
        return answers


def sequential_client(node: Node, transport: str, requests: int) -> Callable[[], list[bytes]]:
    """``requests`` calls one after another to ``node`` over ``transport``, as a callable
    for a worker thread."""
    endpoints = node.endpoints
    assert endpoints is not None
    assert endpoints.ipc_path is not None
    ipc_path = endpoints.ipc_path
    port = int(endpoints.http_url.rsplit(":", 1)[1])
    clients: dict[str, Callable[[], list[bytes]]] = {
        "ipc": lambda: ipc_client(ipc_path, requests),
        "http": lambda: http_client(port, requests),
        "ws": lambda: ws_client(port, requests),
    }
    return clients[transport]


@pytest.fixture
def ipc_path() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="mnq")
    os.chmod(directory, 0o700)
    yield os.path.join(directory, "node.ipc")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("transport", ["ipc", "http", "ws"])
def test_a_sequential_client_costs_no_scheduler_pass_per_request(
    transport: str, ipc_path: str
) -> None:
    """200 requests one after another, each answered right, with far fewer trio I/O waits
    than requests: the reading task waited quietly for almost every next request (one
    checkpoint every few reads remains, by design). Waiting in trio instead costs at
    least one I/O wait per request (measured: 211 to 214 for these 200)."""
    requests = 200
    waits = IoWaits()

    async def main() -> tuple[list[bytes], int]:
        async with open_node(NodeConfig(port=0, ipc_path=ipc_path)) as node:
            client = sequential_client(node, transport, requests)
            await trio.to_thread.run_sync(client, abandon_on_cancel=False)  # warm-up
            trio.lowlevel.add_instrument(waits)
            try:
                answers = await trio.to_thread.run_sync(client)
            finally:
                trio.lowlevel.remove_instrument(waits)
            return answers, waits.count

    answers, count = trio.run(main)
    assert [json.loads(a) for a in answers] == [json.loads(ANSWER)] * requests
    assert count < requests / 3, count  # measured 17-33 under two CPU hogs


def read_calls() -> int:
    """This process's read-type system calls so far (``/proc/self/io``: ``read`` and
    ``readv``, which the node's ``os.read`` makes; the clients here receive with
    ``recv``/``recv_into``, which it does not count)."""
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("syscr:"):
                return int(line.split()[1])
    raise AssertionError("no syscr in /proc/self/io")


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux /proc/self/io")
@pytest.mark.parametrize("transport", ["ipc", "ws"])
def test_a_sequential_client_costs_one_read_per_request(transport: str, ipc_path: str) -> None:
    """The reading task waits first and reads after for a client whose last read found
    nothing: one ``read`` per request, not a failing one (EAGAIN) before the wait and a
    second after it (measured before the change: 598-599 for these 300 requests).

    IPC and WebSocket clients write each request at once. ``http.client`` writes the
    head and the body in two sends, so an HTTP request takes one read or two depending
    on whether the body is already there, which depends on the machine's load: the
    count could not tell the change from the timing."""
    requests = 300

    async def main() -> tuple[list[bytes], int]:
        async with open_node(NodeConfig(port=0, ipc_path=ipc_path)) as node:
            client = sequential_client(node, transport, requests)
            await trio.to_thread.run_sync(client)  # warm-up
            # The EVM import in the background reads files: done (or skipped) first.
            await trio.to_thread.run_sync(node.join_warm_up)
            before = read_calls()
            answers = await trio.to_thread.run_sync(client)
            return answers, read_calls() - before

    answers, reads = trio.run(main)
    assert [json.loads(a) for a in answers] == [json.loads(ANSWER)] * requests
    assert reads < requests * 1.25, reads


@pytest.mark.parametrize("busy_poll", [0.0042, 0.0])
def test_the_nodes_busy_poll_reaches_every_transports_connections(
    monkeypatch: pytest.MonkeyPatch, ipc_path: str, busy_poll: float
) -> None:
    """``NodeConfig.limits.busy_poll`` is what each IPC, HTTP and WebSocket connection's
    poller spins for (the ``mocknode`` command sets it from ``--busy-poll``), and 0 when
    not asked for. The pollers are the real ones, noted as they are made."""
    made: list[float] = []

    class Noted(Poller):
        __slots__ = ()

        def __init__(self, fd: int, busy_poll: float = 0.0) -> None:
            super().__init__(fd, busy_poll)
            made.append(busy_poll)

    monkeypatch.setattr(_conn, "Poller", Noted)
    limits = ConnLimits(busy_poll=busy_poll)

    async def main() -> list[list[bytes]]:
        async with open_node(NodeConfig(port=0, ipc_path=ipc_path, limits=limits)) as node:
            return [
                await trio.to_thread.run_sync(sequential_client(node, transport, 20))
                for transport in ("ipc", "http", "ws")
            ]

    answers = trio.run(main)
    assert [[json.loads(a) for a in each] for each in answers] == [[json.loads(ANSWER)] * 20] * 3
    assert made == [busy_poll] * 3


def test_a_busy_client_does_not_keep_another_waiting(ipc_path: str) -> None:
    """Two IPC clients: one sends without pause for as long as the other works; the
    other still gets all of its answers (the busy one's quiet waits give way to other
    clients' bytes, and a checkpoint comes every few reads)."""

    async def main() -> tuple[list[bytes], int]:
        async with open_node(NodeConfig(port=0, ipc_path=ipc_path)) as node:
            assert node.endpoints is not None
            assert node.endpoints.ipc_path == ipc_path
            done = threading.Event()
            busy_answers = [0]

            def busy() -> None:
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.connect(ipc_path)
                    while not done.is_set():
                        sock.sendall(CALL + b"\n")
                        buffer = b""
                        while not buffer.endswith(b"\n"):
                            buffer += sock.recv(65536)
                        busy_answers[0] += 1

            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.to_thread.run_sync, busy)
                with trio.fail_after(60):
                    answers = await trio.to_thread.run_sync(ipc_client, ipc_path, 300)
                done.set()
            return answers, busy_answers[0]

    answers, busy = trio.run(main)
    assert answers == [ANSWER] * 300
    assert busy > 0
