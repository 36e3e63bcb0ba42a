"""The catalogue covers every row of faults.md, consistently; personas carry exact texts."""

from __future__ import annotations

import typing

import pytest

from mocknode.faults import CATALOGUE, KINDS, PERSONAS, TEMPLATES, Action, FaultSpecError
from mocknode.faults.catalogue import POOL_REASONS, Layer, reference_table
from mocknode.faults.events import POINTS, SCOPES, TRANSPORTS
from mocknode.faults.params import REQUIRED
from mocknode.faults.personas import error_object, rate_limit_template

# Every fault the catalogue promises (transport, JSON-RPC and chain rows), and the kinds that
# implement it.
FAULTS_MD_ROWS: dict[str, tuple[str, ...]] = {
    # transport faults
    "refuse / node down for a window": ("refuse",),
    "reset (TCP RST)": ("reset",),
    "close without response": ("close",),
    "hang (never answer)": ("hang",),
    "latency": ("delay",),
    "dribble / bandwidth": ("dribble",),
    "truncate after N bytes then close": ("truncate",),
    "HTTP status + body": ("http_status",),
    "garbage bytes then close": ("garbage",),
    "WS: reject upgrade": ("ws_reject",),
    "WS: close with code": ("ws_close",),
    "WS: notification drop / duplicate / delay / reorder": (
        "drop_notification",
        "duplicate_notification",
        "delay_notification",
        "reorder_notifications",
    ),
    "WS: zombie subscription": ("zombie_subscription",),
    "IPC: split a response at random offsets with delays": ("ipc_split",),
    "IPC: framing deviations": ("ipc_framing",),
    "IPC: EOF mid-message; socket file removed and recreated": ("ipc_eof", "ipc_recreate"),
    # JSON-RPC faults
    "error object": ("error",),
    "malformed body": ("malformed",),
    "spec violations": ("spec_violation",),
    "wrong / null / retyped id": ("wrong_id",),
    "duplicate, stray, late response": ("duplicate_response", "stray_response", "late_response"),
    "out-of-order responses on WS/IPC": ("out_of_order",),
    "batch faults": ("batch_limit", "batch_missing", "batch_reorder"),
    "rate limiter": ("rate_limit",),
    "provider limits": ("provider_limit",),
    # chain faults
    "reorg of depth N": ("reorg",),
    "dropped tx": ("drop_tx",),
    "replaced tx by a third party": ("replace_tx",),
    "delayed inclusion of one tx": ("delay_tx",),
    "stale head on reads": ("stale_head",),
    "load-balanced replicas": ("replicas",),
    "pruned state": ("pruned_state",),
    "filter expiry": ("filter_expiry",),
    "index lag": ("index_lag",),
    "pool errors on demand": ("pool_error",),
}

# Just enough to build each kind whose parameters are required or must be combined.
MINIMAL: dict[str, dict[str, object]] = {
    "delay": {"seconds": 1},
    "dribble": {"bytes_per_second": 100},
    "truncate": {"after_bytes": 10},
    "http_status": {"status": 503},
    "delay_notification": {"seconds": 1},
    "error": {"template": "geth.header_not_found"},
    "batch_limit": {"limit": 10},
    "rate_limit": {"rate": 5},
}


def test_every_row_of_faults_md_has_its_kinds_and_nothing_else_exists() -> None:
    covered = [kind for kinds in FAULTS_MD_ROWS.values() for kind in kinds]
    assert sorted(covered) == sorted(KINDS)
    assert len(KINDS) == len(set(KINDS)) == 43


def test_the_vocabulary_of_faults_md_is_used_verbatim() -> None:
    # faults.md's starting vocabulary: kind -> its parameters
    vocabulary = {
        "delay": {"seconds"},
        "hang": {"seconds"},
        "close": set(),
        "reset": {"at", "after_bytes"},
        "http_status": {"status", "headers", "body"},
        "truncate": {"after_bytes"},
        "garbage": {"length"},
        "dribble": {"bytes_per_second", "chunks", "seconds"},
        "error": {"code", "message", "data", "template"},
        "rate_limit": {"rate", "burst", "per", "reply"},
        "ws_close": {"code", "reason", "after_messages", "after_seconds"},
        "drop_notification": {"subscription"},
        "duplicate_notification": {"subscription"},
        "delay_notification": {"subscription", "seconds"},
        "stale_head": {"blocks", "jitter"},
        "drop_tx": {"hash", "sender"},
    }
    for kind, names in vocabulary.items():
        assert names <= {p.name for p in CATALOGUE[kind].params}, kind


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_consistent(kind: str) -> None:
    spec = CATALOGUE[kind]
    assert spec.name == kind
    assert spec.layer in typing.get_args(Layer)
    assert spec.points
    assert set(spec.points) <= set(POINTS)
    assert set(spec.transports) <= set(TRANSPORTS)
    assert set(spec.scopes) <= set(SCOPES)
    assert spec.summary
    assert spec.incident
    # a kind acts on a whole batch or on its items, never both: the engine is asked once for
    # the batch and once per item, so one rule must not be counted twice for one message
    assert not {"batch", "item"} <= set(spec.scopes)
    # request-point kinds say at which scopes they act; the others have none
    assert bool(spec.scopes) == ("request" in spec.points)
    # chain-event kinds are not tied to a transport
    if set(spec.points) <= {"tx", "block"}:
        assert spec.transports == ()
    # every default is a valid value of its own type
    for param in spec.params:
        if param.default is not REQUIRED and param.default is not None:
            assert param.type.parse(param.default, param.name) == param.default


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_builds_from_its_minimal_parameters(kind: str) -> None:
    action = Action(kind, MINIMAL.get(kind, {}))
    assert list(action.params) == [p.name for p in CATALOGUE[kind].params]
    assert action.point in CATALOGUE[kind].points


