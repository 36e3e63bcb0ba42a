"""A kept-alive HTTP/1.1 client for JSON-RPC posts: what the plugin's ``w3`` sends through.

web3's ``HTTPProvider`` posts every request through its session manager's
``make_post_request(endpoint_uri, data, **kwargs) -> bytes``, on a ``requests`` session.
For a node on this machine that costs about as much as the node's answer: ``requests``
reads the proxy variables and ``~/.netrc`` on every call (``trust_env``), and urllib3
writes the head and the body separately (the node's thread wakes twice).
:class:`KeptAliveTransport` offers the same method over ``http.client`` connections kept
alive in a small pool: one write per request (which ``http.client`` alone does not give
either: see :class:`_OneWriteConnection`), no environment lookups, no proxy.

Failures raise what ``requests`` raises, so ``except requests.RequestException`` and web3's
retry configuration see the same types: ``requests.ConnectionError`` (refused, reset,
closed), ``ConnectTimeout`` and ``ReadTimeout``, and for a 4xx/5xx status the
``requests.HTTPError`` that ``requests.Response.raise_for_status`` itself builds (same
message, ``.response`` attached). No web3 here; ``requests`` only for its exceptions.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_S = 30.0


class KeptAliveTransport:
    """Posts JSON-RPC bodies over kept-alive HTTP/1.1 connections.

    It offers the one method web3's ``HTTPProvider`` calls on its session manager,
    ``make_post_request(endpoint_uri, data, **kwargs) -> bytes``, with the keyword
    arguments the provider passes (``headers``, ``timeout``). Idle connections wait in a
    pool, so calls from several threads each get their own; one found closed by the
    server is replaced before use.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def make_post_request(self, endpoint_uri: str, data: bytes, **kwargs: Any) -> bytes:
        import requests  # type: ignore[import-untyped]

        url = urlsplit(endpoint_uri)
        if url.scheme != "http" or url.hostname is None:
            raise requests.exceptions.InvalidURL(f"the node is served over http: {endpoint_uri}")
        key = (url.hostname, url.port or 80)
        timeout = kwargs.get("timeout") or DEFAULT_TIMEOUT_S
        conn = self._checkout(key, timeout, endpoint_uri)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        try:
            conn.request("POST", path, data, kwargs.get("headers") or {})
            response = conn.getresponse()
            body = response.read()
        except TimeoutError as exc:
            conn.close()
            raise requests.exceptions.ReadTimeout(
                f"no answer from {endpoint_uri} within {timeout} s"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise requests.exceptions.ConnectionError(
                f"connection to {endpoint_uri} failed: {exc!r}"
            ) from exc
        if response.will_close:
            conn.close()
        else:
            self._checkin(key, conn)
        if response.status >= 400:
            _raise_http_error(endpoint_uri, response, body)
        return body

    def _checkout(
        self, key: tuple[str, int], timeout: float, endpoint_uri: str
    ) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if _still_open(conn):
                    conn.timeout = timeout
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout)
                    return conn
                conn.close()
        return _connect(key, timeout, endpoint_uri)

    def _checkin(self, key: tuple[str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def close(self) -> None:
        """Close the idle connections; later requests open new ones."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


class _OneWriteConnection(http.client.HTTPConnection):
    """An ``HTTPConnection`` that writes a request's head and body in one ``send``.

    ``http.client`` sends the head, then the body: two segments with ``TCP_NODELAY``, so
    a node waiting for the request wakes on the head, finds no body, and waits again (a
    second trip through its event loop per request). This overrides the one method that
    writes them (``_send_output``, unchanged since Python 3.6), for a ``bytes`` body only;
    anything else goes the stock way. ``tests/plugin/test_web3_clients.py`` counts the
    writes, so a Python that changes the method fails a test rather than this quietly."""

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if type(message_body) is not bytes or encode_chunked:
            super()._send_output(message_body, encode_chunked)  # type: ignore[misc]  # not in typeshed
            return
        buffer: list[bytes] = self._buffer  # type: ignore[attr-defined]
        buffer.extend((b"", message_body))  # the head's blank line, then the body
        data = b"\r\n".join(buffer)
        del buffer[:]
        self.send(data)


def _connect(key: tuple[str, int], timeout: float, endpoint_uri: str) -> http.client.HTTPConnection:
    import requests

    conn = _OneWriteConnection(key[0], key[1], timeout=timeout)
    try:
        conn.connect()
    except TimeoutError as exc:
        conn.close()
        raise requests.exceptions.ConnectTimeout(
            f"connecting to {endpoint_uri} took over {timeout} s"
        ) from exc
    except OSError as exc:
        conn.close()
        raise requests.exceptions.ConnectionError(
            f"cannot connect to {endpoint_uri}: {exc!r}"
        ) from exc
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle connection is readable only when the server closed it (or broke HTTP)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _raise_http_error(endpoint_uri: str, response: http.client.HTTPResponse, body: bytes) -> None:
    """Raise the ``requests.HTTPError`` that ``requests`` raises for this status, built by
    ``requests.Response.raise_for_status`` itself (same message, ``.response`` attached)."""
    import requests
    from requests.structures import CaseInsensitiveDict  # type: ignore[import-untyped]

    prepared = requests.PreparedRequest()
    prepared.prepare_url(endpoint_uri, None)  # requests' form of the URL ("http://h:p/")
    failed = requests.Response()
    failed.status_code = response.status
    failed.reason = response.reason
    failed.url = prepared.url or endpoint_uri
    failed.headers = CaseInsensitiveDict(response.getheaders())
    failed.encoding = requests.utils.get_encoding_from_headers(failed.headers)
    failed._content = body  # what requests' adapters set, so .text and .json() work
    failed.raise_for_status()
