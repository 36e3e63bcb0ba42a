"""Running ``mocknode`` as a user does: a subprocess, its stdout read line by line as it
comes (a reader thread keeps the pipe drained, so a node logging every request never
blocks on a full pipe), JSON-RPC over HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

LISTENING = re.compile(r"^Listening on http://([\d.]+):(\d+) ws://([\d.]+):(\d+)(?: ipc:(.+))?$")


class Server:
    """A running ``mocknode`` process and everything it printed so far."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = 0
        self.ipc_path: str | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for(self, match: Callable[[str], Any], timeout: float = 30) -> Any:
        """The first truthy ``match(line)`` over the lines printed, waiting for more."""
        deadline = time.monotonic() + timeout
        checked = 0
        with self._seen:
            while True:
                for line in self.lines[checked:]:
                    found = match(line)
                    if found:
                        return found
                checked = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"not printed; stdout so far: {self.lines}")
                self._seen.wait(left)

    def printed_after(self, count: int, settle: float = 0.3) -> list[str]:
        """Lines printed after the first ``count``, once output has been quiet a while."""
        time.sleep(settle)
        with self._seen:
            return self.lines[count:]

    def http(self, method: str, params: Any = None) -> Any:
        """The whole JSON-RPC response to one call."""
        return self.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})

    def rpc(self, method: str, params: Any = None) -> Any:
        """The ``result`` of one JSON-RPC call (asserting there is no error)."""
        answer = self.http(method, params)
        assert "error" not in answer, answer
        return answer["result"]

    def post(self, body: Any, headers: dict[str, str] | None = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mocknode", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def start(*args: str, env: dict[str, str] | None = None) -> Server:
    """``mocknode --port 0 ARGS``, once its ``Listening on`` line is out."""
    server = Server(spawn("--port", "0", *args, env=env))
    try:
        match = server.wait_for(LISTENING.match)
    except AssertionError:
        server.stop()
        stderr = server.proc.stderr.read() if server.proc.stderr else ""
        raise AssertionError(f"no Listening line; stdout={server.lines} stderr={stderr}") from None
    server.port = int(match.group(2))
    server.ipc_path = match.group(5)
    return server


def start_json(*args: str) -> tuple[Server, dict[str, Any]]:
    """``mocknode --json --port 0 ARGS`` and the banner object it printed first."""
    server = Server(spawn("--port", "0", "--json", *args))
    try:
        banner: dict[str, Any] = json.loads(server.wait_for(lambda line: line))
    except BaseException:
        server.stop()
        raise
    server.port = int(banner["http"].rsplit(":", 1)[1])
    server.ipc_path = banner["ipc"]
    return server, banner
