"""The nodes under test: mocknode and anvil as separate processes, eth-tester in-process.

Every process spawned here is registered and killed on exit (``atexit`` and the callers'
``finally``), and every wait is bounded in time. Only 127.0.0.1 and unix sockets are used.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from bench.clients import HttpTransport, InProcessRpc, IpcTransport, Rpc, SocketRpc, WsTransport

HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0

# The dev mnemonic's account #2, the same on anvil and mocknode; it signs raw transactions.
DEV_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"

_spawned: list[subprocess.Popen[bytes]] = []


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, **kwargs)
    _spawned.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate one process we spawned (SIGTERM, then SIGKILL after 5 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    with contextlib.suppress(ValueError):
        _spawned.remove(proc)


@atexit.register
def stop_all() -> None:
    for proc in list(_spawned):
        with contextlib.suppress(Exception):
            stop(proc)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def as_int(value: Any) -> int:
    """A JSON-RPC quantity: hex over the sockets, sometimes a plain int from eth-tester."""
    return int(value, 16) if isinstance(value, str) else int(value)


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(rest.split()[0]) * 1024
    return found


class Peer:
    """One node: its RPC connections per transport and what workloads need to know."""

    name: str
    transports: frozenset[str]
    pid: int | None = None
    in_process = False

    def __init__(self) -> None:
        self._rpcs: dict[str, Rpc] = {}
        self.accounts: list[str] = []
        self.chain_id = 0
        self.raw_key = DEV_KEY_2  # signs eth_sendRawTransaction; sent from accounts[2]

    def rpc(self, transport: str) -> Rpc:
        if transport not in self._rpcs:
            self._rpcs[transport] = self._open(transport)
        return self._rpcs[transport]

    @property
    def setup(self) -> Rpc:
        """The connection for set-up calls, never timed."""
        return self.rpc(self.default_transport)

    @property
    def default_transport(self) -> str:
        return "http"

    def _open(self, transport: str) -> Rpc:
        raise NotImplementedError

    def _learn(self) -> None:
        self.accounts = list(self.setup.call("eth_accounts", []))
        self.chain_id = as_int(self.setup.call("eth_chainId", []))

    def mine_request(self, blocks: int) -> tuple[str, list[Any]]:
        return "anvil_mine", [hex(blocks)]

    def close(self) -> None:
        for rpc in self._rpcs.values():
            with contextlib.suppress(Exception):
                rpc.close()
        self._rpcs.clear()


class ProcessPeer(Peer):
    transports = frozenset({"http", "ws", "ipc"})

    def __init__(
        self,
        name: str,
        proc: subprocess.Popen[bytes],
        port: int,
        ipc_path: str,
        stderr_path: Path,
    ) -> None:
        super().__init__()
        self.name = name
        self.proc = proc
        self.pid = proc.pid
        self.argv = [str(a) for a in proc.args] if isinstance(proc.args, list) else []
        self.port = port
        self.ipc_path = ipc_path
        self.stderr_path = stderr_path
        self.reader: threading.Thread | None = None  # drains stdout, when piped

    def _open(self, transport: str) -> Rpc:
        if transport == "http":
            return SocketRpc(HttpTransport(HOST, self.port))
        if transport == "ws":
            return SocketRpc(WsTransport(f"ws://{HOST}:{self.port}"))
        if transport == "ipc":
            return SocketRpc(IpcTransport(self.ipc_path))
        raise ValueError(f"{self.name} has no {transport!r} transport")

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            tail = self.stderr_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{tail}")

    def close(self) -> None:
        super().close()
        stop(self.proc)
        if self.reader is not None:
            self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _drain(stream: IO[bytes]) -> None:
    for _ in iter(stream.readline, b""):
        pass


_LISTENING = re.compile(rb"Listening on http://([\d.]+):(\d+) ws://\S+ ipc:(\S+)")


def start_mocknode(workdir: Path, name: str = "mocknode") -> ProcessPeer:
    """``python -m mocknode --port 0 --ipc-path ...``; ready at its ``Listening on`` line."""
    ipc_path = str(workdir / f"{name}.ipc")
    stderr_path = workdir / f"{name}.stderr"
    with stderr_path.open("wb") as stderr:
        proc = spawn(
            [
                sys.executable,
                "-m",
                "mocknode",
                "--host",
                HOST,
                "--port",
                "0",
                "--ipc-path",
                ipc_path,
                "--silent",  # as anvil's --quiet: no banner, no line per request
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    assert proc.stdout is not None
    found: list[re.Match[bytes]] = []

    def read_banner() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            match = _LISTENING.search(line)
            if match:
                found.append(match)
                break
        _drain(proc.stdout)  # nothing more is expected; never let the pipe fill up

    reader = threading.Thread(target=read_banner, name="mocknode-stdout", daemon=True)
    reader.start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not found and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    peer = ProcessPeer(name, proc, 0, ipc_path, stderr_path)
    peer.reader = reader
    if not found:
        peer.close()
        raise RuntimeError(
            "mocknode printed no 'Listening on' line in time:\n"
            + stderr_path.read_text(errors="replace")[-2000:]
        )
    peer.port = int(found[0].group(2))
    peer.ipc_path = found[0].group(3).decode()
    peer._learn()
    return peer


def mocknode_cli_argv(port: int) -> list[str]:
    """The CLI as the start-up workload runs it: no IPC, like anvil without ``--ipc``."""
    argv = [sys.executable, "-m", "mocknode", "--host", HOST, "--port", str(port), "--no-ipc"]
    return [*argv, "--silent"]  # as anvil's --quiet (anvil_argv)


def anvil_argv(anvil: str, port: int, ipc_path: str | None = None) -> list[str]:
    # --quiet: no banner and no line per request, as mocknode's --silent (both nodes log
    # each request by default: a flushed write per request, which the bench must not time).
    argv = [anvil, "--host", HOST, "--port", str(port), "--quiet"]
    if ipc_path is not None:
        argv += ["--ipc", ipc_path]
    return argv


def wait_http_ready(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll ``eth_blockNumber`` until it answers (every 2 ms), the process dies, or time's up."""
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before answering")
        transport = HttpTransport(HOST, port)
        try:
            if b'"result"' in transport.send(body):
                return
        except OSError:
            pass
        finally:
            transport.close()
        time.sleep(0.002)
    raise RuntimeError(f"no answer on port {port} within {timeout_s:.0f} s")


