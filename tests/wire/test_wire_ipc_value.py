"""IPC messages carry the value their framing decoded (``Message.value``/``.text``), so the
JSON-RPC layer answers them without parsing again; the few it must parse itself carry
none. Both modes (fast path and scanner) must hand up the same triples."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mocknode.jsonread import decode_first
from mocknode.wire.events import NEED_DATA, Closed, Garbage, Message
from mocknode.wire.ipc import IpcConnection

NewIpc = Callable[..., IpcConnection]

REQ = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
BATCH = b'[{"jsonrpc":"2.0","id":"a","method":"x"}, {"jsonrpc":"2.0","method":"y"}]'
TRICKY = rb'{"s":"}{][\"\\","a":[{"b":"]"}],"u":"\u00e9\\"}'
UNICODE = '{"jsonrpc":"2.0","id":"日本","method":"tést","params":["é\u2028"]}'.encode()


def events_of(conn: IpcConnection, *pieces: bytes) -> list[object]:
    events: list[object] = []
    for piece in pieces:
        conn.receive_data(piece)
        while (event := conn.next_event()) is not NEED_DATA:
            events.append(event)
            if isinstance(event, Closed | Garbage):
                return events
    return events


def triples(events: list[object]) -> list[tuple[bytes, Any, str | None]]:
    return [(e.payload, e.value, e.text) for e in events if isinstance(e, Message)]


def decoded(payload: bytes) -> tuple[bytes, Any, str]:
    """What a message with a value must carry: the payload, its value, its text."""
    return payload, json.loads(payload), payload.decode()


@pytest.mark.parametrize("payload", [REQ, BATCH, TRICKY, UNICODE], ids=range(4))
def test_a_message_carries_its_value_and_text(new_ipc: NewIpc, payload: bytes) -> None:
    assert triples(events_of(new_ipc(), payload)) == [decoded(payload)]


def test_each_value_of_one_read_carries_its_own(new_ipc: NewIpc) -> None:
    data = REQ + BATCH + b"\n " + UNICODE + TRICKY + b"\r\n"
    assert triples(events_of(new_ipc(), data)) == [
        decoded(p) for p in (REQ, BATCH, UNICODE, TRICKY)
    ]


def test_a_value_split_across_reads_carries_it(new_ipc: NewIpc) -> None:
    data = UNICODE + REQ
    for cut in range(1, len(data)):
        got = triples(events_of(new_ipc(), data[:cut], data[cut:]))
        assert got == [decoded(UNICODE), decoded(REQ)], cut


def test_the_value_is_the_decoders(new_ipc: NewIpc) -> None:
    # Exactly what the JSON-RPC layer's decoder gives, types included.
    payload = b'{"id":1.0e3,"a":[-0,0.5,true,null],"b":"\\u0041\\ud800"}'
    [(_, value, text)] = triples(events_of(new_ipc(), payload))
    assert text == payload.decode()
    assert value == decode_first(text, 0)[0]
    assert value == {"id": 1000.0, "a": [0, 0.5, True, None], "b": "A\ud800"}
    assert type(value["id"]) is float


LONG = b"1" * 5000  # past Python's 4300-digit limit for int()


@pytest.mark.parametrize(
    "payload",
    [
        b'{"jsonrpc":"2.0","id":1,"method":"x","params":[NaN]}',
        b"[Infinity]",
        b"[-Infinity,1]",
        b'{"jsonrpc":"2.0","id":' + LONG + b',"method":"eth_chainId"}',
        b'{"jsonrpc":"2.0","id":1,"method":"x","params":[-' + LONG + b"]}",
        b'{"jsonrpc":"2.0","id":1,"method":"x\xffy"}',
        b'[{"s":"\xc3"}]',
    ],
    ids=["nan", "infinity", "minus-infinity", "long-id", "long-param", "bad-utf8", "cut-utf8"],
)
def test_what_only_the_bytes_path_reads_is_a_message_without_value(
    new_ipc: NewIpc, payload: bytes
) -> None:
    # The JSON-RPC layer parses these as it parses an HTTP body; the connection goes on.
    events = events_of(new_ipc(), payload + REQ)
    assert triples(events) == [(payload, None, None), decoded(REQ)]
    assert not any(isinstance(e, Garbage | Closed) for e in events)


def test_integers_up_to_the_digit_limit_are_decoded(new_ipc: NewIpc) -> None:
    payload = b'{"jsonrpc":"2.0","id":' + b"9" * 4300 + b',"method":"x"}'
    [(_, value, _)] = triples(events_of(new_ipc(), payload))
    assert value["id"] == 10**4300 - 1


def test_bad_utf8_in_a_later_value_leaves_earlier_ones_decoded(new_ipc: NewIpc) -> None:
    # The fast path decodes the whole buffer; a bad byte further on must not cost the
    # first message its value (nor make the two modes differ).
    bad = b'{"s":"\xff"}'
    events = events_of(new_ipc(), REQ + bad + BATCH)
    assert triples(events) == [decoded(REQ), (bad, None, None), decoded(BATCH)]


def test_garbage_carries_no_value(new_ipc: NewIpc) -> None:
    assert events_of(new_ipc(), b'{"a":nope}') == [Garbage(b'{"a":nope}')]
    deep = b"[" * 600 + b"]" * 600
    assert events_of(new_ipc(), REQ + deep) == [Message(REQ), Garbage(deep)]
    assert events_of(new_ipc(), deep[:100], deep[100:]) == [Garbage(deep)]
    assert events_of(new_ipc(), b"[" * 600) == []  # still arriving: no event yet
    assert events_of(new_ipc(), b"[" * 600, b"") == [Closed("eof inside a message")]


# -- property: both modes hand up the same payloads, values and texts ------------------

pieces = st.sampled_from(
    [
        REQ,
        BATCH,
        TRICKY,
        UNICODE,
        b'{"x":NaN}',
        b'{"id":' + LONG + b"}",
        b'{"s":"\xff"}',
        b"[" * 520 + b"]" * 520,
        b"[" + b"[]," * 600 + b"[]]",
        b"{]",
        b" \n",
        b"7",
    ]
)
scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)
documents = st.builds(
    lambda doc, ascii_only: json.dumps(doc, ensure_ascii=ascii_only).encode(
        "utf-8", "surrogatepass"
    ),
    st.lists(values, max_size=3) | st.dictionaries(st.text(), values, max_size=3),
    st.booleans(),
)


@st.composite
def split_stream(draw: st.DrawFn) -> list[bytes]:
    data = b"".join(draw(st.lists(pieces | documents, min_size=1, max_size=5)))
    cuts = sorted(draw(st.lists(st.integers(1, max(1, len(data) - 1)), max_size=5)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@settings(max_examples=300, deadline=None)
@given(split_stream())
def test_both_modes_carry_the_same_values(chunks: list[bytes]) -> None:
    fast = events_of(IpcConnection(fast_path=True), *chunks)
    general = events_of(IpcConnection(fast_path=False), *chunks)
    assert fast == general
    assert triples(fast) == triples(general)
    for payload, value, text in triples(fast):
        if text is not None:
            assert text == payload.decode()
            assert value == decode_first(text, 0)[0]
