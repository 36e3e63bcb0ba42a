"""WebSocket framing after an upgrade: messages, fragments, limits, control frames."""

from __future__ import annotations

from wire_helpers import ConnectWs, client_events, pump
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.events import (
    Message as WsMessage,
)

from mocknode.wire.events import Closed, Message


def test_text_and_binary_messages_are_messages(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    data = client.send(TextMessage(data='{"a":"é"}')) + client.send(BytesMessage(data=b"[1,2]"))
    assert pump(ws, data) == [Message('{"a":"é"}'.encode()), Message(b"[1,2]")]


def test_every_split_point_of_a_frame(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    data = client.send(TextMessage(data='{"jsonrpc":"2.0","id":7}'))
    for cut in range(1, len(data)):
        client, ws = connect_ws()
        data = client.send(TextMessage(data='{"jsonrpc":"2.0","id":7}'))
        assert pump(ws, data[:cut], data[cut:]) == [Message(b'{"jsonrpc":"2.0","id":7}')]


def test_fragmented_messages_are_reassembled_and_interleaved_pings_answered(
    connect_ws: ConnectWs,
) -> None:
    client, ws = connect_ws()
    data = client.send(TextMessage(data='{"a":', message_finished=False))
    data += client.send(Ping(payload=b"hi"))
    data += client.send(TextMessage(data='"ü"}', message_finished=True))
    data += client.send(BytesMessage(data=b"[", message_finished=False))
    data += client.send(BytesMessage(data=b"]", message_finished=True))
    events = pump(ws, *[data[i : i + 1] for i in range(len(data))])
    assert events == [Message('{"a":"ü"}'.encode()), Message(b"[]")]
    assert Pong(payload=b"hi") in client_events(client, ws.data_to_send())


def test_several_messages_in_one_chunk(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    data = b"".join(client.send(TextMessage(data=f"[{i}]")) for i in range(10))
    assert pump(ws, data) == [Message(b"[%d]" % i) for i in range(10)]


def test_outbound_messages_are_single_text_frames(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    ws.send_message(b'{"result":"0x1"}')
    ws.send_message(b"\xff not utf-8")
    events = client_events(client, ws.data_to_send())
    assert isinstance(events[0], TextMessage)
    assert events[0].data == '{"result":"0x1"}'
    assert events[0].message_finished
    assert isinstance(events[1], BytesMessage)  # cannot be text: sent as binary, intact
    assert events[1].data == b"\xff not utf-8"


def test_ping_is_answered_with_pong(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    assert pump(ws, client.send(Ping(payload=b"x"))) == []
    assert client_events(client, ws.data_to_send()) == [Pong(payload=b"x")]


def test_client_close_handshake(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    events = pump(ws, client.send(CloseConnection(code=1000, reason="bye")))
    assert len(events) == 1
    assert isinstance(events[0], Closed)
    [close] = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1000
    assert ws.next_event() == events[0]  # sticky
    ws.send_message(b"[]")  # dropped, not an error
    assert ws.data_to_send() == b""


def test_message_over_limit_closes_with_1009(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws(max_message=16)
    data = client.send(TextMessage(data="0123456789", message_finished=False))
    data += client.send(TextMessage(data="0123456789", message_finished=True))
    events = pump(ws, data)
    assert len(events) == 1
    assert isinstance(events[0], Closed)
    [close] = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1009


def test_message_at_limit_is_accepted(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws(max_message=4)
    assert pump(ws, client.send(BytesMessage(data=b"[12]"))) == [Message(b"[12]")]


def test_unmasked_client_frame_is_a_protocol_error(connect_ws: ConnectWs) -> None:
    _, ws = connect_ws()
    events = pump(ws, b"\x81\x02[]")  # text frame without the client mask bit
    assert len(events) == 1
    assert isinstance(events[0], Closed)
    close = ws.data_to_send()
    assert close[0] == 0x88
    assert close[2:4] == (1002).to_bytes(2, "big")


def test_eof_is_closed(connect_ws: ConnectWs) -> None:
    _, ws = connect_ws()
    [event] = pump(ws, b"")
    assert isinstance(event, Closed)


def test_server_close_sends_close_frame(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    assert isinstance(ws.close(1001, "going away"), Closed)
    [close] = client_events(client, ws.data_to_send())
    assert isinstance(close, CloseConnection)
    assert close.code == 1001


def test_messages_are_wsproto_messages_for_the_client(connect_ws: ConnectWs) -> None:
    client, ws = connect_ws()
    for i in range(3):
        ws.send_message(b"[%d]" % i)
    events = client_events(client, ws.data_to_send())
    assert [e.data for e in events if isinstance(e, WsMessage)] == ["[0]", "[1]", "[2]"]
