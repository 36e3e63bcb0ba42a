"""eth_call's direct top frame against the executor path it replaces.

:func:`mocknode.chain.evm.engine.apply_call` runs a plain message call without py-evm's
transaction executor and without a snapshot around the top frame. Each case runs the
same call both ways on identical fresh journals: through ``apply_call`` (direct) and
through ``_call_on`` on the engine's state (executor, message building, snapshot), which
``test_interpreter`` in turn holds against py-evm's own loop. The outcomes must be equal
field for field (error texts included), and so must the journals a successful call
leaves (a failed one's is thrown away, and the direct path does not revert it).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_interpreter import CONTRACT, GENEROUS, OTHER, _program, _push

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.evm import engine
from mocknode.chain.state.journal import JournalAccounts
from mocknode.types import Address, Hash32

_SENDER = Address(bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"))  # accounts[0]
_DELEGATING = Address(b"\x44" * 20)  # an account whose code delegates to CONTRACT (EIP-7702)
_STRANGER = Address(b"\x99" * 20)  # no account at all


@pytest.fixture(scope="module")
def chain() -> Chain:
    chain = Chain()
    chain.set_code(OTHER, bytes.fromhex("365f5f37" + "36365fa1" + "365ff3"))
    chain.set_code(_DELEGATING, b"\xef\x01\x00" + CONTRACT)
    chain.set_storage(CONTRACT, 1, 0xBEEF)
    return chain


def _env(chain: Chain, base_fee: int) -> engine.BlockEnv:
    head = chain.head.header
    return engine.BlockEnv(
        number=head.number,
        timestamp=head.timestamp,
        coinbase=head.coinbase,
        gas_limit=head.gas_limit,
        base_fee=base_fee,
        prev_randao=head.mix_hash,
        chain_id=chain.config.chain_id,
        ancestor_hashes=lambda: chain.ancestor_hashes(head.number),
    )


def _both(chain: Chain, env: engine.BlockEnv, call: engine.CallRequest) -> None:
    direct_journal = JournalAccounts(chain.state_at(chain.head))
    direct = engine.apply_call(direct_journal, env, call)
    journal = JournalAccounts(chain.state_at(chain.head))
    state = engine._evm().State(journal, env)
    executor = engine._call_on(state, journal, env, call)
    assert direct == executor
    if direct.success:
        assert dict(direct_journal.accounts) == dict(journal.accounts)
        assert {a: dict(s) for a, s in direct_journal.storage.items() if s} == {
            a: dict(s) for a, s in journal.storage.items() if s
        }


def _call(
    to: Address,
    data: bytes,
    gas: int,
    value: int = 0,
    fees: tuple[int, int] = (0, 0),
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] = (),
    sender: Address = _SENDER,
) -> engine.CallRequest:
    return engine.CallRequest(
        sender=sender,
        to=to,
        gas=gas,
        value=value,
        data=data,
        max_fee_per_gas=fees[0],
        max_priority_fee_per_gas=fees[1],
        access_list=access_list,
    )


# Reads what the gas bought, the nonce bumped and the warm set show to a frame: the
# origin's balance, own balance, gas price, base fee, and a cold/warm BALANCE's cost.
_OBSERVER = (
    b"\x32\x31"  # ORIGIN BALANCE
    + b"\x47\x3a\x48"  # SELFBALANCE GASPRICE BASEFEE
    + b"\x5a"
    + _push(0x99 * (2**160 - 1) // 255)
    + b"\x31\x50\x5a\x90\x03"  # GAS, BALANCE(0x99..), GAS, the BALANCE's cost
    + b"\x32\x3f"  # ORIGIN EXTCODEHASH
    + b"".join(_push(32 * i) + b"\x52" for i in range(6))
    + _push(192)
    + _push(0)
    + b"\xf3"
)


@pytest.mark.parametrize("value", [0, 7])
@pytest.mark.parametrize(
    ("base_fee", "fees"), [(0, (0, 0)), (7, (10, 2)), (7, (8, 5)), (0, (3, 3))]
)
@pytest.mark.parametrize("listed", [False, True])
def test_what_a_frame_sees_of_the_call_set_up(
    chain: Chain, value: int, base_fee: int, fees: tuple[int, int], listed: bool
) -> None:
    chain.set_code(CONTRACT, _OBSERVER)
    access = ((_STRANGER, (Hash32(b"\x00" * 31 + b"\x01"),)),) if listed else ()
    _both(chain, _env(chain, base_fee), _call(CONTRACT, b"", GENEROUS, value, fees, access))


@pytest.mark.parametrize(
    ("to", "data", "gas"),
    [
        (_STRANGER, b"", 21_000),  # no code at all
        (_STRANGER, b"\x01\x00", 21_000),  # too little for the intrinsic gas
        (_STRANGER, b"\x01\x00" * 40, 21_000 + 16 * 80),  # the calldata floor (EIP-7623)
        (Address(b"\x00" * 19 + b"\x04"), b"echo", 30_000),  # a precompile (identity)
        (Address(b"\x00" * 19 + b"\x01"), b"\x00" * 128, 30_000),  # ecrecover of nothing
        (_DELEGATING, b"", GENEROUS),  # code delegated to CONTRACT (the observer)
        (OTHER, b"logged and echoed", GENEROUS),
    ],
)
def test_calls_without_a_program_of_their_own(
    chain: Chain, to: Address, data: bytes, gas: int
) -> None:
    chain.set_code(CONTRACT, _OBSERVER)
    _both(chain, _env(chain, 0), _call(to, data, gas))
    _both(chain, _env(chain, 0), _call(to, data, gas, value=3))


def test_a_delegation_warms_the_code_it_runs(chain: Chain) -> None:
    # CONTRACT's code, run through _DELEGATING, returns what BALANCE(CONTRACT) costs
    cost = b"\x5a" + _push(int.from_bytes(CONTRACT, "big")) + b"\x31\x50\x5a\x90\x03"
    chain.set_code(CONTRACT, cost + _push(0) + b"\x52" + _push(32) + _push(0) + b"\xf3")
    direct = engine.apply_call(
        JournalAccounts(chain.state_at(chain.head)),
        _env(chain, 0),
        _call(_DELEGATING, b"", GENEROUS),
    )
    # warm: PUSH20 3 + BALANCE 100 + POP 2 + GAS 2 (cold would be 2,607)
    assert int.from_bytes(direct.output, "big") == 107
    _both(chain, _env(chain, 0), _call(_DELEGATING, b"", GENEROUS))


def test_a_refund_and_a_revert_settle_alike(chain: Chain) -> None:
    # clear slot 1 (a refund), log, then succeed; or revert with data after it
    body = _push(0) + _push(1) + b"\x55" + _push(0) + _push(0) + b"\xa0"
    chain.set_code(CONTRACT, body + _push(4) + _push(0) + b"\xf3")
    _both(chain, _env(chain, 0), _call(CONTRACT, b"", GENEROUS))
    chain.set_code(
        CONTRACT, body + _push(0xDEAD) + _push(0) + b"\x52" + _push(32) + _push(0) + b"\xfd"
    )
    _both(chain, _env(chain, 0), _call(CONTRACT, b"", GENEROUS))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=_program,
    data=st.binary(max_size=64),
    gas=st.one_of(st.just(GENEROUS), st.integers(21_000 + 16 * 64, GENEROUS)),
    value=st.sampled_from([0, 1, 10**18]),
    priced=st.booleans(),
)
def test_generated_programs_run_alike(
    chain: Chain, code: bytes, data: bytes, gas: int, value: int, priced: bool
) -> None:
    chain.set_code(CONTRACT, code)
    fees = (20, 3) if priced else (0, 0)
    _both(chain, _env(chain, 10 if priced else 0), _call(CONTRACT, data, gas, value, fees))


def test_a_frame_is_set_up_as_py_evm_sets_it_up(chain: Chain) -> None:
    # The engine's Computation builds its frame in one __init__ of its own: every
    # attribute py-evm's (Shanghai's, over BaseComputation's) sets must be there, alike,
    # and the coinbase warm (EIP-3651).
    from eth.vm.forks.prague.computation import PragueComputation

    env = _env(chain, 0)
    evm = engine._evm()
    message = evm.top_message(
        gas=50_000,
        to=CONTRACT,
        sender=_SENDER,
        value=3,
        data=b"\x01\x02",
        code=b"\x60\x01\x00",
        create_address=None,
        refund=0,
        is_delegation=False,
    )
    frames = []
    for computation_class in (evm.State.computation_class, PragueComputation):
        journal = JournalAccounts(chain.state_at(chain.head))
        state = evm.State(journal, env)
        frame = computation_class(state, message, evm.CallContext(0, _SENDER))
        assert journal.is_address_warm(env.coinbase)
        frames.append(frame)
    ours, theirs = (vars(f) for f in frames)
    assert ours.keys() == theirs.keys()
    for name, value in theirs.items():
        mine = ours[name]
        assert type(mine) is type(value), name
        if name in ("state", "msg", "transaction_context"):
            continue
        if name == "code":
            assert (mine._raw_code_bytes, mine.program_counter, len(mine)) == (
                value._raw_code_bytes,
                value.program_counter,
                len(value),
            )
        elif name == "_gas_meter":
            assert vars(mine) == vars(value)
        elif name == "_stack":
            assert mine.values == value.values == []
        elif name == "_memory":
            assert mine._bytes == value._bytes == bytearray()
        else:
            assert mine == value, name


def test_blockhash_sees_the_ancestors_of_the_block_called_on() -> None:
    # A state's ExecutionContext is copied from the last one built for the same block
    # environment, with BLOCKHASH's ancestors read afresh: calls on one block, on an
    # older one and on a newer head each see their own block's ancestors.
    from mocknode.types import BlockRef

    chain = Chain()
    # BLOCKHASH(NUMBER - k) for k = 1, 2, 3, then of NUMBER itself (0): four words.
    code = b"".join(
        _push(k) + b"\x43\x03\x40" + _push(32 * i) + b"\x52" for i, k in enumerate((1, 2, 3, 0))
    )
    chain.set_code(CONTRACT, code + _push(128) + _push(0) + b"\xf3")
    chain.mine(3)

    def hashes(ref: BlockRef) -> list[bytes]:
        out = chain.call(TxArgs(to=CONTRACT), ref)
        return [out[i : i + 32] for i in range(0, 128, 32)]

    def expected(number: int) -> list[bytes]:
        found = [chain.block_by_number(number - k) for k in (1, 2, 3) if number >= k]
        words = [b.hash for b in found if b is not None]
        return words + [bytes(32)] * (4 - len(words))  # before genesis, and NUMBER's own

    latest = BlockRef(tag="latest")
    head = chain.head.number
    for _ in range(2):  # the second call copies the first one's context
        assert hashes(latest) == expected(head)
    assert hashes(BlockRef(number=head - 1)) == expected(head - 1)
    assert hashes(latest) == expected(head)
    chain.mine(1)
    assert hashes(latest) == expected(head + 1)
