"""The chain state machine's front: genesis, lookups, submission, mining, listeners.

Synchronous and single-threaded by design: the node calls it from trio tasks, so
each call runs to completion between checkpoints and needs no locks. The one exception
is execution that never commits (eth_call and kin), which the node may run in a worker
thread on the state of one commit while nothing takes commits away
(:mod:`mocknode.offload` says why that is safe).

:class:`Chain` owns the blocks (a :class:`~mocknode.chain.canon.Canon`), the state, the
pool and the listeners, resolves what a request names (a block, a state) and commits
what the helpers produce. The work is theirs, each with explicit inputs so that nothing
below imports this module: :mod:`~mocknode.chain.block.mining` builds a block from a
state, a transaction source, a parent and an environment;
:mod:`~mocknode.chain.evm.calls` runs calls on a state reader;
:mod:`~mocknode.chain.tx.validation` checks a transaction against a state and the next
base fee; :mod:`~mocknode.chain.branch` cuts and restores branches (reorgs, and
snapshots across them); :mod:`~mocknode.chain.reorg` arranges a new branch;
:mod:`~mocknode.chain.rebranch` carries a reorg out on the chain's parts;
:mod:`~mocknode.chain.tx_fill` fills, signs and admits transactions;
:mod:`~mocknode.chain.next_block` stamps the next block and makes its environment;
:mod:`~mocknode.chain.lookups` resolves block refs and proves state;
:mod:`~mocknode.chain.dev_edits` edits accounts between blocks;
:mod:`~mocknode.chain.fees` and :mod:`~mocknode.chain.snapshots` hold the fee rules and
the snapshot bookkeeping. The methods here that only delegate keep their names and
signatures: they are the chain's API (the RPC layer, the faults layer's chain views,
tests), and a view may override one to make it read-only.

Block listeners hear ``(block, removed)``: a mined block with ``removed=False``; a reorg
or rollback first reports each orphaned block with ``removed=True``, oldest first (the
order geth emits removed logs in), then each new block. ``revert`` is silent: it
rewinds, as anvil's ``evm_revert`` does, and reports nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from mocknode.chain import dev_edits, fees, lookups, next_block, rebranch, tx_fill
from mocknode.chain.args import TxArgs
from mocknode.chain.block.genesis import genesis_block
from mocknode.chain.canon import Canon
from mocknode.chain.clock import TimeTravel
from mocknode.chain.config import ChainConfig
from mocknode.chain.devenv import DevEnv, SettingsHook, set_clock
from mocknode.chain.errors import (
    InvalidRequest,
    InvalidTxArgs,
    TxRejected,
    UnknownAccount,
)
from mocknode.chain.logs.index import LogIndex
from mocknode.chain.mine_many import mine_each
from mocknode.chain.records import Block, Tx, TxLocation
from mocknode.chain.snapshots import (
    Snapshot,
    SnapshotHook,
    Snapshots,
    capture_hooks,
    restore_hooks,
    rewind,
)
from mocknode.chain.state.world import Account, StateReader, WorldState
from mocknode.chain.tx.keys import DevAccount, derive_accounts
from mocknode.chain.tx.pool import Hold, Pool
from mocknode.chain.tx.signers import Signers
from mocknode.types import ZERO_ADDRESS, ZERO_HASH, Address, BlockRef, Hash32
from mocknode.values import replace

if TYPE_CHECKING:
    from mocknode.chain.block.mining import TxSource
    from mocknode.chain.block.pending import PendingBlock
    from mocknode.chain.evm.calls import CallOverrides
    from mocknode.chain.evm.engine import BlockEnv
    from mocknode.chain.reorg import Reinclude, ReorgOutcome, ReorgPlan
    from mocknode.chain.state.proofs import AccountProof
    from mocknode.chain.tx.blobs import BlobSidecar

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
        self.signers = Signers(self.accounts, auto_impersonate=config.auto_impersonate)
        self.automine = config.automine
        self.interval: float | None = None
        self.time = TimeTravel(config.clock)
        self.state = WorldState()
        self.pool = Pool(fifo=config.tx_order == "fifo")
        self.canon = Canon()
        # What anvil's environment cheats set beyond the config (:mod:`.devenv`).
        self.dev_env = DevEnv()
        self.resets = 0  # anvil_reset calls so far
        # Every move that can take the chain below a snapshot (revert, reset, reorg, a
        # state file loaded): a caller that saw it unchanged since it took a snapshot
        # knows that snapshot is still reachable (the pytest plugin's deferred revert).
        self.rewinds = 0
        self._snapshots = Snapshots()
        self._call_env: tuple[Block, BlockEnv] | None = None
        self._pending: tuple[tuple[object, ...], PendingBlock] | None = None
        # Called with (block, removed) for each block added to or taken off the chain,
        # and with each transaction accepted into the pool.
        self.block_listeners: list[Callable[[Block, bool], None]] = []
        self.pending_listeners: list[Callable[[Tx], None]] = []
        # Called with each transaction sent, once it is pooled and announced and before
        # automine mines it: a policy may hold, drop or replace it there (the faults
        # layer's delayed, dropped and replaced transactions).
        self.admission_hooks: list[Callable[[Tx], None]] = []
        # Called with each block mined (not a reorg's new blocks), once every block
        # listener has heard it: a policy may change the chain there, a reorg or a
        # held transaction released, without a listener hearing blocks out of order
        # (the faults layer's block-triggered reorgs and delayed inclusion).
        self.mined_hooks: list[Callable[[Block], None]] = []
        # Called when automine or interval mining changes (the node's miner task wakes).
        self.mining_listeners: list[Callable[[], None]] = []
        # The config and the dev env are frozen values: a snapshot takes them as they are.
        self.snapshot_hooks: list[SnapshotHook] = [
            SettingsHook(lambda: (self.config, self.dev_env), self._restore_settings)
        ]
        self._genesis()
        self._at_start = (config, self.time.capture())  # what anvil_reset goes back to

    # -- genesis ----------------------------------------------------------------

    def _genesis(self) -> None:
        config = self.config
        alloc = [(dev.address, config.balance) for dev in self.accounts]
        alloc += config.extra_alloc
        genesis = config.genesis
        block = genesis_block(
            self.state,
            alloc,
            coinbase=config.coinbase,
            gas_limit=config.gas_limit,
            base_fee=config.base_fee,
            timestamp=(
                config.clock.genesis_timestamp() if genesis.timestamp is None else genesis.timestamp
            ),
            genesis_accounts=genesis.alloc,
            extra_data=genesis.extra_data,
        )
        self.canon.append(block, self.state.head)

    def replace_history(self, canon: Canon, state: WorldState, pool: Pool) -> None:
        """Become another chain: its blocks, its state with all its history, its pool
        (a state file loaded, :mod:`mocknode.persist`). Every snapshot is forgotten (they
        name blocks and commits of the chain that was); listeners hear nothing, as after
        ``evm_revert``."""
        self.canon, self.state, self.pool = canon, state, pool
        self._snapshots = Snapshots()
        self.rewinds += 1
        self._call_env = None

    # -- lookups ------------------------------------------------------------------

    def read_stamp(self) -> tuple[object, ...]:
        """A value that changes whenever anything a read of blocks, state or settings
        could see changes; the pool and the clock are not in it. Answers kept between
        requests are kept under it (:mod:`mocknode.rpc.memo`). Blocks only change at the
        head, state changes move its version, settings are replaced, never edited."""
        return (self.canon.blocks[-1], self.state.version, self.config, self.dev_env)

    @property
    def head(self) -> Block:
        return self.canon.blocks[-1]

    @property
    def blocks(self) -> list[Block]:
        return self.canon.blocks

    @property
    def log_index(self) -> LogIndex:
        return self.canon.log_index

    def block_by_number(self, number: int) -> Block | None:
        return self.canon.by_number(number)

    def block_by_hash(self, block_hash: Hash32) -> Block | None:
        return self.canon.by_hash(block_hash)

    def resolve(self, ref: BlockRef) -> Block:
        """The block ``ref`` names; raises :class:`BlockNotFound` (geth: header not found)."""
        return lookups.resolve(self.canon, ref, self.pending)

    def _commit_of(self, block: Block) -> int:
        """The state commit reads at ``block`` see: for the head, edits made since."""
        if block.number == len(self.canon.blocks) - 1:
            return self.state.head
        return self.canon.commits[block.number]

    def state_at(self, block: Block) -> StateReader:
        """State as of ``block``; for the head, including edits made since it was mined;
        for the pending block (number head + 1), the state it ends on."""
        commits = self.canon.commits
        if block.number == len(commits) - 1:
            return self.state.reader()
        if block.number == len(commits):
            return self.pending().reader
        return self.state.reader(commits[block.number])

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
        if block.number == len(self.canon.commits):
            return lookups.prove_pending(self.state, self.pending(), address, slots)
        commit = self._commit_of(block)
        return lookups.prove_at(self.state, self.state_at(block), commit, address, slots)

    def transaction(self, tx_hash: Hash32) -> TxLocation | Tx | None:
        """A mined transaction's location, a pooled transaction, or None."""
        return self.canon.locate(tx_hash) or self.pool.get(tx_hash)

    def receipt(self, tx_hash: Hash32) -> TxLocation | None:
        return self.canon.locate(tx_hash)

    def ancestor_hashes(self, number: int) -> Iterator[Hash32]:
        return self.canon.ancestor_hashes(number)

    # -- fees ---------------------------------------------------------------------

    def next_base_fee(self) -> int:
        """The next block's base fee: EIP-1559's, or what anvil_setNextBlockBaseFeePerGas set."""
        forced = self.dev_env.next_base_fee
        return fees.next_base_fee(self.head.header) if forced is None else forced

    def _base_fee_now(self) -> int:
        """The base fee fee suggestions start from: the head's (geth's rule), or the
        next block's when anvil_setNextBlockBaseFeePerGas set it (anvil's)."""
        forced = self.dev_env.next_base_fee
        return self.head.header.base_fee_per_gas if forced is None else forced

    def gas_price(self) -> int:
        """eth_gasPrice: the suggested tip plus the head's base fee (geth's rule), or the
        configured gas price (anvil's --gas-price)."""
        if self.config.gas_price is not None:
            return self.config.gas_price
        return fees.gas_price(self._base_fee_now(), self.config.priority_fee)

    # -- submitting -----------------------------------------------------------------

    def send_raw_transaction(self, raw: bytes) -> Hash32:
        tx, sidecar = tx_fill.decode_raw(raw)
        if tx.type == 3:  # the blob pool's checks need what was sent (size, sidecar)
            return self._submit(tx, sidecar=sidecar, network_size=len(raw))
        return self._submit(tx)

    def send_transaction(self, args: TxArgs) -> Hash32:
        """eth_sendTransaction: fill what geth fills, sign with the dev key (or, for an
        impersonated sender, with anvil's placeholder signature), submit. Blob fields
        get geth's refusals, after the sender's key is found."""
        if args.is_blob or args.blobs is not None:
            if args.sender is not None:
                self.signers.key_for(args.sender)  # unknown account: that error first
            if args.is_blob:
                raise InvalidTxArgs("signing blob transactions not supported")
            raise InvalidTxArgs('"blobs" is not supported for this RPC method')
        return self._submit(self.request_transaction(args, self.head))

    def request_transaction(
        self, args: TxArgs, block: Block, *, nonce: int | None = None, fallback_gas: bool = False
    ) -> Tx:
        """The transaction eth_sendTransaction makes of ``args`` on top of ``block``:
        fees from its base fee, gas estimated on its state, the pending nonce (or
        ``nonce`` when ``args`` names none), signed with the sender's dev key, or with a
        placeholder signature when the sender is impersonated. ``fallback_gas``: when
        estimation fails, use the block's gas limit (anvil's reorg transactions, which
        may depend on transactions before them in the new branch)."""
        sender = args.sender
        if sender is None:
            raise InvalidTxArgs("from field is required")
        key = self.signers.key_for(sender)
        return self._fill_and_sign(
            args, sender, block, lambda: key, nonce=nonce, fallback_gas=fallback_gas
        )

    def _fill_and_sign(
        self,
        args: TxArgs,
        sender: Address,
        block: Block,
        key_of: Callable[[], bytes | None],
        *,
        nonce: int | None = None,
        fallback_gas: bool = False,
    ) -> Tx:
        """:func:`mocknode.chain.tx_fill.fill_and_sign` on top of ``block``."""
        return tx_fill.fill_and_sign(
            args,
            sender,
            key_of,
            config=self.config,
            base_fee=lambda: (
                self._base_fee_now() if block is self.head else block.header.base_fee_per_gas
            ),
            pending_nonce=lambda: self.nonce(sender, BlockRef(tag="pending")),
            estimate_gas=lambda filled: self.estimate_gas(filled, BlockRef(block_hash=block.hash)),
            block_gas_limit=block.header.gas_limit,
            nonce=nonce,
            fallback_gas=fallback_gas,
        )

    def sign_transaction(self, args: TxArgs) -> Tx:
        """eth_signTransaction: geth's SignTransaction. Gas, fees and nonce must be
        given (geth's texts, in geth's order); the rest is filled as for a send, and the
        signed transaction is returned, not submitted. A missing ``from`` is the zero
        address, which no key signs; nor does impersonation (no key: anvil refuses too)."""
        return self.sign_transaction_with_sidecar(args)[0]

    def sign_transaction_with_sidecar(self, args: TxArgs) -> tuple[Tx, BlobSidecar | None]:
        """:meth:`sign_transaction`, and the blob sidecar made of ``args``' blobs (geth's
        setBlobTxSidecar, :mod:`mocknode.chain.tx.blob_args`), or None."""
        tx_fill.check_sign_args(args)
        sender = args.sender or ZERO_ADDRESS
        sidecar = None
        if args.is_blob or args.blobs is not None:
            from mocknode.chain.tx.blob_args import blob_defaults

            excess = self.head.header.excess_blob_gas
            args, sidecar = blob_defaults(args, head_excess_blob_gas=excess)
        tx = self._fill_and_sign(args, sender, self.head, partial(self.key_of, sender))
        return tx, sidecar if tx.type == 3 else None

    # -- signing --------------------------------------------------------------------

    def key_of(self, address: Address) -> bytes:
        """The private key of a dev account; UnknownAccount (geth's text) for any other."""
        key = self.signers.dev_key(address)
        if key is None:
            raise UnknownAccount("unknown account")
        return key

    def sign_digest(self, address: Address, digest: bytes) -> bytes:
        """``r || s || v`` (v 27/28) over ``digest`` with the key of ``address``."""
        from mocknode.chain.tx.messages import sign_digest

        return sign_digest(self.key_of(address), digest)

    def _submit(
        self, tx: Tx, *, sidecar: BlobSidecar | None = None, network_size: int = 0
    ) -> Hash32:
        # geth's pool knows only pooled hashes: a mined one fails the nonce check instead.
        if self.pool.get(tx.hash) is not None:
            raise TxRejected("already known")
        if self.automine:
            # Refused before it is pooled: automine could not mine it, and a send must
            # not fail while leaving its transaction behind.
            next_block.check_stamp(self.time.peek_timestamp(self.head.header.timestamp))
        self._admit(tx, sidecar=sidecar, network_size=network_size)
        for listener in list(self.pending_listeners):
            listener(tx)
        if self.admission_hooks:
            for hook in list(self.admission_hooks):
                hook(tx)
        if self.automine:
            self._automine()
        return tx.hash

    def _admit(self, tx: Tx, *, sidecar: BlobSidecar | None = None, network_size: int = 0) -> None:
        """Validate ``tx`` against the latest state as geth's pool does and pool it."""
        tx_fill.admit(
            tx,
            reader=self.state.reader(),
            pool=self.pool,
            head=self.head.header,
            base_fee=self.next_base_fee(),
            config=self.config,
            allow_code=self.signers.is_impersonated(tx.sender),
            sidecar=sidecar,
            network_size=network_size,
        )

    # -- the pool -----------------------------------------------------------------------

    def _pooled(self, tx_hash: Hash32) -> Tx:
        tx = self.pool.get(tx_hash)
        if tx is None:
            raise InvalidRequest(f"transaction 0x{tx_hash.hex()} is not in the pool")
        return tx

    def drop_transaction(self, tx_hash: Hash32) -> Tx | None:
        """Take a transaction out of the pool (anvil_dropTransaction); later nonces of
        its sender then wait for a gap that only a new transaction fills."""
        tx = self.pool.get(tx_hash)
        if tx is not None:
            self.pool.remove(tx)
        return tx

    def drop_all_transactions(self) -> list[Tx]:
        """Empty the pool (anvil_dropAllTransactions); returns what it held."""
        return self.pool.clear()

    def remove_pool_transactions(self, sender: Address) -> list[Tx]:
        """Take every pooled transaction of ``sender`` out (anvil_removePoolTransactions)."""
        return self.pool.remove_sender(sender)

    def hold(
        self,
        tx_hash: Hash32,
        *,
        not_before_block: int | None = None,
        not_before_timestamp: int | None = None,
    ) -> None:
        """Keep a pooled transaction out of blocks numbered below ``not_before_block``
        and stamped before ``not_before_timestamp``; with neither, out of every block
        until :meth:`release`. It stays pending and readable meanwhile, and its sender's
        later nonces wait behind it. A hold that has passed lets the transaction into
        the next block mined (with automine, the next one any transaction causes)."""
        self._pooled(tx_hash)
        self.pool.hold(tx_hash, Hold(not_before_block, not_before_timestamp))

    def release(self, tx_hash: Hash32) -> bool:
        """Lift a hold; with automine, the transaction is mined at once. False when it
        was not held."""
        released = self.pool.release(tx_hash)
        if released and self.automine:
            self._automine()
        return released

    def replace_transaction(
        self, tx_hash: Hash32, *, fee_bump_percent: int = 10, cancel: bool = False
    ) -> Tx:
        """A pooled transaction replaced "by a third party": same sender and nonce, both
        fees raised by ``fee_bump_percent`` (at least 1 wei each; geth's pool wants 10%),
        the same call, or with ``cancel`` a 0-value transfer to the sender itself.
        Signed with the sender's dev key when the node holds it, else with the
        impersonation placeholder; submitted like any transaction (with automine,
        mined at once). Returns it."""
        from mocknode.chain.tx import build

        old = self._pooled(tx_hash)
        tx = build.replacement(
            old, chain_id=self.config.chain_id, fee_bump_percent=fee_bump_percent, cancel=cancel
        )
        tx = build.finish(tx, self.signers.dev_key(old.sender))
        self._submit(tx)
        return tx

    # -- the pending block ------------------------------------------------------------

    def pending(self) -> PendingBlock:
        """geth's pending block: the pool's executable transactions on the head, never
        appended (:mod:`mocknode.chain.block.pending`). Built on first use and kept until
        the head, the state, the pool or the next block's timestamp changes, so the
        requests of one moment share one build; reads that need no block (the pending
        nonce) never build it."""
        parent = self.head
        dev = self.dev_env
        stamp = next_block.pending_stamp(self.time, dev, parent.header.timestamp)
        # The config and the dev env are frozen: a cheat that changes them replaces them.
        key = (parent.hash, self.state.head, self.pool, self.pool.changes, stamp, self.config, dev)
        cached = self._pending
        if cached is not None and cached[0] == key:
            return cached[1]
        from mocknode.chain.block.pending import build_pending

        env = self._next_env(parent, stamp)
        # geth's miner builds the pending block with no randomness (mixHash zero).
        built = build_pending(self.state, self.pool, parent, replace(env, prev_randao=ZERO_HASH))
        self._pending = (key, built)
        return built

    # -- mining -----------------------------------------------------------------

    def _automine(self) -> None:
        while self._ready():
            if not self.mine_block(max_transactions=1).transactions:
                break  # a hold the estimate let through kept it out: wait for the next

    def _ready(self) -> bool:
        return next_block.ready(self.pool, self.state, self.head.header, self.time)

    def mine(
        self, blocks: int = 1, timestamp: int | None = None, interval: int | None = None
    ) -> list[Block]:
        """Mine ``blocks`` blocks (:func:`mocknode.chain.mine_many.mine_each` says how)."""
        return list(self.mine_each(blocks, timestamp, interval))

    def mine_each(
        self, blocks: int, timestamp: int | None = None, interval: int | None = None
    ) -> Iterator[Block]:
        """:meth:`mine`, yielding each block once appended (callers that let others
        in between blocks)."""
        return mine_each(
            self._mine_at,
            lambda: self.head.header.timestamp,
            self.time.increase,
            blocks,
            timestamp,
            interval,
        )

    def _mine_at(self, timestamp: int | None) -> Block:
        return self.mine_block(timestamp=timestamp)

    def mine_block(
        self, max_transactions: int | None = None, timestamp: int | None = None
    ) -> Block:
        """Build, execute and append one block from the pool's executable transactions."""
        from mocknode.chain.block.mining import PoolSource

        block = self._build(PoolSource(self.pool), max_transactions, timestamp)
        for listener in list(self.block_listeners):
            listener(block, False)
        if self.mined_hooks:
            for hook in list(self.mined_hooks):
                hook(block)
        return block

    def _build(
        self,
        source: TxSource,
        max_transactions: int | None = None,
        timestamp: int | None = None,
        extra_data: bytes = b"",
    ) -> Block:
        """Build one block on the head from ``source`` and append it, telling no one."""
        from mocknode.chain.block import mining

        parent = self.head
        dev = self.dev_env
        stamp = next_block.mined_stamp(self.time, dev, parent.header.timestamp, timestamp)
        env = self._next_env(parent, stamp)
        block = mining.build_block(
            self.state,
            source,
            parent,
            env,
            max_transactions=max_transactions,
            extra_data=extra_data,
        )
        self.time.block_mined()
        self.canon.append(block, self.state.head)
        if dev.one_shot:
            self.dev_env = dev.spent()
        return block

    def _next_env(self, parent: Block, stamp: int) -> BlockEnv:
        """The environment of the block after ``parent`` stamped ``stamp`` (mined or
        pending): the config's, with the dev env's one-shot settings and a code size
        limit of its own only when they are set."""
        return next_block.next_env(
            parent,
            stamp,
            config=self.config,
            dev=self.dev_env,
            ancestor_hashes=partial(self.canon.ancestor_hashes, parent.number + 1),
        )

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

    # -- reorgs -------------------------------------------------------------------------

    def reorg(
        self,
        depth: int,
        *,
        blocks: int | None = None,
        transactions: Sequence[tuple[Tx, int]] = (),
        reinclude: Reinclude = "none",
        drop: Collection[Hash32] | Literal["all"] = (),
        seed: int = 0,
    ) -> ReorgOutcome:
        """Replace the top ``depth`` blocks with ``blocks`` new ones (``depth`` unless
        given; 0 is a rollback), as anvil's ``anvil_reorg``.

        ``transactions``: signed transactions with the offset (0 = the first new block)
        of the block they go in, first in it. ``reinclude`` says where the orphaned
        transactions go (:mod:`mocknode.chain.reorg`: by default back to the pool);
        ``drop`` names orphaned transactions that vanish instead (``"all"``: every one).
        ``seed`` drives ``reinclude="shuffle"``.

        Blocks, hashes, receipts, logs and BLOCKHASH follow the new branch; the new
        blocks' extraData names the blocks they replace (so hashes differ even with the
        same contents). A reorg mines nothing but its new branch, automine or not:
        orphans that are not re-included wait in the pool for the next block, as
        anvil's chain looks right after its reorg (anvil forgets them instead; ``drop``
        does that). Listeners hear every orphan (removed, oldest first), then every new
        block; pooled orphans are announced to the pending listeners again, as geth's
        pool does. Snapshots taken before the reorg still revert to the old branch.
        """
        from mocknode.chain import reorg as plans

        head = self.head.number
        plans.check_depth(depth, head)
        rebranch.check_transactions(transactions, self.config, self.head.header.gas_limit)
        common = head - depth
        orphaned = self.canon.blocks[common + 1 :]
        plan = plans.plan(
            orphaned,
            transactions,
            blocks=depth if blocks is None else blocks,
            reinclude=reinclude,
            drop=drop,
            seed=seed,
        )
        added, waiting, discarded = self._replace_above(common, plan)
        self.rewinds += 1
        pooled_now = rebranch.settle(
            added, (*waiting, *plan.unplaced), discarded, pool=self.pool, admit=self._admit
        )
        rebranch.announce(
            orphaned,
            added,
            pooled_now,
            block_listeners=self.block_listeners,
            pending_listeners=self.pending_listeners,
        )
        return plans.ReorgOutcome(
            removed=tuple(orphaned),
            added=tuple(added),
            pooled=tuple(pooled_now),
            dropped=plan.dropped,
            discarded=tuple(discarded),
        )

    def _replace_above(
        self, common: int, plan: ReorgPlan
    ) -> tuple[list[Block], list[Tx], list[Tx]]:
        """:func:`mocknode.chain.rebranch.replace_above` on this chain."""
        return rebranch.replace_above(
            common,
            plan,
            canon=self.canon,
            state=self.state,
            time=self.time,
            snapshots=self._snapshots,
            build=lambda source, mark: self._build(source, extra_data=mark),
        )

    def rollback(self, depth: int = 1) -> ReorgOutcome:
        """Remove the top ``depth`` blocks and mine nothing (anvil's ``anvil_rollback``).
        Their transactions go back to the pool and stay there, automine or not, until
        the next block is mined: re-mining them at once would make this a reorg."""
        return self.reorg(depth, blocks=0)

    # -- calls --------------------------------------------------------------------

    def call(self, args: TxArgs, ref: BlockRef, overrides: CallOverrides | None = None) -> bytes:
        # From the module itself: importing a name of a package (mocknode.chain.evm)
        # walks importlib's Python-level fromlist handling on every eth_call.
        from mocknode.chain.evm.calls import call

        block = self.resolve(ref)
        return call(
            self.state_at(block),
            self.call_env(block),
            args,
            gas_cap=self.config.rpc_gas_cap,
            overrides=overrides,
        )

    def estimate_gas(
        self, args: TxArgs, ref: BlockRef, overrides: CallOverrides | None = None
    ) -> int:
        from mocknode.chain.evm import calls

        block = self.resolve(ref)
        return calls.estimate_gas(
            self.state_at(block),
            self.call_env(block),
            args,
            gas_cap=self.config.rpc_gas_cap,
            overrides=overrides,
        )

    def call_env(self, block: Block) -> BlockEnv:
        """The environment a call on top of ``block`` runs in (the last one is kept:
        calls mostly hit the same block, and this runs on every eth_call)."""
        cached = self._call_env
        if cached is not None and cached[0] is block:
            return cached[1]
        env = next_block.call_env(
            block,
            config=self.config,
            ancestor_hashes=partial(self.canon.ancestor_hashes, block.number),
        )
        self._call_env = (block, env)
        return env

    # -- dev edits ------------------------------------------------------------------

    def _edit(self, address: Address, account: Account) -> None:
        """Change an account between blocks (a state commit with no block)."""
        dev_edits.edit(self.state, address, account)

    def set_balance(self, address: Address, balance: int) -> None:
        self._edit(address, dev_edits.account(self.state, address)._replace(balance=balance))

    def set_nonce(self, address: Address, nonce: int) -> None:
        self._edit(address, dev_edits.account(self.state, address)._replace(nonce=nonce))

    def set_code(self, address: Address, code: bytes) -> None:
        dev_edits.set_code(self.state, address, code)

    def set_storage(self, address: Address, slot: int, value: int) -> None:
        dev_edits.set_storage(self.state, address, slot, value)

    # -- the environment dev methods change ---------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Replace fields of the config the chain runs on (anvil_setChainId,
        anvil_setCoinbase, evm_setBlockGasLimit): later blocks, calls and transactions
        follow it; mined blocks keep what they were made with. Snapshots restore it."""
        self.config = replace(self.config, **changes)
        self._call_env = None

    def set_dev_env(self, **changes: Any) -> None:
        """Replace fields of :attr:`dev_env` (the next block's base fee and prevRandao,
        the timestamp interval). Snapshots restore it."""
        self.dev_env = replace(self.dev_env, **changes)

    def _restore_settings(self, token: Any) -> None:
        self.config, self.dev_env = token
        self._call_env = None

    def set_time(self, timestamp: int) -> int:
        """anvil_setTime (:func:`mocknode.chain.devenv.set_clock`); the seconds it moved
        the clock forward."""
        return set_clock(self.time, self.head.header.timestamp, timestamp)

    def reset(self) -> None:
        """anvil_reset without a fork: back to the genesis block, the config the chain
        started with and its start time; the pool emptied and every snapshot forgotten
        (as anvil). Mining mode and impersonation stay, as they do in anvil. Silent, like
        a revert: listeners hear nothing."""
        config, time_at_start = self._at_start
        self.canon.truncate(0)
        self.state.revert_to(self.canon.commits[0])
        self.pool.clear()
        self._snapshots = Snapshots()
        self.time.restore(time_at_start)
        self.config = config
        self.dev_env = DevEnv()
        self._call_env = None
        self._pending = None
        self.resets += 1
        self.rewinds += 1

    def snapshots_taken(self) -> list[tuple[int, Snapshot]]:
        """The snapshots not yet forgotten, by id, oldest first (anvil_metadata)."""
        return self._snapshots.taken()

    # -- snapshots ----------------------------------------------------------------

    def snapshot(self, name: str | None = None) -> int:
        """Remember the whole chain as it is now; reverting keeps the snapshot usable.

        What is remembered: blocks, state (dev edits included), the pool, mining mode,
        time travel, impersonation, and whatever registered a snapshot hook (the node's
        filters). ``name`` makes it reachable by that name too (``revert("clean")``). A
        reorg after it does not make it unreachable: reverting brings the old branch
        back.
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
            signers=self.signers.capture(),
        )
        return self._snapshots.add(snapshot, name)

    def revert(self, target: int | str) -> bool:
        """Go back to a snapshot (by id or name); it and earlier snapshots stay usable.

        A silent rewind, as anvil's ``evm_revert``: block listeners hear nothing, so
        subscriptions get no removed logs and no heads (a reorg is the operation that
        reports what it removes).
        """
        snap = self._snapshots.reachable(target, canon=self.canon, state=self.state)
        if snap is None:
            return False
        self.rewinds += 1
        rewind(snap, self.canon, self.state)
        self.pool = snap.pool.copy()
        self.automine = snap.automine
        self.interval = snap.interval
        self.time.restore(snap.time)
        self.signers.restore(snap.signers)
        restore_hooks(self.snapshot_hooks, snap.hooks)
        self._snapshots.reverted_to(snap)
        self._mining_changed()
        return True
