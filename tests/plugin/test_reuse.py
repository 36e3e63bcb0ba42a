"""What the plugin keeps between tests for speed, and that nothing a test changes leaks:
one ``Web3`` object while tests leave it as built, one WebSocket connection for
``async_w3`` across pytest-asyncio's per-test event loops while tests leave it quiet."""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_asyncio")


def test_w3_reused_until_a_test_changes_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from web3.middleware import Web3Middleware

        SEEN = []

        class Tag(Web3Middleware):
            pass

        def test_0_plain(w3):
            SEEN.append(w3)
            assert w3.eth.block_number == 0

        def test_1_same_object(w3):
            assert w3 is SEEN[0]
            SEEN.append(w3)
            w3.eth.default_account = w3.eth.accounts[1]

        def test_2_new_object_no_default_account(w3):
            assert w3 is not SEEN[1]
            assert not w3.eth.default_account
            SEEN.append(w3)
            w3.middleware_onion.add(Tag, "tag")

        def test_3_new_object_no_middleware(w3):
            assert w3 is not SEEN[2]
            assert "tag" not in w3.middleware_onion
            SEEN.append(w3)
            w3.provider.cache_allowed_requests = False

        def test_4_new_object_provider_as_built(w3):
            assert w3 is not SEEN[3]
            assert w3.provider.cache_allowed_requests is True
            SEEN.append(w3)
            w3.strict_bytes_type_checking = False

        def test_5_new_object(w3):
            assert w3 is not SEEN[4]
            assert w3.strict_bytes_type_checking is True
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=6)


