"""Fidelity fix: CloudWatch fires alarm actions; moto does not.

On AWS, when an alarm changes state, CloudWatch publishes its notification JSON to every SNS
topic in the actions for the new state (`AlarmActions` for ALARM, `OKActions`, and
`InsufficientDataActions`), if actions are enabled. moto only records the new state. This patch
makes moto's `set_alarm_state` -- which the sandbox's alarm evaluator, and anyone else, calls --
publish the same JSON, so a controller listening on the alarms' topic sees what it would see
on AWS. Tested in tests/e2e/test_sandbox_alarm_actions.py.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend
from moto.sns.models import sns_backends

_ORIGINAL: dict[str, Any] = {}
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)"}


def set_alarm_state(self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str,
                    state_value: str) -> None:
    alarm = self.alarms.get(alarm_name)
    old = alarm.state_value if alarm is not None else None
    _ORIGINAL["set_alarm_state"](self, alarm_name, reason, reason_data, state_value)
    alarm = self.alarms[alarm_name]
    if old != state_value and alarm.actions_enabled:
        publish_actions(self, alarm, str(old))


def notification(backend: CloudWatchBackend, alarm: Any, old: str) -> dict[str, Any]:
    """The JSON CloudWatch publishes on a state change (the documented message fields)."""
    return {
        "AlarmName": alarm.name, "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": _stamp(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason,
        "StateChangeTime": _stamp(alarm.state_updated_timestamp),
        "Region": REGION_NAMES.get(alarm.region_name, alarm.region_name),
        "AlarmArn": alarm.alarm_arn, "OldStateValue": old,
        "OKActions": list(alarm.ok_actions), "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace,
                    "StatisticType": "Statistic", "Statistic": str(alarm.statistic).upper(),
                    "Unit": alarm.unit, "Dimensions": [
                        {"name": d.name, "value": d.value} for d in alarm.dimensions],
                    "Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods,
                    "ComparisonOperator": alarm.comparison_operator,
                    "Threshold": alarm.threshold},
    }


def publish_actions(backend: CloudWatchBackend, alarm: Any, old: str) -> None:
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
               "INSUFFICIENT_DATA": alarm.insufficient_data_actions}[alarm.state_value] or []
    message = json.dumps(notification(backend, alarm, old))
    region = REGION_NAMES.get(alarm.region_name, alarm.region_name)
    subject = f'{alarm.state_value}: "{alarm.name}" in {region}'[:99]
    for arn in actions:
        parts = arn.split(":")
        if len(parts) >= 6 and parts[2] == "sns":
            sns_backends[parts[4]][parts[3]].publish(message, arn=arn, subject=subject)


def _stamp(value: Any) -> str:
    text = value.isoformat(timespec="milliseconds") if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "") + "+0000"


def apply_alarm_actions() -> list[str]:
    """Patch moto in this process (idempotent)."""
    if "set_alarm_state" not in _ORIGINAL:
        _ORIGINAL["set_alarm_state"] = CloudWatchBackend.set_alarm_state
        CloudWatchBackend.set_alarm_state = set_alarm_state  # type: ignore[method-assign]
    return ["cloudwatch_alarm_actions"]
