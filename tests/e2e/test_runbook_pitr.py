"""The shipped runbooks end to end against one sandbox. ddb-pitr-restore: people answering
from other processes and through a terminal, the table restored to the point the person
confirmed (its items read back) and the RPO measured from it, one run SIGKILLed at several
points then resumed with each side effect exactly once, an edited runbook refused, and its SSM
export accepted by the sandbox. Then rds-snapshot-restore and chaos-gameday.

Lean by design: one sandbox for the module, `poll=1s` instead of the runbook's 5 s default,
and the logic that needs no AWS (resume rules, lint, templates, timeouts) in tests/unit."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pexpect

from drctl.aws.clients import ClientFactory
from drctl.core.clock import parse_iso
from drctl.core.run import Run, RunStatus
from drctl.runbook.export_ssm import export_ssm
from drctl.runbook.load import load_runbook
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import ROOT, Cli
from tests.e2e.runbook_helpers import (
    announcements,
    answer_until_done,
    events_of,
    finished,
    newest_run,
    run_in_journal,
    second_person,
)

RUNBOOK = "runbooks/ddb-pitr-restore.md"
SUBJECT = "restored roadtrip-pois"
APPROVE = {"approve-restore"}
SOURCE = "roadtrip-pois"


def restored(aws: ClientFactory, table: str) -> dict[str, Any]:
    return aws.client("dynamodb", "us-east-1").describe_table(TableName=table)["Table"]


def told_about(aws: ClientFactory, table: str) -> int:
    return sum(f"into {table}," in m["Message"] for m in announcements(aws, SUBJECT))


@dataclass(frozen=True)
class Damage:
    """An item written before the restore point, the point, and the damage written after it."""

    kept: str
    point: str  # ISO 8601, milliseconds (as the restore request carries it)
    damage: str


def damage_after_a_point(aws: ClientFactory) -> Damage:
    dynamo = aws.client("dynamodb", "us-east-1")
    tag = uuid.uuid4().hex[:8]
    kept, damage = f"kept-{tag}", f"damage-{tag}"
    dynamo.put_item(TableName=SOURCE, Item={"poi_id": {"S": kept}})
    time.sleep(0.02)  # the point is strictly between the two writes, at millisecond precision
    point = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(0.02)
    dynamo.put_item(TableName=SOURCE, Item={"poi_id": {"S": damage}})
    return Damage(kept, point, damage)


def assert_restored_to(aws: ClientFactory, table: str, damage: Damage) -> dict[str, Any]:
    """The new table is the source as it was at the confirmed point: what was written before
    it, not the damage after it (read back from the sandbox, which keeps PITR's history)."""
    described = restored(aws, table)
    assert described["TableStatus"] == "ACTIVE"
    assert described["RestoreSummary"]["RestoreDateTime"] == parse_iso(damage.point)
    items = aws.client("dynamodb", "us-east-1").scan(TableName=table)["Items"]
    ids = {item["poi_id"]["S"] for item in items}
    assert damage.kept in ids and damage.damage not in ids
    return described


def params(table: str, damage: Damage) -> list[str]:
    return ["--param", f"target_table={table}", "--param", f"restore_to={damage.point}",
            "--param", "poll=1s"]


def test_acks_and_approval_come_from_other_processes(sandbox: SandboxInfo, aws: ClientFactory,
                                                     tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    announcements(aws, SUBJECT)
    damage = damage_after_a_point(aws)
    proc = cli.spawn("runbook", "run", RUNBOOK, *params("pitr-acked", damage), "--json")
    approver = second_person(sandbox)
    started = time.monotonic()
    while (run := newest_run(cli)) is None or run.status is not RunStatus.WAITING:
        assert time.monotonic() - started < 60 and proc.poll() is None
        time.sleep(0.3)
    own = cli("approve", run.run_id)
    assert own.returncode == 2, own.stderr  # waiting at a manual step, not an approval
    done = answer_until_done(cli, proc, approver, APPROVE)
    code, result, err = finished(proc)
    assert code == 0, err
    assert done == ["confirm-point", "approve-restore", "check-data"]
    assert result["status"] == "succeeded"
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["approve-restore"]["output"]["approved_by"]["aws"].endswith(":user/approver")
    assert steps["check-data"]["output"]["note"] == "did check-data"
    assert_restored_to(aws, "pitr-acked", damage)
    assert told_about(aws, "pitr-acked") == 1
    # RPO: what the new table lacks, from the confirmed point to the run's start (DESIGN §4).
    assert result["rpo_source"] == "steps.describe-restored.outputs.restore_point"
    assert result["rpo_seconds"] == round(
        (parse_iso(result["started_at"]) - parse_iso(damage.point)).total_seconds(), 3)
    assert result["rpo_seconds"] > 0
    timeline = cli("runbook", "timeline", result["run_id"], "--json")
    entries = {e["step"]: e for e in json.loads(timeline.stdout)["entries"]}
    assert entries["approve-restore"]["by"].endswith(":user/approver)")
    assert any("did confirm-point" in note for note in entries["confirm-point"]["notes"])
    assert any(note.startswith("called dynamodb RestoreTableToPointInTime in us-east-1")
               and damage.point in note for note in entries["restore"]["notes"])


@contextmanager
def at_a_terminal(cli: Cli, *args: str) -> Iterator[pexpect.spawn]:
    """`drctl runbook run ARGS` in a pseudo-terminal, as a person runs it; closed after."""
    child = pexpect.spawn(sys.executable, ["-m", "drctl", "runbook", "run", *args],
                          cwd=str(ROOT), env=cli.env(), encoding="utf-8", timeout=120,
                          dimensions=(50, 300))
    try:
        yield child
    finally:
        child.close(force=True)


def ended(cli: Cli, child: pexpect.spawn, code: int) -> Run:
    """The terminal's run once it exited with `code`, from the journal."""
    assert child.exitstatus == code, child.before
    run = newest_run(cli)
    assert run is not None
    return run


def test_a_person_answers_at_the_terminal(sandbox: SandboxInfo, aws: ClientFactory,
                                          tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    approver = second_person(sandbox)
    damage = damage_after_a_point(aws)
    with at_a_terminal(cli, RUNBOOK, *params("pitr-tty", damage)) as child:
        child.expect("step 3/9")
        child.expect(f"as it was at {damage.point}")  # the point the restore will use
        child.expect("Press Enter when done")
        child.sendline("the damage began at 09:12")
        child.expect("waiting for approval")
        run = newest_run(cli)
        assert run is not None
        assert cli("approve", run.run_id, env=approver).returncode == 0
        child.expect("step 8/9")
        child.expect("Press Enter when done")
        # The person answers from another shell while the terminal still asks.
        acked = cli("runbook", "ack", run.run_id, "--note", "spot-checked from my laptop")
        assert acked.returncode == 0, acked.stderr
        child.expect(pexpect.EOF)
    run = ended(cli, child, 0)
    assert run.status is RunStatus.SUCCEEDED
    assert run.step("confirm-point").output["note"] == "the damage began at 09:12"
    assert run.step("confirm-point").output["via"] == "terminal"
    assert run.step("check-data").output["via"] == "drctl runbook ack"
    assert_restored_to(aws, "pitr-tty", damage)


ASKS = """---
id: asks
title: A person is asked at the terminal
---
```drctl
id: look
action: manual
instructions: Look at the dashboards
timeout: 4s
```

```drctl
id: after
action: sleep
duration: 0s
```
"""


def test_a_question_nobody_answers_at_the_terminal_ends_at_the_steps_timeout(
        sandbox: SandboxInfo, tmp_path: Path) -> None:
    """Nobody answers the terminal: the step ends at its timeout (the run aborted, exit 3)."""
    cli = Cli(sandbox, tmp_path / "state")
    path = tmp_path / "asks.md"
    path.write_text(ASKS)
    with at_a_terminal(cli, str(path)) as child:
        child.expect("waits up to 4s")
        child.expect("step look was not acknowledged within 4s")
        child.expect(pexpect.EOF)
    run = ended(cli, child, 3)
    assert run.status is RunStatus.ABORTED
    assert run.step("after").status.name == "PENDING"


def unattended_copy(tmp_path: Path) -> Path:
    """The shipped runbook without its people steps: the same restore, wait and publish
    (people answering is shown by the tests above)."""
    text = (ROOT / RUNBOOK).read_text()
    for step in ("confirm-point", "approve-restore", "check-data"):
        start = text.index(f"```drctl\nid: {step}\n")
        text = text[:start] + text[text.index("```\n", start + 8) + 4:]
    copy = tmp_path / "pitr-unattended.md"
    copy.write_text(text)
    return copy


def test_sigkill_at_several_points_then_resume_does_each_side_effect_once(
        sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path) -> None:
    """One run SIGKILLed three times (after the restore, while waiting for it, as the publish
    is announced), an edited runbook refused in between; the sandbox shows one restore (to
    the confirmed point) and one announcement."""
    cli = Cli(sandbox, tmp_path / "state")
    announcements(aws, SUBJECT)
    copy = unattended_copy(tmp_path)
    damage = damage_after_a_point(aws)
    killed = cli("runbook", "run", str(copy), *params("pitr-killed", damage),
                 env={"DRCTL_CRASH_AT": "step_succeeded:restore"})
    assert killed.returncode == -9  # SIGKILL, at the crash point
    run = newest_run(cli)
    assert run is not None and run.effective_status is RunStatus.INTERRUPTED

    original = copy.read_text()
    copy.write_text(original.replace('interval: "{{ params.poll }}"', "interval: 10s"))
    edited = cli("runbook", "resume", run.run_id)
    assert edited.returncode == 2 and "wait-active changed" in " ".join(edited.stderr.split())
    copy.write_text(original)

    for crash_at in ("step_started:wait-active", "runbook_call:announce"):
        again = cli("runbook", "resume", run.run_id, env={"DRCTL_CRASH_AT": crash_at})
        assert again.returncode == -9, again.stderr
    # The publish was announced, then the process died: did it happen? Resume asks; without
    # a terminal it stops (exit 3) and says how to go on.
    refused = cli("runbook", "resume", run.run_id)
    assert refused.returncode == 3, refused.stderr
    assert f"drctl runbook resume {run.run_id} --rerun announce" in " ".join(
        refused.stderr.split())
    assert told_about(aws, "pitr-killed") == 0  # the sandbox says it did not happen
    resumed = cli("runbook", "resume", run.run_id, "--rerun", "announce", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    assert_restored_to(aws, "pitr-killed", damage)
    assert told_about(aws, "pitr-killed") == 1
    calls = [e for e in events_of(cli, run.run_id)
             if e.type == "runbook_call" and e.step == "restore"]
    assert len(calls) == 1  # the restore was asked for once, never repeated by a resume
    over = cli("runbook", "resume", run.run_id)
    assert over.returncode == 2 and "nothing to resume" in " ".join(over.stderr.split())


def test_the_export_is_accepted_by_ssm(sandbox: SandboxInfo, aws: ClientFactory) -> None:
    document = export_ssm(load_runbook(ROOT / RUNBOOK))
    ssm = aws.client("ssm", "us-east-1")
    created = ssm.create_document(Content=json.dumps(document), Name="ddb-pitr-restore",
                                  DocumentType="Automation", DocumentFormat="JSON")
    described = created["DocumentDescription"]
    assert described["DocumentType"] == "Automation" and described["Status"] == "Active"
    assert {p["Name"] for p in described["Parameters"]} == {
        "source_table", "target_table", "restore_to", "region", "topic_arn", "poll",
        "Approvers"}
    stored = json.loads(ssm.get_document(Name="ddb-pitr-restore")["Content"])
    assert [s["name"] for s in stored["mainSteps"]] == [
        "drctl-region-check", *(s.id for s in load_runbook(ROOT / RUNBOOK).steps)]


def test_rds_snapshot_restore_runbook(sandbox: SandboxInfo, aws: ClientFactory,
                                      tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    proc = cli.spawn("runbook", "run", "runbooks/rds-snapshot-restore.md", "--json")
    done = answer_until_done(cli, proc, second_person(sandbox), {"approve-restore"})
    code, result, err = finished(proc)
    assert code == 0, err
    assert done == ["approve-restore", "hand-over"]
    rds = aws.client("rds", "us-east-1")
    [snapshot] = rds.describe_db_snapshots(
        DBSnapshotIdentifier="roadtrip-db-runbook")["DBSnapshots"]
    [instance] = rds.describe_db_instances(
        DBInstanceIdentifier="roadtrip-db-restored")["DBInstances"]
    assert instance["DBInstanceStatus"] == "available"
    assert result["rpo_seconds"] == max(0.0, round(
        (parse_iso(result["started_at"]) - snapshot["SnapshotCreateTime"]).total_seconds(), 3))
    assert result["rto_met"] is True


def test_chaos_gameday_runbook(sandbox: SandboxInfo, tmp_path: Path) -> None:
    """The game day as the team runs it, at a terminal (no extra processes to answer): the
    kill switch, the experiment, the drill and the report are real sub-runs in the journal."""
    cli = Cli(sandbox, tmp_path / "state")
    report = tmp_path / "gameday.md"
    with at_a_terminal(cli, "runbooks/chaos-gameday.md", "--param", f"report={report}") \
            as child:
        child.timeout = 300  # four drctl sub-processes, the experiment's its own child too
        child.expect("step 1/6")
        child.expect("Press Enter when done")
        child.sendline("the team is in the room")
        child.expect("step 6/6")
        child.expect("Press Enter when done")
        child.sendline("follow-ups filed")
        child.expect(pexpect.EOF)
    run = ended(cli, child, 0)
    assert run.status is RunStatus.SUCCEEDED
    assert run.step("review").output["note"] == "follow-ups filed"
    experiment = run_in_journal(cli, run.step("experiment").output["run_id"])
    drill = run_in_journal(cli, run.step("drill").output["run_id"])
    assert (experiment.kind, drill.kind) == ("chaos", "drill")
    assert drill.status is RunStatus.SUCCEEDED and experiment.to_dict()["verdict"] == "passed"
    text = report.read_text()  # the report of both: the experiment's kind, the drill's run
    assert "| chaos |" in text and drill.run_id in text
