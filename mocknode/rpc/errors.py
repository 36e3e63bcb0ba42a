"""JSON-RPC error values, shaped as geth shapes them.

Every failure that reaches a client goes through :class:`RpcError`, so the code,
message and optional ``data`` are decided in one place per cause. Client libraries
classify errors by matching the message text (web3.py, ethers and viem all do), so
the messages here copy geth's wording exactly (``tests/clients/test_errors.py`` pins them).
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# geth's catch-all for server-side failures (pool rejections, unknown blocks ...).
SERVER_ERROR = -32000
# geth answers reverts of eth_call / eth_estimateGas with code 3 and the revert bytes.
EXECUTION_REVERTED = 3


class RpcError(Exception):
    """An error object to send back: ``{"code": code, "message": message, "data": data}``.

    ``data`` is already a JSON-ready value (hex string for revert bytes); the registry
    produced it, so this class never sees raw bytes.
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __repr__(self) -> str:
        return f"RpcError({self.code}, {self.message!r}, data={self.data!r})"


def method_not_found(method: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
