"""The journal: bounded, paged, JSON-able, and identical across replays (sans-io)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mocknode.faults import Action, Event, FaultEngine, FaultSpecError, Journal, Rule, Trigger
from mocknode.faults.journal import DEFAULT_CAP, DEFAULT_PAGE, MAX_PAGE, parse_page_request


def fill(journal: Journal, count: int) -> None:
    for n in range(count):
        journal.record(
            "request", time=n * 0.5, connection=1, transport="http", method="eth_call", id=n
        )


def test_entries_render_every_key() -> None:
    journal = Journal()
    entry = journal.record(
        "request", time=1.5, connection=2, transport="ws", method="eth_call", id="a", size=80
    )
    assert entry.render() == {
        "seq": 1,
        "time": 1.5,
        "connection": 2,
        "transport": "ws",
        "kind": "request",
        "method": "eth_call",
        "id": "a",
        "rule": None,
        "fault": None,
        "draw": None,
        "size": 80,
    }
    assert journal.record("close", time=2.0, connection=2, transport="ws").seq == 2
    assert journal.last_seq == 2
    assert len(journal) == 2
    with pytest.raises(ValueError, match="unknown journal entry kind 'oops'"):
        journal.record("oops", time=0.0, connection=1, transport=None)  # type: ignore[arg-type]


def test_the_ring_keeps_the_newest_cap_entries() -> None:
    assert Journal().cap == DEFAULT_CAP == 10_000
    journal = Journal(cap=5)
    fill(journal, 12)
    assert [e.seq for e in journal] == [8, 9, 10, 11, 12]
    page = journal.page()
    assert (page.oldest, page.dropped, page.next) == (8, 7, 12)
    with pytest.raises(FaultSpecError, match=r"^journal_cap: expected an integer from 1 to"):
        Journal(cap=0)


def test_paging_with_since_and_limit() -> None:
    journal = Journal()
    fill(journal, 10)
    first = journal.page(since=0, limit=4)
    assert [e.seq for e in first.entries] == [1, 2, 3, 4]
    assert first.next == 4
    second = journal.page(since=first.next, limit=4)
    assert [e.seq for e in second.entries] == [5, 6, 7, 8]
    assert second.next == 8
    third = journal.page(since=second.next, limit=4)
    assert [e.seq for e in third.entries] == [9, 10]
    assert third.next == 10
    empty = journal.page(since=third.next)
    assert empty.entries == ()
    assert empty.next == 10
    assert [e.seq for e in journal.page(since=7, limit=DEFAULT_PAGE).entries] == [8, 9, 10]
    assert journal.page(since=100).next == 100


def test_paging_past_dropped_entries_starts_at_the_oldest_held() -> None:
    journal = Journal(cap=3)
    fill(journal, 6)
    page = journal.page(since=1)
    assert [e.seq for e in page.entries] == [4, 5, 6]
    assert page.oldest == 4  # the reader asked from 1: entries 2 and 3 were lost
    assert page.render()["dropped"] == 3


def test_an_empty_journal_pages_to_nothing() -> None:
    page = Journal().page(since=3)
    assert page.render() == {"entries": [], "next": 3, "oldest": 0, "dropped": 0}


def test_clear_starts_a_fresh_run() -> None:
    journal = Journal()
    fill(journal, 3)
    journal.clear()
    assert len(journal) == 0
    assert journal.page().render()["entries"] == []
    assert journal.record("connect", time=0.0, connection=1, transport="ipc").seq == 1


def test_mock_journal_arguments() -> None:
    assert parse_page_request(None) == (0, DEFAULT_PAGE)
    assert parse_page_request({}) == (0, DEFAULT_PAGE)
    assert parse_page_request({"since": 5, "limit": 10}) == (5, 10)
    assert parse_page_request({"limit": MAX_PAGE}) == (0, MAX_PAGE)
    for bad, message in [
        ([], 'expected {"since": N, "limit": N}, got []'),
        ({"from": 1}, "from: unknown field (use since and limit)"),
        ({"since": -1}, "since: expected an integer >= 0, got -1"),
        ({"since": "1"}, 'since: expected an integer >= 0, got "1"'),
        ({"limit": 0}, "limit: expected an integer from 1 to 10000, got 0"),
        ({"limit": MAX_PAGE + 1}, "limit: expected an integer from 1 to 10000, got 10001"),
    ]:
        with pytest.raises(FaultSpecError) as caught:
            parse_page_request(bad)
        assert str(caught.value) == message


def scripted_run(seed: int) -> list[dict[str, Any]]:
    """A small session as the wiring will drive it: connects, requests, faults, responses."""
    engine = FaultEngine(seed)
    engine.add(Rule(trigger=Trigger(probability=0.4), action=Action("close")))
    engine.add(Rule(trigger=Trigger(every=3), action=Action("delay", {"seconds": 0.1})))
    journal = Journal(cap=50)
    clock = 0.0
    for connection in (1, 2):
        journal.record("connect", time=clock, connection=connection, transport="http")
    for sequence in range(1, 21):
        for connection in (1, 2):
            clock += 0.01
            event = Event.request("http", connection, sequence, "eth_call", [], time=clock, block=0)
            journal.record(
                "request",
                time=clock,
                connection=connection,
                transport="http",
                method="eth_call",
                id=sequence,
                size=60,
            )
            decision = engine.decide(event)
            if decision is not None:
                journal.record_fault(decision, event, id=sequence)
                if decision.kind == "close":
                    continue
            journal.record(
                "response",
                time=clock,
                connection=connection,
                transport="http",
                method="eth_call",
                id=sequence,
                size=40,
            )
    return json.loads(json.dumps(journal.render()))


def test_same_seed_same_traffic_same_journal() -> None:
    first, second = scripted_run(5), scripted_run(5)
    assert first == second
    assert len(first) == 50  # the cap held
    faults = [e for e in first if e["kind"] == "fault"]
    assert {e["fault"] for e in faults} == {"close", "delay"}
    assert all((e["draw"] is not None) == (e["fault"] == "close") for e in faults)
    assert all(e["rule"] == (1 if e["fault"] == "close" else 2) for e in faults)
    assert scripted_run(6) != first
