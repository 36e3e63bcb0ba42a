"""pytest-xdist: each worker its own nodes, no shared state."""

from __future__ import annotations

import pytest


def test_two_workers(pytester: pytest.Pytester) -> None:
    """Eight tests over two workers, each mining on its own clean chain; every worker has
    its own nodes (own port, own IPC socket under its own short temp dir)."""
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_mine(n, mocknode, mocknode_ipc_path, worker_id):
            assert worker_id in ("gw0", "gw1")
            assert f"/mocknode-{worker_id}-" in mocknode_ipc_path
            assert len(mocknode_ipc_path) < 100 and os.path.exists(mocknode_ipc_path)
            assert mocknode.block_number() == 0
            mocknode.mine()
            assert mocknode.block_number() == 1
            print("NODE", worker_id, mocknode.http_url, mocknode_ipc_path)
        """
    )
    # --dist=load with 8 tests and 2 workers: both get work (xdist sends each an
    # initial batch).
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=8)
    nodes: dict[str, set[tuple[str, str]]] = {}
    for line in result.stdout.lines:
        if line.startswith("NODE "):
            _, worker, url, ipc = line.split()
            nodes.setdefault(worker, set()).add((url, ipc))
    assert sorted(nodes) == ["gw0", "gw1"]
    assert all(len(endpoints) == 1 for endpoints in nodes.values())  # one node per worker
    assert nodes["gw0"].isdisjoint(nodes["gw1"])
