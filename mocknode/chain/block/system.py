"""Prague's system contracts, as their EIPs define them.

Block processing writes to two predeploys before any transaction: the beacon block
root (EIP-4788) and the parent block hash (EIP-2935). Their addresses and runtime code
are protocol constants published in those EIPs; holding them here (instead of reading
py-evm's copies) lets genesis be built without importing the EVM, which keeps the
node's start-up fast.
"""

from __future__ import annotations

from mocknode.types import Address

BEACON_ROOTS_ADDRESS = Address(bytes.fromhex("000f3df6d732807ef1319fb7b8bb8522d0beac02"))
BEACON_ROOTS_CODE = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f3580156049"
    "5762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281"
    "555f359062001fff015500"
)
BEACON_ROOTS_BUFFER = 8191  # EIP-4788 HISTORY_BUFFER_LENGTH

HISTORY_STORAGE_ADDRESS = Address(bytes.fromhex("0000f90827f1c53a10cb7a02335b175320002935"))
HISTORY_STORAGE_CODE = bytes.fromhex(
    "3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f356001430381116042"
    "57611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500"
)
HISTORY_SERVE_WINDOW = 8191  # EIP-2935

PREDEPLOYS: tuple[tuple[Address, bytes], ...] = (
    (BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE),
    (HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE),
)
