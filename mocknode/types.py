"""Domain value types shared by every layer.

Values past the JSON edge are typed Python values, never hex strings: addresses and
hashes are raw ``bytes`` (20 and 32 long), quantities are ``int``. ``NewType`` keeps
them free at run time (these sit on every hot path) while mypy still tells an
address from a hash.
"""

from __future__ import annotations

from typing import Literal, NewType

from mocknode.values import dataclass

Address = NewType("Address", bytes)
Hash32 = NewType("Hash32", bytes)

ZERO_ADDRESS = Address(b"\x00" * 20)
ZERO_HASH = Hash32(b"\x00" * 32)

BlockTag = Literal["latest", "earliest", "pending", "safe", "finalized"]


@dataclass(frozen=True, slots=True)
class BlockRef:
    """Which block a read is about, as the client said it (EIP-1898 included).

    Exactly one of ``tag``, ``number`` or ``block_hash`` is set; the chain resolves
    it against its current head, so a reference stays meaningful across reorgs.
    """

    tag: BlockTag | None = None
    number: int | None = None
    block_hash: Hash32 | None = None
    require_canonical: bool = False


LATEST = BlockRef(tag="latest")
PENDING = BlockRef(tag="pending")
