"""HTTP/1.1 framing: keep-alive, pipelining, geth's statuses and texts, CORS, upgrade."""

from __future__ import annotations

import pytest
from wire_helpers import (
    JSON,
    NewHttp,
    drive,
    parse_responses,
    request,
    ws_accept,
    ws_client,
)
from wsproto.connection import Connection, ConnectionType
from wsproto.events import TextMessage

from mocknode.wire.events import Closed, Message
from mocknode.wire.http import Upgraded

BODY = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}'


def test_post_is_a_message_and_reply_is_json(new_http: NewHttp) -> None:
    run = drive(new_http(), request(body=BODY))
    assert run.messages == [BODY]
    [resp] = parse_responses(run.out)
    assert resp.status == 200
    assert resp.headers[b"content-type"] == b"application/json"
    assert resp.headers[b"content-length"] == str(len(BODY)).encode()
    assert resp.body == BODY.upper()
    assert not run.closed


def test_keep_alive_serves_several_requests_one_after_another(new_http: NewHttp) -> None:
    conn = new_http()
    out = b""
    for i in range(5):
        run = drive(conn, request(body=b'{"id":%d}' % i))
        assert run.messages == [b'{"id":%d}' % i]
        out += run.out
    assert [r.body for r in parse_responses(out)] == [b'{"ID":%d}' % i for i in range(5)]


def test_pipelined_requests_in_one_chunk_are_answered_in_order(new_http: NewHttp) -> None:
    data = b"".join(request(body=b"[%d]" % i) for i in range(4))
    run = drive(new_http(), data)
    assert run.messages == [b"[%d]" % i for i in range(4)]
    assert [r.body for r in parse_responses(run.out)] == [b"[%d]" % i for i in range(4)]


def test_every_split_point_of_a_request_gives_the_same_message(new_http: NewHttp) -> None:
    data = request(body=BODY)
    for cut in range(1, len(data)):
        run = drive(new_http(), data[:cut], data[cut:])
        assert run.messages == [BODY], cut
        assert parse_responses(run.out)[0].body == BODY.upper()


def test_byte_by_byte_pipelined_requests(new_http: NewHttp) -> None:
    data = request(body=b"[1]") + request(body=b"[2]")
    run = drive(new_http(), *[data[i : i + 1] for i in range(len(data))])
    assert run.messages == [b"[1]", b"[2]"]


@pytest.mark.parametrize(
    "ctype",
    [
        b"application/json",
        b"application/json; charset=utf-8",
        b"Application/JSON;charset=UTF-8",
        b"application/json-rpc",
        b"application/jsonrequest",
    ],
)
def test_accepted_content_types(ctype: bytes, new_http: NewHttp) -> None:
    run = drive(new_http(), request(body=BODY, headers=[(b"Content-Type", ctype)]))
    assert run.messages == [BODY]


@pytest.mark.parametrize("headers", [[(b"Content-Type", b"text/plain")], []])
def test_wrong_content_type_is_415_with_geths_text_and_keeps_alive(
    headers: list[tuple[bytes, bytes]], new_http: NewHttp
) -> None:
    conn = new_http()
    run = drive(conn, request(body=BODY, headers=headers) + request(body=BODY))
    first, second = parse_responses(run.out)
    assert first.status == 415
    assert first.body == b"invalid content type, only application/json is supported\n"
    assert first.headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert second.status == 200
    assert run.messages == [BODY]


@pytest.mark.parametrize("method", [b"PUT", b"DELETE", b"PATCH"])
def test_other_methods_are_405(method: bytes, new_http: NewHttp) -> None:
    run = drive(new_http(), request(method, body=BODY) + request(body=BODY))
    first, second = parse_responses(run.out)
    assert (first.status, first.body) == (405, b"method not allowed\n")
    assert first.headers[b"allow"] == b"GET, POST, OPTIONS"
    assert second.status == 200


def test_declared_length_over_limit_is_413_and_closes(new_http: NewHttp) -> None:
    conn = new_http(max_body=10)
    head = request(body=b"x" * 11)
    run = drive(conn, head[: head.index(b"\r\n\r\n") + 4])  # body never read
    [resp] = parse_responses(run.out)
    assert resp.status == 413
    assert resp.body == b"content length too large (11>10)\n"
    assert resp.closes
    assert run.closed


def test_body_exactly_at_limit_is_accepted(new_http: NewHttp) -> None:
    run = drive(new_http(max_body=10), request(body=b"[12345678]"))
    assert run.messages == [b"[12345678]"]


