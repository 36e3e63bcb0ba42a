"""EIP-1153's transient storage for the py-evm state: a dict and a flat undo log.

Why: py-evm's ``TransientStorage`` is a ``JournalDB`` over a ``MemoryDB``, built on the
first frame of every call and transaction and checkpointed on every frame's snapshot,
commit and revert, while almost no contract ever executes TLOAD or TSTORE. This one
costs a dict insertion per checkpoint until something is stored, and nothing to build.

Semantics are py-evm's (``eth.vm.transient_storage``): values are the bytes TSTORE
popped, a missing slot reads ``b""``; ``record``/``commit``/``discard`` take the same
checkpoint ids as the account journal (:class:`JournalAccounts`), nested as frames are,
so a discarded frame undoes its writes and those of every frame inside it.
"""

from __future__ import annotations

_Key = tuple[bytes, int]


class TransientStorage:
    __slots__ = ("_checkpoints", "_undo", "_values")

    def __init__(self) -> None:
        self._values: dict[_Key, bytes] = {}
        self._undo: list[tuple[_Key, bytes | None]] = []
        self._checkpoints: dict[int, int] = {}  # id -> undo length, oldest first

    def get_transient_storage(self, address: bytes, slot: int) -> bytes:
        return self._values.get((address, slot), b"")

    def set_transient_storage(self, address: bytes, slot: int, value: bytes) -> None:
        key = (address, slot)
        if self._checkpoints:
            self._undo.append((key, self._values.get(key)))
        self._values[key] = value

    def record(self, checkpoint: int) -> None:
        self._checkpoints[checkpoint] = len(self._undo)

    def _close(self, checkpoint: int) -> int:
        """Forget ``checkpoint`` and every one opened after it; its undo mark."""
        checkpoints = self._checkpoints
        mark = checkpoints[checkpoint]
        while True:
            latest, _ = checkpoints.popitem()
            if latest == checkpoint:
                return mark

    def commit(self, checkpoint: int) -> None:
        self._close(checkpoint)
        if not self._checkpoints:
            self._undo.clear()  # nothing left that could revert these writes

    def discard(self, checkpoint: int) -> None:
        mark = self._close(checkpoint)
        undo, values = self._undo, self._values
        while len(undo) > mark:
            key, previous = undo.pop()
            if previous is None:
                del values[key]
            else:
                values[key] = previous

    def clear(self) -> None:
        """The end of a transaction: every slot back to empty."""
        self._values.clear()
        self._undo.clear()
        self._checkpoints.clear()
