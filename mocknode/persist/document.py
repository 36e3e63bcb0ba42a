"""A whole chain as one versioned JSON document, and a chain rebuilt from one.

What a document holds (version 1; ``docs/state-and-time.md`` shows it field by field):
every block with its receipts, the state commit each block ended on, every state commit
(blocks and dev edits between them) as a diff, the codes, the pool (with its order and
holds), time travel (and a virtual clock's ``now``), and the chain's own settings
(chain id, coinbase, gas limit and any other :class:`ChainConfig` field that is not the
node's: see :data:`NODE_SETTINGS`), and the environment cheats' settings that live on
the chain (:class:`~mocknode.chain.devenv.DevEnv`: the next block's base fee and
prevRandao, the timestamp interval; a document without them, from before they were
saved, loads with none). Snapshots, filters and subscriptions are not
saved; mining mode, impersonation and the dev accounts are the loading node's.

Why replay diffs rather than keep only the latest state (anvil's way) or re-execute the
transactions: replaying commits is what :mod:`mocknode.chain.branch` already does to
put a branch back, it costs no EVM, and it rebuilds the *history* as well, so reads at
old blocks, proofs and every state root come back identical. Each block's state root
is checked as the replay passes it, and each block's transaction and receipt roots
against its body, so a damaged file fails with the block it breaks at.

Versions: ``"format": "mocknode-state"`` and an integer ``"version"``. A reader per
version (:data:`READERS`) turns a document into a :class:`Restored`; a newer version
than this mocknode knows fails with a message saying so and which mocknode wrote it,
as does anvil's format, so nothing is ever half-read. Loading is all or nothing: the
chain is only touched once the whole document has been read and checked.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any

from mocknode import values
from mocknode.chain.canon import Canon
from mocknode.chain.chain import Chain
from mocknode.chain.clock import TimeState, VirtualClock
from mocknode.chain.config import ChainConfig
from mocknode.chain.devenv import DevEnv
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH
from mocknode.chain.records import Block, Tx
from mocknode.chain.state.world import WorldState
from mocknode.chain.tx.pool import Hold, Pool
from mocknode.persist.codec import (
    block_value,
    diff_value,
    field,
    hex_bytes,
    hex_quantity,
    read_address,
    read_block,
    read_bytes,
    read_codes,
    read_dict,
    read_diff,
    read_hash,
    read_int,
    read_list,
    read_quantity,
    read_tx,
    tx_value,
)
from mocknode.persist.errors import StateFileError
from mocknode.types import Address, Hash32
from mocknode.values import dataclass

FORMAT = "mocknode-state"
VERSION = 1

# ChainConfig fields that belong to the node, not to the chain: a loaded state keeps the
# loading node's (its dev accounts and keys, mining mode, clock, impersonation). Every
# other field (chain id, coinbase, gas limit ... and fields added later) is saved and
# restored, since the blocks were made with it.
NODE_SETTINGS = frozenset(
    {
        "accounts",
        "balance",
        "mnemonic",
        "automine",
        "auto_impersonate",
        "clock",
        "extra_alloc",
        "genesis",
    }
)


@functools.cache
def mocknode_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mocknode")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


# -- writing ------------------------------------------------------------------------------


def state_document(chain: Chain) -> dict[str, Any]:
    """Everything :func:`load_document` needs to make another chain this one. Built from
    fresh JSON values only, so it can be encoded on another thread while the chain moves
    on."""
    canon, state, pool = chain.canon, chain.state, chain.pool
    diffs = state.diffs_after(-1)
    reader = state.reader()
    code_hashes: dict[bytes, None] = {}
    for diff in diffs:
        for account in diff.accounts.values():
            if account is not None and account.code_hash != EMPTY_CODE_HASH:
                code_hashes[account.code_hash] = None
    time = chain.time.capture()
    clock = chain.time.clock
    holds: dict[str, list[int | None]] = {}
    if pool.holding:
        for tx in pool:
            hold = pool.held(tx.hash)
            if hold is not None:
                holds[hex_bytes(tx.hash)] = [hold.not_before_block, hold.not_before_timestamp]
    return {
        "format": FORMAT,
        "version": VERSION,
        "written_by": f"mocknode {mocknode_version()}",
        "chain": _config_value(chain.config),
        "dev_env": _dev_env_value(chain.dev_env),
        "time": {
            "offset": time.offset,
            "jump": time.jump,
            "next_timestamp": time.next_timestamp,
            "virtual_now": clock.now if isinstance(clock, VirtualClock) else None,
        },
        "codes": {hex_bytes(h): hex_bytes(reader.code(h)) for h in code_hashes},
        "commits": [diff_value(diff) for diff in diffs],
        "blocks": [
            block_value(block, commit)
            for block, commit in zip(canon.blocks, canon.commits, strict=True)
        ],
        "pool": {
            "txs": [tx_value(tx) for tx in pool],
            "senders": [hex_bytes(sender) for sender in pool.senders()],
            "holds": holds,
        },
    }


def _dev_env_value(dev: DevEnv) -> dict[str, Any]:
    return {
        "next_base_fee": None if dev.next_base_fee is None else hex_quantity(dev.next_base_fee),
        "next_prev_randao": (
            None if dev.next_prev_randao is None else hex_bytes(dev.next_prev_randao)
        ),
        "timestamp_interval": (
            None if dev.timestamp_interval is None else hex_quantity(dev.timestamp_interval)
        ),
    }


def _config_value(config: ChainConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in values.fields(config):
        if f.name in NODE_SETTINGS:
            continue
        value = getattr(config, f.name)
        if value is None or isinstance(value, (bool, str)):
            out[f.name] = value
        elif isinstance(value, int):
            out[f.name] = hex_quantity(value)
        elif isinstance(value, bytes):
            out[f.name] = hex_bytes(value)
        # anything else (a structured setting) is not the chain's to save
    return out


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restored:
    """A document read and checked: what :func:`install` puts in a chain."""

    canon: Canon
    state: WorldState
    pool: Pool
    time: TimeState
    virtual_now: float | None
    config: Mapping[str, Any]  # ChainConfig fields to replace
    dev_env: DevEnv


def check_version(document: Any) -> tuple[int, dict[str, Any]]:
    """The document's version, or a :class:`StateFileError` that says what it is."""
    if not isinstance(document, dict):
        raise StateFileError("not a mocknode state: expected a JSON object")
    if document.get("format") != FORMAT:
        if "accounts" in document and ("block" in document or "best_block_number" in document):
            raise StateFileError(
                "this is an anvil state dump: mocknode reads only its own states "
                "(written by mocknode --dump-state or anvil_dumpState on mocknode)"
            )
        raise StateFileError(f'not a mocknode state: no "format": "{FORMAT}"')
    version = document.get("version")
    writer = document.get("written_by", "an unknown mocknode")
    if type(version) is not int or version < 1:
        raise StateFileError(f"unknown state version {version!r} (written by {writer})")
    if version not in READERS:
        raise StateFileError(
            f"state version {version} was written by {writer}; this mocknode "
            f"({mocknode_version()}) reads versions up to {max(READERS)}: upgrade mocknode "
            "to load it"
        )
    return version, document


