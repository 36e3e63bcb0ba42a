"""Contract size limits: EIP-170 on deployed code, EIP-3860 on initcode (twice it);
and the last timestamp a header can hold.

Their own module because three places need them and none should import another for
it: the chain's configuration (anvil's ``--code-size-limit``), the pool's checks, and
the EVM, which enforces them.
"""

from __future__ import annotations

from typing import Final

CODE_SIZE_LIMIT: Final = 24_576  # EIP-170, bytes of deployed code
MAX_TIMESTAMP: Final = 2**64 - 1  # a header's timestamp is a uint64


def max_initcode_size(code_size_limit: int) -> int:
    """EIP-3860's initcode limit for a given code size limit (twice it, as in revm and
    py-evm, so raising one raises both, as anvil's flag does)."""
    return 2 * code_size_limit