def test_async_w3_keeps_its_connection_across_event_loops(pytester: pytest.Pytester) -> None:
    """pytest-asyncio's default loop per test: the connection outlives each loop, moved onto
    the next test's; a connection that had a subscription is closed, not reused."""
    pytester.makeini(
        """
        [pytest]
        asyncio_mode = strict
        asyncio_default_fixture_loop_scope = function
        asyncio_default_test_loop_scope = function
        """
    )
    pytester.makepyfile(
        """
        import asyncio
        import pytest

        SEEN = []

        def local(async_w3):
            return async_w3.provider._ws.transport.get_extra_info("sockname")

        @pytest.mark.asyncio
        async def test_0(async_w3):
            SEEN.append((local(async_w3), asyncio.get_running_loop()))
            assert await async_w3.eth.block_number == 0

        @pytest.mark.asyncio
        async def test_1_same_connection_new_loop(async_w3, mocknode_accounts):
            (name, loop) = SEEN[-1]
            assert loop.is_closed() and loop is not asyncio.get_running_loop()
            assert local(async_w3) == name
            alice, bob = (a.address for a in mocknode_accounts[:2])
            tx = await async_w3.eth.send_transaction({"from": alice, "to": bob, "value": 5})
            assert (await async_w3.eth.get_transaction_receipt(tx))["status"] == 1
            SEEN.append((local(async_w3), asyncio.get_running_loop()))

        @pytest.mark.asyncio
        async def test_2_clean_and_subscribe(async_w3, mocknode_accounts):
            assert local(async_w3) == SEEN[-1][0]
            assert await async_w3.eth.block_number == 0
            assert await async_w3.eth.get_transaction_count(mocknode_accounts[0].address) == 0
            await async_w3.eth.subscribe("newHeads")
            SEEN.append((local(async_w3), asyncio.get_running_loop()))

        @pytest.mark.asyncio
        async def test_3_new_connection_no_notification(async_w3, mocknode_accounts):
            assert local(async_w3) != SEEN[-1][0]
            alice, bob = (a.address for a in mocknode_accounts[:2])
            await async_w3.eth.send_transaction({"from": alice, "to": bob, "value": 5})
            assert await async_w3.eth.block_number == 1
            await asyncio.sleep(0.05)
            assert not async_w3.provider._request_processor.active_subscriptions
            SEEN.append((local(async_w3), asyncio.get_running_loop()))

        @pytest.mark.asyncio
        async def test_4_reused_again(async_w3):
            assert local(async_w3) == SEEN[-1][0]
            assert await async_w3.eth.chain_id == 31337

        @pytest.mark.asyncio
        async def test_5_faults_get_their_own(async_w3, faults):
            assert local(async_w3) != SEEN[-1][0]
            assert await async_w3.eth.block_number == 0
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=6)


def test_async_w3_object_reused_until_a_test_changes_it(pytester: pytest.Pytester) -> None:
    """The ``AsyncWeb3`` object, like ``w3``: the same one while tests leave it as built and
    make no subscription, its chain id still an int on the next loop; a new one after a
    change, a subscription, or under faults (and that test's object is not kept either)."""
    pytester.makepyfile(
        """
        import pytest

        SEEN = []
        pytestmark = pytest.mark.asyncio

        async def test_0_plain(async_w3):
            SEEN.append(async_w3)
            assert await async_w3.eth.chain_id == 31337

        async def test_1_same_object(async_w3):
            assert async_w3 is SEEN[-1]
            assert await async_w3.eth.chain_id == 31337  # cached, formatted on this loop too
            SEEN.append(async_w3)
            async_w3.eth.default_account = (await async_w3.eth.accounts)[1]

        async def test_2_new_object_no_default_account(async_w3):
            assert async_w3 is not SEEN[-1]
            assert not async_w3.eth.default_account
            SEEN.append(async_w3)
            await async_w3.eth.subscribe("newHeads")

        async def test_3_new_object_after_a_subscription(async_w3):
            assert async_w3 is not SEEN[-1]
            assert not async_w3.provider._request_processor.active_subscriptions
            SEEN.append(async_w3)

        async def test_4_same_again(async_w3):
            assert async_w3 is SEEN[-1]

        async def test_5_faults_get_their_own(async_w3, faults):
            assert async_w3 is not SEEN[-1]
            SEEN.append(async_w3)

        async def test_6_neither_reused_nor_kept_under_faults(async_w3):
            assert async_w3 is SEEN[-2] and async_w3 is not SEEN[-1]
            assert await async_w3.eth.block_number == 0
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=7)


def test_async_w3_connection_on_a_module_loop(pytester: pytest.Pytester) -> None:
    """Tests sharing one loop (``loop_scope="module"``) reuse the connection too."""
    pytester.makepyfile(
        """
        import pytest

        SEEN = []

        @pytest.mark.asyncio(loop_scope="module")
        async def test_0(async_w3):
            SEEN.append(async_w3.provider._ws.transport.get_extra_info("sockname"))
            assert await async_w3.eth.block_number == 0

        @pytest.mark.asyncio(loop_scope="module")
        async def test_1(async_w3):
            assert async_w3.provider._ws.transport.get_extra_info("sockname") == SEEN[0]
            assert await async_w3.eth.block_number == 0
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_kept_snapshot_and_fixtures_between_tests(pytester: pytest.Pytester) -> None:
    """A teardown's snapshot serves the next test (no new snapshot is taken), unless another
    fixture ran in between: a module fixture's changes on ``mocknode_session`` are seen by
    its tests and undone by its own teardown for the tests after it."""
    pytester.makepyfile(
        test_a="""
        import pytest

        RICH = "0x" + "ab" * 20
        TAKEN = []

        def taken(node):
            return node.with_chain(lambda c: [sid for sid, _ in c.snapshots_taken()])

        def test_0(w3, mocknode):
            TAKEN.append(taken(mocknode))
            mocknode.set_balance(RICH, 5)

        def test_1_same_snapshot_clean(w3, mocknode):
            assert taken(mocknode) == TAKEN[0]
            assert w3.eth.get_balance(w3.to_checksum_address(RICH)) == 0
            mocknode.mine(3)

        @pytest.fixture(scope="module")
        def funded():
            return None

        def test_2_clean(w3, mocknode):
            assert w3.eth.block_number == 0
        """,
        test_b="""
        import pytest

        RICH = "0x" + "cd" * 20

        @pytest.fixture(scope="module")
        def funded(mocknode_session):
            snap = mocknode_session.snapshot()
            mocknode_session.set_balance(RICH, 7)
            mocknode_session.mine()
            yield RICH
            assert mocknode_session.revert(snap)

        def test_3_sees_module_state(funded, w3):
            assert w3.eth.get_balance(w3.to_checksum_address(funded)) == 7
            assert w3.eth.block_number == 1
            to = w3.to_checksum_address(funded)
            w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": to, "value": 1})

        def test_4_module_state_again(funded, w3):
            assert w3.eth.get_balance(w3.to_checksum_address(funded)) == 7
            assert w3.eth.block_number == 1
        """,
        test_c="""
        RICH = "0x" + "cd" * 20

        def test_5_module_state_gone(w3):
            assert w3.eth.get_balance(w3.to_checksum_address(RICH)) == 0
            assert w3.eth.block_number == 0

        def test_6_and_stays_gone(w3):  # test 5's teardown did not bring it back
            assert w3.eth.get_balance(w3.to_checksum_address(RICH)) == 0
            assert w3.eth.block_number == 0
        """,
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=7)
