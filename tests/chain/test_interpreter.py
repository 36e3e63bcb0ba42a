"""The instruction loop against py-evm's own, on generated and hand-written programs.

The reference runs py-evm's own loop, opcode functions, message building and transient
storage; the only parts both sides share are the journal and the executor's outline.

Each program is installed as a contract and called twice on identical fresh journals:
once through the engine (our loop), once on a py-evm state whose computation is
py-evm's stock ``PragueComputation``. Output, gas used, logs and the kind of failure
must agree exactly; only the wording of stack and jump failures differs on purpose
(ours is geth's), and is checked by the hand-written cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from chain_helpers import ARTIFACTS, deploy_greeter
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState
from eth_abi import encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mocknode.chain.args import TxArgs
from mocknode.chain.chain import Chain
from mocknode.chain.errors import ExecutionFailed
from mocknode.chain.evm import engine
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.state.journal import JournalAccounts
from mocknode.types import LATEST, Address

CONTRACT = Address(b"\x42" * 20)
OTHER = Address(b"\x43" * 20)  # a second contract programs can call into
_SENDER = Address(bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"))  # accounts[0]
GENEROUS = 21_000 + 16 * 64 + 60_000

engine.load_evm()


class _Reference(engine._evm().State):  # type: ignore[misc,name-defined]
    """py-evm's own loop and message building over the same journal."""

    computation_class = PragueComputation
    transaction_executor_class = PragueState.transaction_executor_class
    _transient_storage_class = PragueState._transient_storage_class  # py-evm's JournalDB


@pytest.fixture(scope="module")
def chain() -> Chain:
    chain = Chain()
    # OTHER logs its calldata and echoes it back: reached by the CALL programs.
    chain.set_code(OTHER, bytes.fromhex("365f5f37" + "36365fa1" + "365ff3"))
    chain.set_storage(CONTRACT, 1, 0xBEEF)
    return chain


def _env(chain: Chain, ahead: int = 0) -> engine.BlockEnv:
    """The head's block environment (``ahead`` blocks later), at a zero base fee."""
    head = chain.head.header
    return engine.BlockEnv(
        number=head.number + ahead,
        timestamp=head.timestamp + ahead,
        coinbase=head.coinbase,
        gas_limit=head.gas_limit,
        base_fee=0,
        prev_randao=head.mix_hash,
        chain_id=chain.config.chain_id,
        ancestor_hashes=lambda: chain.ancestor_hashes(head.number),
    )


def _capturing(state_class: Any) -> Any:
    """``state_class`` keeping its top-level computation (for its refund) on the state."""

    class Executor(state_class.transaction_executor_class):  # type: ignore[misc,name-defined]
        def build_computation(self, message: Any, transaction: Any) -> Any:
            computation = super().build_computation(message, transaction)
            self.vm_state.captured = computation
            return computation

    class Capturing(state_class):  # type: ignore[misc,valid-type]
        transaction_executor_class = Executor

    return Capturing


_Ours = _capturing(engine._evm().State)
_ReferenceCapturing = _capturing(_Reference)


@dataclass
class _Ran:
    """One run's outcome and what it left behind: refund, storage, accounts."""

    outcome: Any
    refund: int
    storage: dict[Address, dict[int, int]]
    accounts: dict[Address, Any]

    # the outcome's fields, read through for _assert_same
    def __getattr__(self, name: str) -> Any:
        return getattr(self.outcome, name)


def _execute(state_class: Any, chain: Chain, env: engine.BlockEnv, call: Any) -> _Ran:
    journal = JournalAccounts(chain.state_at(chain.head))
    state = state_class(journal, env)
    outcome = engine._call_on(state, journal, env, call)
    captured = getattr(state, "captured", None)
    refund = captured.get_gas_refund() if captured is not None else 0
    storage = {address: dict(slots) for address, slots in journal.storage.items() if slots}
    return _Ran(outcome, refund, storage, dict(journal.accounts))


def _call(
    chain: Chain, to: Address, data: bytes, gas: int, value: int, sender: Address | None = None
) -> tuple[_Ran, _Ran]:
    """(ours, reference) runs of a call to ``to`` on the head's state."""
    env = _env(chain)
    call = engine.CallRequest(
        sender=sender or chain.accounts[0].address,
        to=to,
        gas=gas,
        value=value,
        data=data,
        max_fee_per_gas=0,
        max_priority_fee_per_gas=0,
    )
    return _execute(_Ours, chain, env, call), _execute(_ReferenceCapturing, chain, env, call)