def test_chunked_body_is_reassembled(new_http: NewHttp) -> None:
    run = drive(new_http(), request(chunks=[b'{"a":', b"1", b"}"]))
    assert run.messages == [b'{"a":1}']


def test_chunked_body_over_limit_is_413_and_closes(new_http: NewHttp) -> None:
    conn = new_http(max_body=8)
    run = drive(conn, request(chunks=[b"12345", b"67890"]))
    assert run.messages == []
    [resp] = parse_responses(run.out)
    assert (resp.status, resp.body) == (413, b"request body too large\n")
    assert run.closed


def test_get_without_body_is_geths_health_check(new_http: NewHttp) -> None:
    run = drive(new_http(), request(b"GET", b"/", headers=[]) + request(body=BODY))
    health, rpc = parse_responses(run.out)
    assert (health.status, health.body) == (200, b"")
    assert rpc.status == 200


def test_head_is_answered_without_body(new_http: NewHttp) -> None:
    run = drive(new_http(), request(b"HEAD", b"/", headers=[]))
    [resp] = parse_responses(run.out, head=True)
    assert resp.status == 200


def test_get_with_query_falls_through_to_content_type_check(new_http: NewHttp) -> None:
    run = drive(new_http(), request(b"GET", b"/?x=1", headers=[]))
    assert parse_responses(run.out)[0].status == 415


def test_options_preflight_with_wildcard_cors(new_http: NewHttp) -> None:
    headers = [
        (b"Origin", b"http://app.example"),
        (b"Access-Control-Request-Method", b"POST"),
        (b"Access-Control-Request-Headers", b"content-type"),
    ]
    run = drive(new_http(cors_origins=("*",)), request(b"OPTIONS", headers=headers))
    [resp] = parse_responses(run.out)
    assert resp.status == 200
    assert resp.headers[b"access-control-allow-origin"] == b"*"
    assert b"POST" in resp.headers[b"access-control-allow-methods"]
    assert resp.headers[b"access-control-allow-headers"] == b"content-type"


def test_post_answers_carry_wildcard_cors_when_asked(new_http: NewHttp) -> None:
    run = drive(new_http(cors_origins=("*",)), request(body=BODY))
    assert parse_responses(run.out)[0].headers[b"access-control-allow-origin"] == b"*"


def test_cors_by_default_answers_local_pages_only(new_http: NewHttp) -> None:
    local = [*JSON, (b"Origin", b"http://localhost:3000")]
    other = [*JSON, (b"Origin", b"https://evil.example")]
    run = drive(new_http(), request(body=BODY, headers=local) + request(body=BODY, headers=other))
    good, bad = parse_responses(run.out)
    assert good.headers[b"access-control-allow-origin"] == b"http://localhost:3000"
    assert b"access-control-allow-origin" not in bad.headers
    assert bad.headers[b"vary"] == b"Origin"


def test_cors_origin_list_echoes_only_listed_origins(new_http: NewHttp) -> None:
    opts = {"cors_origins": ("http://ok.example",)}
    ok = [*JSON, (b"Origin", b"http://ok.example")]
    bad = [*JSON, (b"Origin", b"http://evil.example")]
    run = drive(new_http(**opts), request(body=BODY, headers=ok) + request(body=BODY, headers=bad))
    good, other = parse_responses(run.out)
    assert good.headers[b"access-control-allow-origin"] == b"http://ok.example"
    assert good.headers[b"vary"] == b"Origin"
    assert b"access-control-allow-origin" not in other.headers
    pre = drive(new_http(**opts), request(b"OPTIONS", headers=bad))
    assert b"access-control-allow-origin" not in parse_responses(pre.out)[0].headers


def test_cors_disabled_sends_no_cors_headers(new_http: NewHttp) -> None:
    run = drive(new_http(cors_origins=()), request(body=BODY))
    assert not any(k.startswith(b"access-control") for k in parse_responses(run.out)[0].headers)


def test_notification_reply_none_is_empty_200(new_http: NewHttp) -> None:
    run = drive(new_http(), request(body=BODY), reply=lambda _: None)
    [resp] = parse_responses(run.out)
    assert (resp.status, resp.body, resp.headers[b"content-length"]) == (200, b"", b"0")


def test_any_path_by_default_and_prefix_when_configured(new_http: NewHttp) -> None:
    assert drive(new_http(), request(b"POST", b"/v3/key", body=BODY)).messages == [BODY]
    conn = new_http(path_prefix="/rpc")
    run = drive(conn, request(b"POST", b"/", body=BODY) + request(b"POST", b"/rpc", body=BODY))
    missing, ok = parse_responses(run.out)
    assert (missing.status, missing.body) == (404, b"404 page not found\n")
    assert ok.status == 200


