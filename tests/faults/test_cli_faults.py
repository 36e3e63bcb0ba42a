"""``mocknode --faults PLAN --seed N --persona NAME --journal``: a real server process under
a plan, driven over HTTP and WebSocket; bad plans refused before anything starts (status
2, the loader's message); and the plain CLI importing none of the fault core."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from mocknode.cli import main

PLAN = """
seed = 3
persona = "geth"

[[rules]]
match = { method = "eth_chainId" }
trigger = { first = 1 }
action = { kind = "error", code = -32000, message = "plan says no" }

[[rules]]
trigger = { first = 1 }
action = { kind = "ws_reject", status = 503 }
"""


def rpc(port: int, method: str, params: list[Any] | None = None) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_a_server_under_a_plan(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "mocknode", "--port", "0", "--no-ipc"),
            *("--faults", str(plan), "--seed", "9", "--persona", "infura", "--journal"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner: list[str] = []
        while not banner or not banner[-1].startswith("Listening on"):
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            banner.append(line.rstrip("\n"))
        # the command line's seed and persona win over the plan's
        assert "Faults: 2 rules, seed 9, persona infura, journal on" in banner
        port = int(banner[-1].split()[2].rsplit(":", 1)[1])

        assert rpc(port, "eth_chainId")["error"] == {"code": -32000, "message": "plan says no"}
        assert rpc(port, "eth_chainId")["result"] == "0x7a69"
        with pytest.raises(InvalidStatus) as rejected:
            ws_connect(f"ws://127.0.0.1:{port}/", open_timeout=5)
        assert rejected.value.response.status_code == 503
        with ws_connect(f"ws://127.0.0.1:{port}/", open_timeout=5) as ws:
            ws.send('{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]}')
            assert json.loads(ws.recv(timeout=5))["result"] == "0x0"

        listed = rpc(port, "mock_listFaults")["result"]
        assert [(r["id"], r["action"]["kind"], r["fired"]) for r in listed] == [
            (1, "error", 1),
            (2, "ws_reject", 1),
        ]
        entries = rpc(port, "mock_journal", [{"since": 0, "limit": 100}])["result"]["entries"]
        # per connection (a "close" is written when the node notices the client left,
        # which can come after the next connection's first entries)
        by_connection: dict[int, list[tuple[str, str | None]]] = {}
        for entry in entries:
            by_connection.setdefault(entry["connection"], []).append(
                (entry["kind"], entry["fault"])
            )
        served = [("connect", None), ("request", None), ("response", None), ("close", None)]
        assert by_connection == {
            1: [*served[:2], ("fault", "error"), *served[2:]],
            2: served,
            3: [("fault", "ws_reject")],
            4: served,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


BAD = [
    (
        "rules.toml",
        '[[rules]]\naction = { kind = "http_status" }\n',
        "rules.toml: rules[0].action.status: required by http_status",
    ),
    (
        "kind.json",
        '{"rules": [{"action": {"kind": "drop_notificaton"}}]}',
        'kind.json: rules[0].action.kind: unknown fault kind "drop_notificaton"; '
        'did you mean "drop_notification"?',
    ),
    ("syntax.toml", "seed = \n", "syntax.toml: not valid TOML"),
    ("plan.yaml", "seed: 1\n", "plan.yaml: a fault plan is a .toml or .json file"),
    ("absent.toml", None, "absent.toml: cannot read it"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_plan_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str | None, message: str
) -> None:
    plan = tmp_path / name
    if text is not None:
        plan.write_text(text)
    assert main(["--port", "0", "--no-ipc", "--faults", str(plan)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no banner: nothing started
    assert err.startswith("mocknode: bad fault plan: ")
    assert message in err
    assert str(tmp_path) in err
    assert "Traceback" not in err


def test_a_bad_persona_or_seed_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--no-ipc", "--persona", "quiknode"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        'mocknode: bad fault plan: persona: expected one of "geth", "infura", "alchemy", '
        '"erigon", got "quiknode"'
    )
    with pytest.raises(SystemExit) as exited:
        main(["--seed", "-1"])
    assert exited.value.code == 2
    assert "--seed: must be from 0 to 18446744073709551615" in capsys.readouterr().err


def test_the_plain_cli_imports_no_fault_core() -> None:
    script = (
        "import sys, mocknode.cli\n"
        "print(sorted(m for m in sys.modules if m.startswith('mocknode.faults')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    loaded = json.loads(out.replace("'", '"'))
    assert "mocknode.faults.plan" not in loaded
    assert "mocknode.faults.catalogue" not in loaded
    assert "mocknode.faults.apply_notify" not in loaded
