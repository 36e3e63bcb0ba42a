"""IPC stream faults seen by web3.py's IPC providers (and a raw unix socket where the exact
bytes are the point): split replies, framing deviations, EOF mid-message, and the socket
file removed and recreated; each replayed from its seed."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from typing import Any

import pytest
import trio
from edge_helpers import closed, faults_of, fresh, journal, kinds, replayable, wait_until
from web3 import AsyncIPCProvider, AsyncWeb3, IPCProvider, Web3
from web3._utils.threads import Timeout
from web3.exceptions import TimeExhausted

IPC = {"transport": "ipc"}
CHAIN_ID = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}\n'
CHAIN_ID_REPLY = b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}\n'


# -- ipc_split ----------------------------------------------------------------------------


def test_split_reply_is_still_decoded(mocknode: Any, faults: Any) -> None:
    rule = {"match": IPC, "action": {"kind": "ipc_split", "max_chunk": 64, "seconds": 0.002}}

    def run() -> list[dict[str, Any]]:
        fresh(faults, 5, [rule])
        w3 = Web3(IPCProvider(mocknode.ipc_path, timeout=10))
        block = w3.eth.get_block("latest", full_transactions=False)
        assert block["number"] == 0
        assert w3.eth.chain_id == 31337
        w3.provider._socket.sock.close()
        wait_until(closed(faults, 1))
        return journal(faults)

    first = run()
    assert kinds(first) == [
        ("connect", None),
        ("request", None),
        ("fault", "ipc_split"),
        ("response", None),
        ("request", None),
        ("fault", "ipc_split"),
        ("response", None),
        ("close", None),
    ]
    assert replayable(run()) == replayable(first)


@pytest.mark.trio
async def test_split_pieces_have_seeded_sizes_and_pauses(
    mocknode: Any, faults: Any, autojump_clock: object
) -> None:
    rule = {"match": IPC, "action": {"kind": "ipc_split", "max_chunk": 8, "seconds": 0.5}}

    async def run(seed: int) -> tuple[list[int], list[float], list[dict[str, Any]]]:
        fresh(faults, seed, [rule])
        stream = await trio.open_unix_socket(mocknode.ipc_path)
        start = trio.current_time()
        await stream.send_all(CHAIN_ID)
        data = b""
        sizes: list[int] = []
        times: list[float] = []
        while not data.endswith(b"\n"):
            chunk = await stream.receive_some(65536)
            sizes.append(len(chunk))
            times.append(trio.current_time() - start)
            data += chunk
        assert data == CHAIN_ID_REPLY
        await stream.aclose()
        with trio.fail_after(5):
            while not closed(faults, 1)():  # noqa: ASYNC110
                await trio.sleep(0.01)
        return sizes, times, journal(faults)

    sizes, times, entries = await run(21)
    assert all(1 <= size <= 8 for size in sizes)
    assert len(set(sizes)) > 1  # seeded sizes, not equal pieces
    assert times == pytest.approx([0.5 * i for i in range(len(sizes))])
    # Same seed: the same pieces and, on trio's autojump clock, the very same journal.
    assert await run(21) == (sizes, times, entries)
    other, _, _ = await run(22)
    assert other != sizes


# -- ipc_framing --------------------------------------------------------------------------


def test_no_trailing_newline_sync_provider_copes(mocknode: Any, faults: Any) -> None:
    rule = {"match": IPC, "trigger": {"first": 1}, "action": {"kind": "ipc_framing"}}

    def run() -> list[dict[str, Any]]:
        fresh(faults, 1, [rule])
        w3 = Web3(IPCProvider(mocknode.ipc_path, timeout=10))
        # web3's sync provider reads until the bytes parse, newline or not
        assert w3.eth.chain_id == 31337
        assert w3.eth.block_number == 0
        w3.provider._socket.sock.close()
        wait_until(closed(faults, 1))
        return journal(faults)

    first = run()
    assert kinds(first)[1:4] == [("request", None), ("fault", "ipc_framing"), ("response", None)]
    assert replayable(run()) == replayable(first)


async def two_calls(provider: AsyncIPCProvider) -> None:
    async with AsyncWeb3(provider) as w3:
        # AsyncIPCProvider reads line by line: the reply without its newline is never read
        # on its own...
        with pytest.raises(TimeExhausted):
            await w3.eth.chain_id
        # ...and once the next reply ends the line, the two do not parse as one.
        await w3.eth.chain_id


@pytest.mark.asyncio
async def test_no_trailing_newline_breaks_the_async_provider(mocknode: Any, faults: Any) -> None:
    faults.add({"match": IPC, "trigger": {"first": 1}, "action": {"kind": "ipc_framing"}})
    provider = AsyncIPCProvider(mocknode.ipc_path, request_timeout=0.5)
    try:
        with pytest.raises(json.JSONDecodeError, match="Extra data") as raised:
            await two_calls(provider)
        assert '"id":0,"result":"0x7a69"}{"jsonrpc"' in str(raised.value)
    finally:
        await provider.disconnect()  # web3's exit re-raised the reader's error unclosed


@pytest.mark.asyncio
async def test_coalesced_replies_arrive_in_one_read(mocknode: Any, faults: Any) -> None:
    rule = {
        "match": IPC,
        "trigger": {"first": 1},
        "action": {"kind": "ipc_framing", "form": "coalesce"},
    }
    faults.add(rule)
    reader, writer = await asyncio.open_unix_connection(mocknode.ipc_path)
    writer.write(b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}\n')
    await writer.drain()
    with pytest.raises(TimeoutError):  # held back until the next message
        await asyncio.wait_for(reader.read(65536), 0.2)
    writer.write(b'{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}\n')
    await writer.drain()
    assert await asyncio.wait_for(reader.read(65536), 5) == (
        b'{"jsonrpc":"2.0","id":1,"result":"0x7a69"}\n{"jsonrpc":"2.0","id":2,"result":"0x0"}\n'
    )
    writer.close()
    await writer.wait_closed()


@pytest.mark.asyncio
async def test_coalesced_replies_are_split_by_the_async_provider(
    mocknode: Any, faults: Any
) -> None:
    rule = {
        "match": IPC,
        "trigger": {"first": 1},
        "action": {"kind": "ipc_framing", "form": "coalesce"},
    }

    async def run() -> list[dict[str, Any]]:
        fresh(faults, 9, [rule])
        async with AsyncWeb3(AsyncIPCProvider(mocknode.ipc_path, request_timeout=5)) as w3:
            # two requests in flight: the first reply is held and written with the second
            assert await asyncio.gather(w3.eth.chain_id, w3.eth.block_number) == [31337, 0]
        await asyncio.to_thread(wait_until, closed(faults, 1))
        return journal(faults)

    first = await run()
    assert kinds(first) == [
        ("connect", None),
        ("request", None),
        ("fault", "ipc_framing"),
        ("request", None),
        ("response", None),
        ("close", None),
    ]
    assert replayable(await run()) == replayable(first)


# -- ipc_eof ------------------------------------------------------------------------------


def test_eof_mid_message_sync_provider_times_out_then_reconnects(
    mocknode: Any, faults: Any
) -> None:
    rule = {"match": IPC, "trigger": {"first": 1}, "action": {"kind": "ipc_eof", "after_bytes": 10}}

    def run() -> list[dict[str, Any]]:
        fresh(faults, 2, [rule])
        w3 = Web3(IPCProvider(mocknode.ipc_path, timeout=0.3))
        start = time.monotonic()
        # web3's sync provider does not notice EOF: it waits out its whole timeout
        with pytest.raises(Timeout):
            _ = w3.eth.chain_id
        assert time.monotonic() - start >= 0.3
        assert w3.eth.chain_id == 31337  # a new socket
        w3.provider._socket.sock.close()
        wait_until(closed(faults, 2))
        return journal(faults)

    first = run()
    assert kinds(first) == [
        ("connect", None),
        ("request", None),
        ("fault", "ipc_eof"),
        ("response", None),
        ("close", None),
        ("connect", None),
        ("request", None),
        ("response", None),
        ("close", None),
    ]
    assert first[3]["size"] == 10
    assert replayable(run()) == replayable(first)


@pytest.mark.asyncio
async def test_eof_mid_message_async_provider_raises_on_the_partial_json(
    mocknode: Any, faults: Any
) -> None:
    rule = {"match": IPC, "trigger": {"first": 1}, "action": {"kind": "ipc_eof", "after_bytes": 10}}
    faults.add(rule)
    provider = AsyncIPCProvider(mocknode.ipc_path, request_timeout=5)
    try:
        with pytest.raises(
            json.JSONDecodeError, match=re.escape("Could not decode '{\"jsonrpc\"'")
        ):
            async with AsyncWeb3(provider) as w3:
                await w3.eth.chain_id
    finally:
        await provider.disconnect()  # web3's exit re-raised the reader's error unclosed


# -- ipc_recreate -------------------------------------------------------------------------


def test_socket_file_removed_and_recreated(mocknode: Any, faults: Any) -> None:
    downtime = 0.5
    rule = {
        "match": IPC,
        "trigger": {"first": 1},
        "action": {"kind": "ipc_recreate", "seconds": downtime},
    }

    def run() -> list[dict[str, Any]]:
        fresh(faults, 4, [rule])
        w3 = Web3(IPCProvider(mocknode.ipc_path, timeout=0.2))
        start = time.monotonic()
        with pytest.raises(Timeout):  # the connection closed without an answer
            _ = w3.eth.chain_id
        with pytest.raises(FileNotFoundError):  # the socket file is gone meanwhile
            _ = w3.eth.chain_id
        clients: list[Web3] = []

        def served() -> bool:
            # a new client per attempt: attempts that never reach the node (no file yet, or
            # not listening yet) must not shift the JSON-RPC ids the journal records
            clients.append(Web3(IPCProvider(mocknode.ipc_path, timeout=2)))
            try:
                return bool(clients[-1].eth.chain_id == 31337)
            except (FileNotFoundError, ConnectionRefusedError):
                return False

        wait_until(served)  # recreated: a new connection is served
        assert time.monotonic() - start >= downtime
        clients[-1].provider._socket.sock.close()
        wait_until(closed(faults, 2))
        return journal(faults)

    first = run()
    assert kinds(first) == [
        ("connect", None),
        ("request", None),
        ("fault", "ipc_recreate"),
        ("close", None),
        ("connect", None),
        ("request", None),
        ("response", None),
        ("close", None),
    ]
    assert first[4]["time"] - first[2]["time"] >= downtime
    assert replayable(run()) == replayable(first)
    assert len(faults_of(first, "ipc_recreate")) == 1


def read_lines(sock: socket.socket, count: int) -> list[bytes]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        assert chunk, "EOF"
        data += chunk
    return data.splitlines()


def test_a_held_reply_goes_out_alone_when_the_faults_are_disarmed(mocknode: Any) -> None:
    coalesce = {"trigger": {"first": 1}, "action": {"kind": "ipc_framing", "form": "coalesce"}}
    mocknode.faults.add({"match": IPC, **coalesce})
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(mocknode.ipc_path)
        sock.sendall(CHAIN_ID)
        wait_until(lambda: mocknode.faults.list()[0].fired == 1)
        mocknode.faults.clear()  # no rule, no recording: nothing would release it
        assert read_lines(sock, 1) == [CHAIN_ID_REPLY.rstrip(b"\n")]


def test_a_held_reply_goes_first_when_the_next_is_delayed(mocknode: Any, faults: Any) -> None:
    faults.add(
        {
            "match": IPC,
            "trigger": {"first": 1},
            "action": {"kind": "ipc_framing", "form": "coalesce"},
        }
    )
    faults.add(
        {
            "match": {"transport": "ipc", "method": "eth_blockNumber"},
            "action": {"kind": "delay", "seconds": 0.2},
        }
    )
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(mocknode.ipc_path)
        sock.sendall(CHAIN_ID)
        start = time.monotonic()
        sock.sendall(b'{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}\n')
        assert read_lines(sock, 1) == [CHAIN_ID_REPLY.rstrip(b"\n")]
        assert time.monotonic() - start < 0.2
        assert read_lines(sock, 1) == [b'{"jsonrpc":"2.0","id":2,"result":"0x0"}']
        assert time.monotonic() - start >= 0.2
