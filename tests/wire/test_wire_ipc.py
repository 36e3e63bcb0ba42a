"""IPC stream splitting: concatenated JSON values split anywhere, garbage, limits."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.wire.events import NEED_DATA, Closed, Garbage, Message
from mocknode.wire.ipc import IpcConnection

NewIpc = Callable[..., IpcConnection]


def feed(conn: IpcConnection, *pieces: bytes) -> list[object]:
    events: list[object] = []
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            ev = conn.next_event()
            if ev is NEED_DATA:
                break
            events.append(ev)
            if isinstance(ev, Closed | Garbage):
                return events
    return events


def payloads(events: list[object]) -> list[bytes]:
    return [e.payload for e in events if isinstance(e, Message)]


REQ = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
TRICKY = rb'{"s":"}{][\"\\","a":[{"b":"]"}],"u":"\u00e9\\"}'


def test_single_message(new_ipc: NewIpc) -> None:
    assert payloads(feed(new_ipc(), REQ)) == [REQ]


def test_several_values_in_one_read_with_and_without_whitespace(new_ipc: NewIpc) -> None:
    data = REQ + REQ + b"\n" + b"[" + REQ + b"]" + b" \t\r\n " + TRICKY
    assert payloads(feed(new_ipc(), data)) == [REQ, REQ, b"[" + REQ + b"]", TRICKY]


def test_every_split_point_of_a_stream(new_ipc: NewIpc) -> None:
    data = TRICKY + b"\n" + REQ + b"[1,[2,{}]]"
    expected = [TRICKY, REQ, b"[1,[2,{}]]"]
    for cut in range(1, len(data)):
        assert payloads(feed(new_ipc(), data[:cut], data[cut:])) == expected, cut


def test_byte_by_byte(new_ipc: NewIpc) -> None:
    data = TRICKY + REQ
    got = payloads(feed(new_ipc(), *[data[i : i + 1] for i in range(len(data))]))
    assert got == [TRICKY, REQ]


def test_backslash_at_the_end_of_a_read(new_ipc: NewIpc) -> None:
    first, second = b'{"a":"x\\', b'"y"}'
    assert payloads(feed(new_ipc(), first, second)) == [first + second]


def test_top_level_garbage_is_reported_with_the_buffered_bytes(new_ipc: NewIpc) -> None:
    conn = new_ipc()
    events = feed(conn, REQ + b"hello" + REQ)
    assert events == [Message(REQ), Garbage(b"hello" + REQ)]
    assert conn.next_event() == Closed("garbage")


def test_scalars_and_closers_at_top_level_are_garbage(new_ipc: NewIpc) -> None:
    for data in (b"1", b'"str"', b"}", b"]", b"null"):
        assert feed(new_ipc(), data) == [Garbage(data)], data


def test_syntax_error_inside_a_value_is_garbage(new_ipc: NewIpc) -> None:
    assert feed(new_ipc(), b"{]") == [Garbage(b"{]")]
    assert feed(new_ipc(), b'{"a":nope} ' + REQ) == [Garbage(b'{"a":nope} ' + REQ)]


def test_garbage_reply_can_still_be_sent(new_ipc: NewIpc) -> None:
    conn = new_ipc()
    feed(conn, b"xx")
    conn.send_message(b'{"error":1}')
    assert conn.data_to_send() == b'{"error":1}\n'


def test_oversized_value_closes(new_ipc: NewIpc) -> None:
    conn = new_ipc(max_message=10)
    assert feed(conn, b'{"a":"0123', b"456789") == [Closed("message too large")]


def test_complete_value_over_limit_closes(new_ipc: NewIpc) -> None:
    assert feed(new_ipc(max_message=4), b"[1,2,3]") == [Closed("message too large")]


def test_value_at_limit_is_accepted(new_ipc: NewIpc) -> None:
    assert payloads(feed(new_ipc(max_message=7), b"[1,2,3]")) == [b"[1,2,3]"]


def test_eof(new_ipc: NewIpc) -> None:
    assert feed(new_ipc(), REQ + b"\n", b"") == [Message(REQ), Closed("eof")]
    assert feed(new_ipc(), b'{"a":', b"") == [Closed("eof inside a message")]


def test_outbound_messages_end_with_newline(new_ipc: NewIpc) -> None:
    conn = new_ipc()
    conn.send_message(b"[1]")
    conn.send_message(b"{}")
    assert conn.data_to_send() == b"[1]\n{}\n"
    assert conn.data_to_send() == b""


# -- property: any concatenation, split anywhere, gives back the values -----------------

scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
containers = st.lists(values, max_size=4) | st.dictionaries(st.text(), values, max_size=4)
whitespace = st.text(alphabet=" \t\r\n", max_size=3)


@st.composite
def stream(draw: st.DrawFn) -> tuple[list[Any], bytes, list[int]]:
    docs = draw(st.lists(containers, min_size=1, max_size=5))
    data = b""
    for doc in docs:
        text = json.dumps(
            doc,
            ensure_ascii=draw(st.booleans()),
            indent=draw(st.none() | st.integers(0, 2)),
        )
        data += draw(whitespace).encode() + text.encode()
    data += draw(whitespace).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return docs, data, cuts


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "general"])
@settings(max_examples=300, deadline=None)
@given(stream())
def test_concatenated_values_split_anywhere(
    fast_path: bool, case: tuple[list[Any], bytes, list[int]]
) -> None:
    docs, data, cuts = case
    bounds = [0, *cuts, len(data)]
    # b"" would mean EOF to the connection, so empty pieces are left out.
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    events = feed(IpcConnection(fast_path=fast_path), *pieces)
    assert not any(isinstance(e, Garbage | Closed) for e in events)
    assert [json.loads(p) for p in payloads(events)] == docs


def test_invalid_utf8_inside_a_string_is_a_message_as_in_go(new_ipc: NewIpc) -> None:
    data = b'{"s":"\xff\xfe"}' + REQ
    assert payloads(feed(new_ipc(), data)) == [b'{"s":"\xff\xfe"}', REQ]
    assert payloads(feed(new_ipc(), data[:7], data[7:])) == [b'{"s":"\xff\xfe"}', REQ]


def test_invalid_utf8_outside_strings_is_garbage(new_ipc: NewIpc) -> None:
    assert feed(new_ipc(), b'{"a":\xff}') == [Garbage(b'{"a":\xff}')]


def test_nesting_past_the_limit_is_garbage_however_it_arrives(new_ipc: NewIpc) -> None:
    deep = b"[" * 513 + b"]" * 513
    ok = b"[" * 512 + b"]" * 512
    assert payloads(feed(new_ipc(), ok)) == [ok]
    assert feed(new_ipc(), deep) == [Garbage(deep)]
    assert feed(new_ipc(), deep[:300], deep[300:]) == [Garbage(deep)]
    wide = b"[" + b"[]," * 600 + b"[]]"  # many brackets, shallow: fine
    assert payloads(feed(new_ipc(), wide)) == [wide]


# -- candidate: what a read would be as one whole message (io's quick answers) -------------

CALL = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (CALL, CALL),
        (CALL + b"\n", CALL),
        (CALL + b" \r\n", CALL),
        (CALL + CALL, CALL + CALL),  # a guess: only the session knows it as one message
        (b"[" + CALL + b"]", None),  # a batch: never one the session keeps
        (CALL[:-1], None),
        (b" " + CALL, None),
        (b"", None),
        (b"\n", None),
    ],
)
def test_candidate_is_the_read_without_trailing_whitespace(data: bytes, message: bytes) -> None:
    conn = IpcConnection()
    assert conn.candidate(data) == message
    assert conn.next_event() == NEED_DATA  # nothing was consumed


def test_no_candidate_while_a_message_is_half_read_or_after_the_end() -> None:
    conn = IpcConnection()
    conn.receive_data(CALL[:10])
    assert conn.next_event() == NEED_DATA
    assert conn.candidate(CALL) is None
    conn.receive_data(CALL[10:])
    assert isinstance(conn.next_event(), Message)
    assert conn.candidate(CALL) == CALL
    conn.receive_data(b"\x00garbage")
    assert isinstance(conn.next_event(), Garbage)
    assert conn.candidate(CALL) is None


def test_no_candidate_past_the_size_limit_or_without_fast_paths() -> None:
    assert IpcConnection(max_message=len(CALL)).candidate(CALL) == CALL
    assert IpcConnection(max_message=len(CALL) - 1).candidate(CALL) is None
    assert IpcConnection(fast_path=False).candidate(CALL) is None