def start_anvil(anvil: str, workdir: Path) -> ProcessPeer:
    """anvil on a free port (it needs a real one) with IPC; ready when HTTP and IPC answer."""
    ipc_path = str(workdir / "anvil.ipc")
    stderr_path = workdir / "anvil.stderr"
    port = free_port()
    with stderr_path.open("wb") as stderr:
        proc = spawn(anvil_argv(anvil, port, ipc_path), stdout=subprocess.DEVNULL, stderr=stderr)
    peer = ProcessPeer("anvil", proc, port, ipc_path, stderr_path)
    try:
        wait_http_ready(port, proc, READY_TIMEOUT_S)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not os.path.exists(ipc_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        peer._learn()
    except BaseException:
        peer.close()
        raise
    return peer


def anvil_version(anvil: str) -> str:
    out = subprocess.run([anvil, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "?"


class EthTesterPeer(Peer):
    """eth-tester (py-evm backend) in this process, through web3's ``EthereumTesterProvider``."""

    name = "eth-tester"
    transports = frozenset({"inproc"})
    in_process = True

    def __init__(self) -> None:
        super().__init__()
        from web3 import EthereumTesterProvider, Web3
        from web3.datastructures import NamedElementOnion

        self.provider = EthereumTesterProvider()
        self.w3 = Web3(self.provider)
        # The provider's own formatting middleware only, none of web3's default stack.
        request = self.provider.request_func(self.w3, NamedElementOnion([]))
        self._inproc = InProcessRpc(request)
        self._learn()
        tester: Any = self.provider.ethereum_tester
        key = tester.backend.account_keys[2]
        self.raw_key = "0x" + bytes(key.to_bytes()).hex()

    @property
    def default_transport(self) -> str:
        return "inproc"

    def _open(self, transport: str) -> Rpc:
        return self._inproc

    def mine_request(self, blocks: int) -> tuple[str, list[Any]]:
        return "evm_mine", [blocks]
