"""The CLI's safe defaults and limit flags (issue 11, points 4 and 5), as a user runs it."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest
from cli_helpers import start

from mocknode.chain.logs.query import DEFAULT_FILTER_TIMEOUT
from mocknode.cli import build_parser, config_from_args
from mocknode.io.limits import ConnLimits
from mocknode.wire.http import LOCAL_HOSTS, LOCAL_ORIGINS

WARNING = "not a loopback address"


def _stderr_after_stop(server: Any) -> str:
    server.stop()
    assert server.proc.stderr is not None
    return str(server.proc.stderr.read())


def test_binding_all_interfaces_warns_on_stderr() -> None:
    server = start("--no-ipc", "--host", "0.0.0.0", "--silent")
    assert server.rpc("eth_chainId") == "0x7a69"
    stderr = _stderr_after_stop(server)
    assert "listening on 0.0.0.0, not a loopback address" in stderr
    assert "unlocked dev accounts" in stderr


def test_the_default_bind_is_loopback_and_quiet() -> None:
    server = start("--no-ipc", "--silent")
    assert server.lines[-1].startswith("Listening on http://127.0.0.1:")
    assert WARNING not in _stderr_after_stop(server)


def _keys(server: Any) -> list[str]:
    """The private keys of the banner."""
    start_at = server.lines.index("Private Keys") + 2
    keys = []
    for line in server.lines[start_at:]:
        if not line.startswith("("):
            break
        keys.append(line.split(" ", 1)[1])
    return keys


def test_private_keys_are_printed_in_the_banner_only() -> None:
    server = start("--no-ipc")
    keys = _keys(server)
    assert len(keys) == 10
    banner_lines = len(server.lines)
    sender = server.rpc("eth_accounts")[0]
    tx = {"from": sender, "to": sender, "value": "0x1"}
    server.rpc("eth_sendTransaction", [tx])
    server.rpc("eth_sign", [sender, "0x00"])
    server.http("eth_sendRawTransaction", ["0x00"])  # an error answer, logged
    later = server.printed_after(banner_lines)
    stderr = _stderr_after_stop(server)
    assert later  # the request log printed the methods
    for key in keys:
        assert all(key[2:] not in line for line in later)
        assert key[2:] not in stderr


def _status(port: int, host: str, origin: str | None = None) -> tuple[int, dict[str, str]]:
    """The status and headers of an eth_chainId call (a 403 must carry geth's text)."""
    code, headers, body = _call(port, host, origin)
    if code == 403:
        assert body == b"invalid host specified\n"
    return code, headers


def _call(port: int, host: str, origin: str | None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
        headers={
            "Content-Type": "application/json",
            "Host": host,
            **({"Origin": origin} if origin else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_allow_host_extends_the_host_list() -> None:
    with start("--no-ipc", "--allow-host", "devbox.lan") as server:
        assert _status(server.port, "devbox.lan")[0] == 200
        assert _status(server.port, "localhost")[0] == 200
        assert _status(server.port, "evil.example")[0] == 403
    with start("--no-ipc") as server:
        assert _status(server.port, "devbox.lan")[0] == 403
    with start("--no-ipc", "--allow-host", "*") as server:
        assert _status(server.port, "evil.example")[0] == 200


def test_allow_origin_also_governs_websocket_upgrades() -> None:
    with start("--no-ipc", "--allow-origin", "https://app.example") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\nOrigin: http://localhost:3000\r\n\r\n"
            )
            assert sock.recv(65536).startswith(b"HTTP/1.1 403 Forbidden\r\n")
        status, headers = _status(server.port, "localhost", "https://app.example")
        assert status == 200
        assert headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_limit_flags_reach_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--max-body-size", "1000",
            "--max-header-size", "2000",
            "--max-message-size", "3000",
            "--rpc.batch-request-limit", "7",
            "--batch-response-max-size", "0x100",
            "--max-connections", "9",
            "--max-connections-per-address", "4",
            "--read-timeout", "2.5",
            "--idle-timeout", "0",
            "--write-timeout", "3",
            "--max-send-queue", "4096",
            "--max-subscriptions", "5",
            "--filter-timeout", "60",
            "--allow-origin", "HTTPS://App.Example",
            "--allow-origin", "http://localhost:3000",
            "--allow-host", "DevBox",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.limits == ConnLimits(
        max_queued_bytes=4096,
        write_timeout=3.0,
        read_timeout=2.5,
        idle_timeout=None,
        max_connections=9,
        max_connections_per_address=4,
        busy_poll=200e-6,  # the command's own default (tests/cli/test_busy_poll.py)
    )
    http = config.http
    assert (http.max_body, http.max_header_bytes, http.max_ws_message) == (1000, 2000, 3000)
    assert http.cors_origins == http.ws_origins == ("https://app.example", "http://localhost:3000")
    assert http.allowed_hosts == ("localhost", "devbox")
    assert (config.batch_limit, config.batch_response_limit) == (7, 256)
    assert (config.max_subscriptions, config.filter_timeout) == (5, 60.0)


def test_defaults_are_geths_and_local() -> None:
    config = config_from_args(build_parser().parse_args([]))
    # The Python API's limits, but for the command's busy poll (tests/cli/test_busy_poll.py).
    assert config.limits == ConnLimits(busy_poll=200e-6)
    assert config.limits.read_timeout == 30.0
    assert config.limits.idle_timeout == 120.0
    assert config.http.cors_origins == config.http.ws_origins == LOCAL_ORIGINS
    assert config.http.allowed_hosts == LOCAL_HOSTS
    assert (config.batch_limit, config.batch_response_limit) == (1000, 25_000_000)
    assert config.filter_timeout == DEFAULT_FILTER_TIMEOUT == 300.0
    assert config.host == "127.0.0.1"


@pytest.mark.parametrize("flag", ["--read-timeout", "--filter-timeout"])
def test_negative_timeouts_are_refused(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([flag, "-1"])
    assert "must be 0 (off) or a positive number of seconds" in capsys.readouterr().err


def test_help_documents_every_limit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    for flag in (
        "--allow-origin",
        "--allow-host",
        "--max-body-size",
        "--max-header-size",
        "--max-message-size",
        "--batch-request-limit",
        "--batch-response-max-size",
        "--max-connections",
        "--max-connections-per-address",
        "--read-timeout",
        "--idle-timeout",
        "--write-timeout",
        "--max-send-queue",
        "--max-subscriptions",
        "--filter-timeout",
    ):
        assert flag in text
    assert json.dumps("docs/limits.md")[1:-1] in text
