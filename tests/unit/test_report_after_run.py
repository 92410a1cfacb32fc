"""After a run: the summary printed, sent through the channels (Block Kit for webhooks), and
the metrics handed to the publisher -- through the real engine, on the fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.notify.base import Channel, MemoryChannel, Notification
from drctl.notify.channels import ConsoleChannel, WebhookChannel
from drctl.notify.slack import block_kit
from drctl.report.after_run import AfterRun, PerPlaybook
from drctl.report.metrics import run_metrics
from drctl.report.records import RunRecord
from drctl.store.memory import MemoryStore
from tests.blockkit import problems
from tests.unit.helpers import T0
from tests.unit.report_journal import JournalBuilder
from tests.webhook import Received, receive

SECRET = "T000/B000/s3cr3t-hook-token"


class Setup:
    def __init__(self, channels: list[Channel], publish_fails: bool = False,
                 brief: bool = False) -> None:
        self.store, self.clock = MemoryStore(), FakeClock(T0)
        self.shown: list[str] = []
        self.published: list[RunRecord] = []
        self.asked: list[str] = []

        def publish(record: RunRecord) -> str:
            if publish_fails:
                raise RuntimeError("AccessDenied: cloudwatch:PutMetricData")
            self.published.append(record)
            return record.region or "?"

        def channels_for(region: str) -> tuple[list[Channel], list[str]]:
            self.asked.append(region)
            return channels, []

        after = AfterRun(self.store, self.clock, channels_for, publish, self.shown.append,
                         region="us-east-1", brief=brief)
        self.build = JournalBuilder(Engine(self.store, self.clock, [after]), self.clock)


def test_a_drill_is_summarised_sent_and_published() -> None:
    inbox, console = MemoryChannel("sns:drctl"), MemoryChannel("console")
    setup = Setup([inbox, console])
    for restore in (100, 110, 90):
        setup.build.drill("rds:roadtrip-db", "snapshot", restore=restore)
        setup.build.next_day()
    run_id = setup.build.drill("rds:roadtrip-db", "snapshot", restore=400, snapshot_age=1200)

    text = setup.shown[-1]
    assert text.splitlines()[0] == (f"drctl drill {run_id} (rds:roadtrip-db) succeeded: "
                                    "targets MISSED")
    assert "RTO 6m42s (target 1h00m00s, met)" in text
    assert "RPO 20m00s (target 15m00s, MISSED)" in text
    assert "slowest step: restore 6m40s" in text
    assert "REGRESSION: RTO was 6m42s, p50 of the last 3 runs 1m42s" in text
    assert "REGRESSION: restore took 6m40s, p50 of the last 3 runs 1m40s" in text
    assert f"`drctl runs show {run_id} --format html --out {run_id}.html`" in text
    assert "`drctl report --playbook roadtrip --kind drill`" in text
    # Sent once per drill through the drill's region; the console channel is not used twice.
    assert setup.asked == ["us-east-1"] * 4 and console.sent == []
    note = inbox.sent[-1]
    assert note.data["run_id"] == run_id and note.data["targets_met"] is False
    assert [r["what"] for r in note.data["regressions"]] == ["RTO", "restore"]
    assert [r.run_id for r in setup.published][-1] == run_id


def test_a_failover_whose_notify_step_ran_is_not_sent_twice() -> None:
    inbox = MemoryChannel("sns:drctl")
    setup = Setup([inbox])
    run_id = setup.build.failover(3, rpo=10)
    assert inbox.sent == [] and setup.shown == []
    assert [r.run_id for r in setup.published] == [run_id]


def test_a_failover_that_failed_before_notify_is_announced() -> None:
    inbox = MemoryChannel("sns:drctl")
    setup = Setup([inbox])
    run_id = setup.build.failover(3, rpo=10, smoke_fails=True)
    assert inbox.sent[0].subject == f"[drctl] failover failed: RTO not measured ({run_id})"
    assert "error: smoke_test failed on purpose" in inbox.sent[0].text


def test_a_command_that_renders_its_run_gets_only_the_footer_printed() -> None:
    """Issue 9 item 18: `drctl drill` renders the run (its error, RTO/RPO) itself; the
    after-run summary must not print them again -- but still sends them in full."""
    inbox = MemoryChannel("sns:drctl")
    setup = Setup([inbox], brief=True)
    run_id = setup.build.drill("rds:roadtrip-db", "snapshot", restore=100, validates=False)
    (shown,) = setup.shown
    assert "failed on purpose" not in shown and "RTO" not in shown and "RPO" not in shown
    assert shown.splitlines() == [
        "slowest step: restore 1m40s",
        f"full report: `drctl runs show {run_id} --format html --out {run_id}.html`  |  "
        "`drctl report --playbook roadtrip --kind drill`"]
    assert "error: validate failed on purpose" in inbox.sent[0].text
    assert "RTO not measured" in inbox.sent[0].subject


def test_failing_channels_and_metrics_never_fail_the_run() -> None:
    setup = Setup([MemoryChannel("webhook", fail=True)], publish_fails=True)
    run_id = setup.build.chaos(passes=True)
    assert setup.store.events(run_id)[-1].data["status"] == "succeeded"
    assert setup.shown[0].endswith("`drctl report --playbook roadtrip --kind chaos`")
    assert "chaos verdict: passed" in setup.shown[0]


def test_metrics_have_exactly_two_dimensions_and_skip_unmeasured_figures() -> None:
    setup = Setup([])
    setup.build.failover(3, rpo=10, smoke_fails=True)
    (record,) = setup.published
    data = {d.name: d for d in run_metrics(record)}
    assert set(data) == {"Succeeded", "RPOSeconds"}  # the RTO was not measured: not sent as 0
    assert data["Succeeded"].value == 0.0 and data["RPOSeconds"].value == 10.0
    assert data["RPOSeconds"].dimensions == (("Playbook", "roadtrip"), ("Kind", "failover"))
    assert data["Succeeded"].timestamp == record.ended_at


# --- the webhook, over real HTTP on loopback ---------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Received]:
    with receive(SECRET) as received:
        yield received


def test_webhook_summary_is_block_kit_without_secrets(receiver: Received) -> None:
    setup = Setup([WebhookChannel(receiver.url, "DRCTL_WEBHOOK_URL"), ConsoleChannel(print)])
    run_id = setup.build.drill("dynamodb:roadtrip-pois", "pitr", restore=30, validates=False)

    (body,) = receiver.bodies
    payload = json.loads(body)
    assert problems(payload) == []
    assert payload["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": f"[drctl] drill failed: RTO not measured ({run_id})"}}
    assert "RTO - (target 1h00m00s, not measured)" in json.dumps(payload)
    assert SECRET not in body.decode()


def test_block_kit_escapes_and_splits_within_slack_limits() -> None:
    note = Notification("x" * 200, "error: <@here> & <https://evil|click>\n" + "y" * 5000,
                        {"run_id": "fa-1"})
    payload = block_kit(note)
    assert problems(payload) == []
    assert len(payload["blocks"][0]["text"]["text"]) == 150
    assert "&lt;@here&gt; &amp; &lt;https://evil|click&gt;" in payload["blocks"][1]["text"]["text"]
    assert [b["type"] for b in payload["blocks"]] == \
        ["header", "section", "section", "section", "context"]


def test_per_playbook_routes_each_run_to_its_own_playbook() -> None:
    store, clock = MemoryStore(), FakeClock(T0)
    shown: dict[str, list[str]] = {"roadtrip": [], "other": []}

    def after(name: str) -> AfterRun:
        return AfterRun(store, clock, None, None, shown[name].append, region="us-east-1")

    routed = PerPlaybook(store, {"roadtrip": after("roadtrip"), "other": after("other")})
    build = JournalBuilder(Engine(store, clock, [routed]), clock)
    run_id = build.chaos(passes=True)
    unserved = build.engine.start("chaos", {"playbook": "not-served"})
    build.engine.emit(unserved, "run_finished", status="succeeded")
    assert [text.split()[2] for text in shown["roadtrip"]] == [run_id]
    assert shown["other"] == []
