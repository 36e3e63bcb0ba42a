"""Overrides, the access-list search and the simulator with explicit inputs: a state
built by hand, no node, no JSON. What each writes is checked against the state it was
given, which must be left exactly as it was."""

from __future__ import annotations

import pytest
from chain_helpers import CHAIN_ID, DEV, install, new_world

from mocknode.chain.args import TxArgs
from mocknode.chain.evm import calls
from mocknode.chain.evm.access_list import create_access_list
from mocknode.chain.evm.overrides import (
    AccountOverride,
    BlockOverrides,
    OverrideError,
    apply_state,
    default_precompiles,
    overlay,
)
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH
from mocknode.chain.simulate import SimBlock, SimOptions, SimulationError, simulate
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.overlay import OverlayReader
from mocknode.chain.state.world import Account, BlockDiff
from mocknode.types import Address, Hash32

A = Address(b"\x11" * 20)
B = Address(b"\x22" * 20)
C = Address(b"\x33" * 20)
ECRECOVER = Address(b"\x00" * 19 + b"\x01")
SHA256 = Address(b"\x00" * 19 + b"\x02")


def sload(slot: int) -> bytes:
    return bytes.fromhex(f"60{slot:02x}5460005260206000f3")


def test_apply_state_writes_every_field_into_the_journal_only() -> None:
    state, _ = new_world()
    install(state, A, code=b"\x00", storage={1: 10, 2: 20}, balance=5, nonce=1)
    reader = state.reader()
    journal = JournalAccounts(reader)
    precompiles = default_precompiles()
    apply_state(
        journal,
        (
            (A, AccountOverride(nonce=9, balance=7, code=b"\x60\x00", state=((3, 30),))),
            (B, AccountOverride(state_diff=((1, 4),))),
        ),
        precompiles,
    )
    assert (journal.get_nonce(A), journal.get_balance(A), journal.get_code(A)) == (
        9,
        7,
        b"\x60\x00",
    )
    # `state` wipes what was there; `stateDiff` keeps it.
    assert [journal.get_storage(A, s) for s in (1, 2, 3)] == [0, 0, 30]
    assert journal.get_storage(B, 1) == 4
    # The overrides are the "original" values of the next transaction (geth's Finalise).
    assert journal.get_storage(A, 3, from_journal=False) == 30
    assert reader.account(A) is not None
    assert reader.account(A).nonce == 1
    assert reader.storage(A, 1) == 10
    assert reader.account(B) is None


def test_precompile_moves_and_removals() -> None:
    state, _ = new_world()
    journal = JournalAccounts(state.reader())
    precompiles = default_precompiles()
    apply_state(
        journal,
        ((ECRECOVER, AccountOverride(move_precompile_to=A)), (SHA256, AccountOverride(balance=1))),
        precompiles,
    )
    assert precompiles[A] == ECRECOVER
    assert ECRECOVER not in precompiles
    assert SHA256 not in precompiles


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ((A, AccountOverride(state=(), state_diff=())),),
            "account 0x1111111111111111111111111111111111111111 has both 'state' and 'stateDiff'",
        ),
        (
            ((A, AccountOverride(move_precompile_to=B)),),
            "account 0x1111111111111111111111111111111111111111 is not a precompile",
        ),
        (
            ((ECRECOVER, AccountOverride(move_precompile_to=B)), (B, AccountOverride(nonce=1))),
            "account 0x2222222222222222222222222222222222222222 is already overridden",
        ),
        (
            ((ECRECOVER, AccountOverride(move_precompile_to=B)), (B, AccountOverride())),
            "account 0x2222222222222222222222222222222222222222 is already overridden",
        ),
    ],
)
def test_apply_state_errors(
    overrides: tuple[tuple[Address, AccountOverride], ...], message: str
) -> None:
    state, _ = new_world()
    with pytest.raises(OverrideError) as raised:
        apply_state(JournalAccounts(state.reader()), overrides, default_precompiles())
    assert raised.value.message == message


