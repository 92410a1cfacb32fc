"""When the failover criteria hold (drctl/controller/detect.py): any/all, for how long, from
the alarms' own transition times."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.aws.cloudwatch import AlarmState
from drctl.controller.detect import evaluate, watched_alarms
from drctl.playbook.loader import load_playbook
from drctl.playbook.schema import Playbook
from tests.unit.helpers import T0
from tests.unit.test_playbook_loader import ROADTRIP


def playbook(**failover: Any) -> Playbook:
    base = load_playbook(ROADTRIP)
    detection = base.detection.model_copy(update={
        "failover": base.detection.failover.model_copy(update=failover)})
    return base.model_copy(update={"detection": detection})


def alarm(name: str, state: str, seconds_ago: float) -> AlarmState:
    return AlarmState(name, state, T0 - timedelta(seconds=seconds_ago), "")


def test_any_alarm_in_alarm_for_30s_by_default() -> None:
    states = [alarm("a", "ALARM", 29), alarm("b", "OK", 100)]
    detection, due = evaluate(load_playbook(ROADTRIP), "us-east-1", states, T0)
    assert detection is None and due == T0 + timedelta(seconds=1)
    detection, due = evaluate(load_playbook(ROADTRIP), "us-east-1", states,
                              T0 + timedelta(seconds=1))
    assert detection is not None and due is None
    assert detection.alarms == ("a",) and detection.holds_since == T0 - timedelta(seconds=29)
    assert detection.met_at == T0 + timedelta(seconds=1)


def test_all_waits_for_the_last_alarm_and_counts_from_its_transition() -> None:
    strict = playbook(when="all", for_=10.0)
    one = [alarm("a", "ALARM", 60), alarm("b", "OK", 60)]
    assert evaluate(strict, "us-east-1", one, T0) == (None, None)
    both = [alarm("a", "ALARM", 60), alarm("b", "ALARM", 4)]
    detection, due = evaluate(strict, "us-east-1", both, T0)
    assert detection is None and due == T0 + timedelta(seconds=6)


def test_nothing_in_alarm_is_no_detection() -> None:
    states = [alarm("a", "OK", 5), alarm("b", "INSUFFICIENT_DATA", 5)]
    assert evaluate(load_playbook(ROADTRIP), "us-east-1", states, T0) == (None, None)


def test_the_criteria_may_name_a_subset_of_the_detection_alarms() -> None:
    assert watched_alarms(playbook(alarms=["roadtrip-api-5xx-{region}"]), "us-west-2") == [
        "roadtrip-api-5xx-us-west-2"]
    assert len(watched_alarms(load_playbook(ROADTRIP), "us-east-1")) == 2


def test_detection_latency_is_measured_from_the_criteria_being_met() -> None:
    detection, _ = evaluate(playbook(for_=2.0), "us-east-1", [alarm("a", "ALARM", 5)], T0)
    assert detection is not None
    data = detection.to_dict(T0 + timedelta(seconds=0.5))
    assert data["latency_seconds"] == 3.5 and data["since_transition_seconds"] == 5.5


def test_the_controller_policy_adds_the_store_the_canary_and_the_alarm_queue() -> None:
    from drctl.controller.iam import controller_policy

    book = load_playbook(ROADTRIP)
    book = book.model_copy(update={"detection": book.detection.model_copy(
        update={"topic": "drctl-detection-alarms"})})
    policy = controller_policy(book, "123", ("drctl-state", "us-east-1"))
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert {"SwitchDns", "SharedStore", "RpoCanary", "AlarmQueue"} <= set(sids)
    assert sids["SharedStore"]["Resource"] == ["arn:aws:dynamodb:*:123:table/drctl-state"]
    assert "dynamodb:DescribeTable" in sids["SharedStore"]["Action"]
    assert "dynamodb:CreateTable" not in sids["SharedStore"]["Action"]  # it never creates it
    assert "arn:aws:dynamodb:us-west-2:123:table/roadtrip-heartbeats" in sids["RpoCanary"][
        "Resource"]
    # What the queue sweep (dead controllers' queues) and the outage signal call.
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"sqs:ListQueues", "sqs:ListQueueTags", "sqs:TagQueue", "sns:ListSubscriptionsByTopic",
            "route53:GetHealthCheckStatus"} <= actions
