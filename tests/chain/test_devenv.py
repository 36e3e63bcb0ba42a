"""The chain under anvil's environment cheats, without RPC: the config and dev env a
snapshot restores, the next block's one-shot settings, anvil_setTime on the clock,
anvil_mine's interval, reset, the ERC-20 slot search, --order fifo, the code size limit
and the clock --timestamp starts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.clock import FixedClock, TimeTravel
from mocknode.chain.clock_from import StartedWallClock
from mocknode.chain.config import GWEI, ChainConfig
from mocknode.chain.devenv import DevEnv, set_clock
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.tokens import SlotProbe, balance_of, find_slot
from mocknode.types import LATEST, Address, Hash32

START = 1_700_000_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "fixtures" / "artifacts"
SOMEONE = Address(b"\x5a" * 20)


def chain(**options: Any) -> Chain:
    return Chain(ChainConfig(clock=FixedClock(start=START, step=12), **options))


def stamps(c: Chain) -> list[int]:
    return [block.header.timestamp for block in c.blocks]


# -- DevEnv ---------------------------------------------------------------------------------


def test_dev_env_values() -> None:
    assert not DevEnv().one_shot
    env = DevEnv(next_base_fee=7, timestamp_interval=5)
    assert env.one_shot
    assert env.spent() == DevEnv(timestamp_interval=5)
    assert env.stamp_after(100) == 105
    assert DevEnv(timestamp_interval=0).stamp_after(100) == 101  # never at the parent's time
    assert DevEnv().stamp_after(100) is None


def test_one_shot_settings_apply_to_the_next_block_only() -> None:
    c = chain()
    randao = Hash32(b"\xab" * 32)
    c.set_dev_env(next_base_fee=5 * GWEI, next_prev_randao=randao)
    assert c.next_base_fee() == 5 * GWEI
    first = c.mine_block()
    assert (first.header.base_fee_per_gas, first.header.mix_hash) == (5 * GWEI, randao)
    second = c.mine_block()
    assert second.header.base_fee_per_gas == 5 * GWEI * 7 // 8  # EIP-1559 from it
    assert second.header.mix_hash != randao
    assert c.dev_env == DevEnv()


def test_timestamp_interval_overrides_the_clock_until_removed() -> None:
    c = chain()
    c.set_dev_env(timestamp_interval=3)
    c.time.increase(1000)  # no effect meanwhile, as in anvil
    c.mine(2)
    assert stamps(c) == [START, START + 3, START + 6]
    c.set_dev_env(timestamp_interval=None)
    c.mine_block()
    assert stamps(c)[-1] == START + 6 + 12  # the clock again (the jump was spent)


def test_snapshots_restore_config_and_dev_env() -> None:
    c = chain()
    snap = c.snapshot()
    c.configure(chain_id=5, coinbase=SOMEONE, gas_limit=10_000_000)
    c.set_dev_env(next_base_fee=1, timestamp_interval=9)
    env = c.call_env(c.head)  # calls run on top of the head: its coinbase and gas limit
    assert (env.chain_id, env.coinbase, env.gas_limit) == (5, bytes(20), 30_000_000)
    c.mine_block()
    assert c.head.header.gas_limit == 10_000_000
    assert c.revert(snap)
    assert (c.config.chain_id, c.config.coinbase, c.config.gas_limit) == (
        31337,
        bytes(20),
        30_000_000,
    )
    assert c.dev_env == DevEnv()
    assert c.call_env(c.head).chain_id == 31337  # the cached call environment is dropped


# -- the clock ------------------------------------------------------------------------------


def test_set_clock_forward_and_back() -> None:
    c = chain()
    assert c.set_time(START + 5000) == 5000 - 12  # from where the next block would be
    c.mine(2)
    assert stamps(c)[1:] == [START + 5000, START + 5012]
    assert c.set_time(START) == 0
    c.mine_block()
    assert stamps(c)[-1] == START + 5013  # not before its parent


def test_set_clock_drops_a_pending_next_timestamp() -> None:
    time_travel = TimeTravel(FixedClock(start=START, step=1))
    time_travel.set_next_timestamp(START + 100)
    assert set_clock(time_travel, START, START + 50) == 49
    assert time_travel.peek_timestamp(START) == START + 50


def test_anvil_mine_interval() -> None:
    c = chain()
    c.mine(3, interval=60)
    assert stamps(c) == [START, START + 12 + 60, START + 132, START + 192]
    c.mine(2, interval=0)  # the clock's
    assert stamps(c)[-2:] == [START + 204, START + 216]
    c.set_next_timestamp(START + 1000)
    c.mine(2, interval=7)
    assert stamps(c)[-2:] == [START + 1000, START + 1007]


def test_started_wall_clock() -> None:
    clock = StartedWallClock(1000)
    assert clock.genesis_timestamp() == 1000
    assert 1000 <= clock.next_timestamp(999, 0, 0) <= 1002
    assert clock.next_timestamp(5000, 0, 0) == 5001  # never behind the parent
    assert 1060 <= clock.next_timestamp(999, 60, 60) <= 1062
    assert -2 <= clock.offset_for(1000, 0) <= 0
    with pytest.raises(ValueError, match="negative"):
        StartedWallClock(-1)
    assert abs(StartedWallClock(int(time.time())).offset_for(int(time.time()) + 10, 0) - 10) <= 1


# -- reset --------------------------------------------------------------------------------


def test_reset_goes_back_to_genesis() -> None:
    c = chain()
    genesis = c.blocks[0]
    c.set_balance(SOMEONE, 10)
    c.mine(3)
    c.configure(chain_id=9)
    c.set_dev_env(next_base_fee=1)
    c.time.increase(500)
    snap = c.snapshot()
    c.set_automine(False)
    c.send_transaction(TxArgs(sender=c.accounts[0].address, to=SOMEONE, value=1))
    c.reset()
    assert c.blocks == [genesis]
    assert c.balance(SOMEONE, LATEST) == 0
    assert len(c.pool) == 0
    assert (c.config.chain_id, c.dev_env, c.resets) == (31337, DevEnv(), 1)
    assert not c.revert(snap)
    assert c.automine is False  # the mining mode stays, as in anvil
    c.mine_block()
    assert c.head.header.timestamp == START + 12  # the clock as it started


# -- pool order -----------------------------------------------------------------------------


@pytest.mark.parametrize(("order", "first"), [("fees", 2), ("fifo", 1)])
def test_order(order: str, first: int) -> None:
    c = chain(tx_order=order, automine=False)
    low = c.send_transaction(
        TxArgs(sender=c.accounts[1].address, to=SOMEONE, max_priority_fee_per_gas=1)
    )
    high = c.send_transaction(
        TxArgs(sender=c.accounts[2].address, to=SOMEONE, max_priority_fee_per_gas=5 * GWEI)
    )
    assert c.pool.copy().fifo is (order == "fifo")
    block = c.mine_block()
    expected = [low, high] if first == 1 else [high, low]
    assert [tx.hash for tx in block.transactions] == expected


# -- code size ------------------------------------------------------------------------------


def initcode(runtime_size: int) -> bytes:
    """RETURN(0, size): deploys that many zero bytes."""
    return bytes.fromhex("61" + runtime_size.to_bytes(2, "big").hex() + "6000f3")


def test_code_size_limit() -> None:
    c = chain(code_size_limit=100)
    sender = c.accounts[0].address
    ok = c.receipt(c.send_transaction(TxArgs(sender=sender, data=initcode(100), gas=200_000)))
    too_big = c.receipt(c.send_transaction(TxArgs(sender=sender, data=initcode(101), gas=200_000)))
    assert ok is not None
    assert too_big is not None
    assert (ok.receipt.success, too_big.receipt.success) == (True, False)
    # The default limit still applies elsewhere: 24576 bytes deploy, one more does not.
    d = chain()
    big = d.receipt(d.send_transaction(TxArgs(sender=sender, data=initcode(24_577), gas=10**7)))
    assert big is not None
    assert big.receipt.success is False


# -- ERC-20 slots ---------------------------------------------------------------------------


def test_find_slot_on_the_solidity_token() -> None:
    c = chain()
    artifact = json.loads((ARTIFACTS / "Token.json").read_text())
    code = bytes.fromhex(artifact["bytecode"][2:]) + encode(
        ["string", "string", "uint256"], ["T", "T", 10**24]
    )
    location = c.receipt(c.send_transaction(TxArgs(sender=c.accounts[0].address, data=code)))
    assert location is not None
    token = location.receipt.contract_address
    assert token is not None
    env = c.call_env(c.head)
    slot = find_slot(c.state, env, token, balance_of(SOMEONE), 5)
    # balanceOf is the fourth state variable: mapping slot 3.
    assert slot == int.from_bytes(keccak(bytes(12) + SOMEONE + (3).to_bytes(32, "big")))
    probe = SlotProbe(c.state, c.state.head, token)
    assert probe.storage(token, 2) == 10**24  # totalSupply, read through
    assert list(probe.reads) == [2]
    # A contract with no balanceOf answers nothing usable: no slot.
    assert find_slot(c.state, env, SOMEONE, balance_of(SOMEONE), 5) is None
