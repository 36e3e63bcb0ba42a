"""eth_call and eth_estimateGas with explicit inputs: a state reader and a block environment.

No chain: the state is built by hand (the Greeter's runtime code installed with its
storage), and the environment is either the genesis block's (:func:`call_env`) or one
made up to show that execution reads exactly what it is given.
"""

from __future__ import annotations

import json

import pytest
from chain_helpers import (
    ARTIFACTS,
    CHAIN_ID,
    COINBASE,
    DEV,
    GENESIS_TIME,
    ancestors_of,
    install,
    new_world,
    signed,
)
from eth_abi import decode, encode
from eth_utils import to_checksum_address

from mocknode.chain.args import TxArgs
from mocknode.chain.block import mining
from mocknode.chain.config import GWEI
from mocknode.chain.errors import ExecutionFailed
from mocknode.chain.evm import engine
from mocknode.chain.evm.calls import CALL_GAS_CAP, call, call_env, estimate_gas
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Block, Receipt
from mocknode.chain.state.world import StateReader, WorldState
from mocknode.chain.tx.pool import Pool
from mocknode.types import Address, Hash32

GREETER = Address(b"\x67" * 20)
LOOP = Address(b"\x10" * 20)  # JUMPDEST PUSH0 JUMP: runs until the gas is gone
ENV_ECHO = Address(b"\xee" * 20)  # returns BASEFEE, NUMBER, TIMESTAMP, CHAINID, COINBASE
ALICE = DEV[0]
BROKE = Address(b"\x0b" * 20)

ENV_ECHO_CODE = bytes.fromhex("485f524360205242604052466060524160805260a05ff3")


def selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


def short_string_slot(text: str) -> int:
    """Solidity's storage of a string under 32 bytes: the bytes, then length * 2."""
    raw = text.encode()
    return int.from_bytes(raw.ljust(31, b"\0") + bytes((len(raw) * 2,)), "big")


def greeter_world() -> tuple[WorldState, Block]:
    state, genesis = new_world()
    runtime = json.loads((ARTIFACTS / "Greeter.json").read_text())["deployedBytecode"]
    storage = {0: short_string_slot("hello"), 1: 41}
    install(state, GREETER, code=bytes.fromhex(runtime[2:]), storage=storage)
    install(state, LOOP, code=bytes.fromhex("5b5f56"))
    install(state, ENV_ECHO, code=ENV_ECHO_CODE)
    return state, genesis


@pytest.fixture(scope="module")
def world() -> tuple[StateReader, engine.BlockEnv]:
    state, genesis = greeter_world()
    env = call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=ancestors_of(genesis))
    return state.reader(), env


def test_call_returns_the_output_read_from_the_given_state(
    world: tuple[StateReader, engine.BlockEnv],
) -> None:
    reader, env = world
    assert call(reader, env, TxArgs(to=GREETER, data=selector("getCounter()"))) == (
        (41).to_bytes(32, "big")
    )
    greeting = call(reader, env, TxArgs(to=GREETER, data=selector("greet()")))
    assert decode(["string"], greeting) == ("hello",)
    # A call commits nothing: the same state answers the same after increment().
    assert call(reader, env, TxArgs(to=GREETER, data=selector("increment()"))) == (
        (42).to_bytes(32, "big")
    )
    assert reader.storage(GREETER, 1) == 41


def test_call_runs_in_exactly_the_environment_given(
    world: tuple[StateReader, engine.BlockEnv],
) -> None:
    reader, _ = world
    env = engine.BlockEnv(
        number=77,
        timestamp=1_800_000_000,
        coinbase=Address(b"\xcb" * 20),
        gas_limit=1_000_000,
        base_fee=7 * GWEI,
        prev_randao=Hash32(bytes(32)),
        chain_id=5,
        ancestor_hashes=lambda: iter(()),
    )
    words = ["uint256", "uint256", "uint256", "uint256", "address"]
    # No fee fields: geth runs the call at a zero base fee (NoBaseFee).
    free = decode(words, call(reader, env, TxArgs(to=ENV_ECHO)))
    assert free == (0, 77, 1_800_000_000, 5, "0x" + "cb" * 20)
    paid = TxArgs(sender=ALICE.address, to=ENV_ECHO, gas_price=8 * GWEI, gas=100_000)
    assert decode(words, call(reader, env, paid))[0] == 7 * GWEI


def test_the_genesis_call_environment_is_the_headers(
    world: tuple[StateReader, engine.BlockEnv],
) -> None:
    reader, env = world
    assert (env.number, env.timestamp, env.coinbase) == (0, GENESIS_TIME, COINBASE)
    assert (env.base_fee, env.gas_limit, env.chain_id) == (GWEI, 30_000_000, CHAIN_ID)
    paid = TxArgs(sender=ALICE.address, to=ENV_ECHO, max_fee_per_gas=2 * GWEI)
    assert decode(["uint256"], call(reader, env, paid)[:32]) == (GWEI,)


def test_revert_data_stays_bytes_and_the_reason_is_decoded(
    world: tuple[StateReader, engine.BlockEnv],
) -> None:
    reader, env = world
    cases = {
        "fail()": (
            "execution reverted: Greeter: always fails",
            selector("Error(string)") + encode(["string"], ["Greeter: always fails"]),
        ),
        "failCustom(uint256)": (
            "execution reverted",
            selector("Custom(uint256,string)")
            + encode(["uint256", "string"], [7, "custom failure"]),
        ),
        "failPanic()": (
            "execution reverted: division or modulo by zero",
            selector("Panic(uint256)") + encode(["uint256"], [0x12]),
        ),
        "failEmpty()": ("execution reverted", b""),
    }
    for function, (message, data) in cases.items():
        args = selector(function) + (encode(["uint256"], [7]) if "uint256" in function else b"")
        for run in (call, estimate_gas):
            with pytest.raises(ExecutionFailed) as failure:
                run(reader, env, TxArgs(sender=ALICE.address, to=GREETER, data=args))
            assert failure.value.message == message
            assert failure.value.revert_data == data
            assert failure.value.reverted


