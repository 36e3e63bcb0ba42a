"""``mocknode --busy-poll``: after each answer the command polls the connection without
blocking for a while (``mocknode.io._quiet``), so a client that sends again at once is
read without the node's CPU going idle. Checked on the real command: the flag's values
and answers that stay right whatever the client's pace, on every transport. The spin
itself is tested in ``tests/io/test_quiet_wait.py`` (on a steady clock: whether it
blocks depends on what else the machine runs, by design) and measured by the
benchmark's IPC row, not here.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from cli_helpers import Server, start
from websockets.sync.client import connect as ws_connect

from mocknode.cli import DEFAULT_BUSY_POLL_US, build_parser, config_from_args

CALL = {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []}


def test_the_flag_sets_the_connections_busy_poll() -> None:
    parser = build_parser()
    assert DEFAULT_BUSY_POLL_US == 200
    default = config_from_args(parser.parse_args(["--no-ipc"]))
    assert default.limits.busy_poll == pytest.approx(200e-6)
    assert config_from_args(parser.parse_args(["--busy-poll", "0"])).limits.busy_poll == 0
    assert config_from_args(
        parser.parse_args(["--busy-poll", "5000"])
    ).limits.busy_poll == pytest.approx(5e-3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "must be at least 0"),
        ("5001", "at most 5000 microseconds"),
        ("fast", "not an integer"),
    ],
)
def test_values_out_of_range_are_refused(value: str, message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc", "--busy-poll", value],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2
    assert f"argument --busy-poll: {message}" in run.stderr


def test_the_embedded_node_does_not_spin() -> None:
    """A node served from a thread of a process with other Python work (MockNode, the
    pytest plugin) would hold the GIL while it spins: off unless asked for."""
    from mocknode.node import NodeConfig

    assert NodeConfig().limits.busy_poll == 0.0


@pytest.fixture(scope="module")
def spinning(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The command with its default spin (200 µs): back-to-back calls come within it,
    the 5 ms pauses outlast it and start its back-off."""
    ipc = str(tmp_path_factory.mktemp("bp") / "node.ipc")
    server = start("--ipc-path", ipc, "--silent")
    try:
        yield server
    finally:
        server.stop()


def paced(send: Callable[[bytes], bytes], requests: int) -> list[dict[str, object]]:
    """Sequential calls, most at once, every fifth after a 5 ms pause (past the spin,
    which then runs out and backs off), with their ids checked in order."""
    answers = []
    for number in range(requests):
        if number % 5 == 4:
            time.sleep(0.005)
        answer = json.loads(send(json.dumps({**CALL, "id": number}).encode()))
        assert answer["id"] == number
        answers.append(answer)
    return answers


def ipc_sender(path: str) -> tuple[socket.socket, Callable[[bytes], bytes]]:
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    buffer = b""

    def send(body: bytes) -> bytes:
        nonlocal buffer
        sock.sendall(body + b"\n")
        while b"\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, "the node closed the connection"
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        return line

    return sock, send


def http_sender(port: int) -> tuple[socket.socket, Callable[[bytes], bytes]]:
    """Keep-alive HTTP/1.1 by hand: one write per request, the answer read by its length."""
    sock = socket.create_connection(("127.0.0.1", port))
    buffer = b""

    def send(body: bytes) -> bytes:
        nonlocal buffer
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        top, buffer = buffer.split(b"\r\n\r\n", 1)
        assert top.startswith(b"HTTP/1.1 200 "), top
        length = next(
            int(line.split(b":", 1)[1])
            for line in top.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(buffer) < length:
            buffer += sock.recv(65536)
        answer, buffer = buffer[:length], buffer[length:]
        return answer

    return sock, send


@pytest.mark.parametrize("transport", ["ipc", "http", "ws"])
def test_answers_stay_right_at_any_pace(spinning: Server, transport: str) -> None:
    requests = 200
    expected = {"jsonrpc": "2.0", "result": "0x0"}
    if transport == "ws":
        with ws_connect(f"ws://127.0.0.1:{spinning.port}") as ws:

            def send(body: bytes) -> bytes:
                ws.send(body.decode())
                answer = ws.recv()
                return answer.encode() if isinstance(answer, str) else answer

            answers = paced(send, requests)
    else:
        assert spinning.ipc_path is not None
        sock, send = (
            ipc_sender(spinning.ipc_path) if transport == "ipc" else http_sender(spinning.port)
        )
        with sock:
            answers = paced(send, requests)
    assert [{k: v for k, v in a.items() if k != "id"} for a in answers] == [expected] * requests
