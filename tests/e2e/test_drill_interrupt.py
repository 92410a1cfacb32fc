"""Drills that are stopped part way still leave nothing behind.

The module's sandbox answers every drctl call 0.4 s late (its latency fault), so a drill takes
seconds and a signal can land inside a chosen step. SIGTERM: the drill cleans up itself and is
journaled as aborted. SIGKILL: `drctl drill cleanup` finds its resources by tag -- and leaves
alone tables that merely look like drill tables.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from drctl.sandbox import manager
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import Cli
from tests.e2e.test_drill import drill_resources

pytestmark = pytest.mark.e2e

LATENCY_MS = 400
DECOYS = ("roadtrip-pois-drill-manual", "roadtrip-pois-drill-halftagged")


@pytest.fixture
def slow(sandbox: SandboxInfo) -> Iterator[Callable[[], None]]:
    """Slows the sandbox down; call the result to make it fast again (for the checks)."""
    manager.set_faults(sandbox.state_dir, latency_ms=LATENCY_MS)

    def fast() -> None:
        manager.clear_faults(sandbox.state_dir)

    try:
        yield fast
    finally:
        manager.clear_faults(sandbox.state_dir)


@pytest.fixture
def cli(sandbox: SandboxInfo, tmp_path: Path, aws: ClientFactory) -> Iterator[Cli]:
    yield Cli(sandbox, tmp_path / "state")
    assert drill_resources(aws, spare=DECOYS) == []


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float = 30) -> str:
    """Read the drill's progress (stdout) until a line contains `text`."""
    assert process.stdout is not None
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if text in line:
            return line
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"no line with {text!r} in: {''.join(seen)}")


def drill_run(cli: Cli) -> dict[str, Any]:
    runs = cli.json("runs", "list", "--kind", "drill")
    assert len(runs) == 1
    run: dict[str, Any] = cli.json("runs", "show", runs[0]["run_id"])
    return run


def test_sigterm_during_the_restore_cleans_up_and_journals_it(
    cli: Cli, aws: ClientFactory, slow: Callable[[], None]
) -> None:
    process = cli.spawn("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois")
    wait_for_line(process, "restoring roadtrip-pois into")

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    slow()

    assert process.returncode == 3, err  # aborted by the operator, as every command
    run = drill_run(cli)
    steps = {s["name"]: s for s in run["steps"]}
    assert steps["restore"]["status"] == "failed" and "interrupted" in steps["restore"]["error"]
    assert steps["cleanup"]["status"] == "succeeded"
    assert run["status"] == "aborted" and "cleaned up" in run["error"]
    assert run["cleanup"]["status"] == "done"
    assert run["rto_seconds"] is None and run["rto_met"] is None  # not measured, not missed


def test_a_reader_that_goes_away_does_not_cut_the_drill_short(
    cli: Cli, aws: ClientFactory, slow: Callable[[], None]
) -> None:
    """`drctl drill ... | head -3`: the pipe closes mid-run. The drill still validates, cleans
    up and ends as it would have (it used to end 'failed' with its table left behind)."""
    process = cli.spawn("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois")
    wait_for_line(process, "restoring roadtrip-pois into")
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone

    _, err = process.communicate(timeout=120)
    slow()

    assert process.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    run = drill_run(cli)
    assert run["status"] == "succeeded", run.get("error")
    assert run["cleanup"]["status"] == "done"


def test_after_sigkill_drill_cleanup_removes_only_tagged_drill_resources(
    cli: Cli, aws: ClientFactory, slow: Callable[[], None]
) -> None:
    ddb = aws.client("dynamodb", "us-east-1")
    decoys = make_decoys(ddb)
    process = cli.spawn("drill", "--kind", "snapshot", "--target", "dynamodb:roadtrip-pois")
    wait_for_line(process, "validate")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    slow()
    left = [t for t in ddb.list_tables()["TableNames"] if "-drill-" in t and t not in DECOYS]
    assert len(left) == 1, left  # the killed drill's restored table
    assert drill_run(cli)["status"] == "interrupted"

    # Another operator's sweep does not know this drill: it may still be running, so a young
    # one is left alone.
    other = Cli(cli.sandbox, cli.state_dir.parent / "other-operator")
    foreign = other("drill", "cleanup", "--json")
    assert foreign.returncode == 0, foreign.stderr
    assert left[0] in ddb.list_tables()["TableNames"]
    skipped = json.loads(foreign.stdout)["skipped"]
    assert [s["name"] for s in skipped] == left and "elsewhere" in skipped[0]["reason"]

    result = cli("drill", "cleanup", "--json")

    assert result.returncode == 0, result.stderr
    assert left[0] not in ddb.list_tables()["TableNames"]
    assert set(DECOYS) <= set(ddb.list_tables()["TableNames"])  # never touched
    for name in decoys:
        ddb.delete_table(TableName=name)
    sweeps = cli.json("runs", "list", "--kind", "drill-cleanup")
    assert len(sweeps) == 1 and sweeps[0]["status"] == "succeeded"


