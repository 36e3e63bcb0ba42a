"""The one narrow door to the EVM implementation (py-evm today).

Everything py-evm-specific lives here: decoding and signing transactions, running a
transaction or a call against a :class:`JournalAccounts`, and translating the
outcome into plain records. The rest of the chain never imports ``eth``, so another
EVM could replace py-evm behind these few functions.

py-evm is driven at the level of its ``PragueState`` and transaction executor: its
``Chain``/``VM`` classes, header validation and database layers are not used at all,
which is where most of eth-tester's time goes.

py-evm is imported lazily (:func:`_evm`): importing it takes ~0.8 s, longer than the
whole start-up budget of the node. A node that only answers reads never pays it; once
listening, the node warms the chain up in a worker thread
(:func:`mocknode.chain.chain.warm_up`, which calls :func:`load_evm` here), so the first
transaction normally finds py-evm loaded. The warm-up is driven from above: this
module names none of the modules that use it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from mocknode.chain.evm.variant import CallVariant, variant_class
from mocknode.chain.fees import GAS_PER_BLOB
from mocknode.chain.limits import CODE_SIZE_LIMIT, max_initcode_size
from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Authorization, Log, Tx
from mocknode.chain.state.journal import JournalAccounts
from mocknode.chain.tx import codec as txcodec
from mocknode.types import Address, Hash32
from mocknode.values import dataclass

if TYPE_CHECKING:
    from mocknode.chain.evm.tracing.hooks import Tracer, TxStart


# EIP-7702: code that delegates to another account's code.
_DELEGATION_PREFIX = b"\xef\x01\x00"


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """The block a transaction or call executes in."""

    number: int
    timestamp: int
    coinbase: Address
    gas_limit: int
    base_fee: int
    prev_randao: Hash32
    chain_id: int
    ancestor_hashes: Callable[[], Iterable[Hash32]]
    excess_blob_gas: int = 0
    # EIP-170's limit on deployed code (EIP-3860's on initcode is twice it); a node
    # started with anvil's --code-size-limit raises it.
    code_size_limit: int = CODE_SIZE_LIMIT

    def without_base_fee(self) -> BlockEnv:
        """This block at a zero base fee (geth's NoBaseFee for calls that pay nothing).
        Built directly: ``dataclasses.replace`` costs twice as much, on every eth_call."""
        return BlockEnv(
            self.number,
            self.timestamp,
            self.coinbase,
            self.gas_limit,
            0,
            self.prev_randao,
            self.chain_id,
            self.ancestor_hashes,
            self.excess_blob_gas,
            self.code_size_limit,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What executing a transaction or a call produced."""

    success: bool
    gas_used: int
    output: bytes
    logs: tuple[Log, ...]
    error: str | None  # geth's wording for a failed execution ("execution reverted", ...)
    reverted: bool


_lock = threading.Lock()
_loaded: SimpleNamespace | None = None


def _evm() -> SimpleNamespace:
    """py-evm's classes, imported on first use (thread-safe, once)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            _loaded = _import_evm()
    return _loaded


def load_evm() -> None:
    """Import py-evm now (from a worker thread, say), so no request waits for it later."""
    _evm()


def _import_evm() -> SimpleNamespace:
    from eth import exceptions as vm_errors
    from eth._utils.address import generate_contract_address
    from eth._utils.generator import CachedIterable
    from eth.vm.code_stream import CodeStream
    from eth.vm.computation import NO_RESULT
    from eth.vm.execution_context import ExecutionContext
    from eth.vm.forks.cancun.transaction_context import CancunTransactionContext
    from eth.vm.forks.prague.computation import PragueComputation
    from eth.vm.forks.prague.state import PragueState
    from eth.vm.forks.prague.transactions import Authorization as EvmAuthorization
    from eth.vm.memory import Memory
    from eth.vm.stack import Stack
    from eth_utils import get_extended_debug_logger

    from mocknode.chain.evm import interpreter
    from mocknode.chain.evm.interpreter_message import top_message
    from mocknode.chain.evm.interpreter_transient import TransientStorage

    class Computation(PragueComputation):  # type: ignore[misc]
        """Prague's computation with our instruction loop (:mod:`mocknode.chain.evm.interpreter`).

        The frame's set-up mirrors py-evm's ``apply_computation``: contracts created so
        far are tracked (EIP-3860's initcode cost is in the intrinsic gas), precompiles run
        directly (not through a 7702 delegation); then the loop runs the code.
        """

        def __init__(self, state: Any, message: Any, transaction_context: Any) -> None:
            """py-evm's frame set-up (BaseComputation's, then Shanghai's warm coinbase,
            EIP-3651) in one call, the coinbase read and warmed without the state's
            forwarding properties: it runs for every frame."""
            self.state = state
            self.msg = message
            self.transaction_context = transaction_context
            self.code = CodeStream(message.code)
            self._gas_meter = self._configure_gas_meter()
            self.children: list[Any] = []
            self.accounts_to_delete: list[Any] = []
            self.beneficiaries: list[Any] = []
            self._stack = Stack()
            self._memory = Memory()
            self._log_entries: list[Any] = []
            self.data_floor_cost = 0
            state._account_db.mark_address_warm(state.execution_context._coinbase)

        @classmethod
        def apply_computation(
            cls,
            state: Any,
            message: Any,
            transaction_context: Any,
            parent_computation: Any = None,
        ) -> Any:
            computation = cls(state, message, transaction_context)
            # py-evm's ``with computation``, whose __enter__ and successful __exit__
            # only write debug logs: its __exit__ runs for a VM error alone, recording
            # it, burning the gas and erasing the return data as the fork says.
            try:
                if computation.is_origin_computation:
                    # No initcode charge here (py-evm's origin frame makes one): our
                    # intrinsic gas already holds EIP-3860's, as geth's IntrinsicGas does.
                    computation.contracts_created = []
                if parent_computation is not None:
                    computation.contracts_created = parent_computation.contracts_created
                if message.is_create:
                    computation.contracts_created.append(message.storage_address)
                precompile = computation.precompiles.get(message.code_address, NO_RESULT)
                if precompile is not NO_RESULT:
                    if not message.is_delegation:
                        precompile(computation)
                    return computation
                cls.run_code(computation)
            except vm_errors.VMError as error:
                computation.__exit__(type(error), error, error.__traceback__)
            return computation

        @classmethod
        def run_code(cls, computation: Any) -> None:
            """The instruction loop of one frame: ours; a traced run swaps in its own
            (mocknode.chain.evm.tracing.stepper) and keeps the set-up above."""
            interpreter.run(computation)

    limited: dict[int, Any] = {}

    def limited_computation(limit: int) -> Any:
        """:class:`Computation` with EIP-170's limit at ``limit`` bytes and EIP-3860's
        at twice that (one class per limit, made once): for a state whose block
        environment raises the limit, so the default path pays nothing for it."""
        cls = limited.get(limit)
        if cls is not None:
            return cls
        initcode_limit = max_initcode_size(limit)

        class Limited(Computation):  # type: ignore[misc,valid-type]
            @classmethod
            def validate_create_message(cls, message: Any) -> None:
                if len(message.code) > initcode_limit:
                    raise vm_errors.OutOfGas(
                        f"Contract code size exceeds EIP-3860 limit of {initcode_limit}. "
                        f"Got code of size: {len(message.code)}"
                    )

            @classmethod
            def validate_contract_code(cls, contract_code: bytes) -> None:
                if len(contract_code) > limit:
                    raise vm_errors.OutOfGas(
                        f"Contract code size exceeds EIP170 limit of {limit}."
                        f"  Got code of size: {len(contract_code)}"
                    )
                if contract_code[:1] == b"\xef":  # EIP-3541, London's check after the size
                    raise vm_errors.ReservedBytesInCode(
                        "Contract code begins with EIP3541 reserved byte '0xEF'."
                    )

        limited[limit] = Limited
        return Limited

    class Executor(PragueState.transaction_executor_class):  # type: ignore[misc,name-defined]
        def build_evm_message(self, transaction: Any) -> Any:
            """py-evm's Cancun message building, minus the debug line it formats eagerly
            for every transaction (the callee's whole code in hex and a keccak of the
            data: ~15% of a small eth_call). A blob transaction also pays for its blob
            gas at the block's blob base fee, burnt (credited to no one)."""
            state = self.vm_state
            sender = transaction.sender
            charge = transaction.gas * state.get_gas_price(transaction)
            blobs = transaction.blob_versioned_hashes
            if blobs:
                charge += GAS_PER_BLOB * len(blobs) * state.blob_base_fee
            state.delta_balance(sender, -charge)
            state.increment_nonce(sender)
            refund = self.calc_message_refund(transaction)  # Prague: EIP-7702 authorizations
            if transaction.to == b"":
                created = generate_contract_address(sender, state.get_nonce(sender) - 1)
                data, code, delegated = b"", transaction.data, False
            else:
                created, data = None, transaction.data
                code, delegate = self.get_code_at_address(transaction.to)
                delegated = delegate is not None
            return top_message(  # py-evm's Message, less validating what Tx holds
                gas=transaction.gas - transaction.intrinsic_gas,
                to=transaction.to,
                sender=sender,
                value=transaction.value,
                data=data,
                code=code,
                create_address=created,
                refund=refund,
                is_delegation=delegated,
            )

    class CallContext(CancunTransactionContext):  # type: ignore[misc]
        """Prague's transaction context for a call's top frame, minus re-validating the
        price and origin our own parsing checked (``apply_call``'s direct path)."""

        def __init__(self, gas_price: int, origin: bytes) -> None:
            self._gas_price = gas_price
            self._origin = origin
            self._log_counter = itertools.count()
            self._blob_versioned_hashes = ()
            self._authorization_list = ()

    class State(PragueState):  # type: ignore[misc]
        """PragueState over our journal, built without py-evm's database plumbing."""

        computation_class = Computation
        transaction_executor_class = Executor
        _transient_storage_class = TransientStorage  # a dict, not a JournalDB per call

        # py-evm builds a new logger object on every ``logger`` access (twice per tx).
        logger = get_extended_debug_logger("eth.vm.state.PragueState")

        def __init__(self, accounts: JournalAccounts, env: BlockEnv) -> None:
            self._db = None
            self._account_db = accounts
            if env.code_size_limit != CODE_SIZE_LIMIT:
                self.computation_class = limited_computation(env.code_size_limit)
            self.execution_context = execution_context(env)

    # The last environment a state was built for and its ExecutionContext's fields: a
    # state is built per call, and calls mostly hit one block (whose environment the
    # chain keeps). One tuple, replaced whole, for calls in worker threads.
    last_context: list[tuple[BlockEnv, dict[str, Any]] | None] = [None]

    def execution_context(env: BlockEnv) -> Any:
        """py-evm's ExecutionContext of ``env``: its fields copied from the last one
        built for this same ``env`` (the constructor's ten keywords cost more), and
        BLOCKHASH's ancestors a fresh iterable of its own, read on first use."""
        cached = last_context[0]
        if cached is None or cached[0] is not env:
            built = ExecutionContext(
                coinbase=env.coinbase,
                timestamp=env.timestamp,
                block_number=env.number,
                difficulty=0,
                mix_hash=env.prev_randao,
                gas_limit=env.gas_limit,
                prev_hashes=(),
                chain_id=env.chain_id,
                base_fee_per_gas=env.base_fee,
                excess_blob_gas=env.excess_blob_gas,
            )
            cached = (env, dict(vars(built)))
            last_context[0] = cached
        context = ExecutionContext.__new__(ExecutionContext)
        vars(context).update(cached[1])
        context._prev_hashes = CachedIterable(_ancestors(env))
        return context

    # geth's texts for EVM failures (core/vm/errors.go), most specific first.
    messages = (
        (interpreter.UndefinedInstruction, None),  # worded by the interpreter
        (vm_errors.Revert, "execution reverted"),
        (vm_errors.OutOfGas, "out of gas"),
        (vm_errors.InvalidJumpDestination, "invalid jump destination"),
        (vm_errors.InvalidInstruction, "invalid opcode: INVALID"),
        (vm_errors.StackDepthLimit, "max call depth exceeded"),
        (vm_errors.WriteProtection, "write protection"),
        (vm_errors.InsufficientFunds, "insufficient balance for transfer"),
    )
    return SimpleNamespace(
        State=State,
        Revert=vm_errors.Revert,
        messages=messages,
        Authorization=EvmAuthorization,
        top_message=top_message,
        CallContext=CallContext,
    )


def _ancestors(env: BlockEnv) -> Iterator[Hash32]:
    """The hashes BLOCKHASH sees, asked of the chain only if BLOCKHASH runs."""
    yield from env.ancestor_hashes()


def _vm_error_message(error: Exception) -> str:
    for kind, message in _evm().messages:
        if isinstance(error, kind):
            return str(error if message is None else message)
    text = str(error) or type(error).__name__
    return text[0].lower() + text[1:]


def _outcome(computation: Any, gas_used: int) -> Outcome:
    error = computation._error  # is_error, error and output read once, not per property
    if error is not None:
        reverted = isinstance(error, _evm().Revert)
        output = bytes(error.args[0]) if reverted and error.args else b""
        return Outcome(False, gas_used, output, (), _vm_error_message(error), reverted)
    logs: tuple[Log, ...] = ()
    if computation._log_entries or computation.children:  # most calls log nothing
        logs = tuple(
            Log(
                Address(address),
                tuple(Hash32(t.to_bytes(32, "big")) for t in topics),
                bytes(data),
            )
            for address, topics, data in computation.get_log_entries()
        )
    return Outcome(True, gas_used, bytes(computation._output), logs, None, False)


def _gas_used(transaction: Any, computation: Any) -> int:
    """Gas the transaction pays: used, less the capped refund (EIP-3529), raised to the
    calldata floor (EIP-7623) as py-evm's ``finalize_computation`` settles it."""
    used: int = transaction.gas - computation.get_gas_remaining()
    refund = min(int(computation.get_gas_refund()), used // 5)
    floor: int = _evm().State.transaction_executor_class.calc_data_floor_gas(
        transaction, used, refund
    )
    return used - refund + floor


def apply_transaction(accounts: JournalAccounts, env: BlockEnv, tx: Tx) -> Outcome:
    """Execute a signed transaction; the caller checked it is valid for this state."""
    state = _evm().State(accounts, env)
    accounts.lock_changes()
    exec_tx = _ExecTx(tx)
    computation = state.apply_transaction(exec_tx)
    gas_used = _gas_used(exec_tx, computation)
    accounts.lock_changes()
    return _outcome(computation, gas_used)


class _ExecTx:
    """The transaction-shaped object py-evm's executor reads.

    py-evm only reads these attributes; building them from our own :class:`Tx` record
    (or from a call's arguments, which have no signature and may name any sender)
    avoids py-evm's RLP-backed transaction classes entirely.
    """

    __slots__ = (
        "access_list",
        "authorization_list",
        "blob_versioned_hashes",
        "data",
        "gas",
        "gas_price",
        "intrinsic_gas",
        "max_fee_per_blob_gas",
        "max_fee_per_gas",
        "max_priority_fee_per_gas",
        "nonce",
        "r",
        "s",
        "sender",
        "to",
        "type_id",
        "value",
        "y_parity",
    )

    def __init__(self, tx: Tx) -> None:
        self.sender = tx.sender
        self.nonce = tx.nonce
        self.gas = tx.gas
        self.to = tx.to if tx.to is not None else b""
        self.value = tx.value
        self.data = tx.data
        self.max_fee_per_gas = tx.max_fee_per_gas
        self.max_priority_fee_per_gas = tx.max_priority_fee_per_gas
        self.gas_price = tx.gas_price if tx.gas_price is not None else tx.max_fee_per_gas
        self.access_list = [
            (address, [int.from_bytes(k, "big") for k in keys]) for address, keys in tx.access_list
        ]
        self.authorization_list = [_evm_authorization(a) for a in tx.authorization_list]
        self.type_id = tx.type if tx.type else None
        self.blob_versioned_hashes = tx.blob_versioned_hashes
        self.max_fee_per_blob_gas = tx.max_fee_per_blob_gas
        self.intrinsic_gas = txcodec.intrinsic_gas(tx)
        self.y_parity = tx.v if tx.type else tx.v % 2
        self.r = tx.r
        self.s = tx.s

    def validate(self) -> None:
        """Checked when decoded (:mod:`mocknode.chain.tx.codec`)."""

    def get_sender(self) -> Address:
        return self.sender


def _evm_authorization(auth: Authorization) -> Any:
    return _evm().Authorization(
        auth.chain_id, auth.address, auth.nonce, auth.y_parity, auth.r, auth.s
    )


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A call as ``eth_call``/``eth_estimateGas`` describe it, fees already resolved."""

    sender: Address
    to: Address | None
    gas: int
    value: int
    data: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] = ()
    authorization_list: tuple[Authorization, ...] = ()  # EIP-7702: applied before the call


def apply_call(
    accounts: JournalAccounts,
    env: BlockEnv,
    call: CallRequest,
    variant: CallVariant | None = None,
) -> Outcome:
    """Run a call on ``accounts``; the caller throws the journal away afterwards.
    ``variant``: moved precompiles and ERC-7528 transfer logs (overrides, simulations)."""
    state = _evm().State(accounts, env)
    if variant is not None:
        state.computation_class = variant_class(state.computation_class, variant)
    if variant is not None and variant.commit:
        return _committed_call(state, accounts, env, call, variant.nonce)
    if call.to is not None and not call.authorization_list:
        return _direct_call(state, accounts, call, call.to)
    return _call_on(state, accounts, env, call)


def precompile_addresses() -> frozenset[Address]:
    """The fork's precompile addresses (what state overrides may move)."""
    return frozenset(Address(a) for a in _evm().State.computation_class.get_precompiles())


def _committed_call(
    state: Any, accounts: JournalAccounts, env: BlockEnv, call: CallRequest, nonce: int
) -> Outcome:
    """A call settled as a mined transaction (fees to the coinbase, refunds, EIP-161),
    without py-evm's validation: the simulator checks what geth checks itself."""
    accounts.lock_changes()
    tx = _exec_tx(call, env, nonce)
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    executor.finalize_computation(tx, computation)
    state.clear_transient_storage()  # EIP-1153: per transaction, as _call_on clears it
    accounts.lock_changes()
    return _outcome(computation, _gas_used(tx, computation))


def _exec_tx(call: CallRequest, env: BlockEnv, nonce: int) -> _ExecTx:
    return _ExecTx(
        Tx(
            hash=Hash32(b""),
            type=4 if call.authorization_list else 2,
            sender=call.sender,
            nonce=nonce,
            gas=call.gas,
            to=call.to,
            value=call.value,
            data=call.data,
            chain_id=env.chain_id,
            gas_price=None,
            max_fee_per_gas=call.max_fee_per_gas,
            max_priority_fee_per_gas=call.max_priority_fee_per_gas,
            access_list=call.access_list,
            authorization_list=call.authorization_list,
            v=0,
            r=0,
            s=0,
            raw=b"",
        )
    )


def _call_on(state: Any, accounts: JournalAccounts, env: BlockEnv, call: CallRequest) -> Outcome:
    """A call on a py-evm state built over ``accounts`` (the interpreter's differential
    tests pass a state running py-evm's own instruction loop)."""
    accounts.lock_changes()
    tx = _exec_tx(call, env, accounts.get_nonce(call.sender))
    if tx.intrinsic_gas > call.gas:
        return Outcome(False, call.gas, b"", (), "intrinsic gas too low", False)
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    # No finalize_computation: it only pays refunds and fees and clears empty accounts
    # in a journal the caller throws away (transient storage too: the state dies with
    # the call); the gas it would settle is _gas_used's.
    return _outcome(computation, _gas_used(tx, computation))


def _direct_call(state: Any, accounts: JournalAccounts, call: CallRequest, to: Address) -> Outcome:
    """:func:`_call_on` for a plain message call (no creation, no EIP-7702 list), with
    py-evm's per-call scaffolding cut away: no transaction object, executor or
    ``build_computation`` chain, and no snapshot/commit around the top frame, whose
    changes the caller throws away whether it fails or not (a failed call reports no
    logs, and the refund and gas are read off the computation either way). What stays
    is exactly what the frame can observe: the gas bought and the nonce bumped (the
    sender's balance and nonce), the warm set (EIP-2929/2930), the value moved and the
    callee touched, then the frame itself. ``tests/chain/test_direct_call.py`` holds it
    against py-evm's own loop and message building."""
    evm = _evm()
    data = call.data
    zeros = data.count(0)
    intrinsic = 21000 + zeros * 4 + (len(data) - zeros) * 16
    for _, keys in call.access_list:
        intrinsic += 2400 + 1900 * len(keys)
    gas = call.gas
    if intrinsic > gas:
        return Outcome(False, gas, b"", (), "intrinsic gas too low", False)
    sender = call.sender
    price = min(
        call.max_fee_per_gas,
        call.max_priority_fee_per_gas + state.execution_context.base_fee_per_gas,
    )
    # The journal directly where py-evm's state would only forward to it.
    if price:
        state.delta_balance(sender, -gas * price)
    accounts.increment_nonce(sender)
    code = accounts.get_code(to)
    delegated = False
    if len(code) == 23 and code[:3] == _DELEGATION_PREFIX:  # EIP-7702 designation
        delegate = Address(code[3:])
        accounts.mark_address_warm(delegate)
        code, delegated = accounts.get_code(delegate), True
    message = evm.top_message(
        gas=gas - intrinsic,
        to=to,
        sender=sender,
        value=call.value,
        data=data,
        code=code,
        create_address=None,
        refund=0,
        is_delegation=delegated,
    )
    accounts.mark_address_warm(sender)
    accounts.mark_address_warm(to)
    for address, slots in call.access_list:
        accounts.mark_address_warm(address)
        for slot in slots:
            accounts.mark_storage_warm(address, int.from_bytes(slot, "big"))
    context = evm.CallContext(price, sender)
    if call.value:
        # the caller's precheck covered gas * max fee + value, so this cannot fail
        state.delta_balance(sender, -call.value)
        state.delta_balance(to, call.value)
    if not code:  # an account with code exists already: touching it changes nothing
        accounts.touch_account(to)
    computation = state.computation_class.apply_computation(state, message, context)
    if computation._error is None:  # get_gas_remaining and get_gas_refund, read once
        used = gas - computation._gas_meter.gas_remaining
        refund = computation._gas_meter.gas_refunded
        if computation.children:
            refund += sum(child.get_gas_refund() for child in computation.children)
        refund = min(refund, used // 5)
    else:  # the top message's refund is 0: a failed frame refunds nothing
        used = gas - computation.get_gas_remaining()
        refund = 0
    floor = 21000 + 10 * (zeros + 4 * (len(data) - zeros))
    return _outcome(computation, max(used - refund, floor))


# -- tracing: entry points that only a debug_trace* request reaches -----------------


def trace_transaction(
    accounts: JournalAccounts,
    env: BlockEnv,
    tx: Tx,
    tracer: Tracer,
    deadline: float | None = None,
) -> Outcome:
    """:func:`apply_transaction` with ``tracer`` told of every frame and instruction
    (:mod:`mocknode.chain.evm.tracing.stepper`); ``deadline`` is a ``time.monotonic()``
    past which the run stops with :class:`~mocknode.chain.evm.tracing.hooks.TraceTimeout`.
    The fast path is untouched: only this builds the instrumented classes."""
    from mocknode.chain.evm.tracing import stepper

    state = stepper.traced_state(_evm().State, tracer, accounts, _vm_error_message, deadline)(
        accounts, env
    )
    accounts.lock_changes()
    exec_tx = _ExecTx(tx)
    tracer.on_tx_start(
        _tx_start(tx.sender, tx.to, tx.gas, tx.value, tx.data, accounts, env), accounts
    )
    computation = state.apply_transaction(exec_tx)
    gas_used = _gas_used(exec_tx, computation)
    accounts.lock_changes()
    tracer.on_tx_end(gas_used, accounts)
    return _outcome(computation, gas_used)


def trace_call(
    accounts: JournalAccounts,
    env: BlockEnv,
    call: CallRequest,
    tracer: Tracer,
    deadline: float | None = None,
    variant: CallVariant | None = None,
) -> Outcome:
    """A call traced as geth's debug_traceCall runs it: as a whole transaction (gas
    bought, refunds and fees settled) on a journal the caller throws away.
    ``variant``: precompiles moved or removed by state overrides."""
    from mocknode.chain.evm.tracing import stepper

    state = stepper.traced_state(_evm().State, tracer, accounts, _vm_error_message, deadline)(
        accounts, env
    )
    if variant is not None:
        state.computation_class = variant_class(state.computation_class, variant)
    accounts.lock_changes()
    tx = _exec_tx(call, env, accounts.get_nonce(call.sender))
    if tx.intrinsic_gas > call.gas:
        from mocknode.chain.evm.tracing.hooks import TraceRefused

        raise TraceRefused(f"intrinsic gas too low: have {call.gas}, want {tx.intrinsic_gas}")
    tracer.on_tx_start(
        _tx_start(call.sender, call.to, call.gas, call.value, call.data, accounts, env), accounts
    )
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    executor.finalize_computation(tx, computation)
    gas_used = _gas_used(tx, computation)
    state.clear_transient_storage()
    tracer.on_tx_end(gas_used, accounts)
    return _outcome(computation, gas_used)


def _tx_start(
    sender: Address,
    to: Address | None,
    gas: int,
    value: int,
    data: bytes,
    accounts: JournalAccounts,
    env: BlockEnv,
) -> TxStart:
    from mocknode.chain.evm.tracing.hooks import TxStart

    if to is None:
        nonce = accounts.get_nonce(sender)
        created = Address(
            keccak(rlp.encode_list((rlp.encode_bytes(sender), rlp.encode_int(nonce))))[12:]
        )
        return TxStart(sender, created, True, gas, value, data, env.coinbase)
    return TxStart(sender, to, False, gas, value, data, env.coinbase)
