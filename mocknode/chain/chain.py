"""The chain state machine's front: genesis, lookups, submission, mining, listeners.

Synchronous and single-threaded by design: the node calls it from trio tasks, so
each call runs to completion between checkpoints and needs no locks.

:class:`Chain` owns the blocks, the state, the pool and the listeners, resolves what a
request names (a block, a state) and commits what the helpers produce. The work is
theirs, each with explicit inputs so that nothing below imports this module:
:mod:`~mocknode.chain.block.mining` builds a block from a state, a pool, a parent and
an environment; :mod:`~mocknode.chain.evm.calls` runs calls on a state reader;
:mod:`~mocknode.chain.tx.validation` checks a transaction against a state and the
next base fee; :mod:`~mocknode.chain.fees` and :mod:`~mocknode.chain.snapshots` hold the
fee rules and the snapshot bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from mocknode.chain import fees
from mocknode.chain.args import TxArgs, UnsignedAuthorization
from mocknode.chain.block.genesis import genesis_block
from mocknode.chain.clock import TimeTravel
from mocknode.chain.config import ChainConfig
from mocknode.chain.errors import (
    BlockNotFound,
    InvalidTxArgs,
    TxRejected,
    UnknownAccount,
)
from mocknode.chain.logs.index import LogIndex
from mocknode.chain.primitives.hashing import keccak
from mocknode.chain.records import Authorization, Block, Tx, TxLocation
from mocknode.chain.snapshots import (
    Snapshot,
    SnapshotHook,
    Snapshots,
    capture_hooks,
    restore_hooks,
)
from mocknode.chain.state.world import EMPTY_ACCOUNT, Account, BlockDiff, StateReader, WorldState
from mocknode.chain.tx.keys import DevAccount, derive_accounts
from mocknode.chain.tx.pool import Pool
from mocknode.types import ZERO_ADDRESS, ZERO_HASH, Address, BlockRef, Hash32

if TYPE_CHECKING:
    from mocknode.chain.block.pending import PendingBlock
    from mocknode.chain.evm.engine import BlockEnv
    from mocknode.chain.state.proofs import AccountProof

# Transaction decoding, validation, execution (mining, calls) and proofs are imported
# on first use, or by warm_up() from the node's thread right after it starts
# listening: none is needed to build genesis and answer reads, and together (py-evm
# above all) they are a noticeable part of start-up.


def warm_up() -> None:
    """Import py-evm and the modules this one loads on first use, now: the node runs
    this in a worker thread once it listens, so no request waits for them later."""
    from mocknode.chain.block import mining  # noqa: F401
    from mocknode.chain.evm import calls, engine  # noqa: F401
    from mocknode.chain.state import proofs  # noqa: F401
    from mocknode.chain.tx import codec, validation  # noqa: F401

    engine.load_evm()


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
        self._snapshots = Snapshots()
        self._call_env: tuple[Block, BlockEnv] | None = None
        self._pending: tuple[tuple[object, ...], PendingBlock] | None = None
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
        config = self.config
        alloc = [(dev.address, config.balance) for dev in self.accounts]
        alloc += config.extra_alloc
        block = genesis_block(
            self.state,
            alloc,
            coinbase=config.coinbase,
            gas_limit=config.gas_limit,
            base_fee=config.base_fee,
            timestamp=config.clock.genesis_timestamp(),
        )
        self._append(block)

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
        if ref.tag == "pending":
            return self.pending().block
        return self.blocks[-1]

    def state_at(self, block: Block) -> StateReader:
        """State as of ``block``; for the head, including edits made since it was mined;
        for the pending block (number head + 1), the state it ends on."""
        if block.number == len(self.blocks) - 1:
            return self.state.reader()
        if block.number == len(self.blocks):
            return self.pending().reader
        return self.state.reader(self._block_commits[block.number])

    def reader(self, ref: BlockRef) -> StateReader:
        return self.state_at(self.resolve(ref))

    def balance(self, address: Address, ref: BlockRef) -> int:
        account = self.reader(ref).account(address)
        return account.balance if account else 0

    def nonce(self, address: Address, ref: BlockRef) -> int:
        if ref.tag == "pending":
            # geth asks the pool (GetPoolNonce), not the pending block: no block is built.
            account = self.state.reader().account(address)
            return self.pool.pending_nonce(address, account.nonce if account else 0)
        account = self.reader(ref).account(address)
        return account.nonce if account else 0

    def code(self, address: Address, ref: BlockRef) -> bytes:
        reader = self.reader(ref)
        account = reader.account(address)
        return reader.code(account.code_hash) if account else b""

    def storage(self, address: Address, slot: int, ref: BlockRef) -> int:
        return self.reader(ref).storage(address, slot)

    def proof(self, address: Address, slots: list[int], ref: BlockRef) -> AccountProof:
        """eth_getProof: account and storage proofs against the block's state root."""
        block = self.resolve(ref)
        from mocknode.chain.state.proofs import prove

        if block.number == len(self.blocks):
            # The pending state is in the tries only while it is committed: prove, take back.
            head = self.state.head
            self.state.commit(self.pending().diff)
            try:
                return prove(self.state, self.state.reader(), self.state.head, address, slots)
            finally:
                self.state.revert_to(head)
        commit = (
            self.state.head
            if block.number == len(self.blocks) - 1
            else self._block_commits[block.number]
        )
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
        return fees.next_base_fee(self.head.header)

    def gas_price(self) -> int:
        """eth_gasPrice: the suggested tip plus the head's base fee (geth's rule)."""
        return fees.gas_price(self.head.header.base_fee_per_gas, self.config.priority_fee)

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
        return self._submit(self._fill_and_sign(args, sender, lambda: key))

    def _fill_and_sign(self, args: TxArgs, sender: Address, key_of: Callable[[], bytes]) -> Tx:
        """geth's setDefaults, then the signature: fees, nonce and gas where absent,
        EIP-7702 authorizations given unsigned signed by the sender. ``key_of`` gives the
        sender's key when it is first needed (eth_signTransaction looks it up only after
        the defaults, as geth does)."""
        if args.chain_id is not None and args.chain_id != self.config.chain_id:
            raise InvalidTxArgs(
                f"chainId does not match node's (have={args.chain_id}, want={self.config.chain_id})"
            )
        fee = fees.fee_defaults(
            args,
            base_fee=self.head.header.base_fee_per_gas,
            priority_fee=self.config.priority_fee,
        )
        nonce = args.nonce
        if nonce is None:
            nonce = self.nonce(sender, BlockRef(tag="pending"))
        tx_type = fee.tx_type
        auths: tuple[Authorization, ...] = ()
        if args.authorization_list is not None:
            # geth: an authorization list (even empty) makes a set-code transaction.
            tx_type = 4
            auths = self._authorizations(args.authorization_list, sender, key_of, nonce)
            args = replace(args, authorization_list=auths)
        gas = args.gas
        if gas is None:
            gas = self.estimate_gas(args, BlockRef(tag="latest"))
        from mocknode.chain.tx import codec as txcodec

        return txcodec.sign(
            private_key=key_of(),
            sender=sender,
            chain_id=self.config.chain_id,
            tx_type=tx_type,
            nonce=nonce,
            gas=gas,
            to=args.to,
            value=args.value or 0,
            data=args.data or b"",
            gas_price=fee.gas_price,
            max_fee_per_gas=fee.max_fee_per_gas,
            max_priority_fee_per_gas=fee.max_priority_fee_per_gas,
            access_list=args.access_list or (),
            authorization_list=auths,
        )

    def _authorizations(
        self,
        given: tuple[Authorization | UnsignedAuthorization, ...],
        sender: Address,
        key_of: Callable[[], bytes],
        tx_nonce: int,
    ) -> tuple[Authorization, ...]:
        """Signed authorizations as given; unsigned ones signed by the sender, by default
        for this chain and for the nonce its account has once the transaction's own
        nonce is spent (the authority of a self-sponsored delegation)."""
        from mocknode.chain.tx.authorizations import sign_authorization

        out = []
        for auth in given:
            if isinstance(auth, UnsignedAuthorization):
                auth = sign_authorization(
                    key_of(),
                    chain_id=self.config.chain_id if auth.chain_id is None else auth.chain_id,
                    address=auth.address,
                    nonce=tx_nonce + 1 if auth.nonce is None else auth.nonce,
                )
            out.append(auth)
        return tuple(out)

    def sign_transaction(self, args: TxArgs) -> Tx:
        """eth_signTransaction: geth's SignTransaction. Gas, fees and nonce must be
        given (geth's texts, in geth's order); the rest is filled as for a send, and the
        signed transaction is returned, not submitted. A missing ``from`` is the zero
        address, which no key signs."""
        if args.gas is None:
            raise InvalidTxArgs("gas not specified")
        if args.gas_price is None and (
            args.max_priority_fee_per_gas is None or args.max_fee_per_gas is None
        ):
            raise InvalidTxArgs("missing gasPrice or maxFeePerGas/maxPriorityFeePerGas")
        if args.nonce is None:
            raise InvalidTxArgs("nonce not specified")
        sender = args.sender or ZERO_ADDRESS
        return self._fill_and_sign(args, sender, partial(self.key_of, sender))

    # -- signing --------------------------------------------------------------------

    def key_of(self, address: Address) -> bytes:
        """The private key of a dev account; UnknownAccount (geth's text) for any other."""
        key = self._keys.get(address)
        if key is None:
            raise UnknownAccount("unknown account")
        return key

    def sign_digest(self, address: Address, digest: bytes) -> bytes:
        """``r || s || v`` (v 27/28) over ``digest`` with the key of ``address``."""
        from mocknode.chain.tx.messages import sign_digest

        return sign_digest(self.key_of(address), digest)

    def _submit(self, tx: Tx) -> Hash32:
        # geth's pool knows only pooled hashes: a mined one fails the nonce check instead.
        if self.pool.get(tx.hash) is not None:
            raise TxRejected("already known")
        from mocknode.chain.tx import validation

        head = self.head.header
        validation.validate_for_pool(
            tx,
            reader=self.state.reader(),
            base_fee=fees.next_base_fee(head),
            chain_id=self.config.chain_id,
            gas_limit=head.gas_limit,
        )
        validation.validate_replacement(self.pool.existing(tx.sender, tx.nonce), tx)
        self.pool.add(tx)
        for listener in list(self.pending_listeners):
            listener(tx)
        if self.automine:
            self._automine()
        return tx.hash

    # -- the pending block ------------------------------------------------------------

    def pending(self) -> PendingBlock:
        """geth's pending block: the pool's executable transactions on the head, never
        appended (:mod:`mocknode.chain.block.pending`). Built on first use and kept until
        the head, the state, the pool or the next block's timestamp changes, so the
        requests of one moment share one build; reads that need no block (the pending
        nonce) never build it."""
        parent = self.head
        after = parent.header.timestamp
        stamp = self.time.peek_next_timestamp()
        if stamp is None or stamp <= after:
            stamp = self.time.next_timestamp(after)
        key = (parent.hash, self.state.head, self.pool, self.pool.changes, stamp)
        cached = self._pending
        if cached is not None and cached[0] == key:
            return cached[1]
        from mocknode.chain.block import mining
        from mocknode.chain.block.pending import build_pending

        env = mining.block_env(
            parent,
            stamp,
            coinbase=self.config.coinbase,
            gas_limit=self.config.gas_limit,
            chain_id=self.config.chain_id,
            ancestor_hashes=partial(self.ancestor_hashes, parent.number + 1),
        )
        # geth's miner builds the pending block with no randomness (mixHash zero).
        built = build_pending(self.state, self.pool, parent, replace(env, prev_randao=ZERO_HASH))
        self._pending = (key, built)
        return built

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
        from mocknode.chain.block import mining

        parent = self.head
        after = parent.header.timestamp
        explicit = timestamp if timestamp is not None else self.time.take_next_timestamp()
        if explicit is None:
            stamp = self.time.next_timestamp(after)
        elif explicit <= after:
            raise InvalidTxArgs(f"timestamp {explicit} is not after the parent block's {after}")
        else:
            stamp = explicit
            self.time.rebase(explicit)
        env = mining.block_env(
            parent,
            stamp,
            coinbase=self.config.coinbase,
            gas_limit=self.config.gas_limit,
            chain_id=self.config.chain_id,
            ancestor_hashes=partial(self.ancestor_hashes, parent.number + 1),
        )
        block = mining.build_block(
            self.state, self.pool, parent, env, max_transactions=max_transactions
        )
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

        block = self.resolve(ref)
        return calls.call(self.state_at(block), self.call_env(block), args)

    def estimate_gas(self, args: TxArgs, ref: BlockRef) -> int:
        from mocknode.chain.evm import calls

        block = self.resolve(ref)
        return calls.estimate_gas(self.state_at(block), self.call_env(block), args)

    def call_env(self, block: Block) -> BlockEnv:
        """The environment a call on top of ``block`` runs in (the last one is kept:
        calls mostly hit the same block, and this runs on every eth_call)."""
        cached = self._call_env
        if cached is not None and cached[0] is block:
            return cached[1]
        from mocknode.chain.evm import calls

        env = calls.call_env(
            block.header,
            chain_id=self.config.chain_id,
            ancestor_hashes=partial(self.ancestor_hashes, block.number),
        )
        self._call_env = (block, env)
        return env

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
        head = self.head
        snapshot = Snapshot(
            number=head.number,
            block_hash=head.hash,
            commit=self.state.head,
            pool=self.pool.copy(),
            automine=self.automine,
            interval=self.interval,
            time=self.time.capture(),
            hooks=capture_hooks(self.snapshot_hooks),
        )
        return self._snapshots.add(snapshot, name)

    def revert(self, target: int | str) -> bool:
        """Go back to a snapshot (by id or name); it and earlier snapshots stay usable."""
        snap = self._snapshots.reachable(target, blocks=self.blocks, state_head=self.state.head)
        if snap is None:
            return False
        self._truncate(snap.number)
        self.state.revert_to(snap.commit)
        self.pool = snap.pool.copy()
        self.automine = snap.automine
        self.interval = snap.interval
        self.time.restore(snap.time)
        restore_hooks(self.snapshot_hooks, snap.hooks)
        self._snapshots.reverted_to(snap)
        self._mining_changed()
        return True

    def _truncate(self, number: int) -> None:
        """Drop the blocks after ``number`` (the caller reverts the state: a snapshot's
        commit may be later than its block's, after dev edits)."""
        self.log_index.truncate(number)
        while len(self.blocks) > number + 1:
            block = self.blocks.pop()
            self._block_commits.pop()
            del self._by_hash[block.hash]
            for tx in block.transactions:
                self._tx_index.pop(tx.hash, None)
