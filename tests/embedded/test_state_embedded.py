"""State on disk from Python: ``NodeConfig(load_state=, dump_state=, state_interval=)`` and
``node.dump_state`` / ``node.load_state``, on the threaded node and the trio node."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio
import trio.lowlevel
from web3 import HTTPProvider, Web3

from mocknode import ChainConfig, MockNode, NodeConfig, open_mocknode
from mocknode.persist.document import read_document
from mocknode.persist.errors import StateFileError
from mocknode.persist.files import read_state_file


def config(**options: object) -> NodeConfig:
    return NodeConfig(port=0, ipc_path=None, **options)  # type: ignore[arg-type]


def head_of(path: Path) -> tuple[int, bytes]:
    head = read_document(read_state_file(path), ChainConfig()).canon.head
    return head.number, head.hash


def send(node: MockNode) -> None:
    w3 = Web3(HTTPProvider(node.http_url))
    alice, bob = (w3.to_checksum_address(a.address) for a in node.accounts[:2])
    w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})


def test_saved_when_closed_and_loaded_when_started(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with MockNode(config(dump_state=str(path))) as node:
        send(node)
        head = node.with_chain(lambda chain: chain.head.hash)
        assert not path.exists()
    assert head_of(path) == (1, head)
    with MockNode(config(load_state=str(path))) as again:
        assert again.with_chain(lambda chain: chain.head.hash) == head


def test_dump_and_load_on_a_running_node(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with MockNode(config()) as source, MockNode(config()) as target:
        send(source)
        source.dump_state(path)
        target.mine(5)
        snap = target.snapshot()
        target.load_state(path)
        assert target.block_number() == 1
        assert target.with_chain(lambda c: c.head.hash) == source.with_chain(lambda c: c.head.hash)
        assert target.revert(snap) is False  # a load forgets the snapshots

        path.write_text('{"format": "mocknode-state", "version": 1}')
        with pytest.raises(StateFileError, match="missing 'codes'"):
            target.load_state(path)
        assert target.block_number() == 1  # nothing changed


def test_periodic_saves_while_running(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with MockNode(config(dump_state=str(path), state_interval=0.05)) as node:
        node.mine(3)
        deadline = time.monotonic() + 30
        while not (path.exists() and head_of(path)[0] == 3):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first = path.stat().st_mtime_ns
        time.sleep(0.3)  # nothing changed: nothing rewritten
        assert path.stat().st_mtime_ns == first


def test_a_state_interval_needs_somewhere_to_save() -> None:
    with pytest.raises(ValueError, match="state_interval needs a dump_state path"):
        MockNode(config(state_interval=1.0)).start()


@pytest.mark.trio
async def test_the_trio_node_saves_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    async with open_mocknode(config(dump_state=str(path))) as node:
        node.mine(2)
        await trio.lowlevel.checkpoint()
    assert head_of(path)[0] == 2
