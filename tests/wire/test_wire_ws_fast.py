"""The WebSocket fast path: plain frames parsed by hand, anything else handed to wsproto.

Each test checks the observable result against what a real client (wsproto's client
side) decodes, and that the connection still behaves after the hand-over. Like every
wire test these run in both modes; with ``fast_path=False`` the connection is never on
the fast path, and the observable results must be the same.
"""

from __future__ import annotations

import os

from wire_helpers import ConnectWs, client_events, pump
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

from mocknode.wire.events import Closed, Message


def masked_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A client frame built by hand (wsproto's client never builds the odd ones)."""
    mask = os.urandom(4)
    head = bytes(((0x80 if fin else 0) | rsv | opcode,))
    n = len(payload)
    if n < 126:
        head += bytes((0x80 | n,))
    elif n < 65536:
        head += bytes((0x80 | 126,)) + n.to_bytes(2, "big")
    else:
        head += bytes((0x80 | 127,)) + n.to_bytes(8, "big")
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


def test_all_three_length_encodings_and_both_data_opcodes(
    connect_ws: ConnectWs, fast_path: bool
) -> None:
    _, ws = connect_ws()
    small = b'{"id":1}'
    medium = b'{"x":"' + b"a" * 1000 + b'"}'
    large = b'{"x":"' + b"b" * 70000 + b'"}'
    data = masked_frame(1, small) + masked_frame(2, medium) + masked_frame(1, large)
    assert pump(ws, data) == [Message(small), Message(medium), Message(large)]
    assert ws._fast is fast_path


def test_replies_are_single_text_frames_a_client_decodes(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    for size in (10, 300, 70000):
        ws.send_message(b'"' + b"z" * size + b'"')
        events = client_events(client, ws.data_to_send())
        assert len(events) == 1
        assert isinstance(events[0], TextMessage)
        assert len(events[0].data) == size + 2
    ws.send_message(b"\xff\xfe")  # not UTF-8: one binary frame, not a mangled text one
    (event,) = client_events(client, ws.data_to_send())
    assert isinstance(event, BytesMessage)
    assert event.data == b"\xff\xfe"


def test_ping_is_answered_without_leaving_the_fast_path(
    connect_ws: ConnectWs, fast_path: bool
) -> None:
    client, ws = connect_ws()
    assert pump(ws, client.send(Ping(b"hi")) + masked_frame(1, b"[1]")) == [Message(b"[1]")]
    assert client_events(client, ws.data_to_send()) == [Pong(b"hi")]
    assert ws._fast is fast_path


def test_fragmented_message_hands_over_to_wsproto_and_keeps_working(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    data = client.send(TextMessage(data='{"a":', message_finished=False))
    data += client.send(TextMessage(data="1}", message_finished=True))
    data += masked_frame(1, b"[2]")
    assert pump(ws, data) == [Message(b'{"a":1}'), Message(b"[2]")]
    assert not ws._fast
    ws.send_message(b"[3]")
    (event,) = client_events(client, ws.data_to_send())
    assert isinstance(event, TextMessage)
    assert event.data == "[3]"


def test_invalid_utf8_text_closes_with_1007(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    events = pump(ws, masked_frame(1, b"\xc3\x28"))
    assert isinstance(events[-1], Closed)
    (close,) = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1007
    assert close.reason == "invalid UTF-8"  # not the codec's message: it depends on splits


def test_unmasked_client_frame_is_a_protocol_error(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    events = pump(ws, b"\x81\x03[1]")
    assert isinstance(events[-1], Closed)
    (close,) = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1002


def test_reserved_bits_are_a_protocol_error(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    events = pump(ws, masked_frame(1, b"[1]", rsv=0x40))
    assert isinstance(events[-1], Closed)
    (close,) = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1002


def test_oversized_frame_closes_with_1009(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws(max_message=100)
    events = pump(ws, masked_frame(2, b"x" * 101))
    assert isinstance(events[-1], Closed)
    (close,) = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1009


def test_close_handshake_from_the_client(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    events = pump(ws, masked_frame(1, b"[1]") + client.send(CloseConnection(code=1000)))
    assert events[0] == Message(b"[1]")
    assert isinstance(events[-1], Closed)
    (close,) = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1000


def test_a_frame_split_anywhere_stays_on_the_fast_path(
    connect_ws: ConnectWs, fast_path: bool
) -> None:
    payload = b'{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}'
    frame = masked_frame(1, payload)
    for cut in range(1, len(frame)):
        _, ws = connect_ws()
        assert pump(ws, frame[:cut], frame[cut:]) == [Message(payload)]
        assert ws._fast is fast_path, cut


# -- candidate: what a read would be as one whole message (io's quick answers) -------------


def test_candidate_is_the_payload_of_exactly_one_whole_data_frame(
    connect_ws: ConnectWs, fast_path: bool
) -> None:
    _, ws = connect_ws()
    call = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}'
    medium = b'{"x":"' + b"a" * 300 + b'"}'
    expected = call if fast_path else None
    assert ws.candidate(masked_frame(1, call)) == expected
    assert ws.candidate(masked_frame(2, call)) == expected
    assert ws.candidate(masked_frame(1, medium)) == (medium if fast_path else None)
    for other in (
        masked_frame(1, call)[:-1],  # cut short
        masked_frame(1, call) + masked_frame(1, call),  # two frames
        masked_frame(1, call, fin=False),  # a fragment
        masked_frame(1, call, rsv=0x40),
        masked_frame(9, b"ping"),
        masked_frame(8, b"\x03\xe8"),  # a close
        masked_frame(1, b"x" * 70000),  # the 8-byte length form
        b"\x81\x05hello",  # not masked
        masked_frame(1, b'{"x":"\xed\xa0\x80"}'),  # a text frame that is not UTF-8
        b"",
    ):
        assert ws.candidate(other) is None
    # The same bytes in a binary frame are a message like any other.
    assert ws.candidate(masked_frame(2, b'{"x":"\xed\xa0\x80"}')) == (
        b'{"x":"\xed\xa0\x80"}' if fast_path else None
    )
    # Nothing was consumed: the frames still arrive as usual.
    assert pump(ws, masked_frame(1, call)) == [Message(call)]


def test_no_candidate_while_a_frame_is_half_read_or_after_a_close(
    connect_ws: ConnectWs, fast_path: bool
) -> None:
    _, ws = connect_ws()
    call = b'{"id":1}'
    frame = masked_frame(1, call)
    assert pump(ws, frame[:3]) == []
    assert ws.candidate(frame) is None
    assert pump(ws, frame[3:]) == [Message(call)]
    assert ws.candidate(frame) == (call if fast_path else None)
    assert isinstance(pump(ws, masked_frame(8, b"\x03\xe8"))[-1], Closed)
    assert ws.candidate(frame) is None
