"""A mocknode in a subprocess for the fuzz and property suites, and a bare JSON-RPC client.

A subprocess, not the in-process ``MockNode``: a request that never ends (the failure these
suites hunt for) would otherwise hang the test process with it. Here the client's socket
timeout fails the example with a reproducer, and the fixture starts a new node for the next
test. The client is ``http.client`` keep-alive with pre-encoded bodies, so what is measured
and fuzzed is the node, not a client library's formatting.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

LISTENING = re.compile(r"Listening on http://([\d.]+):(\d+) ws://[\d.]+:\d+(?: ipc:(.+))?$")


class NodeHung(AssertionError):
    """The node did not answer in bounded time, or its connection broke."""


class SubprocessNode:
    """``python -m mocknode`` on a free port (and an IPC path), stopped by :meth:`stop`."""

    def __init__(self, ipc_path: Path, *extra: str) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        argv = [sys.executable, "-m", "mocknode", "--host", "127.0.0.1", "--port", "0"]
        argv += ["--ipc-path", str(ipc_path), "--silent", *extra]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.lines: list[str] = []
        self.port = 0
        self.ipc_path = str(ipc_path)
        found = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(line)
                match = LISTENING.search(line)
                if match and not found.is_set():
                    self.port = int(match.group(2))
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            self.stop()
            raise RuntimeError(f"mocknode did not start: {self.lines}")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class RpcClient:
    """One keep-alive HTTP connection; every call bounded by ``timeout`` seconds."""

    def __init__(self, port: int, timeout: float = 15.0) -> None:
        self.port = port
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def post(self, body: bytes) -> tuple[int, bytes]:
        """POST ``body``; (status, reply bytes). Raises :class:`NodeHung` past the timeout."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.monotonic()
        try:
            self._conn.request("POST", "/", body, {"Content-Type": "application/json"})
            reply = self._conn.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            took = time.monotonic() - started
            raise NodeHung(f"{type(exc).__name__} after {took:.1f}s: {body[:2000]!r}") from None
        if reply.getheader("Connection", "").lower() == "close":
            self.close()
        return reply.status, data

    def request(self, method: str, params: Any) -> dict[str, Any]:
        """The JSON-RPC response object for one call (HTTP status must be 200)."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method}
        if params is not _ABSENT:
            body["params"] = params
        encoded = json.dumps(body).encode()
        status, data = self.post(encoded)
        assert status == 200, (status, data[:500], encoded[:2000])
        reply = json.loads(data)
        assert isinstance(reply, dict), reply
        assert reply.get("id") == body["id"], (reply, body)
        return reply

    def call(self, method: str, *params: Any) -> Any:
        reply = self.request(method, list(params))
        assert "error" not in reply, (method, params, reply)
        return reply["result"]


_ABSENT: Any = object()
ABSENT = _ABSENT  # a request without a ``params`` member


@contextlib.contextmanager
def running_node(ipc_path: Path, *extra: str) -> Any:
    node = SubprocessNode(ipc_path, *extra)
    try:
        yield node
    finally:
        node.stop()
