"""The one error every fault specification problem raises, naming the field at fault.

A rule can come from Python, a plan file or ``mock_addFault``; all three go through the same
validation, which raises :class:`FaultSpecError` with a dotted path to the offending field
(``action.status``, ``trigger.window_seconds[1]``, ``rules[2].match.method``). The JSON-RPC
layer turns it into ``-32602`` with :attr:`message` as the text, the plan loader prefixes the
file name, and Python callers get a ``ValueError`` subclass.
"""

from __future__ import annotations

import json

__all__ = ["FaultSpecError", "join_path", "show"]


def join_path(prefix: str, path: str) -> str:
    """``join_path("rules[2]", "action.kind") == "rules[2].action.kind"``; index paths
    (``"[1]"``) attach without a dot."""
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def show(value: object) -> str:
    """A short rendering of a rejected value for error messages (JSON-ish, at most 60 chars)."""
    if value is None:
        text = "null"
    elif value is True:
        text = "true"
    elif value is False:
        text = "false"
    elif isinstance(value, str):
        text = json.dumps(value)
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class FaultSpecError(ValueError):
    """A fault rule, action parameter, plan or journal query that cannot be accepted.

    ``path`` is the dotted field path (empty for the whole value), ``reason`` what is wrong.
    ``str(error)`` is ``"path: reason"``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)

    @property
    def message(self) -> str:
        return str(self)

    def within(self, prefix: str) -> FaultSpecError:
        """The same error seen from an enclosing value (``rules[2]`` + ``action.kind``)."""
        return FaultSpecError(join_path(prefix, self.path), self.reason)
