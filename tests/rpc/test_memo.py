"""The read memo on its own (sans-io): where it cuts the id, what it agrees to keep, and
what a lookup gives back."""

from __future__ import annotations

import json

import pytest

from mocknode.rpc.memo import MAX_ANSWER, MAX_BYTES, MAX_ENTRIES, ReadMemo, split_id

CALL = b'{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]}'
ANSWER = b'{"jsonrpc":"2.0","id":7,"result":"0x5"}'


def remembered(payload: bytes, answer: bytes, stamp: object = 1) -> ReadMemo:
    memo = ReadMemo()
    cut = split_id(payload)
    assert cut is not None
    memo.remember(cut[0], cut[1], payload, answer, stamp)
    return memo


def ask(memo: ReadMemo, payload: bytes, stamp: object = 1) -> bytes | None:
    cut = split_id(payload)
    if cut is None:
        return None
    found = memo.lookup(cut[0], cut[1], stamp)
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("payload", "key", "ident"),
    [
        (CALL, b'{"jsonrpc":"2.0","id":,"method":"eth_blockNumber","params":[]}', b"7"),
        # web3.py's spacing, id last
        (
            b'{"jsonrpc": "2.0", "method": "eth_chainId", "params": [], "id": 12}',
            b'{"jsonrpc": "2.0", "method": "eth_chainId", "params": [], "id": }',
            b"12",
        ),
        (b'{"id" : "a-b c","method":"x"}', b'{"id" : ,"method":"x"}', b'"a-b c"'),
        (b'{"id":0}', b'{"id":}', b"0"),
    ],
)
def test_split_id_cuts_the_first_id_out(payload: bytes, key: bytes, ident: bytes) -> None:
    assert split_id(payload) == (key, ident)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"jsonrpc":"2.0","method":"eth_blockNumber"}',  # a notification
        b'{"id":-1}',  # signed
        b'{"id":01}',  # not JSON
        b'{"id":1.5}',
        b'{"id":null}',
        b'{"id":"a\\"b"}',  # an escape
        b'{"id":"\xc3\xa9"}',  # not ASCII
        b'{"id":12345678901234567890}',  # longer than any id the memo keeps
        b'{"id":[1]}',
    ],
)
def test_split_id_refuses_other_ids(payload: bytes) -> None:
    assert split_id(payload) is None


def test_a_kept_answer_comes_back_with_each_messages_own_id() -> None:
    memo = remembered(CALL, ANSWER)
    assert ask(memo, CALL) == ANSWER
    assert ask(memo, CALL.replace(b'"id":7', b'"id":123456')) == ANSWER.replace(
        b'"id":7', b'"id":123456'
    )
    assert ask(memo, CALL.replace(b'"id":7', b'"id":"x"')) == ANSWER.replace(b'"id":7', b'"id":"x"')
    found = memo.lookup(*split_id(CALL), 1)  # type: ignore[misc]
    assert found is not None
    assert found[1] == "eth_blockNumber"


def test_only_the_same_stamp_finds_it() -> None:
    memo = remembered(CALL, ANSWER, stamp=("head", 1))
    assert ask(memo, CALL, ("head", 1)) == ANSWER
    assert ask(memo, CALL, ("head", 2)) is None
    assert ask(memo, CALL, ("other", 1)) is None


def test_only_the_same_bytes_find_it() -> None:
    memo = remembered(CALL, ANSWER)
    assert ask(memo, CALL.replace(b'"params":[]', b'"params": []')) is None
    assert ask(memo, CALL + CALL) is None  # two messages in one read
    assert ask(memo, CALL[:-1]) is None


def test_a_string_id_is_kept_too() -> None:
    payload = CALL.replace(b'"id":7', b'"id":"req-1"')
    answer = ANSWER.replace(b'"id":7', b'"id":"req-1"')
    memo = remembered(payload, answer)
    assert ask(memo, payload.replace(b"req-1", b"req-2")) == answer.replace(b"req-1", b"req-2")


