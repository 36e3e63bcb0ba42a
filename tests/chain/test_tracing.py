"""The tracers on hand-written bytecode, with explicit inputs (no node, no chain).

Blocks are built with :func:`mocknode.chain.block.mining.build_block` on a world made
by hand, then replayed by :mod:`mocknode.chain.evm.tracing.replay`. Gas figures are
worked out by hand in each test. The differential test runs real contracts both ways
(fast interpreter, traced py-evm loop) and requires the same outcome.
"""

from __future__ import annotations

import itertools
import json
import time

import pytest
from chain_helpers import ARTIFACTS, CHAIN_ID, DEV, ancestors_of, install, new_world, signed
from eth_abi import encode

from mocknode.chain.args import TxArgs
from mocknode.chain.block import mining
from mocknode.chain.evm import engine
from mocknode.chain.evm.calls import call_env
from mocknode.chain.evm.tracing import hooks, replay
from mocknode.chain.evm.tracing.calls import CallTracer, CallTracerOptions
from mocknode.chain.evm.tracing.fourbyte import FourByteTracer
from mocknode.chain.evm.tracing.prestate import PrestateOptions, PrestateTracer
from mocknode.chain.evm.tracing.structlog import StructLogger, StructLogOptions
from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Block, Tx
from mocknode.chain.reorg import OrderedTxs
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.state.world import WorldState
from mocknode.types import Address

ALICE = DEV[0]
FACTORY = Address(b"\xfa" * 20)
PROXY = Address(b"\xb0" * 20)
IDENTITY = Address((4).to_bytes(20, "big"))
SPIN = Address(b"\x55" * 20)

# Deploys 0x00 as init code (MSTORE8 0 at 0; CREATE(value 0, offset 0, size 1)), STOP.
FACTORY_CODE = bytes.fromhex("5f5f53" + "60015f5ff0" + "00")
# CALL identity(0x04) with 2 bytes of input and 7 wei, gas 0xffff; STOP.
PROXY_CODE = bytes.fromhex("6002" + "5f" + "6002" + "5f" + "6007" + "6004" + "61ffff" + "f1" + "00")


def build(state: WorldState, parent: Block, txs: list[Tx]) -> Block:
    env = mining.block_env(
        parent,
        parent.header.timestamp + 12,
        coinbase=parent.header.coinbase,
        gas_limit=parent.header.gas_limit,
        chain_id=CHAIN_ID,
        ancestor_hashes=ancestors_of(parent),
    )
    return mining.build_block(state, OrderedTxs(txs), parent, env)


def replay_env(block: Block, parent: Block) -> engine.BlockEnv:
    return call_env(block.header, chain_id=CHAIN_ID, ancestor_hashes=ancestors_of(parent))


def trace(
    state: WorldState, parent: Block, block: Block, tracer: hooks.Tracer, index: int
) -> replay.Traced:
    reader = state.reader(state.head - 1)  # the commit the block was built on
    (traced,) = replay.trace_block(
        reader, parent, block, replay_env(block, parent), lambda: tracer, None, only=index
    )
    return traced


def test_create_cost_leaves_out_the_gas_handed_to_the_new_frame() -> None:
    state, genesis = new_world()
    install(state, FACTORY, code=FACTORY_CODE)
    block = build(state, genesis, [signed(ALICE, 0, to=FACTORY, gas=100_000)])
    assert block.receipts[0].success
    logger = StructLogger(StructLogOptions())
    traced = trace(state, genesis, block, logger, 0)
    assert traced.outcome is not None
    assert traced.outcome.gas_used == block.receipts[0].gas_used == logger.gas_used
    create = logger.steps[6]
    assert create.op == 0xF0
    assert create.depth == 1
    # 32000, EIP-3860's 2 per init-code word; memory already paid by MSTORE8.
    assert create.cost == 32000 + 2
    child = logger.steps[7]
    assert child.depth == 2
    assert child.op == 0x00  # the init code: STOP
    gas_left = create.gas - create.cost
    assert child.gas == gas_left - gas_left // 64  # all but one 64th (EIP-150)
    after = logger.steps[8]
    assert (after.depth, after.op) == (1, 0x00)
    # The new frame used nothing: all its gas came back.
    assert after.gas == create.gas - create.cost
    created = Address(keccak(rlp.encode_list((rlp.encode_bytes(FACTORY), rlp.encode_int(0))))[12:])
    assert after.stack == [int.from_bytes(created, "big")]


def test_a_value_call_into_a_precompile() -> None:
    state, genesis = new_world()
    install(state, PROXY, code=PROXY_CODE, balance=100)
    block = build(state, genesis, [signed(ALICE, 0, to=PROXY, gas=200_000)])
    calls = CallTracer(CallTracerOptions())
    trace(state, genesis, block, calls, 0)
    assert calls.root is not None
    (frame,) = calls.root.calls
    # The callee gets the gas asked for plus the 2300 stipend of a value transfer, and the
    # identity precompile charges 15 + 3 a word.
    assert (frame.kind, frame.to, frame.value, frame.data) == (hooks.CALL, IDENTITY, 7, b"\0\0")
    assert (frame.gas, frame.gas_used, frame.output) == (0xFFFF + 2300, 18, b"\0\0")
    logger = StructLogger(StructLogOptions())
    trace(state, genesis, block, logger, 0)
    call_step = next(s for s in logger.steps if s.op == 0xF1)
    # Precompiles are warm (100); value 9000; value into an empty account 25000; one word
    # of memory for the input and output 3; then the callee's allowance.
    assert call_step.cost == 100 + 9000 + 25000 + 3 + 0xFFFF
    four = FourByteTracer()
    trace(state, genesis, block, four, 0)
    assert four.counts == {}  # no input of 4 bytes reached a non-precompile


