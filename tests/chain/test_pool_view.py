"""The pool split as geth's txpool API shows it: gapless runs pending, the rest queued."""

from __future__ import annotations

from chain_helpers import DEV, signed

from mocknode.chain.tx.pool import Pool
from mocknode.chain.tx.pool_view import split_pool


def test_gapless_runs_from_the_account_nonce_are_pending() -> None:
    pool = Pool()
    a, b = DEV[0], DEV[1]
    txs = {(a, n): signed(a, n) for n in (3, 4, 6, 7)} | {(b, n): signed(b, n) for n in (0, 2)}
    for tx in txs.values():
        pool.add(tx)
    stale = signed(a, 1)  # below the account nonce: mined already, not yet swept
    pool.add(stale)
    nonces = {a.address: 3, b.address: 1}
    pending, queued = split_pool(pool, nonces.__getitem__)
    assert pending == {a.address: [txs[a, 3], txs[a, 4]]}
    assert queued == {a.address: [txs[a, 6], txs[a, 7]], b.address: [txs[b, 2]]}
    assert len(pool) == 7  # the split changes nothing


def test_an_empty_pool_splits_into_nothing() -> None:
    assert split_pool(Pool(), lambda _: 0) == ({}, {})
