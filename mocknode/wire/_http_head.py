"""Judging HTTP request heads: the checks both parsers share, and the fast path's reader.

:class:`~mocknode.wire.http.HttpConnection` has two ways to read a request: h11 (every
request when the fast path is off, and every unusual one) and the hand-written reader
below for plain JSON POSTs. Each rule that decides an answer (the path prefix, the
content type, the body limit, what a response header may contain) is one function
here, called by both, so the two parsers cannot drift apart; the fast path only uses
them to decide that a request is plain, and leaves every refusal to h11's side.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

ACCEPTED_CONTENT_TYPES: Final = frozenset(
    {b"application/json", b"application/json-rpc", b"application/jsonrequest"}
)

# RFC 9110 token, and a field value as h11 accepts it (no leading or trailing
# whitespace, no NUL, CR or LF): a response header we write by hand on the fast path
# must be one h11 would have written too.
_TOKEN: Final = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_FIELD_VALUE: Final = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")


def path_allowed(target: bytes, prefix: str) -> bool:
    """geth's ``--http.rpcprefix`` check, on the path without its query string."""
    if prefix == "/":  # the default: any path (a target starting with "/" has one)
        return target[:1] == b"/"
    return target.partition(b"?")[0].decode("latin-1").startswith(prefix)


def is_json_content_type(value: bytes | None) -> bool:
    """Whether a ``Content-Type`` value names JSON (geth's accepted media types; any
    parameters such as ``charset`` are ignored, case does not matter)."""
    if value is None:
        return False
    return value.split(b";", 1)[0].strip().lower() in ACCEPTED_CONTENT_TYPES


def oversize_text(length: int, max_body: int) -> str | None:
    """geth's 413 text for a declared body length over the limit, or None if it fits."""
    if length > max_body:
        return f"content length too large ({length}>{max_body})"
    return None


def host_allowed(host: bytes | None, allowed: tuple[str, ...]) -> bool:
    """geth's ``--http.vhosts`` check (``node/rpcstack.go`` ``virtualHostHandler``): no
    ``Host``, or an IP address (``127.0.0.1:8545``, ``[::1]:8545``), is always served,
    since DNS rebinding needs a name; a name must be in ``allowed`` (case-insensitive,
    without its port), or ``allowed`` holds ``*``. ``allowed`` is lower-case."""
    if not host or "*" in allowed:
        return True
    text = host.decode("latin-1").lower()
    if text.startswith("["):  # an IPv6 literal, with or without a port
        return True
    name, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        name = text
    if name in allowed:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def origin_allowed(origin: bytes | str, rules: tuple[str, ...]) -> bool:
    """Whether a browser ``Origin`` passes one of ``rules`` (lower-case), as geth's
    WebSocket origin check reads them: ``*`` allows any; ``http://localhost`` allows that
    scheme and host on any port; ``http://localhost:3000`` that port only; a rule without
    a scheme (``localhost``) any scheme."""
    if "*" in rules:
        return True
    text = (origin.decode("latin-1") if isinstance(origin, bytes) else origin).lower()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return False
    host, _, port = rest.rpartition(":") if rest.rpartition(":")[2].isdigit() else (rest, "", "")
    for rule in rules:
        r_scheme, r_sep, r_rest = rule.partition("://")
        if not r_sep:
            r_scheme, r_rest = "", rule
        r_host, r_colon, r_port = r_rest.rpartition(":")
        if not r_colon or not r_port.isdigit():
            r_host, r_port = r_rest, ""
        if (
            (not r_scheme or r_scheme == scheme)
            and r_host == host
            and (not r_port or r_port == port)
        ):
            return True
    return False


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """A response header as bytes; ValueError unless it is valid HTTP (names are tokens,
    values Latin-1 without CR, LF, NUL or surrounding whitespace)."""
    try:
        raw_name = name.encode("ascii")
        raw_value = value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"header {name!r}: {exc}") from None
    if _TOKEN.fullmatch(raw_name) is None:
        raise ValueError(f"invalid header name {name!r}")
    if _FIELD_VALUE.fullmatch(raw_value) is None:
        raise ValueError(f"invalid value for header {name!r}: {value!r}")
    return raw_name, raw_value