def read_document(document: Any, config: ChainConfig) -> Restored:
    """Read and check a document against the loading chain's ``config`` (for the types
    of its fields); nothing is changed yet."""
    version, doc = check_version(document)
    return READERS[version](doc, config)


def _read_v1(doc: dict[str, Any], config: ChainConfig) -> Restored:
    codes = read_codes(field(doc, "codes", "state"), "codes")
    commits = read_list(field(doc, "commits", "state"), "commits")
    blocks = [
        read_block(value, f"block {i}")
        for i, value in enumerate(read_list(field(doc, "blocks", "state"), "blocks"))
    ]
    ends = _check_blocks(blocks, len(commits))
    state = WorldState()
    for n, value in enumerate(commits):
        root = state.commit(read_diff(value, codes, f"commit {n}"))
        block = ends.get(n)
        if block is not None and root != block.header.state_root:
            raise StateFileError(
                f"block {block.number}: the state does not hash to its state root "
                "(the file is damaged)"
            )
    canon = Canon()
    for block, commit in blocks:
        canon.append(block, commit)
    time = read_dict(field(doc, "time", "state"), "time")
    virtual_now = time.get("virtual_now")
    if virtual_now is not None and (type(virtual_now) not in (int, float) or virtual_now < 0):
        raise StateFileError(f"time virtual_now: not a time: {virtual_now!r}")
    return Restored(
        canon=canon,
        state=state,
        pool=_read_pool(field(doc, "pool", "state")),
        time=TimeState(
            offset=_read_signed(field(time, "offset", "time"), "time offset"),
            jump=_read_signed(field(time, "jump", "time"), "time jump"),
            next_timestamp=(
                None
                if time.get("next_timestamp") is None
                else read_int(time["next_timestamp"], "time next_timestamp")
            ),
        ),
        virtual_now=None if virtual_now is None else float(virtual_now),
        config=_read_config(read_dict(field(doc, "chain", "state"), "chain"), config),
        dev_env=_read_dev_env(doc.get("dev_env")),
    )


def _read_dev_env(value: Any) -> DevEnv:
    if value is None:
        return DevEnv()
    saved = read_dict(value, "dev_env")

    def optional(name: str, read: Callable[[Any, str], Any]) -> Any:
        item = saved.get(name)
        return None if item is None else read(item, f"dev_env {name}")

    return DevEnv(
        next_base_fee=optional("next_base_fee", read_quantity),
        next_prev_randao=optional("next_prev_randao", read_hash),
        timestamp_interval=optional("timestamp_interval", read_quantity),
    )


# One reader per format version this mocknode understands; an older version's reader
# stays when a newer one is added, so old files keep loading.
READERS: dict[int, Callable[[dict[str, Any], ChainConfig], Restored]] = {1: _read_v1}