def _run(chain: Chain, code: bytes, data: bytes, gas: int, value: int) -> tuple[_Ran, _Ran]:
    """(ours, reference) runs of calling ``code`` with ``data``."""
    chain.set_code(CONTRACT, code)
    return _call(chain, CONTRACT, data, gas, value)


def _kind(error: str | None) -> str | None:
    """Failures by kind: the wording of stack and jump errors is geth's on our side."""
    if error is None:
        return None
    if error.startswith(("stack underflow", "wanted ", "insufficient stack")):
        return "stack underflow"
    if error.startswith("stack limit") or "stack limit" in error.lower():
        return "stack overflow"
    if error in ("invalid jump destination", "invalid opcode: INVALID"):
        return "invalid jump or instruction"
    if error.startswith("invalid opcode: opcode"):
        return "invalid jump or instruction"
    return error


def _assert_same(ours: Any, reference: Any) -> None:
    assert ours.success == reference.success
    assert ours.reverted == reference.reverted
    assert ours.gas_used == reference.gas_used
    assert ours.output == reference.output
    assert ours.logs == reference.logs
    assert ours.refund == reference.refund
    assert ours.storage == reference.storage
    assert ours.accounts == reference.accounts
    if "out of gas" in (ours.error, reference.error):
        # geth (and our loop) check the stack before charging gas, py-evm after: an
        # instruction short of both fails on the stack here and on gas in py-evm.
        assert {_kind(ours.error), _kind(reference.error)} <= {
            "out of gas",
            "stack underflow",
            "stack overflow",
        }
        return
    assert _kind(ours.error) == _kind(reference.error)


