"""The scalar result encoders (quantity, data, word, address list), apart from
:mod:`mocknode.rpc.render` so that the modules of the cheapest reads (``eth_blockNumber``,
``eth_chainId``, ``eth_getBalance`` ...) do not load the block, receipt and log renderers:
a fresh node's first answer is one of these. ``render`` re-exports them under the same
names, so a method module may name either.
"""

from __future__ import annotations

from mocknode.types import Address

__all__ = ["hex_addresses", "hex_data", "hex_quantity", "hex_word"]


def hex_quantity(value: int) -> str:
    return hex(value)


def hex_data(value: bytes) -> str:
    return "0x" + value.hex()


def hex_word(value: int) -> str:
    """A 32-byte big-endian word (eth_getStorageAt)."""
    return "0x" + value.to_bytes(32, "big").hex()


def hex_addresses(values: list[Address]) -> list[str]:
    return ["0x" + a.hex() for a in values]
