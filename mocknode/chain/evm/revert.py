"""Turning revert data into geth's ``execution reverted: <reason>`` text.

geth decodes ``Error(string)`` and ``Panic(uint256)`` (accounts/abi.UnpackRevert);
anything else (custom errors, empty data) leaves the bare ``execution reverted`` and
the client decodes ``data`` itself.
"""

from __future__ import annotations

ERROR_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")

_PANIC_REASONS = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}


def revert_reason(data: bytes) -> str | None:
    """The human reason in ``data``, or None when it is not a standard error."""
    if data[:4] == ERROR_SELECTOR and len(data) >= 68:
        offset = int.from_bytes(data[4:36], "big")
        start = 4 + offset
        if start + 32 > len(data):
            return None
        length = int.from_bytes(data[start : start + 32], "big")
        raw = data[start + 32 : start + 32 + length]
        if len(raw) != length:
            return None
        return raw.decode("utf-8", errors="replace")
    if data[:4] == PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        return _PANIC_REASONS.get(code, f"unknown panic code: {code:#x}")
    return None


def revert_message(data: bytes) -> str:
    reason = revert_reason(data)
    return "execution reverted" if reason is None else f"execution reverted: {reason}"
