"""Parameters of the dev methods, read as anvil reads them.

geth's decoders (:mod:`mocknode.rpc.params`) take quantities as ``0x`` hex only, without
leading zeros. anvil's dev methods (``deserialize_number`` and its kin in foundry's
``serde_helpers``) also take JSON numbers, and hex with leading zeros; viem's test
actions and ethers users send both (``anvil_setBalance [addr, "0x..."]``,
``evm_setIntervalMining [5]``, ``anvil_mine ["0x1", "0x0"]``, ``evm_mine [{"blocks": 2}]``).
So these decoders accept:

* a JSON number (an integer, not negative, within the type's bits);
* ``0x`` hex, leading zeros allowed, ``"0x"`` alone being 0 (as anvil's U256 reads it);
* a decimal string (``"90000"``, as Hardhat-era scripts send to ``evm_increaseTime``;
  anvil's U256 parses it too);

and leave everything else to geth's decoder, whose error text the client then sees
(``json: cannot unmarshal hex string without 0x prefix into Go value of type
hexutil.Uint64``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mocknode.chain.mine_many import MAX_MINE_BLOCKS
from mocknode.rpc import hexutil, params
from mocknode.rpc.params import ParamError

_BIG = 256
_U64 = 64


def _number(value: Any, bits: int, geth: Callable[[Any], int]) -> int:
    if type(value) is int:
        if value < 0:
            raise ParamError(f"negative number {value}")
        if value.bit_length() > bits:
            raise ParamError(f"number > {bits} bits")
        return value
    if type(value) is str:
        if hexutil.has_prefix(value):
            body = value[2:]
            if hexutil.is_hex(body):
                digits = body.lstrip("0")
                if len(digits) * 4 <= bits:
                    return int(digits, 16) if digits else 0
        elif value.isascii() and value.isdigit():  # str.isdigit alone takes "²"
            number = int(value)
            if number.bit_length() > bits:
                raise ParamError(f"number > {bits} bits")
            return number
    return geth(value)


def number(value: Any) -> int:
    """A 256-bit quantity (anvil's U256 with ``deserialize_number``): balances, fees,
    snapshot ids, block counts."""
    return _number(value, _BIG, params.quantity)


def number64(value: Any) -> int:
    """A 64-bit quantity (anvil's ``u64`` with ``deserialize_u64_seq``): seconds,
    nonces, chain ids, gas limits."""
    return _number(value, _U64, params.uint64)


def block_count(value: Any) -> int:
    """How many blocks to mine: a 256-bit quantity as anvil reads it, at most
    :data:`MAX_MINE_BLOCKS` (anvil takes any u64 and mines until it is done, growing
    memory all the while; a test asking for 2**64 blocks wants an error, at once)."""
    count = number(value)
    if count > MAX_MINE_BLOCKS:
        raise ParamError(f"block count {count} is over the limit of {MAX_MINE_BLOCKS}")
    return count


def mine_interval(value: Any) -> int:
    """Seconds between mined blocks: a 64-bit quantity as anvil reads it (anvil's
    ``anvil_mine`` takes a U256 and keeps only the low 64 bits)."""
    return number64(value)


def slot(value: Any) -> int:
    """A storage slot: a JSON number or a decimal string (anvil's U256), or else a key
    as eth_getStorageAt reads it (geth's decodeHash: any hex up to 32 bytes)."""
    if type(value) is int or (type(value) is str and value.isascii() and value.isdigit()):
        return _number(value, _BIG, params.quantity)
    return params.storage_key(value)


MineOptions = tuple[int, int | None]  # blocks, the first block's timestamp


def mine_options(value: Any) -> MineOptions:
    """anvil's ``MineOptions`` (``evm_mine``, ``evm_mine_detailed``): a timestamp, or
    ``{"blocks": N, "timestamp": T}`` with either member left out; members anvil does
    not know are ignored, as serde ignores them."""
    if type(value) is dict:
        blocks = value.get("blocks")
        stamp = value.get("timestamp")
        return (
            1 if blocks is None else block_count(blocks),
            None if stamp is None else number64(stamp),
        )
    return 1, number64(value)


def reset_options(value: Any) -> None:
    """anvil_reset's options: none, ``{}``, or a ``forking`` object (tagged or not) that
    names no URL and no block, which is what viem's ``reset()`` sends with no
    arguments (``{"forking": {"blockNumber": null}}``). Forking is refused: mocknode
    serves only its own chain."""
    if value is None:
        return
    if type(value) is not dict:
        raise ParamError("expected an object with the forking options")
    forking = value.get("forking", value)
    if forking is None:
        return
    if type(forking) is not dict:
        raise ParamError("forking: expected an object")
    if forking.get("jsonRpcUrl") is not None or forking.get("blockNumber") is not None:
        raise ParamError("forking is not supported: mocknode serves its own chain only")