def test_traced_and_fast_runs_agree_on_real_contracts() -> None:
    """The same transactions, executed by the block builder (fast interpreter) and
    replayed under each tracer (py-evm's instructions in the instrumented loop)."""
    state, genesis = new_world()
    token = json.loads((ARTIFACTS / "Token.json").read_text())
    greeter = json.loads((ARTIFACTS / "Greeter.json").read_text())
    deploy_token = bytes.fromhex(token["bytecode"][2:]) + encode(
        ["string", "string", "uint256"], ["T", "T", 10**24]
    )
    deploy_greeter = bytes.fromhex(greeter["bytecode"][2:]) + encode(["string"], ["hi"])
    token_at = Address(
        keccak(rlp.encode_list((rlp.encode_bytes(ALICE.address), rlp.encode_int(0))))[12:]
    )
    greeter_at = Address(
        keccak(rlp.encode_list((rlp.encode_bytes(ALICE.address), rlp.encode_int(1))))[12:]
    )
    transfer = keccak(b"transfer(address,uint256)")[:4] + encode(
        ["address", "uint256"], [DEV[1].address, 5]
    )
    txs = [
        signed(ALICE, 0, to=None, data=deploy_token, gas=2_000_000),
        signed(ALICE, 1, to=None, data=deploy_greeter, gas=2_000_000),
        signed(ALICE, 2, to=token_at, data=transfer, gas=100_000),
        signed(ALICE, 3, to=greeter_at, data=keccak(b"fail()")[:4], gas=100_000),
        signed(ALICE, 4, to=greeter_at, data=keccak(b"increment()")[:4], gas=100_000),
        signed(ALICE, 5, to=greeter_at, data=keccak(b"failPanic()")[:4], gas=100_000),
    ]
    block = build(state, genesis, txs)
    assert len(block.transactions) == 6
    reader = state.reader(state.head - 1)
    env = replay_env(block, genesis)
    for make in (
        lambda: StructLogger(StructLogOptions(enable_memory=True)),
        lambda: CallTracer(CallTracerOptions(with_log=True)),
        lambda: PrestateTracer(PrestateOptions(diff_mode=True)),
        FourByteTracer,
    ):
        results = replay.trace_block(reader, genesis, block, env, make, None)
        for traced, receipt in zip(results, block.receipts, strict=True):
            assert traced.outcome is not None
            assert traced.outcome.gas_used == receipt.gas_used
            assert traced.outcome.success == receipt.success
            assert traced.outcome.logs == receipt.logs


def test_struct_logger_gas_chain_within_each_frame() -> None:
    state, genesis = new_world()
    install(state, FACTORY, code=FACTORY_CODE)
    block = build(state, genesis, [signed(ALICE, 0, to=FACTORY, gas=100_000)])
    logger = StructLogger(StructLogOptions())
    trace(state, genesis, block, logger, 0)
    steps = logger.steps
    for before, after in itertools.pairwise(steps):
        if before.depth == after.depth and before.op != 0xF0:
            assert after.gas == before.gas - before.cost
    # Total: intrinsic + the top frame's spend + the deposit of no code.
    assert logger.gas_used == 21000 + (steps[0].gas - steps[-1].gas)


def test_prestate_reads_values_before_the_transaction() -> None:
    state, genesis = new_world()
    install(state, PROXY, code=PROXY_CODE, balance=100)
    block = build(state, genesis, [signed(ALICE, 0, to=PROXY, gas=100_000, value=3)])
    tracer = PrestateTracer(PrestateOptions(diff_mode=True))
    trace(state, genesis, block, tracer, 0)
    assert tracer.pre[PROXY].balance == 100
    assert tracer.post[PROXY].balance == 100 + 3 - 7
    assert tracer.post[IDENTITY].balance == 7
    assert tracer.pre[IDENTITY].balance == 0
    assert tracer.pre[ALICE.address].nonce == 0
    assert tracer.post[ALICE.address].nonce == 1


def test_a_deadline_stops_the_run() -> None:
    state, genesis = new_world()
    install(state, SPIN, code=bytes.fromhex("5b5f56"))
    reader = state.reader()
    env = call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=ancestors_of(genesis))
    args = TxArgs(sender=ALICE.address, to=SPIN, gas=10_000_000)
    started = time.monotonic()
    traced = replay.trace_call(reader, env, args, StructLogger(StructLogOptions()), 0.05, 10**7)
    assert traced.error == "execution timeout"
    assert time.monotonic() - started < 2
    # Nothing was kept: the world is as it was.
    assert JournalAccounts(reader).get_nonce(ALICE.address) == 0


def test_a_call_too_poor_to_pay_is_refused_before_any_frame() -> None:
    state, genesis = new_world()
    env = call_env(genesis.header, chain_id=CHAIN_ID, ancestor_hashes=ancestors_of(genesis))
    poor = Address(b"\x0b" * 20)
    args = TxArgs(sender=poor, to=SPIN, gas=100_000, gas_price=10**9)
    with pytest.raises(hooks.TraceRefused, match="insufficient funds for gas"):
        replay.trace_call(state.reader(), env, args, FourByteTracer(), None, 10**7)
    with pytest.raises(hooks.TraceRefused, match="intrinsic gas too low: have 100, want 21000"):
        replay.trace_call(
            state.reader(), env, TxArgs(to=SPIN, gas=100), FourByteTracer(), None, 10**7
        )
