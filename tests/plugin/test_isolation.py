"""Per-test isolation: nothing one test does to the chain reaches the next one."""

from __future__ import annotations

import pytest


def test_two_tests_each_see_block_one(pytester: pytest.Pytester) -> None:
    """The plainest promise: each test starts from the same head, whatever ran before."""
    pytester.makepyfile(
        """
        def send(w3):
            alice, bob = w3.eth.accounts[:2]
            tx = w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
            return w3.eth.get_transaction_receipt(tx)

        def test_first(w3):  # asks for w3 only: isolated all the same
            assert send(w3).blockNumber == 1
            assert w3.eth.block_number == 1

        def test_second(w3):
            assert send(w3).blockNumber == 1
            assert w3.eth.block_number == 1
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_nothing_leaks_into_the_next_test(pytester: pytest.Pytester) -> None:
    """Pending transactions, filters, dev edits, mining mode, interval mining, time travel
    and (through the connection being closed) subscriptions, all left behind on purpose."""
    pytester.makepyfile(
        """
        import time
        import pytest
        from web3.exceptions import TransactionNotFound

        LEFT = {}
        PROBE = "0x" + "11" * 20

        def listeners(mocknode):
            return mocknode.with_chain(
                lambda c: (len(c.block_listeners), len(c.pending_listeners)))

        def test_0_baseline(mocknode):
            LEFT["listeners"] = listeners(mocknode)

        def test_1_leave_a_mess(w3, mocknode):
            alice, bob = w3.eth.accounts[:2]
            mocknode.set_automine(False)
            LEFT["tx"] = w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
            LEFT["filter"] = w3.eth.filter("latest").filter_id
            mocknode.set_interval_mining(3600)
            mocknode.increase_time(10**6)
            mocknode.set_balance(PROBE, 123)
            mocknode.set_storage(PROBE, 0, 7)
            assert w3.eth.get_transaction_count(alice, "pending") == 1

        @pytest.mark.asyncio
        async def test_2_subscribe_and_leave(async_w3, mocknode):
            await async_w3.eth.subscribe("newHeads")
            await async_w3.eth.subscribe("newPendingTransactions")
            assert listeners(mocknode) != LEFT["listeners"]

        def test_3_all_clean(w3, mocknode):
            alice, bob = w3.eth.accounts[:2]
            assert w3.eth.block_number == 0
            assert w3.eth.get_transaction_count(alice, "pending") == 0
            with pytest.raises(TransactionNotFound):
                w3.eth.get_transaction(LEFT["tx"])
            assert mocknode.with_chain(lambda c: len(c.pool)) == 0
            with pytest.raises(Exception, match="filter not found"):
                w3.eth.get_filter_changes(LEFT["filter"])
            assert w3.eth.get_balance(w3.to_checksum_address(PROBE)) == 0
            assert w3.eth.get_storage_at(w3.to_checksum_address(PROBE), 0) == bytes(32)
            assert mocknode.with_chain(lambda c: (c.automine, c.interval, c.time.offset)) == (
                True, None, 0)
            # automine is back, and the next block is not a million seconds ahead
            w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
            assert w3.eth.block_number == 1
            assert w3.eth.get_block(1)["timestamp"] < time.time() + 60
            # the subscriptions died with test 2's connection (the node notices the close
            # on its own thread, so give it a moment)
            deadline = time.monotonic() + 2
            while listeners(mocknode) != LEFT["listeners"] and time.monotonic() < deadline:
                time.sleep(0.01)
            assert listeners(mocknode) == LEFT["listeners"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=4)


def test_session_setup_survives_and_test_changes_do_not(pytester: pytest.Pytester) -> None:
    """Each test's snapshot is taken at its setup, after session fixtures ran: what they
    built on ``mocknode_session`` stays; what a test does on top is undone."""
    pytester.makeconftest(
        """
        import pytest

        TREASURY = "0x" + "22" * 20

        @pytest.fixture(scope="session")
        def treasury(mocknode_session):
            mocknode_session.set_balance(TREASURY, 10**18)
            mocknode_session.mine()
            return TREASURY
        """
    )
    pytester.makepyfile(
        """
        def test_spend(w3, treasury, mocknode):
            assert w3.eth.block_number == 1
            mocknode.set_balance(treasury, 0)
            mocknode.mine(5)

        def test_still_there(w3, treasury):
            assert w3.eth.block_number == 1
            assert w3.eth.get_balance(w3.to_checksum_address(treasury)) == 10**18
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_lost_snapshot_is_reported(pytester: pytest.Pytester) -> None:
    """If a test reverts past the plugin's snapshot, the chain cannot be reset: say so."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture(scope="session")
        def early(mocknode_session):
            snapshot = mocknode_session.snapshot()
            mocknode_session.mine()  # so the test's own snapshot comes after this one
            return snapshot

        def test_reverts_too_far(early, mocknode):
            assert mocknode.revert(early)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*mocknode could not reset the chain: snapshot * is gone*"])


def test_the_reset_is_left_to_the_node_and_made_before_the_next_test(
    pytester: pytest.Pytester,
) -> None:
    """A test that only moved the chain forward is reset without waiting for the node's
    thread (``MockNode._revert_soon``); the next test still starts from the clean chain,
    over HTTP and from the plain methods."""
    pytester.makepyfile(
        """
        def test_a_moves_forward(w3, mocknode):
            alice, bob = w3.eth.accounts[:2]
            w3.eth.send_transaction({"from": alice, "to": bob, "value": 1})
            mocknode.mine(3)
            assert w3.eth.block_number == 4

        def test_b_starts_clean(w3, mocknode):
            assert w3.eth.block_number == 0
            assert mocknode.block_number() == 0
            served = mocknode._served()
            assert served.settled_reverts == 1  # the deferred path was taken
            assert served.lost_reverts == []
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_test_that_rewinds_by_itself_is_reset_the_waiting_way(
    pytester: pytest.Pytester,
) -> None:
    """A test that reverted the chain itself may have taken it below the plugin's
    snapshot: its reset waits for the node's thread, as before, and so can report a lost
    snapshot at once (``test_a_lost_snapshot_is_reported``)."""
    pytester.makepyfile(
        """
        def test_a_rewinds(w3, mocknode):
            inner = mocknode.snapshot()
            mocknode.mine(2)
            assert mocknode.revert(inner)
            mocknode.mine(1)

        def test_b_starts_clean(w3, mocknode):
            assert w3.eth.block_number == 0
            assert mocknode._served().settled_reverts == 0  # reset the waiting way
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