def balance_call(tag: str, ident: object = 1) -> bytes:
    message = {"jsonrpc": "2.0", "id": ident, "method": "eth_getBalance", "params": ["0xab", tag]}
    return json.dumps(message, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        # not a method whose answer follows from the chain alone
        (CALL.replace(b"eth_blockNumber", b"eth_gasPrice"), ANSWER),
        (CALL.replace(b"eth_blockNumber", b"eth_sendTransaction"), ANSWER),
        # the pending block follows the pool and the clock
        (balance_call("pending"), b'{"jsonrpc":"2.0","id":1,"result":"0x0"}'),
        # an error is not kept
        (CALL, b'{"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"x"}}'),
        # an escape anywhere: an escaped key could be the envelope's id
        (
            b'{"jsonrpc":"2.0","id":7,"method":"eth_getCode","params":["\\u0030x1","latest"]}',
            ANSWER,
        ),
        # a second "id": the first one might not be the envelope's
        (
            b'{"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":[{"id":7},"latest"]}',
            ANSWER,
        ),
        (b'{"id":7,"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":8}', ANSWER),
        # not a plain call
        (b'{"jsonrpc":"1.0","id":7,"method":"eth_blockNumber","params":[]}', ANSWER),
        (b'{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":{}}', ANSWER),
        (b'{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","extra":1}', ANSWER),
        (b'{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]', ANSWER),
        # not strict UTF-8 (an encoded surrogate, which json.loads takes from bytes)
        (
            b'{"jsonrpc":"2.0","id":7,"method":"eth_getBalance",'
            b'"params":["0xab",{"blockNumber":"0x0","x":"\xed\xa0\x80"}]}',
            ANSWER,
        ),
        # a message larger than any answer kept
        (CALL.replace(b"[]", b"[" + b" " * MAX_ANSWER + b"]"), ANSWER),
        # an answer that is not this message's
        (CALL, ANSWER.replace(b'"id":7', b'"id":8')),
        (CALL, b'{"jsonrpc":"2.0","id":7,"result":"' + b"0" * MAX_ANSWER + b'"}'),
    ],
)
def test_what_is_not_kept(payload: bytes, answer: bytes) -> None:
    cut = split_id(payload)
    assert cut is not None
    memo = ReadMemo()
    memo.remember(cut[0], cut[1], payload, answer, 1)
    assert len(memo) == 0
    assert ask(memo, payload) is None


def test_a_disabled_memo_keeps_nothing() -> None:
    memo = ReadMemo(enabled=False)
    cut = split_id(CALL)
    assert cut is not None
    memo.remember(cut[0], cut[1], CALL, ANSWER, 1)
    assert len(memo) == 0


def test_a_full_memo_starts_afresh() -> None:
    memo = ReadMemo()
    for n in range(MAX_ENTRIES + 1):
        payload = balance_call(hex(n))
        answer = b'{"jsonrpc":"2.0","id":1,"result":"0x%x"}' % n
        memo.remember(*split_id(payload), payload, answer, 1)  # type: ignore[misc]
    assert len(memo) == 1
    assert ask(memo, balance_call(hex(MAX_ENTRIES))) is not None
    assert ask(memo, balance_call("0x0")) is None


def test_the_memo_holds_a_bounded_number_of_bytes() -> None:
    memo = ReadMemo()
    big = b"0" * (MAX_ANSWER - 64)
    count = MAX_BYTES // MAX_ANSWER + 2
    for n in range(count):
        payload = balance_call(hex(n))
        answer = b'{"jsonrpc":"2.0","id":1,"result":"' + big + b'"}'
        memo.remember(*split_id(payload), payload, answer, 1)  # type: ignore[misc]
    assert len(memo) < count
    assert ask(memo, balance_call(hex(count - 1))) is not None
    # The same message kept again replaces its answer; it does not count twice.
    again = ReadMemo()
    for _ in range(count * 2):
        payload = balance_call("0x1")
        again.remember(
            *split_id(payload), payload, b'{"jsonrpc":"2.0","id":1,"result":"' + big + b'"}', 1
        )  # type: ignore[misc]
    payload = balance_call("0x2")
    again.remember(*split_id(payload), payload, b'{"jsonrpc":"2.0","id":1,"result":"0x0"}', 1)  # type: ignore[misc]
    assert len(again) == 2
