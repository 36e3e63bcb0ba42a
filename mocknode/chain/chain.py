"""The chain state machine: genesis, pool, mining, lookups, snapshots.

Synchronous and single-threaded by design: the node calls it from trio tasks, so
each call runs to completion between checkpoints and needs no locks. Mining builds a
block on a :class:`JournalAccounts` over the head state and commits only when the
whole block is built, so a failure half-way leaves the chain exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from mocknode.chain.block import mining, system
from mocknode.chain.clock import Clock, TimeTravel, WallClock
from mocknode.chain.errors import (
    BlockNotFound,
    InvalidTxArgs,
    TxRejected,
    UnknownAccount,
)
from mocknode.chain.logs.index import LogIndex
from mocknode.chain.primitives.hashing import BLANK_ROOT, EMPTY_LIST_HASH, keccak
from mocknode.chain.records import Block, Header, Receipt, Tx
from mocknode.chain.state.world import EMPTY_ACCOUNT, Account, BlockDiff, StateReader, WorldState
from mocknode.chain.tx.keys import DEFAULT_MNEMONIC, DevAccount, derive_accounts
from mocknode.chain.tx.pool import PRICE_BUMP_PERCENT, Pool
from mocknode.types import ZERO_ADDRESS, ZERO_HASH, Address, BlockRef, Hash32

if TYPE_CHECKING:
    from mocknode.chain.state.proofs import AccountProof

# Transaction decoding, validation, execution and proofs are imported on first use (and
# by the node's warm-up thread right after it starts listening): none is needed to build
# genesis and answer reads, and together they are a noticeable part of start-up.

GWEI = 10**9
ETHER = 10**18


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
    access_list: tuple[tuple[Address, tuple[Hash32, ...]], ...] | None = None
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


class SnapshotHook(Protocol):
    """Something outside the chain whose state a snapshot must also take (filters)."""

    def capture(self) -> object: ...

    def restore(self, token: object) -> None: ...


@dataclass(frozen=True, slots=True)
class _Snapshot:
    number: int
    block_hash: Hash32
    commit: int
    pool: Pool
    automine: bool
    interval: float | None
    time: object
    hooks: tuple[object, ...]


class Chain:
    def __init__(self, config: ChainConfig | None = None) -> None:
        self.config = config = config or ChainConfig()
        self.accounts: tuple[DevAccount, ...] = derive_accounts(config.mnemonic, config.accounts)
        self._keys = {a.address: a.private_key for a in self.accounts}
        self.automine = config.automine
        self.interval: float | None = None
        self.time = TimeTravel(config.clock)
        self.state = WorldState()
        self.pool = Pool()
        self.blocks: list[Block] = []
        self._by_hash: dict[Hash32, Block] = {}
        self._tx_index: dict[Hash32, tuple[int, int]] = {}
        self._snapshots: dict[int, _Snapshot] = {}
        self._next_snapshot = 0
        self._snapshot_names: dict[str, int] = {}
        # Called with (block, removed) for each block added to or taken off the chain,
        # and with each transaction accepted into the pool.
        self.block_listeners: list[Callable[[Block, bool], None]] = []
        self.pending_listeners: list[Callable[[Tx], None]] = []
        # Called when automine or interval mining changes (the node's miner task wakes).
        self.mining_listeners: list[Callable[[], None]] = []
        self.snapshot_hooks: list[SnapshotHook] = []
        self._block_commits: list[int] = []  # the state commit each block ended on
        self.log_index = LogIndex()
        self._genesis()

    # -- genesis ----------------------------------------------------------------

    def _genesis(self) -> None:
        accounts: dict[Address, Account | None] = {}
        codes: dict[bytes, bytes] = {}
        for address, code in system.PREDEPLOYS:
            code_hash = keccak(code)
            codes[code_hash] = code
            accounts[address] = Account(1, 0, code_hash)
        for dev in self.accounts:
            accounts[dev.address] = Account(0, self.config.balance, keccak(b""))
        for address, balance in self.config.extra_alloc:
            accounts[address] = Account(0, balance, keccak(b""))
        state_root = Hash32(self.state.commit(BlockDiff(accounts, {}, codes)))
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
            requests_hash=mining.EMPTY_REQUESTS_HASH,
        )
        self._append(mining.make_block(header, (), ()))

    def _append(self, block: Block) -> None:
        self.log_index.add(block)
        self.blocks.append(block)
        self._block_commits.append(self.state.head)
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

    def state_at(self, block: Block) -> StateReader:
        """State as of ``block``; for the head, including edits made since it was mined."""
        if block.number == len(self.blocks) - 1:
            return self.state.reader()
        return self.state.reader(self._block_commits[block.number])

    def reader(self, ref: BlockRef) -> StateReader:
        return self.state_at(self.resolve(ref))

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

    def proof(self, address: Address, slots: list[int], ref: BlockRef) -> AccountProof:
        """eth_getProof: account and storage proofs against the block's state root."""
        block = self.resolve(ref)
        commit = (
            self.state.head
            if block.number == len(self.blocks) - 1
            else self._block_commits[block.number]
        )
        from mocknode.chain.state.proofs import prove

        return prove(self.state, self.state_at(block), commit, address, slots)

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
        return mining.next_base_fee(self.head.header)

    def gas_price(self) -> int:
        """eth_gasPrice: the suggested tip plus the head's base fee (geth's rule)."""
        return self.config.priority_fee + self.head.header.base_fee_per_gas

    # -- submitting -----------------------------------------------------------------

    def send_raw_transaction(self, raw: bytes) -> Hash32:
        from mocknode.chain.tx import codec as txcodec

        try:
            tx = txcodec.decode(raw)
        except txcodec.TxDecodeError as exc:
            raise TxRejected(str(exc)) from None
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
        from mocknode.chain.tx import codec as txcodec

        tx = txcodec.sign(
            private_key=key,
            sender=sender,
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
            access_list=args.access_list or (),
        )
        return self._submit(tx)

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
        # geth's pool knows only pooled hashes: a mined one fails the nonce check instead.
        if self.pool.get(tx.hash) is not None:
            raise TxRejected("already known")
        from mocknode.chain.tx.validation import validate_for_pool

        validate_for_pool(self, tx)
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

    def ancestor_hashes(self, number: int) -> Iterator[Hash32]:
        for n in range(number - 1, max(-1, number - 257), -1):
            yield self.blocks[n].hash

    def mine_block(
        self, max_transactions: int | None = None, timestamp: int | None = None
    ) -> Block:
        """Build, execute and append one block from the pool's executable transactions."""
        parent = self.head.header
        explicit = timestamp if timestamp is not None else self.time.take_next_timestamp()
        if explicit is None:
            stamp = self.time.next_timestamp(parent.timestamp)
        elif explicit <= parent.timestamp:
            raise InvalidTxArgs(
                f"timestamp {explicit} is not after the parent block's {parent.timestamp}"
            )
        else:
            stamp = explicit
            self.time.rebase(explicit)
        block = mining.build_block(self, stamp, max_transactions)
        self.time.block_mined()
        self._append(block)
        for listener in list(self.block_listeners):
            listener(block, False)
        return block

    def set_next_timestamp(self, timestamp: int) -> None:
        """The next block gets exactly ``timestamp``; later ones continue from it."""
        if timestamp <= self.head.header.timestamp:
            raise InvalidTxArgs(
                f"timestamp {timestamp} is not after the latest block's "
                f"{self.head.header.timestamp}"
            )
        self.time.set_next_timestamp(timestamp)

    def set_automine(self, enabled: bool) -> None:
        self.automine = enabled
        self._mining_changed()
        if enabled:
            self._automine()

    def set_interval(self, seconds: float | None) -> None:
        """Mine a block every ``seconds`` (the node's miner task does it); None stops."""
        self.interval = seconds if seconds else None
        self._mining_changed()

    def _mining_changed(self) -> None:
        for listener in list(self.mining_listeners):
            listener()

    # -- calls --------------------------------------------------------------------

    def call(self, args: TxArgs, ref: BlockRef) -> bytes:
        from mocknode.chain.evm import calls

        return calls.call(self, args, ref)

    def estimate_gas(self, args: TxArgs, ref: BlockRef) -> int:
        from mocknode.chain.evm import calls

        return calls.estimate_gas(self, args, ref)

    # -- dev edits ------------------------------------------------------------------

    def _account(self, address: Address) -> Account:
        return self.state.reader().account(address) or EMPTY_ACCOUNT

    def _edit(self, address: Address, account: Account) -> None:
        """Change an account between blocks (a state commit with no block)."""
        self.state.commit(BlockDiff({address: account}, {}, {}))

    def set_balance(self, address: Address, balance: int) -> None:
        self._edit(address, self._account(address)._replace(balance=balance))

    def set_nonce(self, address: Address, nonce: int) -> None:
        self._edit(address, self._account(address)._replace(nonce=nonce))

    def set_code(self, address: Address, code: bytes) -> None:
        code_hash = keccak(code)
        current = self.state.reader().account(address) or EMPTY_ACCOUNT
        self.state.commit(
            BlockDiff({address: current._replace(code_hash=code_hash)}, {}, {code_hash: code})
        )

    def set_storage(self, address: Address, slot: int, value: int) -> None:
        current = self.state.reader().account(address)
        accounts: dict[Address, Account | None] = {}
        if current is None:
            accounts[address] = EMPTY_ACCOUNT
        self.state.commit(BlockDiff(accounts, {address: {slot: value}}, {}))

    # -- snapshots ----------------------------------------------------------------

    def snapshot(self, name: str | None = None) -> int:
        """Remember the whole chain as it is now; reverting keeps the snapshot usable.

        What is remembered: blocks, state (dev edits included), the pool, mining mode,
        time travel, and whatever registered a snapshot hook (the node's filters).
        ``name`` makes it reachable by that name too (``revert("clean")``).
        """
        snap_id = self._next_snapshot
        self._next_snapshot += 1
        if name is not None:
            self._snapshot_names[name] = snap_id
        head = self.head
        self._snapshots[snap_id] = _Snapshot(
            number=head.number,
            block_hash=head.hash,
            commit=self.state.head,
            pool=self.pool.copy(),
            automine=self.automine,
            interval=self.interval,
            time=self.time.capture(),
            hooks=tuple(hook.capture() for hook in self.snapshot_hooks),
        )
        return snap_id

    def revert(self, target: int | str) -> bool:
        """Go back to a snapshot (by id or name); it and earlier snapshots stay usable."""
        snap_id = self._snapshot_names.get(target, -1) if isinstance(target, str) else target
        snap = self._snapshots.get(snap_id)
        if snap is None:
            return False
        block = self.block_by_number(snap.number)
        if block is None or block.hash != snap.block_hash or self.state.head < snap.commit:
            del self._snapshots[snap_id]
            return False
        self._truncate(snap.number)
        self.state.revert_to(snap.commit)
        self.pool = snap.pool.copy()
        self.automine = snap.automine
        self.interval = snap.interval
        self.time.restore(snap.time)
        for hook, token in zip(self.snapshot_hooks, snap.hooks, strict=False):
            hook.restore(token)
        # Live snapshots, in creation order, have non-decreasing commits: the ones taken
        # after this state are at the end, so dropping them costs what they number.
        while self._snapshots:
            last_id = next(reversed(self._snapshots))
            if self._snapshots[last_id].commit <= snap.commit:
                break
            del self._snapshots[last_id]
        if self._snapshot_names:
            for name, other in list(self._snapshot_names.items()):
                if other not in self._snapshots:
                    del self._snapshot_names[name]
        self._mining_changed()
        return True

    def _truncate(self, number: int) -> None:
        self.log_index.truncate(number)
        while len(self.blocks) > number + 1:
            block = self.blocks.pop()
            self._block_commits.pop()
            del self._by_hash[block.hash]
            for tx in block.transactions:
                self._tx_index.pop(tx.hash, None)
        self.state.revert_to(self._block_commits[-1])
