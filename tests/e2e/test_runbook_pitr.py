"""runbooks/ddb-pitr-restore.md end to end against the sandbox: people answering from other
processes and through a terminal, SIGKILL at several points then resume, each side effect
exactly once (read back from the sandbox), and its SSM export accepted by the sandbox."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pexpect
import pytest

from drctl.aws.clients import ClientFactory
from drctl.core.clock import parse_iso
from drctl.core.run import RunStatus
from drctl.runbook.export_ssm import export_ssm
from drctl.runbook.load import load_runbook
from drctl.sandbox.manager import SandboxInfo
from tests.e2e.helpers import ROOT, Cli
from tests.e2e.runbook_helpers import (
    announcements,
    answer_until_done,
    finished,
    newest_run,
    second_person,
)

RUNBOOK = "runbooks/ddb-pitr-restore.md"
SUBJECT = "restored roadtrip-pois"
APPROVE = {"approve-restore"}


def restored(aws: ClientFactory, table: str) -> dict[str, object]:
    return aws.client("dynamodb", "us-east-1").describe_table(TableName=table)["Table"]


def told_about(aws: ClientFactory, table: str) -> int:
    return sum(f"into {table}," in m["Message"] for m in announcements(aws, SUBJECT))


def test_acks_and_approval_come_from_other_processes(sandbox: SandboxInfo, aws: ClientFactory,
                                                     tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    announcements(aws, SUBJECT)
    proc = cli.spawn("runbook", "run", RUNBOOK, "--param", "target_table=pitr-acked", "--json")
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
    assert done == ["choose-point", "approve-restore", "check-data"]
    assert result["status"] == "succeeded"
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["approve-restore"]["output"]["approved_by"]["aws"].endswith(":user/approver")
    assert steps["check-data"]["output"]["note"] == "did check-data"
    table = restored(aws, "pitr-acked")
    assert table["TableStatus"] == "ACTIVE"
    assert told_about(aws, "pitr-acked") == 1
    # RPO: the restore point the table reports, against the run's start (DESIGN §4).
    point = table["RestoreSummary"]["RestoreDateTime"]
    started_at = result["started_at"]
    assert result["rpo_source"] == "steps.describe-restored.outputs.restore_point"
    assert result["rpo_seconds"] == max(0.0, round(
        (parse_iso(started_at) - point).total_seconds(), 3))
    timeline = cli("runbook", "timeline", result["run_id"], "--format", "md")
    assert timeline.returncode == 0
    assert ":user/approver)" in timeline.stdout and "did choose-point" in timeline.stdout
    assert "called dynamodb RestoreTableToPointInTime in us-east-1" in timeline.stdout


def test_a_person_answers_at_the_terminal(sandbox: SandboxInfo, aws: ClientFactory,
                                          tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    approver = second_person(sandbox)
    child = pexpect.spawn(sys.executable, ["-m", "drctl", "runbook", "run", RUNBOOK,
                                           "--param", "target_table=pitr-tty"],
                          cwd=str(ROOT), env=cli.env(), encoding="utf-8", timeout=120,
                          dimensions=(50, 300))
    try:
        child.expect("step 3/9")
        child.expect("Press Enter when done")
        child.sendline("the damage began at 09:12")
        child.expect("waiting for approval")
        run = newest_run(cli)
        assert run is not None
        assert cli("approve", run.run_id, env=approver).returncode == 0
        child.expect("step 8/9")
        child.expect("Press Enter when done")
        child.sendline("")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    run = newest_run(cli)
    assert run is not None and run.status is RunStatus.SUCCEEDED
    assert run.step("choose-point").output["note"] == "the damage began at 09:12"
    assert run.step("choose-point").output["via"] == "terminal"
    assert restored(aws, "pitr-tty")["TableStatus"] == "ACTIVE"


def unattended_copy(tmp_path: Path) -> Path:
    """The shipped runbook without its people steps: the same restore, wait and publish,
    quick to run again and again (people answering is shown by the tests above)."""
    text = (ROOT / RUNBOOK).read_text()
    for step in ("choose-point", "approve-restore", "check-data"):
        start = text.index(f"```drctl\nid: {step}\n")
        text = text[:start] + text[text.index("```\n", start + 8) + 4:]
    copy = tmp_path / "pitr-unattended.md"
    copy.write_text(text)
    return copy


@pytest.mark.parametrize(("crash_at", "table"), [
    ("step_succeeded:restore", "pitr-kill-after-restore"),
    ("step_started:wait-active", "pitr-kill-in-wait"),
    ("runbook_call:announce", "pitr-kill-before-publish"),
])
def test_sigkill_then_resume_does_each_side_effect_once(
        sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path, crash_at: str,
        table: str) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    announcements(aws, SUBJECT)
    path = str(unattended_copy(tmp_path))
    killed = cli("runbook", "run", path, "--param", f"target_table={table}",
                 env={"DRCTL_CRASH_AT": crash_at})
    assert killed.returncode == -9  # SIGKILL, at the crash point
    run = newest_run(cli)
    assert run is not None and run.effective_status is RunStatus.INTERRUPTED
    args = ["runbook", "resume", run.run_id, "--json"]
    if crash_at.startswith("runbook_call:"):
        # The publish was announced, then the process died: did it happen? Resume asks;
        # without a terminal it stops (exit 3) and says how to go on.
        refused = cli("runbook", "resume", run.run_id)
        assert refused.returncode == 3, refused.stderr
        said = " ".join(refused.stderr.split())  # as printed, wrapped or not
        assert f"drctl runbook resume {run.run_id} --rerun announce" in said
        assert told_about(aws, table) == 0  # the sandbox says it did not happen
        args += ["--rerun", "announce"]
    resumed = cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    assert restored(aws, table)["TableStatus"] == "ACTIVE"  # a second restore would fail
    assert told_about(aws, table) == 1
    again = cli("runbook", "resume", run.run_id)
    assert again.returncode == 2 and "nothing to resume" in " ".join(again.stderr.split())


def test_resume_refuses_an_edited_runbook(sandbox: SandboxInfo, aws: ClientFactory,
                                          tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    copy = tmp_path / "pitr.md"
    shutil.copy(ROOT / RUNBOOK, copy)
    proc = cli.spawn("runbook", "run", str(copy), "--param", "target_table=pitr-edited",
                     env={"DRCTL_CRASH_AT": "step_started:choose-point"})
    assert proc.wait(timeout=60) == -9
    copy.write_text(copy.read_text().replace("interval: 5s", "interval: 10s"))
    run = newest_run(cli)
    assert run is not None
    refused = cli("runbook", "resume", run.run_id)
    assert refused.returncode == 2
    assert "wait-active changed" in " ".join(refused.stderr.split())
    after = newest_run(cli)
    assert after is not None and after.effective_status is RunStatus.INTERRUPTED


def test_the_export_is_accepted_by_ssm(sandbox: SandboxInfo, aws: ClientFactory) -> None:
    document = export_ssm(load_runbook(ROOT / RUNBOOK))
    ssm = aws.client("ssm", "us-east-1")
    created = ssm.create_document(Content=json.dumps(document), Name="ddb-pitr-restore",
                                  DocumentType="Automation", DocumentFormat="JSON")
    described = created["DocumentDescription"]
    assert described["DocumentType"] == "Automation" and described["Status"] == "Active"
    assert {p["Name"] for p in described["Parameters"]} == {
        "source_table", "target_table", "region", "topic_arn", "Approvers"}
    stored = json.loads(ssm.get_document(Name="ddb-pitr-restore")["Content"])
    assert [s["name"] for s in stored["mainSteps"]] == [
        s.id for s in load_runbook(ROOT / RUNBOOK).steps]



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


def test_chaos_gameday_runbook(sandbox: SandboxInfo, aws: ClientFactory, tmp_path: Path) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    report = tmp_path / "gameday.md"
    proc = cli.spawn("runbook", "run", "runbooks/chaos-gameday.md", "--param",
                     f"report={report}", "--json")
    done = answer_until_done(cli, proc, second_person(sandbox), set())
    code, result, err = finished(proc)
    assert code == 0, err
    assert done == ["ready", "review"]
    steps = {s["name"]: s for s in result["steps"]}
    experiment = cli.json("runs", "show", steps["experiment"]["output"]["run_id"])
    drill = cli.json("runs", "show", steps["drill"]["output"]["run_id"])
    assert (experiment["kind"], drill["kind"]) == ("chaos", "drill")
    assert drill["status"] == "succeeded"
    text = report.read_text()
    assert "chaos" in text and "drill" in text