def test_out_of_gas_and_intrinsic_gas(world: tuple[StateReader, engine.BlockEnv]) -> None:
    reader, env = world
    with pytest.raises(ExecutionFailed) as failure:
        call(reader, env, TxArgs(to=LOOP, gas=100_000))
    assert (failure.value.message, failure.value.revert_data) == ("out of gas", b"")
    assert not failure.value.reverted
    with pytest.raises(ExecutionFailed) as failure:
        estimate_gas(reader, env, TxArgs(to=LOOP, gas=100_000))
    assert failure.value.message == "gas required exceeds allowance (100000)"
    with pytest.raises(ExecutionFailed) as failure:
        call(reader, env, TxArgs(to=GREETER, data=selector("greet()"), gas=20_000))
    assert failure.value.message == "intrinsic gas too low"
    with pytest.raises(ExecutionFailed) as failure:
        estimate_gas(reader, env, TxArgs(to=GREETER, data=selector("greet()"), gas=20_000))
    assert failure.value.message == "gas required exceeds allowance (20000)"


def test_prechecks_use_geths_words(world: tuple[StateReader, engine.BlockEnv]) -> None:
    reader, env = world
    broke = to_checksum_address(BROKE)
    with pytest.raises(ExecutionFailed) as failure:
        call(reader, env, TxArgs(sender=BROKE, to=GREETER, gas_price=GWEI))
    assert failure.value.message == (
        f"err: insufficient funds for gas * price + value: address {broke} "
        f"have 0 want {CALL_GAS_CAP * GWEI} (supplied gas {CALL_GAS_CAP})"
    )
    alice = to_checksum_address(ALICE.address)
    with pytest.raises(ExecutionFailed) as failure:
        call(reader, env, TxArgs(sender=ALICE.address, to=GREETER, max_fee_per_gas=1))
    assert failure.value.message == (
        f"err: max fee per gas less than block base fee: address {alice}, "
        f"maxFeePerGas: 1, baseFee: {GWEI} (supplied gas {CALL_GAS_CAP})"
    )
    with pytest.raises(ExecutionFailed) as failure:
        estimate_gas(reader, env, TxArgs(sender=BROKE, to=GREETER, value=1, gas_price=GWEI))
    assert failure.value.message == "insufficient funds for transfer"
    with pytest.raises(ExecutionFailed) as failure:
        estimate_gas(reader, env, TxArgs(sender=BROKE, to=ALICE.address, value=1))
    assert failure.value.message == (
        f"failed with 21000 gas: insufficient funds for gas * price + value: "
        f"address {broke} have 0 want 1"
    )


def mined_receipt(gas: int, data: bytes, to: Address = GREETER, value: int = 0) -> Receipt:
    """Alice's transaction with ``gas``, mined into block 1 of a fresh world."""
    state, genesis = greeter_world()
    pool = Pool()
    pool.add(signed(ALICE, 0, to=to, gas=gas, data=data, value=value))
    env = mining.block_env(
        genesis,
        GENESIS_TIME + 12,
        coinbase=COINBASE,
        gas_limit=30_000_000,
        chain_id=CHAIN_ID,
        ancestor_hashes=ancestors_of(genesis),
    )
    block = mining.build_block(state, pool, genesis, env)
    assert len(block.receipts) == 1
    return block.receipts[0]


def test_a_plain_transfer_estimates_exactly_what_it_uses(
    world: tuple[StateReader, engine.BlockEnv],
) -> None:
    reader, env = world
    estimate = estimate_gas(reader, env, TxArgs(sender=ALICE.address, to=BROKE, value=5))
    assert estimate == 21000
    assert mined_receipt(estimate, b"", to=BROKE, value=5).gas_used == 21000


LONG_GREETING = encode(["string"], ["a greeting too long for one storage slot"])


@pytest.mark.parametrize(
    "data",
    [
        selector("increment()"),
        selector("deposit()"),
        selector("setGreeting(string)") + LONG_GREETING,
        selector("setGreeting(string)") + encode(["string"], [""]),  # refunds storage
    ],
    ids=["increment", "deposit", "set-long", "set-empty"],
)
def test_the_estimate_is_enough_and_within_geths_margin(
    world: tuple[StateReader, engine.BlockEnv], data: bytes
) -> None:
    reader, env = world
    estimate = estimate_gas(reader, env, TxArgs(sender=ALICE.address, to=GREETER, data=data))
    plenty = mined_receipt(200_000, data)
    at_estimate = mined_receipt(estimate, data)
    assert plenty.success
    assert at_estimate.success
    # With the estimate as its limit the transaction uses exactly what it uses with plenty.
    assert at_estimate.gas_used == plenty.gas_used
    # geth's binary search stops once its bounds are within 1.5%, the lower one failing:
    # the least gas that works lies between 98.5% of the estimate and the estimate.
    assert plenty.gas_used <= estimate
    assert not mined_receipt((estimate * 985 + 999) // 1000 - 1, data).success