def test_malformed_http_is_400_and_closes(new_http: NewHttp) -> None:
    run = drive(new_http(), b"\x16\x03\x01 this is not http\r\n\r\n")
    [resp] = parse_responses(run.out)
    assert resp.status == 400
    assert resp.closes
    assert run.closed


def test_garbage_after_a_good_request_is_400_after_the_answer(new_http: NewHttp) -> None:
    run = drive(new_http(), request(body=BODY) + b"NONSENSE\x00\r\n\r\n")
    ok, bad = parse_responses(run.out)
    assert (ok.status, bad.status) == (200, 400)
    assert run.closed


def test_eof_between_requests_is_closed(new_http: NewHttp) -> None:
    run = drive(new_http(), request(body=BODY), b"")
    assert run.messages == [BODY]
    assert isinstance(run.events[-1], Closed)


def test_expect_100_continue_gets_100_then_the_answer(new_http: NewHttp) -> None:
    headers = [(b"Content-Type", b"application/json"), (b"Expect", b"100-continue")]
    data = request(body=BODY, headers=headers)
    split = data.index(b"\r\n\r\n") + 4
    conn = new_http()
    run = drive(conn, data[:split])
    assert parse_responses(run.out)[0].status == 100
    run = drive(conn, data[split:], run=run)
    assert [r.status for r in parse_responses(run.out)] == [100, 200]


def test_rejection_while_client_waits_for_100_closes(new_http: NewHttp) -> None:
    headers = [(b"Content-Type", b"text/plain"), (b"Expect", b"100-continue")]
    data = request(body=BODY, headers=headers)
    run = drive(new_http(), data[: data.index(b"\r\n\r\n") + 4])
    [resp] = parse_responses(run.out)
    assert resp.status == 415
    assert resp.closes
    assert run.closed


def test_http10_closes_after_the_answer(new_http: NewHttp) -> None:
    run = drive(new_http(), request(body=BODY, http10=True))
    assert run.messages == [BODY]
    assert run.closed


def test_fail_answers_500_and_closes(new_http: NewHttp) -> None:
    conn = new_http()
    conn.receive_data(request(body=BODY))
    assert isinstance(conn.next_event(), Message)
    conn.fail()
    [resp] = parse_responses(conn.data_to_send())
    assert resp.status == 500
    assert resp.closes
    assert isinstance(conn.next_event(), Closed)


def test_next_event_before_respond_is_an_error(new_http: NewHttp) -> None:
    conn = new_http()
    conn.receive_data(request(body=BODY))
    conn.next_event()
    with pytest.raises(RuntimeError):
        conn.next_event()


# -- WebSocket upgrade -------------------------------------------------------------------


def test_upgrade_hands_over_to_websocket(new_http: NewHttp) -> None:
    client, upgrade = ws_client("/")
    run = drive(new_http(), upgrade)
    event = run.events[-1]
    assert isinstance(event, Upgraded)
    ws = event.ws
    ws_accept(client, ws.data_to_send())
    ws.receive_data(client.send(TextMessage(data='{"id":1}')))
    assert ws.next_event() == Message(b'{"id":1}')


def test_upgrade_after_a_keep_alive_request_in_the_same_chunk(new_http: NewHttp) -> None:
    _, upgrade = ws_client("/")
    run = drive(new_http(), request(body=BODY) + upgrade)
    assert isinstance(run.events[-1], Upgraded)
    assert run.messages == [BODY]
    assert parse_responses(run.out)[0].status == 200


def test_frames_coalesced_with_the_upgrade_request_are_not_lost(new_http: NewHttp) -> None:
    client, upgrade = ws_client("/")
    # A client may write frames before reading the 101; encode them with a bare
    # client-side wsproto connection (same masking rules).
    frames = Connection(ConnectionType.CLIENT).send(TextMessage(data='{"id":2}'))
    run = drive(new_http(), upgrade + frames)
    event = run.events[-1]
    assert isinstance(event, Upgraded)
    ws_accept(client, event.ws.data_to_send())
    assert event.ws.next_event() == Message(b'{"id":2}')


@pytest.mark.parametrize(
    ("drop", "status"),
    [(b"sec-websocket-key", 400), (b"sec-websocket-version", 400)],
)
def test_bad_upgrade_is_refused_and_closes(drop: bytes, status: int, new_http: NewHttp) -> None:
    _, upgrade = ws_client("/")
    lines = [ln for ln in upgrade.split(b"\r\n") if not ln.lower().startswith(drop)]
    run = drive(new_http(), b"\r\n".join(lines))
    [resp] = parse_responses(run.out)
    assert resp.status == status
    assert run.closed


