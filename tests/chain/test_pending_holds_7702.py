"""Where the eth namespace meets holds, impersonation and state files: the pending
block leaves held transactions out (and follows holds, releases and drops as they
happen), EIP-7702 sends from impersonated accounts, and set-code transactions through a
state document."""

from __future__ import annotations

import pytest

from mocknode.chain.args import TxArgs, UnsignedAuthorization
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ETHER, ChainConfig
from mocknode.chain.errors import InvalidTxArgs
from mocknode.chain.tx.authorizations import sign_authorization
from mocknode.persist.document import load_document, state_document
from mocknode.persist.files import decode_document, encode_document
from mocknode.types import LATEST, PENDING, Address

TARGET = Address(b"\x42" * 20)
WHALE = Address(bytes.fromhex("28c6c06298d514db089934071355e5743bf21d60"))


def manual_chain() -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=12), automine=False))


def pending_hashes(chain: Chain) -> list[bytes]:
    return [tx.hash for tx in chain.resolve(PENDING).transactions]


def test_the_pending_block_leaves_held_transactions_out_until_they_may_go() -> None:
    chain = manual_chain()
    alice, bob = chain.accounts[0].address, chain.accounts[1].address
    first = chain.send_transaction(TxArgs(sender=alice, to=bob, value=1))
    second = chain.send_transaction(TxArgs(sender=alice, to=bob, value=2))
    other = chain.send_transaction(TxArgs(sender=bob, to=alice, value=3))
    assert sorted(pending_hashes(chain)) == sorted([first, second, other])

    chain.hold(first)  # until released: Alice's later nonce waits behind it
    assert pending_hashes(chain) == [other]
    assert chain.nonce(alice, PENDING) == 2  # still pooled: the pool's nonce counts it

    assert chain.release(first)
    assert sorted(pending_hashes(chain)) == sorted([first, second, other])

    # A hold until a block number the pending block (head + 1) has not reached.
    chain.hold(first, not_before_block=chain.head.number + 2)
    assert pending_hashes(chain) == [other]
    assert [tx.hash for tx in chain.mine(1)[0].transactions] == [other]
    assert pending_hashes(chain) == [first, second]  # the pending block is now that number

    chain.drop_transaction(second)
    assert pending_hashes(chain) == [first]
    assert [tx.hash for tx in chain.mine(1)[0].transactions] == [first]


def test_an_impersonated_sender_delegates_only_with_signed_authorizations() -> None:
    chain = Chain(ChainConfig(clock=FixedClock()))
    chain.set_balance(WHALE, 10 * ETHER)
    chain.signers.impersonate(WHALE)
    with pytest.raises(InvalidTxArgs, match="impersonated"):
        chain.send_transaction(
            TxArgs(sender=WHALE, to=WHALE, authorization_list=(UnsignedAuthorization(TARGET),))
        )
    # A sponsored delegation: the impersonated whale pays for a dev account's authorization.
    carol = chain.accounts[2]
    auth = sign_authorization(
        carol.private_key, chain_id=chain.config.chain_id, address=TARGET, nonce=0
    )
    tx_hash = chain.send_transaction(
        TxArgs(sender=WHALE, to=carol.address, authorization_list=(auth,))
    )
    location = chain.receipt(tx_hash)
    assert location is not None
    assert location.receipt.success
    assert location.tx.type == 4
    assert location.tx.impersonated
    assert chain.code(carol.address, LATEST) == b"\xef\x01\x00" + TARGET


def test_set_code_transactions_round_trip_through_a_state_document() -> None:
    chain = manual_chain()
    alice, bob = chain.accounts[0].address, chain.accounts[1].address
    chain.send_transaction(
        TxArgs(sender=alice, to=alice, authorization_list=(UnsignedAuthorization(TARGET),))
    )
    chain.mine(1)
    pooled = chain.send_transaction(
        TxArgs(sender=bob, to=bob, authorization_list=(UnsignedAuthorization(TARGET),))
    )
    fresh = Chain(ChainConfig(clock=FixedClock(start=1_700_000_000, step=12), automine=False))
    load_document(fresh, decode_document(encode_document(state_document(chain))))
    assert fresh.blocks == chain.blocks
    assert fresh.blocks[-1].transactions[0].authorization_list != ()
    assert list(fresh.pool) == list(chain.pool)
    assert fresh.code(alice, LATEST) == b"\xef\x01\x00" + TARGET
    assert fresh.resolve(PENDING) == chain.resolve(PENDING)
    assert fresh.mine(1) == chain.mine(1)
    assert fresh.code(bob, LATEST) == b"\xef\x01\x00" + TARGET
    assert fresh.receipt(pooled) is not None
