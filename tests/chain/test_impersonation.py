"""Sending without a key: impersonated accounts, auto-impersonation, EIP-3607."""

from __future__ import annotations

import pytest

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock
from mocknode.chain.config import ETHER, ChainConfig
from mocknode.chain.errors import TxRejected, UnknownAccount
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import TxLocation
from mocknode.chain.tx import codec as txcodec
from mocknode.chain.tx.signers import Signers
from mocknode.types import LATEST, Address

WHALE = Address(bytes.fromhex("28c6c06298d514db089934071355e5743bf21d60"))
OTHER = Address(b"\x77" * 20)


def new_chain(**options: object) -> Chain:
    chain = Chain(ChainConfig(clock=FixedClock(), **options))  # type: ignore[arg-type]
    chain.set_balance(WHALE, 100 * ETHER)
    chain.set_balance(OTHER, 100 * ETHER)
    return chain


def mined(chain: Chain, tx_hash: bytes) -> TxLocation:
    location = chain.receipt(tx_hash)  # type: ignore[arg-type]
    assert location is not None
    assert location.receipt.success
    return location


def test_an_impersonated_account_sends_with_anvils_placeholder_signature() -> None:
    chain = new_chain()
    bob = chain.accounts[1].address
    with pytest.raises(UnknownAccount, match=r"^unknown account$"):
        chain.send_transaction(TxArgs(sender=WHALE, to=bob, value=5))
    chain.signers.impersonate(WHALE)
    tx_hash = chain.send_transaction(TxArgs(sender=WHALE, to=bob, value=5))
    tx = mined(chain, tx_hash).tx
    assert tx.sender == WHALE
    assert tx.impersonated
    assert (tx.v, tx.r, tx.s) == (0, 1, 1)
    assert tx.hash == keccak(tx.raw + WHALE)  # unique per sender, as anvil's
    assert chain.transaction(tx_hash) == mined(chain, tx_hash)
    assert chain.balance(bob, LATEST) == 10_000 * ETHER + 5
    assert chain.nonce(WHALE, LATEST) == 1
    # The signature recovers some unrelated key's address, never the sender.
    assert txcodec.decode(tx.raw).sender != WHALE
    chain.signers.stop_impersonating(WHALE)
    with pytest.raises(UnknownAccount):
        chain.send_transaction(TxArgs(sender=WHALE, to=bob, value=5))


def test_the_same_fields_from_two_impersonated_accounts_get_two_hashes() -> None:
    chain = new_chain(automine=False)
    chain.signers.impersonate(WHALE)
    chain.signers.impersonate(OTHER)
    args = dict(to=chain.accounts[1].address, value=1, gas=21000, max_fee_per_gas=10**10)
    first = chain.send_transaction(TxArgs(sender=WHALE, **args))  # type: ignore[arg-type]
    second = chain.send_transaction(TxArgs(sender=OTHER, **args))  # type: ignore[arg-type]
    assert first != second
    a, b = chain.pool.get(first), chain.pool.get(second)
    assert a is not None
    assert b is not None
    assert a.raw == b.raw


def test_legacy_transactions_get_an_eip155_placeholder_v() -> None:
    chain = new_chain()
    chain.signers.impersonate(WHALE)
    tx_hash = chain.send_transaction(TxArgs(sender=WHALE, to=OTHER, gas_price=2 * 10**9))
    tx = mined(chain, tx_hash).tx
    assert tx.type == 0
    assert (tx.v, tx.r, tx.s) == (31337 * 2 + 35, 1, 1)


def test_a_contract_sends_when_impersonated_and_is_refused_otherwise() -> None:
    chain = new_chain()
    alice = chain.accounts[0]
    chain.set_code(WHALE, b"\x00")
    chain.signers.impersonate(WHALE)
    mined(chain, chain.send_transaction(TxArgs(sender=WHALE, to=OTHER, value=1)))
    # A dev account with code (anvil_setCode) signs a valid transaction: EIP-3607 refuses
    # it with geth's words, unless the account is impersonated.
    chain.set_code(alice.address, b"\x60\x00")
    with pytest.raises(TxRejected) as refused:
        chain.send_transaction(TxArgs(sender=alice.address, to=OTHER, value=1))
    checksummed = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert refused.value.message == f"sender not an eoa: address {checksummed}, len(code): 2"
    chain.signers.impersonate(alice.address)
    tx = mined(chain, chain.send_transaction(TxArgs(sender=alice.address, to=OTHER, value=1))).tx
    assert not tx.impersonated  # the node holds the key: a real signature
    assert txcodec.decode(tx.raw).sender == alice.address
    # EIP-7702: a delegation designator keeps its owner an EOA.
    bob = chain.accounts[1].address
    chain.set_code(bob, b"\xef\x01\x00" + OTHER)
    mined(chain, chain.send_transaction(TxArgs(sender=bob, to=OTHER, value=1)))


def test_auto_impersonation_covers_every_address_and_keeps_dev_keys() -> None:
    chain = new_chain(auto_impersonate=True)
    mined(chain, chain.send_transaction(TxArgs(sender=WHALE, to=OTHER, value=1)))
    alice = chain.accounts[0].address
    tx = mined(chain, chain.send_transaction(TxArgs(sender=alice, to=OTHER, value=1))).tx
    assert txcodec.decode(tx.raw).hash == tx.hash
    chain.signers.auto_impersonate = False
    with pytest.raises(UnknownAccount):
        chain.send_transaction(TxArgs(sender=WHALE, to=OTHER, value=1))


def test_eth_accounts_lists_accounts_impersonated_by_name_after_the_dev_accounts() -> None:
    chain = new_chain(accounts=2)
    dev = [a.address for a in chain.accounts]
    chain.signers.impersonate(OTHER)
    chain.signers.impersonate(WHALE)
    chain.signers.impersonate(dev[1])  # already listed
    assert chain.signers.listed() == [*dev, OTHER, WHALE]
    chain.signers.auto_impersonate = True  # lists nobody more
    chain.signers.stop_impersonating(OTHER)
    assert chain.signers.listed() == [*dev, WHALE]


def test_a_snapshot_takes_impersonation_along() -> None:
    chain = new_chain()
    snap = chain.snapshot()
    chain.signers.impersonate(WHALE)
    chain.signers.auto_impersonate = True
    assert chain.revert(snap)
    assert not chain.signers.is_impersonated(WHALE)
    chain.signers.impersonate(OTHER)
    inside = chain.snapshot()
    chain.signers.stop_impersonating(OTHER)
    assert chain.revert(inside)
    assert chain.signers.is_impersonated(OTHER)


def test_signers_alone() -> None:
    dev = Chain(ChainConfig(accounts=1)).accounts
    signers = Signers(dev)
    assert signers.key_for(dev[0].address) == dev[0].private_key
    assert signers.dev_key(WHALE) is None
    with pytest.raises(UnknownAccount):
        signers.key_for(WHALE)
    signers.impersonate(WHALE)
    assert signers.key_for(WHALE) is None
    token = signers.capture()
    signers.stop_impersonating(WHALE)
    signers.auto_impersonate = True
    signers.restore(token)
    assert signers.capture() == ((WHALE,), False)