def test_wrong_websocket_version_is_426(new_http: NewHttp) -> None:
    _, upgrade = ws_client("/")
    upgrade = upgrade.replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8")
    run = drive(new_http(), upgrade)
    assert parse_responses(run.out)[0].status == 426


def test_upgrade_header_without_connection_upgrade_is_plain_http(new_http: NewHttp) -> None:
    headers = [(b"Upgrade", b"websocket")]
    run = drive(new_http(), request(b"GET", b"/", headers=headers))
    assert parse_responses(run.out)[0].status == 200
    assert not any(isinstance(e, Upgraded) for e in run.events)


def test_a_head_seen_before_is_still_judged_by_each_connections_options(new_http: NewHttp) -> None:
    # Parsed heads are remembered across connections; limits and paths are not.
    data = request(b"POST", b"/", body=BODY)
    assert drive(new_http(), data).messages == [BODY]
    run = drive(new_http(path_prefix="/rpc"), data)
    assert [r.status for r in parse_responses(run.out)] == [404]
    run = drive(new_http(max_body=len(BODY) - 1), data)
    assert [r.status for r in parse_responses(run.out)] == [413]
    assert drive(new_http(), data).messages == [BODY]


def test_remembered_heads_stay_bounded(new_http: NewHttp) -> None:
    from mocknode.wire import _http_head as http

    conn = new_http()  # one keep-alive client varying its headers
    for i in range(http._HEAD_CACHE_SIZE + 50):
        run = drive(conn, request(body=BODY, headers=[*JSON, (b"X-N", b"%d" % i)]))
        assert run.messages == [BODY]
    if conn._fast:
        assert 0 < len(http._HEAD_CACHE) <= http._HEAD_CACHE_SIZE
    assert len(conn._plain_heads) <= 64


# -- answers chosen by the layer above (faults) ---------------------------------------


def test_respond_status_writes_that_status_and_keeps_alive(new_http: NewHttp) -> None:
    conn = new_http()
    conn.receive_data(request(body=BODY) + request(body=BODY))
    assert isinstance(conn.next_event(), Message)
    conn.respond_status(429, b"slow\n", [("Retry-After", "1"), ("Content-Length", "99")])
    assert conn.data_to_send() == (
        b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Vary: Origin\r\nRetry-After: 1\r\nContent-Length: 5\r\n\r\nslow\n"
    )
    assert conn.next_event() == Message(BODY)


def test_respond_status_without_keep_alive_closes(new_http: NewHttp) -> None:
    conn = new_http(cors_origins=())
    conn.receive_data(request(body=BODY) + request(body=BODY))
    assert isinstance(conn.next_event(), Message)
    conn.respond_status(503, keep_alive=False)
    assert conn.data_to_send() == (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Connection: close\r\nContent-Length: 0\r\n\r\n"
    )
    assert conn.next_event() == Closed("connection close")


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (100, b"", []),
        (600, b"", []),
        (204, b"x", []),
        (429, b"", [("Bad Name", "1")]),
        (429, b"", [("X", " padded")]),
        (429, b"", [("X", "line\nbreak")]),
        (429, b"", [("X", "\u20ac")]),
    ],
)
def test_respond_status_refuses_what_http_cannot_carry(
    new_http: NewHttp, status: int, body: bytes, headers: list[tuple[str, str]]
) -> None:
    conn = new_http()
    conn.receive_data(request(body=BODY))
    assert isinstance(conn.next_event(), Message)
    with pytest.raises(ValueError, match=r"HTTP status|header"):
        conn.respond_status(status, body, headers)
    assert conn.data_to_send() == b""
    conn.respond(b"[]")  # nothing was sent: the request can still be answered
    assert parse_responses(conn.data_to_send())[0].status == 200


def test_respond_out_of_band_sends_nothing_and_reads_on(new_http: NewHttp) -> None:
    conn = new_http()
    conn.receive_data(request(body=b"[1]") + request(body=b"[2]"))
    assert conn.next_event() == Message(b"[1]")
    conn.respond_out_of_band()
    assert conn.data_to_send() == b""
    assert conn.next_event() == Message(b"[2]")


def test_fail_reports_the_same_close_in_both_modes(new_http: NewHttp) -> None:
    conn = new_http()
    conn.receive_data(request(body=BODY))
    conn.next_event()
    conn.fail(503, "busy")
    assert conn.next_event() == Closed("failed")