def test_access_list_excludes_sender_recipient_and_precompiles() -> None:
    state, genesis = new_world()
    # A: SLOAD(1) of itself (the recipient: its bare entry is left out, its slot kept, as
    # geth's access-list tracer does), then CALL B (which SLOADs 5 and 2), then STATICCALL
    # the identity precompile (left out).
    call_b = "6000600060006000600073" + B.hex() + "5af150"
    identity = "600060006000600060045afa50"
    install(state, A, code=bytes.fromhex("60015450" + call_b + identity + "00"))
    install(state, B, code=bytes.fromhex("6005546002545050" + "00"))
    env = calls.call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=lambda: iter(()))
    sender = DEV[0].address
    found = create_access_list(state.reader(), env, TxArgs(sender=sender, to=A))
    slot = lambda n: Hash32(n.to_bytes(32, "big"))  # noqa: E731
    assert found.access_list == ((A, (slot(1),)), (B, (slot(2), slot(5))))
    assert found.error is None
    # The gas reported is the gas with that list: the same call with it uses as much.
    with_list = TxArgs(sender=sender, to=A, access_list=found.access_list)
    assert calls.estimate_gas(state.reader(), env, with_list) >= found.gas_used
    # Entries the caller gives stay in, even ones the call never touches.
    given = TxArgs(sender=sender, to=A, access_list=((C, (slot(9),)),))
    again = create_access_list(state.reader(), env, given)
    assert again.access_list == ((A, (slot(1),)), (B, (slot(2), slot(5))), (C, (slot(9),)))


def test_access_list_keeps_what_a_reverted_frame_touched() -> None:
    state, genesis = new_world()
    # A calls B, which SLOADs 7 then reverts: geth's tracer still lists B and slot 7.
    call_b = "6000600060006000600073" + B.hex() + "5af150"
    install(state, A, code=bytes.fromhex(call_b + "00"))
    install(state, B, code=bytes.fromhex("60075450" + "60006000fd"))
    env = calls.call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=lambda: iter(()))
    found = create_access_list(state.reader(), env, TxArgs(sender=DEV[0].address, to=A))
    assert found.access_list == ((B, (Hash32((7).to_bytes(32, "big")),)),)


def test_simulation_orders_blocks_and_fills_gaps() -> None:
    state, genesis = new_world()
    env = calls.call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=lambda: iter(()))
    options = SimOptions(
        (SimBlock(), SimBlock(block_overrides=BlockOverrides(number=4)), SimBlock())
    )
    blocks = simulate(state.reader(), genesis, env, options)
    assert [b.block.number for b in blocks] == [1, 2, 3, 4, 5]
    stamps = [b.block.header.timestamp for b in blocks]
    assert stamps == [genesis.header.timestamp + 12 * i for i in range(1, 6)]
    assert [b.block.header.parent_hash for b in blocks[1:]] == [b.block.hash for b in blocks[:-1]]
    with pytest.raises(SimulationError) as raised:
        simulate(
            state.reader(),
            genesis,
            env,
            SimOptions(
                (
                    SimBlock(block_overrides=BlockOverrides(number=2)),
                    SimBlock(block_overrides=BlockOverrides(number=2)),
                )
            ),
        )
    assert (raised.value.code, raised.value.message) == (
        -38020,
        "block numbers must be in order: 2 <= 2",
    )


def test_simulation_carries_state_between_calls_and_commits_nothing() -> None:
    state, genesis = new_world()
    reader = state.reader()
    env = calls.call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=lambda: iter(()))
    send = TxArgs(sender=DEV[0].address, to=C, value=5)
    read = TxArgs(sender=DEV[1].address, to=A)
    options = SimOptions(
        (
            SimBlock(
                state_overrides=(
                    (
                        A,
                        AccountOverride(
                            code=bytes.fromhex("7333" + "33" * 19 + "31" + "60005260206000f3")
                        ),
                    ),
                ),
                calls=(send, send, read),
            ),
            SimBlock(calls=(read,)),
        )
    )
    head = state.head
    blocks = simulate(reader, genesis, env, options)
    first, second = blocks
    assert [c.success for c in first.calls] == [True, True, True]
    assert int.from_bytes(first.calls[2].return_data, "big") == 10  # BALANCE(C) after two sends
    assert int.from_bytes(second.calls[0].return_data, "big") == 10  # and in the next block
    assert [tx.nonce for tx in first.block.transactions] == [0, 1, 0]
    assert state.head == head
    assert reader.account(C) is None


def test_overrides_on_the_pending_blocks_overlay_keep_its_changes() -> None:
    state, _ = new_world()
    base = state.reader()
    pending = OverlayReader(base, BlockDiff({A: Account(0, 5, EMPTY_CODE_HASH)}, {A: {1: 11}}, {}))
    reader, variant = overlay(pending, ((B, AccountOverride(balance=1, state_diff=((2, 22),))),))
    assert variant is None
    account = reader.account(A)
    assert account is not None
    assert account.balance == 5
    assert reader.storage(A, 1) == 11
    assert reader.account(B) == Account(0, 1, EMPTY_CODE_HASH)
    assert reader.storage(B, 2) == 22
    # A moved precompile is reported as a variant of the call.
    _, moved = overlay(pending, ((ECRECOVER, AccountOverride(move_precompile_to=C)),))
    assert moved is not None
    assert moved.precompiles is not None
    assert moved.precompiles[C] == ECRECOVER