def make_decoys(ddb: Any) -> list[str]:
    """Tables named like drill tables that this tool did not make: one untagged, one carrying
    only half of the drill tags."""
    for name in DECOYS:
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    arn = ddb.describe_table(TableName=DECOYS[1])["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "drctl:drill", "Value": "dr-x"}])
    return list(DECOYS)


def journal_drill(cli: Cli, run_id: str, table: str, aborted: bool = False) -> None:
    """A drill of this journal whose process is gone (killed), or that `runs abort` ended."""
    from datetime import UTC, datetime

    from drctl.core.events import Event
    from drctl.store.sqlite import SqliteStore

    journal = SqliteStore(cli.state_dir / "journal.db")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    journal.append(Event(run_id, "run_started", datetime.now(UTC), data={
        "kind": "drill", "user": "alice", "host": socket.gethostname(),
        "pid": int(dead.stdout), "params": {"target": "dynamodb:roadtrip-pois",
                                            "restore_region": "us-east-1",
                                            "drill_resource": table}}))
    if aborted:
        journal.append(Event(run_id, "run_finished", datetime.now(UTC),
                             data={"status": "aborted", "error": "aborted: runs abort"}))
    journal.close()


def create_table(ddb: Any, name: str, tags: dict[str, str] | None = None) -> None:
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])


def test_an_untagged_table_of_a_killed_or_aborted_drill_is_deleted_by_its_journaled_name(
    cli: Cli, aws: ClientFactory
) -> None:
    """A drill killed between the restore (DynamoDB restores take no tags) and its tagging
    leaves an untagged table; the journal holds its exact name. Cleanup deletes it -- also
    after `runs abort` -- and reports, exiting 1 until it is gone, one that carries tags
    drctl did not put there."""
    ddb = aws.client("dynamodb", "us-east-1")
    killed, aborted, foreign = (f"roadtrip-pois-drill-{n}" for n in ("kill00", "abrt00", "frgn00"))
    journal_drill(cli, "dr-20260101T000000-kill00", killed)
    journal_drill(cli, "dr-20260101T000000-abrt00", aborted, aborted=True)
    journal_drill(cli, "dr-20260101T000000-frgn00", foreign)
    create_table(ddb, killed)
    create_table(ddb, aborted)
    create_table(ddb, foreign, {"owner": "alice"})
    try:
        for _ in range(2):  # reported on every sweep while it is there
            swept = cli("drill", "cleanup")
            assert swept.returncode == 1, swept.stdout + swept.stderr
            assert foreign in swept.stderr and "owner" in swept.stderr
        tables = ddb.list_tables()["TableNames"]
        assert killed not in tables and aborted not in tables and foreign in tables
    finally:
        ddb.delete_table(TableName=foreign)
    assert cli("drill", "cleanup").returncode == 0


def catches_sigterm(pid: int) -> bool:
    """Has the process installed a SIGTERM handler yet (SigCgt in /proc)?"""
    with open(f"/proc/{pid}/status") as status:
        mask = next(line for line in status if line.startswith("SigCgt:")).split()[1]
    return bool(int(mask, 16) & (1 << (signal.SIGTERM - 1)))


def test_sigterm_while_drctl_is_still_starting_is_a_clean_stop(cli: Cli) -> None:
    """Starting takes seconds on a busy machine (typer, boto3): a SIGTERM then must not kill
    drctl with 143 -- it is recorded from the first import of drctl's CLI and ends the command
    with the documented code before anything starts."""
    process = cli.spawn("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois")
    deadline = time.monotonic() + 30
    while not catches_sigterm(process.pid):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 3, err
    assert "stopped (SIGTERM) while drctl was starting; nothing was started" in err
    assert "Traceback" not in err
    assert cli.json("runs", "list") == []


def talks_to(pid: int, port: int) -> bool:
    """Has the process a TCP connection to 127.0.0.1:`port` (an AWS call to the sandbox)?"""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            inodes.add(os.readlink(fd))
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return any(int(row[2].split(":")[1], 16) == port and f"socket:[{row[9]}]" in inodes
               for row in rows)


def test_sigterm_during_the_preflight_creates_nothing_and_exits_3(
    cli: Cli, sandbox: SandboxInfo, slow: Callable[[], None]
) -> None:
    """The preflight reads AWS (here 2 s a call) before any drill's run exists: a stop
    there is the operator's stop like any other (exit 3), not 130 'the run is journaled'."""
    manager.set_faults(sandbox.state_dir, latency_ms=2000)  # `slow` puts it back
    port = int(sandbox.endpoint_url.rsplit(":", 1)[1].split("/")[0])
    process = cli.spawn("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois")
    deadline = time.monotonic() + 60
    while not talks_to(process.pid, port):  # its first AWS call: the preflight's
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)

    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    slow()

    assert process.returncode == 3, out + err
    assert "drill stopped (SIGTERM) before it started; nothing was created" in err, out + err
    assert cli.json("runs", "list") == []
