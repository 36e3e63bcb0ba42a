"""The bytes a fast path reads before it (maybe) hands its stream to a full parser.

The HTTP and WebSocket connections parse the common case by hand and fall back to h11
or wsproto on the first unusual input, for good. Until then the stream's bytes wait
here; handing over gives the full parser every unparsed byte, then the end of stream
if it was seen, in the order they arrived.

A buffer made with ``active=False`` starts handed over: the connection then uses its
full parser from the first byte (``fast_path=False`` in the options). Both modes must
give byte-identical output; ``tests/wire/test_wire_fastpath_equal.py`` proves it.
"""

from __future__ import annotations

from collections.abc import Callable


class FastPathBuffer:
    __slots__ = ("active", "buffer", "eof")

    def __init__(self, active: bool = True) -> None:
        self.active = active
        self.buffer = bytearray()
        self.eof = False

    def feed(self, data: bytes) -> None:
        """Hold bytes from the socket; ``b""`` is the end of the stream."""
        if data:
            self.buffer += data
        else:
            self.eof = True

    def hand_over(self, receive: Callable[[bytes], None], receive_eof: Callable[[], None]) -> None:
        """Stop the fast path: the full parser gets what is buffered, then any EOF."""
        self.active = False
        if self.buffer:
            receive(bytes(self.buffer))
            self.buffer.clear()
        if self.eof:
            receive_eof()
