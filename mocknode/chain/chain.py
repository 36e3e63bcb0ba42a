"""The chain state machine: genesis, pool, mining, lookups, snapshots.

Synchronous and single-threaded by design: the node calls it from trio tasks, so
each call runs to completion between checkpoints and needs no locks. Mining builds a
block on a :class:`JournalAccounts` over the head state and commits only when the
whole block is built, so a failure half-way leaves the chain exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mocknode.chain import engine, trie
from mocknode.chain.clock import Clock, WallClock
from mocknode.chain.errors import (
    BlockNotFound,
    ExecutionFailed,
    InvalidTxArgs,
    TxRejected,
    UnknownAccount,
)
from mocknode.chain.hashing import BLANK_ROOT, EMPTY_LIST_HASH, keccak, rlp_int
from mocknode.chain.journal import JournalAccounts
from mocknode.chain.keys import DEFAULT_MNEMONIC, DevAccount, derive_accounts
from mocknode.chain.pool import PRICE_BUMP_PERCENT, Pool
from mocknode.chain.records import Block, Header, Receipt, Tx, bloom_bytes, logs_bloom
from mocknode.chain.revert import revert_message
from mocknode.chain.state import Account, BlockDiff, StateReader, WorldState
from mocknode.types import ZERO_ADDRESS, ZERO_HASH, Address, BlockRef, Hash32

GWEI = 10**9
ETHER = 10**18
EMPTY_REQUESTS_HASH = Hash32(hashlib.sha256(b"").digest())
MAX_INITCODE_SIZE = 49152
MAX_TX_SIZE = 128 * 1024


@dataclass(frozen=True)
class ChainConfig:
    chain_id: int = 31337
    accounts: int = 10
    balance: int = 10_000 * ETHER
    mnemonic: str = DEFAULT_MNEMONIC
    gas_limit: int = 30_000_000
    base_fee: int = GWEI
    coinbase: Address = ZERO_ADDRESS
    automine: bool = True
    # The tip eth_maxPriorityFeePerGas suggests and eth_sendTransaction fills in.
    priority_fee: int = GWEI
    extra_alloc: tuple[tuple[Address, int], ...] = ()
    clock: Clock = field(default_factory=WallClock)


@dataclass(frozen=True, slots=True)
class TxArgs:
    """Arguments of eth_sendTransaction / eth_call / eth_estimateGas, typed."""

    sender: Address | None = None
    to: Address | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int | None = None
    data: bytes | None = None
    nonce: int | None = None
    chain_id: int | None = None
    access_list: tuple[tuple[Address, tuple[int, ...]], ...] | None = None
    type: int | None = None


@dataclass(frozen=True, slots=True)
class TxLocation:
    block: Block
    index: int

    @property
    def tx(self) -> Tx:
        return self.block.transactions[self.index]

    @property
    def receipt(self) -> Receipt:
        return self.block.receipts[self.index]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    number: int
    block_hash: Hash32
    pool: Pool
    automine: bool


def next_base_fee(parent: Header) -> int:
    """EIP-1559: move the base fee by up to 1/8 towards the gas target."""
    target = parent.gas_limit // 2
    base = parent.base_fee_per_gas
    used = parent.gas_used
    if used == target:
        return base
    if used > target:
        return base + max(1, base * (used - target) // target // 8)
    return base - base * (target - used) // target // 8


def _ordered_root(items: list[bytes]) -> Hash32:
    node = None
    for i, item in enumerate(items):
        node = trie.put(node, trie.to_nibbles(rlp_int(i)), item)
    return Hash32(trie.root_hash(node))


class Chain:
    def __init__(self, config: ChainConfig | None = None) -> None:
        self.config = config = config or ChainConfig()
        self.accounts: tuple[DevAccount, ...] = derive_accounts(config.mnemonic, config.accounts)
        self._keys = {a.address: a.private_key for a in self.accounts}
        self.automine = config.automine
        self.state = WorldState()
        self.pool = Pool()
        self.blocks: list[Block] = []
        self._by_hash: dict[Hash32, Block] = {}
        self._tx_index: dict[Hash32, tuple[int, int]] = {}
        self._snapshots: dict[int, _Snapshot] = {}
        self._next_snapshot = 0
        # Called with (block, removed) for each block added to or taken off the chain,
        # and with each transaction accepted into the pool.
        self.block_listeners: list[Callable[[Block, bool], None]] = []
        self.pending_listeners: list[Callable[[Tx], None]] = []
        self._genesis()

    # -- genesis ----------------------------------------------------------------

    def _genesis(self) -> None:
        accounts: dict[Address, Account | None] = {}
        codes: dict[bytes, bytes] = {}
        for address, code in engine.system_contracts():
            code_hash = keccak(code)
            codes[code_hash] = code
            accounts[address] = Account(1, 0, code_hash)
        for dev in self.accounts:
            accounts[dev.address] = Account(0, self.config.balance, keccak(b""))
        for address, balance in self.config.extra_alloc:
            accounts[address] = Account(0, balance, keccak(b""))
        state_root = Hash32(self.state.commit_block(BlockDiff(accounts, {}, codes)))
        header = Header(
            parent_hash=ZERO_HASH,
            ommers_hash=Hash32(EMPTY_LIST_HASH),
            coinbase=self.config.coinbase,
            state_root=state_root,
            transactions_root=Hash32(BLANK_ROOT),
            receipts_root=Hash32(BLANK_ROOT),
            logs_bloom=bytes(256),
            difficulty=0,
            number=0,
            gas_limit=self.config.gas_limit,
            gas_used=0,
            timestamp=self.config.clock.genesis_timestamp(),
            extra_data=b"",
            mix_hash=ZERO_HASH,
            nonce=bytes(8),
            base_fee_per_gas=self.config.base_fee,
            withdrawals_root=Hash32(BLANK_ROOT),
            blob_gas_used=0,
            excess_blob_gas=0,
            parent_beacon_block_root=ZERO_HASH,
            requests_hash=EMPTY_REQUESTS_HASH,
        )
        self._append(Block(header, header.hash(), (), (), len(header.encode()) + 3))

    def _append(self, block: Block) -> None:
        self.blocks.append(block)
        self._by_hash[block.hash] = block
        for i, tx in enumerate(block.transactions):
            self._tx_index[tx.hash] = (block.number, i)

    # -- lookups ------------------------------------------------------------------

    @property
    def head(self) -> Block:
        return self.blocks[-1]

    def block_by_number(self, number: int) -> Block | None:
        if 0 <= number < len(self.blocks):
            return self.blocks[number]
        return None

    def block_by_hash(self, block_hash: Hash32) -> Block | None:
        return self._by_hash.get(block_hash)

    def resolve(self, ref: BlockRef) -> Block:
        """The block ``ref`` names; raises :class:`BlockNotFound` (geth: header not found)."""
        if ref.block_hash is not None:
            block = self._by_hash.get(ref.block_hash)
            if block is None:
                raise BlockNotFound(f"header for hash {'0x' + ref.block_hash.hex()} not found")
            return block
        if ref.number is not None:
            block = self.block_by_number(ref.number)
            if block is None:
                raise BlockNotFound("header not found")
            return block
        if ref.tag == "earliest":
            return self.blocks[0]
        if ref.tag == "finalized":
            # geth --dev finalizes every 32 blocks (its simulated beacon's epoch).
            return self.blocks[self.head.number // 32 * 32]
        return self.blocks[-1]

    def reader(self, ref: BlockRef) -> StateReader:
        return self.state.reader(self.resolve(ref).number)

    def balance(self, address: Address, ref: BlockRef) -> int:
        account = self.reader(ref).account(address)
        return account.balance if account else 0

    def nonce(self, address: Address, ref: BlockRef) -> int:
        account = self.reader(ref).account(address)
        nonce = account.nonce if account else 0
        if ref.tag == "pending":
            nonce = self.pool.pending_nonce(address, nonce)
        return nonce

    def code(self, address: Address, ref: BlockRef) -> bytes:
        reader = self.reader(ref)
        account = reader.account(address)
        return reader.code(account.code_hash) if account else b""

    def storage(self, address: Address, slot: int, ref: BlockRef) -> int:
        return self.reader(ref).storage(address, slot)

    def transaction(self, tx_hash: Hash32) -> TxLocation | Tx | None:
        """A mined transaction's location, a pooled transaction, or None."""
        where = self._tx_index.get(tx_hash)
        if where is not None:
            return TxLocation(self.blocks[where[0]], where[1])
        return self.pool.get(tx_hash)

    def receipt(self, tx_hash: Hash32) -> TxLocation | None:
        where = self._tx_index.get(tx_hash)
        return None if where is None else TxLocation(self.blocks[where[0]], where[1])

    # -- fees ---------------------------------------------------------------------

    def next_base_fee(self) -> int:
        return next_base_fee(self.head.header)

    def gas_price(self) -> int:
        """eth_gasPrice: the suggested tip plus the head's base fee (geth's rule)."""
        return self.config.priority_fee + self.head.header.base_fee_per_gas

    # -- submitting -----------------------------------------------------------------

    def send_raw_transaction(self, raw: bytes) -> Hash32:
        try:
            evm_tx = engine.decode_transaction(raw)
        except Exception as exc:  # malformed input is the client's error, not ours
            raise TxRejected(_decode_error_text(raw, exc)) from None
        try:
            tx = engine.to_record(evm_tx)
        except Exception:
            raise TxRejected("invalid sender") from None
        return self._submit(tx)

    def send_transaction(self, args: TxArgs) -> Hash32:
        """eth_sendTransaction: fill what geth fills, sign with the dev key, submit."""
        sender = args.sender
        if sender is None:
            raise InvalidTxArgs("from field is required")
        key = self._keys.get(sender)
        if key is None:
            raise UnknownAccount("unknown account")
        if args.chain_id is not None and args.chain_id != self.config.chain_id:
            raise InvalidTxArgs(
                f"chainId does not match node's (have={args.chain_id}, want={self.config.chain_id})"
            )
        tx_type, gas_price, max_fee, tip = self._fee_defaults(args)
        nonce = args.nonce
        if nonce is None:
            nonce = self.nonce(sender, BlockRef(tag="pending"))
        gas = args.gas
        if gas is None:
            gas = self.estimate_gas(args, BlockRef(tag="latest"))
        evm_tx = engine.sign_transaction(
            private_key=key,
            chain_id=self.config.chain_id,
            tx_type=tx_type,
            nonce=nonce,
            gas=gas,
            to=args.to,
            value=args.value or 0,
            data=args.data or b"",
            gas_price=gas_price,
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=tip,
            access_list=[(a, list(keys)) for a, keys in (args.access_list or ())],
        )
        return self._submit(engine.to_record(evm_tx))

    def _fee_defaults(self, args: TxArgs) -> tuple[int, int, int, int]:
        """(type, gasPrice, maxFeePerGas, maxPriorityFeePerGas) as geth's setFeeDefaults."""
        dynamic = args.max_fee_per_gas is not None or args.max_priority_fee_per_gas is not None
        if args.gas_price is not None and dynamic:
            raise InvalidTxArgs(
                "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"
            )
        if args.gas_price is not None or args.type in (0, 1):
            price = args.gas_price if args.gas_price is not None else self.gas_price()
            tx_type = 1 if args.access_list or args.type == 1 else 0
            return tx_type, price, price, price
        tip = args.max_priority_fee_per_gas
        if tip is None:
            tip = self.config.priority_fee
        max_fee = args.max_fee_per_gas
        if max_fee is None:
            max_fee = 2 * self.head.header.base_fee_per_gas + tip
        if max_fee < tip:
            raise InvalidTxArgs(f"maxFeePerGas ({max_fee}) < maxPriorityFeePerGas ({tip})")
        return 2, 0, max_fee, tip

    def _submit(self, tx: Tx) -> Hash32:
        if self.pool.get(tx.hash) is not None or tx.hash in self._tx_index:
            raise TxRejected("already known")
        self._validate(tx)
        existing = self.pool.existing(tx.sender, tx.nonce)
        if existing is not None:
            bump = 100 + PRICE_BUMP_PERCENT
            if (
                tx.max_fee_per_gas * 100 < existing.max_fee_per_gas * bump
                or tx.max_priority_fee_per_gas * 100 < existing.max_priority_fee_per_gas * bump
            ):
                raise TxRejected("replacement transaction underpriced")
        self.pool.add(tx)
        for listener in list(self.pending_listeners):
            listener(tx)
        if self.automine:
            self._automine()
        return tx.hash

    def _validate(self, tx: Tx) -> None:
        """geth's txpool checks, in geth's order, with geth's messages."""
        if tx.type not in (0, 1, 2, 4):
            raise TxRejected("transaction type not supported")
        if len(tx.raw) > MAX_TX_SIZE:
            raise TxRejected("oversized data")
        if tx.to is None and len(tx.data) > MAX_INITCODE_SIZE:
            raise TxRejected(
                f"max initcode size exceeded: code size {len(tx.data)}, limit {MAX_INITCODE_SIZE}"
            )
        if tx.chain_id is not None and tx.chain_id != self.config.chain_id:
            raise TxRejected(
                f"invalid chain id for signer: have {tx.chain_id} want {self.config.chain_id}"
            )
        if tx.gas > self.head.header.gas_limit:
            raise TxRejected("exceeds block gas limit")
        if tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
            raise TxRejected("max priority fee per gas higher than max fee per gas")
        if tx.type == 4 and not tx.authorization_list:
            raise TxRejected("EIP-7702 transaction with empty auth list")
        if tx.type == 4 and tx.to is None:
            raise TxRejected("EIP-7702 transaction cannot be used to create contract")
        needed = engine.intrinsic_gas(tx)
        if tx.gas < needed:
            raise TxRejected(f"intrinsic gas too low: gas {tx.gas}, minimum needed {needed}")
        head = self.state.reader()
        account = head.account(tx.sender)
        state_nonce = account.nonce if account else 0
        if tx.nonce < state_nonce:
            raise TxRejected(f"nonce too low: next nonce {state_nonce}, tx nonce {tx.nonce}")
        balance = account.balance if account else 0
        cost = tx.gas * tx.max_fee_per_gas + tx.value
        if balance < cost:
            raise TxRejected(
                f"insufficient funds for gas * price + value: balance {balance}, "
                f"tx cost {cost}, overshot {cost - balance}"
            )
        base_fee = self.next_base_fee()
        if tx.max_fee_per_gas < base_fee:
            raise TxRejected(
                f"max fee per gas less than block base fee: address {_checksum(tx.sender)}, "
                f"maxFeePerGas: {tx.max_fee_per_gas}, baseFee: {base_fee}"
            )

    # -- mining -----------------------------------------------------------------

    def _automine(self) -> None:
        while self._ready():
            self.mine_block(max_transactions=1)

    def _ready(self) -> bool:
        if not len(self.pool):
            return False
        head = self.state.reader()
        nonces = {}
        for sender in self.pool.senders():
            account = head.account(sender)
            nonces[sender] = account.nonce if account else 0
        return bool(self.pool.executable(nonces))

    def mine(
        self, blocks: int = 1, timestamp: int | None = None, interval: int | None = None
    ) -> list[Block]:
        """Mine ``blocks`` blocks; the first at ``timestamp`` and the rest ``interval`` apart
        when given (anvil's ``evm_mine``/``anvil_mine``), else as the clock says."""
        mined = []
        for i in range(blocks):
            at = None
            if timestamp is not None:
                at = timestamp + i * (interval or 1)
            elif interval is not None and i > 0:
                at = self.head.header.timestamp + interval
            mined.append(self.mine_block(timestamp=at))
        return mined

    def _env(self, parent: Header, timestamp: int, base_fee: int) -> engine.BlockEnv:
        number = parent.number + 1
        return engine.BlockEnv(
            number=number,
            timestamp=timestamp,
            coinbase=self.config.coinbase,
            gas_limit=self.config.gas_limit,
            base_fee=base_fee,
            prev_randao=Hash32(keccak(parent.mix_hash + rlp_int(number))),
            chain_id=self.config.chain_id,
            ancestor_hashes=lambda: self._ancestor_hashes(number),
        )

    def _ancestor_hashes(self, number: int) -> Iterator[Hash32]:
        for n in range(number - 1, max(-1, number - 257), -1):
            yield self.blocks[n].hash

    def mine_block(
        self, max_transactions: int | None = None, timestamp: int | None = None
    ) -> Block:
        """Build, execute and append one block from the pool's executable transactions."""
        parent = self.head.header
        if timestamp is None:
            timestamp = self.config.clock.next_timestamp(parent.timestamp)
        elif timestamp <= parent.timestamp:
            raise InvalidTxArgs(
                f"timestamp {timestamp} is not after the parent block's {parent.timestamp}"
            )
        base_fee = next_base_fee(parent)
        env = self._env(parent, timestamp, base_fee)
        journal = JournalAccounts(self.state.reader())
        self._system_writes(journal, env, parent)
        included: list[Tx] = []
        receipts: list[Receipt] = []
        gas_used = 0
        bloom = 0
        log_index = 0
        while max_transactions is None or len(included) < max_transactions:
            tx = self._next_executable(journal, env, self.config.gas_limit - gas_used)
            if tx is None:
                break
            self.pool.remove(tx)
            outcome = engine.apply_transaction(journal, env, tx)
            gas_used += outcome.gas_used
            tx_bloom = logs_bloom(outcome.logs)
            bloom |= tx_bloom
            receipts.append(
                Receipt(
                    tx_type=tx.type,
                    success=outcome.success,
                    gas_used=outcome.gas_used,
                    cumulative_gas_used=gas_used,
                    logs=outcome.logs,
                    bloom=bloom_bytes(tx_bloom),
                    contract_address=_create_address(tx) if tx.to is None else None,
                    effective_gas_price=tx.effective_gas_price(base_fee),
                    first_log_index=log_index,
                )
            )
            log_index += len(outcome.logs)
            included.append(tx)
        state_root = Hash32(self.state.commit_block(journal.diff()))
        header = Header(
            parent_hash=self.head.hash,
            ommers_hash=Hash32(EMPTY_LIST_HASH),
            coinbase=self.config.coinbase,
            state_root=state_root,
            transactions_root=_ordered_root([tx.raw for tx in included]),
            receipts_root=_ordered_root([r.encode() for r in receipts]),
            logs_bloom=bloom_bytes(bloom),
            difficulty=0,
            number=env.number,
            gas_limit=self.config.gas_limit,
            gas_used=gas_used,
            timestamp=timestamp,
            extra_data=b"",
            mix_hash=env.prev_randao,
            nonce=bytes(8),
            base_fee_per_gas=base_fee,
            withdrawals_root=Hash32(BLANK_ROOT),
            blob_gas_used=0,
            excess_blob_gas=0,
            parent_beacon_block_root=ZERO_HASH,
            requests_hash=EMPTY_REQUESTS_HASH,
        )
        encoded = header.encode()
        size = len(encoded) + sum(len(tx.raw) for tx in included) + 8
        block = Block(header, Hash32(keccak(encoded)), tuple(included), tuple(receipts), size)
        self._append(block)
        for listener in list(self.block_listeners):
            listener(block, False)
        return block

    def _system_writes(
        self, journal: JournalAccounts, env: engine.BlockEnv, parent: Header
    ) -> None:
        """EIP-4788 beacon root and EIP-2935 parent hash, written before any transaction."""
        (beacon, _), (history, _) = engine.system_contracts()
        slot = env.timestamp % engine.BEACON_ROOTS_BUFFER
        journal.set_storage(beacon, slot, env.timestamp)
        journal.set_storage(beacon, slot + engine.BEACON_ROOTS_BUFFER, 0)
        journal.set_storage(
            history,
            parent.number % engine.HISTORY_SERVE_WINDOW,
            int.from_bytes(self.head.hash, "big"),
        )
        journal.lock_changes()

    def _next_executable(
        self, journal: JournalAccounts, env: engine.BlockEnv, gas_left: int
    ) -> Tx | None:
        nonces = {sender: journal.get_nonce(sender) for sender in self.pool.senders()}
        for tx in self.pool.executable(nonces):
            if tx.gas > gas_left or tx.max_fee_per_gas < env.base_fee:
                continue
            if journal.get_balance(tx.sender) < tx.gas * tx.max_fee_per_gas + tx.value:
                self.pool.remove(tx)  # can no longer pay: geth drops it too
                continue
            return tx
        return None

    # -- calls --------------------------------------------------------------------

    def _call_request(
        self, args: TxArgs, block: Block, gas_cap: int | None = None
    ) -> tuple[engine.CallRequest, engine.BlockEnv]:
        header = block.header
        fees_given = (
            args.gas_price is not None
            or args.max_fee_per_gas is not None
            or args.max_priority_fee_per_gas is not None
        )
        if args.gas_price is not None:
            max_fee = tip = args.gas_price
        else:
            max_fee = args.max_fee_per_gas or 0
            tip = args.max_priority_fee_per_gas or 0
            if fees_given and args.max_fee_per_gas is None:
                max_fee = header.base_fee_per_gas + tip
        # geth zeroes the base fee when a call names no fee at all (NoBaseFee).
        base_fee = header.base_fee_per_gas if fees_given else 0
        gas = args.gas if args.gas is not None else header.gas_limit
        if gas_cap is not None:
            gas = min(gas, gas_cap)
        env = engine.BlockEnv(
            number=header.number,
            timestamp=header.timestamp,
            coinbase=header.coinbase,
            gas_limit=header.gas_limit,
            base_fee=base_fee,
            prev_randao=header.mix_hash,
            chain_id=self.config.chain_id,
            ancestor_hashes=lambda: self._ancestor_hashes(header.number),
        )
        call = engine.CallRequest(
            sender=args.sender or ZERO_ADDRESS,
            to=args.to,
            gas=gas,
            value=args.value or 0,
            data=args.data or b"",
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=tip,
            access_list=args.access_list or (),
        )
        return call, env

    def _run_call(
        self, call: engine.CallRequest, env: engine.BlockEnv, reader: StateReader
    ) -> engine.Outcome:
        journal = JournalAccounts(reader)
        cost = call.gas * call.max_fee_per_gas + call.value
        balance = journal.get_balance(call.sender)
        if cost > balance:
            raise ExecutionFailed(
                f"insufficient funds for gas * price + value: address {_checksum(call.sender)} "
                f"have {balance} want {cost}"
            )
        if call.max_fee_per_gas and call.max_fee_per_gas < env.base_fee:
            raise ExecutionFailed(
                f"max fee per gas less than block base fee: address {_checksum(call.sender)}, "
                f"maxFeePerGas: {call.max_fee_per_gas}, baseFee: {env.base_fee}"
            )
        return engine.apply_call(journal, env, call)

    def call(self, args: TxArgs, ref: BlockRef) -> bytes:
        """eth_call: execute without committing; raise ExecutionFailed as geth reports it."""
        block = self.resolve(ref)
        call, env = self._call_request(args, block)
        outcome = self._run_call(call, env, self.state.reader(block.number))
        if outcome.success:
            return outcome.output
        raise _failure(outcome)

    def estimate_gas(self, args: TxArgs, ref: BlockRef) -> int:
        """eth_estimateGas, with geth's search: optimistic guess, then binary search."""
        block = self.resolve(ref)
        reader = self.state.reader(block.number)
        call, env = self._call_request(args, block)
        hi = call.gas
        if call.max_fee_per_gas:
            balance = reader.account(call.sender)
            available = (balance.balance if balance else 0) - call.value
            if available < 0:
                raise ExecutionFailed("insufficient funds for transfer")
            hi = min(hi, available // call.max_fee_per_gas)
        if call.to is not None and not call.data:
            target = reader.account(call.to)
            if target is None or target.code_hash == keccak(b""):
                if hi < 21000:
                    raise ExecutionFailed(f"gas required exceeds allowance ({hi})")
                outcome = self._run_call(_with_gas(call, 21000), env, reader)
                if outcome.success:
                    return 21000
        outcome = self._run_call(_with_gas(call, hi), env, reader)
        if not outcome.success:
            if outcome.reverted:
                raise _failure(outcome)
            if outcome.error == "out of gas" or outcome.error == "intrinsic gas too low":
                raise ExecutionFailed(f"gas required exceeds allowance ({hi})")
            raise _failure(outcome)
        lo = outcome.gas_used - 1
        optimistic = (outcome.gas_used + 2300) * 64 // 63
        if optimistic < hi:
            trial = self._run_call(_with_gas(call, optimistic), env, reader)
            if trial.success:
                hi = optimistic
            else:
                lo = optimistic
        while lo + 1 < hi:
            if (hi - lo) / hi < 0.015:
                break
            mid = (hi + lo) // 2
            if mid > lo * 2:
                mid = lo * 2
            if self._run_call(_with_gas(call, mid), env, reader).success:
                hi = mid
            else:
                lo = mid
        return hi

    # -- snapshots ----------------------------------------------------------------

    def snapshot(self) -> int:
        """Remember the whole chain as it is now; reverting keeps the snapshot usable."""
        snap_id = self._next_snapshot
        self._next_snapshot += 1
        head = self.head
        self._snapshots[snap_id] = _Snapshot(
            head.number, head.hash, self.pool.copy(), self.automine
        )
        return snap_id

    def revert(self, snap_id: int) -> bool:
        snap = self._snapshots.get(snap_id)
        if snap is None:
            return False
        block = self.block_by_number(snap.number)
        if block is None or block.hash != snap.block_hash:
            del self._snapshots[snap_id]
            return False
        self._truncate(snap.number)
        self.pool = snap.pool.copy()
        self.automine = snap.automine
        for other, kept in list(self._snapshots.items()):
            if kept.number > snap.number:
                del self._snapshots[other]
        return True

    def _truncate(self, number: int) -> None:
        while len(self.blocks) > number + 1:
            block = self.blocks.pop()
            del self._by_hash[block.hash]
            for tx in block.transactions:
                self._tx_index.pop(tx.hash, None)
        self.state.revert_to(number)


def _with_gas(call: engine.CallRequest, gas: int) -> engine.CallRequest:
    return engine.CallRequest(
        call.sender,
        call.to,
        gas,
        call.value,
        call.data,
        call.max_fee_per_gas,
        call.max_priority_fee_per_gas,
        call.access_list,
    )


def _failure(outcome: engine.Outcome) -> ExecutionFailed:
    if outcome.reverted:
        return ExecutionFailed(
            revert_message(outcome.output), revert_data=outcome.output, reverted=True
        )
    return ExecutionFailed(outcome.error or "execution failed")


def _create_address(tx: Tx) -> Address:
    from mocknode.chain.hashing import rlp_bytes, rlp_list

    return Address(keccak(rlp_list((rlp_bytes(tx.sender), rlp_int(tx.nonce))))[12:])


def _checksum(address: Address) -> str:
    hex_address = address.hex()
    digest = keccak(hex_address.encode()).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c
        for i, c in enumerate(hex_address)
    )


def _decode_error_text(raw: bytes, exc: Exception) -> str:
    if not raw:
        return "typed transaction too short"
    if raw[0] < 0x7F and raw[0] not in (1, 2, 4):
        return "transaction type not supported"
    return f"rlp: {exc}"