def test_reset_is_decided_at_accept_only_on_connect() -> None:
    assert Action("reset", {"at": "connect"}).point == "accept"
    assert Action("reset", {"at": "request"}).point == "request"
    assert Action("reset", {"at": "response", "after_bytes": 7}).point == "request"


def test_every_template_an_action_may_name_exists() -> None:
    for reason in POOL_REASONS:
        assert f"geth.{reason}" in TEMPLATES
    for persona in PERSONAS.values():
        for name in (
            persona.rate_limit_template,
            persona.logs_range_template,
            persona.logs_results_template,
        ):
            assert name is None or name in TEMPLATES
        assert persona.templates() == tuple(
            t for t in TEMPLATES.values() if t.name.startswith(persona.name + ".")
        )


def test_provider_texts_are_exact() -> None:
    assert TEMPLATES["infura.limit_exceeded"].render() == {
        "code": -32005,
        "message": "query returned more than 10000 results",
    }
    assert TEMPLATES["infura.rate_limited"].render() == {
        "code": -32005,
        "message": "project ID request rate exceeded",
        "data": {
            "see": "https://infura.io/docs/ethereum/jsonrpc/ratelimits",
            "current_rps": 13.333,
            "allowed_rps": 10.0,
            "backoff_seconds": 30.0,
        },
    }
    assert TEMPLATES["infura.rate_limited"].http_status == 429
    assert TEMPLATES["alchemy.logs_response_size"].render(from_block="0x10", to_block="0x20") == {
        "code": -32602,
        "message": "Log response size exceeded. You can make eth_getLogs requests with up to a "
        "2K block range and no limit on the response size, or you can request any block range "
        "with a cap of 10K logs in the response. Based on your parameters, this block range "
        "should work: [0x10, 0x20]",
    }
    assert TEMPLATES["alchemy.rate_limited"].render()["code"] == 429
    assert TEMPLATES["erigon.batch_limit"].render(limit=100, size=150) == {
        "code": -32000,
        "message": "batch limit 100 exceeded (can increase by --rpc.batch.limit). "
        "Requested batch of size: 150",
    }
    assert TEMPLATES["geth.header_not_found"].render() == {
        "code": -32000,
        "message": "header not found",
    }
    assert TEMPLATES["geth.request_timed_out"].render() == {
        "code": -32002,
        "message": "request timed out",
    }


def test_persona_limits_are_the_documented_defaults() -> None:
    geth, infura, alchemy, erigon = (PERSONAS[n] for n in ("geth", "infura", "alchemy", "erigon"))
    assert (geth.batch_limit, geth.batch_shape, geth.batch_response_limit) == (
        1000,
        "geth",
        25_000_000,
    )
    assert (erigon.batch_limit, erigon.batch_shape) == (100, "erigon")
    assert (alchemy.batch_limit, alchemy.ws_batch_limit) == (1000, 20)
    assert (alchemy.logs_block_range, alchemy.logs_result_cap, alchemy.logs_error_when) == (
        2000,
        10_000,
        "both",
    )
    assert (infura.logs_result_cap, infura.logs_error_when) == (10_000, "either")
    assert (geth.filter_timeout, infura.filter_timeout) == (300.0, 900.0)


def test_error_object_takes_the_template_and_its_overrides() -> None:
    assert error_object(Action("error", {"template": "geth.filter_not_found"}).params) == {
        "code": -32000,
        "message": "filter not found",
    }
    overridden = Action(
        "error", {"template": "infura.limit_exceeded", "message": "custom", "data": {"x": [1]}}
    )
    assert error_object(overridden.params) == {
        "code": -32005,
        "message": "custom",
        "data": {"x": [1]},
    }
    plain = Action("error", {"code": 3, "message": "execution reverted", "data": "0x"})
    assert error_object(plain.params) == {"code": 3, "message": "execution reverted", "data": "0x"}


def test_rate_limit_replies_default_to_infura_then_alchemy_for_batch_items() -> None:
    assert rate_limit_template("http_429", None).name == "infura.rate_limited"
    assert rate_limit_template("json_rpc", None).name == "infura.rate_limited"
    assert rate_limit_template("batch_item", None).name == "alchemy.rate_limited"
    assert rate_limit_template("http_429", "infura.daily_limit").name == "infura.daily_limit"


def test_the_reference_table_has_one_row_per_kind() -> None:
    table = reference_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(KINDS)
    assert "### Transport faults" in table
    assert "### Chain faults" in table
    # a pipe inside a cell would break the table: every row has exactly 7 separators
    assert all(row.replace("\\|", "").count("|") == 7 for row in rows)


def test_unknown_kind_suggests_the_nearest() -> None:
    with pytest.raises(FaultSpecError, match='did you mean "ws_close"'):
        Action("ws_closed")
