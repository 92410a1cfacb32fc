"""RTO/RPO evidence end to end: after a runbook run, a drill and a failover against the sandbox,
CloudWatch holds their metrics (read back with GetMetricData) in the region each ended in, SNS
carries the summary as an attribute, a webhook receives it as Block Kit, and `drctl report` /
`drctl runs show --format html` show the runs.

The runbook test runs first: the failover test leaves us-east-1 in an outage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drctl.aws.clients import ClientFactory
from drctl.aws.cloudwatch import CloudWatch
from drctl.sandbox import manager
from tests.blockkit import problems
from tests.e2e.helpers import Cli, inbox_messages, wait_for_replicated_heartbeat
from tests.webhook import receive

pytestmark = [pytest.mark.e2e, pytest.mark.sandbox(lag=2.0)]

SECRET = "T0KEN-report-e2e-9f2a"
# Reads the replica table's restore window in us-west-2: the recovery step, whose newest
# restorable time is the recovery point. No `notify:` of its own: the playbook's channels.
RUNBOOK = """---
id: read-window
title: Read the restore window of the replica table
owner: sre
last_validated: 2026-12-01
params:
  region: {type: string, default: us-west-2}
measures:
  recovery: window
  recovery_point: window.latest
---
# Read the restore window

```drctl
id: window
title: Read the restore window
action: aws.call
service: dynamodb
api: DescribeContinuousBackups
region: "{{ params.region }}"
args: {TableName: roadtrip-pois}
outputs:
  latest: $.ContinuousBackupsDescription.PointInTimeRecoveryDescription.LatestRestorableDateTime
```
"""


def metric(aws: ClientFactory, region: str, name: str, kind: str, since: datetime
           ) -> list[float]:
    watch = CloudWatch(aws.client("cloudwatch", region), region)
    return watch.metric_values("drctl", name, {"Playbook": "roadtrip", "Kind": kind},
                               since - timedelta(minutes=2), datetime.now(UTC) + timedelta(
                                   minutes=2))


def published(aws: ClientFactory, region: str) -> list[dict[str, Any]]:
    pages = aws.client("cloudwatch", region).get_paginator("list_metrics").paginate(
        Namespace="drctl")
    return [m for page in pages for m in page["Metrics"]]


def summaries(aws: ClientFactory, region: str) -> list[dict[str, Any]]:
    """The drctl.summary attribute of every SNS message in the region's inbox."""
    found = []
    for body in inbox_messages(aws, region):
        envelope = json.loads(body)
        attribute = envelope.get("MessageAttributes", {}).get("drctl.summary")
        if attribute:
            found.append(json.loads(attribute["Value"]))
    return found


def test_a_runbook_run_ends_with_its_summary_sent_and_its_metrics_published(
    sandbox, aws: ClientFactory, tmp_path: Path
) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    runbook = tmp_path / "read-window.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    began = datetime.now(UTC)
    inbox_messages(aws, "us-east-1")

    with receive(SECRET) as hook:
        done = cli("runbook", "run", str(runbook), "--json",
                   env={"DRCTL_WEBHOOK_URL": hook.url})
        assert done.returncode == 0, done.stderr
        run = json.loads(done.stdout)
        (body,) = hook.wait_for(1, timeout=10)  # sent before the command exits; no wait
    rto, rpo = run["rto_seconds"], run["rpo_seconds"]
    assert run["status"] == "succeeded" and rto is not None and rpo is not None

    # Published where the run ended (its `region` param), with the playbook it ran with.
    dims = {"Playbook": "roadtrip", "Kind": "runbook"}
    assert metric(aws, "us-west-2", "RTOSeconds", "runbook", began) == [rto]
    assert metric(aws, "us-west-2", "RPOSeconds", "runbook", began) == [rpo]
    assert metric(aws, "us-west-2", "Succeeded", "runbook", began) == [1.0]
    assert metric(aws, "us-east-1", "Succeeded", "runbook", began) == []
    assert {tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))
            for m in published(aws, "us-west-2")} == {tuple(sorted(dims.items()))}

    # The webhook: valid Block Kit naming the run and its figures, and no secret anywhere.
    payload = json.loads(body)
    assert problems(payload) == []
    assert run["run_id"] in payload["text"]
    assert "RTO" in json.dumps(payload) and "slowest step: window" in json.dumps(payload)
    assert SECRET not in done.stdout + done.stderr + body.decode()
    # SNS (the playbook's topic, in its primary region): the JSON summary as an attribute.
    (note,) = summaries(aws, "us-east-1")
    assert (note["run_id"], note["kind"], note["rto"]["seconds"]) == \
        (run["run_id"], "runbook", rto)

    # The footer printed (on stderr, stdout carries the JSON) names commands that work.
    assert "full report:" in done.stderr
    page = tmp_path / "run.html"
    assert f"drctl runs show {run['run_id']} --format html" in done.stderr
    shown = cli("runs", "show", run["run_id"], "--format", "html", "--out", str(page))
    assert shown.returncode == 0, shown.stderr
    assert run["run_id"] in page.read_text()
    assert "`drctl report --kind runbook`" in done.stderr
    report = cli.json("report", "--kind", "runbook")
    (group,) = report["groups"]
    assert (group["runbook"], group["run_ids"], group["rto"]["last"]) == \
        ("read-window", [run["run_id"]], rto)


