"""The request log: each method's name as it is served, one line each, as anvil prints.

On by default in the CLI and off in the fixtures (``NodeConfig(log_requests=...)``);
``anvil_setLoggingEnabled`` switches it at run time. A session reads :attr:`enabled`
once per message and only then takes the logging dispatcher (:meth:`wrap`), so a node
that does not log pays one boolean check per message and nothing per call.

Lines go to ``write`` (by default standard output, flushed per line, so a terminal or
a pipe sees each call as it is served); with ``as_json`` each line is an object,
``{"method":"eth_blockNumber"}``, for the CLI's ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from mocknode.rpc.jsonrpc import Dispatch


def _stdout(line: str) -> None:
    out = sys.stdout
    out.write(line + "\n")
    out.flush()


class RequestLog:
    __slots__ = ("as_json", "enabled", "write")

    def __init__(
        self,
        write: Callable[[str], None] = _stdout,
        *,
        enabled: bool = False,
        as_json: bool = False,
    ) -> None:
        self.write = write
        self.enabled = enabled
        self.as_json = as_json

    def line(self, method: str) -> str:
        return json.dumps({"method": method}, separators=(",", ":")) if self.as_json else method

    def wrap(self, dispatch: Dispatch) -> Dispatch:
        """``dispatch``, writing each method's name before it runs (a call that fails
        is logged too: it was served)."""

        def logged(method: str, params: Any) -> Any:
            self.write(self.line(method))
            return dispatch(method, params)

        return logged
