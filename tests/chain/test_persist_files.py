"""State files on disk: atomic replacement, stray temporaries, reading errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ChainConfig
from mocknode.persist.document import state_document
from mocknode.persist.errors import StateFileError
from mocknode.persist.files import (
    encode_document,
    load_state,
    read_state_file,
    remove_stale_temporaries,
    save_state,
    write_atomic,
)


def chain() -> Chain:
    return Chain(ChainConfig(clock=FixedClock()))


def temporaries(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_write_atomic_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomic(path, b"first")
    assert path.read_bytes() == b"first"
    os.chmod(path, 0o640)
    inode = path.stat().st_ino
    write_atomic(str(path), b"second")
    assert path.read_bytes() == b"second"
    assert path.stat().st_ino != inode  # a new file renamed over the old one
    assert path.stat().st_mode & 0o777 == 0o640
    assert temporaries(tmp_path) == []


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    write_atomic(path, b"complete")
    with pytest.raises(TypeError):
        write_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"complete"
    assert temporaries(tmp_path) == []


def test_stale_temporaries_of_that_path_only_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    mine = [tmp_path / ".state.json.abc123.tmp", tmp_path / ".state.json.x.tmp"]
    others = [tmp_path / ".other.json.abc.tmp", tmp_path / "state.json.tmp"]
    for stray in (*mine, *others):
        stray.write_bytes(b"half")
    assert sorted(remove_stale_temporaries(path)) == sorted(str(p) for p in mine)
    assert all(not p.exists() for p in mine)
    assert all(p.exists() for p in others)


def test_save_and_load_a_file_plain_or_gzipped(tmp_path: Path) -> None:
    source = chain()
    source.mine(3)
    path = tmp_path / "state.json"
    save_state(source, path)
    assert read_state_file(path)["format"] == "mocknode-state"
    target = chain()
    load_state(target, path)
    assert [b.hash for b in target.blocks] == [b.hash for b in source.blocks]

    zipped = tmp_path / "state.json.gz"
    zipped.write_bytes(encode_document(state_document(source), compress=True))
    again = chain()
    load_state(again, zipped)
    assert again.head.hash == source.head.hash


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "mocknode-state", "version": 1}')
    with pytest.raises(StateFileError, match=rf"^{path}: state: missing 'codes'$"):
        load_state(chain(), path)
    path.write_text("{")
    with pytest.raises(StateFileError, match=rf"^{path}: not a mocknode state: not JSON"):
        read_state_file(path)
    with pytest.raises(FileNotFoundError):
        read_state_file(tmp_path / "missing.json")