def test_metrics_and_summaries_after_a_drill_and_a_failover(
    sandbox, aws: ClientFactory, tmp_path: Path
) -> None:
    cli = Cli(sandbox, tmp_path / "state")
    began = datetime.now(UTC)
    inbox_messages(aws, "us-east-1")
    inbox_messages(aws, "us-west-2")

    drills = cli.json("drill", "--kind", "pitr", "--target", "dynamodb:roadtrip-pois")
    assert len(drills) == 1  # `drill --json` is always an array of runs
    drill = drills[0]
    wait_for_replicated_heartbeat(aws, timeout=15)
    manager.outage(sandbox.state_dir, "us-east-1")
    failover = cli.json("failover", "--region", "us-west-2", "--yes")
    assert drill["status"] == failover["status"] == "succeeded"

    # The drill ended in us-east-1 (where it restored), the failover in us-west-2.
    assert metric(aws, "us-east-1", "RTOSeconds", "drill", began) == [drill["rto_seconds"]]
    assert metric(aws, "us-east-1", "RPOSeconds", "drill", began) == [drill["rpo_seconds"]]
    assert metric(aws, "us-east-1", "Succeeded", "drill", began) == [1.0]
    assert metric(aws, "us-west-2", "RTOSeconds", "failover", began) == \
        [failover["rto_seconds"]]
    assert metric(aws, "us-west-2", "RPOSeconds", "failover", began) == \
        [failover["rpo_seconds"]]
    assert metric(aws, "us-west-2", "Succeeded", "failover", began) == [1.0]
    assert metric(aws, "us-west-2", "Succeeded", "drill", began) == []
    for region in ("us-east-1", "us-west-2"):
        for m in published(aws, region):
            assert sorted(d["Name"] for d in m["Dimensions"]) == ["Kind", "Playbook"], m

    # SNS: plain text for people, the JSON summary as a message attribute.
    (drill_summary,) = summaries(aws, "us-east-1")
    assert drill_summary["run_id"] == drill["run_id"]
    assert drill_summary["rto"]["seconds"] == drill["rto_seconds"]
    failover_note = summaries(aws, "us-west-2")
    assert [n["run_id"] for n in failover_note] == [failover["run_id"]]
    assert failover_note[0]["summary"]["slowest_step"]["name"] in \
        [s["name"] for s in failover["steps"]]

    # The report and the one-run page name both runs.
    report = cli.json("report")
    by_kind = {g["kind"]: g for g in report["groups"]}
    assert by_kind["failover"]["run_ids"] == [failover["run_id"]]
    assert by_kind["failover"]["rto"]["last"] == failover["rto_seconds"]
    ages = {a["target"]: a["run_id"] for a in report["restore_age"]}
    # Every drill target of the (default) playbook: the one drilled, the others never.
    assert ages == {"dynamodb:roadtrip-pois": drill["run_id"], "rds:roadtrip-db": None,
                    "s3:roadtrip-media-us-east-1": None}
    page = tmp_path / "run.html"
    shown = cli("runs", "show", failover["run_id"], "--format", "html", "--out", str(page))
    assert shown.returncode == 0, shown.stderr
    assert failover["run_id"] in page.read_text()
