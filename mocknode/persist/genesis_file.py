"""geth's ``genesis.json`` read into a :class:`ChainConfig` (``mocknode --init FILE``).

The fields and their forms are geth's (``core/genesis.go`` and its generated JSON
codec): numbers are hex (``"0x..."``) or decimal strings, or plain JSON numbers (geth's
``HexOrDecimal``); ``alloc`` keys are addresses with or without ``0x``; each account has
a ``balance`` (required, as in geth) and optionally ``nonce``, ``code`` and ``storage``
(slot → value, each up to 32 bytes of hex).

What is used: ``config.chainId``, ``timestamp``, ``gasLimit``, ``baseFeePerGas``,
``extraData``, ``coinbase`` and ``alloc`` (written over the dev accounts, which stay
funded unless the file allocates them too). What is ignored, because a Prague chain
fixes it or mocknode has no use for it: ``difficulty`` and ``mixHash`` (0 and the
prevRandao after the merge), the PoW ``nonce``, ``parentHash``, ``gasUsed``, the blob
gas fields, every fork block and time in ``config`` (mocknode is Prague from block 0),
an account's ``privateKey``. A ``number`` other than 0 is refused: the chain starts at
block 0.
"""

from __future__ import annotations

import json
import os
from typing import Any

from mocknode.chain.config import ChainConfig
from mocknode.chain.genesis_spec import Genesis, GenesisAccount
from mocknode.persist.errors import GenesisFileError
from mocknode.types import Address
from mocknode.values import dataclass, replace

_MAX_UINT256 = (1 << 256) - 1
_MAX_UINT64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class GenesisFile:
    """What a genesis file says; None: the file leaves that setting to the node."""

    chain_id: int | None
    gas_limit: int | None
    base_fee: int | None
    coinbase: Address | None
    genesis: Genesis


def read_genesis_file(path: str | os.PathLike[str]) -> GenesisFile:
    with open(path, "rb") as f:
        data = f.read()
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GenesisFileError(f"{os.fspath(path)}: not JSON ({exc})") from None
    try:
        return parse_genesis(document)
    except GenesisFileError as exc:
        raise GenesisFileError(f"{os.fspath(path)}: {exc}") from None


def apply_genesis(config: ChainConfig, genesis: GenesisFile) -> ChainConfig:
    """``config`` with what the genesis file sets (the rest as it was)."""
    changes: dict[str, Any] = {"genesis": genesis.genesis}
    if genesis.chain_id is not None:
        changes["chain_id"] = genesis.chain_id
    if genesis.gas_limit is not None:
        changes["gas_limit"] = genesis.gas_limit
    if genesis.base_fee is not None:
        changes["base_fee"] = genesis.base_fee
    if genesis.coinbase is not None:
        changes["coinbase"] = genesis.coinbase
    return replace(config, **changes)


def parse_genesis(document: Any) -> GenesisFile:
    if not isinstance(document, dict):
        raise GenesisFileError("a genesis is a JSON object")
    config = document.get("config")
    chain_id = None
    if config is not None:
        if not isinstance(config, dict):
            raise GenesisFileError("config: expected an object")
        if config.get("chainId") is not None:
            chain_id = _number(config["chainId"], "config.chainId", _MAX_UINT64)
            if chain_id < 1:
                raise GenesisFileError("config.chainId: must be at least 1")
    number = document.get("number")
    if number is not None and _number(number, "number", _MAX_UINT64) != 0:
        raise GenesisFileError("number: mocknode's chain starts at block 0")
    return GenesisFile(
        chain_id=chain_id,
        gas_limit=_optional_number(document, "gasLimit", _MAX_UINT64),
        base_fee=_optional_number(document, "baseFeePerGas", _MAX_UINT256),
        coinbase=(
            None
            if document.get("coinbase") is None
            else Address(_hex(document["coinbase"], "coinbase", size=20))
        ),
        genesis=Genesis(
            alloc=_alloc(document.get("alloc", {})),
            timestamp=_optional_number(document, "timestamp", _MAX_UINT64),
            extra_data=(
                b""
                if document.get("extraData") is None
                else _hex(document["extraData"], "extraData")
            ),
        ),
    )


def _alloc(value: Any) -> tuple[tuple[Address, GenesisAccount], ...]:
    if not isinstance(value, dict):
        raise GenesisFileError("alloc: expected an object of address: account")
    accounts = []
    for key, entry in value.items():
        address = Address(_hex(key, f"alloc key {key!r}", size=20, prefix_optional=True))
        where = f"alloc {key}"
        if not isinstance(entry, dict):
            raise GenesisFileError(f"{where}: expected an object")
        if "balance" not in entry:
            raise GenesisFileError(f"{where}: missing balance (geth requires one)")
        storage = entry.get("storage") or {}
        if not isinstance(storage, dict):
            raise GenesisFileError(f"{where}.storage: expected an object of slot: value")
        accounts.append(
            (
                address,
                GenesisAccount(
                    balance=_number(entry["balance"], f"{where}.balance", _MAX_UINT256),
                    nonce=(
                        0
                        if entry.get("nonce") is None
                        else _number(entry["nonce"], f"{where}.nonce", _MAX_UINT64)
                    ),
                    code=(
                        b""
                        if entry.get("code") is None
                        else _hex(entry["code"], f"{where}.code", prefix_optional=True)
                    ),
                    storage=tuple(
                        (
                            _word(slot, f"{where}.storage key"),
                            _word(word, f"{where}.storage {slot}"),
                        )
                        for slot, word in storage.items()
                    ),
                ),
            )
        )
    return tuple(accounts)


def _optional_number(document: dict[str, Any], key: str, maximum: int) -> int | None:
    value = document.get(key)
    return None if value is None else _number(value, key, maximum)


def _number(value: Any, what: str, maximum: int) -> int:
    """geth's HexOrDecimal: ``"0x1f"``, ``"31"`` or 31."""
    if type(value) is int:
        number = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text[2:], 16) if text[:2] in ("0x", "0X") else int(text, 10)
        except ValueError:
            raise GenesisFileError(f"{what}: not a number: {value!r:.80}") from None
    else:
        raise GenesisFileError(f"{what}: expected a number, got {value!r:.80}")
    if not 0 <= number <= maximum:
        raise GenesisFileError(f"{what}: {number} is out of range")
    return number


def _hex(value: Any, what: str, *, size: int | None = None, prefix_optional: bool = False) -> bytes:
    if not isinstance(value, str):
        raise GenesisFileError(f"{what}: expected a hex string, got {value!r:.80}")
    text = value
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    elif not prefix_optional:
        raise GenesisFileError(f"{what}: hex string without 0x prefix: {value!r:.80}")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise GenesisFileError(f"{what}: not hex: {value!r:.80}") from None
    if size is not None and len(raw) != size:
        raise GenesisFileError(f"{what}: expected {size} bytes, got {len(raw)}")
    return raw


def _word(value: Any, what: str) -> int:
    """A storage key or value: hex of at most 32 bytes (geth writes all 32)."""
    if not isinstance(value, str):
        raise GenesisFileError(f"{what}: expected a hex string, got {value!r:.80}")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    if not text or len(text) > 64:
        raise GenesisFileError(f"{what}: expected up to 32 bytes of hex, got {value!r:.80}")
    try:
        return int(text, 16)
    except ValueError:
        raise GenesisFileError(f"{what}: not hex: {value!r:.80}") from None