def _push(value: int) -> bytes:
    size = max(1, (value.bit_length() + 7) // 8)
    return bytes([0x5F + size]) + value.to_bytes(size, "big")


# -- generated programs -----------------------------------------------------------------

_SIMPLE = [
    *range(0x01, 0x0C),
    *range(0x10, 0x1E),
    0x20,
    *range(0x30, 0x40),
    *range(0x40, 0x4B),
    *range(0x50, 0x60),
    *range(0x80, 0xA5),
    *range(0xF0, 0xF6),  # CREATE, CALL, CALLCODE, RETURN, DELEGATECALL, CREATE2
    0xFA,  # STATICCALL
    0xFD,
    0xFE,
    0xFF,  # SELFDESTRUCT
    0x0C,
    0x21,
    0xEF,
]
_small = st.integers(0, 200)
_instruction = st.one_of(
    st.integers(0, 32).flatmap(
        lambda n: st.binary(min_size=n, max_size=n).map(lambda data: bytes([0x5F + n]) + data)
    ),
    st.sampled_from(_SIMPLE).map(lambda op: bytes([op])),
    # memory, hashing and copies at offsets that do not exhaust the gas at once
    st.tuples(_small, _small, st.sampled_from([0x51, 0x52, 0x53, 0x20, 0x5E, 0xF3, 0xFD])).map(
        lambda t: _push(t[0]) + _push(t[1]) + bytes([t[2]])
    ),
    st.tuples(_small, st.sampled_from([0x56, 0x57, 0x35, 0x54, 0x55, 0x5C, 0x5D])).map(
        lambda t: _push(t[0]) + bytes([t[1]])
    ),
    # a call into OTHER with a small in/out window
    st.tuples(_small, _small).map(
        lambda t: (
            _push(32)
            + _push(t[0])
            + _push(t[1] % 64)
            + _push(0)
            + _push(0)
            + _push(int.from_bytes(OTHER, "big"))
            + _push(50_000)
            + b"\xf1"
        )
    ),
    # CREATE/CREATE2 of a small initcode (returns a 1-byte runtime) stored in memory
    st.sampled_from([0xF0, 0xF5]).map(
        lambda op: (
            _push(int.from_bytes(bytes.fromhex("600160005360016000f3"), "big"))
            + _push(0)
            + b"\x52"  # MSTORE: initcode right-aligned in the word at 0
            + (_push(7) if op == 0xF5 else b"")  # salt
            + _push(10)
            + _push(22)
            + _push(0)
            + bytes([op])
        )
    ),
    # storage: a few slots (slot 1 starts non-zero), values that set, reset and clear
    st.tuples(st.integers(0, 3), st.integers(0, 2)).map(
        lambda t: _push(t[1]) + _push(t[0]) + b"\x55"
    ),
    st.integers(0, 3).map(lambda slot: _push(slot) + b"\x54"),
    # transient storage, also written by frames that then fail (the calls below)
    st.tuples(st.integers(0, 2), st.integers(0, 2)).map(
        lambda t: _push(t[1]) + _push(t[0]) + b"\x5d"
    ),
    st.integers(0, 2).map(lambda slot: _push(slot) + b"\x5c"),
    # accounts: this one, OTHER, the sender, one that does not exist, a precompile
    st.tuples(
        st.sampled_from([CONTRACT, OTHER, _SENDER, b"\x99" * 20, b"\x00" * 19 + b"\x01"]),
        st.sampled_from([0x31, 0x3B, 0x3F]),
    ).map(lambda t: _push(int.from_bytes(t[0], "big")) + bytes([t[1]])),
    # logs with 0-4 topics over a small memory window
    st.tuples(st.integers(0, 4), _small, st.integers(0, 70)).map(
        lambda t: (
            b"".join(_push(7 + n) for n in range(t[0]))
            + _push(t[2])
            + _push(t[1])
            + bytes([0xA0 + t[0]])
        )
    ),
    # copies of calldata and code, starting before, inside and past their ends
    st.tuples(_small, st.integers(0, 300), st.integers(0, 70), st.sampled_from([0x37, 0x39])).map(
        lambda t: _push(t[2]) + _push(t[1]) + _push(t[0]) + bytes([t[3]])
    ),
    # a static call into OTHER (which logs: write protection there) or into itself
    st.tuples(st.sampled_from([OTHER, CONTRACT]), _small).map(
        lambda t: (
            _push(32)
            + _push(t[1])
            + _push(8)
            + _push(0)
            + _push(int.from_bytes(t[0], "big"))
            + _push(30_000)
            + b"\xfa"
        )
    ),
    st.just(b"\x5b"),
    st.binary(min_size=1, max_size=3),
)
_program = st.lists(_instruction, max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=_program,
    data=st.binary(max_size=64),
    gas=st.one_of(st.just(GENEROUS), st.integers(21_000 + 16 * 64, GENEROUS)),
    value=st.sampled_from([0, 1, 10**18]),
)
def test_generated_programs_run_as_in_py_evm(
    chain: Chain, code: bytes, data: bytes, gas: int, value: int
) -> None:
    _assert_same(*_run(chain, code, data, gas, value))


# -- hand-written programs ----------------------------------------------------------------

_RETURN_TOP = bytes.fromhex("60005260206000f3")  # MSTORE the top at 0, RETURN that word
_ARITHMETIC = [
    (a, b)
    for a in (0, 1, 2, 3, 7, 255, 256, 2**255, 2**255 - 1, 2**256 - 1, 2**256 - 2, 2**128)
    for b in (0, 1, 2, 31, 32, 255, 256, 2**255, 2**256 - 1)
]


@pytest.mark.parametrize(
    "op", [*range(0x01, 0x08), 0x0A, 0x0B, *range(0x10, 0x15), 0x16, 0x17, 0x18, *range(0x1A, 0x1E)]
)
def test_every_binary_instruction_on_edge_values(chain: Chain, op: int) -> None:
    for a, b in _ARITHMETIC:
        # a on top: PUSH b, PUSH a, OP, store and return the word
        code = _push(b) + _push(a) + bytes([op]) + _RETURN_TOP
        ours, reference = _run(chain, code, b"", GENEROUS, 0)
        _assert_same(ours, reference)
        assert ours.success, (hex(op), a, b)


@pytest.mark.parametrize("op", [0x08, 0x09])
def test_addmod_and_mulmod_on_edge_values(chain: Chain, op: int) -> None:
    for a, b in _ARITHMETIC[::3]:
        for modulus in (0, 1, 7, 2**256 - 1):
            code = (
                _push(modulus)
                + _push(b)
                + _push(a)
                + bytes([op])
                + bytes.fromhex("60005260206000f3")
            )
            _assert_same(*_run(chain, code, b"", GENEROUS, 0))


def test_memory_expansion_and_hashing_charge_as_py_evm(chain: Chain) -> None:
    for offset in (0, 31, 32, 1000, 30_000):
        for op in (0x51, 0x52, 0x53):
            code = _push(7) + _push(offset) + bytes([op]) + b"\x59\x5a\x00"  # MSIZE, GAS
            _assert_same(*_run(chain, code, b"", GENEROUS, 0))
        code = _push(offset) + _push(3) + b"\x20\x00"  # KECCAK256 of offset bytes at 3
        _assert_same(*_run(chain, code, b"", GENEROUS, 0))


def test_running_out_of_gas_at_every_point_matches(chain: Chain) -> None:
    code = bytes.fromhex("6001600201600052602060002060005260206000f3")
    ours, _ = _run(chain, code, b"", GENEROUS, 0)
    for gas in range(21_000, ours.gas_used + 2):
        _assert_same(*_run(chain, code, b"", gas, 0))


@pytest.mark.parametrize(
    "program",
    [
        # A countdown from 3: PUSH2 then JUMPI back while non-zero (taken, then not),
        # PUSH1 then JUMP over an INVALID, then GAS returned.
        "60035b600190038061000257601056fe5b5a60005260206000f3",
        # The same with DUP1 POP between each PUSH and its jump: destinations off the stack.
        "60035b6001900380600280505760138050" + "56fe5b5a60005260206000f3",
    ],
)
def test_jumps_and_their_jumpdests_run_as_one_instruction_at_a_time(
    chain: Chain, program: str
) -> None:
    # The loop runs a taken jump and the JUMPDEST it lands on, and a PUSH with the jump
    # after it, in one step: the gas, and running out of it at every point, as py-evm.
    code = bytes.fromhex(program)
    ours, _ = _run(chain, code, b"", GENEROUS, 0)
    assert ours.success
    for gas in range(21_000, ours.gas_used + 2):
        _assert_same(*_run(chain, code, b"", gas, 0))


def test_geths_words_for_stack_jump_and_opcode_failures(chain: Chain) -> None:
    cases = {
        "01": "stack underflow (0 <=> 2)",
        "600101": "stack underflow (1 <=> 2)",
        "8f": "stack underflow (0 <=> 16)",
        "600056": "invalid jump destination",
        "6003565b": None,  # lands on a JUMPDEST
        "6004566000": "invalid jump destination",  # past the end
        "6004565f5b": None,
        "600456605b00": "invalid jump destination",  # the 0x5b is push data
        "0c": "invalid opcode: opcode 0xc not defined",
        "fe": "invalid opcode: INVALID",
        "5f" * 1025: "stack limit reached 1024 (1023)",
        "5f" * 1024 + "30": "stack limit reached 1024 (1023)",
        # PUSH then JUMP/JUMPI to a JUMPDEST: one step of the loop, the same failures
        "6003575b": "stack underflow (1 <=> 2)",
        "5f" * 1024 + "610404565b": "stack limit reached 1024 (1023)",
        "5f" * 1024 + "610404575b": "stack limit reached 1024 (1023)",
    }
    for code, expected in cases.items():
        chain.set_code(CONTRACT, bytes.fromhex(code))
        if expected is None:
            assert chain.call(TxArgs(to=CONTRACT), LATEST) == b""
            continue
        with pytest.raises(ExecutionFailed) as failure:
            chain.call(TxArgs(to=CONTRACT), LATEST)
        assert str(failure.value) == expected, code


def test_greeter_calls_match(chain: Chain) -> None:
    greeter = deploy_greeter(chain)
    code = chain.code(greeter, LATEST)
    for selector in ("cfae3217", "a4136862", "deadbeef"):  # greet(), setGreeting(string), none
        data = bytes.fromhex(selector) + (32).to_bytes(32, "big") + (3).to_bytes(32, "big") + b"abc"
        _assert_same(*_run(chain, code, data, 200_000, 0))


def test_a_call_into_another_contract_matches(chain: Chain) -> None:
    # CALL(gas, OTHER, 0, in=0..calldatasize, out=0..calldatasize), then RETURN the out window
    code = (
        bytes.fromhex("365f5f37")  # calldata into memory
        + bytes.fromhex("365f365f5f")  # out size, out offset, in size, in offset, value
        + _push(int.from_bytes(OTHER, "big"))
        + _push(100_000)
        + bytes.fromhex("f150365ff3")  # CALL, POP the status, RETURN
    )
    ours, reference = _run(chain, code, b"hello, other", GENEROUS, 0)
    _assert_same(ours, reference)
    assert ours.success
    assert ours.output == b"hello, other"
    assert [log.address for log in ours.logs] == [OTHER]


@pytest.mark.parametrize(
    ("data", "gas"),
    [
        (b"", 26_005 - 4_800),  # SSTORE cold reset, then its refund
        (bytes(2000), 21_000 + 10 * 2000),  # below the calldata floor: the floor
        (b"\x01" * 2000, 21_000 + 40 * 2000),
    ],
)
def test_call_gas_equals_the_mined_transactions_gas(data: bytes, gas: int) -> None:
    """eth_call skips py-evm's finalize step; the gas it reports must still be what a
    mined transaction pays: refund capped (EIP-3529), calldata floor (EIP-7623)."""
    chain = Chain()
    chain.set_storage(CONTRACT, 1, 0xBEEF)
    chain.set_code(CONTRACT, bytes.fromhex("5f600155"))  # SSTORE(1, 0): a refund
    sender = chain.accounts[0].address
    env = _env(chain, ahead=1)  # the block the transaction below is mined in
    call = engine.CallRequest(sender, CONTRACT, 200_000, 0, data, 0, 0)
    outcome = engine.apply_call(JournalAccounts(chain.state_at(chain.head)), env, call)
    location = chain.receipt(
        chain.send_transaction(TxArgs(sender=sender, to=CONTRACT, data=data, gas=200_000))
    )
    assert location is not None
    assert location.receipt.success
    assert outcome.gas_used == location.receipt.gas_used == gas


# -- state, logs and the frame's end ------------------------------------------------------


@pytest.mark.parametrize("original", [0, 1, 2])
def test_sstore_gas_and_refunds_in_every_eip2200_case(chain: Chain, original: int) -> None:
    """Two writes to one slot from each original value: every EIP-2200/3529 branch
    (no-op, set, reset, clear, dirty, restore), cold and warm, with a SLOAD between."""
    chain.set_storage(CONTRACT, 5, original)
    for first in (0, 1, 2):
        for second in (0, 1, 2):
            code = (
                _push(first)
                + _push(5)
                + b"\x55"
                + _push(5)
                + b"\x54\x50"  # SLOAD, POP: warm now
                + _push(second)
                + _push(5)
                + b"\x55\x5a\x5f\x52\x60\x20\x5f\xf3"  # GAS, return it
            )
            ours, reference = _run(chain, code, b"", GENEROUS, 0)
            _assert_same(ours, reference)
            assert ours.success
            assert ours.storage[CONTRACT][5] == second


def test_sstore_below_the_eip2200_sentry_and_running_out_match(chain: Chain) -> None:
    # SSTORE(3, 1) after a PUSH pair: gas from just under the sentry to enough
    code = _push(1) + _push(3) + b"\x55"
    for gas in (21_000 + 2_300, 21_000 + 2_306, 21_000 + 2_307, 21_000 + 22_105, 21_000 + 22_106):
        ours, reference = _run(chain, code, b"", gas, 0)
        _assert_same(ours, reference)
    assert ours.success


def test_state_writes_in_a_static_call_fail_as_in_py_evm(chain: Chain) -> None:
    """CONTRACT STATICCALLs itself with one byte of calldata; that inner frame (it has
    calldata) runs a write, which must fail with write protection there."""
    for body in (_push(1) + _push(9) + b"\x55", _push(0) + _push(0) + b"\xa0"):
        outer = (
            _push(0)  # out size
            + _push(0)  # out offset
            + _push(1)  # in size
            + _push(0)  # in offset
            + _push(int.from_bytes(CONTRACT, "big"))
            + _push(50_000)
            + b"\xfa"  # STATICCALL
            + b"\x5f\x52\x60\x20\x5f\xf3"  # return its status
        )
        head_size = 1 + 2 + 1  # CALLDATASIZE, PUSH1 target, JUMPI
        code = b"\x36" + _push(head_size + len(outer)) + b"\x57" + outer + b"\x5b" + body
        ours, reference = _run(chain, code, b"", GENEROUS, 0)
        _assert_same(ours, reference)
        assert ours.success
        assert ours.output == bytes(32)  # the static frame failed


def test_return_revert_and_copies_on_edge_windows(chain: Chain) -> None:
    for op in (0xF3, 0xFD):
        for offset, size in ((0, 0), (2**256 - 1, 0), (31, 1), (0, 64), (100, 33), (2**64, 1)):
            _assert_same(*_run(chain, _push(size) + _push(offset) + bytes([op]), b"", GENEROUS, 0))
    for op in (0x37, 0x39):
        for dest, start, size in ((0, 0, 0), (5, 2**256 - 1, 40), (0, 3, 100), (2**40, 0, 0)):
            code = _push(size) + _push(start) + _push(dest) + bytes([op]) + b"\x59\x5f\x52"
            code += b"\x60\x80\x5f\xf3"
            _assert_same(*_run(chain, code, b"calldata!", GENEROUS, 0))


def _token(chain: Chain) -> Address:
    artifact = json.loads((ARTIFACTS / "Token.json").read_text())
    data = bytes.fromhex(artifact["bytecode"][2:]) + encode(
        ["string", "string", "uint256"], ["Token", "TKN", 10**24]
    )
    location = chain.receipt(
        chain.send_transaction(TxArgs(sender=chain.accounts[0].address, data=data))
    )
    assert location is not None
    assert location.receipt.contract_address is not None
    return location.receipt.contract_address


def _abi(signature: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(signature.encode())[:4] + encode(types, values)


def test_erc20_calls_and_transfers_match() -> None:
    chain = Chain()
    token = _token(chain)
    alice, bob, carol = (account.address for account in chain.accounts[:3])
    # some history: bob holds tokens, carol may spend alice's
    for args in (
        TxArgs(
            sender=alice,
            to=token,
            data=_abi("transfer(address,uint256)", ["address", "uint256"], [bob, 500]),
        ),
        TxArgs(
            sender=alice,
            to=token,
            data=_abi("approve(address,uint256)", ["address", "uint256"], [carol, 300]),
        ),
    ):
        location = chain.receipt(chain.send_transaction(args))
        assert location is not None
        assert location.receipt.success
    cases = [
        (alice, _abi("balanceOf(address)", ["address"], [alice])),
        (alice, _abi("balanceOf(address)", ["address"], [carol])),
        (alice, _abi("totalSupply()", [], [])),
        (alice, _abi("name()", [], [])),
        (alice, _abi("transfer(address,uint256)", ["address", "uint256"], [bob, 1])),
        (bob, _abi("transfer(address,uint256)", ["address", "uint256"], [alice, 500])),  # clears
        (bob, _abi("transfer(address,uint256)", ["address", "uint256"], [alice, 501])),  # reverts
        (
            carol,
            _abi(
                "transferFrom(address,address,uint256)",
                ["address", "address", "uint256"],
                [alice, carol, 300],
            ),
        ),
        (
            carol,
            _abi(
                "transferFrom(address,address,uint256)",
                ["address", "address", "uint256"],
                [alice, carol, 301],
            ),
        ),
        (alice, _abi("approve(address,uint256)", ["address", "uint256"], [carol, 0])),  # refund
        (alice, b"\x12\x34\x56\x78"),  # no such function
    ]
    for sender, data in cases:
        ours, reference = _call(chain, token, data, 200_000, 0, sender)
        _assert_same(ours, reference)
    # every gas limit around a transfer's need: out of gas at each instruction boundary
    transfer = _abi("transfer(address,uint256)", ["address", "uint256"], [bob, 1])
    ours, _ = _call(chain, token, transfer, 200_000, 0, alice)
    assert ours.success
    assert ours.logs
    assert ours.refund == 0
    for gas in range(ours.gas_used - 400, ours.gas_used + 2, 7):
        _assert_same(*_call(chain, token, transfer, gas, 0, alice))


def test_transient_storage_undone_with_a_failed_frame() -> None:
    """CONTRACT TSTOREs slot 0, then calls itself with calldata: that frame TSTOREs
    slots 0 and 1 and reverts (or returns). The outer frame returns TLOAD 0 and 1."""
    chain = Chain()
    for inner_end in (b"\x5f\x5f\xfd", b"\x00"):  # REVERT(0, 0) or STOP
        inner = _push(22) + _push(0) + b"\x5d" + _push(33) + _push(1) + b"\x5d" + inner_end
        outer = (
            _push(11)
            + _push(0)
            + b"\x5d"  # TSTORE(0, 11)
            + _push(0)
            + _push(0)
            + _push(1)
            + _push(0)
            + _push(0)
            + _push(int.from_bytes(CONTRACT, "big"))
            + _push(50_000)
            + b"\xf1\x50"  # CALL ourselves with one byte, POP the status
            + b"\x5f\x5c\x5f\x52"  # TLOAD(0) at 0
            + b"\x60\x01\x5c\x60\x20\x52"  # TLOAD(1) at 32
            + b"\x60\x40\x5f\xf3"
        )
        head_size = 1 + 2 + 1
        code = b"\x36" + _push(head_size + len(outer)) + b"\x57" + outer + b"\x5b" + inner
        ours, reference = _run(chain, code, b"", GENEROUS, 0)
        _assert_same(ours, reference)
        assert ours.success
        reverted = inner_end != b"\x00"
        expected = (11, 0) if reverted else (22, 33)
        assert ours.output == b"".join(v.to_bytes(32, "big") for v in expected)
