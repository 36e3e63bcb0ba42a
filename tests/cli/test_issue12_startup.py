"""Issue 12, start-up to first answer: the ``mocknode`` command keeps the cyclic garbage
collector off while it imports and builds the node (``mocknode.gcpause``), and on from
before the first request it serves; a first answer loads nothing it does not need (the
IDNA codec, decimal), and the banner's amounts are what Decimal printed.

The collector checks run the command in a fresh interpreter: the collector's state is
the process's, and this test process's is the pytest plugin's.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from mocknode.chain.config import ETHER
from mocknode.cli import ether_text

# Runs mocknode.command.run() as the console script does, with a probe around it: a gc
# callback counts collections, stdout notes the count when the Listening line is
# printed, and a thread asks for eth_blockNumber until answered, notes the collector's
# state and which of the modules a first answer does not need were loaded, then stops
# the node with SIGINT.
SCRIPT = textwrap.dedent(
    r"""
    import gc, io, json, os, signal, socket, sys, threading, time

    UNNEEDED = ("decimal", "encodings.idna", "stringprep", "h11", "wsproto", "web3")

    port, flags = sys.argv[1], sys.argv[2:]
    seen = {"collections": 0}

    def count(phase, info):
        if phase == "start":
            seen["collections"] += 1

    gc.callbacks.append(count)

    class Stdout(io.StringIO):
        def write(self, text):
            if text.startswith("Listening on"):
                seen["at_listening"] = seen["collections"]
                seen["enabled_at_listening"] = gc.isenabled()
            return super().write(text)

    sys.stdout = Stdout()

    def ask():
        # A bare socket, no urllib: getaddrinfo on a str host would load the IDNA codec
        # in this process, which the node must not need. A plain keep-alive request, as
        # clients send (the node's fast path answers it without h11).
        body = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        with socket.socket() as sock:  # not create_connection: that calls getaddrinfo
            sock.settimeout(10)
            sock.connect(("127.0.0.1", int(port)))
            sock.sendall(head + body)
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        return json.loads(data.partition(b"\r\n\r\n")[2])

    def client():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = ask()
                break
            except OSError:
                time.sleep(0.01)
        seen["answer"] = answer
        seen["enabled_at_answer"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        seen["loaded"] = sorted(m for m in UNNEEDED if m in sys.modules)
        print(json.dumps(seen), file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=client, daemon=True).start()
    sys.argv = ["mocknode", "--port", port, "--no-ipc", *flags]
    from mocknode.command import run

    seen["collections"] = 0  # the probe's own imports above may have collected
    run()
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run_command(*flags: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(free_port()), *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    assert seen["answer"] == {"jsonrpc": "2.0", "id": 1, "result": "0x0"}
    return seen


@pytest.mark.parametrize("flags", [(), ("--no-gc-freeze", "--silent")])
def test_no_collection_before_listening_and_the_collector_on_when_serving(
    flags: tuple[str, ...],
) -> None:
    seen = run_command(*flags)
    assert seen["loaded"] == []  # nothing a first answer does not need, banner or not
    assert seen["at_listening"] == 0  # imports and the node's set-up ran no collection
    assert seen["enabled_at_listening"] is False
    assert seen["enabled_at_answer"] is True
    if "--no-gc-freeze" in flags:
        assert seen["frozen"] == 0  # --no-gc-freeze: nothing frozen, as before
    else:
        assert isinstance(seen["frozen"], int)
        assert seen["frozen"] > 10_000  # what start-up made, frozen at once as before


def test_a_collector_its_owner_turned_off_stays_off() -> None:
    script = textwrap.dedent(
        """
        import gc
        from mocknode.gcpause import pause_for_start_up, resume_after_start_up

        pause_for_start_up()
        assert not gc.isenabled()
        resume_after_start_up()
        assert gc.isenabled()
        resume_after_start_up()  # once only: the collector is the process's again
        gc.disable()
        resume_after_start_up()
        assert not gc.isenabled()
        pause_for_start_up()  # already off: the owner's choice, kept
        resume_after_start_up()
        assert not gc.isenabled()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def _amounts() -> list[int]:
    """Wei amounts around every digit count up to 2**256: whole ether, fractions, one wei
    either side, and seeded random amounts."""
    rng = random.Random(12)
    amounts = [0, 1, 10**17, 15 * 10**17, 2**256 - 1, 10_000 * ETHER]
    for digits in range(1, 79):
        power = 10**digits
        amounts += [power, power - 1, power + 1, power // 2 * 3, rng.randrange(power)]
        amounts += [power * ETHER, power * ETHER + 1, rng.randrange(power) * ETHER]
    return amounts


def test_the_banners_ether_amounts_are_decimals_own() -> None:
    """``ether_text`` prints what ``f"{Decimal(wei) / ETHER:f}"`` printed, for every
    size of amount (exact below Decimal's 28 digits, Decimal's rounding above)."""
    for wei in _amounts():
        assert ether_text(wei) == f"{Decimal(wei) / ETHER:f}", wei
