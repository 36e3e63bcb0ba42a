"""geth's ``prestateTracer``: the accounts and slots a transaction touched, as they were
before it; with ``diffMode``, only what it changed, before (``pre``) and after (``post``).

Touches are geth's: sender, recipient (or created address) and coinbase at the start;
SLOAD/SSTORE slots; the address BALANCE, EXTCODE*, SELFDESTRUCT name; the target of
every CALL-family instruction; the address a CREATE/CREATE2 will create. Each is read
from the state at its first touch, which is the pre-transaction value (the hooks run
before the sender pays for gas, and before the instruction that touches).
"""

from __future__ import annotations

from mocknode.chain.evm.tracing import hooks
from mocknode.chain.primitives import rlp
from mocknode.chain.primitives.hashing import EMPTY_CODE_HASH, keccak
from mocknode.types import Address
from mocknode.values import dataclass, field

_ADDRESS_OPS = frozenset({0x31, 0x3B, 0x3C, 0x3F, 0xFF})  # BALANCE, EXTCODE*, SELFDESTRUCT
_CALL_OPS = frozenset({0xF1, 0xF2, 0xF4, 0xFA})


@dataclass(slots=True)
class AccountState:
    """An account as the tracer shows it; None/empty fields are left out of the answer."""

    balance: int | None = None
    nonce: int = 0
    code: bytes = b""
    code_hash: bytes | None = None
    storage: dict[int, int] | None = field(default=None)
    empty: bool = False


@dataclass(frozen=True, slots=True)
class PrestateOptions:
    diff_mode: bool = False
    disable_code: bool = False
    disable_storage: bool = False


def _address(word: int) -> Address:
    return Address((word & ((1 << 160) - 1)).to_bytes(20, "big"))


class PrestateTracer(hooks.Tracer):
    def __init__(self, options: PrestateOptions) -> None:
        self.options = options
        self.pre: dict[Address, AccountState] = {}
        self.post: dict[Address, AccountState] = {}
        self._created: set[Address] = set()
        self._deleted: set[Address] = set()

    def on_tx_start(self, tx: hooks.TxStart, state: hooks.StateView) -> None:
        if tx.create:
            self._created.add(tx.to)
        for address in (tx.sender, tx.to, tx.coinbase):
            self._lookup(address, state)

    def on_opcode(self, step: hooks.Step, state: hooks.StateView) -> None:
        op, stack = step.op, step.stack
        if (op == 0x54 or op == 0x55) and stack:
            self._lookup(step.address, state)
            account = self.pre[step.address]
            if account.storage is not None and stack[-1] not in account.storage:
                account.storage[stack[-1]] = state.get_storage(step.address, stack[-1])
        elif op in _ADDRESS_OPS and stack:
            self._lookup(_address(stack[-1]), state)
            if op == 0xFF:
                self._deleted.add(step.address)
        elif op in _CALL_OPS and len(stack) >= 5:
            self._lookup(_address(stack[-2]), state)
        elif op == 0xF0:
            nonce = state.get_nonce(step.address)
            created = Address(
                keccak(rlp.encode_list((rlp.encode_bytes(step.address), rlp.encode_int(nonce))))[
                    12:
                ]
            )
            self._lookup(created, state)
            self._created.add(created)
        elif op == 0xF5 and len(stack) >= 4 and step.memory is not None:
            offset, size, salt = stack[-2], stack[-3], stack[-4]
            init = step.memory[offset : offset + size].ljust(size, b"\0")
            created = Address(
                keccak(b"\xff" + step.address + salt.to_bytes(32, "big") + keccak(init))[12:]
            )
            self._lookup(created, state)
            self._created.add(created)

    def on_tx_end(self, gas_used: int, state: hooks.StateView) -> None:
        if self.options.diff_mode:
            self._diff(state)
        for address in self._created:
            account = self.pre.get(address)
            if account is not None and account.empty:
                del self.pre[address]

    def _lookup(self, address: Address, state: hooks.StateView) -> None:
        if address in self.pre:
            return
        code = state.get_code(address)
        account = AccountState(
            balance=state.get_balance(address), nonce=state.get_nonce(address), code=code
        )
        code_hash = state.get_code_hash(address)
        if code_hash != EMPTY_CODE_HASH and any(code_hash):
            account.code_hash = code_hash
        account.empty = not (account.nonce or code or account.balance)
        if self.options.disable_code:
            account.code = b""
        if not self.options.disable_storage:
            account.storage = {}
        self.pre[address] = account

    def _diff(self, state: hooks.StateView) -> None:
        """geth's processDiffState: keep in ``pre`` only what changed, and put the new
        values in ``post``; a destroyed account stays in ``pre`` and has no ``post``."""
        for address, before in list(self.pre.items()):
            if address in self._deleted:
                continue
            after = AccountState(storage={})
            modified = False
            balance = state.get_balance(address)
            if balance != before.balance:
                modified, after.balance = True, balance
            nonce = state.get_nonce(address)
            if nonce != before.nonce:
                modified, after.nonce = True, nonce
            if not self.options.disable_code:
                code = state.get_code(address)
                if code != before.code:
                    modified, after.code = True, code
                    after.code_hash = keccak(code) if code else None
            if before.storage is not None:
                for slot, value in list(before.storage.items()):
                    if not value:
                        del before.storage[slot]
                    now = state.get_storage(address, slot)
                    if now == value:
                        before.storage.pop(slot, None)
                    else:
                        modified = True
                        if now:
                            assert after.storage is not None
                            after.storage[slot] = now
            if modified:
                self.post[address] = after
            else:
                del self.pre[address]