# -- the fast path's reader --------------------------------------------------------------

# RFC 9110 header field lines: token ":" field-value CRLF (visible ASCII, obs-text, space
# and tab in the value; no CR or LF). Lines are matched one by one; a block is valid
# when the matches cover it exactly. (One anchored pattern for the whole block
# backtracks per byte and costs 2-3x more.)
_HEADER_LINE: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n")
_REQUEST_LINE: Final = re.compile(rb"POST (/[\x21-\x7e]*) HTTP/1\.1\r\n")
_FRAMING_NAMES: Final = (b"\ntransfer-encoding:", b"\nexpect:", b"\nupgrade:", b"\nte:")
_CONTENT_LENGTH: Final = re.compile(rb"\ncontent-length:[ \t]*([0-9]{1,18})[ \t]*\r")
_CONTENT_TYPE: Final = re.compile(rb"\ncontent-type:[ \t]*([^\r]*)")
_CONNECTION: Final = re.compile(rb"\nconnection:[ \t]*([^\r]*?)[ \t]*\r")
_ORIGIN: Final = re.compile(rb"\norigin:[ \t]*([^\r]*?)[ \t]*\r", re.IGNORECASE)
_HOST: Final = re.compile(rb"\nhost:[ \t]*([^\r]*?)[ \t]*\r")

SimpleHead = tuple[bytes, int, bytes | None, bool, bytes]
"""(target, content length, Origin or None, whether the content type is JSON, Host)."""

# Parsed plain heads by their exact bytes. A keep-alive client sends the same head for
# every request of the same size (same host, headers, content length), so after the
# first one a request costs a dict lookup instead of ~8 µs of scans; bounded so that a
# client varying its headers cannot grow it. Nothing in an entry depends on a
# connection's options: those are checked per request.
_HEAD_CACHE: dict[bytes, SimpleHead | None] = {}
_HEAD_CACHE_SIZE: Final = 512


def simple_request(head: bytes) -> SimpleHead | None:
    """:func:`parse_simple_request`, remembered for heads seen before."""
    try:
        return _HEAD_CACHE[head]
    except KeyError:
        pass
    parsed = parse_simple_request(head)
    if len(_HEAD_CACHE) >= _HEAD_CACHE_SIZE:
        _HEAD_CACHE.clear()
    _HEAD_CACHE[head] = parsed
    return parsed


def parse_simple_request(head: bytes) -> SimpleHead | None:
    """What the fast path needs from a plain POST head, or None for anything unusual.

    ``head`` is everything before the blank line. None sends the request to h11, which
    then handles it exactly as it always does. Every check is a C-level scan of the
    (validated) head, lower-cased once: header lines all follow a ``\\n``, and a
    validated field value holds no CR or LF.
    """
    line = _REQUEST_LINE.match(head)
    if line is None:
        return None
    block = head[line.end() :] + b"\r\n"
    if sum(map(len, _HEADER_LINE.findall(block))) != len(block):
        return None
    lower = b"\n" + block.lower()
    if lower.count(b"\ncontent-length:") != 1 or lower.count(b"\nhost:") != 1:
        return None
    for name in _FRAMING_NAMES:
        if name in lower:
            return None
    if b"\nconnection:" in lower:
        connection = _CONNECTION.findall(lower)
        if connection != [b"keep-alive"]:
            return None
    length_match = _CONTENT_LENGTH.search(lower)
    if length_match is None:
        return None
    ctype_match = _CONTENT_TYPE.search(lower)
    json_type = is_json_content_type(ctype_match.group(1) if ctype_match else None)
    origin_match = _ORIGIN.search(block) if b"\norigin:" in lower else None
    origin = origin_match.group(1) if origin_match else None
    host_match = _HOST.search(lower)
    host = host_match.group(1) if host_match else b""
    return line.group(1), int(length_match.group(1)), origin, json_type, host