def _check_blocks(blocks: list[tuple[Block, int]], commits: int) -> dict[int, Block]:
    """Blocks numbered from 0, each the child of the one before, ending on increasing
    commits that exist; returns the block ending on each such commit."""
    if not blocks:
        raise StateFileError("a state holds at least its genesis block")
    ends: dict[int, Block] = {}
    parent: tuple[Block, int] | None = None
    for block, commit in blocks:
        where = f"block {block.number}"
        if block.number != len(ends):
            raise StateFileError(f"{where}: found where block {len(ends)} belongs")
        if parent is not None:
            if block.header.parent_hash != parent[0].hash:
                raise StateFileError(f"{where}: its parent hash is not block {parent[0].number}'s")
            if commit <= parent[1]:
                raise StateFileError(
                    f"{where}: its state commit {commit} is not after its parent's"
                )
        if commit >= commits:
            raise StateFileError(f"{where}: ends on commit {commit}, but there are {commits}")
        ends[commit] = block
        parent = (block, commit)
    return ends


def _read_signed(value: Any, what: str) -> int:
    if type(value) is not int:
        raise StateFileError(f"{what}: expected an integer, got {value!r:.80}")
    return value


def _read_pool(value: Any) -> Pool:
    obj = read_dict(value, "pool")
    txs: list[Tx] = [
        read_tx(tx, f"pool tx {i}")
        for i, tx in enumerate(read_list(field(obj, "txs", "pool"), "pool txs"))
    ]
    senders: list[Address] = [
        read_address(s, "pool sender")
        for s in read_list(field(obj, "senders", "pool"), "pool senders")
    ]
    holds: dict[Hash32, Hold] = {}
    for key, entry in read_dict(field(obj, "holds", "pool"), "pool holds").items():
        items = read_list(entry, f"pool hold {key}")
        if len(items) != 2:
            raise StateFileError(f"pool hold {key}: expected [block, timestamp]")
        holds[read_hash(key, "pool hold")] = Hold(
            None if items[0] is None else read_int(items[0], f"pool hold {key} block"),
            None if items[1] is None else read_int(items[1], f"pool hold {key} timestamp"),
        )
    return Pool.restored(txs, senders, holds)


def _read_config(saved: dict[str, Any], config: ChainConfig) -> dict[str, Any]:
    """The saved chain settings this mocknode's :class:`ChainConfig` has, decoded to the
    types it declares (a field it lacks, from another version, is left out)."""
    hints = _config_hints()
    names = {f.name for f in values.fields(config)} - NODE_SETTINGS
    changes: dict[str, Any] = {}
    for name, value in saved.items():
        if name in names:
            changes[name] = _read_setting(hints[name], value, f"chain {name}")
    return changes


@functools.cache
def _config_hints() -> dict[str, Any]:
    return typing.get_type_hints(ChainConfig)


def _read_setting(hint: Any, value: Any, what: str) -> Any:
    options = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    )
    if value is None:
        if type(None) in options:
            return None
        raise StateFileError(f"{what}: may not be null")
    if typing.get_origin(hint) is typing.Literal:  # a choice of strings (tx_order)
        if value not in typing.get_args(hint):
            raise StateFileError(
                f"{what}: expected one of {typing.get_args(hint)}, got {value!r:.80}"
            )
        return value
    for option in options:
        base = getattr(option, "__supertype__", option)  # Address is a NewType of bytes
        reader = _SETTING_READERS.get(base)
        if reader is not None:
            return reader(value, what)
    raise StateFileError(f"{what}: this mocknode cannot read a {hint!r} setting")


def _read_bool(value: Any, what: str) -> bool:
    if type(value) is not bool:
        raise StateFileError(f"{what}: expected true or false, got {value!r:.80}")
    return value


def _read_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise StateFileError(f"{what}: expected a string, got {value!r:.80}")
    return value


_UnionType = type(int | None)
_SETTING_READERS: dict[Any, Callable[[Any, str], Any]] = {
    bool: _read_bool,
    int: read_quantity,
    bytes: read_bytes,
    str: _read_str,
}


# -- installing -------------------------------------------------------------------------------


def install(chain: Chain, restored: Restored) -> None:
    """Make ``chain`` the restored one, in place (subscriptions, filters and sessions
    keep their chain object); see :meth:`Chain.replace_history`."""
    chain.replace_history(restored.canon, restored.state, restored.pool)
    if restored.config:
        chain.config = values.replace(chain.config, **restored.config)
    chain.dev_env = restored.dev_env
    chain.pool.fifo = chain.config.tx_order == "fifo"
    chain.time.restore(restored.time)
    clock = chain.time.clock
    if restored.virtual_now is not None and isinstance(clock, VirtualClock):
        clock.reset(restored.virtual_now)


def load_document(chain: Chain, document: Any) -> None:
    """Read ``document`` (all of it, checked) and make ``chain`` the chain it holds."""
    install(chain, read_document(document, chain.config))
